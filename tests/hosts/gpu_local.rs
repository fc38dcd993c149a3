//! The local NVML source end to end: the real nvml-wrapper loading a fake
//! libnvidia-ml.so built from tests/support/fake_nvml/fake_nvml.c.
#![cfg(target_os = "linux")]

use crate::support::fake_nvml;

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use flightdeck::sources::gpu::local::{GpuError, LocalOptions, LocalSampler, spawn_local};
use flightdeck::sources::gpu::{GpuUpdate, Memory, ThrottleReason, sample_local_once};

const GIB: u64 = 1024 * 1024 * 1024;
const MIB: u64 = 1024 * 1024;

fn sampler(profile: &str) -> LocalSampler {
    match LocalSampler::open(Some(&fake_nvml::lib(profile))) {
        Ok(s) => s,
        Err(e) => panic!("loading the fake NVML ({profile}): {e}"),
    }
}

fn own_comm() -> String {
    std::fs::read_to_string("/proc/self/comm")
        .expect("/proc/self/comm")
        .trim_end()
        .to_string()
}

/// A fixed /proc/meminfo: 128 GiB total, 100 GiB available.
fn fixed_meminfo() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("meminfo");
    std::fs::write(
        &path,
        format!(
            "MemTotal:       {} kB\nMemFree:        1000 kB\nMemAvailable:   {} kB\n",
            128 * 1024 * 1024,
            100 * 1024 * 1024
        ),
    )
    .expect("write meminfo");
    (dir, path)
}

#[test]
fn eight_h100s_read_in_full() {
    let mut s = sampler("h100x8");
    let host = s.sample(true);
    assert_eq!(host.host, "local");
    assert_eq!(host.error, None);
    assert_eq!(host.driver_version.as_deref(), Some("580.95.05"));
    assert_eq!(host.gpus.len(), 8);
    for (i, gpu) in host.gpus.iter().enumerate() {
        let i32 = i as u32;
        assert_eq!(gpu.index, i32);
        assert_eq!(gpu.host, "local");
        assert_eq!(
            gpu.uuid,
            format!("GPU-5f8b2c1e-7a3d-4e9f-b2c6-0000000000{i:02}")
        );
        assert_eq!(gpu.name.as_deref(), Some("NVIDIA H100 80GB HBM3"));
        assert_eq!(gpu.down, None);
        assert_eq!(gpu.util_gpu_pct, Some(10 * i32 + 5));
        assert_eq!(gpu.util_mem_pct, Some(3 * i32 + 1));
        assert_eq!(
            gpu.memory,
            Memory::Dedicated {
                used_bytes: (i as u64 + 1) * 4 * GIB,
                total_bytes: 81559 * MIB
            }
        );
        assert_eq!(gpu.temperature_c, Some(35 + 3 * i32));
        assert_eq!(gpu.temp_slowdown_c, Some(89));
        assert_eq!(gpu.temp_shutdown_c, Some(92));
        assert_eq!(gpu.power_w, Some(120.0 + 10.0 * i as f64));
        assert_eq!(gpu.power_limit_w, Some(700.0));
        assert_eq!(gpu.sm_clock_mhz, Some(1980));
        assert_eq!(gpu.sm_clock_max_mhz, Some(1980));
        assert_eq!(gpu.mem_clock_mhz, Some(2619));
        assert_eq!(gpu.mem_clock_max_mhz, Some(2619));
        // SXM boards have no fan: NotSupported is n/a, and the rest still reads.
        assert_eq!(gpu.fan_pct, None);
        let pcie = gpu.pcie.as_ref().expect("pcie on a discrete GPU");
        assert_eq!((pcie.link_gen, pcie.link_width), (Some(5), Some(16)));
        assert_eq!(
            (pcie.tx_kib_s, pcie.rx_kib_s),
            (Some(1000 * i32), Some(2000 * i32))
        );
        assert_eq!(gpu.ecc_uncorrected, Some(0));
        assert!(!gpu.is_throttled());
    }
    assert_eq!(host.gpus[3].ecc_corrected, Some(2));
    assert_eq!(host.gpus[0].throttle, Some(vec![]));
    assert_eq!(host.gpus[7].throttle, Some(vec![ThrottleReason::Idle]));
}

#[test]
fn processes_carry_names_from_proc_and_memory() {
    let mut s = sampler("h100x8");
    let first = s.sample(false);
    let procs = first.gpus[0].processes.as_ref().expect("process list");
    assert_eq!(procs.len(), 2);
    assert_eq!(procs[0].pid, std::process::id());
    assert_eq!(procs[0].name.as_deref(), Some(own_comm().as_str()));
    assert_eq!(procs[0].gpu_memory_bytes, Some(3 * GIB));
    assert_eq!(procs[0].sm_util_pct, Some(37));
    // A pid this machine cannot see (another namespace, or gone) and memory the
    // driver does not report.
    assert_eq!(procs[1].name, None);
    assert_eq!(procs[1].gpu_memory_bytes, None);
    assert_eq!(first.gpus[1].processes, Some(vec![]));

    // The driver has no newer process-utilisation samples: NotFound is "no samples",
    // not an error; the process list still reads.
    let second = s.sample(false);
    let procs = second.gpus[0].processes.as_ref().expect("process list");
    assert_eq!(procs.len(), 2);
    assert_eq!(procs[0].sm_util_pct, None);
    assert_eq!(procs[0].gpu_memory_bytes, Some(3 * GIB));
}

#[test]
fn pcie_throughput_only_when_asked() {
    let mut s = sampler("h100x8");
    let without = s.sample(false);
    let pcie = without.gpus[1].pcie.as_ref().expect("pcie link");
    assert_eq!(pcie.link_gen, Some(5));
    assert_eq!((pcie.tx_kib_s, pcie.rx_kib_s), (None, None));
    let with = s.sample(true);
    let pcie = with.gpus[1].pcie.as_ref().expect("pcie link");
    assert_eq!((pcie.tx_kib_s, pcie.rx_kib_s), (Some(1000), Some(2000)));
    // Between the slow reads the last throughput is carried.
    let after = s.sample(false);
    let pcie = after.gpus[1].pcie.as_ref().expect("pcie link");
    assert_eq!((pcie.tx_kib_s, pcie.rx_kib_s), (Some(1000), Some(2000)));
}

fn assert_gb10_unified_fixed(profile: &str) {
    let (_dir, meminfo) = fixed_meminfo();
    let mut s = sampler(profile);
    s.set_meminfo_path(meminfo);
    let host = s.sample(true);
    assert_eq!(host.gpus.len(), 1);
    let gpu = &host.gpus[0];
    assert_eq!(gpu.name.as_deref(), Some("NVIDIA GB10"), "{profile}");
    assert_eq!(
        gpu.memory,
        Memory::Unified {
            used_bytes: 28 * GIB,
            total_bytes: 128 * GIB,
            gpu_resident_bytes: Some(2 * GIB),
        },
        "{profile}"
    );
    assert!(gpu.memory.is_unified());
    // Fields that mean nothing on a unified-memory SoC are hidden.
    assert_eq!(gpu.pcie, None, "{profile}");
    assert_eq!(gpu.fan_pct, None, "{profile}");
    assert_eq!(gpu.power_limit_w, None, "{profile}");
    // Not supported there: n/a, the rest still reads.
    assert_eq!(gpu.temp_slowdown_c, None);
    assert_eq!(gpu.ecc_corrected, None);
    assert_eq!(gpu.mem_clock_mhz, None);
    assert_eq!(gpu.temperature_c, Some(36));
    assert_eq!(gpu.power_w, Some(3.0));
    assert_eq!(gpu.util_gpu_pct, Some(42));
    assert_eq!(gpu.sm_clock_mhz, Some(2405));
    assert_eq!(gpu.down, None);
}

#[test]
fn gb10_memory_not_supported_is_unified() {
    assert_gb10_unified_fixed("gb10");
}

#[test]
fn gb10_zero_total_is_unified() {
    assert_gb10_unified_fixed("gb10-zero");
}

#[test]
fn gb10_total_equal_to_memtotal_is_unified() {
    let mut s = sampler("gb10-memtotal");
    let host = s.sample(false);
    let gpu = &host.gpus[0];
    let text = std::fs::read_to_string("/proc/meminfo").expect("/proc/meminfo");
    let mem_total_kib: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("MemTotal");
    match &gpu.memory {
        Memory::Unified {
            total_bytes,
            gpu_resident_bytes,
            ..
        } => {
            assert_eq!(*total_bytes, mem_total_kib * 1024);
            assert_eq!(*gpu_resident_bytes, Some(2 * GIB));
        }
        other => panic!("expected unified memory, got {other:?}"),
    }
    assert_eq!(gpu.pcie, None);
}

#[test]
fn throttling_gpu_says_why_in_words() {
    let mut s = sampler("throttle");
    let host = s.sample(false);
    let hot = &host.gpus[1];
    assert_eq!(
        hot.throttle,
        Some(vec![ThrottleReason::SwThermal, ThrottleReason::HwThermal])
    );
    assert!(hot.is_throttled());
    assert!(hot.is_hot());
    assert_eq!(hot.sm_clock_mhz, Some(1215));
    let words: Vec<&str> = hot.throttle.iter().flatten().map(|r| r.words()).collect();
    assert_eq!(words, ["thermal (sw)", "thermal (hw)"]);
    let capped = &host.gpus[0];
    assert_eq!(capped.throttle, Some(vec![ThrottleReason::PowerCap]));
    assert!(capped.is_throttled());
    assert!(!capped.is_hot());
}

#[test]
fn throttle_reasons_from_a_driver_with_only_event_reasons() {
    let mut s = match LocalSampler::open(Some(&fake_nvml::lib_events_only())) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let host = s.sample(false);
    assert_eq!(
        host.gpus[1].throttle,
        Some(vec![ThrottleReason::SwThermal, ThrottleReason::HwThermal])
    );
}

#[test]
fn lost_gpu_is_down_and_the_others_still_read() {
    let mut s = sampler("broken");
    let host = s.sample(true);
    assert_eq!(host.error, None);
    assert_eq!(host.gpus.len(), 4);
    let lost = &host.gpus[2];
    assert!(
        lost.down.as_deref().is_some_and(|d| d.contains("lost")),
        "{:?}",
        lost.down
    );
    assert_eq!(lost.index, 2);
    assert_eq!(lost.uuid, "index:2");
    assert_eq!(lost.util_gpu_pct, None);
    assert_eq!(lost.memory, Memory::NotAvailable);
    assert_eq!(lost.processes, None);
    for i in [0, 1, 3] {
        let gpu = &host.gpus[i];
        assert_eq!(gpu.down, None);
        assert_eq!(gpu.util_gpu_pct, Some(10 * i as u32 + 5));
        assert!(matches!(gpu.memory, Memory::Dedicated { .. }));
    }
}

#[test]
fn no_devices_and_no_driver_are_clear_states() {
    match LocalSampler::open(Some(&fake_nvml::lib("nogpu"))) {
        Err(e) => {
            assert_eq!(e, GpuError::NoDevices);
            assert_eq!(
                e.to_string(),
                "NVML sees no GPUs: no local GPUs; add [[gpu.host]] with a scrape URL for remote hosts"
            );
        }
        Ok(_) => panic!("expected no devices"),
    }
    match LocalSampler::open(Some(&fake_nvml::lib("nodriver"))) {
        Err(e) => assert_eq!(e, GpuError::DriverNotLoaded),
        Ok(_) => panic!("expected no driver"),
    }
}

#[test]
fn missing_library_is_one_clear_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("libnvidia-ml.so.1");
    let err = sample_local_once(Some(&missing)).expect_err("no library there");
    assert!(matches!(err, GpuError::NvmlNotFound { .. }));
    let line = err.to_string();
    assert!(!line.contains('\n'));
    assert_eq!(
        line,
        format!(
            "NVML not found at {}: no local GPUs; add [[gpu.host]] with a scrape URL for remote hosts",
            missing.display()
        )
    );
    // The system library: on a machine without NVIDIA's library (CI, laptops) this is
    // exactly the pane's line.
    match sample_local_once(None) {
        Err(e @ GpuError::NvmlNotFound { .. }) => assert_eq!(
            e.to_string(),
            "NVML not found: no local GPUs; add [[gpu.host]] with a scrape URL for remote hosts"
        ),
        // a machine with NVIDIA's driver: the library loads and answers
        Ok(sample) => assert_eq!(sample.host, "local"),
        Err(other) => panic!("NVML is either missing or works, not: {other}"),
    }
}

#[test]
fn sampler_thread_sends_until_the_receiver_is_gone() {
    let (tx, rx) = mpsc::channel();
    let opts = LocalOptions::new(Some(fake_nvml::lib("h100x8")), Duration::from_millis(1));
    let handle = spawn_local(opts, move |update| tx.send(update).is_ok()).expect("spawn");
    for _ in 0..2 {
        match rx.recv().expect("an update") {
            GpuUpdate::Host(host) => assert_eq!(host.gpus.len(), 8),
            other => panic!("unexpected {other:?}"),
        }
    }
    drop(rx);
    handle.join().expect("sampler thread ends cleanly");
}

#[test]
fn sampler_thread_reports_unavailable_nvml_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (tx, rx) = mpsc::channel();
    let opts = LocalOptions::new(Some(dir.path().join("nope.so")), Duration::from_secs(1));
    let handle = spawn_local(opts, move |update| tx.send(update).is_ok()).expect("spawn");
    handle.join().expect("thread ends");
    let updates: Vec<GpuUpdate> = rx.iter().collect();
    assert_eq!(updates.len(), 1);
    match &updates[0] {
        GpuUpdate::NvmlUnavailable(line) => {
            assert!(line.starts_with("NVML not found at "), "{line}");
            assert!(
                line.ends_with(
                    "no local GPUs; add [[gpu.host]] with a scrape URL for remote hosts"
                )
            );
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn samples_serialise_for_json() {
    let mut s = sampler("gb10");
    let host = s.sample(false);
    let v = serde_json::to_value(&host).expect("json");
    assert_eq!(v["host"], "local");
    assert_eq!(v["gpus"][0]["memory"]["kind"], "unified");
    assert_eq!(v["gpus"][0]["fan_pct"], serde_json::Value::Null);
    assert!(v["time"].is_string());
}
