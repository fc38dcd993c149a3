//! The kubelet's part: pods created and deleted for replica sets, and moved through
//! pending, running and crash-loop back-off as simulated time passes.

use std::sync::Arc;

use serde_json::{Value, json};

use super::state::{LogEvt, PodSim};
use super::{MAIN_NS, World, first_image, names_and_images, owner_name_kind, ts};
use crate::json::{at, str_at};
use crate::rng::fnv64;
use crate::store::{Key, Kind, meta_str};

impl World {
    pub fn delete_pod(&mut self, ns: &str, name: &str) {
        let key: Key = (ns.to_string(), name.to_string());
        if let Some(pod) = self.store.delete(Kind::Pod, ns, name) {
            // the kubelet stops the containers of a pod that ran on its node
            let phase = crate::json::str_at(&pod, &["status", "phase"]);
            let on_node = !crate::json::str_at(&pod, &["spec", "nodeName"]).is_empty();
            if on_node && (phase == "Running" || phase == "Pending") {
                for (c, _) in names_and_images(at(&pod, &["spec", "containers"])) {
                    self.record_container_event(
                        &pod,
                        &c,
                        "Normal",
                        "Killing",
                        &format!("Stopping container {c}"),
                    );
                }
            }
        }
        self.gpu.release(ns, name);
        self.active_pods.remove(&key);
        if self.logs.remove(&key).is_some() {
            let _ = self.log_tx.send(Arc::new(LogEvt { key, line: None }));
        }
    }

    /// The kubelet's events as it starts a pod's containers: on the first start the image
    /// is pulled (`Pulling`, `Pulled` with how long it took), on a restart it is already
    /// there; then `Created` and `Started`, each about its container.
    pub(super) fn record_container_start(
        &mut self,
        pod: &Value,
        containers: &[(String, String)],
        first: bool,
    ) {
        for (c, image) in containers {
            if first {
                self.record_container_event(
                    pod,
                    c,
                    "Normal",
                    "Pulling",
                    &format!("Pulling image \"{image}\""),
                );
                let ms = 400 + self.aux_rng.below(2600);
                let took = format!("{}.{:03}s", ms / 1000, ms % 1000);
                let size = 20_000_000 + self.aux_rng.below(180_000_000);
                self.record_container_event(
                    pod,
                    c,
                    "Normal",
                    "Pulled",
                    &format!("Successfully pulled image \"{image}\" in {took} ({took} including waiting). Image size: {size} bytes."),
                );
            } else {
                self.record_container_event(
                    pod,
                    c,
                    "Normal",
                    "Pulled",
                    &format!("Container image \"{image}\" already present on machine"),
                );
            }
            self.record_container_event(
                pod,
                c,
                "Normal",
                "Created",
                &format!("Created container: {c}"),
            );
            self.record_container_event(
                pod,
                c,
                "Normal",
                "Started",
                &format!("Started container {c}"),
            );
        }
    }

    pub(super) fn node_for(&mut self, ns: &str) -> String {
        if ns.starts_with("load-") {
            format!("load-node-{:03}", self.rng.below(200))
        } else {
            // the scheduler passes over cordoned nodes (`spec.unschedulable`), taking the
            // next schedulable one: the draw is the same whatever is cordoned
            let first = self.rng.below(6) as usize;
            (0..6)
                .map(|i| super::nodes::NODES[(first + i) % 6])
                .find(|n| self.schedulable(n))
                .unwrap_or(super::nodes::NODES[first])
                .to_string()
        }
    }

    pub fn create_pod(&mut self, rs: &Value) {
        let ns = meta_str(rs, "namespace").to_string();
        let rsname = meta_str(rs, "name").to_string();
        let suffix = self.rng.name_suffix(5);
        let name = format!("{rsname}-{suffix}");
        let tmpl = at(rs, &["spec", "template"]).cloned().unwrap_or(json!({}));
        let mut meta = self.new_meta(&name, &ns, self.now_ms);
        meta["generateName"] = json!(format!("{rsname}-"));
        meta["labels"] = at(&tmpl, &["metadata", "labels"])
            .cloned()
            .unwrap_or(json!({}));
        if let Some(a) = at(&tmpl, &["metadata", "annotations"]) {
            meta["annotations"] = a.clone();
        }
        meta["ownerReferences"] = json!([{
            "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rsname, "uid": meta_str(rs, "uid"),
            "controller": true, "blockOwnerDeletion": true,
        }]);
        let mut spec = tmpl.get("spec").cloned().unwrap_or(json!({}));
        // a ReplicaSet pod asking for GPUs goes to a DGX node with room, or (a simplification:
        // only controller-made pods stay Pending) to a CPU node without GPUs
        let node = match self.place_gpu_pod(&ns, &name, &spec) {
            Some(Ok(n)) => n,
            _ => self.node_for(&ns),
        };
        spec["nodeName"] = json!(node);
        let ip = format!(
            "10.244.{}.{}",
            self.rng.below(250) + 1,
            self.rng.below(250) + 2
        );
        let host_ip = format!("10.0.0.{}", 10 + node.len() as u64 + self.rng.below(6));
        let image = first_image(&tmpl);
        let crash = self.bad_images.contains(&image) && ns == MAIN_NS;
        let containers = names_and_images(spec.get("containers"));
        let now = self.now_ms;
        let mut pod = json!({
            "metadata": meta,
            "spec": spec,
            "status": {
                "phase": "Pending",
                "hostIP": host_ip,
                "podIP": ip,
                "podIPs": [{"ip": ip}],
                "qosClass": "Burstable",
                "startTime": ts(now),
            },
        });
        if self.instant {
            set_running(&mut pod, &containers, now, true, 0, None);
        } else {
            set_pending(&mut pod, &containers, now);
            self.active_pods.insert(
                (ns.clone(), name.clone()),
                PodSim {
                    crash,
                    stage: 0,
                    next_ms: now + 1000,
                    restarts: 0,
                    run_started_ms: now,
                    finish: None,
                },
            );
        }
        let p = self.create(Kind::Pod, pod);
        let p = if self.instant { Value::Null } else { p.value() };
        if !self.instant {
            self.record_event(
                &p,
                Kind::Pod,
                "Normal",
                "Scheduled",
                &format!("Successfully assigned {ns}/{name} to {node}"),
            );
            self.record_event(
                &rs.clone(),
                Kind::ReplicaSet,
                "Normal",
                "SuccessfulCreate",
                &format!("Created pod: {name}"),
            );
        }
    }

    /// Kubelet: move pods through their lifecycle.
    pub(super) fn step_pods(&mut self) {
        let now = self.now_ms;
        let due: Vec<Key> = self
            .active_pods
            .iter()
            .filter(|(_, s)| s.next_ms <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for key in due {
            let Some(mut sim) = self.active_pods.get(&key).cloned() else {
                continue;
            };
            let Some(pod) = self.store.get(Kind::Pod, &key.0, &key.1) else {
                self.active_pods.remove(&key);
                continue;
            };
            if let Some(code) = sim.finish {
                self.step_finishing_pod(&key, &pod, sim, code);
                continue;
            }
            let containers = names_and_images(at(&pod, &["spec", "containers"]));
            let mut p = (*pod).clone();
            let mut done = false;
            match sim.stage {
                0 => {
                    self.record_container_start(&pod, &containers, true);
                    set_running(&mut p, &containers, now, false, sim.restarts, None);
                    sim.stage = 1;
                    sim.run_started_ms = now;
                    sim.next_ms = now + 2000 + (self.rng.below(2000) as i64);
                }
                1 | 3 => {
                    if sim.crash {
                        sim.restarts += 1;
                        let last = json!({"terminated": {
                            "exitCode": 1, "reason": "Error",
                            "startedAt": ts(sim.run_started_ms), "finishedAt": ts(now),
                            "containerID": format!("containerd://{}", self.rng.hex(64)),
                        }});
                        let backoff = (10_000i64 << (sim.restarts - 1).min(5)).min(300_000);
                        set_crashloop(&mut p, &containers, sim.restarts, last, backoff);
                        self.crash_logs(&key);
                        let cname = containers.first().map(|c| c.0.clone()).unwrap_or_default();
                        let ip = crate::json::str_at(&pod, &["status", "podIP"]).to_string();
                        let port = at(&pod, &["spec", "containers"])
                            .and_then(Value::as_array)
                            .and_then(|a| a.first())
                            .and_then(|c| at(c, &["readinessProbe", "httpGet", "port"]))
                            .and_then(Value::as_i64);
                        if let Some(port) = port {
                            self.record_container_event(
                                &pod,
                                &cname,
                                "Warning",
                                "Unhealthy",
                                &format!("Readiness probe failed: Get \"http://{ip}:{port}/healthz\": dial tcp {ip}:{port}: connect: connection refused"),
                            );
                        }
                        let uid = meta_str(&pod, "uid").to_string();
                        self.record_container_event(
                            &pod,
                            &cname,
                            "Warning",
                            "BackOff",
                            &format!(
                                "Back-off restarting failed container {cname} in pod {}_{}({uid})",
                                key.1, key.0
                            ),
                        );
                        sim.stage = 2;
                        sim.next_ms = now + backoff;
                    } else {
                        let last = at(&p, &["status", "containerStatuses"])
                            .and_then(Value::as_array)
                            .and_then(|a| a.first())
                            .and_then(|c| c.get("lastState"))
                            .cloned();
                        set_running(
                            &mut p,
                            &containers,
                            sim.run_started_ms,
                            true,
                            sim.restarts,
                            last,
                        );
                        done = true;
                    }
                }
                _ => {
                    let last = at(&p, &["status", "containerStatuses"])
                        .and_then(Value::as_array)
                        .and_then(|a| a.first())
                        .and_then(|c| c.get("lastState"))
                        .cloned();
                    set_running(&mut p, &containers, now, false, sim.restarts, last);
                    sim.stage = 3;
                    sim.run_started_ms = now;
                    sim.next_ms = now + 3000;
                    self.record_container_start(&pod, &containers, false);
                }
            }
            self.store.put(Kind::Pod, p);
            if done {
                self.active_pods.remove(&key);
            } else {
                self.active_pods.insert(key.clone(), sim);
            }
            // the owning deployment re-evaluates
            if let Some(rs) = owner_name_kind(&pod)
                .filter(|(k, _)| *k == "ReplicaSet")
                .map(|(_, n)| n.to_string())
                && let Some(rsobj) = self.store.get(Kind::ReplicaSet, &key.0, &rs)
            {
                if let Some((_, dn)) = owner_name_kind(&rsobj) {
                    self.dirty.insert((key.0.clone(), dn.to_string()));
                } else {
                    let rs = rs.clone();
                    self.reconcile_replicaset(&key.0, &rs);
                }
            }
            self.pod_changed(&key.0, &pod);
        }
    }
}

pub(super) fn conditions(ready: bool, now: i64) -> Value {
    let r = if ready { "True" } else { "False" };
    json!([
        {"type": "PodReadyToStartContainers", "status": "True", "lastProbeTime": null, "lastTransitionTime": ts(now)},
        {"type": "Initialized", "status": "True", "lastProbeTime": null, "lastTransitionTime": ts(now)},
        {"type": "Ready", "status": r, "lastProbeTime": null, "lastTransitionTime": ts(now)},
        {"type": "ContainersReady", "status": r, "lastProbeTime": null, "lastTransitionTime": ts(now)},
        {"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": ts(now)},
    ])
}

pub(super) fn image_id(image: &str) -> String {
    format!(
        "{}@sha256:{:016x}{:016x}",
        image.split(':').next().unwrap_or(image),
        fnv64(image.as_bytes()),
        fnv64(format!("{image}!").as_bytes())
    )
}

pub(super) fn set_pending(p: &mut Value, containers: &[(String, String)], now: i64) {
    p["status"]["phase"] = json!("Pending");
    let mut c = conditions(false, now);
    if let Some(a) = c.as_array_mut() {
        a.retain(|x| str_at(x, &["type"]) != "PodReadyToStartContainers");
    }
    p["status"]["conditions"] = c;
    p["status"]["containerStatuses"] = json!(containers.iter().map(|(n, i)| json!({
        "name": n, "image": i, "imageID": "", "ready": false, "restartCount": 0, "started": false,
        "state": {"waiting": {"reason": "ContainerCreating"}}, "lastState": {},
    })).collect::<Vec<_>>());
}

pub(super) fn set_running(
    p: &mut Value,
    containers: &[(String, String)],
    started: i64,
    ready: bool,
    restarts: i64,
    last: Option<Value>,
) {
    p["status"]["phase"] = json!("Running");
    p["status"]["conditions"] = conditions(ready, started);
    let cid = format!(
        "containerd://{:016x}{:016x}",
        fnv64(meta_str(p, "uid").as_bytes()),
        restarts as u64
    );
    p["status"]["containerStatuses"] =
        json!(containers.iter().map(|(n, i)| json!({
        "name": n, "image": i, "imageID": image_id(i), "containerID": cid, "ready": ready,
        "restartCount": restarts, "started": true,
        "state": {"running": {"startedAt": ts(started)}},
        "lastState": last.clone().unwrap_or(json!({})),
    })).collect::<Vec<_>>());
}

fn set_crashloop(
    p: &mut Value,
    containers: &[(String, String)],
    restarts: i64,
    last: Value,
    backoff_ms: i64,
) {
    p["status"]["phase"] = json!("Running");
    let now_t = str_at(&last, &["terminated", "finishedAt"]).to_string();
    p["status"]["conditions"] = json!([
        {"type": "PodReadyToStartContainers", "status": "True", "lastProbeTime": null, "lastTransitionTime": now_t},
        {"type": "Initialized", "status": "True", "lastProbeTime": null, "lastTransitionTime": now_t},
        {"type": "Ready", "status": "False", "lastProbeTime": null, "lastTransitionTime": now_t, "reason": "ContainersNotReady", "message": "containers with unready status: [checkout]"},
        {"type": "ContainersReady", "status": "False", "lastProbeTime": null, "lastTransitionTime": now_t, "reason": "ContainersNotReady", "message": "containers with unready status: [checkout]"},
        {"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": now_t},
    ]);
    let pname = meta_str(p, "name").to_string();
    let ns = meta_str(p, "namespace").to_string();
    p["status"]["containerStatuses"] = json!(containers.iter().map(|(n, i)| json!({
        "name": n, "image": i, "imageID": image_id(i), "ready": false,
        "restartCount": restarts, "started": false,
        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": format!("back-off {}s restarting failed container={n} pod={pname}_{ns}", backoff_ms / 1000)}},
        "lastState": last,
    })).collect::<Vec<_>>());
}

impl World {
    /// Two pods of kube-system that `kubectl get pods` prints from more than their
    /// containers: `cert-sync` ran two init containers before its container
    /// (`1/1 Running`), `log-shipper` runs a native sidecar — an init container with
    /// `restartPolicy: Always` — beside its container, and the sidecar's restarts count
    /// (`2/2 Running 2 (5h ago)`).
    pub(super) fn make_init_pods(&mut self, wall: i64) {
        let ns = "kube-system";
        let created = wall - 2 * 86_400_000;
        let done = |name: &str, image: &str, at: i64| {
            json!({"name": name, "image": image, "imageID": image_id(image), "ready": true,
                "restartCount": 0, "started": false,
                "state": {"terminated": {"exitCode": 0, "reason": "Completed",
                    "startedAt": ts(at), "finishedAt": ts(at + 2_000)}}, "lastState": {}})
        };
        let running = |name: &str, image: &str, restarts: i64, last: Option<i64>| {
            json!({"name": name, "image": image, "imageID": image_id(image), "ready": true,
                "restartCount": restarts, "started": true,
                "state": {"running": {"startedAt": ts(last.unwrap_or(created) + 1_000)}},
                "lastState": last.map_or(json!({}), |t| json!({"terminated": {"exitCode": 137,
                    "reason": "Error", "startedAt": ts(created), "finishedAt": ts(t)}}))})
        };
        let make = |world: &mut World, name: &str, spec: Value, init: Value, main: Value| {
            let meta = world.new_meta(name, ns, created);
            let node = world.node_for(ns);
            let mut spec = spec;
            spec["nodeName"] = json!(node);
            let ip = format!("10.244.9.{}", 10 + name.len());
            world.create(
                Kind::Pod,
                json!({
                    "metadata": meta,
                    "spec": spec,
                    "status": {
                        "phase": "Running", "hostIP": "10.0.0.10", "podIP": ip,
                        "podIPs": [{"ip": ip}], "qosClass": "BestEffort", "startTime": ts(created),
                        "conditions": conditions(true, created + 10_000),
                        "initContainerStatuses": init, "containerStatuses": main,
                    },
                }),
            );
        };
        let sync = "ghcr.io/acme/cert-sync:1.2.0";
        make(
            self,
            "cert-sync-7q2xk",
            json!({
                "initContainers": [{"name": "wait-for-api", "image": "busybox:1.36"},
                    {"name": "fetch-certs", "image": sync}],
                "containers": [{"name": "sync", "image": sync}],
            }),
            json!([
                done("wait-for-api", "busybox:1.36", created + 1_000),
                done("fetch-certs", sync, created + 4_000)
            ]),
            json!([running("sync", sync, 0, None)]),
        );
        let shipper = "ghcr.io/acme/log-shipper:0.4.1";
        let bit = "fluent/fluent-bit:3.1";
        let last = wall - 5 * 3_600_000;
        make(
            self,
            "log-shipper-m8w4d",
            json!({
                "initContainers": [{"name": "fluent-bit", "image": bit, "restartPolicy": "Always"}],
                "containers": [{"name": "shipper", "image": shipper}],
            }),
            json!([running("fluent-bit", bit, 2, Some(last))]),
            json!([running("shipper", shipper, 0, None)]),
        );
    }
}
