//! Configuration: `config.toml`, themes and keymaps. Bundled themes and keymaps are
//! embedded and parsed by the same code as user files; a user file of the same name is
//! merged over the bundled one. Loading for the console is lenient: a bad entry (a syntax
//! error in its table, an unknown key, a bad value) becomes a warning shown in the console
//! and only that entry is skipped (`lenient.rs`); `flightdeck check-config` reports the same
//! problems, every one, in file order.

mod check;
pub mod colors;
pub mod diag;
mod fail_closed;
pub mod gpu;
pub mod hosts;
pub mod key;
pub mod keymap;
mod lenient;
mod metrics;
pub mod theme;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use check::{CheckReport, check};
pub use diag::Diagnostic;
pub use gpu::{GpuConfig, GpuHost};
pub use hosts::{HealthCheck, ServiceConfig};
pub use keymap::Keymap;
pub use metrics::{
    DEFAULT_ERROR_RATIO, DEFAULT_ERROR_THRESHOLD, DEFAULT_LATENCY_P95, DEFAULT_RATE_WINDOW,
    MetricsConfig, MetricsTarget, parse_rate_window,
};
pub use theme::Theme;

pub const BUNDLED_THEMES: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("mono", include_str!("../../themes/mono.toml")),
];

pub const BUNDLED_KEYMAPS: &[(&str, &str)] = &[
    ("default", include_str!("../../keymaps/default.toml")),
    ("emacs", include_str!("../../keymaps/emacs.toml")),
];

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub ui: UiConfig,
    #[serde(default)]
    pub kube: KubeConfig,
    #[serde(default, rename = "environment")]
    pub environments: Vec<Environment>,
    pub github: Option<GithubConfig>,
    pub metrics: Option<MetricsConfig>,
    #[serde(default)]
    pub gpu: GpuConfig,
    #[serde(default, rename = "host_action")]
    pub host_actions: Vec<HostAction>,
    #[serde(default)]
    pub logs: LogsConfig,
    #[serde(default, rename = "health")]
    pub health: Vec<HealthCheck>,
    #[serde(default, rename = "service")]
    pub services: Vec<ServiceConfig>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UiConfig {
    pub theme: Option<String>,
    pub keymap: Option<String>,
    #[serde(default = "yes")]
    pub mouse: bool,
    /// Colour depth: `auto` (true colour only when `COLORTERM` or terminfo says so),
    /// `truecolor`, `256` or `16`.
    #[serde(default)]
    pub color: crate::term::ColorSetting,
    /// `y`-style copy to the local clipboard with OSC 52 (works over SSH and in tmux with
    /// `set-clipboard on`); false turns it off.
    #[serde(default = "yes")]
    pub clipboard: bool,
    /// The `[[environment]]` to open on when no `--context`, `-n` or `-A` is given
    /// (default: the kubeconfig's current context and its namespace).
    pub start: Option<String>,
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            theme: None,
            keymap: None,
            mouse: true,
            color: crate::term::ColorSetting::Auto,
            clipboard: true,
            start: None,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KubeConfig {
    /// Kubeconfig file; default `$KUBECONFIG`, then `~/.kube/config`.
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub namespace: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    pub name: String,
    pub context: Option<String>,
    pub namespace: Option<String>,
    pub github_environment: Option<String>,
    /// Operations here ask for the object's name to be typed, and the status bar draws the
    /// environment in the danger style. Default: true for `prod` and `production`.
    pub protected: Option<bool>,
    /// Why this entry is protected whatever it says: the file has a problem inside it
    /// (safety settings fail closed; see `config/fail_closed.rs`).
    #[serde(skip)]
    pub invalid: Option<String>,
}

impl Environment {
    pub fn is_protected(&self) -> bool {
        self.protected
            .unwrap_or(matches!(self.name.as_str(), "prod" | "production"))
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GithubConfig {
    pub repo: String,
    #[serde(default = "github_api")]
    pub api_url: String,
    /// Environment variable holding the token; else `gh auth token`.
    #[serde(default = "github_token_env")]
    pub token_env: String,
    /// A token given in-process (the demo's, for its sandbox); never read from a file.
    #[serde(skip)]
    pub token: Option<crate::secret::Token>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HostAction {
    pub name: String,
    pub command: Vec<String>,
    pub cwd: Option<PathBuf>,
    #[serde(default = "host_action_timeout")]
    pub timeout_secs: u64,
    #[serde(default = "yes")]
    pub confirm: bool,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LogsConfig {
    #[serde(default = "tail_lines")]
    pub tail_lines: u32,
    #[serde(default = "buffer_lines")]
    pub buffer_lines: usize,
}

impl Default for LogsConfig {
    fn default() -> Self {
        LogsConfig {
            tail_lines: tail_lines(),
            buffer_lines: buffer_lines(),
        }
    }
}

fn yes() -> bool {
    true
}
fn github_api() -> String {
    "https://api.github.com".into()
}
fn github_token_env() -> String {
    "GITHUB_TOKEN".into()
}
fn host_action_timeout() -> u64 {
    300
}
fn tail_lines() -> u32 {
    200
}
fn buffer_lines() -> usize {
    50_000
}

impl Config {
    /// The 5xx ratio above which a service is in trouble: the pane's colour and threshold
    /// line, and the incident hint, all read this one value.
    pub fn error_threshold(&self) -> f64 {
        self.metrics
            .as_ref()
            .map_or(DEFAULT_ERROR_THRESHOLD, |m| m.threshold)
    }

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
        let (table, mut diags) = lenient::parse(file, source);
        let mut config = match table.clone().try_into::<Config>() {
            Ok(c) => c,
            Err(e) => {
                // parts that each passed but not together: keep the sections that still do
                diags.push(Diagnostic::at(file, source, None, e.message().trim()));
                greedy(table)
            }
        };
        diags.extend(config.validate(file, source));
        // validation problems (e.g. a bad URL) drop the offending entries
        config.retain_valid();
        diags.sort_by_key(|d| (d.line, d.column));
        // ... but an environment with a problem stays, protected
        fail_closed::environments(&mut config, source, &diags);
        (config, diags)
    }

    fn validate(&self, file: &str, source: &str) -> Vec<Diagnostic> {
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
            for t in &m.targets {
                check_url("metrics.target.url", &t.url);
            }
        }
        metrics::validate(self, file, source, &mut out);
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
        for a in &self.host_actions {
            if a.command.is_empty() {
                out.push(Diagnostic::at(
                    file,
                    source,
                    find(&a.name),
                    format!("host_action `{}` has an empty command", a.name),
                ));
            }
        }
        hosts::validate(self, file, source, &mut out);
        gpu::validate(self, file, source, &mut out);
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
            m.targets.retain(|t| ok(&t.url));
            metrics::retain_valid(m);
        }
        gpu::retain_valid(self);
        self.host_actions.retain(|a| !a.command.is_empty());
        hosts::retain_valid(self);
        if self.github.as_ref().is_some_and(|g| {
            !ok(&g.api_url) || g.repo.split('/').filter(|s| !s.is_empty()).count() != 2
        }) {
            self.github = None;
        }
    }
}

/// A Prometheus label name: `[a-zA-Z_][a-zA-Z0-9_]*`.
pub fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
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

/// The byte offset of `key` in the `[table]` section of a config file (for diagnostics).
fn key_in_table(source: &str, table: &str, key: &str) -> Option<usize> {
    let header = format!("[{table}]");
    let start = source
        .match_indices(&header)
        .find(|(i, _)| *i == 0 || source[..*i].ends_with('\n'))
        .map(|(i, _)| i + header.len())?;
    let mut offset = start;
    for line in source[start..].split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            break;
        }
        if let Some(rest) = trimmed.strip_prefix(key)
            && rest.trim_start().starts_with('=')
        {
            return Some(offset + (line.len() - trimmed.len()));
        }
        offset += line.len();
    }
    Some(start)
}

/// Where flightdeck keeps its files.
pub fn config_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "flightdeck").map(|d| d.config_dir().to_owned())
}

pub fn data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "flightdeck").map(|d| d.data_dir().to_owned())
}

/// Themes and keymaps, bundled and user, parsed and resolved.
#[derive(Debug, Clone, Default)]
pub struct Assets {
    pub themes: BTreeMap<String, Theme>,
    pub keymaps: BTreeMap<String, Keymap>,
}

impl Assets {
    pub fn theme_names(&self) -> Vec<String> {
        self.themes.keys().cloned().collect()
    }
    pub fn keymap_names(&self) -> Vec<String> {
        self.keymaps.keys().cloned().collect()
    }
}

/// Loads bundled and user themes/keymaps. `dir` is the config dir (its `themes/` and
/// `keymaps/` folders). Diagnostics name the file; resolution problems are warnings.
pub fn load_assets(dir: Option<&Path>) -> (Assets, Vec<Diagnostic>, Vec<String>) {
    let mut diags = Vec::new();
    let mut warnings = Vec::new();
    let theme_files = layered(
        BUNDLED_THEMES,
        dir,
        "themes",
        &mut diags,
        |_, file, src| theme::parse(file, src),
        |base: &mut theme::ThemeFile, over| {
            base.styles.extend(over.styles);
            base.inherits = over.inherits.or(base.inherits.take());
        },
    );
    let mut themes = BTreeMap::new();
    for name in theme_files.keys() {
        if let Some(t) = theme::resolve(name, &theme_files, &mut warnings) {
            themes.insert(name.clone(), t);
        }
    }

    let keymap_files = layered(
        BUNDLED_KEYMAPS,
        dir,
        "keymaps",
        &mut diags,
        keymap::parse,
        |base: &mut keymap::KeymapFile, over| {
            base.keymap.merge(&over.keymap);
            base.inherits = over.inherits.or(base.inherits.take());
        },
    );
    let mut keymaps = BTreeMap::new();
    for name in keymap_files.keys() {
        keymaps.insert(
            name.clone(),
            resolve_keymap(name, &keymap_files, &mut warnings),
        );
    }
    (Assets { themes, keymaps }, diags, warnings)
}

/// Bundled files parsed first, then the user's `dir/sub/*.toml`; a user file with a
/// bundled name is merged over it (`merge`), any other adds a new entry.
fn layered<F>(
    bundled: &[(&str, &str)],
    dir: Option<&Path>,
    sub: &str,
    diags: &mut Vec<Diagnostic>,
    parse: impl Fn(&str, &str, &str) -> (F, Vec<Diagnostic>),
    merge: impl Fn(&mut F, F),
) -> BTreeMap<String, F> {
    let mut files = BTreeMap::new();
    for (name, src) in bundled {
        let (f, d) = parse(name, &format!("<bundled>/{sub}/{name}.toml"), src);
        diags.extend(d);
        files.insert((*name).to_owned(), f);
    }
    for (name, path, src) in user_files(dir, sub, diags) {
        let (f, d) = parse(&name, &path, &src);
        diags.extend(d);
        match files.get_mut(&name) {
            Some(base) => merge(base, f),
            None => {
                files.insert(name, f);
            }
        }
    }
    files
}

fn resolve_keymap(
    name: &str,
    files: &BTreeMap<String, keymap::KeymapFile>,
    warnings: &mut Vec<String>,
) -> Keymap {
    let mut chain: Vec<String> = Vec::new();
    let mut current = Some(name.to_owned());
    while let Some(n) = current {
        if chain.contains(&n) {
            warnings.push(format!("keymap `{name}`: inherits cycle through `{n}`"));
            break;
        }
        match files.get(&n) {
            Some(f) => {
                chain.push(n);
                current = f.inherits.clone();
            }
            None => {
                warnings.push(format!("keymap `{name}` inherits unknown keymap `{n}`"));
                break;
            }
        }
    }
    let mut km = Keymap {
        name: name.to_owned(),
        ..Default::default()
    };
    for n in chain.iter().rev() {
        if let Some(f) = files.get(n) {
            km.merge(&f.keymap);
        }
    }
    // a keymap that says nothing of the prompt or of going on in a dialog keeps the
    // default's keys for them, as when they were not in keymaps at all
    if let Some(default) = files.get("default") {
        km.fill_from(&default.keymap);
    }
    km
}

fn user_files(
    dir: Option<&Path>,
    sub: &str,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(String, String, String)> {
    let Some(dir) = dir else { return Vec::new() };
    let folder = dir.join(sub);
    let Ok(entries) = std::fs::read_dir(&folder) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let Some(name) = path.file_stem().and_then(|s| s.to_str()).map(str::to_owned) else {
            continue;
        };
        let shown = path.display().to_string();
        match std::fs::read_to_string(&path) {
            Ok(src) => out.push((name, shown, src)),
            Err(e) => diags.push(Diagnostic {
                file: shown,
                line: 1,
                column: 1,
                message: format!("cannot read: {e}"),
            }),
        }
    }
    out
}

/// The folder of themes/keymaps and the config.toml to read: beside a given config path,
/// else the config dir.
fn locate(config_path: Option<&Path>) -> (Option<PathBuf>, Option<PathBuf>) {
    let dir = config_path
        .and_then(|p| p.parent().map(Path::to_owned))
        .or_else(config_dir);
    let path = config_path
        .map(Path::to_owned)
        .or_else(|| dir.as_ref().map(|d| d.join("config.toml")));
    (dir, path)
}

/// Everything the console needs from files, loaded leniently.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    pub config_path: Option<PathBuf>,
    pub assets: Assets,
    /// Problems to show in the console; none of them stopped it.
    pub warnings: Vec<String>,
}

/// Loads config.toml (the given path, or the config dir's) and the assets, leniently.
pub fn load(config_path: Option<&Path>) -> Loaded {
    let (dir, path) = locate(config_path);
    let mut warnings = Vec::new();
    let config = match &path {
        Some(p) => match std::fs::read_to_string(p) {
            Ok(src) => {
                let (c, diags) = Config::parse_lenient(&p.display().to_string(), &src);
                warnings.extend(diags.iter().map(|d| format!("{d} (skipped)")));
                c
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && config_path.is_none() => {
                Config::default()
            }
            Err(e) => {
                warnings.push(format!(
                    "{}: cannot read config: {e}; using defaults",
                    p.display()
                ));
                Config::default()
            }
        },
        None => Config::default(),
    };
    let (assets, diags, w) = load_assets(dir.as_deref());
    warnings.extend(diags.iter().map(|d| format!("{d} (skipped)")));
    warnings.extend(w);
    Loaded {
        config,
        config_path: path,
        assets,
        warnings,
    }
}

#[cfg(test)]
mod tests;
