//! Remote GPU hosts: the real reqwest client scraping exporter pages served by a
//! small axum server on loopback, parsed by the strict exposition parser.

use crate::support::gpu_pages;

use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use flightdeck::app::panes::gpu::GpuState;
use flightdeck::sources::exposition;
use flightdeck::sources::gpu::remote::http_client;
use flightdeck::sources::gpu::{GpuUpdate, Memory, map_samples, scrape_host, spawn_remote};

const MIB: u64 = 1024 * 1024;

async fn serve() -> String {
    let app = Router::new()
        .route(
            "/dcgm",
            get(|| async { gpu_pages::dcgm_page("dgx-02", "Hostname", 8) }),
        )
        .route(
            "/dcgm-new",
            get(|| async { gpu_pages::dcgm_page("dgx-03", "hostname", 2) }),
        )
        .route("/dgx", get(|| async { gpu_pages::dgx_page("dgx-01", 4) }))
        .route(
            "/error",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }),
        )
        .route(
            "/bad",
            get(|| async { "DCGM_FI_DEV_GPU_UTIL{gpu=\"0\" 5\n" }),
        );
    gpu_pages::serve(app).await
}

fn client() -> reqwest::Client {
    http_client(Duration::from_secs(5)).expect("client")
}

#[tokio::test]
async fn dcgm_exporter_page_maps_to_the_model() {
    let base = serve().await;
    let host = scrape_host(&client(), "dgx-02", &format!("{base}/dcgm")).await;
    assert_eq!(host.error, None);
    assert_eq!(host.host, "dgx-02");
    assert_eq!(host.driver_version.as_deref(), Some("570.133.20"));
    assert_eq!(host.gpus.len(), 8);
    for (i, g) in host.gpus.iter().enumerate() {
        let i32 = i as u32;
        let i64 = i as u64;
        assert_eq!(g.index, i32);
        assert_eq!(g.host, "dgx-02", "from the Hostname label");
        assert_eq!(g.uuid, gpu_pages::dcgm_uuid(i32));
        assert_eq!(g.name.as_deref(), Some("NVIDIA H100 80GB HBM3"));
        assert_eq!(g.util_gpu_pct, Some(50 + i32));
        assert_eq!(g.util_mem_pct, Some(10 + i32));
        // DCGM has no total: used + free + reserved.
        assert_eq!(
            g.memory,
            Memory::Dedicated {
                used_bytes: 1024 * (i64 + 1) * MIB,
                total_bytes: 81559 * MIB
            }
        );
        assert_eq!(g.temperature_c, Some(40 + i32));
        assert_eq!(g.power_w, Some(300.25 + i as f64));
        assert_eq!(g.power_limit_w, Some(700.0));
        assert_eq!(g.sm_clock_mhz, Some(1980));
        assert_eq!(g.mem_clock_mhz, Some(2619));
        // Not on DCGM's default page: n/a.
        assert_eq!(g.sm_clock_max_mhz, None);
        assert_eq!(g.temp_slowdown_c, None);
        assert_eq!(g.throttle, None);
        assert_eq!(g.processes, None);
    }
    // DCGM's blank sentinel is n/a, not 9.2e18 %.
    assert_eq!(host.gpus[0].fan_pct, None);
    assert_eq!(host.gpus[1].fan_pct, Some(30));
}

#[tokio::test]
async fn lowercase_hostname_label_is_accepted() {
    let base = serve().await;
    let host = scrape_host(&client(), "node-3", &format!("{base}/dcgm-new")).await;
    assert_eq!(host.error, None);
    assert_eq!(host.gpus.len(), 2);
    assert!(host.gpus.iter().all(|g| g.host == "dgx-03"));
}

#[tokio::test]
async fn dgx_gpu_page_maps_to_the_model() {
    let base = serve().await;
    let host = scrape_host(&client(), "dgx-01", &format!("{base}/dgx")).await;
    assert_eq!(host.error, None);
    assert_eq!(host.gpus.len(), 4);
    let g = &host.gpus[2];
    assert_eq!(g.uuid, "GPU-dgx-0002");
    assert_eq!(g.host, "dgx-01");
    assert_eq!(g.temperature_c, Some(62));
    assert_eq!(g.util_gpu_pct, Some(88));
    assert_eq!(
        g.memory,
        Memory::Dedicated {
            used_bytes: 3 << 30,
            total_bytes: 80 << 30
        }
    );
    assert_eq!(g.power_w, Some(252.0));
    // Missing series are n/a.
    assert_eq!(g.name, None);
    assert_eq!(g.sm_clock_mhz, None);
    assert_eq!(g.power_limit_w, None);
    assert_eq!(g.util_mem_pct, None);
}

#[test]
fn both_name_sets_on_one_page_join_by_uuid() {
    let page = "\
DCGM_FI_DEV_GPU_UTIL{gpu=\"0\",UUID=\"GPU-a\",modelName=\"NVIDIA H100 80GB HBM3\",Hostname=\"dgx-01\"} 71
DCGM_FI_DEV_GPU_TEMP{gpu=\"0\",UUID=\"GPU-a\",modelName=\"NVIDIA H100 80GB HBM3\",Hostname=\"dgx-01\"} 9223372036854775794
dgx_gpu_temperature_celsius{gpu=\"0\",uuid=\"GPU-a\",hostname=\"dgx-01\"} 66
dgx_gpu_utilization_percent{gpu=\"0\",uuid=\"GPU-a\",hostname=\"dgx-01\"} 12
dgx_gpu_memory_used_bytes{gpu=\"0\",uuid=\"GPU-a\",hostname=\"dgx-01\"} 1073741824
dgx_gpu_memory_total_bytes{gpu=\"0\",uuid=\"GPU-a\",hostname=\"dgx-01\"} 85899345920
http_requests_total{service=\"x\"} 5
";
    let scrape = exposition::parse(page).expect("page parses");
    let gpus = map_samples("dgx-01", &scrape.samples);
    assert_eq!(gpus.len(), 1);
    let g = &gpus[0];
    assert_eq!(g.uuid, "GPU-a");
    // The DCGM series comes first and wins; its blank temperature leaves room for the
    // dgx_gpu_* one.
    assert_eq!(g.util_gpu_pct, Some(71));
    assert_eq!(g.temperature_c, Some(66));
    assert_eq!(
        g.memory,
        Memory::Dedicated {
            used_bytes: 1 << 30,
            total_bytes: 80 << 30
        }
    );
}

#[test]
fn gpus_without_uuid_are_keyed_by_index_and_blank_fields_are_na() {
    let page = "\
DCGM_FI_DEV_GPU_UTIL{gpu=\"1\",Hostname=\"spark\"} 3
DCGM_FI_DEV_GPU_UTIL{gpu=\"0\",Hostname=\"spark\"} 9223372036854775807
DCGM_FI_DEV_FB_USED{gpu=\"0\",Hostname=\"spark\"} 100
DCGM_FI_DEV_POWER_USAGE{gpu=\"0\",Hostname=\"spark\"} NaN
";
    let scrape = exposition::parse(page).expect("page parses");
    let gpus = map_samples("spark", &scrape.samples);
    assert_eq!(gpus.len(), 2);
    assert_eq!(gpus[0].uuid, "index:0");
    assert_eq!(gpus[0].util_gpu_pct, None);
    assert_eq!(gpus[0].power_w, None);
    // Used without free: no total, so n/a (GB10 has no FB_* series at all).
    assert_eq!(gpus[0].memory, Memory::NotAvailable);
    assert_eq!(gpus[1].uuid, "index:1");
    assert_eq!(gpus[1].util_gpu_pct, Some(3));
}

#[tokio::test]
async fn unreachable_host_is_an_error_sample_and_state_keeps_the_old_values() {
    let base = serve().await;
    let c = client();
    let mut state = GpuState::new();
    state.apply(GpuUpdate::Host(
        scrape_host(&c, "dgx-02", &format!("{base}/dcgm")).await,
    ));
    let down = scrape_host(&c, "dgx-02", &gpu_pages::closed_url().await).await;
    assert!(down.gpus.is_empty());
    let error = down.error.clone().expect("an error");
    assert!(error.starts_with("GET http://127.0.0.1:"), "{error}");
    state.apply(GpuUpdate::Host(down));
    let h = state.host("dgx-02").expect("host");
    assert!(h.is_stale());
    assert_eq!(h.gpus.len(), 8, "last values kept");
    assert_eq!(h.gpus[3].sample.util_gpu_pct, Some(53));
}

#[tokio::test]
async fn http_errors_and_bad_text_are_error_samples() {
    let base = serve().await;
    let c = client();
    let e500 = scrape_host(&c, "h", &format!("{base}/error")).await;
    assert!(
        e500.error
            .as_deref()
            .is_some_and(|e| e.contains("HTTP 500")),
        "{:?}",
        e500.error
    );
    let bad = scrape_host(&c, "h", &format!("{base}/bad")).await;
    let error = bad.error.expect("bad text is an error");
    assert!(error.contains("bad metrics text at line 1:"), "{error}");
}

#[tokio::test]
async fn spawn_remote_sends_each_host_until_the_receiver_is_gone() {
    let base = serve().await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let handle = spawn_remote(
        vec![
            ("dgx-02".into(), format!("{base}/dcgm")),
            ("dgx-01".into(), format!("{base}/dgx")),
        ],
        Duration::from_millis(250),
        move |u| tx.send(u).is_ok(),
    );
    let mut seen = Vec::new();
    for _ in 0..4 {
        match rx.recv().await.expect("update") {
            GpuUpdate::Host(h) => {
                assert_eq!(h.error, None);
                seen.push(h.host);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(seen, ["dgx-02", "dgx-01", "dgx-02", "dgx-01"]);
    drop(rx);
    handle.await.expect("task ends cleanly");
}
