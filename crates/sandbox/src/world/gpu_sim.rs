//! The GPU fleet in the world: placing a pod that asks for GPUs, and the training
//! StatefulSet that keeps half the fleet busy (the fleet itself is in `gpus.rs`).

use serde_json::{Value, json};

use super::World;
use super::gpus::*;
use crate::store::Kind;

impl World {
    /// Where a new pod goes if it asks for GPUs: `None` if it does not, `Some(Ok(node))` with
    /// its GPUs allocated, `Some(Err(message))` when no DGX node has room (it stays Pending).
    pub(super) fn place_gpu_pod(
        &mut self,
        ns: &str,
        name: &str,
        spec: &Value,
    ) -> Option<Result<String, String>> {
        let (want, container) = gpu_request(spec);
        if want == 0 {
            return None;
        }
        let hosts = self.gpu.hosts;
        let host = self.gpu.pick(want, |h| self.schedulable(&host_name(h)));
        let Some(host) = host else {
            return Some(Err(format!(
                "0/{} nodes are available: {hosts} Insufficient nvidia.com/gpu.",
                self.store.map(Kind::Node).len()
            )));
        };
        self.gpu.release(ns, name);
        self.gpu.allocate(
            host,
            want,
            GpuHolder {
                namespace: ns.into(),
                pod: name.into(),
                container,
            },
        );
        Some(Ok(host_name(host)))
    }

    pub(super) fn schedulable(&self, node: &str) -> bool {
        self.store.get(Kind::Node, "", node).is_some_and(|n| {
            n.pointer("/spec/unschedulable").and_then(Value::as_bool) != Some(true)
        })
    }

    /// The page's view of host `host`'s GPUs at a scrape: the pod on each (if that pod still
    /// runs there), its faults, and whether it fell off the bus. Counts the scrape for GPUs
    /// showing an XID.
    pub fn gpu_view(&mut self, host: usize) -> Vec<GpuView> {
        let now = self.now_ms;
        let node = host_name(host);
        (0..GPUS_PER_HOST)
            .map(|g| {
                let holder = self
                    .gpu
                    .slots
                    .get(host - 1)
                    .and_then(|s| s[g].clone())
                    .filter(|h| {
                        self.store
                            .obj(Kind::Pod, &h.namespace, &h.pod)
                            .is_some_and(|p| {
                                p.node == node && p.phase != "Succeeded" && p.phase != "Failed"
                            })
                    });
                let mut view = GpuView {
                    holder,
                    ..GpuView::default()
                };
                if let Some(f) = self.gpu.faults.get_mut(&(host, g)) {
                    view.lost =
                        f.xid == 79 && f.xid_scrapes > 0 && now - f.xid_at_ms >= LOST_AFTER_MS;
                    if f.xid != 0 && !view.lost {
                        f.xid_scrapes += 1;
                    }
                    view.fault = f.clone();
                }
                view
            })
            .collect()
    }

    /// The `ml` namespace and its training StatefulSet: one pod of [`TRAIN_GPUS`] GPUs per
    /// DGX host, so about half the fleet's GPUs are busy. Runs while building.
    pub(super) fn make_training(&mut self) {
        if self.gpu.hosts == 0 {
            return;
        }
        self.make_namespace(ML_NS);
        let labels = json!({"app": TRAIN});
        let mut meta = self.applied_meta(TRAIN, ML_NS, self.now_ms);
        meta["labels"] = labels.clone();
        let container = json!({
            "name": "trainer",
            "image": "nvcr.io/nvidia/pytorch:24.05-py3",
            "command": ["torchrun", "--nnodes", self.gpu.hosts.to_string(),
                        "--nproc-per-node", TRAIN_GPUS.to_string(), "train.py",
                        "--model", "llama-3-8b"],
            "ports": [{"name": "rdzv", "containerPort": 29500, "protocol": "TCP"}],
            "resources": {
                "requests": {"cpu": "32", "memory": "256Gi", "nvidia.com/gpu": TRAIN_GPUS.to_string()},
                "limits": {"memory": "512Gi", "nvidia.com/gpu": TRAIN_GPUS.to_string()},
            },
            "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File",
            "imagePullPolicy": "IfNotPresent",
        });
        let sts = json!({
            "metadata": meta,
            "spec": {
                "replicas": self.gpu.hosts,
                "serviceName": TRAIN,
                "podManagementPolicy": "Parallel",
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "containers": [container],
                        "nodeSelector": {"nvidia.com/gpu.present": "true"},
                        "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
                        "restartPolicy": "Always",
                        "terminationGracePeriodSeconds": 30,
                        "dnsPolicy": "ClusterFirst",
                        "schedulerName": "default-scheduler",
                        "securityContext": {},
                    },
                },
            },
        });
        self.create(Kind::StatefulSet, sts);
        self.after_workload_write(Kind::StatefulSet, ML_NS, TRAIN);
        self.make_service(ML_NS, TRAIN, json!({"app": TRAIN}), 29500);
    }

    /// The `gpu-fault` scenario's trouble, at `now_ms`: XID 79 on `dgx-02` GPU 3 (it falls off
    /// the bus) and a thermally throttled `dgx-01` GPU 5.
    pub(super) fn start_gpu_faults(&mut self, now_ms: i64) {
        if self.gpu.hosts >= 2 {
            self.gpu.xid(2, 3, 79, now_ms);
        }
        if self.gpu.hosts >= 1 {
            let f = self.gpu.fault_mut(1, 5);
            f.throttle = Some(THROTTLE_SW_THERMAL | THROTTLE_HW_THERMAL);
            f.temp_c = Some(88.0);
        }
    }
}
