//! Pods that the workload controllers beyond deployments own (StatefulSet, DaemonSet and Job
//! pods, and bare pods): made from a pod template, and for Job pods run to completion — the
//! container exits and the pod ends `Succeeded` or `Failed`.

use serde_json::{Value, json};

use super::pods::{conditions, image_id, set_pending, set_running};
use super::state::PodSim;
use super::{MAIN_NS, World, first_image, names_and_images, owner_name_kind, ts};
use crate::json::{at, str_at};
use crate::rng::fnv64;
use crate::store::{Key, Kind, meta_str};

/// How long a Job pod's container runs before it exits.
pub const JOB_RUN_MS: i64 = 5_000;

/// What a controller wants of a new pod.
pub struct NewPod<'a> {
    pub ns: &'a str,
    pub name: String,
    /// `generateName`, for pods named with a random suffix
    pub generate_name: Option<String>,
    pub template: &'a Value,
    /// the ownerReferences entry (None for a bare pod)
    pub owner: Option<Value>,
    pub extra_labels: Vec<(String, String)>,
    /// the node it runs on (None: the scheduler picks one)
    pub node: Option<String>,
    /// spec fields to set on top of the template's (hostname, subdomain)
    pub spec_extra: Vec<(&'static str, Value)>,
    /// Some(exit code): the container runs to completion
    pub finish: Option<i32>,
}

/// A controller reference to `owner` of `kind`.
pub fn owner_ref(kind: Kind, owner: &Value) -> Value {
    json!({
        "apiVersion": kind.api_version(), "kind": kind.info().name,
        "name": meta_str(owner, "name"), "uid": meta_str(owner, "uid"),
        "controller": true, "blockOwnerDeletion": true,
    })
}

/// Marks a pod's container as exited with `code` at `now`.
fn set_terminated(
    p: &mut Value,
    containers: &[(String, String)],
    started: i64,
    now: i64,
    code: i32,
) {
    p["status"]["phase"] = json!(if code == 0 { "Succeeded" } else { "Failed" });
    let mut c = conditions(false, now);
    if let Some(a) = c.as_array_mut() {
        for x in a.iter_mut() {
            let t = str_at(x, &["type"]).to_string();
            if t == "Ready" || t == "ContainersReady" {
                x["reason"] = json!("PodCompleted");
            }
            if t == "PodReadyToStartContainers" {
                x["status"] = json!("False");
            }
        }
    }
    p["status"]["conditions"] = c;
    let cid = format!(
        "containerd://{:016x}{:016x}",
        fnv64(meta_str(p, "uid").as_bytes()),
        0u64
    );
    p["status"]["containerStatuses"] =
        json!(containers.iter().map(|(n, i)| json!({
        "name": n, "image": i, "imageID": image_id(i), "containerID": cid, "ready": false,
        "restartCount": 0, "started": false,
        "state": {"terminated": {
            "exitCode": code, "reason": if code == 0 { "Completed" } else { "Error" },
            "startedAt": ts(started), "finishedAt": ts(now), "containerID": cid,
        }},
        "lastState": {},
    })).collect::<Vec<_>>());
}

/// The exit code a run-to-completion container will have: non-zero when its image is a bad
/// release in the main namespace, or when its command says `exit N`; zero otherwise.
pub fn exit_code_for(w: &World, ns: &str, template: &Value) -> i32 {
    if ns == MAIN_NS && w.bad_images.contains(&first_image(template)) {
        return 1;
    }
    let Some(c) = at(template, &["spec", "containers"])
        .and_then(Value::as_array)
        .and_then(|a| a.first())
    else {
        return 0;
    };
    let words: Vec<String> = ["command", "args"]
        .iter()
        .filter_map(|f| c.get(*f).and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_str)
        .flat_map(|s| {
            s.split(|ch: char| ch.is_whitespace() || ch == ';' || ch == '&' || ch == '|')
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .filter(|s| !s.is_empty())
        .collect();
    words
        .windows(2)
        .rev()
        .filter(|w| w[0] == "exit")
        .find_map(|w| w[1].parse::<i32>().ok())
        .unwrap_or(0)
}

impl World {
    /// Create a pod from a template; returns its name.
    pub(super) fn create_owned_pod(&mut self, np: NewPod) -> String {
        let ns = np.ns.to_string();
        let name = np.name.clone();
        let tmpl = np.template;
        let mut meta = self.new_meta(&name, &ns, self.now_ms);
        if let Some(g) = &np.generate_name {
            meta["generateName"] = json!(g);
        }
        let mut labels = at(tmpl, &["metadata", "labels"])
            .cloned()
            .filter(Value::is_object)
            .unwrap_or(json!({}));
        for (k, v) in &np.extra_labels {
            labels[k.as_str()] = json!(v);
        }
        meta["labels"] = labels;
        if let Some(a) = at(tmpl, &["metadata", "annotations"]) {
            meta["annotations"] = a.clone();
        }
        if let Some(o) = &np.owner {
            meta["ownerReferences"] = json!([o]);
        }
        let mut spec = tmpl.get("spec").cloned().unwrap_or(json!({}));
        let mut unschedulable = None;
        let node = match np.node {
            Some(n) => n,
            None => match self.place_gpu_pod(&ns, &name, &spec) {
                Some(Ok(n)) => n,
                Some(Err(why)) => {
                    unschedulable = Some(why);
                    String::new()
                }
                None => self.node_for(&ns),
            },
        };
        if let Some(why) = unschedulable {
            return self.create_unschedulable_pod(meta, spec, &why);
        }
        spec["nodeName"] = json!(node);
        for (k, v) in np.spec_extra {
            spec[k] = v;
        }
        let ip = format!(
            "10.244.{}.{}",
            self.rng.below(250) + 1,
            self.rng.below(250) + 2
        );
        let host_ip = super::nodes::node_ip(&node);
        let containers = names_and_images(spec.get("containers"));
        let now = self.now_ms;
        let mut pod = json!({
            "metadata": meta,
            "spec": spec,
            "status": {
                "phase": "Pending",
                "hostIP": host_ip,
                "hostIPs": [{"ip": host_ip}],
                "podIP": ip,
                "podIPs": [{"ip": ip}],
                "qosClass": "BestEffort",
                "startTime": ts(now),
            },
        });
        if self.instant {
            match np.finish {
                Some(code) => set_terminated(&mut pod, &containers, now, now + JOB_RUN_MS, code),
                None => set_running(&mut pod, &containers, now, true, 0, None),
            }
        } else {
            set_pending(&mut pod, &containers, now);
            self.active_pods.insert(
                (ns.clone(), name.clone()),
                PodSim {
                    crash: false,
                    stage: 0,
                    next_ms: now + 1000,
                    restarts: 0,
                    run_started_ms: now,
                    finish: np.finish,
                },
            );
        }
        let p = self.create(Kind::Pod, pod).value();
        if !self.instant {
            self.record_event(
                &p,
                Kind::Pod,
                "Normal",
                "Scheduled",
                &format!("Successfully assigned {ns}/{name} to {node}"),
            );
        }
        name
    }

    /// A pod no node has room for (it asks for more GPUs than any DGX node has free): Pending,
    /// `PodScheduled` False with the scheduler's reason, no node; it stays so.
    fn create_unschedulable_pod(&mut self, meta: Value, spec: Value, why: &str) -> String {
        let now = self.now_ms;
        let name = meta_str(&meta, "name").to_string();
        let pod = json!({
            "metadata": meta,
            "spec": spec,
            "status": {
                "phase": "Pending",
                "qosClass": "Burstable",
                "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                                "message": why, "lastProbeTime": null, "lastTransitionTime": ts(now)}],
            },
        });
        let p = self.create(Kind::Pod, pod).value();
        self.record_event(&p, Kind::Pod, "Warning", "FailedScheduling", why);
        name
    }

    /// Kubelet for a run-to-completion pod: pending → running → exited.
    pub(super) fn step_finishing_pod(
        &mut self,
        key: &Key,
        pod: &Value,
        mut sim: PodSim,
        code: i32,
    ) {
        let now = self.now_ms;
        let containers = names_and_images(at(pod, &["spec", "containers"]));
        let mut p = pod.clone();
        if sim.stage == 0 {
            self.record_container_start(pod, &containers, true);
            set_running(&mut p, &containers, now, true, 0, None);
            sim.stage = 1;
            sim.run_started_ms = now;
            sim.next_ms = now + JOB_RUN_MS;
            self.active_pods.insert(key.clone(), sim);
        } else {
            set_terminated(&mut p, &containers, sim.run_started_ms, now, code);
            self.active_pods.remove(key);
            // a finished pod's GPUs go back to the device plugin
            self.gpu.release(&key.0, &key.1);
        }
        self.store.put(Kind::Pod, p);
        self.pod_changed(&key.0, pod);
    }

    /// A pod changed or went away: its StatefulSet, DaemonSet or Job looks again.
    pub(super) fn pod_changed(&mut self, ns: &str, pod: &Value) {
        if let Some((k, n)) = owner_name_kind(pod) {
            let kind = match k {
                "StatefulSet" => Kind::StatefulSet,
                "DaemonSet" => Kind::DaemonSet,
                "Job" => Kind::Job,
                _ => return,
            };
            self.dirty_ctl.insert((kind, ns.to_string(), n.to_string()));
        }
    }
}
