//! Remote mode against the sandbox's simulated DGX host (`/gpu/<host>/metrics`, which
//! serves DCGM-exporter and `dgx_gpu_*` names on one page).

use std::time::Duration;

use flightdeck::app::panes::gpu::GpuState;
use flightdeck::sources::gpu::remote::http_client;
use flightdeck::sources::gpu::{GpuUpdate, Memory, run_once, scrape_host};
use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};

async fn sandbox(scenario: Scenario) -> Sandbox {
    match Sandbox::start(SandboxOptions::scenario(scenario)).await {
        Ok(s) => s,
        Err(e) => panic!("sandbox: {e}"),
    }
}

#[tokio::test]
async fn simulated_dgx_reads_as_eight_h100s() {
    let sb = sandbox(Scenario::Steady).await;
    let hosts = sb.gpu_hosts();
    assert!(!hosts.is_empty());
    let (name, url) = &hosts[0];
    let client = http_client(Duration::from_secs(5)).expect("client");
    let host = scrape_host(&client, name, url).await;
    assert_eq!(host.error, None);
    assert_eq!(host.gpus.len(), 8);
    let mut uuids: Vec<&str> = host.gpus.iter().map(|g| g.uuid.as_str()).collect();
    uuids.dedup();
    assert_eq!(uuids.len(), 8, "one GPU per UUID across both name sets");
    for (i, g) in host.gpus.iter().enumerate() {
        assert_eq!(g.index, i as u32);
        assert_eq!(&g.host, name);
        assert!(g.uuid.starts_with("GPU-"), "{}", g.uuid);
        assert_eq!(g.name.as_deref(), Some("NVIDIA H100 80GB HBM3"));
        assert!(g.util_gpu_pct.is_some_and(|u| u <= 100));
        assert!(g.temperature_c.is_some());
        assert!(g.power_w.is_some());
        assert!(g.sm_clock_mhz.is_some());
        match g.memory {
            Memory::Dedicated {
                used_bytes,
                total_bytes,
            } => assert!(used_bytes <= total_bytes && total_bytes > 0),
            ref other => panic!("expected dedicated memory, got {other:?}"),
        }
    }
    let mut state = GpuState::new();
    state.apply(GpuUpdate::Host(host));
    assert_eq!(state.gpu_count(), 8);
}

#[tokio::test]
async fn gpu_hot_scenario_shows_the_hot_card() {
    let sb = sandbox(Scenario::GpuHot).await;
    let (text, failed) = run_once(sb.gpu_hosts(), None, true).await;
    // No NVML here is not a failure when remote hosts answer (unless this machine
    // has GPUs, which changes nothing below).
    assert!(!failed, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    let hosts = v["hosts"].as_array().expect("hosts");
    let dgx = hosts
        .iter()
        .find(|h| h["host"] != "local")
        .expect("the simulated host");
    let temps: Vec<u64> = dgx["gpus"]
        .as_array()
        .expect("gpus")
        .iter()
        .filter_map(|g| g["temperature_c"].as_u64())
        .collect();
    assert_eq!(temps.len(), 8);
    assert_eq!(temps[3], 90, "{temps:?}");
    // the hot card is throttling for heat, the others are not
    let gpus = dgx["gpus"].as_array().expect("gpus");
    let throttle = |i: usize| gpus[i]["throttle"].to_string().to_lowercase();
    assert!(throttle(3).contains("thermal"), "{}", gpus[3]);
    assert!(!throttle(0).contains("thermal"), "{}", gpus[0]);
    assert_eq!(gpus[3]["temp_slowdown_c"].as_u64(), Some(87), "{}", gpus[3]);
}
