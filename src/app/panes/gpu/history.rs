//! What the GPU pane renders from: the last sample of every GPU, a bounded history
//! per GPU, and which hosts are stale. Plain data built by [`GpuState::apply`] from
//! the sources' [`GpuUpdate`]s; no I/O and no ratatui.

use std::collections::VecDeque;
use std::time::Duration;

use jiff::Timestamp;

use crate::sources::gpu::model::{
    GpuIndex, GpuProcess, GpuSample, GpuUpdate, HostSample, LOCAL_HOST,
};

/// What a GPU whose series are gone shows as its `down` reason.
pub const GONE: &str = "fell off the bus (its series are gone)";

/// Adds `gpu`'s point at `time` to its history: the source's own history points first
/// (Prometheus's `query_range`, only those newer than the last point), the current values
/// on the newest. Empties `gpu.util_history` (it is carried in `history` now).
fn push_history(history: &mut GpuHistory, gpu: &mut GpuSample, time: Timestamp) {
    let points = std::mem::take(&mut gpu.util_history);
    let mut last = history.points().next_back().map(|p| p.time);
    for (at, util) in points {
        if last.is_some_and(|l| at <= l) || at > time {
            continue;
        }
        history.push(HistoryPoint {
            time: at,
            util_pct: Some(util),
            mem_pct: None,
            temp_c: None,
            power_w: None,
        });
        last = Some(at);
    }
    if last.is_none_or(|l| l < time) {
        history.push(HistoryPoint::of(gpu, time));
    }
}

/// Whether a GPU whose series are gone was replaced rather than lost: a GPU its host never
/// showed before (`known` are the UUIDs it showed) now has its index.
fn replaced(gone: &GpuEntry, now: &[GpuEntry], known: &[String]) -> bool {
    now.iter().any(|e| {
        e.sample.index == gone.sample.index
            && e.sample.uuid != gone.sample.uuid
            && !known.contains(&e.sample.uuid)
    })
}

/// How far back the per-GPU history reaches.
pub const HISTORY_WINDOW: Duration = Duration::from_secs(10 * 60);

/// At most this many points per GPU: the window at the fastest sample interval (250 ms).
pub const HISTORY_CAP: usize = 2400;

/// One point of a GPU's history. `None` is a gap (n/a, or the device was down).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistoryPoint {
    pub time: Timestamp,
    pub util_pct: Option<f32>,
    pub mem_pct: Option<f32>,
    pub temp_c: Option<f32>,
    pub power_w: Option<f32>,
}

impl HistoryPoint {
    fn of(sample: &GpuSample, time: Timestamp) -> Self {
        HistoryPoint {
            time,
            util_pct: sample.util_gpu_pct.map(|v| v as f32),
            mem_pct: sample.memory_used_pct().map(|v| v as f32),
            temp_c: sample.temperature_c.map(|v| v as f32),
            power_w: sample.power_w.map(|v| v as f32),
        }
    }
}

/// A bounded ring of the last [`HISTORY_WINDOW`] of one GPU.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GpuHistory {
    points: VecDeque<HistoryPoint>,
}

impl GpuHistory {
    pub fn push(&mut self, point: HistoryPoint) {
        // A clock step backwards would break the window: start over from it.
        if self
            .points
            .back()
            .is_some_and(|last| last.time > point.time)
        {
            self.points.clear();
        }
        self.points.push_back(point);
        let window = jiff::SignedDuration::try_from(HISTORY_WINDOW).unwrap_or_default();
        if let Ok(oldest) = point.time.checked_sub(window) {
            while self.points.front().is_some_and(|p| p.time < oldest) {
                self.points.pop_front();
            }
        }
        while self.points.len() > HISTORY_CAP {
            self.points.pop_front();
        }
    }

    pub fn points(&self) -> impl DoubleEndedIterator<Item = &HistoryPoint> + ExactSizeIterator {
        self.points.iter()
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The last `n` utilisation values, oldest first (for a sparkline).
    pub fn recent_util(&self, n: usize) -> Vec<Option<f32>> {
        let skip = self.points.len().saturating_sub(n);
        self.points.iter().skip(skip).map(|p| p.util_pct).collect()
    }
}

/// One GPU as the pane sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct GpuEntry {
    /// The last sample; kept (stale) while its host cannot be read.
    pub sample: GpuSample,
    pub history: GpuHistory,
    /// Since when the clocks have been held down for a slowdown reason.
    pub throttled_since: Option<Timestamp>,
    /// Since when the current XID (`sample.xid`, non-zero) has been seen.
    pub xid_since: Option<Timestamp>,
    /// Set when the GPU's series are gone while its host's others are there: it fell
    /// off the bus (or its exporter lost it). The sample is its last one, marked down.
    pub gone_since: Option<Timestamp>,
}

impl GpuEntry {
    /// The GPU's processes, most GPU memory first (unknown memory last).
    pub fn processes_by_memory(&self) -> Vec<&GpuProcess> {
        let mut list: Vec<&GpuProcess> = self.sample.processes.iter().flatten().collect();
        list.sort_by_key(|p| std::cmp::Reverse(p.gpu_memory_bytes));
        list
    }
}

/// One host (local, or a `[[gpu.host]]`).
#[derive(Debug, Clone, PartialEq)]
pub struct HostState {
    pub name: String,
    pub gpus: Vec<GpuEntry>,
    /// Why the last read failed; the GPUs above are then stale.
    pub error: Option<String>,
    /// When the last good sample was taken.
    pub last_good: Option<Timestamp>,
    /// When the last read (good or failed) happened.
    pub last_update: Timestamp,
    pub driver_version: Option<String>,
}

impl HostState {
    pub fn is_stale(&self) -> bool {
        self.error.is_some()
    }

    /// How old the shown values are, when the host is stale: `None` when fresh, or
    /// when it never had a good sample.
    pub fn stale_for(&self, now: Timestamp) -> Option<Duration> {
        if !self.is_stale() {
            return None;
        }
        let last = self.last_good?;
        let age = now.duration_since(last);
        Some(Duration::try_from(age).unwrap_or(Duration::ZERO))
    }
}

/// Everything the GPU pane shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GpuState {
    /// Local first, then remote hosts in the order they first reported.
    pub hosts: Vec<HostState>,
    /// The one line shown when there are no local GPUs (no NVML, no driver, no GPU).
    pub local_unavailable: Option<String>,
    /// Why the last Prometheus round failed (every host is then stale).
    pub source_error: Option<String>,
    /// Host positions in [`Self::hosts`], worst first (see `health::sort_hosts`).
    pub order: Vec<usize>,
    /// Hosts the user expanded (`true`) or collapsed (`false`) with `enter`; the others
    /// follow `health::expanded_by_default`.
    pub toggled: std::collections::HashMap<String, bool>,
    /// How the Prometheus fleet's hosts are named after their nodes.
    pub fleet_names: super::nodes::FleetNames,
}

impl GpuState {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn apply(&mut self, update: GpuUpdate) {
        match update {
            GpuUpdate::NvmlUnavailable(line) => self.local_unavailable = Some(line),
            GpuUpdate::Host(sample) => {
                if sample.host == LOCAL_HOST {
                    self.local_unavailable = None;
                }
                self.apply_host(sample);
            }
            GpuUpdate::Round(hosts) => {
                self.source_error = None;
                for sample in hosts {
                    self.apply_host(sample);
                }
            }
            GpuUpdate::Failed(error) => {
                // every host keeps its last values, shown stale
                for host in &mut self.hosts {
                    host.error = Some(error.clone());
                }
                self.source_error = Some(error);
            }
        }
    }

    /// A host shown under `from` is shown under `to` from now on (its exporter's pod was
    /// matched to its node): it keeps its GPUs' history; where `to` is already shown, `from`
    /// goes.
    pub fn rename_host(&mut self, from: &str, to: &str) {
        let Some(i) = self.hosts.iter().position(|h| h.name == from) else {
            return;
        };
        if self.hosts.iter().any(|h| h.name == to) {
            self.hosts.remove(i);
        } else {
            self.hosts[i].name = to.to_owned();
            for g in &mut self.hosts[i].gpus {
                g.sample.host = to.to_owned();
            }
            if let Some(open) = self.toggled.remove(from) {
                self.toggled.insert(to.to_owned(), open);
            }
        }
        self.order.clear();
    }

    fn apply_host(&mut self, sample: HostSample) {
        let position = self.hosts.iter().position(|h| h.name == sample.host);
        let host = match position {
            Some(i) => &mut self.hosts[i],
            None => {
                let fresh = HostState {
                    name: sample.host.clone(),
                    gpus: Vec::new(),
                    error: None,
                    last_good: None,
                    last_update: sample.time,
                    driver_version: None,
                };
                let at = if sample.host == LOCAL_HOST {
                    0
                } else {
                    self.hosts.len()
                };
                self.hosts.insert(at, fresh);
                &mut self.hosts[at]
            }
        };
        host.last_update = sample.time;
        if let Some(error) = sample.error {
            // Keep the last values; the pane marks them stale with their age.
            host.error = Some(error);
            return;
        }
        host.error = None;
        host.last_good = Some(sample.time);
        if sample.driver_version.is_some() {
            host.driver_version = sample.driver_version;
        }
        let time = sample.time;
        let mut previous = std::mem::take(&mut host.gpus);
        // the UUIDs the host showed before this sample
        let known: Vec<String> = previous.iter().map(|e| e.sample.uuid.clone()).collect();
        let had_series = !sample.gpus.is_empty();
        host.gpus = sample
            .gpus
            .into_iter()
            .map(|mut gpu| {
                let mut before = previous
                    .iter()
                    .position(|e| e.sample.uuid == gpu.uuid)
                    .map(|i| previous.swap_remove(i));
                let mut history = before
                    .as_mut()
                    .map(|e| std::mem::take(&mut e.history))
                    .unwrap_or_default();
                push_history(&mut history, &mut gpu, time);
                let throttled_since = gpu
                    .is_throttled()
                    .then(|| before.as_ref().and_then(|e| e.throttled_since))
                    .map(|since| since.unwrap_or(time));
                let xid_since = match gpu.xid {
                    Some(x) if x > 0 => Some(
                        before
                            .as_ref()
                            .filter(|e| e.sample.xid == Some(x))
                            .and_then(|e| e.xid_since)
                            .unwrap_or(time),
                    ),
                    _ => None,
                };
                GpuEntry {
                    sample: gpu,
                    history,
                    throttled_since,
                    xid_since,
                    gone_since: None,
                }
            })
            .collect();
        // GPUs whose series are gone while the host's others are there fell off the bus:
        // remembered, marked down with no live value, until they come back; but one whose
        // place (its index) a GPU the host never showed before now takes was replaced (the
        // GPUs were swapped, or the exporter now reads another set): it is forgotten
        if had_series {
            for mut gone in previous {
                if replaced(&gone, &host.gpus, &known) {
                    continue;
                }
                gone.gone_since.get_or_insert(time);
                gone.throttled_since = None;
                gone.sample = gone.sample.off_bus(GONE);
                host.gpus.push(gone);
            }
            host.gpus
                .sort_by(|a, b| a.sample.index.cmp(&b.sample.index));
        }
    }

    pub fn host(&self, name: &str) -> Option<&HostState> {
        self.hosts.iter().find(|h| h.name == name)
    }

    /// A GPU by host and UUID.
    pub fn gpu(&self, host: &str, uuid: &str) -> Option<&GpuEntry> {
        self.host(host)?.gpus.iter().find(|g| g.sample.uuid == uuid)
    }

    pub fn gpu_count(&self) -> usize {
        self.hosts.iter().map(|h| h.gpus.len()).sum()
    }

    /// Every process on `host`'s GPUs with its GPU index, most GPU memory first.
    pub fn processes_by_memory(&self, host: &str) -> Vec<(GpuIndex, &GpuProcess)> {
        let mut list: Vec<(GpuIndex, &GpuProcess)> = self
            .host(host)
            .into_iter()
            .flat_map(|h| h.gpus.iter())
            .flat_map(|g| {
                g.sample
                    .processes
                    .iter()
                    .flatten()
                    .map(move |p| (g.sample.index.clone(), p))
            })
            .collect();
        list.sort_by_key(|(_, p)| std::cmp::Reverse(p.gpu_memory_bytes));
        list
    }
}
