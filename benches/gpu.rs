//! GPU source costs: one full NVML sample of 8 GPUs through nvml-wrapper (against
//! the fake libnvidia-ml.so, so this measures our side and the wrapper, not a
//! driver), parsing + mapping one exporter page for 8 GPUs, a 320-GPU fleet's Prometheus
//! round (instant + range JSON as Prometheus writes them, served on loopback: HTTP, parse
//! and fold) and its fold alone, and one frame of the Hosts pane with 1,000 GPUs.

#[path = "../tests/support/common.rs"]
#[allow(dead_code)] // a bench uses a part of what the tests share
mod common;

#[cfg(target_os = "linux")]
#[path = "../tests/support/fake_nvml/mod.rs"]
#[allow(dead_code)] // a bench uses a part of what the tests share
mod fake_nvml;

use criterion::{Criterion, criterion_group, criterion_main};

#[cfg(target_os = "linux")]
fn nvml_sample(c: &mut Criterion) {
    use flightdeck::sources::gpu::LocalSampler;
    let lib = fake_nvml::lib("h100x8");
    let mut sampler = match LocalSampler::open(Some(&lib)) {
        Ok(s) => s,
        Err(e) => panic!("fake NVML: {e}"),
    };
    c.bench_function("gpu/nvml_sample_8_gpus", |b| {
        b.iter(|| std::hint::black_box(sampler.sample(false)))
    });
    c.bench_function("gpu/nvml_sample_8_gpus_with_pcie", |b| {
        b.iter(|| std::hint::black_box(sampler.sample(true)))
    });
}

#[cfg(not(target_os = "linux"))]
fn nvml_sample(_: &mut Criterion) {}

#[path = "../tests/support/gpu_pages.rs"]
#[allow(dead_code)] // a bench uses a part of what the tests share
mod gpu_pages;

fn dcgm_page(c: &mut Criterion) {
    use flightdeck::sources::exposition;
    use flightdeck::sources::gpu::map_samples;
    let page = gpu_pages::dcgm_page("dgx-02", "Hostname", 8);
    c.bench_function("gpu/dcgm_parse_and_map_8_gpus", |b| {
        b.iter(|| {
            let scrape = match exposition::parse(std::hint::black_box(&page)) {
                Ok(s) => s,
                Err(e) => panic!("page: {e}"),
            };
            std::hint::black_box(map_samples("dgx-02", &scrape.samples))
        })
    });
}

/// `hosts` DGX hosts of 8 GPUs: the instant answer (9 series per GPU) and the range
/// answer (utilisation, `points` steps), as Prometheus writes them.
fn fleet_json(hosts: usize, points: usize) -> (String, String) {
    let names = [
        "DCGM_FI_DEV_GPU_UTIL",
        "DCGM_FI_DEV_FB_USED",
        "DCGM_FI_DEV_FB_FREE",
        "DCGM_FI_DEV_GPU_TEMP",
        "DCGM_FI_DEV_POWER_USAGE",
        "DCGM_FI_DEV_CLOCK_THROTTLE_REASONS",
        "DCGM_FI_DEV_XID_ERRORS",
        "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL",
        "DCGM_FI_DEV_SLOWDOWN_TEMP",
    ];
    let labels = |name: &str, h: usize, g: usize| {
        format!(
            r#"{{"__name__":"{name}","gpu":"{g}","UUID":"GPU-{h}-{g}","device":"nvidia{g}","modelName":"NVIDIA H100 80GB HBM3","Hostname":"dgx-{h:03}","instance":"10.0.{h}.1:9400","job":"dcgm","pod":"train-{h}-{g}","namespace":"ml","container":"trainer"}}"#
        )
    };
    let mut instant = Vec::new();
    let mut range = Vec::new();
    for h in 0..hosts {
        for g in 0..8 {
            for name in names {
                instant.push(format!(
                    r#"{{"metric":{},"value":[1790000000.000,"{}"]}}"#,
                    labels(name, h, g),
                    (h * 7 + g * 13) % 100
                ));
            }
            let values: Vec<String> = (0..points)
                .map(|i| format!(r#"[{},"{}"]"#, 1_790_000_000 + i * 2, (i + g) % 100))
                .collect();
            range.push(format!(
                r#"{{"metric":{},"values":[{}]}}"#,
                labels("DCGM_FI_DEV_GPU_UTIL", h, g),
                values.join(",")
            ));
        }
    }
    let wrap = |kind: &str, items: Vec<String>| {
        format!(
            r#"{{"status":"success","data":{{"resultType":"{kind}","result":[{}]}}}}"#,
            items.join(",")
        )
    };
    (wrap("vector", instant), wrap("matrix", range))
}

fn fleet_round(c: &mut Criterion) {
    use flightdeck::sources::gpu::prometheus::{FleetRounds, GpuPrometheusConfig, poll_once};
    use flightdeck::sources::metrics::prometheus::PrometheusClient;
    use std::time::Duration;
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => panic!("runtime: {e}"),
    };
    // 40 hosts x 8 = 320 GPUs; a steady round's history is one new step per GPU
    let (instant, range) = fleet_json(40, 1);
    let base = runtime.block_on(async move {
        let app = axum::Router::new()
            .route(
                "/api/v1/query",
                axum::routing::get(move || async move { instant }),
            )
            .route(
                "/api/v1/query_range",
                axum::routing::get(move || async move { range }),
            );
        let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
            Ok(l) => l,
            Err(e) => panic!("bind: {e}"),
        };
        let addr = listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        format!("http://{addr}")
    });
    let http = match flightdeck::sources::metrics::http_client(Duration::from_secs(5)) {
        Ok(h) => h,
        Err(e) => panic!("client: {e}"),
    };
    let client = PrometheusClient::new(http, &base).with_max_bytes(64 << 20);
    let config = GpuPrometheusConfig::new(base.clone());
    c.bench_function("gpu/prometheus_round_320_gpus", |b| {
        b.iter(|| {
            let mut rounds = FleetRounds {
                history_until: Some(jiff::Timestamp::now().as_millisecond() - 2000),
                ..FleetRounds::default()
            };
            runtime.block_on(poll_once(
                &client,
                &config,
                Duration::from_secs(2),
                &mut rounds,
            ))
        })
    });
}

fn fleet_series(hosts: usize) -> Vec<flightdeck::sources::metrics::prometheus::Series> {
    use flightdeck::sources::metrics::prometheus::Series;
    let names = [
        "DCGM_FI_DEV_GPU_UTIL",
        "DCGM_FI_DEV_FB_USED",
        "DCGM_FI_DEV_FB_FREE",
        "DCGM_FI_DEV_GPU_TEMP",
        "DCGM_FI_DEV_POWER_USAGE",
        "DCGM_FI_DEV_CLOCK_THROTTLE_REASONS",
        "DCGM_FI_DEV_XID_ERRORS",
        "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL",
        "DCGM_FI_DEV_SLOWDOWN_TEMP",
    ];
    let mut out = Vec::new();
    for h in 0..hosts {
        for g in 0..8 {
            for name in names {
                let metric = [
                    ("__name__", name.to_owned()),
                    ("gpu", g.to_string()),
                    ("UUID", format!("GPU-{h}-{g}")),
                    ("modelName", "NVIDIA H100 80GB HBM3".to_owned()),
                    ("Hostname", format!("dgx-{h:03}")),
                    ("pod", format!("train-{h}-{g}")),
                    ("namespace", "ml".to_owned()),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect();
                let value = match name {
                    "DCGM_FI_DEV_XID_ERRORS" if h == 7 && g == 3 => 79.0,
                    "DCGM_FI_DEV_XID_ERRORS" | "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL" => 0.0,
                    "DCGM_FI_DEV_CLOCK_THROTTLE_REASONS" => 0.0,
                    "DCGM_FI_DEV_SLOWDOWN_TEMP" => 87.0,
                    _ => ((h * 7 + g * 13) % 100) as f64,
                };
                out.push(Series {
                    metric,
                    values: vec![(1_790_000_000_000, value)],
                });
            }
        }
    }
    out
}

fn fleet_fold(c: &mut Criterion) {
    use flightdeck::sources::gpu::prometheus::fold;
    let instant = fleet_series(40);
    let now = jiff::Timestamp::now();
    c.bench_function("gpu/fold_320_gpus", |b| {
        b.iter(|| std::hint::black_box(fold("Hostname", &instant, &[], now)))
    });
}

/// What one round costs once the answers are read: both bodies decoded into series, then
/// folded into samples (the issue's "parse + fold" for 320 GPUs).
fn fleet_parse_and_fold(c: &mut Criterion) {
    use flightdeck::sources::gpu::prometheus::fold;
    use flightdeck::sources::metrics::prometheus::parse_answer;
    let (instant, range) = fleet_json(40, 1);
    let now = jiff::Timestamp::now();
    c.bench_function("gpu/parse_and_fold_320_gpus", |b| {
        b.iter(|| {
            let i = parse_answer(instant.as_bytes()).unwrap_or_default();
            let r = parse_answer(range.as_bytes()).unwrap_or_default();
            std::hint::black_box(fold("Hostname", &i, &r, now))
        })
    });
}

fn fleet_frame(c: &mut Criterion) {
    use flightdeck::app::{Event, PaneId, update};
    use flightdeck::sources::gpu::GpuUpdate;
    use flightdeck::sources::gpu::prometheus::fold;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    let now = jiff::Timestamp::now();
    // 125 hosts x 8 = 1,000 GPUs
    let hosts = fold("Hostname", &fleet_series(125), &[], now);
    let mut s = common::state_builder()
        .at(now)
        .size(200, 60)
        .focus(PaneId::Hosts)
        .build();
    update(&mut s, Event::Gpu(GpuUpdate::Round(hosts)));
    let mut terminal = match Terminal::new(TestBackend::new(200, 60)) {
        Ok(t) => t,
        Err(e) => panic!("terminal: {e}"),
    };
    let mut frame = |name: &str, s: &flightdeck::app::State| {
        c.bench_function(name, |b| {
            b.iter(|| {
                terminal.clear().ok();
                terminal.draw(|f| flightdeck::ui::render(s, f)).ok();
            })
        });
    };
    frame("gpu/frame_1000_gpus_collapsed_200x60", &s);
    let names: Vec<String> = s.gpu.hosts.iter().map(|h| h.name.clone()).collect();
    for name in names {
        s.gpu.toggled.insert(name, true);
    }
    s.pane_mut(PaneId::Hosts).selected = 900;
    frame("gpu/frame_1000_gpus_expanded_200x60", &s);
}

criterion_group!(
    benches,
    nvml_sample,
    dcgm_page,
    fleet_round,
    fleet_fold,
    fleet_parse_and_fold,
    fleet_frame
);
criterion_main!(benches);
