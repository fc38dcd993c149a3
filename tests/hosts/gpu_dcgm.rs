//! GPUs read as NVIDIA's DCGM exporter writes them (issue #37, item 4), on pages in its real
//! label sets: MIG instances (its 3.x pages on an A100 with `GPU_I_PROFILE`, `GPU_I_ID`, as
//! quoted in kubernetes-sigs/dra-driver-nvidia-gpu#166) under their parent with their
//! utilisation from `DCGM_FI_PROF_GR_ENGINE_ACTIVE`; memory from any two of used, free and
//! total; DCGM's blank sentinels as n/a; the `hostname` label of its newer releases read
//! by default in Prometheus mode; the XID counter `DCGM_EXP_XID_ERRORS_COUNT`.

use std::collections::BTreeMap;

use flightdeck::app::panes::gpu::{GpuState, Problem, problem};
use flightdeck::sources::exposition;
use flightdeck::sources::gpu::prometheus::fold;
use flightdeck::sources::gpu::{GpuSample, GpuUpdate, HostSample, Memory, map_samples};
use flightdeck::sources::metrics::prometheus::Series;

const MIB: u64 = 1024 * 1024;

fn page(text: &str) -> Vec<GpuSample> {
    let scrape = exposition::parse(text).expect("page parses");
    map_samples("node", &scrape.samples)
}

/// One A100's three MIG instances, every series labelled as dcgm-exporter 3.x writes them.
fn mig_page() -> String {
    let labels = |id: u32| {
        format!(
            "gpu=\"0\",UUID=\"GPU-2c2f45e8-0886-e3cc-02be-a4181a13fc9b\",pci_bus_id=\"00000001:00:00.0\",\
             device=\"nvidia0\",modelName=\"NVIDIA A100 80GB PCIe\",GPU_I_PROFILE=\"1g.10gb\",\
             GPU_I_ID=\"{id}\",Hostname=\"k8s-worker\",DCGM_FI_DRIVER_VERSION=\"560.35.03\""
        )
    };
    let mut out = String::new();
    for (name, values) in [
        (
            "DCGM_FI_PROF_GR_ENGINE_ACTIVE",
            ["0.029399", "0.033893", "0.000000"],
        ),
        ("DCGM_FI_DEV_GPU_TEMP", ["41", "41", "41"]),
        ("DCGM_FI_DEV_POWER_USAGE", ["71.5", "71.5", "71.5"]),
        ("DCGM_FI_DEV_FB_USED", ["4000", "10", "0"]),
        ("DCGM_FI_DEV_FB_FREE", ["5700", "9690", "9700"]),
    ] {
        for (id, v) in [8, 9, 10].into_iter().zip(values) {
            let pod = if id == 8 {
                ",container=\"vllm\",namespace=\"llm\",pod=\"infer-0\""
            } else {
                ""
            };
            out.push_str(&format!("{name}{{{}{pod}}} {v}\n", labels(id)));
        }
    }
    out
}

#[test]
fn mig_instances_are_one_gpu_with_their_profiles_and_engine_activity() {
    let gpus = page(&mig_page());
    assert_eq!(gpus.len(), 1, "one physical GPU: {gpus:?}");
    let g = &gpus[0];
    assert_eq!(g.host, "k8s-worker");
    assert_eq!(g.temperature_c, Some(41));
    assert_eq!(g.power_w, Some(71.5));
    let mig: Vec<(&str, Option<&str>, Option<u32>)> = g
        .mig
        .iter()
        .map(|m| (m.id.as_str(), m.profile.as_deref(), m.util_pct))
        .collect();
    assert_eq!(
        mig,
        [
            ("8", Some("1g.10gb"), Some(3)),
            ("9", Some("1g.10gb"), Some(3)),
            ("10", Some("1g.10gb"), Some(0))
        ]
    );
    assert_eq!(
        g.mig[0].memory,
        Memory::Dedicated {
            used_bytes: 4000 * MIB,
            total_bytes: 9700 * MIB
        }
    );
    assert_eq!(
        g.mig[0].pod.as_ref().map(|p| p.pod.as_str()),
        Some("infer-0")
    );
    // the whole GPU: no GPU_UTIL under MIG, memory its instances'
    assert_eq!(g.util_gpu_pct, None);
    assert_eq!(g.memory.used_total(), Some((4010 * MIB, 3 * 9700 * MIB)));
}

#[test]
fn memory_from_any_two_of_used_free_and_total() {
    let gpus = page(
        "\
DCGM_FI_DEV_FB_USED{gpu=\"0\",UUID=\"GPU-a\"} 1024
DCGM_FI_DEV_FB_TOTAL{gpu=\"0\",UUID=\"GPU-a\"} 81559
DCGM_FI_DEV_FB_FREE{gpu=\"1\",UUID=\"GPU-b\"} 80000
DCGM_FI_DEV_FB_TOTAL{gpu=\"1\",UUID=\"GPU-b\"} 81559
DCGM_FI_DEV_FB_RESERVED{gpu=\"1\",UUID=\"GPU-b\"} 535
",
    );
    assert_eq!(gpus[0].memory.used_total(), Some((1024 * MIB, 81559 * MIB)));
    assert_eq!(gpus[1].memory.used_total(), Some((1024 * MIB, 81559 * MIB)));
}

#[test]
fn every_dcgm_blank_sentinel_is_na() {
    let gpus = page(
        "\
DCGM_FI_DEV_POWER_USAGE{gpu=\"0\",UUID=\"GPU-a\"} 140737488355328.000000
DCGM_FI_DEV_FAN_SPEED{gpu=\"0\",UUID=\"GPU-a\"} 2147483632
DCGM_FI_DEV_SM_CLOCK{gpu=\"0\",UUID=\"GPU-a\"} 2147483647
DCGM_FI_DEV_GPU_TEMP{gpu=\"0\",UUID=\"GPU-a\"} 9223372036854775792
DCGM_FI_DEV_GPU_UTIL{gpu=\"0\",UUID=\"GPU-a\"} NaN
DCGM_FI_DEV_MEM_CLOCK{gpu=\"0\",UUID=\"GPU-a\"} 2619
",
    );
    let g = &gpus[0];
    assert_eq!(
        (
            g.power_w,
            g.fan_pct,
            g.sm_clock_mhz,
            g.temperature_c,
            g.util_gpu_pct
        ),
        (None, None, None, None, None)
    );
    assert_eq!(g.mem_clock_mhz, Some(2619));
}

#[test]
fn the_xid_counter_is_read_as_well_as_the_gauge() {
    let gpus = page(
        "\
DCGM_FI_DEV_GPU_TEMP{gpu=\"0\",UUID=\"GPU-a\",Hostname=\"n1\"} 50
DCGM_EXP_XID_ERRORS_COUNT{gpu=\"0\",UUID=\"GPU-a\",Hostname=\"n1\",window_size_in_ms=\"300000\",xid=\"13\"} 3
DCGM_EXP_XID_ERRORS_COUNT{gpu=\"0\",UUID=\"GPU-a\",Hostname=\"n1\",window_size_in_ms=\"300000\",xid=\"79\"} 1
DCGM_FI_DEV_GPU_TEMP{gpu=\"1\",UUID=\"GPU-b\",Hostname=\"n1\"} 50
DCGM_EXP_XID_ERRORS_COUNT{gpu=\"1\",UUID=\"GPU-b\",Hostname=\"n1\",window_size_in_ms=\"300000\",xid=\"31\"} 0
",
    );
    assert_eq!(gpus[0].xid, Some(79));
    assert_eq!(gpus[1].xid, Some(0));
    let mut state = GpuState::new();
    state.apply(GpuUpdate::Host(HostSample {
        host: "n1".to_owned(),
        time: jiff::Timestamp::UNIX_EPOCH,
        gpus,
        error: None,
        driver_version: None,
    }));
    let g = state.gpu("n1", "GPU-a").expect("GPU-a");
    assert!(
        matches!(
            problem(g, jiff::Timestamp::UNIX_EPOCH),
            Some(Problem::Xid { code: 79, .. })
        ),
        "{g:?}"
    );
}

fn series(name: &str, labels: &[(&str, &str)], value: f64) -> Series {
    let mut metric: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    metric.insert("__name__".to_owned(), name.to_owned());
    Series {
        metric,
        values: vec![(0, value)],
    }
}

#[test]
fn the_lower_case_hostname_of_newer_exporters_names_the_host_by_default() {
    let labels = [
        ("gpu", "0"),
        ("UUID", "GPU-a"),
        ("hostname", "dgx-07"),
        ("instance", "10.0.0.7:9400"),
        ("job", "dcgm"),
    ];
    let hosts = fold(
        "Hostname",
        &[series("DCGM_FI_DEV_GPU_TEMP", &labels, 50.0)],
        &[],
        jiff::Timestamp::UNIX_EPOCH,
    );
    let names: Vec<&str> = hosts.iter().map(|h| h.host.as_str()).collect();
    assert_eq!(names, ["dgx-07"]);
}
