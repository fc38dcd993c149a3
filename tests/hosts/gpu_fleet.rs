//! The GPU pane's Prometheus mode against a real Prometheus (Debian's package) scraping four
//! loopback DCGM-exporter pages served here: 4 DGX hosts of 9 GPUs (36 GPUs: a fleet, so
//! healthy hosts start collapsed), pods on some GPUs (new and old label names), an XID 79 on
//! dgx-03 GPU 3, dgx-02 GPU 1 thermally throttled; then dgx-04 GPU 5's lines are dropped
//! (it fell off the bus). A counting proxy in front of Prometheus checks that one refresh is
//! one round: one instant query and one range query.

use crate::support;
use crate::support::common;
use crate::support::tools;

use std::path::Path;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::prometheus::{Running, free_port};

use axum::Router;
use axum::routing::get;
use flightdeck::app::panes::gpu::{GpuRow, gpu_hint, rows};
use flightdeck::app::{Action, Event, PaneId, State, update};
use flightdeck::sources::gpu::GpuUpdate;
use flightdeck::sources::gpu::prometheus::{FleetRounds, GpuPrometheusConfig, poll_once};
use flightdeck::sources::metrics::http_client;
use flightdeck::sources::metrics::prometheus::PrometheusClient;

const HOSTS: [&str; 4] = ["dgx-01", "dgx-02", "dgx-03", "dgx-04"];
const GPUS: u32 = 9;

/// One host's DCGM page, as `crates/sandbox/src/metrics.rs::render_gpu` writes them.
fn dcgm_page(host: &str, drop_gpu5: bool) -> String {
    let mut out = String::new();
    let metrics = [
        "DCGM_FI_DEV_GPU_UTIL",
        "DCGM_FI_DEV_FB_USED",
        "DCGM_FI_DEV_FB_FREE",
        "DCGM_FI_DEV_GPU_TEMP",
        "DCGM_FI_DEV_SLOWDOWN_TEMP",
        "DCGM_FI_DEV_POWER_USAGE",
        "DCGM_FI_DEV_CLOCK_THROTTLE_REASONS",
        "DCGM_FI_DEV_XID_ERRORS",
        "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL",
    ];
    for metric in metrics {
        out.push_str(&format!("# TYPE {metric} gauge\n"));
        for gpu in 0..GPUS {
            if drop_gpu5 && host == "dgx-04" && gpu == 5 {
                continue;
            }
            let pod = match (host, gpu) {
                ("dgx-03", g) if g < 4 => {
                    format!(",pod=\"train-llama-{g}\",namespace=\"ml\",container=\"trainer\"")
                }
                // an older exporter's names
                ("dgx-01", 0) => {
                    ",pod_name=\"notebook-0\",pod_namespace=\"research\",container_name=\"jupyter\""
                        .to_owned()
                }
                _ => String::new(),
            };
            let throttled = host == "dgx-02" && gpu == 1;
            let value = match metric {
                "DCGM_FI_DEV_GPU_UTIL" if host == "dgx-03" => 95,
                "DCGM_FI_DEV_GPU_UTIL" => gpu * 3,
                "DCGM_FI_DEV_FB_USED" => 1000 + gpu * 100,
                "DCGM_FI_DEV_FB_FREE" => 80_000,
                "DCGM_FI_DEV_GPU_TEMP" if throttled => 90,
                "DCGM_FI_DEV_GPU_TEMP" => 50,
                "DCGM_FI_DEV_SLOWDOWN_TEMP" => 87,
                "DCGM_FI_DEV_POWER_USAGE" => 300,
                "DCGM_FI_DEV_CLOCK_THROTTLE_REASONS" if throttled => 0x40,
                "DCGM_FI_DEV_XID_ERRORS" if host == "dgx-03" && gpu == 3 => 79,
                _ => 0,
            };
            out.push_str(&format!(
                "{metric}{{gpu=\"{gpu}\",UUID=\"GPU-{host}-{gpu}\",device=\"nvidia{gpu}\",\
                 modelName=\"NVIDIA H100 80GB HBM3\",Hostname=\"{host}\"{pod}}} {value}\n"
            ));
        }
    }
    out
}

async fn serve_app(app: Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

/// The four pages; `drop` makes dgx-04 leave out GPU 5's lines.
async fn serve_pages(drop: Arc<AtomicBool>) -> Vec<String> {
    let mut targets = Vec::new();
    for host in HOSTS {
        let drop = drop.clone();
        let app = Router::new().route(
            "/metrics",
            get(move || {
                let page = dcgm_page(host, drop.load(Ordering::SeqCst));
                async move { page }
            }),
        );
        targets.push(serve_app(app).await.to_string());
    }
    targets
}

fn start_prometheus(bin: &Path, dir: &Path, targets: &[String], port: u16) -> Running {
    let list = targets
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let config = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
         scrape_configs:\n  - job_name: dcgm\n    static_configs:\n      - targets: [{list}]\n"
    );
    support::prometheus::start(bin, dir, &config, port)
}

/// A loopback proxy in front of `upstream` that records the path of every request.
async fn counting_proxy(upstream: String, seen: Arc<Mutex<Vec<String>>>) -> String {
    let http = http_client(Duration::from_secs(5)).expect("client");
    let app = Router::new().fallback(move |uri: axum::http::Uri| {
        let (http, upstream, seen) = (http.clone(), upstream.clone(), seen.clone());
        async move {
            let path = uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default();
            if let Ok(mut seen) = seen.lock() {
                seen.push(uri.path().to_owned());
            }
            let bad = axum::http::StatusCode::BAD_GATEWAY;
            match http.get(format!("{upstream}{path}")).send().await {
                Ok(r) => {
                    let status =
                        axum::http::StatusCode::from_u16(r.status().as_u16()).unwrap_or(bad);
                    (status, r.text().await.unwrap_or_default())
                }
                Err(e) => (bad, e.to_string()),
            }
        }
    });
    format!("http://{}", serve_app(app).await)
}

fn state() -> State {
    common::state_builder()
        .config_toml("[gpu]\nprometheus = \"http://prometheus.invalid:9090\"\n")
        .theme("dark")
        .focus(PaneId::Hosts)
        .build()
}

/// The update with every host's sample `secs` later (the throttle must be held > 1 min).
fn later(update: &GpuUpdate, secs: i64) -> GpuUpdate {
    match update {
        GpuUpdate::Round(hosts) => GpuUpdate::Round(
            hosts
                .iter()
                .cloned()
                .map(|mut h| {
                    h.time += jiff::SignedDuration::from_secs(secs);
                    for g in &mut h.gpus {
                        g.util_history.clear();
                    }
                    h
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn round_hosts(update: &GpuUpdate) -> Vec<(String, usize)> {
    match update {
        GpuUpdate::Round(hosts) => hosts
            .iter()
            .map(|h| (h.host.clone(), h.gpus.len()))
            .collect(),
        _ => Vec::new(),
    }
}

fn pane_text(state: &State) -> String {
    common::cells(&common::draw_at(state, 300, 150))
}

/// Selects the GPU-part row `row` (no services configured, so rows start at 0).
fn select(state: &mut State, row: GpuRow) {
    let at = rows(state)
        .iter()
        .position(|r| *r == row)
        .expect("row shown");
    state.pane_mut(PaneId::Hosts).selected = at;
}

fn host_index(state: &State, name: &str) -> usize {
    state
        .gpu
        .hosts
        .iter()
        .position(|h| h.name == name)
        .expect("host known")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_through_prometheus_in_one_round_with_pods_and_health() {
    let Some(bin) = tools::require("prometheus") else {
        return;
    };
    let drop = Arc::new(AtomicBool::new(false));
    let targets = serve_pages(drop.clone()).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let _prometheus = start_prometheus(&bin, dir.path(), &targets, port);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let base = counting_proxy(format!("http://127.0.0.1:{port}"), seen.clone()).await;
    let client = PrometheusClient::new(http_client(Duration::from_secs(2)).expect("client"), &base);
    let config = GpuPrometheusConfig::new(base.clone());
    let mut rounds = FleetRounds::default();
    let step = Duration::from_secs(1);

    // Bounded polling until Prometheus has scraped all four pages; rounds a step apart, so
    // each has a new history step to ask for.
    let mut first = None;
    let mut saw_history = false;
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_millis(1100)).await;
        if let Ok(mut seen) = seen.lock() {
            seen.clear();
        }
        let update = poll_once(&client, &config, step, &mut rounds).await;
        if let GpuUpdate::Round(hosts) = &update {
            saw_history |= hosts
                .iter()
                .flat_map(|h| &h.gpus)
                .any(|g| !g.util_history.is_empty());
        }
        let hosts = round_hosts(&update);
        if hosts.len() == 4 && hosts.iter().all(|(_, n)| *n == GPUS as usize) {
            first = Some(update);
            break;
        }
    }
    let first = first.expect("Prometheus serves the four hosts' GPUs");
    // one refresh is one round: one instant query, one range query
    let mut requests = seen.lock().map(|s| s.clone()).unwrap_or_default();
    requests.sort();
    assert_eq!(requests, ["/api/v1/query", "/api/v1/query_range"]);

    // the samples per host: pods (both label sets), the XID, the throttle
    let GpuUpdate::Round(hosts) = &first else {
        panic!("a round: {first:?}");
    };
    let names: Vec<&str> = hosts.iter().map(|h| h.host.as_str()).collect();
    assert_eq!(names, HOSTS);
    let dgx03 = &hosts[2];
    assert!(dgx03.gpus.iter().all(|g| g.host == "dgx-03"));
    let g3 = &dgx03.gpus[3];
    assert_eq!((g3.index.number(), g3.xid), (Some(3), Some(79)));
    let pod = g3.pod.as_ref().expect("pod on dgx-03 GPU 3");
    assert_eq!(
        (
            pod.namespace.as_str(),
            pod.pod.as_str(),
            pod.container.as_deref()
        ),
        ("ml", "train-llama-3", Some("trainer"))
    );
    let old = hosts[0].gpus[0].pod.as_ref().expect("older labels read");
    assert_eq!(
        (old.namespace.as_str(), old.pod.as_str()),
        ("research", "notebook-0")
    );
    assert_eq!(hosts[0].gpus[1].pod, None);
    assert!(hosts[1].gpus[1].is_throttled() && hosts[1].gpus[1].is_hot());
    assert_eq!(hosts[2].gpus[0].util_gpu_pct, Some(95));
    // the history may trail the newest scrape by a step: bounded polling for it
    for _ in 0..10 {
        if saw_history {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1100)).await;
        if let GpuUpdate::Round(later) = poll_once(&client, &config, step, &mut rounds).await {
            saw_history = later
                .iter()
                .flat_map(|h| &h.gpus)
                .any(|g| !g.util_history.is_empty());
        }
    }
    assert!(saw_history, "the range query brings the history");

    // the pane through update and render
    let mut s = state();
    s.now = hosts[0].time;
    update(&mut s, Event::Gpu(first.clone()));
    // held for more than a minute, the throttle pages
    s.now = hosts[0].time + jiff::SignedDuration::from_secs(61);
    update(&mut s, Event::Gpu(later(&first, 61)));
    let order: Vec<&str> = s
        .gpu
        .order
        .iter()
        .map(|&i| s.gpu.hosts[i].name.as_str())
        .collect();
    assert_eq!(
        order,
        ["dgx-03", "dgx-02", "dgx-01", "dgx-04"],
        "worst first"
    );
    let t = pane_text(&s);
    assert!(
        t.contains("fleet: 4 hosts · 36 GPUs · 24 busy · 1 hot · 1 erroring"),
        "{t}"
    );
    // faulty hosts expanded, healthy ones collapsed to one line
    assert!(t.contains("▾ dgx-03") && t.contains("▾ dgx-02"), "{t}");
    assert!(t.contains("▸ dgx-01") && t.contains("▸ dgx-04"), "{t}");
    let line = |needle: &str| {
        t.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no `{needle}` in\n{t}"))
            .to_owned()
    };
    assert!(line("▸ dgx-04").contains("5/9 busy  hottest 50°C"), "{t}");
    // the marked row comes first within its host, with its pod
    let xid_row = line("XID 79 (fell off the bus)");
    assert!(xid_row.contains("ml/train-llama-3"), "{xid_row}");
    let dgx03_gpu = rows(&s)
        .into_iter()
        .find_map(|r| match r {
            GpuRow::Gpu(h, i) if s.gpu.hosts[h].name == "dgx-03" => Some(i),
            _ => None,
        })
        .expect("dgx-03 expanded");
    assert_eq!(
        s.gpu.hosts[host_index(&s, "dgx-03")].gpus[dgx03_gpu]
            .sample
            .index,
        3
    );
    assert!(line("⚠ thermal (hw)").contains("90°C"), "{t}");
    // the hint
    let hint = gpu_hint(&s).expect("a GPU hint");
    assert_eq!(
        hint,
        "⚠ dgx-03 GPU 3: XID 79 (fell off the bus) 1m ago — pod ml/train-llama-3 (+1 more)"
    );
    // once the host is known as a node, the hint offers its cordon and drain in one key
    let node = flightdeck::sources::kube::model::NodeRow {
        name: "dgx-03".into(),
        ready: Some(true),
        gpu_capacity: 9,
        ..Default::default()
    };
    let generation = s.generation;
    update(
        &mut s,
        Event::Nodes {
            generation,
            msg: flightdeck::sources::kube::model::NodesMsg::Nodes(vec![node]),
        },
    );
    let hint = flightdeck::app::hint::incident_hint(&s).expect("the incident hint");
    assert!(
        hint.ends_with("(+1 more) — c cordon · W drain node/dgx-03"),
        "{hint}"
    );
    let before_focus = s.focus;
    s.focus = PaneId::Errors;
    let effects = flightdeck::app::update::apply(&mut s, Action::NodeDrain);
    assert!(
        effects.iter().any(|e| matches!(e,
            flightdeck::app::Effect::PlanOperation(flightdeck::ops::Operation::Node {
                target, op: flightdeck::ops::NodeOp::Drain(_), ..
            }) if target.name == "dgx-03")),
        "{effects:?}"
    );
    s.overlay = flightdeck::app::state::Overlay::None;
    s.focus = before_focus;

    // enter on a collapsed host expands it, again collapses it
    let dgx01 = host_index(&s, "dgx-01");
    select(&mut s, GpuRow::Host(dgx01));
    let before = rows(&s).len();
    flightdeck::app::update::apply(&mut s, Action::Open);
    assert_eq!(rows(&s).len(), before + GPUS as usize);
    assert!(pane_text(&s).contains("▾ dgx-01"));
    assert!(pane_text(&s).contains("research/notebook-0"));
    flightdeck::app::update::apply(&mut s, Action::Open);
    assert_eq!(rows(&s).len(), before);

    // enter on a GPU a pod uses opens the pod in Workloads
    let dgx03 = host_index(&s, "dgx-03");
    select(&mut s, GpuRow::Gpu(dgx03, 3));
    flightdeck::app::update::apply(&mut s, Action::Open);
    assert_eq!(s.focus, PaneId::Workloads);
    s.focus = PaneId::Hosts;

    // dgx-04 GPU 5 falls off the bus: its series go while the host's others stay
    drop.store(true, Ordering::SeqCst);
    let mut gone = None;
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let update = poll_once(&client, &config, step, &mut rounds).await;
        if round_hosts(&update).contains(&("dgx-04".to_owned(), GPUS as usize - 1)) {
            gone = Some(update);
            break;
        }
    }
    let gone = gone.expect("GPU 5's series leave Prometheus");
    s.now += jiff::SignedDuration::from_secs(2);
    update(&mut s, Event::Gpu(later(&gone, 63)));
    let dgx04 = &s.gpu.hosts[host_index(&s, "dgx-04")];
    assert_eq!(dgx04.gpus.len(), GPUS as usize, "remembered");
    let g5 = dgx04
        .gpus
        .iter()
        .find(|g| g.sample.index == 5)
        .expect("GPU 5");
    assert!(g5.gone_since.is_some());
    let order: Vec<&str> = s
        .gpu
        .order
        .iter()
        .map(|&i| s.gpu.hosts[i].name.as_str())
        .collect();
    assert_eq!(
        order[..2],
        ["dgx-03", "dgx-04"],
        "off the bus pages like XID 79"
    );
    let t = pane_text(&s);
    assert!(t.contains("▾ dgx-04"), "{t}");
    assert!(
        t.contains("down: fell off the bus (its series are gone)"),
        "{t}"
    );
    assert!(t.contains("2 erroring"), "{t}");
}

/// A fake Prometheus answering each request from a script: good, then 500, then not JSON.
async fn scripted(answers: Vec<(u16, String)>) -> String {
    let answers = Arc::new(Mutex::new(answers.into_iter()));
    let app = Router::new().fallback(move |uri: axum::http::Uri| {
        let answers = answers.clone();
        async move {
            let range = uri.path().ends_with("query_range");
            let (status, body) = if range {
                (
                    200,
                    r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#.to_owned(),
                )
            } else {
                answers
                    .lock()
                    .ok()
                    .and_then(|mut a| a.next())
                    .unwrap_or((503, String::new()))
            };
            (
                axum::http::StatusCode::from_u16(status)
                    .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR),
                body,
            )
        }
    });
    format!("http://{}", serve_app(app).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_answers_keep_the_last_values_marked_stale() {
    let good = r#"{"status":"success","data":{"resultType":"vector","result":[
        {"metric":{"__name__":"DCGM_FI_DEV_GPU_UTIL","gpu":"0","UUID":"GPU-a","Hostname":"dgx-01","instance":"10.0.0.1:9400"},"value":[1790000000,"42"]},
        {"metric":{"__name__":"DCGM_FI_DEV_GPU_TEMP","gpu":"0","UUID":"GPU-a","Hostname":"dgx-01"},"value":[1790000000,"NaN"]},
        {"metric":{"__name__":"DCGM_FI_DEV_GPU_UTIL","gpu":"0","UUID":"GPU-b","instance":"10.0.0.2:9400"},"value":[1790000000,"7"]}
    ]}}"#;
    let base = scripted(vec![
        (200, good.to_owned()),
        (500, "upstream broke".to_owned()),
        (200, "{\"status\":\"success\",\"data\":".to_owned()),
    ])
    .await;
    let client = PrometheusClient::new(http_client(Duration::from_secs(2)).expect("client"), &base);
    let config = GpuPrometheusConfig::new(base.clone());
    let mut rounds = FleetRounds::default();
    let step = Duration::from_secs(1);
    let mut s = state();

    let ok = poll_once(&client, &config, step, &mut rounds).await;
    // `Hostname` names the host, `instance` when a series lacks it; NaN is n/a
    assert_eq!(
        round_hosts(&ok),
        [("10.0.0.2:9400".to_owned(), 1), ("dgx-01".to_owned(), 1)]
    );
    update(&mut s, Event::Gpu(ok));
    let gpu = s.gpu.gpu("dgx-01", "GPU-a").expect("GPU a");
    assert_eq!(gpu.sample.util_gpu_pct, Some(42));
    assert_eq!(gpu.sample.temperature_c, None);

    for expected in ["HTTP 500", "unreadable answer"] {
        let bad = poll_once(&client, &config, step, &mut rounds).await;
        let GpuUpdate::Failed(error) = &bad else {
            panic!("a failed round: {bad:?}");
        };
        assert!(error.contains(expected), "{error}");
        update(&mut s, Event::Gpu(bad));
        let host = s.gpu.host("dgx-01").expect("dgx-01 kept");
        assert!(host.is_stale());
        assert_eq!(
            host.gpus[0].sample.util_gpu_pct,
            Some(42),
            "old values kept"
        );
        let t = pane_text(&s);
        assert!(t.contains(expected) && t.contains("stale"), "{t}");
        assert!(t.contains("42%"), "{t}");
    }
}
