//! GPUs that leave a host's page, against the sandbox's DGX pages scraped directly: a host
//! whose exporter answers with a new set of UUIDs (`POST /_sandbox/gpu/{host}/replace`) has
//! its GPUs replaced, not eight GPUs fallen off the bus; and a GPU that did fall off the bus
//! (the `gpu-fault` scenario's XID 79 on dgx-02 GPU 3) shows no live value anywhere, its
//! pod's detail included.

use crate::support;
use crate::support::common;

use std::time::Duration;

use flightdeck::app::panes::gpu::gpu_hint;
use flightdeck::app::panes::workloads::{Detail, DetailTarget};
use flightdeck::app::{Event, update};
use flightdeck::pane::PaneId;
use flightdeck::sources::gpu::GpuUpdate;
use flightdeck::sources::gpu::remote::scrape_host;
use flightdeck::sources::kube::ObjKey;
use flightdeck_sandbox::{Sandbox, Scenario};
use support::workloads::{Harness, synced};

async fn admin(sb: &Sandbox, path: &str) {
    let r = reqwest::Client::new()
        .post(format!("{}/{path}", sb.admin_url()))
        .send()
        .await
        .expect("admin");
    assert!(r.status().is_success(), "{path}: {}", r.status());
}

/// One scrape of `host`'s page, as the console's `[[gpu.host]]` source does.
async fn scrape(sb: &Sandbox, host: &str) -> GpuUpdate {
    let (name, url) = sb
        .gpu_hosts()
        .into_iter()
        .find(|(n, _)| n == host)
        .expect("the host");
    let http = flightdeck::sources::metrics::http_client(Duration::from_secs(5)).expect("client");
    let sample = scrape_host(&http, &name, &url).await;
    assert_eq!(sample.error, None);
    GpuUpdate::Host(sample)
}

#[tokio::test]
async fn new_uuids_on_the_same_page_replace_the_gpu_set() {
    let sb = Sandbox::start(flightdeck_sandbox::SandboxOptions::scenario(
        Scenario::Steady,
    ))
    .await
    .expect("sandbox");
    let mut s = common::state_builder()
        .config_toml("[[gpu.host]]\nname = \"dgx-01\"\nscrape = \"http://x.invalid/\"\n")
        .focus(PaneId::Hosts)
        .build();
    update::update(&mut s, Event::Gpu(scrape(&sb, "dgx-01").await));
    let before: Vec<String> = s.gpu.hosts[0]
        .gpus
        .iter()
        .map(|g| g.sample.uuid.clone())
        .collect();
    assert_eq!(before.len(), 8);

    // the exporter now answers with eight other UUIDs
    admin(&sb, "gpu/dgx-01/replace").await;
    update::update(&mut s, Event::Gpu(scrape(&sb, "dgx-01").await));
    let host = &s.gpu.hosts[0];
    let after: Vec<&str> = host.gpus.iter().map(|g| g.sample.uuid.as_str()).collect();
    assert_eq!(after.len(), 8, "eight GPUs, not sixteen: {after:?}");
    assert!(after.iter().all(|u| !before.iter().any(|b| b == u)));
    assert!(
        host.gpus
            .iter()
            .all(|g| g.gone_since.is_none() && g.sample.down.is_none()),
        "no GPU is down"
    );
    assert_eq!(gpu_hint(&s), None, "nothing to page about");
}

#[tokio::test]
async fn a_gpu_off_the_bus_shows_no_live_value_in_its_pods_detail() {
    let mut h = Harness::start(Scenario::GpuFault, Some("ml")).await;
    h.until("all kinds listed", synced).await;
    h.until("train-llama-1", |s| {
        s.cluster
            .pods
            .contains_key(&ObjKey::new("ml", "train-llama-1"))
    })
    .await;
    // scraped with XID 79; then 40 simulated seconds on, the GPU is off the page
    let first = scrape(&h.sb, "dgx-02").await;
    update::update(&mut h.state, Event::Gpu(first));
    admin(&h.sb, "time/advance?seconds=40").await;
    let gone = scrape(&h.sb, "dgx-02").await;
    let GpuUpdate::Host(sample) = &gone else {
        unreachable!()
    };
    assert_eq!(sample.gpus.len(), 7, "GPU 3 left the page");
    update::update(&mut h.state, Event::Gpu(gone));

    let s = &mut h.state;
    let host = s.gpu.host("dgx-02").expect("dgx-02");
    let g3 = host
        .gpus
        .iter()
        .find(|g| g.sample.index == 3)
        .expect("GPU 3 remembered");
    assert!(g3.gone_since.is_some());
    let v = &g3.sample;
    assert_eq!(
        (
            v.util_gpu_pct,
            v.temperature_c,
            v.power_w,
            v.memory.used_total()
        ),
        (None, None, None, None),
        "no live value kept for a GPU off the bus"
    );

    s.workloads.detail = Some(Detail {
        target: DetailTarget::Pod(ObjKey::new("ml", "train-llama-1")),
        scroll: 0,
    });
    s.focus = PaneId::Workloads;
    s.zoomed = true;
    s.size = (140, 50);
    let text = common::screen(s);
    let line = text
        .lines()
        .find(|l| l.contains("dgx-02") && l.contains("GPU 3"))
        .unwrap_or_else(|| panic!("GPU 3 in the pod's detail:\n{text}"));
    assert!(line.contains("down: fell off the bus"), "{line}");
    assert!(
        !line.contains("util") && !line.contains("mem") && !line.contains("°C"),
        "{line}"
    );
    // the pod's other GPUs: memory in GiB, as the Hosts pane writes it
    let other = text
        .lines()
        .find(|l| l.contains("dgx-02") && l.contains("GPU 0"))
        .unwrap_or_else(|| panic!("GPU 0:\n{text}"));
    assert!(other.contains("/79.6 GiB"), "{other}");
}
