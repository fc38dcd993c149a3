//! The GPU pane against the sandbox's fleet through a real Prometheus (Debian's package):
//! `--gpu-hosts 32` in the `gpu-fault` scenario, scraped with the sandbox's own scrape
//! config. The pane counts the fleet, puts the faulty hosts first, names the pod on the GPU
//! with XID 79 (a real pod of `ml/train-llama`), `enter` on that GPU opens the pod's detail
//! in Workloads (switching namespace), the pod's detail lists its GPUs, and when the GPU
//! falls off the bus (its series gone) it stays marked down.

use crate::support;
use crate::support::common;
use crate::support::tools;

use std::path::Path;

use std::time::Duration;
use support::prometheus::{Running, free_port};

use flightdeck::app::panes::gpu::{GpuRow, gpu_hint, rows};
use flightdeck::app::panes::workloads::DetailTarget;
use flightdeck::app::{Action, Event, PaneId, State, update};
use flightdeck::sources::gpu::GpuUpdate;
use flightdeck::sources::gpu::prometheus::{FleetRounds, GpuPrometheusConfig, poll_once};
use flightdeck::sources::kube::ObjKey;
use flightdeck::sources::metrics::http_client;
use flightdeck::sources::metrics::prometheus::PrometheusClient;
use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};

const HOSTS: usize = 32;

fn start_prometheus(bin: &Path, dir: &Path, scrape: &str, port: u16) -> Running {
    let config = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n{scrape}"
    );
    support::prometheus::start(bin, dir, &config, port)
}

fn state() -> State {
    common::state_builder()
        .config_toml("[gpu]\nprometheus = \"http://prometheus.invalid:9090\"\n")
        .theme("dark")
        .namespace(Some("shop"))
        .focus(PaneId::Hosts)
        .build()
}

fn gpus_per_host(update: &GpuUpdate) -> Vec<(String, usize)> {
    match update {
        GpuUpdate::Round(hosts) => hosts
            .iter()
            .map(|h| (h.host.clone(), h.gpus.len()))
            .collect(),
        _ => Vec::new(),
    }
}

async fn advance(sb: &Sandbox, seconds: u64) {
    let r = reqwest::Client::new()
        .post(format!("{}/time/advance?seconds={seconds}", sb.admin_url()))
        .send()
        .await
        .expect("admin");
    assert!(r.status().is_success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thirty_two_host_fleet_through_prometheus_pages_the_xid_and_opens_its_pod() {
    let Some(bin) = tools::require("prometheus") else {
        return;
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sb = Sandbox::start(SandboxOptions {
        gpu_hosts: HOSTS,
        ..SandboxOptions::scenario(Scenario::GpuFault)
    })
    .await
    .expect("sandbox");
    let pause = reqwest::Client::new()
        .post(format!("{}/time/pause", sb.admin_url()))
        .send()
        .await
        .expect("admin");
    assert!(pause.status().is_success());
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let _prometheus = start_prometheus(&bin, dir.path(), &sb.gpu_scrape_config("dcgm"), port);
    let base = format!("http://127.0.0.1:{port}");
    let client = PrometheusClient::new(http_client(Duration::from_secs(5)).expect("client"), &base);
    let config = GpuPrometheusConfig::new(base.clone());
    let mut rounds = FleetRounds::default();
    let step = Duration::from_secs(1);

    // bounded polling until Prometheus has scraped every host
    let mut first = None;
    for _ in 0..90 {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let update = poll_once(&client, &config, step, &mut rounds).await;
        let per_host = gpus_per_host(&update);
        if per_host.len() == HOSTS && per_host.iter().all(|(_, n)| *n == 8) {
            first = Some(update);
            break;
        }
    }
    let first = first.unwrap_or_else(|| {
        panic!(
            "Prometheus serves 32 hosts of 8 GPUs; its log:\n{}",
            std::fs::read_to_string(dir.path().join("prometheus.log")).unwrap_or_default()
        )
    });

    let mut s = state();
    let GpuUpdate::Round(hosts) = &first else {
        panic!("a round");
    };
    s.now = hosts[0].time;
    update(&mut s, Event::Gpu(first.clone()));
    let text = common::cells(&common::draw_at(&s, 200, 80));
    // half the GPUs train (4 per host), one is hot, one has an XID
    assert!(
        text.contains("fleet: 32 hosts · 256 GPUs · 128 busy · 1 hot · 1 erroring"),
        "{text}"
    );
    let order: Vec<&str> = s
        .gpu
        .order
        .iter()
        .map(|&i| s.gpu.hosts[i].name.as_str())
        .collect();
    assert_eq!(order[0], "dgx-02", "the XID host first: {order:?}");
    let hint = gpu_hint(&s).expect("a GPU hint");
    assert!(
        hint.starts_with("⚠ dgx-02 GPU 3: XID 79 (fell off the bus)")
            && hint.ends_with("— pod ml/train-llama-1"),
        "{hint}"
    );

    // enter on that GPU opens its pod in Workloads, in the pod's namespace
    let dgx02 = s
        .gpu
        .hosts
        .iter()
        .position(|h| h.name == "dgx-02")
        .expect("dgx-02");
    let gpu3 = s.gpu.hosts[dgx02]
        .gpus
        .iter()
        .position(|g| g.sample.index == 3)
        .expect("GPU 3");
    let at = rows(&s)
        .iter()
        .position(|r| *r == GpuRow::Gpu(dgx02, gpu3))
        .expect("the faulty host is expanded");
    s.pane_mut(PaneId::Hosts).selected = at;
    flightdeck::app::update::apply(&mut s, Action::Open);
    assert_eq!(s.focus, PaneId::Workloads);
    assert_eq!(s.scope.namespace.as_deref(), Some("ml"));
    assert_eq!(
        s.workloads.detail.as_ref().map(|d| &d.target),
        Some(&DetailTarget::Pod(ObjKey::new("ml", "train-llama-1")))
    );

    // the sandbox falls the GPU off the bus once it was scraped and time moved on
    advance(&sb, 40).await;
    let mut gone = None;
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let update = poll_once(&client, &config, step, &mut rounds).await;
        if gpus_per_host(&update).contains(&("dgx-02".to_owned(), 7)) {
            gone = Some(update);
            break;
        }
    }
    let gone = gone.expect("dgx-02 GPU 3's series leave Prometheus");
    s.now += jiff::SignedDuration::from_secs(45);
    update(&mut s, Event::Gpu(gone));
    let h = &s.gpu.hosts[dgx02];
    assert_eq!(h.gpus.len(), 8, "the GPU is remembered");
    let g3 = h.gpus.iter().find(|g| g.sample.index == 3).expect("GPU 3");
    assert!(g3.gone_since.is_some(), "marked off the bus");
    assert_eq!(
        g3.sample.pod.as_ref().map(|p| p.pod.as_str()),
        Some("train-llama-1")
    );
}
