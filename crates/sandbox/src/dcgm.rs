//! The simulated DGX hosts' pages, `/gpu/{host}/metrics`: DCGM exporter's names and labels
//! (Kubernetes mode: `pod`, `namespace`, `container` on a GPU a pod holds, or the older
//! `pod_name`, `pod_namespace`, `container_name`) and the seed's `dgx_gpu_*` names, for eight
//! H100s per host. A page is rendered when it is scraped, from the simulated clock and the
//! world's GPU view (see `world/gpus.rs`); nothing is kept per GPU between scrapes.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Arc;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::Shared;
use super::rng::{Rng, fnv64};
use super::store::Kind;
use super::world::gpus::{
    self, GPUS_PER_HOST, GpuView, THROTTLE_HW_THERMAL, THROTTLE_IDLE, THROTTLE_SW_THERMAL,
};

pub const GPU_MODEL: &str = "NVIDIA H100 80GB HBM3";

/// The simulated H100's slowdown temperature; the `gpu-hot` GPU runs at 90 °C.
const SLOWDOWN_TEMP: f64 = 87.0;

pub struct GpuSample {
    pub index: usize,
    pub uuid: String,
    pub util: f64,
    pub temp: f64,
    pub power: f64,
    pub fb_used_mib: f64,
    pub fb_total_mib: f64,
    pub sm_clock: f64,
    pub mem_clock: f64,
    pub throttle: u64,
    pub xid: u32,
    pub dbe: u64,
    /// fell off the bus: not on the page
    pub lost: bool,
    /// the labels every DCGM series of this GPU carries before its MIG and host labels:
    /// `gpu`, `UUID`, `pci_bus_id`, `device`, `modelName`
    pub labels: String,
    /// the Kubernetes labels of the pod holding it (`,container=…,namespace=…,pod=…`), or empty
    pub pod_labels: String,
}

/// How a page is written, from its query: `GET /gpu/{host}/metrics?exporter=dcgm|dgx`
/// (only DCGM exporter's series, or only the seed's; both by default), `hostname=lower`
/// (DCGM's host label spelled `hostname`, as dcgm-exporter's newer releases write it),
/// `hostname=pod` (the host named by the exporter's own pod, as dcgm-exporter in Kubernetes
/// writes it without `NODE_NAME`: the pod on that node labelled
/// `app.kubernetes.io/name=dcgm-exporter`), `mig=N`
/// (GPUs 0 to N-1 partitioned into MIG instances, see [`MIG_LAYOUT`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageStyle {
    pub dcgm: bool,
    pub dgx: bool,
    pub lower_hostname: bool,
    /// the host label names the exporter's pod on the node
    pub pod_hostname: bool,
    pub mig: usize,
}

impl Default for PageStyle {
    fn default() -> Self {
        PageStyle {
            dcgm: true,
            dgx: true,
            lower_hostname: false,
            pod_hostname: false,
            mig: 0,
        }
    }
}

impl PageStyle {
    pub fn from_query(q: &HashMap<String, String>) -> Result<PageStyle, String> {
        let mut style = PageStyle::default();
        match q.get("exporter").map(String::as_str) {
            None | Some("both") => {}
            Some("dcgm") => style.dgx = false,
            Some("dgx") => style.dcgm = false,
            Some(other) => return Err(format!("unknown exporter {other:?} (dcgm, dgx, both)")),
        }
        match q.get("hostname").map(String::as_str) {
            None | Some("upper") => {}
            Some("lower") => style.lower_hostname = true,
            Some("pod") => style.pod_hostname = true,
            Some(other) => return Err(format!("unknown hostname {other:?} (upper, lower, pod)")),
        }
        if let Some(n) = q.get("mig") {
            style.mig = n
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= GPUS_PER_HOST)
                .ok_or_else(|| format!("mig {n:?} is not a GPU count (0 to {GPUS_PER_HOST})"))?;
        }
        Ok(style)
    }
}

/// A partitioned H100's MIG instances: (`GPU_I_ID`, `GPU_I_PROFILE`, memory in MiB). The pod
/// holding the GPU runs on the first; the others idle.
pub const MIG_LAYOUT: [(u32, &str, f64); 3] = [
    (2, "3g.40gb", 40_448.0),
    (3, "2g.20gb", 20_096.0),
    (9, "1g.10gb", 9_984.0),
];

/// Escapes a label value for the text format.
fn label_value(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The eight GPUs of `host` at `now_ms`: a GPU a pod holds is busy (a slow wave of load), a
/// free one idles; `hot` makes `dgx-01` GPU 3 run at 90 °C (the `gpu-hot` scenario).
pub fn gpu_samples(
    host: &str,
    seed: u64,
    now_ms: i64,
    hot: bool,
    views: &[GpuView],
    old_labels: bool,
    generation: u64,
) -> Vec<GpuSample> {
    // a replaced GPU set (a new generation) has new UUIDs
    let mut idrng =
        Rng::new(seed ^ fnv64(host.as_bytes()) ^ generation.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let buses = ["18", "2a", "3a", "5d", "9a", "ab", "ba", "db"];
    let t = now_ms as f64 / 1000.0;
    let idle_view = GpuView::default();
    (0..GPUS_PER_HOST)
        .map(|i| {
            let v = views.get(i).unwrap_or(&idle_view);
            let uuid = format!(
                "GPU-{}-{}-{}-{}-{}",
                idrng.hex(8),
                idrng.hex(4),
                idrng.hex(4),
                idrng.hex(4),
                idrng.hex(12)
            );
            let phase = i as f64 * 0.7;
            let busy = v.holder.is_some();
            let (mut util, mut temp, mut power) = if busy {
                let util = 62.0 + 25.0 * (t / 90.0 + phase).sin() + 5.0 * (t / 7.0 + phase).sin();
                let temp = 48.0 + util * 0.22 + 2.0 * (t / 45.0 + phase).cos();
                (util, temp, 180.0 + util * 4.6)
            } else {
                (0.0, 31.0 + 1.5 * (t / 45.0 + phase).cos(), 69.0 + (i as f64) * 0.4)
            };
            let mut sm = 1980.0;
            if hot && host == "dgx-01" && i == 3 {
                util = 100.0;
                temp = 90.0;
                power = 698.0;
                sm = 1140.0;
            }
            if let Some(c) = v.fault.temp_c {
                temp = c;
            }
            if v.fault.throttle.is_some() {
                sm = 1140.0;
            }
            util = util.clamp(0.0, 100.0).round();
            temp = temp.round();
            let throttle = match v.fault.throttle {
                Some(bits) => bits,
                None if temp >= SLOWDOWN_TEMP => THROTTLE_SW_THERMAL | THROTTLE_HW_THERMAL,
                None if !busy => THROTTLE_IDLE,
                None => 0,
            };
            let total = 81_559.0;
            let used = if busy || util > 0.0 {
                (total * (0.35 + 0.5 * util / 100.0)).round()
            } else {
                0.0
            };
            let pci = format!("00000000:{}:00.0", buses[i].to_uppercase());
            let labels = format!(
                "gpu=\"{i}\",UUID=\"{uuid}\",pci_bus_id=\"{pci}\",device=\"nvidia{i}\",modelName=\"{GPU_MODEL}\""
            );
            let mut pod_labels = String::new();
            if let Some(h) = &v.holder {
                let (p, n, c) = if old_labels {
                    ("pod_name", "pod_namespace", "container_name")
                } else {
                    ("pod", "namespace", "container")
                };
                let _ = write!(
                    pod_labels,
                    ",{c}=\"{}\",{n}=\"{}\",{p}=\"{}\"",
                    label_value(&h.container),
                    label_value(&h.namespace),
                    label_value(&h.pod)
                );
            }
            GpuSample {
                index: i,
                uuid,
                util,
                temp,
                power: (power * 1000.0).round() / 1000.0,
                fb_used_mib: used,
                fb_total_mib: total,
                sm_clock: sm,
                mem_clock: 2619.0,
                throttle,
                xid: v.fault.xid,
                dbe: v.fault.dbe,
                lost: v.lost,
                labels,
                pod_labels,
            }
        })
        .collect()
}

type F = fn(&GpuSample) -> f64;

/// DCGM exporter's series: (name, help, value).
const DCGM: [(&str, &str, F); 13] = [
    (
        "DCGM_FI_DEV_SM_CLOCK",
        "SM clock frequency (in MHz).",
        |g| g.sm_clock,
    ),
    (
        "DCGM_FI_DEV_MEM_CLOCK",
        "Memory clock frequency (in MHz).",
        |g| g.mem_clock,
    ),
    ("DCGM_FI_DEV_GPU_TEMP", "GPU temperature (in C).", |g| {
        g.temp
    }),
    ("DCGM_FI_DEV_POWER_USAGE", "Power draw (in W).", |g| g.power),
    ("DCGM_FI_DEV_GPU_UTIL", "GPU utilization (in %).", |g| {
        g.util
    }),
    (
        "DCGM_FI_DEV_FB_FREE",
        "Framebuffer memory free (in MiB).",
        |g| g.fb_total_mib - g.fb_used_mib,
    ),
    (
        "DCGM_FI_DEV_FB_USED",
        "Framebuffer memory used (in MiB).",
        |g| g.fb_used_mib,
    ),
    (
        "DCGM_FI_DEV_XID_ERRORS",
        "Value of the last XID error encountered.",
        |g| g.xid as f64,
    ),
    (
        "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL",
        "Total number of double-bit volatile ECC errors.",
        |g| g.dbe as f64,
    ),
    // not in dcgm-exporter's default counters; a DGX exporter configured with a custom
    // counters file adds them, and they let the console colour heat against the limit
    (
        "DCGM_FI_DEV_SLOWDOWN_TEMP",
        "Slowdown temperature (in C).",
        |_| SLOWDOWN_TEMP,
    ),
    (
        "DCGM_FI_DEV_POWER_MGMT_LIMIT",
        "Power management limit (in W).",
        |_| 700.0,
    ),
    (
        "DCGM_FI_DEV_CLOCK_THROTTLE_REASONS",
        "Current clock throttle reasons (bitmask).",
        // NVML: 0x1 idle, 0x4 SW power cap, 0x8 HW slowdown, 0x20 SW thermal slowdown,
        // 0x40 HW thermal slowdown, 0x80 HW power brake
        |g| g.throttle as f64,
    ),
    (
        "DCGM_FI_DEV_MEMORY_TEMP",
        "Memory temperature (in C).",
        |g| g.temp + 4.0,
    ),
];

/// The seed's `dgx_gpu_*` series (labels `gpu`, `uuid`, `hostname`).
const DGX: [(&str, &str, F); 5] = [
    (
        "dgx_gpu_temperature_celsius",
        "GPU temperature in degrees Celsius.",
        |g| g.temp,
    ),
    (
        "dgx_gpu_utilization_percent",
        "GPU utilization in percent.",
        |g| g.util,
    ),
    (
        "dgx_gpu_memory_used_bytes",
        "GPU memory used in bytes.",
        |g| g.fb_used_mib * 1_048_576.0,
    ),
    (
        "dgx_gpu_memory_total_bytes",
        "GPU memory total in bytes.",
        |g| g.fb_total_mib * 1_048_576.0,
    ),
    ("dgx_gpu_power_watts", "GPU power draw in watts.", |g| {
        g.power
    }),
];

/// Whether DCGM reports a field for a MIG instance of its own (the rest are the whole GPU's,
/// repeated on each instance's series); `GPU_UTIL` it does not report for MIG at all.
fn per_instance(name: &str) -> bool {
    matches!(name, "DCGM_FI_DEV_FB_FREE" | "DCGM_FI_DEV_FB_USED")
}

/// A MIG instance's reading of a per-instance field, or its graphics engine's activity.
fn instance_value(name: &str, g: &GpuSample, k: usize) -> f64 {
    let (_, _, size) = MIG_LAYOUT[k];
    // the pod's instance works as the whole GPU would; the others idle
    let util = if k == 0 { g.util } else { 0.0 };
    let used = if k == 0 && g.fb_used_mib > 0.0 {
        (size * (0.35 + 0.5 * util / 100.0)).round()
    } else {
        0.0
    };
    match name {
        "DCGM_FI_DEV_FB_FREE" => size - used,
        "DCGM_FI_DEV_FB_USED" => used,
        _ => util / 100.0,
    }
}

pub fn render_gpu(host: &str, samples: &[GpuSample], style: PageStyle) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let present: Vec<&GpuSample> = samples.iter().filter(|g| !g.lost).collect();
    let host_label = if style.lower_hostname {
        "hostname"
    } else {
        "Hostname"
    };
    let is_mig = |g: &GpuSample| g.index < style.mig;
    if style.dcgm {
        for (name, help, f) in DCGM {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} gauge");
            for g in &present {
                if !is_mig(g) {
                    let _ = writeln!(
                        out,
                        "{name}{{{},{host_label}=\"{host}\"{}}} {}",
                        g.labels,
                        g.pod_labels,
                        f(g)
                    );
                    continue;
                }
                if name == "DCGM_FI_DEV_GPU_UTIL" {
                    continue;
                }
                for (k, (id, profile, _)) in MIG_LAYOUT.iter().enumerate() {
                    let value = if per_instance(name) {
                        instance_value(name, g, k)
                    } else {
                        f(g)
                    };
                    let pod = if k == 0 { g.pod_labels.as_str() } else { "" };
                    let _ = writeln!(
                        out,
                        "{name}{{{},GPU_I_PROFILE=\"{profile}\",GPU_I_ID=\"{id}\",{host_label}=\"{host}\"{pod}}} {value}",
                        g.labels
                    );
                }
            }
        }
        if style.mig > 0 {
            let name = "DCGM_FI_PROF_GR_ENGINE_ACTIVE";
            let _ = writeln!(
                out,
                "# HELP {name} Ratio of time the graphics engine is active."
            );
            let _ = writeln!(out, "# TYPE {name} gauge");
            for g in present.iter().filter(|g| is_mig(g)) {
                for (k, (id, profile, _)) in MIG_LAYOUT.iter().enumerate() {
                    let pod = if k == 0 { g.pod_labels.as_str() } else { "" };
                    let _ = writeln!(
                        out,
                        "{name}{{{},GPU_I_PROFILE=\"{profile}\",GPU_I_ID=\"{id}\",{host_label}=\"{host}\"{pod}}} {:.6}",
                        g.labels,
                        instance_value(name, g, k)
                    );
                }
            }
        }
    }
    if style.dgx {
        for (name, help, f) in DGX {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} gauge");
            for g in &present {
                let _ = writeln!(
                    out,
                    "{name}{{gpu=\"{}\",uuid=\"{}\",hostname=\"{host}\"}} {}",
                    g.index,
                    g.uuid,
                    f(g)
                );
            }
        }
    }
    out
}

/// The label of dcgm-exporter's pods (its Helm chart's).
const EXPORTER_LABEL: (&str, &str) = ("app.kubernetes.io/name", "dcgm-exporter");

/// `GET /gpu/{host}/metrics`.
pub fn serve(shared: &Arc<Shared>, rest: &str, q: &HashMap<String, String>) -> Response {
    let Some(host) = rest.strip_suffix("/metrics") else {
        return (StatusCode::NOT_FOUND, "no such host\n").into_response();
    };
    let style = match PageStyle::from_query(q) {
        Ok(style) => style,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response(),
    };
    let mut w = shared.lock();
    let Some(n) = gpus::host_number(host, w.gpu.hosts) else {
        return (StatusCode::NOT_FOUND, "no such host\n").into_response();
    };
    // in Kubernetes, dcgm-exporter's host label is its own pod's name
    let exporter_pod = w
        .store
        .map(Kind::Pod)
        .values()
        .find(|p| p.node == host && p.label(EXPORTER_LABEL.0) == Some(EXPORTER_LABEL.1))
        .map(|p| p.name.clone());
    let label_host = match (style.pod_hostname, exporter_pod) {
        (false, _) => host.to_owned(),
        (true, Some(pod)) => pod,
        (true, None) => {
            return (
                StatusCode::NOT_FOUND,
                format!("no pod labelled app.kubernetes.io/name=dcgm-exporter on {host}\n"),
            )
                .into_response();
        }
    };
    let views = w.gpu_view(n);
    let samples = gpu_samples(
        host,
        w.seed,
        w.now_ms,
        w.gpu_hot,
        &views,
        w.gpu.old_pod_labels,
        w.gpu.generation(n),
    );
    drop(w);
    let out = render_gpu(&label_host, &samples, style);
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

/// One entry of Prometheus's `scrape_configs:` (indented to sit under it) that scrapes every
/// DGX host of the sandbox at `addr`: a target group per host, its `__metrics_path__` the
/// host's page and its `instance` label the host's name.
pub fn scrape_config(job: &str, addr: &str, hosts: usize, interval: &str) -> String {
    let mut s =
        format!("  - job_name: {job:?}\n    scrape_interval: {interval}\n    static_configs:\n");
    for h in 1..=hosts {
        let host = gpus::host_name(h);
        let _ = write!(
            s,
            "      - targets: [\"{addr}\"]\n        labels:\n          __metrics_path__: \"/gpu/{host}/metrics\"\n          instance: \"{host}\"\n"
        );
    }
    s
}
