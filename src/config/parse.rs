//! Reading `config.toml` into a [`Config`]: strict for `check-config`, lenient for the
//! console (a bad entry is skipped with a diagnostic), then validated section by section.

use super::diag::{Diagnostic, key_in_table};
use super::entries::{Texts, entry_problem};
use super::model::Config;
use super::{gpu, hosts, lenient, metrics};

impl Config {
    /// Strict parse: every problem is a diagnostic (in file order), and there is no config.
    pub fn parse_strict(file: &str, source: &str) -> Result<Config, Vec<Diagnostic>> {
        let (config, problems) = Config::parse_lenient(file, source);
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(problems)
        }
    }

    /// Lenient parse for the console: each bad entry is skipped with a diagnostic (in file
    /// order), and everything else is used.
    pub fn parse_lenient(file: &str, source: &str) -> (Config, Vec<Diagnostic>) {
        let (table, mut diags, kept) = lenient::parse(file, source);
        let mut config = match table.clone().try_into::<Config>() {
            Ok(c) => c,
            Err(e) => {
                // parts that each passed but not together: keep the sections that still do
                diags.push(Diagnostic::at(file, source, None, e.message().trim()));
                greedy(table)
            }
        };
        diags.extend(config.validate(&Texts {
            file,
            source,
            kept: &kept,
        }));
        // validation problems (e.g. a bad URL) drop the offending entries
        config.retain_valid();
        diags.sort_by_key(|d| (d.line, d.column));
        // ... but an environment with a problem stays, protected
        super::fail_closed::environments(&mut config, source, &diags);
        (config, diags)
    }

    fn validate(&self, texts: &Texts) -> Vec<Diagnostic> {
        let (file, source) = (texts.file, texts.source);
        let mut out = Vec::new();
        let find = |needle: &str| source.find(needle);
        let mut check_url = |what: &str, url: &str| {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                out.push(Diagnostic::at(
                    file,
                    source,
                    find(url),
                    format!("{what}: `{url}` is not an http(s) URL"),
                ));
            }
        };
        if let Some(g) = &self.github {
            check_url("github.api_url", &g.api_url);
        }
        if let Some(m) = &self.metrics {
            if let Some(p) = &m.prometheus {
                check_url("metrics.prometheus", p);
            }
            if let Some(a) = &m.alertmanager {
                check_url("metrics.alertmanager", a);
            }
        }
        if let Some(m) = &self.metrics {
            for (i, t) in m.targets.iter().enumerate() {
                if let Some(why) = target_problem(t, m.prometheus.is_some(), &self.environments) {
                    let key = match why.0 {
                        TargetProblem::Url => "url",
                        TargetProblem::Environment => "environment",
                    };
                    out.push(entry_problem(
                        texts,
                        "metrics.target",
                        i,
                        key,
                        &t.service,
                        why.1,
                    ));
                }
            }
        }
        if let Some(m) = &self.metrics {
            metrics::validate(m, file, source, &mut out);
        }
        if let Some(g) = &self.github
            && g.repo.split('/').filter(|s| !s.is_empty()).count() != 2
        {
            {
                out.push(Diagnostic::at(
                    file,
                    source,
                    find(&g.repo),
                    format!("github.repo `{}` must be OWNER/NAME", g.repo),
                ));
            }
        }
        if let Some(start) = &self.ui.start
            && !self.environments.iter().any(|e| &e.name == start)
        {
            let names: Vec<&str> = self.environments.iter().map(|e| e.name.as_str()).collect();
            let known = if names.is_empty() {
                "there is none".to_owned()
            } else {
                names.join(", ")
            };
            out.push(Diagnostic::at(
                file,
                source,
                key_in_table(source, "ui", "start"),
                format!("ui.start `{start}` names no [[environment]] ({known})"),
            ));
        }
        for (i, a) in self.host_actions.iter().enumerate() {
            if a.command.is_empty() {
                out.push(entry_problem(
                    texts,
                    "host_action",
                    i,
                    "command",
                    &a.name,
                    format!("host_action `{}` has an empty command", a.name),
                ));
            }
        }
        for (i, e) in self.environments.iter().enumerate() {
            if let Some(bad) = e.metrics_labels.keys().find(|k| !metrics::is_label_name(k)) {
                out.push(entry_problem(
                    texts,
                    "environment",
                    i,
                    "metrics_labels",
                    bad,
                    format!(
                        "environment `{}`: metrics_labels key `{bad}` is not a Prometheus label \
                         name ([a-zA-Z_][a-zA-Z0-9_]*)",
                        e.name
                    ),
                ));
            }
        }
        hosts::validate(&self.services, &self.health, texts, &mut out);
        gpu::validate(&self.gpu, texts, &mut out);
        out
    }

    fn retain_valid(&mut self) {
        if let Some(start) = &self.ui.start
            && !self.environments.iter().any(|e| &e.name == start)
        {
            self.ui.start = None;
        }
        let ok = |u: &str| u.starts_with("http://") || u.starts_with("https://");
        if let Some(m) = &mut self.metrics {
            let api = m.prometheus.is_some();
            let environments = &self.environments;
            m.targets
                .retain(|t| target_problem(t, api, environments).is_none());
            metrics::retain_valid(m);
        }
        for e in &mut self.environments {
            e.metrics_labels.retain(|k, _| metrics::is_label_name(k));
        }
        gpu::retain_valid(&mut self.gpu);
        self.host_actions.retain(|a| !a.command.is_empty());
        hosts::retain_valid(&mut self.services, &mut self.health);
        if self.github.as_ref().is_some_and(|g| {
            !ok(&g.api_url) || g.repo.split('/').filter(|s| !s.is_empty()).count() != 2
        }) {
            self.github = None;
        }
    }
}

enum TargetProblem {
    Url,
    Environment,
}

/// What is wrong with a `[[metrics.target]]`: a page URL that is not http(s), none in
/// direct mode (`api`: `[metrics] prometheus` is set, which asks by service name), or an
/// `environment` that names no `[[environment]]`.
fn target_problem(
    t: &metrics::MetricsTarget,
    api: bool,
    environments: &[super::model::Environment],
) -> Option<(TargetProblem, String)> {
    match &t.url {
        Some(url) if !(url.starts_with("http://") || url.starts_with("https://")) => {
            return Some((
                TargetProblem::Url,
                format!("metrics.target.url: `{url}` is not an http(s) URL"),
            ));
        }
        None if !api => {
            return Some((
                TargetProblem::Url,
                format!(
                    "metrics.target `{}` has no url: without [metrics] prometheus its \
                     /metrics page is scraped",
                    t.service
                ),
            ));
        }
        _ => {}
    }
    if let Some(env) = &t.environment
        && !environments.iter().any(|e| &e.name == env)
    {
        let names: Vec<&str> = environments.iter().map(|e| e.name.as_str()).collect();
        let known = if names.is_empty() {
            "there is none".to_owned()
        } else {
            names.join(", ")
        };
        return Some((
            TargetProblem::Environment,
            format!(
                "metrics.target `{}`: environment `{env}` names no [[environment]] ({known})",
                t.service
            ),
        ));
    }
    None
}

/// The top-level sections, one at a time, as long as the config still deserializes.
fn greedy(table: toml::Table) -> Config {
    let mut kept = toml::Table::new();
    let mut config = Config::default();
    for (key, value) in table {
        let mut trial = kept.clone();
        trial.insert(key, value);
        if let Ok(c) = trial.clone().try_into::<Config>() {
            kept = trial;
            config = c;
        }
    }
    config
}
