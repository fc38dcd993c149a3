//! `flightdeck gpu --once [--json]`: one sample of every GPU the console sees.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use super::local::{GpuError, sample_local_once};
use super::model::{GpuSample, HostSample, MigInstance};
use super::prometheus::{GpuPrometheusConfig, INSTANT_QUERY, MAX_ANSWER_BYTES, fold};
use super::remote::{http_client, scrape_host};
use crate::sources::metrics::prometheus::PrometheusClient;

/// What `--once --json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct OnceReport {
    /// Local first (when NVML works), then the configured hosts in order, then the hosts of
    /// the Prometheus fleet in name order.
    pub hosts: Vec<HostSample>,
    /// Why there are no local GPUs, when there are none.
    pub local_unavailable: Option<String>,
    /// How many hosts at the end of `hosts` are the Prometheus fleet's (named by the
    /// caller after their nodes before the report is written).
    #[serde(skip)]
    pub fleet: usize,
}

/// How long one NVML sample may take.
const NVML_BOUND: Duration = Duration::from_secs(10);

/// What `gpu --once` reads.
#[derive(Debug, Clone, Default)]
pub struct OnceSources {
    /// This machine's GPUs through NVML (from `nvml_lib` when given).
    pub local: bool,
    pub nvml_lib: Option<PathBuf>,
    /// `[[gpu.host]]` pages: `(name, url)`.
    pub pages: Vec<(String, String)>,
    /// A fleet through Prometheus: one instant query.
    pub prometheus: Option<GpuPrometheusConfig>,
}

/// Samples NVML (from `nvml_lib` when given) and scrapes `hosts` (`(name, url)`)
/// once. Returns the text for stdout (a table, or JSON with `json`) and whether
/// anything failed: a host that could not be read, an explicit `nvml_lib` that does
/// not load, or no GPU seen at all.
pub async fn run_once(
    hosts: Vec<(String, String)>,
    nvml_lib: Option<PathBuf>,
    json: bool,
) -> (String, bool) {
    let sources = OnceSources {
        local: true,
        nvml_lib,
        pages: hosts,
        prometheus: None,
    };
    run_once_with(sources, json).await
}

/// One Prometheus read of the whole fleet: the hosts its GPU series name, or one failed
/// sample saying why it could not be read.
async fn read_fleet(config: &GpuPrometheusConfig) -> Vec<HostSample> {
    let name = format!("prometheus {}", config.url);
    let now = jiff::Timestamp::now();
    let http = match http_client(Duration::from_secs(10)) {
        Ok(http) => http,
        Err(e) => return vec![HostSample::failed(&name, now, e)],
    };
    let client = PrometheusClient::new(http, &config.url).with_max_bytes(MAX_ANSWER_BYTES);
    match client.query(INSTANT_QUERY, None).await {
        Ok(series) => fold(&config.host_label, &series, &[], jiff::Timestamp::now()),
        Err(e) => vec![HostSample::failed(&name, now, e)],
    }
}

/// [`run_once`] over every source the console reads: NVML when `local`, the pages, and the
/// Prometheus fleet.
pub async fn run_once_with(sources: OnceSources, json: bool) -> (String, bool) {
    let (report, failed) = collect_once(sources).await;
    write_once(&report, json, failed)
}

/// One sample of every source: the report and whether anything failed (see [`run_once`]).
pub async fn collect_once(sources: OnceSources) -> (OnceReport, bool) {
    let OnceSources {
        local,
        nvml_lib,
        pages: hosts,
        prometheus,
    } = sources;
    let explicit_lib = nvml_lib.is_some();
    let local_task =
        local.then(|| tokio::task::spawn_blocking(move || sample_local_once(nvml_lib.as_deref())));
    let remote = async {
        if hosts.is_empty() {
            return Vec::new();
        }
        match http_client(Duration::from_secs(5)) {
            Ok(client) => {
                let scrapes = hosts
                    .iter()
                    .map(|(name, url)| scrape_host(&client, name, url));
                futures::future::join_all(scrapes).await
            }
            Err(e) => hosts
                .iter()
                .map(|(name, _)| HostSample::failed(name, jiff::Timestamp::now(), e.clone()))
                .collect(),
        }
    };
    let fleet = async {
        match &prometheus {
            Some(config) => read_fleet(config).await,
            None => Vec::new(),
        }
    };
    // a driver that hangs must not hang the command: past the bound the sampler is
    // abandoned (the runtime's shutdown leaves it to the process's exit)
    let local = async {
        match local_task {
            Some(task) => Some(tokio::time::timeout(NVML_BOUND, task).await),
            None => None,
        }
    };
    let (local, remote, fleet) = futures::join!(local, remote, fleet);
    let local: Option<Result<HostSample, GpuError>> = local.map(|local| match local {
        Ok(Ok(sample)) => sample,
        Ok(Err(e)) => Err(GpuError::Nvml(format!("the NVML sampler failed: {e}"))),
        Err(_) => Err(GpuError::Nvml(format!(
            "NVML gave no answer in {} s",
            NVML_BOUND.as_secs()
        ))),
    });

    let mut report = OnceReport {
        hosts: Vec::new(),
        local_unavailable: None,
        fleet: 0,
    };
    let mut failed = false;
    match local {
        Some(Ok(sample)) => report.hosts.push(sample),
        Some(Err(e)) => {
            failed |= explicit_lib;
            report.local_unavailable = Some(e.to_string());
        }
        None => {}
    }
    report.hosts.extend(remote);
    if let Some(config) = prometheus.as_ref().filter(|_| fleet.is_empty()) {
        // nothing else seen either: say where the fleet was looked for
        if report.hosts.iter().all(|h| h.gpus.is_empty()) {
            report.hosts.push(HostSample::failed(
                &format!("prometheus {}", config.url),
                jiff::Timestamp::now(),
                "no GPU series (DCGM exporter's DCGM_FI_*, or dgx_gpu_*)".to_owned(),
            ));
        }
    }
    report.fleet = fleet.len();
    report.hosts.extend(fleet);
    failed |= report.hosts.iter().any(|h| h.error.is_some());
    failed |= report.hosts.iter().all(|h| h.gpus.is_empty());
    (report, failed)
}

/// The report as text for stdout (a table, or JSON with `json`), and whether anything
/// failed (`failed`, or the JSON could not be written).
pub fn write_once(report: &OnceReport, json: bool, mut failed: bool) -> (String, bool) {
    let text = if json {
        match serde_json::to_string_pretty(report) {
            Ok(mut s) => {
                s.push('\n');
                s
            }
            Err(e) => {
                failed = true;
                format!("{{\"error\": \"cannot write JSON: {e}\"}}\n")
            }
        }
    } else {
        table(report)
    };
    (text, failed)
}

/// A compact nvidia-smi-like table.
pub fn table(report: &OnceReport) -> String {
    let mut out = String::new();
    if let Some(line) = &report.local_unavailable {
        let _ = writeln!(out, "{line}");
    }
    let rows: Vec<[String; 9]> = report
        .hosts
        .iter()
        .flat_map(|h| h.gpus.iter())
        .flat_map(|g| std::iter::once(row(g)).chain(g.mig.iter().map(|m| mig_row(g, m))))
        .collect();
    if !rows.is_empty() {
        let header = [
            "HOST", "IDX", "NAME", "UTIL", "MEMORY", "TEMP", "POWER", "SM MHz", "MEM MHz",
        ];
        let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
        for r in &rows {
            for (w, cell) in widths.iter_mut().zip(r.iter()) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: &[&str]| {
            let mut s = String::new();
            for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
                // Text columns left-aligned, numbers right-aligned.
                if i == 0 || i == 2 {
                    let _ = write!(s, "{cell:<w$}  ");
                } else {
                    let _ = write!(s, "{cell:>w$}  ");
                }
            }
            s.trim_end().to_string()
        };
        let _ = writeln!(out, "{}", line(&header));
        for r in &rows {
            let cells: Vec<&str> = r.iter().map(String::as_str).collect();
            let _ = writeln!(out, "{}", line(&cells));
        }
    }
    for g in report.hosts.iter().flat_map(|h| h.gpus.iter()) {
        if let Some(down) = &g.down {
            let _ = writeln!(out, "{} GPU {}: {down}", g.host, g.index);
        }
    }
    for h in &report.hosts {
        if let Some(e) = &h.error {
            let _ = writeln!(out, "{}: {e}", h.host);
        } else if h.gpus.is_empty() {
            let _ = writeln!(out, "{}: no GPUs on the page", h.host);
        }
    }
    out
}

const NA: &str = "n/a";

/// A MIG instance's row under its GPU's: `MIG 3g.40gb (instance 2)`, its utilisation (the
/// graphics engine's activity) and memory; the rest is the GPU's.
fn mig_row(g: &GpuSample, m: &MigInstance) -> [String; 9] {
    let name = match &m.profile {
        Some(p) => format!("  MIG {p} (instance {})", m.id),
        None => format!("  MIG instance {}", m.id),
    };
    [
        g.host.clone(),
        g.index.to_string(),
        name,
        m.util_pct
            .map_or_else(|| NA.to_string(), |u| format!("{u}%")),
        m.memory.text(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
    ]
}

fn row(g: &GpuSample) -> [String; 9] {
    let opt = |v: Option<String>| v.unwrap_or_else(|| NA.to_string());
    let name = g.name.clone().unwrap_or_else(|| NA.to_string());
    if g.down.is_some() {
        return [
            g.host.clone(),
            g.index.to_string(),
            name,
            "DOWN".to_string(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ];
    }
    let memory = g.memory.text();
    let power = match (g.power_w, g.power_limit_w) {
        (None, None) => NA.to_string(),
        (p, l) => format!(
            "{} / {} W",
            p.map_or(NA.to_string(), |p| format!("{p:.0}")),
            l.map_or(NA.to_string(), |l| format!("{l:.0}"))
        ),
    };
    let clocks = |cur: Option<u32>, max: Option<u32>| match (cur, max) {
        (None, None) => NA.to_string(),
        (c, m) => format!(
            "{} / {}",
            c.map_or(NA.to_string(), |c| c.to_string()),
            m.map_or(NA.to_string(), |m| m.to_string())
        ),
    };
    let mut temp = opt(g.temperature_c.map(|t| format!("{t}C")));
    if g.is_throttled() {
        temp = format!("{temp} [{}]", g.slowdown_words());
    }
    [
        g.host.clone(),
        g.index.to_string(),
        name,
        opt(g.util_gpu_pct.map(|u| format!("{u}%"))),
        memory,
        temp,
        power,
        clocks(g.sm_clock_mhz, g.sm_clock_max_mhz),
        clocks(g.mem_clock_mhz, g.mem_clock_max_mhz),
    ]
}
