//! The GPU fleet: DGX hosts `dgx-01` … `dgx-NN` (eight H100s each), which are also the
//! cluster's GPU nodes; the device plugin's record of which pod holds which GPU (a pod whose
//! containers ask for `nvidia.com/gpu` goes to the schedulable DGX node with the most free
//! GPUs, ties to the lowest number, and gets that node's lowest free GPU indices); the `ml`
//! namespace's training StatefulSet `train-llama` (one 4-GPU pod per host: half the fleet
//! busy); and per-GPU faults (XID, double-bit ECC, throttling) that the DCGM pages show.
//! Nothing here runs per tick: a page asks for its host's view when it is scraped.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use crate::store::Key;

pub const GPUS_PER_HOST: usize = 8;
/// `--gpu-hosts` at most.
pub const MAX_GPU_HOSTS: usize = 1000;
/// The namespace of the training workload.
pub const ML_NS: &str = "ml";
/// The training StatefulSet.
pub const TRAIN: &str = "train-llama";
/// GPUs each training pod asks for.
pub const TRAIN_GPUS: usize = 4;
/// A GPU with XID 79 (fallen off the bus) leaves its host's page once it has been scraped
/// with the XID at least once and this much simulated time has passed since the XID.
pub const LOST_AFTER_MS: i64 = 30_000;
/// NVML clock throttle reasons (`nvmlClocksThrottleReason*`).
pub const THROTTLE_IDLE: u64 = 0x1;
pub const THROTTLE_SW_THERMAL: u64 = 0x20;
pub const THROTTLE_HW_THERMAL: u64 = 0x40;

/// `dgx-01`, …, `dgx-999`, `dgx-1000`: the host numbered `n` (from 1).
pub fn host_name(n: usize) -> String {
    format!("dgx-{n:02}")
}

/// The number (from 1) of a host's canonical name among `hosts` hosts.
pub fn host_number(name: &str, hosts: usize) -> Option<usize> {
    let n: usize = name.strip_prefix("dgx-")?.parse().ok()?;
    (1..=hosts)
        .contains(&n)
        .then_some(n)
        .filter(|n| host_name(*n) == name)
}

/// The pod a GPU is allocated to.
#[derive(Debug, Clone)]
pub struct GpuHolder {
    pub namespace: String,
    pub pod: String,
    pub container: String,
}

/// Faults of one GPU, set by the `gpu-fault` scenario or `/_sandbox/gpu/...`.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct GpuFault {
    /// the last XID (0: none), as `DCGM_FI_DEV_XID_ERRORS` reads
    pub xid: u32,
    pub xid_at_ms: i64,
    /// scrapes that have shown the XID (79 leaves the page after one, see [`LOST_AFTER_MS`])
    pub xid_scrapes: u64,
    /// `DCGM_FI_DEV_ECC_DBE_VOL_TOTAL`
    pub dbe: u64,
    /// forced clock throttle reasons (a failing cooler: the GPU runs hot whatever its load)
    pub throttle: Option<u64>,
    /// the temperature the GPU runs at while throttled
    pub temp_c: Option<f64>,
}

impl GpuFault {
    pub(super) fn is_clear(&self) -> bool {
        self.xid == 0 && self.dbe == 0 && self.throttle.is_none()
    }
}

/// What a page shows of one GPU.
#[derive(Debug, Clone, Default)]
pub struct GpuView {
    pub holder: Option<GpuHolder>,
    pub fault: GpuFault,
    /// fell off the bus: no series at all
    pub lost: bool,
}

#[derive(Debug, Default)]
pub struct GpuFleet {
    pub hosts: usize,
    /// Kubernetes labels the old way (`pod_name`, `pod_namespace`, `container_name`)
    pub old_pod_labels: bool,
    /// per host (index = number - 1), per GPU: the pod holding it
    pub(super) slots: Vec<[Option<GpuHolder>; GPUS_PER_HOST]>,
    pub(super) by_pod: HashMap<Key, (usize, Vec<usize>)>,
    /// by (host number, GPU index)
    pub faults: BTreeMap<(usize, usize), GpuFault>,
    /// by host number: how many times its GPU set was replaced (each time its page reports
    /// eight new UUIDs)
    pub generations: BTreeMap<usize, u64>,
}

impl GpuFleet {
    pub fn new(hosts: usize) -> GpuFleet {
        GpuFleet {
            hosts,
            ..GpuFleet::default()
        }
    }

    pub(super) fn ensure_slots(&mut self) {
        if self.slots.len() != self.hosts {
            self.slots.resize_with(self.hosts, Default::default);
        }
    }

    pub(super) fn free(&self, host: usize) -> Vec<usize> {
        match self.slots.get(host - 1) {
            Some(s) => (0..GPUS_PER_HOST).filter(|i| s[*i].is_none()).collect(),
            None => (0..GPUS_PER_HOST).collect(),
        }
    }

    pub(super) fn free_count(&self, host: usize) -> usize {
        self.slots
            .get(host - 1)
            .map_or(GPUS_PER_HOST, |s| s.iter().filter(|g| g.is_none()).count())
    }

    /// The host with at least `want` free GPUs, the most free first, then the lowest number,
    /// that `ok` accepts.
    pub(super) fn pick(&self, want: usize, ok: impl Fn(usize) -> bool) -> Option<usize> {
        let free: Vec<usize> = (1..=self.hosts).map(|h| self.free_count(h)).collect();
        for n in (want..=GPUS_PER_HOST).rev() {
            if let Some(h) = (1..=self.hosts).find(|h| free[h - 1] == n && ok(*h)) {
                return Some(h);
            }
        }
        None
    }

    pub(super) fn allocate(&mut self, host: usize, want: usize, holder: GpuHolder) -> Vec<usize> {
        self.ensure_slots();
        let gpus: Vec<usize> = self.free(host).into_iter().take(want).collect();
        let key = (holder.namespace.clone(), holder.pod.clone());
        for g in &gpus {
            self.slots[host - 1][*g] = Some(holder.clone());
        }
        self.by_pod.insert(key, (host, gpus.clone()));
        gpus
    }

    /// Free what a pod held (it was deleted or finished).
    pub fn release(&mut self, ns: &str, pod: &str) {
        if let Some((host, gpus)) = self.by_pod.remove(&(ns.to_string(), pod.to_string())) {
            for g in gpus {
                if let Some(s) = self.slots.get_mut(host - 1) {
                    s[g] = None;
                }
            }
        }
    }

    pub fn fault_mut(&mut self, host: usize, gpu: usize) -> &mut GpuFault {
        self.faults.entry((host, gpu)).or_default()
    }

    /// Record an XID on a GPU at `now_ms`.
    pub fn xid(&mut self, host: usize, gpu: usize, code: u32, now_ms: i64) {
        let f = self.fault_mut(host, gpu);
        f.xid = code;
        f.xid_at_ms = now_ms;
        f.xid_scrapes = 0;
    }

    /// Clear a GPU's faults: it is back on the bus, with no XID, ECC errors or throttling.
    pub fn clear(&mut self, host: usize, gpu: usize) {
        self.faults.remove(&(host, gpu));
    }

    /// Replace a host's GPUs: from now its page reports eight new UUIDs (swapped boards, or
    /// an exporter restarted on the same URL reading another set). Returns the generation.
    pub fn replace(&mut self, host: usize) -> u64 {
        let g = self.generations.entry(host).or_default();
        *g += 1;
        *g
    }

    /// The host's GPU set generation (0 until [`Self::replace`]).
    pub fn generation(&self, host: usize) -> u64 {
        self.generations.get(&host).copied().unwrap_or(0)
    }

    /// Faults for the admin summary.
    pub fn summary(&self) -> Value {
        let faults: Vec<Value> = self
            .faults
            .iter()
            .filter(|(_, f)| !f.is_clear())
            .map(|((h, g), f)| {
                json!({"host": host_name(*h), "gpu": g, "xid": f.xid, "dbe": f.dbe,
                       "throttle": f.throttle})
            })
            .collect();
        json!({
            "hosts": self.hosts,
            "pod_labels": if self.old_pod_labels { "old" } else { "new" },
            "gpus_allocated": self.by_pod.values().map(|(_, g)| g.len()).sum::<usize>(),
            "faults": faults,
        })
    }
}

/// GPUs a pod spec asks for: the sum over its containers of `nvidia.com/gpu` in `limits`
/// (or `requests`), with the first such container's name.
pub fn gpu_request(spec: &Value) -> (usize, String) {
    let mut total = 0;
    let mut first = String::new();
    let containers = spec.get("containers").and_then(Value::as_array);
    for c in containers.into_iter().flatten() {
        let r = c.get("resources");
        let n = ["limits", "requests"]
            .iter()
            .find_map(|k| r?.get(*k)?.get("nvidia.com/gpu"))
            .and_then(|v| match v {
                Value::Number(n) => n.as_u64(),
                Value::String(s) => s.parse().ok(),
                _ => None,
            })
            .unwrap_or(0) as usize;
        if n > 0 && first.is_empty() {
            first = c.get("name").and_then(Value::as_str).unwrap_or("").into();
        }
        total += n;
    }
    (total, first)
}
