//! A fleet's GPU hosts are the nodes their exporters run on (issue #37, item 4). In
//! Kubernetes dcgm-exporter names the host by its own pod (`Hostname="dcgm-exporter-wwwjh"`);
//! here the sandbox runs a `dcgm-exporter` DaemonSet (created through its API, as a user's
//! Helm chart would) and serves each DGX host's page with the host label naming that node's
//! exporter pod (`?hostname=pod`). A real Prometheus scrapes them with targets that say
//! nothing of the node (`instance` a pod address). The console's cluster view, fed by the
//! real watchers, knows the pods' nodes: the pane shows `dgx-01` … `dgx-04`; a console that
//! does not know the pods shows the pods' names, and `gpu --once --json` asks the cluster.

use crate::support;
use crate::support::tools;
use crate::support::workloads::{Harness, admin, kube_client};

use std::time::Duration;

use flightdeck::app::{Event, update};
use flightdeck::sources::gpu::GpuUpdate;
use flightdeck::sources::gpu::prometheus::{FleetRounds, GpuPrometheusConfig, poll_once};
use flightdeck::sources::metrics::http_client;
use flightdeck::sources::metrics::prometheus::PrometheusClient;
use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};
use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, PostParams};
use support::prometheus::{Running, free_port};

const HOSTS: usize = 4;
const NODES: [&str; HOSTS] = ["dgx-01", "dgx-02", "dgx-03", "dgx-04"];

/// The DaemonSet dcgm-exporter's Helm chart installs, as far as the sandbox reads it.
async fn install_exporter(client: kube::Client) {
    let ns: Namespace =
        serde_json::from_value(serde_json::json!({"metadata": {"name": "gpu-operator"}}))
            .expect("namespace");
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &ns)
        .await
        .expect("create namespace");
    let labels = serde_json::json!({"app.kubernetes.io/name": "dcgm-exporter"});
    let ds: DaemonSet = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "dcgm-exporter", "namespace": "gpu-operator", "labels": labels},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "nodeSelector": {"nvidia.com/gpu.present": "true"},
                    "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists",
                                     "effect": "NoSchedule"}],
                    "containers": [{"name": "exporter",
                                    "image": "nvcr.io/nvidia/k8s/dcgm-exporter:4.2.3-4.1.3-ubuntu22.04",
                                    "ports": [{"name": "metrics", "containerPort": 9400}]}],
                },
            },
        },
    }))
    .expect("daemonset");
    Api::<DaemonSet>::namespaced(client, "gpu-operator")
        .create(&PostParams::default(), &ds)
        .await
        .expect("create daemonset");
}

/// Prometheus's scrape config: each host's page with its host label naming the exporter's
/// pod, `instance` a pod address that names no node.
fn scrape_config(sb: &Sandbox) -> String {
    let addr = sb.base_url().trim_start_matches("http://").to_owned();
    let mut s = String::from(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: dcgm\n    static_configs:\n",
    );
    for (i, node) in NODES.iter().enumerate() {
        s.push_str(&format!(
            "      - targets: [\"{addr}\"]\n        labels:\n          __metrics_path__: \"/gpu/{node}/metrics\"\n          __param_hostname: pod\n          __param_exporter: dcgm\n          instance: \"10.244.{}.7:9400\"\n",
            i + 1
        ));
    }
    s
}

fn hosts_of(update: &GpuUpdate) -> Vec<(String, usize)> {
    match update {
        GpuUpdate::Round(hosts) => hosts
            .iter()
            .map(|h| (h.host.clone(), h.gpus.len()))
            .collect(),
        _ => Vec::new(),
    }
}

fn shown(s: &flightdeck::app::State) -> Vec<String> {
    let mut names: Vec<String> = s.gpu.hosts.iter().map(|h| h.name.clone()).collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exporter_pods_host_is_its_node_known_from_the_cluster() {
    let Some(bin) = tools::require("prometheus") else {
        return;
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sb = Sandbox::start(SandboxOptions {
        gpu_hosts: HOSTS,
        ..SandboxOptions::scenario(Scenario::Steady)
    })
    .await
    .expect("sandbox");
    admin(&sb, "time/pause", "").await;
    install_exporter(kube_client(&sb).await).await;
    let kubeconfig = sb.kubeconfig_yaml();
    let config = scrape_config(&sb);
    let mut h = Harness::on(sb, None).await;
    h.until("an exporter pod on every DGX node", |s| {
        s.cluster.all_listed()
            && NODES.iter().all(|n| {
                s.cluster
                    .pods
                    .values()
                    .any(|p| p.key.namespace == "gpu-operator" && p.node.as_deref() == Some(*n))
            })
    })
    .await;

    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let _prometheus: Running = support::prometheus::start(&bin, dir.path(), &config, port);
    let base = format!("http://127.0.0.1:{port}");
    let client = PrometheusClient::new(http_client(Duration::from_secs(5)).expect("client"), &base);
    let gpu_config = GpuPrometheusConfig::new(base.clone());
    let mut rounds = FleetRounds::default();
    let mut round = None;
    // bounded polling until Prometheus has scraped every host
    for _ in 0..90 {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let update = poll_once(&client, &gpu_config, Duration::from_secs(1), &mut rounds).await;
        let per_host = hosts_of(&update);
        if per_host.len() == HOSTS && per_host.iter().all(|(_, n)| *n == 8) {
            round = Some(update);
            break;
        }
    }
    let round = round.unwrap_or_else(|| {
        panic!(
            "Prometheus serves 4 hosts of 8 GPUs; its log:\n{}",
            std::fs::read_to_string(dir.path().join("prometheus.log")).unwrap_or_default()
        )
    });
    // the exporters name their pods
    let raw: Vec<String> = hosts_of(&round).into_iter().map(|(h, _)| h).collect();
    assert!(
        raw.iter().all(|h| h.starts_with("dcgm-exporter-")),
        "{raw:?}"
    );

    // the console that knows the pods shows their nodes
    let GpuUpdate::Round(samples) = &round else {
        panic!("a round");
    };
    h.state.now = samples[0].time;
    update(&mut h.state, Event::Gpu(round.clone()));
    assert_eq!(shown(&h.state), NODES);
    assert_eq!(h.state.gpu.gpu_count(), 32);
    let dgx02 = h.state.gpu.host("dgx-02").expect("dgx-02");
    // the pods on the GPUs are still the training pods, not the exporter
    let pods: Vec<String> = dgx02
        .gpus
        .iter()
        .filter_map(|g| {
            g.sample
                .pod
                .as_ref()
                .map(|p| format!("{}/{}", p.namespace, p.pod))
        })
        .collect();
    assert_eq!(pods, vec!["ml/train-llama-1"; 4], "{pods:?}");
    let mut zoomed = h.state.clone();
    zoomed.focus = flightdeck::app::PaneId::Hosts;
    zoomed.zoomed = true;
    let text = support::common::cells(&support::common::draw_at(&zoomed, 200, 60));
    assert!(text.contains("fleet: 4 hosts · 32 GPUs"), "{text}");
    assert!(text.contains("▾ dgx-01"), "{text}");
    assert!(!text.contains("dcgm-exporter-"), "{text}");

    // a console that knows no pods shows what the exporters wrote; told of them later, it
    // moves each host under its node, history and all
    let mut blind = support::workloads::state(None);
    blind.now = h.state.now;
    update(&mut blind, Event::Gpu(round.clone()));
    assert_eq!(shown(&blind), raw);
    blind.cluster = h.state.cluster.clone();
    let next = poll_once(&client, &gpu_config, Duration::from_secs(1), &mut rounds).await;
    blind.now += jiff::SignedDuration::from_secs(2);
    update(&mut blind, Event::Gpu(next));
    assert_eq!(shown(&blind), NODES);
    let history = blind
        .gpu
        .host("dgx-01")
        .and_then(|h| h.gpus.first())
        .map(|g| g.history.len());
    assert!(history.is_some_and(|n| n >= 2), "{history:?}");

    // `gpu --once --json` asks the cluster for the pods the series name
    let kc = dir.path().join("kubeconfig");
    std::fs::write(&kc, kubeconfig).expect("kubeconfig");
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, format!("[gpu]\nprometheus = \"{base}\"\n")).expect("config");
    let args = vec![
        "--config".to_owned(),
        cfg.display().to_string(),
        "--kubeconfig".to_owned(),
        kc.display().to_string(),
        "gpu".to_owned(),
        "--once".to_owned(),
        "--json".to_owned(),
    ];
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_flightdeck"))
            .args(&args)
            .env(
                "XDG_CONFIG_HOME",
                std::env::temp_dir().join("flightdeck-gpu-nodes-none"),
            )
            .output()
            .expect("run flightdeck")
    })
    .await
    .expect("join");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    let hosts: Vec<&str> = report["hosts"]
        .as_array()
        .expect("hosts")
        .iter()
        .filter_map(|h| h["host"].as_str())
        .collect();
    assert_eq!(hosts, NODES, "{stdout}");
    let gpu_hosts: Vec<&str> = report["hosts"][1]["gpus"]
        .as_array()
        .expect("gpus")
        .iter()
        .filter_map(|g| g["host"].as_str())
        .collect();
    assert_eq!(gpu_hosts, ["dgx-02"; 8]);
}
