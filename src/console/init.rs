//! `flightdeck init`: a commented config.toml from what this machine already knows — the
//! kubeconfig's contexts, the current git checkout's GitHub repository, a Prometheus URL —
//! then `check-config` on it.
//!
//! The reading (kubeconfig, `git`, stdin) is [`run`]; what the file says is the pure
//! [`render`], and [`github_repo_of`] parses a remote URL.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use crate::cli::{GlobalArgs, InitArgs};
use crate::config;
use crate::sources::kube::ContextInfo;
use crate::sources::metrics::discover::Discovered;

/// Everything the written file says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The kubeconfig named with `--kubeconfig` (else the default lookup applies).
    pub kubeconfig: Option<PathBuf>,
    pub contexts: Vec<ContextInfo>,
    /// Names of the contexts that are production.
    pub production: Vec<String>,
    /// `(owner/name, api_url)`.
    pub github: Option<(String, String)>,
    pub prometheus: Option<String>,
    /// What `prometheus` said it counts requests for (`None`: not asked).
    pub discovered: Option<Result<Vec<Discovered>, String>>,
}

/// Where the discovered services go: each environment's label matcher and targets, and
/// what no environment can be said to own.
#[derive(Debug, Default, PartialEq, Eq)]
struct Placed {
    /// Environment name → the namespace its series carry.
    namespaces: std::collections::BTreeMap<String, String>,
    /// (service, environment), in order.
    targets: Vec<(String, Option<String>)>,
    /// Found, but whose is not known.
    unplaced: Vec<Discovered>,
}

/// The discovered services by environment: a series's `namespace` label that is an
/// environment's namespace makes it that environment's (and its queries are narrowed to
/// that namespace); without such labels, the services are the one environment's when there
/// is one, and nobody's when there are several (Prometheus does not say whose they are).
fn place(contexts: &[ContextInfo], discovered: &[Discovered]) -> Placed {
    let names = env_names(contexts);
    let mut placed = Placed::default();
    let labelled = discovered.iter().any(|d| d.namespace.is_some());
    for d in discovered {
        let owners: Vec<&String> = match &d.namespace {
            Some(ns) => contexts
                .iter()
                .zip(&names)
                .filter(|(c, _)| c.namespace.as_deref().unwrap_or("default") == ns)
                .map(|(_, n)| n)
                .collect(),
            None if labelled => Vec::new(),
            None => match names.as_slice() {
                [only] => vec![only],
                [] => {
                    placed.targets.push((d.service.clone(), None));
                    continue;
                }
                _ => Vec::new(),
            },
        };
        if owners.is_empty() {
            placed.unplaced.push(d.clone());
        }
        for env in owners {
            if let Some(ns) = &d.namespace {
                placed.namespaces.insert(env.clone(), ns.clone());
            }
            let target = (d.service.clone(), Some(env.clone()));
            if !placed.targets.contains(&target) {
                placed.targets.push(target);
            }
        }
    }
    placed
}

/// The GitHub repository (`owner/name`) and API URL of a git remote URL: `https://`,
/// `ssh://` and scp-like `git@host:owner/name.git`. github.com's API is
/// `https://api.github.com`; another host is taken for GitHub Enterprise
/// (`https://HOST/api/v3`). None for a URL that names no `owner/name`.
pub fn github_repo_of(url: &str) -> Option<(String, String)> {
    let url = url.trim();
    let (host, path) = if let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .or_else(|| url.strip_prefix("ssh://"))
        .or_else(|| url.strip_prefix("git://"))
    {
        let (authority, path) = rest.split_once('/')?;
        let host = authority.rsplit('@').next()?;
        // ssh://git@host:22/owner/name: the port is not the host
        let host = host.split(':').next()?;
        (host, path)
    } else {
        // scp-like: [user@]host:owner/name.git
        let (authority, path) = url.split_once(':')?;
        if authority.contains('/') {
            return None;
        }
        (authority.rsplit('@').next()?, path)
    };
    let path = path.trim_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    let (owner, name) = path.split_once('/')?;
    let ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    if host.is_empty() || !ok(owner) || !ok(name) {
        return None;
    }
    let api = if host.eq_ignore_ascii_case("github.com") {
        "https://api.github.com".to_owned()
    } else {
        format!("https://{host}/api/v3")
    };
    Some((format!("{owner}/{name}"), api))
}

/// The contexts named by an answer to "which are production?": comma- or space-separated
/// context names or their numbers (1-based). Unknown entries are returned as errors.
pub fn parse_production(answer: &str, contexts: &[ContextInfo]) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for item in answer
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
    {
        let name = match item.parse::<usize>() {
            Ok(n) if (1..=contexts.len()).contains(&n) => contexts[n - 1].name.clone(),
            _ if contexts.iter().any(|c| c.name == item) => item.to_owned(),
            _ => {
                return Err(format!(
                    "`{}` is not a context (contexts: {})",
                    crate::text::sanitize(item),
                    names(contexts)
                ));
            }
        };
        if !out.contains(&name) {
            out.push(name);
        }
    }
    Ok(out)
}

fn names(contexts: &[ContextInfo]) -> String {
    contexts
        .iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `s` as a TOML string, quoted and escaped by the toml crate.
fn q(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// An environment name from a context name: the context's own, unless two would clash.
fn env_names(contexts: &[ContextInfo]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in contexts {
        let mut name = c.name.clone();
        let mut n = 2;
        while out.contains(&name) {
            name = format!("{}-{n}", c.name);
            n += 1;
        }
        out.push(name);
    }
    out
}

/// The config.toml text of a plan, with a comment on every section.
pub fn render(plan: &Plan) -> String {
    let placed = match &plan.discovered {
        Some(Ok(found)) => place(&plan.contexts, found),
        _ => Placed::default(),
    };
    let mut s = String::from(
        "# flightdeck config, written by `flightdeck init`.\n\
         # Check it with `flightdeck check-config`; every key is described in the README.\n\n\
         [ui]\n\
         # theme = \"dark\"        # dark, light, high-contrast, mono\n\
         # keymap = \"default\"    # default, emacs\n\
         # mouse = true          # false leaves the mouse to the terminal (select text to copy)\n",
    );
    s.push_str("\n[kube]\n");
    match &plan.kubeconfig {
        Some(p) => s.push_str(&format!("kubeconfig = {}\n", q(&p.to_string_lossy()))),
        None => s.push_str(
            "# kubeconfig = \"~/.kube/config\"   # default: $KUBECONFIG, then ~/.kube/config\n",
        ),
    }
    s.push_str(
        "\n# One environment per kube context. The status bar names the environment of the\n\
         # current context and namespace; a protected one is drawn in the danger style and asks\n\
         # for the object's name before a rollback, scale or restart.\n",
    );
    if plan.contexts.is_empty() {
        s.push_str(
            "# (no kube context was found)\n\
             # [[environment]]\n# name = \"prod\"\n# context = \"prod-cluster\"\n# namespace = \"shop\"\n# protected = true\n",
        );
    }
    for (c, name) in plan.contexts.iter().zip(env_names(&plan.contexts)) {
        s.push_str(&format!(
            "\n[[environment]]\nname = {}\ncontext = {}\n",
            q(&name),
            q(&c.name)
        ));
        match &c.namespace {
            Some(ns) => s.push_str(&format!("namespace = {}\n", q(ns))),
            None => s.push_str("# namespace = \"default\"\n"),
        }
        s.push_str("# github_environment = \"production\"   # its GitHub deployment environment\n");
        if let Some(ns) = placed.namespaces.get(&name) {
            s.push_str(&format!(
                "metrics_labels = {{ namespace = {} }}   # its series in Prometheus\n",
                q(ns)
            ));
        }
        s.push_str(&format!(
            "protected = {}\n",
            plan.production.contains(&c.name)
        ));
    }
    s.push_str("\n# The Pipeline pane: GitHub Actions runs of this repository. The token comes from\n# $GITHUB_TOKEN, else `gh auth token`; it is never written here.\n");
    match &plan.github {
        Some((repo, api)) => {
            s.push_str(&format!("[github]\nrepo = {}\n", q(repo)));
            if api == "https://api.github.com" {
                s.push_str(&format!("# api_url = {}\n", q(api)));
            } else {
                s.push_str(&format!("api_url = {}   # GitHub Enterprise\n", q(api)));
            }
        }
        None => s.push_str("# [github]\n# repo = \"owner/name\"\n"),
    }
    s.push_str("\n# The Error-rate pane: Prometheus's HTTP API, or scrape [[metrics.target]] pages directly.\n");
    s.push_str(
        "# Each [[metrics.target]] names a service and the environment whose numbers they are;\n\
         # the pane and the incident hint use them only there.\n",
    );
    match &plan.prometheus {
        Some(url) => s.push_str(&format!(
            "[metrics]\nprometheus = {}\n# threshold = 0.05   # error ratio drawn as failing\n",
            q(url)
        )),
        None => s.push_str(
            "# [metrics]\n# prometheus = \"http://prometheus:9090\"\n# threshold = 0.05\n",
        ),
    }
    match &plan.discovered {
        None => {}
        Some(Err(e)) => s.push_str(&format!(
            "\n# No service was discovered ({}): name yours\n\
             # [[metrics.target]]\n# service = \"checkout\"\n# environment = \"prod\"\n",
            crate::text::sanitize(e).replace('\n', " ")
        )),
        Some(Ok(found)) => {
            s.push_str(&format!(
                "\n# Found in Prometheus: {} service{} with requests counted\n\
                 # (`{}`).\n",
                found.len(),
                if found.len() == 1 { "" } else { "s" },
                crate::sources::metrics::discover::DISCOVERY_QUERY
            ));
            for (service, env) in &placed.targets {
                s.push_str(&format!("[[metrics.target]]\nservice = {}\n", q(service)));
                if let Some(env) = env {
                    s.push_str(&format!("environment = {}\n", q(env)));
                }
                s.push('\n');
            }
            if !placed.unplaced.is_empty() {
                s.push_str(
                    "# Found, but Prometheus does not say whose environment they are (no\n\
                     # `namespace` label that is one's): uncomment each under its environment.\n",
                );
                for d in &placed.unplaced {
                    let ns = d
                        .namespace
                        .as_deref()
                        .map(|n| format!("   # namespace {}", crate::text::sanitize(n)))
                        .unwrap_or_default();
                    s.push_str(&format!(
                        "# [[metrics.target]]\n# service = {}{ns}\n# environment = \"...\"\n",
                        q(&d.service).replace('\n', " ")
                    ));
                }
            }
        }
    }
    s.push_str(
        "\n# GPUs: \"local\" is NVML on this machine; a scrape URL is a DCGM exporter's page.\n\
         # [[gpu.host]]\n# name = \"dgx-01\"\n# scrape = \"http://dgx-01:9400/metrics\"\n",
    );
    s
}

/// The services Prometheus at `url` counts requests for (at most 10 s).
fn discover(url: &str) -> Result<Vec<Discovered>, String> {
    // a thread of its own: init may be called from within the binary's runtime
    let url = url.to_owned();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start a runtime: {e}"))?;
        rt.block_on(crate::sources::metrics::discover::discover(
            &url,
            std::time::Duration::from_secs(10),
        ))
    })
    .join()
    .unwrap_or_else(|_| Err("discovery failed".to_owned()))
}

/// The kube contexts of the kubeconfig the console would read, in file order.
fn read_contexts(global: &GlobalArgs) -> Result<Vec<ContextInfo>, String> {
    let mut cfg = config::Config::default();
    cfg.kube.kubeconfig = global.kubeconfig.clone();
    let kc = crate::sources::kube::kubeconfig::read_merged(&cfg).map_err(|e| e.to_string())?;
    Ok(crate::sources::kube::KubeContexts::of(&kc).contexts)
}

/// `origin`'s URL of the git checkout the current directory is in.
fn origin_url() -> Option<String> {
    let mut git = std::process::Command::new("git");
    git.args(["config", "--get", "remote.origin.url"]);
    let out = crate::sources::group::output_within(git, std::time::Duration::from_secs(5))?;
    if !out.status.success() {
        return None;
    }
    let url = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (!url.is_empty()).then_some(url)
}

fn valid_url(url: &str) -> bool {
    (url.starts_with("http://") || url.starts_with("https://"))
        && url.len() > "https://".len()
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Runs `flightdeck init`: the exit code. Messages go to stderr, the check's result to
/// stdout.
pub fn run(global: &GlobalArgs, args: &InitArgs) -> u8 {
    let mut err = std::io::stderr().lock();
    let Some(path) = args
        .output
        .clone()
        .or_else(|| global.config.clone())
        .or_else(|| config::config_dir().map(|d| d.join("config.toml")))
    else {
        let _ = writeln!(
            err,
            "flightdeck init: no config directory (HOME is not set); name a file with --output PATH"
        );
        return 2;
    };
    let shown = crate::text::sanitize(&path.display().to_string());
    if path.exists() && !args.force {
        let _ = writeln!(
            err,
            "flightdeck init: {shown} exists; not overwritten (--force to replace it)"
        );
        return 2;
    }
    if let Some(url) = &args.prometheus
        && !valid_url(url)
    {
        let _ = writeln!(
            err,
            "flightdeck init: --prometheus `{}` is not an http:// or https:// URL",
            crate::text::sanitize(url)
        );
        return 2;
    }
    let contexts = match read_contexts(global) {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(
                err,
                "flightdeck init: no kube contexts ({}); writing environments as comments",
                crate::text::sanitize(&e)
            );
            Vec::new()
        }
    };
    let production = match &args.production {
        Some(list) => match parse_production(&list.join(","), &contexts) {
            Ok(p) => p,
            Err(e) => {
                let _ = writeln!(err, "flightdeck init: --production: {e}");
                return 2;
            }
        },
        None => match ask_production(&contexts, &mut err) {
            Ok(p) => p,
            Err(code) => return code,
        },
    };
    let github = match &args.repo {
        Some(r) => match github_repo_of(&format!("https://github.com/{r}")) {
            Some(g) => Some(g),
            None => {
                let _ = writeln!(
                    err,
                    "flightdeck init: --repo `{}` is not OWNER/NAME",
                    crate::text::sanitize(r)
                );
                return 2;
            }
        },
        None => {
            let url = origin_url();
            let found = url.as_deref().and_then(github_repo_of);
            if found.is_none() {
                let _ = writeln!(
                    err,
                    "flightdeck init: no GitHub repository found (no `origin` remote here); [github] is left commented (--repo OWNER/NAME)"
                );
            }
            found
        }
    };
    let discovered = args.prometheus.as_deref().map(|url| {
        let found = discover(url);
        match &found {
            Ok(f) => {
                let _ = writeln!(
                    err,
                    "flightdeck init: {} service{} found in Prometheus",
                    f.len(),
                    if f.len() == 1 { "" } else { "s" }
                );
            }
            Err(e) => {
                let _ = writeln!(
                    err,
                    "flightdeck init: no services discovered in Prometheus ({}); [[metrics.target]] is left for you",
                    crate::text::sanitize(e)
                );
            }
        }
        found
    });
    let plan = Plan {
        kubeconfig: global.kubeconfig.clone(),
        contexts,
        production,
        github,
        prometheus: args.prometheus.clone(),
        discovered,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && let Err(e) = std::fs::create_dir_all(parent)
    {
        let _ = writeln!(
            err,
            "flightdeck init: cannot create {}: {e}",
            crate::text::sanitize(&parent.display().to_string())
        );
        return 1;
    }
    if let Err(e) = write_new(&path, &render(&plan), args.force) {
        let _ = writeln!(err, "flightdeck init: cannot write {shown}: {e}");
        return 1;
    }
    let _ = writeln!(
        err,
        "flightdeck init: wrote {shown} ({} environment{}, {} protected)",
        plan.contexts.len(),
        if plan.contexts.len() == 1 { "" } else { "s" },
        plan.production.len()
    );
    let report = config::check(Some(&path));
    let mut out = std::io::stdout().lock();
    for p in &report.problems {
        let _ = writeln!(out, "{}", crate::text::sanitize(p));
    }
    let _ = writeln!(out, "{}", crate::text::sanitize(&report.summary()));
    u8::from(!report.problems.is_empty())
}

/// Writes the file; without `force`, only if it does not exist (checked again at creation,
/// so a file that appeared meanwhile is not replaced).
fn write_new(path: &Path, text: &str, force: bool) -> std::io::Result<()> {
    let mut f = if force {
        std::fs::File::create(path)?
    } else {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)?
    };
    f.write_all(text.as_bytes())
}

/// Asks on stdin which contexts are production. An empty answer (or end of input) takes
/// the suggestion: the contexts whose name says `prod`.
fn ask_production(contexts: &[ContextInfo], err: &mut dyn Write) -> Result<Vec<String>, u8> {
    if contexts.is_empty() {
        return Ok(Vec::new());
    }
    let suggested: Vec<String> = contexts
        .iter()
        .filter(|c| c.name.to_ascii_lowercase().contains("prod"))
        .map(|c| c.name.clone())
        .collect();
    let _ = writeln!(err, "kube contexts:");
    for (i, c) in contexts.iter().enumerate() {
        let _ = writeln!(err, "  {}. {}", i + 1, crate::text::sanitize(&c.name));
    }
    let stdin = std::io::stdin();
    for _ in 0..3 {
        let _ = write!(
            err,
            "Which are production (numbers or names, comma-separated; `-` for none) [{}]: ",
            if suggested.is_empty() {
                "none".to_owned()
            } else {
                crate::text::sanitize(&suggested.join(","))
            }
        );
        let _ = err.flush();
        let mut line = String::new();
        match stdin.lock().read_line(&mut line) {
            Ok(0) => {
                let _ = writeln!(err);
                return Ok(suggested);
            }
            Ok(_) => {}
            Err(e) => {
                let _ = writeln!(err, "\nflightdeck init: cannot read stdin: {e}");
                return Err(1);
            }
        }
        let answer = line.trim();
        if answer.is_empty() {
            return Ok(suggested);
        }
        if answer == "-" {
            return Ok(Vec::new());
        }
        match parse_production(answer, contexts) {
            Ok(p) => return Ok(p),
            Err(e) => {
                let _ = writeln!(err, "{e}");
            }
        }
    }
    let _ = writeln!(
        err,
        "flightdeck init: no valid answer; use --production CTX,..."
    );
    Err(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_text_reads_back_as_written() {
        for text in [
            "prod",
            "a \"quoted\" name",
            "C:\\kube\\config",
            "two\nlines",
            "tab\tand\u{7}bell",
        ] {
            let doc = format!("v = {}", q(text));
            let back: toml::Table = toml::from_str(&doc).expect("valid TOML");
            assert_eq!(back["v"].as_str(), Some(text), "{doc}");
        }
    }

    #[test]
    fn remotes_of_every_shape() {
        let gh = |r: &str| Some((r.to_owned(), "https://api.github.com".to_owned()));
        assert_eq!(
            github_repo_of("git@github.com:acme/checkout.git"),
            gh("acme/checkout")
        );
        assert_eq!(
            github_repo_of("https://github.com/acme/checkout"),
            gh("acme/checkout")
        );
        assert_eq!(
            github_repo_of("https://user@github.com/acme/checkout.git/"),
            gh("acme/checkout")
        );
        assert_eq!(
            github_repo_of("ssh://git@github.com:22/acme/check.out.git"),
            gh("acme/check.out")
        );
        assert_eq!(
            github_repo_of("git@ghe.corp.example:team/svc.git"),
            Some(("team/svc".into(), "https://ghe.corp.example/api/v3".into()))
        );
        assert_eq!(github_repo_of("/srv/git/checkout.git"), None);
        assert_eq!(github_repo_of("git@github.com:acme"), None);
        assert_eq!(github_repo_of("https://github.com/acme/a b"), None);
    }

    #[test]
    fn production_by_name_or_number() {
        let ctx = |n: &str| ContextInfo {
            name: n.into(),
            namespace: None,
        };
        let cs = [ctx("dev"), ctx("prod-eu"), ctx("prod-us")];
        assert_eq!(
            parse_production("2, prod-us 2", &cs),
            Ok(vec!["prod-eu".to_owned(), "prod-us".to_owned()])
        );
        assert_eq!(parse_production("", &cs), Ok(vec![]));
        assert!(
            parse_production("4", &cs)
                .unwrap_err()
                .contains("`4` is not a context")
        );
    }

    #[test]
    fn rendered_config_parses_with_one_environment_per_context() {
        let plan = Plan {
            kubeconfig: Some("/k/conf \"x\"".into()),
            contexts: vec![
                ContextInfo {
                    name: "prod".into(),
                    namespace: Some("shop".into()),
                },
                ContextInfo {
                    name: "dev".into(),
                    namespace: None,
                },
            ],
            production: vec!["prod".into()],
            github: Some(("acme/checkout".into(), "https://api.github.com".into())),
            prometheus: Some("http://prom:9090".into()),
            discovered: None,
        };
        let text = render(&plan);
        let (cfg, diags) = config::Config::parse_lenient("config.toml", &text);
        assert!(diags.is_empty(), "{diags:?}\n{text}");
        assert_eq!(cfg.environments.len(), 2);
        assert_eq!(cfg.environments[0].context.as_deref(), Some("prod"));
        assert_eq!(cfg.environments[0].namespace.as_deref(), Some("shop"));
        assert_eq!(cfg.environments[0].protected, Some(true));
        assert_eq!(cfg.environments[1].protected, Some(false));
        assert_eq!(cfg.github.map(|g| g.repo), Some("acme/checkout".into()));
        assert_eq!(
            cfg.metrics.and_then(|m| m.prometheus),
            Some("http://prom:9090".into())
        );
        assert_eq!(cfg.kube.kubeconfig, Some("/k/conf \"x\"".into()));
    }

    fn found(service: &str, namespace: Option<&str>) -> Discovered {
        Discovered {
            service: service.into(),
            namespace: namespace.map(str::to_owned),
        }
    }

    #[test]
    fn discovered_services_go_to_the_environment_their_namespace_is() {
        let ctx = |name: &str, ns: &str| ContextInfo {
            name: name.into(),
            namespace: Some(ns.into()),
        };
        let contexts = [ctx("prod", "shop"), ctx("staging", "shop-staging")];
        let plan = Plan {
            contexts: contexts.to_vec(),
            production: vec!["prod".into()],
            prometheus: Some("http://prom:9090".into()),
            discovered: Some(Ok(vec![
                found("cart", Some("shop")),
                found("checkout", Some("shop")),
                found("checkout", Some("shop-staging")),
                found("ledger", Some("finance")),
            ])),
            ..Plan::default()
        };
        let text = render(&plan);
        let (cfg, diags) = config::Config::parse_lenient("config.toml", &text);
        assert!(diags.is_empty(), "{diags:?}\n{text}");
        let labels: Vec<Option<&str>> = cfg
            .environments
            .iter()
            .map(|e| e.metrics_labels.get("namespace").map(String::as_str))
            .collect();
        assert_eq!(labels, [Some("shop"), Some("shop-staging")], "{text}");
        let m = cfg.metrics.expect("[metrics]");
        let targets: Vec<(&str, Option<&str>)> = m
            .targets
            .iter()
            .map(|t| (t.service.as_str(), t.environment.as_deref()))
            .collect();
        assert_eq!(
            targets,
            [
                ("cart", Some("prod")),
                ("checkout", Some("prod")),
                ("checkout", Some("staging"))
            ]
        );
        // a namespace no environment has: left for the user, commented
        assert!(
            text.contains("# service = \"ledger\"   # namespace finance"),
            "{text}"
        );

        // without namespace labels: the one environment's, or (several) nobody's
        let plain = Some(Ok(vec![found("cart", None), found("checkout", None)]));
        let one = Plan {
            contexts: contexts[..1].to_vec(),
            discovered: plain.clone(),
            prometheus: Some("http://prom:9090".into()),
            ..Plan::default()
        };
        let cfg = config::Config::parse_strict("c.toml", &render(&one)).expect("parses");
        let envs: Vec<Option<String>> = cfg
            .metrics
            .expect("[metrics]")
            .targets
            .into_iter()
            .map(|t| t.environment)
            .collect();
        assert_eq!(envs, [Some("prod".into()), Some("prod".into())]);
        let two = Plan {
            contexts: contexts.to_vec(),
            discovered: plain,
            prometheus: Some("http://prom:9090".into()),
            ..Plan::default()
        };
        let text = render(&two);
        let cfg = config::Config::parse_strict("c.toml", &text).expect("parses");
        assert!(cfg.metrics.expect("[metrics]").targets.is_empty(), "{text}");
        assert!(text.contains("# service = \"checkout\"\n"), "{text}");

        // a Prometheus that did not answer: said in the file
        let failed = Plan {
            discovered: Some(Err("connection refused".into())),
            prometheus: Some("http://prom:9090".into()),
            ..Plan::default()
        };
        assert!(render(&failed).contains("No service was discovered (connection refused)"));
    }
}
