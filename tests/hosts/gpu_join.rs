//! One GPU is one GPU, against a real Prometheus (Debian's package) scraping the sandbox's
//! eight DGX hosts with a plain config: one job per host page, nothing relabelled, so every
//! series' `instance` is the sandbox's `127.0.0.1:PORT`. The pages are written as a mixed
//! fleet's exporters write them: DCGM's `Hostname` beside the seed exporter's lower-case
//! `hostname`/`uuid` (dgx-01 … dgx-04), DCGM's newer `hostname` (dgx-05, dgx-06), MIG
//! instances (`GPU_I_ID`, `GPU_I_PROFILE`) on two GPUs of dgx-07 and on every GPU of dgx-08.
//! The fleet is 8 hosts of 8 GPUs, each MIG instance under its parent GPU; and
//! `flightdeck gpu --once --json` with `[gpu] prometheus` reports that same fleet.

use crate::support;
use crate::support::common;
use crate::support::tools;

use std::path::Path;
use std::time::Duration;

use flightdeck::app::{Event, PaneId, update};
use flightdeck::sources::gpu::GpuUpdate;
use flightdeck::sources::gpu::model::Memory;
use flightdeck::sources::gpu::prometheus::{FleetRounds, GpuPrometheusConfig, poll_once};
use flightdeck::sources::metrics::http_client;
use flightdeck::sources::metrics::prometheus::PrometheusClient;
use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};
use support::prometheus::{Running, free_port};

const HOSTS: usize = 8;

/// Each host page's query: how its exporters write it.
fn page_query(host: usize) -> &'static str {
    match host {
        1..=4 => "",
        5 | 6 => "hostname=lower",
        7 => "mig=2",
        _ => "mig=8&hostname=lower&exporter=dcgm",
    }
}

/// A plain scrape config: one job per host page, `instance` left as Prometheus sets it.
fn plain_config(addr: &str) -> String {
    let mut s = String::from(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n",
    );
    for n in 1..=HOSTS {
        let host = format!("dgx-{n:02}");
        s.push_str(&format!(
            "  - job_name: {host}\n    metrics_path: /gpu/{host}/metrics\n"
        ));
        let query = page_query(n);
        if !query.is_empty() {
            s.push_str("    params:\n");
            for pair in query.split('&') {
                let (k, v) = pair.split_once('=').expect("k=v");
                s.push_str(&format!("      {k}: ['{v}']\n"));
            }
        }
        s.push_str(&format!(
            "    static_configs:\n      - targets: ['{addr}']\n"
        ));
    }
    s
}

struct Fleet {
    _sandbox: Sandbox,
    _prometheus: Running,
    _dir: tempfile::TempDir,
    base: String,
    client: PrometheusClient,
}

/// The sandbox's 8 hosts scraped by a real Prometheus with [`plain_config`], once every job
/// is up (bounded).
async fn fleet(bin: &Path) -> Fleet {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sandbox = Sandbox::start(SandboxOptions {
        gpu_hosts: HOSTS,
        ..SandboxOptions::scenario(Scenario::Steady)
    })
    .await
    .expect("sandbox");
    let addr = sandbox
        .base_url()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let prometheus = support::prometheus::start(bin, dir.path(), &plain_config(&addr), port);
    let base = format!("http://127.0.0.1:{port}");
    let client = PrometheusClient::new(http_client(Duration::from_secs(5)).expect("client"), &base);
    let mut up = 0;
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        up = match client.query("up == 1", None).await {
            Ok(series) => series.len(),
            Err(_) => 0,
        };
        if up == HOSTS {
            break;
        }
    }
    assert_eq!(
        up,
        HOSTS,
        "every host page scraped; Prometheus's log:\n{}",
        std::fs::read_to_string(dir.path().join("prometheus.log")).unwrap_or_default()
    );
    Fleet {
        _sandbox: sandbox,
        _prometheus: prometheus,
        _dir: dir,
        base,
        client,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_fleet_through_a_plain_scrape_config_is_each_gpu_once() {
    let Some(bin) = tools::require("prometheus") else {
        return;
    };
    let f = fleet(&bin).await;
    let config = GpuPrometheusConfig::new(f.base.clone());
    let mut rounds = FleetRounds::default();
    let update = poll_once(&f.client, &config, Duration::from_secs(1), &mut rounds).await;
    let GpuUpdate::Round(hosts) = &update else {
        panic!("a round: {update:?}");
    };
    let per_host: Vec<(&str, usize)> = hosts
        .iter()
        .map(|h| (h.host.as_str(), h.gpus.len()))
        .collect();
    let expected: Vec<(String, usize)> = (1..=HOSTS).map(|n| (format!("dgx-{n:02}"), 8)).collect();
    let expected: Vec<(&str, usize)> = expected.iter().map(|(h, n)| (h.as_str(), *n)).collect();
    assert_eq!(per_host, expected, "one host per DGX, eight GPUs each");

    // dgx-01's GPUs joined across the two exporters: DCGM's fields and the seed's
    let dgx01 = &hosts[0];
    assert!(dgx01.gpus.iter().all(|g| g.uuid.starts_with("GPU-")));
    assert!(dgx01.gpus.iter().all(|g| g.sm_clock_mhz.is_some()));
    assert_eq!(dgx01.driver_version, None);

    // MIG instances under their parent: two GPUs of dgx-07, every GPU of dgx-08
    let mig_gpus = |h: &flightdeck::sources::gpu::HostSample| {
        h.gpus.iter().filter(|g| !g.mig.is_empty()).count()
    };
    assert_eq!(mig_gpus(&hosts[6]), 2);
    assert_eq!(mig_gpus(&hosts[7]), 8);
    let g0 = &hosts[6].gpus[0];
    let ids: Vec<(&str, Option<&str>)> = g0
        .mig
        .iter()
        .map(|m| (m.id.as_str(), m.profile.as_deref()))
        .collect();
    assert_eq!(
        ids,
        [
            ("2", Some("3g.40gb")),
            ("3", Some("2g.20gb")),
            ("9", Some("1g.10gb"))
        ]
    );
    // utilisation from the graphics engine's activity; the pod on its instance
    assert!(g0.mig.iter().all(|m| m.util_pct.is_some()), "{g0:?}");
    assert_eq!(g0.mig[1].util_pct, Some(0));
    let pod = g0.mig[0]
        .pod
        .as_ref()
        .expect("the pod on the first instance");
    assert_eq!(
        (pod.namespace.as_str(), pod.pod.as_str()),
        ("ml", "train-llama-6")
    );
    assert_eq!(
        g0.pod, None,
        "the pod is the instance's, not the whole GPU's"
    );
    // the whole GPU's readings once: dgx-07's memory from the seed exporter's whole-GPU
    // series, dgx-08's (DCGM alone) the sum of its instances'
    assert!(g0.temperature_c.is_some());
    assert_eq!(
        g0.memory.used_total().map(|(_, total)| total),
        Some(81_559 * 1024 * 1024)
    );
    let h0 = &hosts[7].gpus[0];
    assert_eq!(
        h0.memory.used_total().map(|(_, total)| total),
        Some((40_448 + 20_096 + 9_984) * 1024 * 1024)
    );
    assert!(matches!(h0.memory, Memory::Dedicated { .. }));
    assert!(hosts[7].gpus.iter().all(|g| g.util_gpu_pct.is_none()));

    // the pane counts the fleet once
    let mut s = common::state_builder()
        .config_toml("[gpu]\nprometheus = \"http://prometheus.invalid:9090\"\n")
        .theme("dark")
        .focus(PaneId::Hosts)
        .build();
    s.now = hosts[0].time;
    update::update(&mut s, Event::Gpu(update.clone()));
    let text = common::cells(&common::draw_at(&s, 200, 60));
    assert!(text.contains("fleet: 8 hosts · 64 GPUs"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gpu_once_json_reads_the_prometheus_fleet() {
    let Some(bin) = tools::require("prometheus") else {
        return;
    };
    let f = fleet(&bin).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, format!("[gpu]\nprometheus = \"{}\"\n", f.base)).expect("config");
    let run = |json: bool| {
        let config = config.clone();
        let home = dir.path().to_owned();
        tokio::task::spawn_blocking(move || {
            let mut args = vec![
                "--config".to_owned(),
                config.display().to_string(),
                "gpu".to_owned(),
                "--once".to_owned(),
            ];
            if json {
                args.push("--json".to_owned());
            }
            std::process::Command::new(env!("CARGO_BIN_EXE_flightdeck"))
                .args(&args)
                .env("XDG_CONFIG_HOME", &home)
                .output()
                .expect("run flightdeck")
        })
    };
    let out = run(true).await.expect("join");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    let hosts = v["hosts"].as_array().expect("hosts");
    let names: Vec<&str> = hosts.iter().filter_map(|h| h["host"].as_str()).collect();
    let expected: Vec<String> = (1..=HOSTS).map(|n| format!("dgx-{n:02}")).collect();
    assert_eq!(names, expected, "{stdout}");
    let gpus: usize = hosts
        .iter()
        .map(|h| h["gpus"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(gpus, 64, "{stdout}");
    assert_eq!(
        hosts[7]["gpus"][0]["mig"].as_array().map(Vec::len),
        Some(3),
        "{stdout}"
    );

    // the table: one row per GPU, memory in GiB
    let out = run(false).await.expect("join");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{table}");
    let rows: Vec<&str> = table.lines().filter(|l| l.starts_with("dgx-")).collect();
    let mig = rows.iter().filter(|l| l.contains("  MIG ")).count();
    assert_eq!((rows.len() - mig, mig), (64, 2 * 3 + 8 * 3), "{table}");
    assert!(
        rows.iter()
            .any(|l| l.starts_with("dgx-08") && l.contains("MIG 1g.10gb (instance 9)")),
        "{table}"
    );
    assert!(table.contains(" GiB"), "{table}");
}
