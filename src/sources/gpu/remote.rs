//! Remote GPU hosts: scrape an exporter page (DCGM exporter, or the seed's
//! `dgx_gpu_*` exporter; the sandbox serves both on one page), parse it with the
//! strict exposition parser and map it into the same model as NVML.

use std::time::Duration;

use jiff::Timestamp;

use super::join::join;
use super::model::{GpuSample, GpuUpdate, HostSample};
use crate::sources::exposition::{self, Sample};

use crate::config::gpu::DEFAULT_HOST_LABEL;

/// A page larger than this is a broken exporter (8 GPUs of DCGM defaults is ~20 KiB).
pub const MAX_PAGE_BYTES: usize = 16 << 20;

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

/// Maps one page's samples to GPUs of host `name`: every exporter's series joined per
/// physical GPU ([`super::join`]); a GPU's `host` is the host its labels name, else `name`. A
/// missing series is "n/a".
pub fn map_samples(name: &str, samples: &[Sample]) -> Vec<GpuSample> {
    join(samples, DEFAULT_HOST_LABEL, name)
        .into_iter()
        .map(|j| j.gpu)
        .collect()
}

/// The driver version from DCGM's `DCGM_FI_DRIVER_VERSION` label, when on the page.
pub fn driver_version(samples: &[Sample]) -> Option<String> {
    samples
        .iter()
        .filter(|s| s.name.starts_with("DCGM_FI_"))
        .find_map(|s| s.label("DCGM_FI_DRIVER_VERSION").map(str::to_string))
}
