//! GpuState: last values, bounded history, stale hosts. Pure data, no I/O.

use std::time::Duration;

use flightdeck::app::panes::gpu::{GpuState, HISTORY_CAP, HISTORY_WINDOW};
use flightdeck::sources::gpu::{GpuProcess, GpuSample, GpuUpdate, HostSample, Memory};
use jiff::Timestamp;

fn t(secs: i64) -> Timestamp {
    Timestamp::from_second(1_790_000_000 + secs).expect("valid time")
}

fn gpu(host: &str, index: u32, util: u32) -> GpuSample {
    let mut g = GpuSample::empty(host, index, format!("GPU-{host}-{index}"));
    g.name = Some("NVIDIA H100 80GB HBM3".into());
    g.util_gpu_pct = Some(util);
    g.memory = Memory::Dedicated {
        used_bytes: 20,
        total_bytes: 80,
    };
    g.temperature_c = Some(60);
    g.power_w = Some(300.0);
    g
}

fn host(name: &str, time: Timestamp, gpus: Vec<GpuSample>) -> GpuUpdate {
    GpuUpdate::Host(HostSample {
        host: name.into(),
        time,
        gpus,
        error: None,
        driver_version: None,
    })
}

#[test]
fn keeps_last_values_and_history_per_gpu() {
    let mut s = GpuState::new();
    s.apply(host(
        "dgx-01",
        t(0),
        vec![gpu("dgx-01", 0, 10), gpu("dgx-01", 1, 20)],
    ));
    s.apply(host(
        "dgx-01",
        t(1),
        vec![gpu("dgx-01", 0, 30), gpu("dgx-01", 1, 40)],
    ));
    assert_eq!(s.gpu_count(), 2);
    let g0 = s.gpu("dgx-01", "GPU-dgx-01-0").expect("gpu 0");
    assert_eq!(g0.sample.util_gpu_pct, Some(30));
    assert_eq!(g0.history.recent_util(10), vec![Some(10.0), Some(30.0)]);
    let p = g0.history.points().last().expect("a point");
    assert_eq!(p.mem_pct, Some(25.0));
    assert_eq!(p.temp_c, Some(60.0));
    assert_eq!(p.power_w, Some(300.0));
}

#[test]
fn history_follows_the_uuid_not_the_position() {
    let mut s = GpuState::new();
    s.apply(host("h", t(0), vec![gpu("h", 0, 10), gpu("h", 1, 90)]));
    // The exporter lists them the other way round this time.
    s.apply(host("h", t(1), vec![gpu("h", 1, 91), gpu("h", 0, 11)]));
    let g1 = s.gpu("h", "GPU-h-1").expect("gpu 1");
    assert_eq!(g1.history.recent_util(5), vec![Some(90.0), Some(91.0)]);
}

#[test]
fn history_is_bounded_to_ten_minutes() {
    let mut s = GpuState::new();
    let window = HISTORY_WINDOW.as_secs() as i64;
    for i in 0..=(window + 120) {
        s.apply(host("h", t(i), vec![gpu("h", 0, (i % 100) as u32)]));
    }
    let g = s.gpu("h", "GPU-h-0").expect("gpu");
    assert_eq!(g.history.len(), window as usize + 1);
    let first = g.history.points().next().expect("first");
    assert_eq!(first.time, t(120));
}

#[test]
fn history_is_capped_in_points() {
    let mut s = GpuState::new();
    // Faster than any sampler runs, to hit the point cap inside the window.
    let base = t(0);
    for i in 0..(HISTORY_CAP as i64 + 50) {
        let time = base
            .checked_add(jiff::SignedDuration::from_millis(100 * i))
            .expect("time");
        s.apply(host("h", time, vec![gpu("h", 0, 1)]));
    }
    assert_eq!(
        s.gpu("h", "GPU-h-0").expect("gpu").history.len(),
        HISTORY_CAP
    );
}

#[test]
fn unreachable_host_is_stale_with_last_values_and_age() {
    let mut s = GpuState::new();
    s.apply(host("dgx-02", t(0), vec![gpu("dgx-02", 0, 55)]));
    s.apply(GpuUpdate::Host(HostSample::failed(
        "dgx-02",
        t(30),
        "connection refused".into(),
    )));
    let h = s.host("dgx-02").expect("host");
    assert!(h.is_stale());
    assert_eq!(h.error.as_deref(), Some("connection refused"));
    assert_eq!(h.last_good, Some(t(0)));
    assert_eq!(h.stale_for(t(45)), Some(Duration::from_secs(45)));
    assert_eq!(h.gpus[0].sample.util_gpu_pct, Some(55));
    assert_eq!(h.gpus[0].history.len(), 1, "no point added while stale");

    s.apply(host("dgx-02", t(60), vec![gpu("dgx-02", 0, 56)]));
    let h = s.host("dgx-02").expect("host");
    assert!(!h.is_stale());
    assert_eq!(h.stale_for(t(61)), None);
    assert_eq!(h.gpus[0].history.len(), 2);
}

#[test]
fn never_reached_host_is_stale_without_age() {
    let mut s = GpuState::new();
    s.apply(GpuUpdate::Host(HostSample::failed(
        "far",
        t(0),
        "timeout".into(),
    )));
    let h = s.host("far").expect("host");
    assert!(h.is_stale());
    assert!(h.gpus.is_empty());
    assert_eq!(h.stale_for(t(10)), None);
}

#[test]
fn local_comes_first_and_unavailable_line_is_kept_until_it_works() {
    let mut s = GpuState::new();
    s.apply(GpuUpdate::NvmlUnavailable(
        "NVML not found: no local GPUs".into(),
    ));
    s.apply(host("dgx-01", t(0), vec![gpu("dgx-01", 0, 1)]));
    assert_eq!(
        s.local_unavailable.as_deref(),
        Some("NVML not found: no local GPUs")
    );
    s.apply(host("local", t(1), vec![gpu("local", 0, 1)]));
    assert_eq!(s.local_unavailable, None);
    let names: Vec<&str> = s.hosts.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["local", "dgx-01"]);
}

#[test]
fn processes_sort_by_gpu_memory() {
    let mut g0 = gpu("local", 0, 1);
    let proc_ = |pid, mem| GpuProcess {
        pid,
        name: None,
        gpu_memory_bytes: mem,
        sm_util_pct: None,
    };
    g0.processes = Some(vec![proc_(1, Some(10)), proc_(2, None), proc_(3, Some(30))]);
    let mut g1 = gpu("local", 1, 1);
    g1.processes = Some(vec![proc_(4, Some(20))]);
    let mut s = GpuState::new();
    s.apply(host("local", t(0), vec![g0, g1]));
    let order: Vec<(u32, u32)> = s
        .processes_by_memory("local")
        .iter()
        .map(|(gpu, p)| (gpu.number().unwrap_or(u32::MAX), p.pid))
        .collect();
    assert_eq!(order, [(0, 3), (1, 4), (0, 1), (0, 2)]);
    let per_gpu: Vec<u32> = s.hosts[0].gpus[0]
        .processes_by_memory()
        .iter()
        .map(|p| p.pid)
        .collect();
    assert_eq!(per_gpu, [3, 1, 2]);
}

#[test]
fn gone_gpus_stay_marked_and_down_gpus_leave_a_gap() {
    let mut s = GpuState::new();
    s.apply(host("h", t(0), vec![gpu("h", 0, 5), gpu("h", 1, 6)]));
    let mut down = GpuSample::empty("h", 0, "GPU-h-0".into());
    down.down = Some("GPU is lost".into());
    s.apply(host("h", t(1), vec![down]));
    // GPU 1's series are gone while the host's others are there: it fell off the bus,
    // and stays, marked, with its last values
    assert_eq!(s.gpu_count(), 2);
    let gone = s.gpu("h", "GPU-h-1").expect("gpu 1 remembered");
    assert_eq!(gone.gone_since, Some(t(1)));
    assert!(gone.sample.down.is_some());
    let g = s.gpu("h", "GPU-h-0").expect("gpu 0");
    assert_eq!(g.history.recent_util(5), vec![Some(5.0), None]);
}

/// `gpu` with another UUID: a different board at that index.
fn other(host: &str, index: u32) -> GpuSample {
    let mut g = gpu(host, index, 0);
    g.uuid = format!("GPU-{host}-{index}-new");
    g
}

#[test]
fn a_gone_gpu_is_replaced_only_when_a_new_uuid_takes_its_index() {
    let mut s = GpuState::new();
    let three = || (0..3).map(|i| gpu("h", i, 50)).collect::<Vec<_>>();
    s.apply(host("h", t(0), three()));
    // GPU 1 gone while a new board appears at index 3: GPU 1 fell off the bus
    s.apply(host(
        "h",
        t(1),
        vec![gpu("h", 0, 50), gpu("h", 2, 50), other("h", 3)],
    ));
    let h = s.host("h").expect("h");
    let g1 = h.gpus.iter().find(|g| g.sample.index == 1).expect("GPU 1");
    assert!(g1.gone_since.is_some());
    // off the bus: no live value kept
    assert_eq!(
        (
            g1.sample.util_gpu_pct,
            g1.sample.temperature_c,
            g1.sample.power_w
        ),
        (None, None, None)
    );
    assert_eq!(g1.sample.memory, Memory::NotAvailable);

    // a new board at index 1: GPU 1 was replaced, not lost
    s.apply(host(
        "h",
        t(2),
        vec![
            gpu("h", 0, 50),
            other("h", 1),
            gpu("h", 2, 50),
            other("h", 3),
        ],
    ));
    let h = s.host("h").expect("h");
    assert_eq!(h.gpus.len(), 4);
    assert!(h.gpus.iter().all(|g| g.gone_since.is_none()));
}
