//! `flightdeck gpu --once [--json]`: local GPUs through the fake libnvidia-ml.so and
//! a remote host served on loopback, in one sample.
#![cfg(target_os = "linux")]

use crate::support::fake_nvml;
use crate::support::gpu_pages;

use flightdeck::sources::gpu::run_once;

#[tokio::test]
async fn json_has_every_host_and_gpu() {
    let url = gpu_pages::serve_dcgm().await;
    let (text, failed) = run_once(
        vec![("dgx-02".into(), url)],
        Some(fake_nvml::lib("broken")),
        true,
    )
    .await;
    assert!(!failed, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(v["local_unavailable"], serde_json::Value::Null);
    let hosts = v["hosts"].as_array().expect("hosts");
    assert_eq!(hosts.len(), 2);
    assert_eq!(hosts[0]["host"], "local");
    assert_eq!(hosts[0]["driver_version"], "580.95.05");
    assert!(hosts[0]["time"].is_string());
    let local = hosts[0]["gpus"].as_array().expect("gpus");
    assert_eq!(local.len(), 4);
    let g0 = &local[0];
    for key in [
        "host",
        "index",
        "uuid",
        "name",
        "down",
        "util_gpu_pct",
        "util_mem_pct",
        "memory",
        "temperature_c",
        "temp_slowdown_c",
        "temp_shutdown_c",
        "power_w",
        "power_limit_w",
        "sm_clock_mhz",
        "sm_clock_max_mhz",
        "mem_clock_mhz",
        "mem_clock_max_mhz",
        "fan_pct",
        "throttle",
        "ecc_corrected",
        "ecc_uncorrected",
        "pcie",
        "processes",
    ] {
        assert!(g0.get(key).is_some(), "missing {key} in {g0}");
    }
    assert_eq!(g0["memory"]["kind"], "dedicated");
    assert_eq!(g0["memory"]["total_bytes"], 81559_u64 * 1024 * 1024);
    assert_eq!(g0["fan_pct"], serde_json::Value::Null);
    assert_eq!(g0["throttle"], serde_json::json!([]));
    assert_eq!(local[2]["down"], "GPU is lost (fallen off the bus)");
    assert_eq!(hosts[1]["host"], "dgx-02");
    assert_eq!(hosts[1]["error"], serde_json::Value::Null);
    assert_eq!(hosts[1]["gpus"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn table_reads_like_a_compact_nvidia_smi() {
    let (text, failed) = run_once(Vec::new(), Some(fake_nvml::lib("throttle")), false).await;
    assert!(!failed, "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        header,
        [
            "HOST", "IDX", "NAME", "UTIL", "MEMORY", "TEMP", "POWER", "SM", "MHz", "MEM", "MHz"
        ]
    );
    assert!(lines[1].starts_with("local"), "{text}");
    assert!(lines[1].contains("NVIDIA H100 80GB HBM3"), "{text}");
    assert!(lines[1].contains("100%"), "{text}");
    // memory in GiB, as every screen writes it
    assert!(lines[1].contains("4.0/79.6 GiB"), "{text}");
    assert!(lines[1].contains("699 / 700 W"), "{text}");
    assert!(lines[1].contains("[power cap]"), "{text}");
    assert!(
        lines[2].contains("91C [thermal (sw), thermal (hw)]"),
        "{text}"
    );
    assert!(lines[2].contains("1215 / 1980"), "{text}");
}

#[tokio::test]
async fn down_gpu_is_a_row_and_a_reason() {
    let (text, failed) = run_once(Vec::new(), Some(fake_nvml::lib("broken")), false).await;
    assert!(!failed, "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 6, "{text}");
    let row: Vec<&str> = lines[3].split_whitespace().collect();
    assert_eq!(row, ["local", "2", "n/a", "DOWN"], "{text}");
    assert_eq!(lines[5], "local GPU 2: GPU is lost (fallen off the bus)");
}

#[tokio::test]
async fn unified_and_unavailable_in_the_table() {
    let (text, _) = run_once(Vec::new(), Some(fake_nvml::lib("gb10")), false).await;
    assert!(text.contains("unified "), "{text}");
    assert!(text.contains(" GiB gpu 2.0 GiB"), "{text}");
    assert!(text.contains("3 / n/a W"), "{text}");

    let dir = tempfile::tempdir().expect("temp dir");
    let (text, failed) = run_once(Vec::new(), Some(dir.path().join("none.so")), false).await;
    assert!(
        failed,
        "an explicit --nvml-lib that does not load is an error"
    );
    assert!(text.starts_with("NVML not found at "), "{text}");
    assert_eq!(text.lines().count(), 1, "{text}");
}

#[tokio::test]
async fn unreachable_host_fails_the_run_but_prints_the_rest() {
    let (text, failed) = run_once(
        vec![("dgx-09".into(), gpu_pages::closed_url().await)],
        Some(fake_nvml::lib("gb10")),
        false,
    )
    .await;
    assert!(failed);
    assert!(text.contains("NVIDIA GB10"), "{text}");
    assert!(text.contains("dgx-09: GET http://"), "{text}");
}
