//! NVIDIA's exporter in every release still in use (issue #37, item 4): pages in the real
//! label sets of dcgm-exporter 2.x, 3.x and 4.x (`fixtures/dcgm/`, each naming its source at
//! its top), read through the console's own path — the strict exposition parser, the join
//! per physical GPU, the GPU pane's update (hosts named after their nodes from the cluster's
//! pods) and `gpu --once`'s table — and checked for hosts, GPUs counted once per physical
//! GPU (MIG instances under their parent), utilisation, memory, DCGM's blanks as n/a, XIDs.

use std::sync::Arc;

use flightdeck::app::{Event, update};
use flightdeck::sources::exposition;
use flightdeck::sources::gpu::once::{OnceReport, table};
use flightdeck::sources::gpu::remote::driver_version;
use flightdeck::sources::gpu::{GpuSample, GpuUpdate, HostSample, map_samples};
use flightdeck::sources::kube::{ObjKey, PodReason, PodRow};

const MIB: u64 = 1024 * 1024;

/// A physical GPU: utilisation, memory used and total in MiB, last XID.
type Gpu = (Option<u32>, Option<(u64, u64)>, Option<u64>);
/// A MIG instance: `GPU_I_ID`, profile, utilisation.
type Instance = (&'static str, &'static str, Option<u32>);

/// What one fixture must read as.
struct Case {
    file: &'static str,
    /// the host the labels name, and the one the pane shows once the cluster is asked
    label_host: &'static str,
    shown_host: &'static str,
    /// per physical GPU: utilisation, memory used and total in MiB, last XID
    gpus: &'static [Gpu],
    /// per partitioned GPU (by position): its instances' (GPU_I_ID, profile, utilisation)
    mig: &'static [(usize, &'static [Instance])],
    driver: Option<&'static str>,
    /// check of what is n/a (DCGM's blanks), and anything else the fixture is about
    extra: fn(&[GpuSample], &str),
}

const CASES: &[Case] = &[
    Case {
        file: "dcgm-2.x-v100.prom",
        label_host: "r6i3n0",
        shown_host: "r6i3n0",
        gpus: &[
            (Some(0), Some((0, 32510)), Some(0)),
            (Some(37), Some((12040, 32510)), Some(0)),
            (Some(100), Some((31211, 32510)), Some(48)),
            (Some(12), Some((2048, 32510)), Some(0)),
        ],
        mig: &[],
        driver: None,
        extra: |gpus, text| {
            // FP64 blank power, INT32 blank memory-copy utilisation
            assert_eq!((gpus[3].power_w, gpus[3].util_mem_pct), (None, None));
            assert_eq!(gpus[2].power_w, Some(291.03));
            assert!(text.contains("n/a / 300 W"), "{text}");
            assert!(!text.contains("140737488355328"), "{text}");
        },
    },
    Case {
        file: "dcgm-3.x-h100-k8s.prom",
        label_host: "computeinstance-e00c1p6dpy98xytphp",
        shown_host: "computeinstance-e00c1p6dpy98xytphp",
        gpus: &[
            (Some(99), Some((40210, 81559)), Some(0)),
            (Some(0), Some((0, 81559)), Some(0)),
            (Some(0), Some((0, 81559)), Some(0)),
            (Some(0), Some((0, 81559)), Some(79)),
            (Some(45), Some((61200, 81559)), Some(0)),
            (Some(71), Some((70015, 81559)), Some(13)),
            (Some(0), Some((0, 81559)), Some(0)),
            (Some(3), Some((812, 81559)), Some(0)),
        ],
        mig: &[],
        driver: Some("550.144.03"),
        extra: |gpus, text| {
            assert_eq!(gpus[6].power_w, None, "FP64 blank");
            assert_eq!(gpus[7].sm_clock_mhz, None, "INT32 blank");
            let pod = gpus[0]
                .pod
                .as_ref()
                .map(|p| format!("{}/{}", p.namespace, p.pod));
            assert_eq!(pod.as_deref(), Some("default/dcgmproftester2"));
            assert!(gpus[1..].iter().all(|g| g.pod.is_none()));
            assert!(!text.contains("2147483647"), "{text}");
        },
    },
    Case {
        file: "dcgm-3.x-a30-mig.prom",
        label_host: "yg-data-k8s-gpu-a30-node-test-test0003.mt",
        shown_host: "yg-data-k8s-gpu-a30-node-test-test0003.mt",
        gpus: &[
            (None, Some((6080, 4 * 5952)), Some(0)),
            (None, Some((2990, 4 * 5952)), Some(0)),
        ],
        mig: &[
            (
                0,
                &[
                    ("3", "1g.6gb", Some(91)),
                    ("4", "1g.6gb", Some(0)),
                    ("5", "1g.6gb", Some(25)),
                    ("6", "1g.6gb", Some(0)),
                ],
            ),
            (
                1,
                &[
                    ("3", "1g.6gb", Some(0)),
                    ("4", "1g.6gb", Some(0)),
                    ("5", "1g.6gb", Some(0)),
                    ("6", "1g.6gb", Some(50)),
                ],
            ),
        ],
        driver: None,
        extra: |gpus, text| {
            // the whole GPU's readings once, not per instance
            assert_eq!(
                (gpus[0].temperature_c, gpus[0].power_w),
                (Some(38), Some(52.31))
            );
            assert!(text.contains("MIG 1g.6gb (instance 3)"), "{text}");
        },
    },
    Case {
        file: "dcgm-4.x-k8s-mixed.prom",
        label_host: "dcgm-exporter-wwwjh",
        shown_host: "gpu-node-7",
        gpus: &[
            (None, Some((7664, 4 * 5952)), Some(0)),
            (Some(58), Some((5101, 16376)), Some(31)),
            (None, Some((3877, 4 * 5952)), Some(0)),
        ],
        mig: &[
            (
                0,
                &[
                    ("3", "1g.6gb", Some(64)),
                    ("4", "1g.6gb", Some(0)),
                    ("5", "1g.6gb", Some(0)),
                    ("6", "1g.6gb", Some(12)),
                ],
            ),
            (
                2,
                &[
                    ("3", "1g.6gb", Some(33)),
                    ("4", "1g.6gb", Some(0)),
                    ("5", "1g.6gb", Some(0)),
                    ("6", "1g.6gb", Some(0)),
                ],
            ),
        ],
        driver: None,
        extra: |gpus, _| {
            assert_eq!(gpus[1].power_w, None, "NaN");
            let pods: Vec<String> = gpus[0]
                .pods()
                .map(|p| format!("{}/{}", p.namespace, p.pod))
                .collect();
            assert_eq!(
                pods,
                [
                    "default/triton-server-f7cb5d77-wwk9g",
                    "default/triton-server-f7cb5d77-2w5b2"
                ]
            );
        },
    },
];

fn fixture(file: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/hosts/fixtures/dcgm")
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The exporter's pod on its node, as the cluster's pod list has it.
fn exporter_pod() -> PodRow {
    PodRow {
        key: ObjKey::new("gpu-operator", "dcgm-exporter-wwwjh"),
        labels: Arc::default(),
        owner: None,
        controller: Some(("DaemonSet".into(), "dcgm-exporter".into())),
        template_hash: None,
        phase: "Running".into(),
        ready: 1,
        containers_total: 1,
        status: "Running".into(),
        note: None,
        reason: PodReason::Running,
        restarts: 0,
        last_restart: None,
        node: Some("gpu-node-7".into()),
        created: None,
        containers: Vec::new(),
        gpus: 0,
    }
}

#[test]
fn every_release_of_the_exporter_reads_as_nvidia_smi_would() {
    for case in CASES {
        let text = fixture(case.file);
        assert!(
            text.lines().take(8).any(|l| l.contains("Source: NVIDIA/")),
            "{}: names its source",
            case.file
        );
        let scrape = exposition::parse(&text)
            .unwrap_or_else(|e| panic!("{}: the strict parser refuses it: {e}", case.file));
        let gpus = map_samples("page", &scrape.samples);
        let what = case.file;
        assert_eq!(gpus.len(), case.gpus.len(), "{what}: one per physical GPU");
        for (i, (g, (util, mem, xid))) in gpus.iter().zip(case.gpus).enumerate() {
            assert_eq!(g.host, case.label_host, "{what} GPU {i}");
            assert_eq!(g.index, i as u32, "{what}");
            assert_eq!(g.util_gpu_pct, *util, "{what} GPU {i} utilisation");
            assert_eq!(
                g.memory.used_total(),
                mem.map(|(u, t)| (u * MIB, t * MIB)),
                "{what} GPU {i} memory"
            );
            assert_eq!(g.xid, *xid, "{what} GPU {i} XID");
        }
        let partitioned: Vec<usize> = (0..gpus.len())
            .filter(|&i| !gpus[i].mig.is_empty())
            .collect();
        assert_eq!(
            partitioned,
            case.mig.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
            "{what}"
        );
        for (i, instances) in case.mig {
            let got: Vec<(&str, Option<&str>, Option<u32>)> = gpus[*i]
                .mig
                .iter()
                .map(|m| (m.id.as_str(), m.profile.as_deref(), m.util_pct))
                .collect();
            let want: Vec<(&str, Option<&str>, Option<u32>)> = instances
                .iter()
                .map(|(id, p, u)| (*id, Some(*p), *u))
                .collect();
            assert_eq!(got, want, "{what} GPU {i}'s MIG instances");
        }
        assert_eq!(
            driver_version(&scrape.samples).as_deref(),
            case.driver,
            "{what}"
        );
        let report = OnceReport {
            hosts: vec![HostSample {
                host: "page".into(),
                time: jiff::Timestamp::UNIX_EPOCH,
                gpus: gpus.clone(),
                error: None,
                driver_version: None,
            }],
            local_unavailable: None,
            fleet: 0,
        };
        (case.extra)(&gpus, &table(&report));

        // the fleet as the pane sees it: one host, named after the exporter's node
        let mut state = crate::support::workloads::state(None);
        let pod = exporter_pod();
        state.cluster.pods.insert(pod.key.clone(), pod);
        let round = GpuUpdate::Round(vec![HostSample {
            host: case.label_host.to_owned(),
            time: state.now,
            gpus,
            error: None,
            driver_version: None,
        }]);
        update(&mut state, Event::Gpu(round));
        let hosts: Vec<&str> = state.gpu.hosts.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(hosts, [case.shown_host], "{what}");
        assert_eq!(state.gpu.gpu_count(), case.gpus.len(), "{what}");
    }
}
