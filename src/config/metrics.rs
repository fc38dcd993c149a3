//! `[metrics]`: where the Error-rate pane's numbers come from (a Prometheus server, or
//! `/metrics` pages scraped directly), the query templates and their rate window, and the
//! checks of those keys.

use serde::Deserialize;

use super::diag::{Diagnostic, key_in_table};

pub const DEFAULT_ERROR_RATIO: &str = r#"sum(rate(http_requests_total{service="$service",status=~"5.."}[$window])) / sum(rate(http_requests_total{service="$service"}[$window]))"#;
pub const DEFAULT_LATENCY_P95: &str = r#"histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{service="$service"}[$window])))"#;
/// `[metrics] window`'s default: the rate window of the queries (`$window`).
pub const DEFAULT_RATE_WINDOW: &str = "5m";

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    pub prometheus: Option<String>,
    pub alertmanager: Option<String>,
    #[serde(default = "error_ratio")]
    pub error_ratio: String,
    #[serde(default = "latency_p95")]
    pub latency_p95: String,
    #[serde(default = "threshold")]
    pub threshold: f64,
    /// The rate window of the queries in API mode, a Prometheus duration (`5m`, `90s`,
    /// `1h`): substituted for `$window` in the templates, and shown in the pane's header.
    #[serde(default = "rate_window")]
    pub window: String,
    #[serde(default = "status_label")]
    pub status_label: String,
    /// Series with this label are also counted per its value (a service's revisions).
    #[serde(default = "revision_label")]
    pub revision_label: String,
    /// The most of one metrics page or API answer that is read (default 4 MiB).
    #[serde(default = "max_page_bytes")]
    pub max_page_bytes: u64,
    #[serde(default, rename = "target")]
    pub targets: Vec<MetricsTarget>,
}

/// One service of the Error-rate pane. In API mode (`prometheus` set) the service is asked
/// of Prometheus by name and `url` is not needed; in direct mode `url` is its `/metrics`
/// page.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MetricsTarget {
    pub service: String,
    #[serde(default)]
    pub url: Option<String>,
    /// The `[[environment]]` whose numbers these are: the pane and the incident hint use
    /// them only there. Without it the target is every environment's (the meaning configs
    /// had before targets named one), and `check-config` says so when there are several.
    pub environment: Option<String>,
}

impl MetricsTarget {
    /// Whether this target's numbers belong to `environment` (the scope's; `None` when the
    /// scope is no environment's): it names that one, or names none.
    pub fn belongs_to(&self, environment: Option<&str>) -> bool {
        match &self.environment {
            None => true,
            Some(e) => Some(e.as_str()) == environment,
        }
    }
}

impl MetricsConfig {
    /// The targets whose numbers belong to `environment` (see [`MetricsTarget::belongs_to`]).
    pub fn targets_for(&self, environment: Option<&str>) -> impl Iterator<Item = &MetricsTarget> {
        let environment = environment.map(str::to_owned);
        self.targets
            .iter()
            .filter(move |t| t.belongs_to(environment.as_deref()))
    }
}

fn error_ratio() -> String {
    DEFAULT_ERROR_RATIO.into()
}
fn latency_p95() -> String {
    DEFAULT_LATENCY_P95.into()
}
/// The seed's `HighErrorRate` alert: a 5xx ratio above 5 %.
pub const DEFAULT_ERROR_THRESHOLD: f64 = 0.05;

fn threshold() -> f64 {
    DEFAULT_ERROR_THRESHOLD
}
fn rate_window() -> String {
    DEFAULT_RATE_WINDOW.into()
}

/// A Prometheus duration as `[metrics] window` takes it: one or more `<n><unit>` with units
/// `ms`, `s`, `m`, `h`, `d`, `w` (`5m`, `1h30m`, `90s`), above zero and at most a week.
pub fn parse_rate_window(text: &str) -> Option<std::time::Duration> {
    let mut total: u64 = 0;
    let mut rest = text;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let (unit_ms, len) = if rest.starts_with("ms") {
            (1, 2)
        } else {
            let ms = match rest.chars().next()? {
                's' => 1000,
                'm' => 60_000,
                'h' => 3_600_000,
                'd' => 86_400_000,
                'w' => 7 * 86_400_000,
                _ => return None,
            };
            (ms, 1)
        };
        rest = &rest[len..];
        total = total.checked_add(n.checked_mul(unit_ms)?)?;
    }
    (1..=7 * 86_400_000)
        .contains(&total)
        .then(|| std::time::Duration::from_millis(total))
}
fn status_label() -> String {
    "status".into()
}
fn revision_label() -> String {
    "rollouts_pod_template_hash".into()
}
fn max_page_bytes() -> u64 {
    4 << 20
}

/// A Prometheus label name: `[a-zA-Z_][a-zA-Z0-9_]*`.
pub fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The `[metrics]` keys' problems (URLs are checked with the others').
pub(super) fn validate(m: &MetricsConfig, file: &str, source: &str, out: &mut Vec<Diagnostic>) {
    if !(m.threshold > 0.0 && m.threshold <= 1.0) {
        out.push(Diagnostic::at(
            file,
            source,
            key_in_table(source, "metrics", "threshold"),
            "metrics.threshold must be a ratio in (0, 1]",
        ));
    }
    if parse_rate_window(&m.window).is_none() {
        out.push(Diagnostic::at(
            file,
            source,
            key_in_table(source, "metrics", "window"),
            format!(
                "metrics.window `{}` is not a Prometheus duration above zero and at most a \
                 week (e.g. \"5m\", \"90s\", \"1h\")",
                m.window
            ),
        ));
    }
    if m.max_page_bytes == 0 {
        out.push(Diagnostic::at(
            file,
            source,
            key_in_table(source, "metrics", "max_page_bytes"),
            "metrics.max_page_bytes must be above 0",
        ));
    }
    if !is_label_name(&m.revision_label) {
        out.push(Diagnostic::at(
            file,
            source,
            key_in_table(source, "metrics", "revision_label"),
            format!(
                "metrics.revision_label `{}` is not a Prometheus label name \
                 ([a-zA-Z_][a-zA-Z0-9_]*)",
                m.revision_label
            ),
        ));
    }
}

/// Keys whose value is bad fall back to their default (after [`validate`] said so).
pub(super) fn retain_valid(m: &mut MetricsConfig) {
    if !(m.threshold > 0.0 && m.threshold <= 1.0) {
        m.threshold = threshold();
    }
    if !is_label_name(&m.revision_label) {
        m.revision_label = revision_label();
    }
    if parse_rate_window(&m.window).is_none() {
        m.window = rate_window();
    }
}
