//! The deployment and replica-set controllers: rollouts (rolling update and recreate),
//! rollbacks, scaling, revision history and the status that `kubectl rollout status` reads.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{World, revision_of, template_hash, template_without_hash, ts};
use crate::json::{at, i64_at, set, str_at};
use crate::store::{Kind, Obj, meta_str};

const REVISION: &str = "deployment.kubernetes.io/revision";
const REVISION_HISTORY: &str = "deployment.kubernetes.io/revision-history";
const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";

/// A replica set and the number of replicas this pass wants it to have.
type Target = (Arc<Value>, i64);

fn pct_or_int(v: Option<&Value>, total: i64, round_up: bool, default_pct: f64) -> i64 {
    match v {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
        Some(Value::String(s)) if s.ends_with('%') => {
            let p: f64 = s
                .trim_end_matches('%')
                .parse()
                .unwrap_or(default_pct * 100.0)
                / 100.0;
            let x = p * total as f64;
            if round_up {
                x.ceil() as i64
            } else {
                x.floor() as i64
            }
        }
        _ => {
            let x = default_pct * total as f64;
            if round_up {
                x.ceil() as i64
            } else {
                x.floor() as i64
            }
        }
    }
}

/// `maxSurge` as a pod count; a percentage rounds up, as in Kubernetes.
fn max_surge(d: &Value, desired: i64) -> i64 {
    let ru = at(d, &["spec", "strategy", "rollingUpdate"]);
    pct_or_int(ru.and_then(|r| r.get("maxSurge")), desired, true, 0.25)
}

/// `maxUnavailable` as a pod count; a percentage rounds down, as in Kubernetes.
fn max_unavailable(d: &Value, desired: i64) -> i64 {
    let ru = at(d, &["spec", "strategy", "rollingUpdate"]);
    pct_or_int(
        ru.and_then(|r| r.get("maxUnavailable")),
        desired,
        false,
        0.25,
    )
}

fn spec_replicas(rs: &Value) -> i64 {
    i64_at(rs, &["spec", "replicas"]).unwrap_or(0)
}

/// The pods of one namespace, to count per owning replica set.
struct OwnedPods(Vec<Arc<Obj>>);

impl OwnedPods {
    fn in_ns(w: &World, ns: &str) -> OwnedPods {
        OwnedPods(w.store.in_ns(Kind::Pod, ns).cloned().collect())
    }

    /// (pods, ready pods) that `rs` owns.
    fn of(&self, rs: &Value) -> (i64, i64) {
        let uid = meta_str(rs, "uid");
        let mine: Vec<&Arc<Obj>> = self.0.iter().filter(|p| p.owner_uid == uid).collect();
        (
            mine.len() as i64,
            mine.iter().filter(|p| p.ready).count() as i64,
        )
    }
}

/// One step of a rolling update: the new replica set grows into the room `maxSurge` leaves,
/// the old ones shrink as far as `maxUnavailable` allows.
fn rolling_update(
    d: &Value,
    desired: i64,
    new_rs: &Value,
    new_r: &mut i64,
    olds: &mut [Target],
    pods: &OwnedPods,
) {
    let mut surge = max_surge(d, desired);
    let unav = max_unavailable(d, desired);
    if surge == 0 && unav == 0 {
        // Kubernetes refuses both at zero; rather than stall, act as if one pod may surge
        surge = 1;
    }
    let old_total: i64 = olds.iter().map(|o| o.1).sum();
    if *new_r > desired {
        *new_r = desired;
    } else if *new_r < desired {
        let room = desired + surge - old_total - *new_r;
        if room > 0 {
            *new_r += room.min(desired - *new_r);
        }
    }
    if old_total > 0 {
        let (_, new_ready) = pods.of(new_rs);
        // drop unhealthy old replicas first, then as many as availability allows
        let mut available = new_ready;
        for o in olds.iter_mut() {
            let (_, ready) = pods.of(&o.0);
            let healthy = ready.min(o.1);
            o.1 = healthy;
            available += healthy;
        }
        let min_avail = desired - unav;
        let mut can_remove = (available - min_avail).max(0);
        // never keep more old than needed once the new ones are all up
        for o in olds.iter_mut() {
            let cut = o.1.min(can_remove);
            o.1 -= cut;
            can_remove -= cut;
        }
    }
}

/// Pods of a deployment's replica sets, as its status counts them.
struct RolloutCounts {
    total: i64,
    ready: i64,
    /// pods of the new replica set
    updated: i64,
    new_ready: i64,
}

/// When a condition last changed: the previous status's time while its status is the same.
fn transition_time(prev_status: &Value, typ: &str, status: &str, now_ms: i64) -> String {
    prev_status
        .get("conditions")
        .and_then(Value::as_array)
        .and_then(|a| {
            a.iter()
                .find(|c| str_at(c, &["type"]) == typ && str_at(c, &["status"]) == status)
        })
        .map(|c| str_at(c, &["lastTransitionTime"]).to_string())
        .unwrap_or_else(|| ts(now_ms))
}

fn available_condition(prev_status: &Value, available_ok: bool, now_ms: i64) -> Value {
    let status = if available_ok { "True" } else { "False" };
    json!({
        "type": "Available",
        "status": status,
        "lastUpdateTime": transition_time(prev_status, "Available", status, now_ms),
        "lastTransitionTime": transition_time(prev_status, "Available", status, now_ms),
        "reason": if available_ok { "MinimumReplicasAvailable" } else { "MinimumReplicasUnavailable" },
        "message": if available_ok { "Deployment has minimum availability." } else { "Deployment does not have minimum availability." },
    })
}

/// A status without its conditions' `lastUpdateTime`s.
fn without_update_times(s: &Value) -> Value {
    let mut s = s.clone();
    if let Some(a) = s.get_mut("conditions").and_then(Value::as_array_mut) {
        for c in a {
            if let Some(o) = c.as_object_mut() {
                o.remove("lastUpdateTime");
            }
        }
    }
    s
}

impl World {
    /// Run the deployment controller for one deployment. Returns true while it is still rolling.
    pub fn reconcile_deployment(&mut self, ns: &str, name: &str) -> bool {
        let Some(d) = self.store.get(Kind::Deployment, ns, name) else {
            return false;
        };
        let desired = i64_at(&d, &["spec", "replicas"]).unwrap_or(1).max(0);
        let (new_rs, old_rss) = self.replica_sets_for(ns, name, &d, desired);
        let paused = at(&d, &["spec", "paused"])
            .and_then(Value::as_bool)
            .unwrap_or(false);
        // counted once, before any replica set acts: the strategy and the history limit judge
        // the rollout as this pass found it
        let pods = OwnedPods::in_ns(self, ns);
        let mut new_r = spec_replicas(&new_rs);
        let mut olds: Vec<Target> = old_rss
            .iter()
            .map(|r| (r.clone(), spec_replicas(r)))
            .collect();
        olds.sort_by_key(|(r, _)| revision_of(r));
        if !paused {
            self.rollout_step(&d, desired, &new_rs, &mut new_r, &mut olds, &pods);
        }
        self.scale_replica_sets(&d, &new_rs, new_r, desired, &olds);
        // replica sets make pods
        self.reconcile_replicaset(ns, meta_str(&new_rs, "name"));
        for (o, _) in &olds {
            self.reconcile_replicaset(ns, meta_str(o, "name"));
        }
        self.prune_history(ns, &d, &olds, &pods);
        let (complete, total) = self.update_deployment_status(ns, &d, &new_rs, desired, paused);
        self.sync_hpa(ns, name, total);
        !complete
    }

    /// The replica set for the deployment's current template (made if there is none yet), and
    /// the others it owns.
    fn replica_sets_for(
        &mut self,
        ns: &str,
        name: &str,
        d: &Value,
        desired: i64,
    ) -> (Arc<Value>, Vec<Arc<Value>>) {
        let duid = meta_str(d, "uid");
        let tmpl_nohash = at(d, &["spec", "template"])
            .map(template_without_hash)
            .unwrap_or_else(|| template_without_hash(&json!({})));
        let mut rss: Vec<Arc<Value>> = self
            .store
            .in_ns(Kind::ReplicaSet, ns)
            .filter(|rs| rs.owner_uid == duid)
            .map(|o| Arc::new(o.value()))
            .collect();
        let max_rev = rss.iter().map(|r| revision_of(r)).max().unwrap_or(0);
        let cur_idx = rss.iter().position(|rs| {
            at(rs, &["spec", "template"])
                .map(template_without_hash)
                .as_ref()
                == Some(&tmpl_nohash)
        });
        let change_cause = str_at(d, &["metadata", "annotations", CHANGE_CAUSE]).to_string();
        let new_rs = match cur_idx {
            Some(i) => {
                let rs = rss.remove(i);
                if revision_of(&rs) < max_rev {
                    self.roll_back_to(&rs, max_rev, &change_cause)
                } else {
                    rs
                }
            }
            None => self.create_replica_set(ns, name, d, desired, max_rev, &change_cause),
        };
        (new_rs, rss)
    }

    /// A rollback: the old replica set for this template becomes current with the next
    /// revision, and remembers the one it had (as `kubectl rollout history` shows).
    fn roll_back_to(&mut self, rs: &Value, max_rev: i64, change_cause: &str) -> Arc<Value> {
        let rev = revision_of(rs);
        let mut r = rs.clone();
        let mut hist: Vec<String> = str_at(&r, &["metadata", "annotations", REVISION_HISTORY])
            .split(',')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        hist.push(rev.to_string());
        set(
            &mut r,
            &["metadata", "annotations", REVISION],
            json!((max_rev + 1).to_string()),
        );
        set(
            &mut r,
            &["metadata", "annotations", REVISION_HISTORY],
            json!(hist.join(",")),
        );
        if !change_cause.is_empty() {
            set(
                &mut r,
                &["metadata", "annotations", CHANGE_CAUSE],
                json!(change_cause),
            );
        }
        Arc::new(self.store.put(Kind::ReplicaSet, r).value())
    }

    /// A new, empty replica set for the deployment's template, named by its hash.
    fn create_replica_set(
        &mut self,
        ns: &str,
        name: &str,
        d: &Value,
        desired: i64,
        max_rev: i64,
        change_cause: &str,
    ) -> Arc<Value> {
        let template = at(d, &["spec", "template"]).cloned().unwrap_or(json!({}));
        let hash = template_hash(&template);
        let rsname = format!("{name}-{hash}");
        let mut t = template;
        set(
            &mut t,
            &["metadata", "labels", "pod-template-hash"],
            json!(hash),
        );
        let mut labels = at(&t, &["metadata", "labels"])
            .cloned()
            .unwrap_or(json!({}));
        labels["pod-template-hash"] = json!(hash);
        let mut sel = at(d, &["spec", "selector"])
            .cloned()
            .unwrap_or(json!({"matchLabels": {}}));
        set(&mut sel, &["matchLabels", "pod-template-hash"], json!(hash));
        let mut meta = self.new_meta(&rsname, ns, self.now_ms);
        meta["labels"] = labels;
        let mut ann = json!({
            "deployment.kubernetes.io/desired-replicas": desired.to_string(),
            "deployment.kubernetes.io/max-replicas": (desired + 1).to_string(),
            "deployment.kubernetes.io/revision": (max_rev + 1).to_string(),
        });
        if !change_cause.is_empty() {
            ann[CHANGE_CAUSE] = json!(change_cause);
        }
        meta["annotations"] = ann;
        meta["ownerReferences"] = json!([{
            "apiVersion": "apps/v1", "kind": "Deployment", "name": name, "uid": meta_str(d, "uid"),
            "controller": true, "blockOwnerDeletion": true,
        }]);
        let rs = json!({
            "metadata": meta,
            "spec": {"replicas": 0, "minReadySeconds": 0, "selector": sel, "template": t},
            "status": {"replicas": 0, "observedGeneration": 1},
        });
        Arc::new(self.create(Kind::ReplicaSet, rs).value())
    }

    /// How far this pass moves the rollout: the new replica set's target in `new_r`, the old
    /// ones' in `olds` (oldest first).
    fn rollout_step(
        &self,
        d: &Value,
        desired: i64,
        new_rs: &Value,
        new_r: &mut i64,
        olds: &mut [Target],
        pods: &OwnedPods,
    ) {
        if self.instant {
            // building the world: its history happened long ago, so straight to the end state
            *new_r = desired;
            for o in olds.iter_mut() {
                o.1 = 0;
            }
        } else if str_at(d, &["spec", "strategy", "type"]) == "Recreate" {
            // every old pod is gone before the first new one starts
            for o in olds.iter_mut() {
                o.1 = 0;
            }
            let old_pods: i64 = olds.iter().map(|(r, _)| pods.of(r).0).sum();
            if old_pods == 0 {
                *new_r = desired;
            }
        } else {
            rolling_update(d, desired, new_rs, new_r, olds, pods);
        }
    }

    /// Give each replica set its target, with the ScalingReplicaSet events that
    /// `kubectl describe deployment` lists.
    fn scale_replica_sets(
        &mut self,
        d: &Value,
        new_rs: &Value,
        new_r: i64,
        desired: i64,
        olds: &[Target],
    ) {
        let mut scaled_msgs = Vec::new();
        let from = spec_replicas(new_rs);
        if from != new_r {
            let mut r = new_rs.clone();
            r["spec"]["replicas"] = json!(new_r);
            set(
                &mut r,
                &[
                    "metadata",
                    "annotations",
                    "deployment.kubernetes.io/desired-replicas",
                ],
                json!(desired.to_string()),
            );
            self.store.put(Kind::ReplicaSet, r);
            scaled_msgs.push(format!(
                "Scaled {} replica set {} from {} to {}",
                if new_r > from { "up" } else { "down" },
                meta_str(new_rs, "name"),
                from,
                new_r
            ));
        }
        for (o, want) in olds {
            let have = spec_replicas(o);
            if have != *want {
                let mut r = (**o).clone();
                r["spec"]["replicas"] = json!(want);
                self.store.put(Kind::ReplicaSet, r);
                scaled_msgs.push(format!(
                    "Scaled down replica set {} from {} to {}",
                    meta_str(o, "name"),
                    have,
                    want
                ));
            }
        }
        for m in scaled_msgs {
            self.record_event(d, Kind::Deployment, "Normal", "ScalingReplicaSet", &m);
        }
    }

    /// Delete the oldest empty replica sets beyond `revisionHistoryLimit`. `pods` were counted
    /// before this pass, so one scaled to zero just now stays until a later pass finds it
    /// without pods.
    fn prune_history(&mut self, ns: &str, d: &Value, olds: &[Target], pods: &OwnedPods) {
        let limit = i64_at(d, &["spec", "revisionHistoryLimit"])
            .unwrap_or(10)
            .max(0) as usize;
        let empty_old: Vec<String> = olds
            .iter()
            .filter(|(o, w)| *w == 0 && pods.of(o).0 == 0)
            .map(|(o, _)| meta_str(o, "name").to_string())
            .collect();
        if empty_old.len() > limit {
            for n in &empty_old[..empty_old.len() - limit] {
                self.store.delete(Kind::ReplicaSet, ns, n);
            }
        }
    }

    fn rollout_counts(&self, ns: &str, duid: &str, new_uid: &str) -> RolloutCounts {
        let pods: Vec<Arc<Obj>> = self.store.in_ns(Kind::Pod, ns).cloned().collect();
        let rs_now: Vec<Arc<Value>> = self
            .store
            .in_ns(Kind::ReplicaSet, ns)
            .filter(|rs| rs.owner_uid == duid)
            .map(|o| Arc::new(o.value()))
            .collect();
        let mut c = RolloutCounts {
            total: 0,
            ready: 0,
            updated: 0,
            new_ready: 0,
        };
        for rs in &rs_now {
            let uid = meta_str(rs, "uid");
            for p in pods.iter().filter(|p| p.owner_uid == uid) {
                c.total += 1;
                if p.ready {
                    c.ready += 1;
                }
                if uid == new_uid {
                    c.updated += 1;
                }
            }
        }
        c.new_ready = pods
            .iter()
            .filter(|p| p.owner_uid == new_uid && p.ready)
            .count() as i64;
        c
    }

    /// The Progressing condition: True while the new replica set's pods keep changing, False
    /// once they have stood still longer than `progressDeadlineSeconds`.
    fn progressing_condition(
        &self,
        d: &Value,
        prev_status: &Value,
        rs_name: &str,
        c: &RolloutCounts,
        complete: bool,
        paused: bool,
    ) -> Value {
        let prev_prog = prev_status
            .get("conditions")
            .and_then(Value::as_array)
            .and_then(|a| a.iter().find(|c| str_at(c, &["type"]) == "Progressing"))
            .cloned();
        let progressed = match &prev_prog {
            None => true,
            Some(p) => {
                !str_at(p, &["message"]).contains(&format!("\"{rs_name}\""))
                    || i64_at(prev_status, &["updatedReplicas"]).unwrap_or(0) != c.updated
                    || i64_at(prev_status, &["readyReplicas"]).unwrap_or(0) != c.ready
                    || i64_at(prev_status, &["replicas"]).unwrap_or(0) != c.total
            }
        };
        let last_progress_ms = match (&prev_prog, progressed) {
            (Some(p), false) => str_at(p, &["lastUpdateTime"])
                .parse::<jiff::Timestamp>()
                .map(|t| t.as_millisecond())
                .unwrap_or(self.now_ms),
            _ => self.now_ms,
        };
        let deadline_ms = i64_at(d, &["spec", "progressDeadlineSeconds"]).unwrap_or(600) * 1000;
        let stalled = !complete && !paused && self.now_ms - last_progress_ms > deadline_ms;
        let (status, reason, message) = if complete {
            (
                "True",
                "NewReplicaSetAvailable",
                format!("ReplicaSet \"{rs_name}\" has successfully progressed."),
            )
        } else if stalled {
            (
                "False",
                "ProgressDeadlineExceeded",
                format!("ReplicaSet \"{rs_name}\" has timed out progressing."),
            )
        } else {
            (
                "True",
                "ReplicaSetUpdated",
                format!("ReplicaSet \"{rs_name}\" is progressing."),
            )
        };
        json!({
            "type": "Progressing",
            "status": status,
            "lastUpdateTime": ts(last_progress_ms),
            "lastTransitionTime": transition_time(prev_status, "Progressing", status, self.now_ms),
            "reason": reason,
            "message": message,
        })
    }

    /// Write the deployment's status and revision annotation. Returns whether the rollout is
    /// complete, and how many pods the deployment has.
    fn update_deployment_status(
        &mut self,
        ns: &str,
        d: &Value,
        new_rs: &Value,
        desired: i64,
        paused: bool,
    ) -> (bool, i64) {
        let c = self.rollout_counts(ns, meta_str(d, "uid"), meta_str(new_rs, "uid"));
        let old_pods = c.total - c.updated;
        let complete = old_pods == 0 && c.updated == desired && c.new_ready == desired;
        let available_ok = c.ready >= desired - max_unavailable(d, desired);
        let generation = i64_at(d, &["metadata", "generation"]).unwrap_or(1);
        let prev_status = d.get("status").cloned().unwrap_or(json!({}));
        let rs_name = meta_str(new_rs, "name");
        let mut status = json!({
            "observedGeneration": generation,
            "replicas": c.total,
            "updatedReplicas": c.updated,
            "readyReplicas": c.ready,
            "availableReplicas": c.ready,
            "conditions": [
                available_condition(&prev_status, available_ok, self.now_ms),
                self.progressing_condition(d, &prev_status, rs_name, &c, complete, paused),
            ],
        });
        if c.total - c.ready > 0 {
            status["unavailableReplicas"] = json!(c.total - c.ready);
        }
        let want_rev = revision_of(new_rs).to_string();
        // a new lastUpdateTime alone is no news: each write wakes every watcher
        let status_same = without_update_times(&prev_status) == without_update_times(&status);
        if str_at(d, &["metadata", "annotations", REVISION]) != want_rev || !status_same {
            let mut nd = d.clone();
            set(
                &mut nd,
                &["metadata", "annotations", REVISION],
                json!(want_rev),
            );
            nd["status"] = status;
            self.store.put(Kind::Deployment, nd);
        }
        (complete, c.total)
    }

    fn sync_hpa(&mut self, ns: &str, deploy: &str, replicas: i64) {
        let hpas: Vec<Arc<Value>> = self
            .store
            .in_ns(Kind::Hpa, ns)
            .map(|o| Arc::new(o.value()))
            .filter(|h| str_at(h, &["spec", "scaleTargetRef", "name"]) == deploy)
            .collect();
        for h in hpas {
            if i64_at(&h, &["status", "currentReplicas"]) != Some(replicas) {
                let mut h = (*h).clone();
                set(&mut h, &["status", "currentReplicas"], json!(replicas));
                set(&mut h, &["status", "desiredReplicas"], json!(replicas));
                self.store.put(Kind::Hpa, h);
            }
        }
    }

    pub fn reconcile_replicaset(&mut self, ns: &str, name: &str) {
        let Some(rs) = self.store.get(Kind::ReplicaSet, ns, name) else {
            return;
        };
        let uid = meta_str(&rs, "uid").to_string();
        let want = i64_at(&rs, &["spec", "replicas"]).unwrap_or(0).max(0);
        let pods: Vec<Arc<Obj>> = self
            .store
            .in_ns(Kind::Pod, ns)
            .filter(|p| p.owner_uid == uid)
            .cloned()
            .collect();
        let have = pods.len() as i64;
        if have < want {
            for _ in have..want {
                self.create_pod(&rs);
            }
        } else if have > want {
            // delete not-ready first, then the newest
            let mut order: Vec<&Arc<Obj>> = pods.iter().collect();
            order.sort_by_key(|p| (p.ready, std::cmp::Reverse(p.created.clone())));
            for p in order.into_iter().take((have - want) as usize) {
                let pname = p.name.clone();
                self.delete_pod(ns, &pname);
                self.record_event(
                    &rs,
                    Kind::ReplicaSet,
                    "Normal",
                    "SuccessfulDelete",
                    &format!("Deleted pod: {pname}"),
                );
            }
        }
        let pods: Vec<Arc<Obj>> = self
            .store
            .in_ns(Kind::Pod, ns)
            .filter(|p| p.owner_uid == uid)
            .cloned()
            .collect();
        let ready = pods.iter().filter(|p| p.ready).count() as i64;
        let status = json!({
            "replicas": pods.len(),
            "fullyLabeledReplicas": pods.len(),
            "readyReplicas": ready,
            "availableReplicas": ready,
            "observedGeneration": i64_at(&rs, &["metadata", "generation"]).unwrap_or(1),
        });
        let mut status = status;
        if let Some(o) = status.as_object_mut()
            && ready == 0
        {
            o.remove("readyReplicas");
            o.remove("availableReplicas");
        }
        if rs.get("status") != Some(&status) {
            let mut r = (*rs).clone();
            r["status"] = status;
            self.store.put(Kind::ReplicaSet, r);
        }
    }
}
