//! The deployment and replica-set controllers: rollouts (rolling update and recreate),
//! rollbacks, scaling, revision history and the status that `kubectl rollout status` reads.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{World, revision_of, template_hash, template_without_hash, ts};
use crate::json::{at, i64_at, set, str_at};
use crate::store::{Kind, Obj, meta_str};

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

impl World {
    /// Run the deployment controller for one deployment. Returns true while it is still rolling.
    pub fn reconcile_deployment(&mut self, ns: &str, name: &str) -> bool {
        let Some(d) = self.store.get(Kind::Deployment, ns, name) else {
            return false;
        };
        let duid = meta_str(&d, "uid").to_string();
        let desired = i64_at(&d, &["spec", "replicas"]).unwrap_or(1).max(0);
        let template = at(&d, &["spec", "template"]).cloned().unwrap_or(json!({}));
        let tmpl_nohash = template_without_hash(&template);
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
        let change_cause = str_at(
            &d,
            &["metadata", "annotations", "kubernetes.io/change-cause"],
        )
        .to_string();
        let new_rs: Arc<Value> = match cur_idx {
            Some(i) => {
                let rs = rss.remove(i);
                let rev = revision_of(&rs);
                if rev < max_rev {
                    // a rollback: the old replica set becomes current with the next revision
                    let mut r = (*rs).clone();
                    let mut hist: Vec<String> = str_at(
                        &r,
                        &[
                            "metadata",
                            "annotations",
                            "deployment.kubernetes.io/revision-history",
                        ],
                    )
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect();
                    hist.push(rev.to_string());
                    set(
                        &mut r,
                        &[
                            "metadata",
                            "annotations",
                            "deployment.kubernetes.io/revision",
                        ],
                        json!((max_rev + 1).to_string()),
                    );
                    set(
                        &mut r,
                        &[
                            "metadata",
                            "annotations",
                            "deployment.kubernetes.io/revision-history",
                        ],
                        json!(hist.join(",")),
                    );
                    if !change_cause.is_empty() {
                        set(
                            &mut r,
                            &["metadata", "annotations", "kubernetes.io/change-cause"],
                            json!(change_cause),
                        );
                    }
                    Arc::new(self.store.put(Kind::ReplicaSet, r).value())
                } else {
                    rs
                }
            }
            None => {
                let hash = template_hash(&template);
                let rsname = format!("{name}-{hash}");
                let mut t = template.clone();
                set(
                    &mut t,
                    &["metadata", "labels", "pod-template-hash"],
                    json!(hash),
                );
                let mut labels = at(&t, &["metadata", "labels"])
                    .cloned()
                    .unwrap_or(json!({}));
                labels["pod-template-hash"] = json!(hash);
                let mut sel = at(&d, &["spec", "selector"])
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
                    ann["kubernetes.io/change-cause"] = json!(change_cause);
                }
                meta["annotations"] = ann;
                meta["ownerReferences"] = json!([{
                    "apiVersion": "apps/v1", "kind": "Deployment", "name": name, "uid": duid,
                    "controller": true, "blockOwnerDeletion": true,
                }]);
                let rs = json!({
                    "metadata": meta,
                    "spec": {"replicas": 0, "minReadySeconds": 0, "selector": sel, "template": t},
                    "status": {"replicas": 0, "observedGeneration": 1},
                });
                Arc::new(self.create(Kind::ReplicaSet, rs).value())
            }
        };
        let new_rev = revision_of(&new_rs);
        let paused = at(&d, &["spec", "paused"])
            .and_then(Value::as_bool)
            .unwrap_or(false);

        // replica counts (ready pods per replica set)
        let pods: Vec<Arc<Obj>> = self.store.in_ns(Kind::Pod, ns).cloned().collect();
        let ready_of = |rs: &Value| -> (i64, i64) {
            let uid = meta_str(rs, "uid");
            let mine: Vec<&Arc<Obj>> = pods.iter().filter(|p| p.owner_uid == uid).collect();
            (
                mine.len() as i64,
                mine.iter().filter(|p| p.ready).count() as i64,
            )
        };
        let mut new_r = i64_at(&new_rs, &["spec", "replicas"]).unwrap_or(0);
        let mut olds: Vec<(Arc<Value>, i64)> = rss
            .iter()
            .map(|r| (r.clone(), i64_at(r, &["spec", "replicas"]).unwrap_or(0)))
            .collect();
        olds.sort_by_key(|(r, _)| revision_of(r));
        if !paused {
            let recreate = str_at(&d, &["spec", "strategy", "type"]) == "Recreate";
            if self.instant {
                new_r = desired;
                for o in olds.iter_mut() {
                    o.1 = 0;
                }
            } else if recreate {
                for o in olds.iter_mut() {
                    o.1 = 0;
                }
                let old_pods: i64 = rss.iter().map(|r| ready_of(r).0).sum();
                if old_pods == 0 {
                    new_r = desired;
                }
            } else {
                let ru = at(&d, &["spec", "strategy", "rollingUpdate"]);
                let mut surge = pct_or_int(ru.and_then(|r| r.get("maxSurge")), desired, true, 0.25);
                let unav = pct_or_int(
                    ru.and_then(|r| r.get("maxUnavailable")),
                    desired,
                    false,
                    0.25,
                );
                if surge == 0 && unav == 0 {
                    surge = 1;
                }
                let old_total: i64 = olds.iter().map(|o| o.1).sum();
                if new_r > desired {
                    new_r = desired;
                } else if new_r < desired {
                    let room = desired + surge - old_total - new_r;
                    if room > 0 {
                        new_r += room.min(desired - new_r);
                    }
                }
                if old_total > 0 {
                    let (_, new_ready) = ready_of(&new_rs);
                    // drop unhealthy old replicas first, then as many as availability allows
                    let mut available = new_ready;
                    for o in olds.iter_mut() {
                        let (_, ready) = ready_of(&o.0);
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
        }
        let mut scaled_msgs = Vec::new();
        if i64_at(&new_rs, &["spec", "replicas"]).unwrap_or(0) != new_r {
            let from = i64_at(&new_rs, &["spec", "replicas"]).unwrap_or(0);
            let mut r = (*new_rs).clone();
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
                meta_str(&new_rs, "name"),
                from,
                new_r
            ));
        }
        for (o, want) in &olds {
            let have = i64_at(o, &["spec", "replicas"]).unwrap_or(0);
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
            self.record_event(&d, Kind::Deployment, "Normal", "ScalingReplicaSet", &m);
        }
        // replica sets make pods
        let mut all_rs: Vec<(String, i64)> = vec![(meta_str(&new_rs, "name").to_string(), new_r)];
        all_rs.extend(
            olds.iter()
                .map(|(o, w)| (meta_str(o, "name").to_string(), *w)),
        );
        for (rsname, _) in &all_rs {
            self.reconcile_replicaset(ns, rsname);
        }
        // history limit: delete the oldest empty replica sets beyond revisionHistoryLimit
        let limit = i64_at(&d, &["spec", "revisionHistoryLimit"])
            .unwrap_or(10)
            .max(0) as usize;
        let empty_old: Vec<String> = olds
            .iter()
            .filter(|(o, w)| *w == 0 && ready_of(o).0 == 0)
            .map(|(o, _)| meta_str(o, "name").to_string())
            .collect();
        if empty_old.len() > limit {
            for n in &empty_old[..empty_old.len() - limit] {
                self.store.delete(Kind::ReplicaSet, ns, n);
            }
        }
        // deployment status
        let pods: Vec<Arc<Obj>> = self.store.in_ns(Kind::Pod, ns).cloned().collect();
        let rs_now: Vec<Arc<Value>> = self
            .store
            .in_ns(Kind::ReplicaSet, ns)
            .filter(|rs| rs.owner_uid == duid)
            .map(|o| Arc::new(o.value()))
            .collect();
        let mut total = 0;
        let mut ready = 0;
        let mut updated = 0;
        let new_uid = meta_str(&new_rs, "uid").to_string();
        for rs in &rs_now {
            let uid = meta_str(rs, "uid");
            for p in pods.iter().filter(|p| p.owner_uid == uid) {
                total += 1;
                if p.ready {
                    ready += 1;
                }
                if uid == new_uid {
                    updated += 1;
                }
            }
        }
        let old_pods = total - updated;
        let new_ready = pods
            .iter()
            .filter(|p| p.owner_uid == new_uid && p.ready)
            .count() as i64;
        let complete = old_pods == 0 && updated == desired && new_ready == desired;
        let ru = at(&d, &["spec", "strategy", "rollingUpdate"]);
        let unav = pct_or_int(
            ru.and_then(|r| r.get("maxUnavailable")),
            desired,
            false,
            0.25,
        );
        let available_ok = ready >= desired - unav;
        let mut nd = (*d).clone();
        let generation = i64_at(&d, &["metadata", "generation"]).unwrap_or(1);
        let prev_status = d.get("status").cloned().unwrap_or(json!({}));
        let cond_time = |typ: &str, status: &str| -> String {
            prev_status
                .get("conditions")
                .and_then(Value::as_array)
                .and_then(|a| {
                    a.iter()
                        .find(|c| str_at(c, &["type"]) == typ && str_at(c, &["status"]) == status)
                })
                .map(|c| str_at(c, &["lastTransitionTime"]).to_string())
                .unwrap_or_else(|| ts(self.now_ms))
        };
        let avail_status = if available_ok { "True" } else { "False" };
        let rs_name = meta_str(&new_rs, "name").to_string();
        let prev_prog = prev_status
            .get("conditions")
            .and_then(Value::as_array)
            .and_then(|a| a.iter().find(|c| str_at(c, &["type"]) == "Progressing"))
            .cloned();
        let progressed = match &prev_prog {
            None => true,
            Some(c) => {
                !str_at(c, &["message"]).contains(&format!("\"{rs_name}\""))
                    || i64_at(&prev_status, &["updatedReplicas"]).unwrap_or(0) != updated
                    || i64_at(&prev_status, &["readyReplicas"]).unwrap_or(0) != ready
                    || i64_at(&prev_status, &["replicas"]).unwrap_or(0) != total
            }
        };
        let last_progress_ms = match (&prev_prog, progressed) {
            (Some(c), false) => str_at(c, &["lastUpdateTime"])
                .parse::<jiff::Timestamp>()
                .map(|t| t.as_millisecond())
                .unwrap_or(self.now_ms),
            _ => self.now_ms,
        };
        let deadline_ms = i64_at(&d, &["spec", "progressDeadlineSeconds"]).unwrap_or(600) * 1000;
        let stalled = !complete && !paused && self.now_ms - last_progress_ms > deadline_ms;
        let (prog_status, prog_reason, prog_msg) = if complete {
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
        let mut status = json!({
            "observedGeneration": generation,
            "replicas": total,
            "updatedReplicas": updated,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "conditions": [
                {
                    "type": "Available",
                    "status": avail_status,
                    "lastUpdateTime": cond_time("Available", avail_status),
                    "lastTransitionTime": cond_time("Available", avail_status),
                    "reason": if available_ok { "MinimumReplicasAvailable" } else { "MinimumReplicasUnavailable" },
                    "message": if available_ok { "Deployment has minimum availability." } else { "Deployment does not have minimum availability." },
                },
                {
                    "type": "Progressing",
                    "status": prog_status,
                    "lastUpdateTime": ts(last_progress_ms),
                    "lastTransitionTime": cond_time("Progressing", prog_status),
                    "reason": prog_reason,
                    "message": prog_msg,
                }
            ],
        });
        if total - ready > 0 {
            status["unavailableReplicas"] = json!(total - ready);
        }
        let rev_ann = str_at(
            &d,
            &[
                "metadata",
                "annotations",
                "deployment.kubernetes.io/revision",
            ],
        );
        let want_rev = new_rev.to_string();
        let status_same = {
            let strip = |s: &Value| {
                let mut s = s.clone();
                if let Some(a) = s.get_mut("conditions").and_then(Value::as_array_mut) {
                    for c in a {
                        if let Some(o) = c.as_object_mut() {
                            o.remove("lastUpdateTime");
                        }
                    }
                }
                s
            };
            strip(&prev_status) == strip(&status)
        };
        if rev_ann != want_rev || !status_same {
            set(
                &mut nd,
                &[
                    "metadata",
                    "annotations",
                    "deployment.kubernetes.io/revision",
                ],
                json!(want_rev),
            );
            nd["status"] = status;
            self.store.put(Kind::Deployment, nd);
        }
        self.sync_hpa(ns, name, total);
        !complete
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
