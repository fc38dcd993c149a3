//! The cluster's nodes, as `v1 Node` objects: the six CPU nodes `node-N` the scheduler places
//! pods on, and a GPU node per DGX host (`dgx-01` …, `nvidia.com/gpu.present=true`, eight
//! `nvidia.com/gpu`; see `gpus.rs`). DaemonSets run a pod on each Ready node their
//! `nodeSelector` matches.

use serde_json::{Value, json};

use super::World;
use crate::json::at;
use crate::store::{Kind, Obj};

/// The CPU nodes.
pub const NODES: [&str; 6] = ["node-1", "node-2", "node-3", "node-4", "node-5", "node-6"];

/// A node's InternalIP (any name: load-test nodes have no Node object but an address).
pub fn node_ip(node: &str) -> String {
    let n: u64 = node
        .rsplit('-')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    // DGX hosts on their own subnet
    let net = if node.starts_with("dgx-") { 1 } else { 0 };
    format!("10.{net}.{}.{}", n / 200, 10 + n % 200)
}

/// Whether a DaemonSet pod with this pod template belongs on `node`: the node is Ready and
/// its labels satisfy the template's `nodeSelector`. A cordoned node keeps its DaemonSet pods
/// (they tolerate `node.kubernetes.io/unschedulable`, which is why `kubectl drain` needs
/// `--ignore-daemonsets`).
pub fn node_fits(node: &Obj, template: &Value) -> bool {
    if !node.ready {
        return false;
    }
    at(template, &["spec", "nodeSelector"])
        .and_then(Value::as_object)
        .map(|sel| {
            sel.iter()
                .all(|(k, want)| node.label(k) == Some(want.as_str().unwrap_or("")))
        })
        .unwrap_or(true)
}

/// The taint the node lifecycle controller puts on a cordoned node.
pub const UNSCHEDULABLE_TAINT: &str = "node.kubernetes.io/unschedulable";

impl World {
    /// The node lifecycle controller's part: a node with `spec.unschedulable` gets the
    /// `node.kubernetes.io/unschedulable:NoSchedule` taint, and loses it when uncordoned.
    pub(super) fn step_node_taints(&mut self) {
        let changed: Vec<Value> = self
            .store
            .map(Kind::Node)
            .values()
            .filter_map(|o| {
                // most ticks change nothing: look at the bytes before parsing
                let text = &o.json[..];
                let has_bytes = |needle: &[u8]| text.windows(needle.len()).any(|w| w == needle);
                if has_bytes(b"\"unschedulable\":true") == has_bytes(UNSCHEDULABLE_TAINT.as_bytes())
                {
                    return None;
                }
                let mut v = o.value();
                let cordoned =
                    at(&v, &["spec", "unschedulable"]).and_then(Value::as_bool) == Some(true);
                let taints: Vec<Value> = at(&v, &["spec", "taints"])
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let has = taints
                    .iter()
                    .any(|t| t.get("key").and_then(Value::as_str) == Some(UNSCHEDULABLE_TAINT));
                if cordoned == has {
                    return None;
                }
                let mut taints: Vec<Value> = taints
                    .into_iter()
                    .filter(|t| t.get("key").and_then(Value::as_str) != Some(UNSCHEDULABLE_TAINT))
                    .collect();
                if cordoned {
                    taints.push(json!({"key": UNSCHEDULABLE_TAINT, "effect": "NoSchedule",
                                       "timeAdded": super::ts(self.now_ms)}));
                }
                let spec = v.get_mut("spec")?.as_object_mut()?;
                if taints.is_empty() {
                    spec.remove("taints");
                } else {
                    spec.insert("taints".into(), Value::Array(taints));
                }
                Some(v)
            })
            .collect();
        for v in changed {
            self.store.put(Kind::Node, v);
        }
    }

    pub(super) fn make_nodes(&mut self) {
        let mut names: Vec<(String, bool)> = NODES.iter().map(|n| (n.to_string(), false)).collect();
        names.extend((1..=self.gpu.hosts).map(|h| (super::gpus::host_name(h), true)));
        for (i, (name, gpu)) in names.iter().enumerate() {
            let name = name.as_str();
            let mut meta = self.new_meta(name, "", self.now_ms);
            let mut labels = json!({
                "beta.kubernetes.io/arch": "amd64",
                "beta.kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "node-role.kubernetes.io/worker": "",
                "node.kubernetes.io/instance-type": if *gpu { "dgx-h100" } else { "m6i.2xlarge" },
                "topology.kubernetes.io/zone": format!("eu-west-1{}", ["a", "b", "c"][i % 3]),
            });
            let mut capacity = json!({
                "cpu": "8", "memory": "32734444Ki", "pods": "110", "ephemeral-storage": "203070420Ki",
            });
            if *gpu {
                labels["nvidia.com/gpu.present"] = json!("true");
                labels["nvidia.com/gpu.product"] = json!("NVIDIA-H100-80GB-HBM3");
                labels["nvidia.com/gpu.count"] = json!("8");
                labels["nvidia.com/gpu.memory"] = json!("81559");
                capacity["cpu"] = json!("224");
                capacity["memory"] = json!("2113442816Ki");
                capacity["nvidia.com/gpu"] = json!("8");
            }
            meta["labels"] = labels;
            meta["annotations"] = json!({"node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true"});
            let ip = node_ip(name);
            let cond = |t: &str, s: &str, reason: &str, msg: &str| {
                json!({"type": t, "status": s, "reason": reason, "message": msg,
                       "lastHeartbeatTime": super::ts(self.now_ms), "lastTransitionTime": super::ts(self.now_ms)})
            };
            let node = json!({
                "metadata": meta,
                "spec": {"podCIDR": format!("10.{}.{}.0/24", 244 + i / 256, i % 256), "podCIDRs": [format!("10.{}.{}.0/24", 244 + i / 256, i % 256)],
                         "providerID": format!("aws:///eu-west-1a/i-0{:016x}", crate::rng::fnv64(name.as_bytes()))},
                "status": {
                    "capacity": capacity.clone(),
                    "allocatable": capacity,
                    "conditions": [
                        cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                        cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                        cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                        cond("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
                    ],
                    "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
                    "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                    "nodeInfo": {
                        "machineID": format!("{:032x}", crate::rng::fnv64(name.as_bytes()) as u128),
                        "systemUUID": format!("ec2{:013x}", crate::rng::fnv64(name.as_bytes()) & 0xffff_ffff_ffff),
                        "bootID": self.rng.uid(),
                        "kernelVersion": "6.1.112-124.190.amzn2023.x86_64",
                        "osImage": "Amazon Linux 2023.6.20241031",
                        "containerRuntimeVersion": "containerd://1.7.23",
                        "kubeletVersion": "v1.32.0",
                        "kubeProxyVersion": "v1.32.0",
                        "operatingSystem": "linux",
                        "architecture": "amd64",
                    },
                },
            });
            self.create(Kind::Node, node);
        }
    }
}
