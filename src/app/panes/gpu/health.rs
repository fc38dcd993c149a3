//! GPU health that pages: XID errors, double-bit ECC errors, a GPU that fell off the bus,
//! throttling held for more than a minute. Each is a marked row (first within its host), a
//! reason to sort its host first and to expand it, and the GPU line of the incident hint.
//! Pure: decisions on [`GpuState`] and `now`.

use std::time::Duration;

use jiff::Timestamp;

use super::{GpuEntry, GpuState, HostState};
use crate::app::state::State;
use crate::sources::gpu::model::GpuIndex;

/// Throttling held longer than this is a problem, not a blip.
pub const THROTTLE_PAGES_AFTER: Duration = Duration::from_secs(60);

/// A GPU at or above this utilisation counts as busy in the fleet summary.
pub const BUSY_UTIL_PCT: u32 = 10;

/// A fleet with at most this many GPUs shows every host expanded (up to four DGX).
pub const SMALL_FLEET_GPUS: usize = 32;

/// What is wrong with one GPU, worst kinds first.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// Its series are gone while its host's others are there.
    Gone { since: Timestamp },
    /// Down as its source says (NVML: lost, driver gone).
    Down { reason: String },
    /// The last XID error code, non-zero.
    Xid { code: u64, since: Option<Timestamp> },
    /// Double-bit (uncorrectable) ECC errors since the driver loaded.
    Ecc { count: u64 },
    /// Clocks held down for a slowdown reason for more than a minute.
    Throttled { words: String, since: Timestamp },
}

impl Problem {
    /// Higher is worse: the order of hosts and of rows within a host.
    pub fn severity(&self) -> u8 {
        match self {
            Problem::Gone { .. } | Problem::Xid { code: 79, .. } => 5,
            Problem::Down { .. } => 4,
            Problem::Xid { .. } | Problem::Ecc { .. } => 3,
            Problem::Throttled { .. } => 2,
        }
    }

    /// `XID 79 (fell off the bus)`, `2 double-bit ECC errors`, `throttled (power cap)`.
    pub fn words(&self) -> String {
        match self {
            Problem::Gone { .. } => "fell off the bus (its series are gone)".to_owned(),
            Problem::Down { reason } => format!("down: {reason}"),
            Problem::Xid { code, .. } => match xid_name(*code) {
                Some(name) => format!("XID {code} ({name})"),
                None => format!("XID {code}"),
            },
            Problem::Ecc { count } => format!(
                "{count} double-bit ECC error{}",
                if *count == 1 { "" } else { "s" }
            ),
            Problem::Throttled { words, .. } => format!("throttled ({words})"),
        }
    }

    pub fn since(&self) -> Option<Timestamp> {
        match self {
            Problem::Gone { since } | Problem::Throttled { since, .. } => Some(*since),
            Problem::Xid { since, .. } => *since,
            Problem::Down { .. } | Problem::Ecc { .. } => None,
        }
    }
}

/// The common XIDs an on-call engineer meets, in words (NVIDIA's XID catalogue).
pub fn xid_name(code: u64) -> Option<&'static str> {
    Some(match code {
        13 => "graphics engine exception",
        31 => "GPU memory page fault",
        43 => "GPU stopped processing",
        45 => "preemptive cleanup",
        48 => "double-bit ECC error",
        61 | 62 => "internal micro-controller error",
        63 => "ECC page retirement or row remap recorded",
        64 => "ECC page retirement or row remap failed",
        68 => "video processor exception",
        74 => "NVLink error",
        79 => "fell off the bus",
        92 => "high single-bit ECC error rate",
        94 => "contained ECC error",
        95 => "uncontained ECC error",
        119 => "GSP RPC timeout",
        120 => "GSP error",
        _ => return None,
    })
}

/// The worst thing wrong with `gpu` at `now`, if anything.
pub fn problem(gpu: &GpuEntry, now: Timestamp) -> Option<Problem> {
    let s = &gpu.sample;
    if let Some(since) = gpu.gone_since {
        return Some(Problem::Gone { since });
    }
    let xid = s.xid.filter(|&x| x > 0).map(|code| Problem::Xid {
        code,
        since: gpu.xid_since,
    });
    if let Some(p @ Problem::Xid { code: 79, .. }) = xid {
        return Some(p);
    }
    if let Some(reason) = &s.down {
        return Some(Problem::Down {
            reason: reason.clone(),
        });
    }
    if xid.is_some() {
        return xid;
    }
    if let Some(count) = s.ecc_uncorrected.filter(|&c| c > 0) {
        return Some(Problem::Ecc { count });
    }
    let since = gpu.throttled_since?;
    let held = Duration::try_from(now.duration_since(since)).unwrap_or(Duration::ZERO);
    (held >= THROTTLE_PAGES_AFTER).then(|| Problem::Throttled {
        words: s.slowdown_words(),
        since,
    })
}

/// How bad a host is: its worst GPU's severity; a stale host counts as 1.
pub fn host_severity(host: &HostState, now: Timestamp) -> u8 {
    let worst = host
        .gpus
        .iter()
        .filter_map(|g| problem(g, now))
        .map(|p| p.severity())
        .max()
        .unwrap_or(0);
    worst.max(u8::from(host.is_stale()))
}

/// The host's GPUs in row order: GPUs with a problem first (worst first), then by index.
pub fn gpu_order(host: &HostState, now: Timestamp) -> Vec<usize> {
    let mut order: Vec<(u8, &GpuIndex, usize)> = host
        .gpus
        .iter()
        .enumerate()
        .map(|(i, g)| {
            // problems first, then hot ones, then the rest by index
            let severity = problem(g, now).map_or(u8::from(is_hot(g)), |p| p.severity());
            (severity, &g.sample.index, i)
        })
        .collect();
    order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    order.into_iter().map(|(_, _, i)| i).collect()
}

/// Fills `gpu.order`: hosts worst first; equal ones keep their order (local first, then
/// as they first reported).
pub fn sort_hosts(gpu: &mut GpuState, now: Timestamp) {
    let mut order: Vec<(u8, usize)> = gpu
        .hosts
        .iter()
        .enumerate()
        .map(|(i, h)| (host_severity(h, now), i))
        .collect();
    order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    gpu.order = order.into_iter().map(|(_, i)| i).collect();
}

/// Whether a host shows its GPUs: as the user toggled it, else when it has a problem or
/// the fleet is small.
pub fn is_expanded(gpu: &GpuState, host: &HostState, now: Timestamp) -> bool {
    match gpu.toggled.get(&host.name) {
        Some(&expanded) => expanded,
        None => gpu.gpu_count() <= SMALL_FLEET_GPUS || host_severity(host, now) >= 2,
    }
}

/// Hot: at its slowdown temperature, or held down by a thermal throttle reason.
pub fn is_hot(g: &GpuEntry) -> bool {
    let s = &g.sample;
    s.is_hot()
        || s.throttle.iter().flatten().any(|r| {
            matches!(
                r,
                crate::sources::gpu::model::ThrottleReason::SwThermal
                    | crate::sources::gpu::model::ThrottleReason::HwThermal
            )
        })
}

/// A GPU row that must stay in view when a list is cut: a problem, or hot.
pub fn needs_eyes(g: &GpuEntry, now: Timestamp) -> bool {
    problem(g, now).is_some() || is_hot(g)
}

/// The fleet summary's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FleetCounts {
    pub hosts: usize,
    pub gpus: usize,
    pub busy: usize,
    pub hot: usize,
    pub erroring: usize,
    pub stale_hosts: usize,
}

pub fn fleet_counts(gpu: &GpuState, now: Timestamp) -> FleetCounts {
    let mut c = FleetCounts {
        hosts: gpu.hosts.len(),
        stale_hosts: gpu.hosts.iter().filter(|h| h.is_stale()).count(),
        ..FleetCounts::default()
    };
    for g in gpu.hosts.iter().flat_map(|h| &h.gpus) {
        c.gpus += 1;
        let s = &g.sample;
        c.busy += usize::from(s.busiest_util_pct().is_some_and(|u| u >= BUSY_UTIL_PCT));
        c.hot += usize::from(is_hot(g));
        c.erroring += usize::from(problem(g, now).is_some_and(|p| p.severity() >= 3));
    }
    c
}

/// The GPU line of the incident hint: the worst GPU problem of the fleet, e.g.
/// `⚠ dgx-07 GPU 3: XID 79 (fell off the bus) 2m ago — pod ml/train-llama-0`, with
/// `(+N more)` when other GPUs have one too.
pub fn gpu_hint(state: &State) -> Option<String> {
    gpu_hint_host(state).map(|(text, _, _)| text)
}

/// [`gpu_hint`], with the host it names and whether the GPU is broken (an XID, ECC
/// errors, gone or down: a node to cordon; not a throttled one).
pub fn gpu_hint_host(state: &State) -> Option<(String, String, bool)> {
    let now = state.now;
    let mut found: Vec<(u8, &HostState, &GpuEntry, Problem)> = state
        .gpu
        .hosts
        .iter()
        .flat_map(|h| h.gpus.iter().map(move |g| (h, g)))
        .filter_map(|(h, g)| problem(g, now).map(|p| (p.severity(), h, g, p)))
        .collect();
    // worst first; among equals the oldest
    found.sort_by(|a, b| b.0.cmp(&a.0).then(a.3.since().cmp(&b.3.since())));
    let (_, host, gpu, worst) = found.first()?;
    let mut text = format!(
        "⚠ {} GPU {}: {}",
        host.name,
        gpu.sample.index,
        worst.words()
    );
    if let Some(since) = worst.since() {
        let secs = now.duration_since(since).as_secs().max(0);
        match worst {
            Problem::Throttled { .. } => {
                text.push_str(&format!(" for {}", crate::text::format_secs(secs)))
            }
            _ => text.push_str(&format!(" {} ago", crate::text::format_secs(secs))),
        }
    }
    if let Some(pod) = &gpu.sample.pod {
        text.push_str(&format!(" — pod {}/{}", pod.namespace, pod.pod));
    }
    if found.len() > 1 {
        text.push_str(&format!(" (+{} more)", found.len() - 1));
    }
    let broken = !matches!(worst, Problem::Throttled { .. });
    Some((
        crate::text::clean(&text).into_owned(),
        host.name.clone(),
        broken,
    ))
}
