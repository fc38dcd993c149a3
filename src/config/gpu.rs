//! `[gpu]`: local GPUs through NVML, `[[gpu.host]]` pages scraped directly, or a fleet
//! through Prometheus (`[gpu] prometheus`). Plain data and its validation; the I/O is in
//! `sources::gpu`.

use std::path::PathBuf;

use serde::Deserialize;

use super::diag::{Diagnostic, key_in_table};
use super::entries::{Texts, entry_problem};
use super::metrics::is_label_name;

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GpuConfig {
    pub nvml_lib: Option<PathBuf>,
    /// Refresh interval; default 1 s for NVML, 2 s for scrapes and Prometheus.
    pub interval_ms: Option<u64>,
    #[serde(default, rename = "host")]
    pub hosts: Vec<GpuHost>,
    /// Prometheus base URL holding DCGM exporter's series; default `[metrics] prometheus`.
    pub prometheus: Option<String>,
    /// The label that names a GPU's host (default `hostname`, as dcgm-exporter writes it
    /// since NVIDIA/dcgm-exporter#655); then `hostname` and `Hostname` (its older spelling),
    /// then the host its scrape target's other GPUs are named under, then `instance`. In a
    /// cluster, a host the label names by the exporter's pod is shown as that pod's node.
    pub host_label: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GpuHost {
    pub name: String,
    pub scrape: Option<String>,
}

/// The default `[gpu] host_label`: DCGM exporter's own since NVIDIA/dcgm-exporter#655 (its
/// older `Hostname` is read next).
pub const DEFAULT_HOST_LABEL: &str = "hostname";

impl GpuConfig {
    /// The label naming a GPU's host.
    pub fn host_label(&self) -> &str {
        self.host_label.as_deref().unwrap_or(DEFAULT_HOST_LABEL)
    }
}

/// Where GPUs are read, for the console's GPU pane and `gpu --once` alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuReads {
    /// A fleet through Prometheus: `[gpu] prometheus`, or `[metrics] prometheus` when no
    /// `[[gpu.host]]` page is configured.
    pub prometheus: Option<String>,
    /// This machine's GPUs through NVML (not beside an explicit `[gpu] prometheus`: that
    /// fleet is the whole view).
    pub local: bool,
    /// `[[gpu.host]]` pages scraped directly: `(name, url)`.
    pub pages: Vec<(String, String)>,
}

impl GpuConfig {
    /// Where GPUs are read, given `[metrics] prometheus`.
    pub fn reads(&self, metrics_prometheus: Option<&str>) -> GpuReads {
        if let Some(url) = &self.prometheus {
            return GpuReads {
                prometheus: Some(url.clone()),
                local: false,
                pages: Vec::new(),
            };
        }
        GpuReads {
            prometheus: metrics_prometheus
                .filter(|_| self.hosts.is_empty())
                .map(str::to_owned),
            local: self.hosts.is_empty() || self.hosts.iter().any(|h| h.name == "local"),
            pages: self
                .hosts
                .iter()
                .filter_map(|h| Some((h.name.clone(), h.scrape.clone()?)))
                .collect(),
        }
    }
}

fn is_http(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

/// `[gpu]`'s problems, with where they are in the file.
pub(super) fn validate(gpu: &GpuConfig, texts: &Texts, out: &mut Vec<Diagnostic>) {
    let (file, source) = (texts.file, texts.source);
    for (i, h) in gpu.hosts.iter().enumerate() {
        if let Some(s) = h.scrape.as_deref().filter(|s| !is_http(s)) {
            out.push(entry_problem(
                texts,
                "gpu.host",
                i,
                "scrape",
                s,
                format!("gpu.host.scrape: `{s}` is not an http(s) URL"),
            ));
        }
    }
    if let Some(p) = gpu.prometheus.as_deref().filter(|p| !is_http(p)) {
        out.push(Diagnostic::at(
            file,
            source,
            key_in_table(source, "gpu", "prometheus"),
            format!("gpu.prometheus: `{p}` is not an http(s) URL"),
        ));
    }
    if let Some(label) = gpu.host_label.as_deref().filter(|l| !is_label_name(l)) {
        out.push(Diagnostic::at(
            file,
            source,
            key_in_table(source, "gpu", "host_label"),
            format!(
                "gpu.host_label `{label}` is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)"
            ),
        ));
    }
}

/// Drops what [`validate`] complained about, so the rest of `[gpu]` still works.
pub(super) fn retain_valid(gpu: &mut GpuConfig) {
    gpu.hosts
        .retain(|h| h.scrape.as_deref().is_none_or(is_http));
    if gpu.prometheus.as_deref().is_some_and(|p| !is_http(p)) {
        gpu.prometheus = None;
    }
    if gpu.host_label.as_deref().is_some_and(|l| !is_label_name(l)) {
        gpu.host_label = None;
    }
}
