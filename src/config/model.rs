//! What `config.toml` holds: [`Config`] and its sections, plain data with their defaults.
//! Parsing and validation are in `parse.rs`; the sections with their own checks are in
//! `gpu.rs`, `hosts.rs` and `metrics.rs`.

use std::path::PathBuf;

use serde::Deserialize;

use super::gpu::GpuConfig;
use super::hosts::{HealthCheck, ServiceConfig};
use super::metrics::{DEFAULT_ERROR_THRESHOLD, MetricsConfig};

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

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KubeConfig {
    /// Kubeconfig file; default `$KUBECONFIG`, then `~/.kube/config`.
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub namespace: Option<String>,
    /// The bound on the API server's silence: with no contact (an event, a bookmark, the
    /// `/version` probe asked every third of it) for this long, `k8s` and the `logs` that
    /// stream through it are stale. Default 30.
    #[serde(default = "stale_after_secs")]
    pub stale_after_secs: u64,
    /// How long a drain (`r` on a node) waits for its evictions and for the pods to go
    /// (kubectl's `--timeout`). Default 300.
    #[serde(default = "drain_timeout_secs")]
    pub drain_timeout_secs: u64,
}

impl Default for KubeConfig {
    fn default() -> Self {
        KubeConfig {
            kubeconfig: None,
            context: None,
            namespace: None,
            stale_after_secs: stale_after_secs(),
            drain_timeout_secs: drain_timeout_secs(),
        }
    }
}

impl KubeConfig {
    /// [`KubeConfig::stale_after_secs`], at least 3 s (a third of it is the probe's
    /// interval and its bound).
    pub fn stale_after(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.stale_after_secs.max(3))
    }

    /// [`KubeConfig::drain_timeout_secs`], at least 1 s.
    pub fn drain_timeout(&self) -> u64 {
        self.drain_timeout_secs.max(1)
    }
}

fn stale_after_secs() -> u64 {
    30
}

fn drain_timeout_secs() -> u64 {
    300
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
    /// Label matchers that pick this environment's series out of a shared Prometheus
    /// (`{ namespace = "shop-staging" }`): added to every query of its
    /// `[[metrics.target]]`s in API mode.
    #[serde(default)]
    pub metrics_labels: std::collections::BTreeMap<String, String>,
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

    /// Where GPUs are read (the GPU pane and `gpu --once`).
    pub fn gpu_reads(&self) -> super::gpu::GpuReads {
        self.gpu
            .reads(self.metrics.as_ref().and_then(|m| m.prometheus.as_deref()))
    }

    /// Where the GPU fleet is read: `[gpu] prometheus`, else `[metrics] prometheus`.
    pub fn gpu_prometheus(&self) -> Option<&str> {
        self.gpu
            .prometheus
            .as_deref()
            .or_else(|| self.metrics.as_ref()?.prometheus.as_deref())
    }
}
