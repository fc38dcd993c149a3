//! GPUs and the pods that use them, against the sandbox's DGX fleet (`ml/train-llama` asks
//! for `nvidia.com/gpu` and runs on the DGX nodes): the pods list counts each pod's GPUs,
//! and a pod's detail lists the GPUs the exporter says it runs on.

use crate::support;
use crate::support::common;

use flightdeck::app::panes::workloads::{Section, WorkloadRef};
use flightdeck::app::update;
use flightdeck::pane::PaneId;
use flightdeck::sources::kube::{ObjKey, WorkloadKind};
use flightdeck_sandbox::Scenario;
use support::workloads::{Harness, synced};

#[tokio::test]
async fn the_pods_list_counts_the_gpus_each_pod_asks_for() {
    let mut h = Harness::start(Scenario::Steady, Some("ml")).await;
    h.until("all kinds listed", synced).await;
    h.until("train-llama's pod", |s| {
        s.cluster
            .pods
            .contains_key(&ObjKey::new("ml", "train-llama-0"))
    })
    .await;
    let s = &mut h.state;
    let p = &s.cluster.pods[&ObjKey::new("ml", "train-llama-0")];
    assert_eq!(p.gpus, 4, "4 × nvidia.com/gpu");
    assert_eq!(p.node.as_deref(), Some("dgx-01"));
    // the StatefulSet's pods list has a GPU column with the count
    update::run_command(s, "sts");
    update::settle(s);
    s.workloads.section = Section::Pods {
        workload: WorkloadRef::new(WorkloadKind::StatefulSet, ObjKey::new("ml", "train-llama")),
        table_selected: 0,
    };
    s.focus = PaneId::Workloads;
    s.zoomed = true;
    s.size = (140, 30);
    let text = common::screen(s);
    let header = text
        .lines()
        .find(|l| l.contains("POD") && l.contains("READY"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(header.contains("GPU"), "{text}");
    let row = text
        .lines()
        .find(|l| l.contains("train-llama-0"))
        .unwrap_or_else(|| panic!("{text}"));
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cells.get(1..3), Some(&["1/1", "4"][..]), "{row}");
    // a list where no pod asks for GPUs has no such column
    update::run_command(s, "ds");
    update::settle(s);
    s.workloads.section = Section::Deployments;
    let text = common::screen(s);
    assert!(
        !text.lines().any(|l| l.contains("POD") && l.contains("GPU")),
        "{text}"
    );
}

#[tokio::test]
async fn a_pods_detail_lists_the_gpus_it_runs_on() {
    let mut h = Harness::start(Scenario::Steady, Some("ml")).await;
    h.until("all kinds listed", synced).await;
    h.until("train-llama's pod", |s| {
        s.cluster
            .pods
            .contains_key(&ObjKey::new("ml", "train-llama-0"))
    })
    .await;
    // the DCGM page of dgx-01, scraped directly: GPUs 0-3 carry the pod's labels
    let (name, url) = h.sb.gpu_hosts().into_iter().next().expect("a DGX host");
    let http = flightdeck::sources::metrics::http_client(std::time::Duration::from_secs(5))
        .expect("client");
    let sample = flightdeck::sources::gpu::remote::scrape_host(&http, &name, &url).await;
    assert_eq!(sample.error, None);
    let s = &mut h.state;
    update::update(
        s,
        flightdeck::app::Event::Gpu(flightdeck::sources::gpu::GpuUpdate::Host(sample)),
    );
    let on = flightdeck::app::panes::gpu::gpus_of_pod(s, "ml", "train-llama-0");
    let idx: Vec<Option<u32>> = on.iter().map(|(_, g)| g.sample.index.number()).collect();
    assert_eq!(idx, [0, 1, 2, 3].map(Some));
    s.workloads.detail = Some(flightdeck::app::panes::workloads::Detail {
        target: flightdeck::app::panes::workloads::DetailTarget::Pod(ObjKey::new(
            "ml",
            "train-llama-0",
        )),
        scroll: 0,
    });
    s.focus = PaneId::Workloads;
    s.zoomed = true;
    s.size = (140, 50);
    let text = common::screen(s);
    assert!(text.contains("GPUs (4 requested, 4 seen)"), "{text}");
    let gpu_lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("dgx-01") && l.contains("GPU") && l.contains("util"))
        .collect();
    assert_eq!(gpu_lines.len(), 4, "{text}");
    assert!(
        gpu_lines[0].contains("mem ") && gpu_lines[0].contains("°C"),
        "{text}"
    );
}
