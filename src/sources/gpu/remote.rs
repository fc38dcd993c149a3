//! Remote GPU hosts: scrape an exporter page (DCGM exporter, or the seed's
//! `dgx_gpu_*` exporter; the sandbox serves both on one page), parse it with the
//! strict exposition parser and map it into the same model as NVML.

use std::collections::HashMap;
use std::time::Duration;

use jiff::Timestamp;

use super::model::{GpuPod, GpuSample, GpuUpdate, HostSample, Memory, ThrottleReason};
use crate::sources::exposition::{self, Sample};

/// A page larger than this is a broken exporter (8 GPUs of DCGM defaults is ~20 KiB).
pub const MAX_PAGE_BYTES: usize = 16 << 20;

/// DCGM's blank values ("not supported", "no data") sit just under 2^63.
const DCGM_BLANK_MIN: f64 = 0x7fff_ffff_ffff_fff0_u64 as f64;

const MIB: f64 = 1024.0 * 1024.0;

pub use crate::sources::http::client as http_client;
use crate::sources::http::fetch_metrics_text;

/// Scrapes `url` for host `name`. Never fails: an unreachable host or a bad page
/// is a sample with `error` set (the consumer keeps the previous values, stale).
pub async fn scrape_host(client: &reqwest::Client, name: &str, url: &str) -> HostSample {
    let text = match fetch_metrics_text(client, url, MAX_PAGE_BYTES).await {
        Ok(text) => text,
        Err(error) => return HostSample::failed(name, Timestamp::now(), error),
    };
    let time = Timestamp::now();
    match exposition::parse(&text) {
        Ok(scrape) => HostSample {
            host: name.to_string(),
            time,
            gpus: map_samples(name, &scrape.samples),
            error: None,
            driver_version: driver_version(&scrape.samples),
        },
        Err(e) => HostSample::failed(name, time, format!("{url}: bad metrics text at {e}")),
    }
}

/// Scrapes every `(name, url)` every `interval`, all hosts at once, sending one
/// [`GpuUpdate::Host`] per host per round. Ends when `sink` returns false.
pub fn spawn_remote<F>(
    hosts: Vec<(String, String)>,
    interval: Duration,
    mut sink: F,
) -> tokio::task::JoinHandle<()>
where
    F: FnMut(GpuUpdate) -> bool + Send + 'static,
{
    tokio::spawn(async move {
        let client = match http_client(interval) {
            Ok(c) => c,
            Err(e) => {
                for (name, _) in &hosts {
                    if !sink(GpuUpdate::Host(HostSample::failed(
                        name,
                        Timestamp::now(),
                        e.clone(),
                    ))) {
                        return;
                    }
                }
                return;
            }
        };
        let mut ticker = tokio::time::interval(interval.max(Duration::from_millis(250)));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let rounds = hosts
                .iter()
                .map(|(name, url)| scrape_host(&client, name, url));
            for sample in futures::future::join_all(rounds).await {
                if !sink(GpuUpdate::Host(sample)) {
                    return;
                }
            }
        }
    })
}

/// A gauge value, or `None` for DCGM's blank sentinels, NaN, infinities and
/// negative readings.
fn gauge(value: f64) -> Option<f64> {
    (0.0..DCGM_BLANK_MIN).contains(&value).then_some(value)
}

fn whole(value: f64) -> Option<u32> {
    let v = gauge(value)?.round();
    (v <= f64::from(u32::MAX)).then_some(v as u32)
}

/// The fields one GPU's series say, before they become a [`GpuSample`].
#[derive(Debug, Default)]
struct Series {
    index: Option<u32>,
    hostname: Option<String>,
    name: Option<String>,
    util_gpu: Option<u32>,
    util_mem: Option<u32>,
    fb_used_mib: Option<f64>,
    fb_free_mib: Option<f64>,
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
    pod: Option<GpuPod>,
}

/// Sets `slot` unless it is already set: DCGM names come first on a page that has
/// both, and the first series for a field wins.
fn fill<T>(slot: &mut Option<T>, value: Option<T>) {
    if slot.is_none() {
        *slot = value;
    }
}

/// Maps one page's samples to GPUs of host `name`: DCGM-exporter names
/// (`DCGM_FI_DEV_*`, labels `gpu`, `UUID`/`uuid`, `modelName`, `Hostname`/`hostname`)
/// and the seed's `dgx_gpu_*` names (labels `gpu`, `uuid`, `hostname`). Series of one
/// GPU are joined by UUID (else by `gpu` index); a missing series is "n/a".
pub fn map_samples(name: &str, samples: &[Sample]) -> Vec<GpuSample> {
    let mut order: Vec<String> = Vec::new();
    let mut by_key: HashMap<String, Series> = HashMap::new();
    for sample in samples {
        if !(sample.name.starts_with("DCGM_FI_") || sample.name.starts_with("dgx_gpu_")) {
            continue;
        }
        let uuid = sample.label("UUID").or_else(|| sample.label("uuid"));
        let index = sample
            .label("gpu")
            .and_then(|g| g.trim().parse::<u32>().ok());
        let hostname = sample
            .label("Hostname")
            .or_else(|| sample.label("hostname"))
            .filter(|h| !h.is_empty());
        // MIG instances share the parent's UUID; keep them apart.
        let mig = sample.label("GPU_I_ID").filter(|id| !id.is_empty());
        let key = match (uuid, index) {
            (Some(u), _) if !u.is_empty() => u.to_string(),
            (_, Some(i)) => format!("index:{i}"),
            _ => continue,
        };
        let key = match mig {
            Some(id) => format!("{key}/mig:{id}"),
            None => key,
        };
        let series = by_key.entry(key.clone()).or_insert_with(|| {
            order.push(key.clone());
            Series::default()
        });
        fill(&mut series.index, index);
        fill(&mut series.hostname, hostname.map(str::to_string));
        fill(
            &mut series.name,
            sample
                .label("modelName")
                .filter(|m| !m.is_empty())
                .map(str::to_string),
        );
        if series.pod.is_none() {
            series.pod = pod_of(sample);
        }
        let v = sample.value;
        match sample.name.as_str() {
            "DCGM_FI_DEV_GPU_UTIL" | "dgx_gpu_utilization_percent" => {
                fill(&mut series.util_gpu, whole(v))
            }
            "DCGM_FI_DEV_MEM_COPY_UTIL" => fill(&mut series.util_mem, whole(v)),
            "DCGM_FI_DEV_FB_USED" => fill(&mut series.fb_used_mib, gauge(v)),
            "DCGM_FI_DEV_FB_FREE" => fill(&mut series.fb_free_mib, gauge(v)),
            "DCGM_FI_DEV_FB_RESERVED" => fill(&mut series.fb_reserved_mib, gauge(v)),
            "dgx_gpu_memory_used_bytes" => fill(&mut series.mem_used_bytes, gauge(v)),
            "dgx_gpu_memory_total_bytes" => fill(&mut series.mem_total_bytes, gauge(v)),
            "DCGM_FI_DEV_GPU_TEMP" | "dgx_gpu_temperature_celsius" => {
                fill(&mut series.temp, whole(v))
            }
            "DCGM_FI_DEV_SLOWDOWN_TEMP" => fill(&mut series.temp_slowdown, whole(v)),
            "DCGM_FI_DEV_SHUTDOWN_TEMP" => fill(&mut series.temp_shutdown, whole(v)),
            "DCGM_FI_DEV_POWER_USAGE" | "dgx_gpu_power_watts" => fill(&mut series.power, gauge(v)),
            "DCGM_FI_DEV_POWER_MGMT_LIMIT" | "DCGM_FI_DEV_ENFORCED_POWER_LIMIT" => {
                fill(&mut series.power_limit, gauge(v))
            }
            "DCGM_FI_DEV_SM_CLOCK" => fill(&mut series.sm_clock, whole(v)),
            "DCGM_FI_DEV_MEM_CLOCK" => fill(&mut series.mem_clock, whole(v)),
            "DCGM_FI_DEV_FAN_SPEED" => fill(&mut series.fan, whole(v)),
            "DCGM_FI_DEV_CLOCK_THROTTLE_REASONS" | "DCGM_FI_DEV_CLOCKS_EVENT_REASONS" => {
                fill(&mut series.throttle_bits, gauge(v).map(|b| b as u64))
            }
            "DCGM_FI_DEV_ECC_SBE_VOL_TOTAL" => {
                fill(&mut series.ecc_sbe, gauge(v).map(|b| b as u64))
            }
            "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL" => {
                fill(&mut series.ecc_dbe, gauge(v).map(|b| b as u64))
            }
            "DCGM_FI_DEV_XID_ERRORS" | "dgx_gpu_xid_last" => {
                fill(&mut series.xid, gauge(v).map(|b| b as u64))
            }
            _ => {}
        }
    }

    let mut next_index = 0_u32;
    let mut gpus: Vec<GpuSample> = order
        .into_iter()
        .filter_map(|key| by_key.remove(&key).map(|s| (key, s)))
        .map(|(key, s)| {
            let index = s.index.unwrap_or(next_index);
            next_index = next_index.max(index.saturating_add(1));
            let host = s.hostname.clone().unwrap_or_else(|| name.to_string());
            to_gpu(&host, index, key, s)
        })
        .collect();
    gpus.sort_by_key(|g| g.index);
    gpus
}

fn to_gpu(host: &str, index: u32, key: String, s: Series) -> GpuSample {
    // The key is the UUID (plus the MIG instance), else `index:N`.
    let mut gpu = GpuSample::empty(host, index, key);
    gpu.name = s.name;
    gpu.util_gpu_pct = s.util_gpu;
    gpu.util_mem_pct = s.util_mem;
    gpu.memory = match (s.fb_used_mib, s.fb_free_mib) {
        (Some(used), Some(free)) => {
            let total = used + free + s.fb_reserved_mib.unwrap_or(0.0);
            Memory::Dedicated {
                used_bytes: (used * MIB) as u64,
                total_bytes: (total * MIB) as u64,
            }
        }
        _ => match (s.mem_used_bytes, s.mem_total_bytes) {
            (Some(used), Some(total)) if total > 0.0 => Memory::Dedicated {
                used_bytes: used as u64,
                total_bytes: total as u64,
            },
            _ => Memory::NotAvailable,
        },
    };
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
    gpu.xid = s.xid;
    gpu.pod = s.pod;
    gpu
}

/// The pod DCGM exporter's Kubernetes mode puts on a GPU's series: `pod`, `namespace`,
/// `container`, or the older `pod_name`, `pod_namespace`, `container_name`. An empty
/// `pod` label is a GPU no pod uses.
fn pod_of(sample: &Sample) -> Option<GpuPod> {
    let nonempty = |key: &str| sample.label(key).filter(|v| !v.is_empty());
    let pod = nonempty("pod").or_else(|| nonempty("pod_name"))?;
    let namespace = nonempty("namespace")
        .or_else(|| nonempty("pod_namespace"))
        .unwrap_or("default");
    Some(GpuPod {
        namespace: namespace.to_string(),
        pod: pod.to_string(),
        container: nonempty("container")
            .or_else(|| nonempty("container_name"))
            .map(str::to_string),
    })
}

/// The driver version from DCGM's `DCGM_FI_DRIVER_VERSION` label, when on the page.
pub(super) fn driver_version(samples: &[Sample]) -> Option<String> {
    samples
        .iter()
        .filter(|s| s.name.starts_with("DCGM_FI_"))
        .find_map(|s| s.label("DCGM_FI_DRIVER_VERSION").map(str::to_string))
}
