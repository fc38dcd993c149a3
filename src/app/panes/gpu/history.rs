//! What the GPU pane renders from: the last sample of every GPU, a bounded history
//! per GPU, and which hosts are stale. Plain data built by [`GpuState::apply`] from
//! the sources' [`GpuUpdate`]s; no I/O and no ratatui.

use std::collections::VecDeque;
use std::time::Duration;

use jiff::Timestamp;

use crate::sources::gpu::model::{GpuProcess, GpuSample, GpuUpdate, HostSample, LOCAL_HOST};

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
        }
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
        let mut previous = std::mem::take(&mut host.gpus);
        host.gpus = sample
            .gpus
            .into_iter()
            .map(|gpu| {
                let mut history = previous
                    .iter()
                    .position(|e| e.sample.uuid == gpu.uuid)
                    .map(|i| previous.swap_remove(i).history)
                    .unwrap_or_default();
                history.push(HistoryPoint::of(&gpu, sample.time));
                GpuEntry {
                    sample: gpu,
                    history,
                }
            })
            .collect();
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
    pub fn processes_by_memory(&self, host: &str) -> Vec<(u32, &GpuProcess)> {
        let mut list: Vec<(u32, &GpuProcess)> = self
            .host(host)
            .into_iter()
            .flat_map(|h| h.gpus.iter())
            .flat_map(|g| {
                g.sample
                    .processes
                    .iter()
                    .flatten()
                    .map(move |p| (g.sample.index, p))
            })
            .collect();
        list.sort_by_key(|(_, p)| std::cmp::Reverse(p.gpu_memory_bytes));
        list
    }
}
