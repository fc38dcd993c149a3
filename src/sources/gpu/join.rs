//! One GPU is one GPU: the series of a page, or of a whole fleet read from Prometheus, joined
//! per physical GPU whatever exporter wrote them and however it spells its labels: DCGM
//! exporter (`DCGM_FI_*`, `DCGM_EXP_*`; labels `UUID`, `gpu`, `device`, `Hostname`, which
//! its releases since #655 spell `hostname`), the seed's `dgx_gpu_*` exporter (`uuid`, `gpu`,
//! `hostname`), an exporter that names the index only by `device` (`nvidia3` or `3`), and MIG
//! instances (`GPU_I_ID`, `GPU_I_PROFILE`) under their parent GPU.
//!
//! A GPU is its UUID. A series without one joins the GPU its host has at that index, else
//! stands for `index:N` of its host. A GPU's host is the name one of its series gives
//! (`[gpu] host_label`, then `hostname`, then `Hostname`; never `localhost`, which
//! dcgm-exporter 4 writes when it reads a local hostengine by address); a GPU none of whose
//! series names one is under the host the other GPUs of its scrape target (`instance`) are
//! named under, else under its `instance`, else under the page's name. So a host is counted
//! once, however many exporters describe its GPUs. Each GPU keeps what its labels say of
//! where it runs ([`GpuOrigin`]): in Kubernetes the `Hostname` is the exporter pod's name,
//! and the console names the host after that pod's node (`app::panes::gpu::nodes`).

use std::collections::HashMap;

use super::model::{GpuIndex, GpuOrigin, GpuPod, GpuSample, Memory, MigInstance, ThrottleReason};
use crate::sources::exposition::Sample;

const MIB: f64 = 1024.0 * 1024.0;

/// DCGM's FP64 blank values ("blank", "not found", "not supported", "no permission") start at
/// 2^47; its INT64 ones (just under 2^63) lie above.
const DCGM_FP64_BLANK: f64 = 140_737_488_355_328.0;
/// DCGM's INT32 blank values: `0x7ffffff0` to `0x7fffffff`.
const DCGM_INT32_BLANK: std::ops::Range<f64> = 2_147_483_632.0..2_147_483_648.0;

/// The spellings of a GPU's UUID label.
const UUID_LABELS: [&str; 2] = ["UUID", "uuid"];
/// The spellings of the label naming a GPU's host, after `[gpu] host_label`.
pub const HOST_LABELS: [&str; 2] = ["hostname", "Hostname"];

/// Host label values that name no host: dcgm-exporter 4 writes its hostengine's address
/// (`localhost`) when told where it is (NVIDIA/dcgm-exporter#572).
fn names_a_host(value: &str) -> bool {
    !matches!(
        value.trim(),
        "localhost" | "localhost.localdomain" | "127.0.0.1" | "::1"
    )
}

/// Whether a series is a GPU's: DCGM exporter's or the seed exporter's names.
pub fn is_gpu_series(name: &str) -> bool {
    name.starts_with("DCGM_FI_") || name.starts_with("DCGM_EXP_") || name.starts_with("dgx_gpu_")
}

fn nonempty<'s>(sample: &'s Sample, key: &str) -> Option<&'s str> {
    sample.label(key).filter(|v| !v.trim().is_empty())
}

/// Who a series is about, as its labels say.
struct Ids<'s> {
    uuid: Option<&'s str>,
    /// The `gpu` label's index, else `device`'s (`nvidia3` or `3`): a label that is no
    /// number a GPU can have is kept as its text.
    index: Option<GpuIndex>,
    /// The host a label names, with the label's rank: 0 `host_label`, 1 `hostname`, 2
    /// `Hostname` (a GPU's series that disagree: the lowest rank wins, whatever their order).
    host: Option<(usize, &'s str)>,
    /// Prometheus's scrape target.
    instance: Option<&'s str>,
    /// The MIG instance (`GPU_I_ID`).
    mig: Option<&'s str>,
}

fn ids<'s>(sample: &'s Sample, host_label: &str) -> Ids<'s> {
    let index = nonempty(sample, "gpu")
        .map(GpuIndex::from_label)
        .or_else(|| {
            let d = nonempty(sample, "device")?.trim();
            match d.strip_prefix("nvidia").map(GpuIndex::from_label) {
                Some(n @ GpuIndex::Number(_)) => Some(n),
                _ => Some(GpuIndex::from_label(d)),
            }
        });
    Ids {
        uuid: UUID_LABELS.iter().find_map(|k| nonempty(sample, k)),
        index,
        host: std::iter::once(host_label)
            .chain(HOST_LABELS)
            .enumerate()
            .find_map(|(rank, k)| Some((rank, nonempty(sample, k).filter(|v| names_a_host(v))?))),
        instance: nonempty(sample, "instance"),
        mig: nonempty(sample, "GPU_I_ID"),
    }
}

/// A physical GPU: its UUID, or its index on a host (or scrape target) when no series of it
/// carries one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum GpuKey {
    Uuid(String),
    Index { scope: String, index: GpuIndex },
}

/// What one GPU's (or one MIG instance's) series say.
#[derive(Debug, Default)]
struct Fields {
    util_gpu: Option<u32>,
    /// `DCGM_FI_PROF_GR_ENGINE_ACTIVE`, a ratio.
    gr_engine: Option<f64>,
    util_mem: Option<u32>,
    fb_used_mib: Option<f64>,
    fb_free_mib: Option<f64>,
    fb_total_mib: Option<f64>,
    fb_reserved_mib: Option<f64>,
    mem_used_bytes: Option<f64>,
    mem_total_bytes: Option<f64>,
    temp: Option<u32>,
    temp_slowdown: Option<u32>,
    temp_shutdown: Option<u32>,
    power: Option<f64>,
    power_limit: Option<f64>,
    sm_clock: Option<u32>,
    mem_clock: Option<u32>,
    fan: Option<u32>,
    throttle_bits: Option<u64>,
    ecc_sbe: Option<u64>,
    ecc_dbe: Option<u64>,
    xid: Option<u64>,
    /// `DCGM_EXP_XID_ERRORS_COUNT` per `xid` code.
    xid_counts: Vec<(u64, f64)>,
    pod: Option<GpuPod>,
}

/// Sets `slot` unless it is already set: the first series for a field wins (DCGM names come
/// first on a page that has both).
fn fill<T>(slot: &mut Option<T>, value: Option<T>) {
    if slot.is_none() {
        *slot = value;
    }
}

/// A reading, or `None` for DCGM's blank sentinels, NaN, infinities and negative values.
fn gauge(name: &str, value: f64) -> Option<f64> {
    let blank = name.starts_with("DCGM_") && DCGM_INT32_BLANK.contains(&value);
    ((0.0..DCGM_FP64_BLANK).contains(&value) && !blank).then_some(value)
}

fn whole(name: &str, value: f64) -> Option<u32> {
    let v = gauge(name, value)?.round();
    (v <= f64::from(u32::MAX)).then_some(v as u32)
}

fn count(name: &str, value: f64) -> Option<u64> {
    gauge(name, value).map(|v| v as u64)
}

/// Series a MIG instance has of its own; the rest describe the whole GPU.
fn per_instance(name: &str) -> bool {
    matches!(
        name,
        "DCGM_FI_DEV_GPU_UTIL"
            | "DCGM_FI_DEV_MEM_COPY_UTIL"
            | "DCGM_FI_DEV_FB_USED"
            | "DCGM_FI_DEV_FB_FREE"
            | "DCGM_FI_DEV_FB_TOTAL"
            | "DCGM_FI_DEV_FB_RESERVED"
    ) || name.starts_with("DCGM_FI_PROF_")
}

impl Fields {
    fn record(&mut self, sample: &Sample) {
        let (name, v) = (sample.name.as_str(), sample.value);
        if self.pod.is_none() {
            self.pod = pod_of(sample);
        }
        match name {
            "DCGM_FI_DEV_GPU_UTIL" | "dgx_gpu_utilization_percent" => {
                fill(&mut self.util_gpu, whole(name, v))
            }
            "DCGM_FI_PROF_GR_ENGINE_ACTIVE" => {
                fill(&mut self.gr_engine, gauge(name, v).filter(|r| *r <= 1.0))
            }
            "DCGM_FI_DEV_MEM_COPY_UTIL" => fill(&mut self.util_mem, whole(name, v)),
            "DCGM_FI_DEV_FB_USED" => fill(&mut self.fb_used_mib, gauge(name, v)),
            "DCGM_FI_DEV_FB_FREE" => fill(&mut self.fb_free_mib, gauge(name, v)),
            "DCGM_FI_DEV_FB_TOTAL" => fill(&mut self.fb_total_mib, gauge(name, v)),
            "DCGM_FI_DEV_FB_RESERVED" => fill(&mut self.fb_reserved_mib, gauge(name, v)),
            "dgx_gpu_memory_used_bytes" => fill(&mut self.mem_used_bytes, gauge(name, v)),
            "dgx_gpu_memory_total_bytes" => fill(&mut self.mem_total_bytes, gauge(name, v)),
            "DCGM_FI_DEV_GPU_TEMP" | "dgx_gpu_temperature_celsius" => {
                fill(&mut self.temp, whole(name, v))
            }
            "DCGM_FI_DEV_SLOWDOWN_TEMP" => fill(&mut self.temp_slowdown, whole(name, v)),
            "DCGM_FI_DEV_SHUTDOWN_TEMP" => fill(&mut self.temp_shutdown, whole(name, v)),
            "DCGM_FI_DEV_POWER_USAGE" | "dgx_gpu_power_watts" => {
                fill(&mut self.power, gauge(name, v))
            }
            "DCGM_FI_DEV_POWER_MGMT_LIMIT" | "DCGM_FI_DEV_ENFORCED_POWER_LIMIT" => {
                fill(&mut self.power_limit, gauge(name, v))
            }
            "DCGM_FI_DEV_SM_CLOCK" => fill(&mut self.sm_clock, whole(name, v)),
            "DCGM_FI_DEV_MEM_CLOCK" => fill(&mut self.mem_clock, whole(name, v)),
            "DCGM_FI_DEV_FAN_SPEED" => fill(&mut self.fan, whole(name, v)),
            "DCGM_FI_DEV_CLOCK_THROTTLE_REASONS" | "DCGM_FI_DEV_CLOCKS_EVENT_REASONS" => {
                fill(&mut self.throttle_bits, count(name, v))
            }
            "DCGM_FI_DEV_ECC_SBE_VOL_TOTAL" => fill(&mut self.ecc_sbe, count(name, v)),
            "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL" => fill(&mut self.ecc_dbe, count(name, v)),
            "DCGM_FI_DEV_XID_ERRORS" | "dgx_gpu_xid_last" => fill(&mut self.xid, count(name, v)),
            "DCGM_EXP_XID_ERRORS_COUNT" => {
                let code = sample
                    .label("xid")
                    .and_then(|x| x.trim().parse::<u64>().ok());
                if let (Some(code), Some(n)) = (code, gauge(name, v)) {
                    self.xid_counts.push((code, n));
                }
            }
            _ => {}
        }
    }

    /// Utilisation: DCGM's `GPU_UTIL` (or the seed's), else the graphics engine's activity
    /// (what DCGM reports for a MIG instance).
    fn util(&self) -> Option<u32> {
        self.util_gpu
            .or_else(|| self.gr_engine.map(|r| (r * 100.0).round() as u32))
    }

    /// Memory from any two of used, free and total (DCGM: total = used + free + reserved),
    /// else the seed's bytes.
    fn memory(&self) -> Memory {
        let reserved = self.fb_reserved_mib.unwrap_or(0.0);
        let mib = match (self.fb_used_mib, self.fb_free_mib, self.fb_total_mib) {
            (Some(used), Some(free), total) => {
                Some((used, total.unwrap_or(used + free + reserved)))
            }
            (Some(used), None, Some(total)) => Some((used, total)),
            (None, Some(free), Some(total)) => Some(((total - free - reserved).max(0.0), total)),
            _ => None,
        };
        if let Some((used, total)) = mib.filter(|(_, total)| *total > 0.0) {
            return Memory::Dedicated {
                used_bytes: (used * MIB) as u64,
                total_bytes: (total * MIB) as u64,
            };
        }
        match (self.mem_used_bytes, self.mem_total_bytes) {
            (Some(used), Some(total)) if total > 0.0 => Memory::Dedicated {
                used_bytes: used as u64,
                total_bytes: total as u64,
            },
            _ => Memory::NotAvailable,
        }
    }

    /// The last XID: the gauge, else the XID counter's code with errors (79 first, then the
    /// most counted).
    fn xid(&self) -> Option<u64> {
        let counted = self
            .xid_counts
            .iter()
            .filter(|(_, n)| *n > 0.0)
            .max_by(|a, b| {
                (a.0 == 79)
                    .cmp(&(b.0 == 79))
                    .then(a.1.total_cmp(&b.1))
                    .then(b.0.cmp(&a.0))
            })
            .map(|(code, _)| *code);
        match self.xid {
            Some(x) if x > 0 => Some(x),
            gauge => counted.or(gauge).or(self.xid_counts.first().map(|_| 0)),
        }
    }
}

/// The pod DCGM exporter's Kubernetes mode puts on a GPU's series: `pod`, `namespace`,
/// `container`, or the older `pod_name`, `pod_namespace`, `container_name`; scraped through a
/// ServiceMonitor without `honorLabels`, Prometheus renames them `exported_pod`, … and writes
/// the exporter's own pod as `pod`. An empty `pod` label is a GPU no pod uses, and so is the
/// exporter's own pod (the `pod` its `Hostname` names).
fn pod_of(sample: &Sample) -> Option<GpuPod> {
    let nonempty = |key: &str| sample.label(key).filter(|v| !v.is_empty());
    let exported = nonempty("exported_pod").map(|pod| {
        (
            pod,
            nonempty("exported_namespace"),
            nonempty("exported_container"),
        )
    });
    let (pod, namespace, container) = exported.or_else(|| {
        let pod = nonempty("pod").or_else(|| nonempty("pod_name"))?;
        let own = HOST_LABELS.iter().any(|k| nonempty(k) == Some(pod));
        (!own).then(|| {
            (
                pod,
                nonempty("namespace").or_else(|| nonempty("pod_namespace")),
                nonempty("container").or_else(|| nonempty("container_name")),
            )
        })
    })?;
    Some(GpuPod {
        namespace: namespace.unwrap_or("default").to_string(),
        pod: pod.to_string(),
        container: container.map(str::to_string),
    })
}

/// The pods a series names, each running on its GPU's node: (namespace when named, name).
fn pods_named(sample: &Sample) -> impl Iterator<Item = (Option<&str>, &str)> {
    [
        ("pod", "namespace"),
        ("exported_pod", "exported_namespace"),
        ("pod_name", "pod_namespace"),
    ]
    .into_iter()
    .filter_map(|(pod, namespace)| Some((nonempty(sample, namespace), nonempty(sample, pod)?)))
}

/// At most this many pods are kept as a GPU's evidence.
const MAX_ORIGIN_PODS: usize = 4;

/// Everything known of one physical GPU.
#[derive(Debug, Default)]
struct Acc {
    index: Option<GpuIndex>,
    /// The host its series name, with the naming label's rank (see [`Ids::host`]).
    host: Option<(usize, String)>,
    instance: Option<String>,
    name: Option<String>,
    driver_version: Option<String>,
    fields: Fields,
    /// MIG instances in the order first seen: (`GPU_I_ID`, profile, fields).
    mig: Vec<(String, Option<String>, Fields)>,
    /// The pods its series name (see [`GpuOrigin::pods`]).
    pods: Vec<(Option<String>, String)>,
}

/// One joined GPU and the driver version its series name.
#[derive(Debug)]
pub struct Joined {
    pub gpu: GpuSample,
    pub driver_version: Option<String>,
}

/// Joins `samples` (a page, or every series of a fleet) into one [`GpuSample`] per physical
/// GPU, each with its host (see the module's words; `fallback_host` when nothing names one),
/// in host and index order. Non-GPU series are ignored.
pub fn join(samples: &[Sample], host_label: &str, fallback_host: &str) -> Vec<Joined> {
    let gpu_samples: Vec<(&Sample, Ids)> = samples
        .iter()
        .filter(|s| is_gpu_series(&s.name))
        .map(|s| (s, ids(s, host_label)))
        .collect();
    // what the series with a UUID teach: which UUID sits at an index of a host or target,
    // and which host a target's GPUs are named under
    let mut at_index: HashMap<(&str, &GpuIndex), &str> = HashMap::new();
    let mut target_host: HashMap<&str, (usize, &str)> = HashMap::new();
    for (_, id) in &gpu_samples {
        if let (Some(instance), Some((rank, host))) = (id.instance, id.host) {
            let slot = target_host.entry(instance).or_insert((rank, host));
            if rank < slot.0 {
                *slot = (rank, host);
            }
        }
        let (Some(uuid), Some(index)) = (id.uuid, id.index.as_ref()) else {
            continue;
        };
        for scope in [id.host.map(|h| h.1), id.instance].into_iter().flatten() {
            at_index.entry((scope, index)).or_insert(uuid);
        }
    }
    let mut order: Vec<GpuKey> = Vec::new();
    let mut by_key: HashMap<GpuKey, Acc> = HashMap::new();
    for (sample, id) in &gpu_samples {
        let scope = id.host.map(|h| h.1).or(id.instance).unwrap_or("");
        let key = match (id.uuid, &id.index) {
            (Some(uuid), _) => GpuKey::Uuid(uuid.to_owned()),
            (None, Some(index)) => match at_index.get(&(scope, index)) {
                Some(uuid) => GpuKey::Uuid((*uuid).to_owned()),
                None => GpuKey::Index {
                    scope: scope.to_owned(),
                    index: index.clone(),
                },
            },
            (None, None) => continue,
        };
        let acc = by_key.entry(key.clone()).or_insert_with(|| {
            order.push(key);
            Acc::default()
        });
        fill(&mut acc.index, id.index.clone());
        if let Some((rank, host)) = id.host
            && acc.host.as_ref().is_none_or(|(r, _)| rank < *r)
        {
            acc.host = Some((rank, host.to_owned()));
        }
        fill(&mut acc.instance, id.instance.map(str::to_owned));
        for (namespace, pod) in pods_named(sample) {
            let known = acc
                .pods
                .iter()
                .any(|(n, p)| p == pod && n.as_deref() == namespace);
            if !known && acc.pods.len() < MAX_ORIGIN_PODS {
                acc.pods
                    .push((namespace.map(str::to_owned), pod.to_owned()));
            }
        }
        fill(
            &mut acc.name,
            nonempty(sample, "modelName").map(str::to_owned),
        );
        if sample.name.starts_with("DCGM_") {
            fill(
                &mut acc.driver_version,
                nonempty(sample, "DCGM_FI_DRIVER_VERSION").map(str::to_owned),
            );
        }
        match id.mig {
            Some(mig) => {
                let position = acc.mig.iter().position(|(m, ..)| m == mig);
                let i = position.unwrap_or_else(|| {
                    acc.mig.push((mig.to_owned(), None, Fields::default()));
                    acc.mig.len() - 1
                });
                let (_, profile, fields) = &mut acc.mig[i];
                fill(
                    profile,
                    nonempty(sample, "GPU_I_PROFILE").map(str::to_owned),
                );
                fields.record(sample);
                if !per_instance(&sample.name) {
                    // the whole GPU's reading, repeated on each instance's series
                    let pod = acc.fields.pod.take();
                    acc.fields.record(sample);
                    acc.fields.pod = pod;
                }
            }
            None => acc.fields.record(sample),
        }
    }

    let joined: Vec<(GpuKey, Acc)> = order
        .into_iter()
        .filter_map(|key| by_key.remove(&key).map(|acc| (key, acc)))
        .collect();
    // a GPU no series gives an index is numbered after every number the labels give (a
    // label that is no number takes none); past the last number, it has none
    let mut next_index = joined
        .iter()
        .filter_map(|(_, acc)| acc.index.as_ref()?.number())
        .max()
        .map_or(Some(0), |n| n.checked_add(1));
    let mut out: Vec<Joined> = joined
        .into_iter()
        .map(|(key, acc)| {
            let index = acc.index.clone().unwrap_or_else(|| {
                let n = next_index;
                next_index = n.and_then(|n| n.checked_add(1));
                n.map_or_else(|| GpuIndex::Label("?".to_owned()), GpuIndex::Number)
            });
            let host = acc
                .host
                .as_ref()
                .map(|(_, h)| h.clone())
                .or_else(|| {
                    let instance = acc.instance.as_deref()?;
                    target_host.get(instance).map(|(_, h)| (*h).to_owned())
                })
                .or_else(|| acc.instance.clone())
                .unwrap_or_else(|| fallback_host.to_owned());
            let uuid = match key {
                GpuKey::Uuid(uuid) => uuid,
                GpuKey::Index { index, .. } => format!("index:{index}"),
            };
            Joined {
                driver_version: acc.driver_version.clone(),
                gpu: to_gpu(&host, index, uuid, acc),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        (a.gpu.host.as_str(), &a.gpu.index).cmp(&(b.gpu.host.as_str(), &b.gpu.index))
    });
    out
}

fn to_gpu(host: &str, index: GpuIndex, uuid: String, acc: Acc) -> GpuSample {
    let s = acc.fields;
    let mut gpu = GpuSample::empty(host, index, uuid);
    gpu.origin = GpuOrigin {
        host_label: acc.host.map(|(_, h)| h),
        pods: acc.pods,
        instance: acc.instance,
    };
    gpu.name = acc.name;
    gpu.util_gpu_pct = s.util();
    gpu.util_mem_pct = s.util_mem;
    gpu.memory = s.memory();
    gpu.temperature_c = s.temp;
    gpu.temp_slowdown_c = s.temp_slowdown;
    gpu.temp_shutdown_c = s.temp_shutdown;
    gpu.power_w = s.power;
    gpu.power_limit_w = s.power_limit;
    gpu.sm_clock_mhz = s.sm_clock;
    gpu.mem_clock_mhz = s.mem_clock;
    gpu.fan_pct = s.fan;
    gpu.throttle = s.throttle_bits.map(ThrottleReason::from_bits);
    gpu.ecc_corrected = s.ecc_sbe;
    gpu.ecc_uncorrected = s.ecc_dbe;
    gpu.xid = s.xid();
    gpu.pod = s.pod;
    gpu.mig = acc
        .mig
        .into_iter()
        .map(|(id, profile, f)| MigInstance {
            id,
            profile,
            util_pct: f.util(),
            memory: f.memory(),
            pod: f.pod,
        })
        .collect();
    gpu.mig.sort_by(|a, b| {
        let n = |m: &MigInstance| m.id.parse::<u64>().unwrap_or(u64::MAX);
        n(a).cmp(&n(b)).then(a.id.cmp(&b.id))
    });
    // a partitioned GPU's memory is its instances' when no series gives the whole GPU's
    if matches!(gpu.memory, Memory::NotAvailable) && !gpu.mig.is_empty() {
        let parts: Option<Vec<(u64, u64)>> =
            gpu.mig.iter().map(|m| m.memory.used_total()).collect();
        if let Some(parts) = parts {
            gpu.memory = Memory::Dedicated {
                used_bytes: parts.iter().map(|p| p.0).sum(),
                total_bytes: parts.iter().map(|p| p.1).sum(),
            };
        }
    }
    gpu
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str, labels: &[(&str, &str)], value: f64) -> Sample {
        Sample {
            name: name.to_owned(),
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            value,
            timestamp_ms: None,
        }
    }

    #[test]
    fn spellings_of_one_gpu_join_under_its_named_host() {
        let samples = [
            sample(
                "DCGM_FI_DEV_GPU_TEMP",
                &[
                    ("gpu", "0"),
                    ("UUID", "GPU-a"),
                    ("Hostname", "dgx-01"),
                    ("instance", "10.0.0.1:9400"),
                ],
                50.0,
            ),
            sample(
                "dgx_gpu_utilization_percent",
                &[
                    ("gpu", "0"),
                    ("uuid", "GPU-a"),
                    ("hostname", "dgx-01"),
                    ("instance", "10.0.0.1:9401"),
                ],
                40.0,
            ),
            // only an index, on the DCGM target: the same GPU
            sample(
                "DCGM_FI_DEV_FAN_SPEED",
                &[("device", "nvidia0"), ("instance", "10.0.0.1:9400")],
                30.0,
            ),
        ];
        let joined = join(&samples, "Hostname", "unknown");
        assert_eq!(joined.len(), 1, "{joined:?}");
        let g = &joined[0].gpu;
        assert_eq!((g.host.as_str(), g.uuid.as_str()), ("dgx-01", "GPU-a"));
        assert_eq!(
            (g.temperature_c, g.util_gpu_pct, g.fan_pct),
            (Some(50), Some(40), Some(30))
        );
    }

    #[test]
    fn the_naming_label_decides_the_host_whatever_the_series_order() {
        let lower = sample(
            "dgx_gpu_power_watts",
            &[("gpu", "0"), ("uuid", "GPU-a"), ("hostname", "node-1")],
            300.0,
        );
        let upper = sample(
            "DCGM_FI_DEV_GPU_TEMP",
            &[
                ("gpu", "0"),
                ("UUID", "GPU-a"),
                ("Hostname", "exporter-pod"),
            ],
            50.0,
        );
        for samples in [[lower.clone(), upper.clone()], [upper, lower]] {
            let joined = join(&samples, "hostname", "page");
            assert_eq!(joined.len(), 1);
            assert_eq!(joined[0].gpu.host, "node-1");
        }
    }

    #[test]
    fn the_exporters_own_pod_is_not_the_gpus() {
        // scraped through a ServiceMonitor without honorLabels: `pod` is the target's (the
        // exporter's own), the GPU's pod is `exported_pod`
        let base = [
            ("gpu", "0"),
            ("UUID", "GPU-a"),
            ("Hostname", "dcgm-exporter-wwwjh"),
            ("namespace", "gpu-operator"),
            ("pod", "dcgm-exporter-wwwjh"),
            ("instance", "10.244.1.7:9400"),
        ];
        let mut used = base.to_vec();
        used.extend([
            ("exported_namespace", "ml"),
            ("exported_pod", "train-0"),
            ("exported_container", "trainer"),
        ]);
        let mut idle = base.to_vec();
        idle[1] = ("UUID", "GPU-b");
        idle[0] = ("gpu", "1");
        let samples = [
            sample("DCGM_FI_DEV_GPU_UTIL", &used, 90.0),
            sample("DCGM_FI_DEV_GPU_UTIL", &idle, 0.0),
        ];
        let joined = join(&samples, "hostname", "page");
        let pod = joined[0]
            .gpu
            .pod
            .as_ref()
            .map(|p| (p.namespace.as_str(), p.pod.as_str()));
        assert_eq!(pod, Some(("ml", "train-0")));
        assert_eq!(
            joined[1].gpu.pod, None,
            "the exporter's own pod uses no GPU"
        );
        // both pods are evidence of the node
        let pods: Vec<&str> = joined[0]
            .gpu
            .origin
            .pods
            .iter()
            .map(|(_, p)| p.as_str())
            .collect();
        assert_eq!(pods, ["dcgm-exporter-wwwjh", "train-0"]);
        assert_eq!(
            joined[0].gpu.origin.host_label.as_deref(),
            Some("dcgm-exporter-wwwjh")
        );
    }

    #[test]
    fn localhost_names_no_host() {
        // dcgm-exporter 4 names a local hostengine's address (NVIDIA/dcgm-exporter#572)
        let samples = [sample(
            "DCGM_FI_DEV_GPU_TEMP",
            &[
                ("gpu", "0"),
                ("UUID", "GPU-a"),
                ("Hostname", "localhost"),
                ("instance", "dgx-03:9400"),
            ],
            40.0,
        )];
        let joined = join(&samples, "hostname", "page");
        assert_eq!(joined[0].gpu.host, "dgx-03:9400");
    }

    #[test]
    fn blank_sentinels_are_not_values() {
        for (name, v) in [
            ("DCGM_FI_DEV_POWER_USAGE", 140_737_488_355_328.0),
            ("DCGM_FI_DEV_FAN_SPEED", 2_147_483_632.0),
            ("DCGM_FI_DEV_GPU_TEMP", 9_223_372_036_854_775_794.0),
            ("DCGM_FI_DEV_GPU_UTIL", f64::NAN),
        ] {
            assert_eq!(gauge(name, v), None, "{name} {v}");
        }
        // the INT32 sentinels are DCGM's: the seed's byte counts may read so
        assert_eq!(
            gauge("dgx_gpu_memory_used_bytes", 2_147_483_640.0),
            Some(2_147_483_640.0)
        );
    }
}
