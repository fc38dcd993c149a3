//! The Argo Rollouts controller (`argoproj.io/v1alpha1` Rollout): ReplicaSets named
//! `NAME-<hash>` labelled `rollouts-pod-template-hash`, canary steps (`setWeight`, `pause`,
//! `analysis`) and blue-green with active and preview Services, driven by what the
//! kubectl plugin writes (`status.pauseConditions`, `currentStepIndex`, `abort`,
//! `promoteFull`, `spec.paused`, `spec.restartAt`, an older `spec.template` for undo).
//! The status is written field for field as Argo writes it.

use std::sync::Arc;

use serde_json::{Value, json};

use super::owned::owner_ref;
use super::{World, template_hash, template_without_hash, ts};
use crate::json::{at, i64_at, remove, set, str_at};
use crate::store::{Kind, meta_str};

pub const HASH_LABEL: &str = "rollouts-pod-template-hash";
pub const REVISION_ANN: &str = "rollout.argoproj.io/revision";

/// A pod template without the hash label, normalised, to compare templates.
fn template_key(t: &Value) -> Value {
    let mut t = t.clone();
    remove(&mut t, &["metadata", "labels", HASH_LABEL]);
    template_without_hash(&t)
}

fn rollout_hash(t: &Value) -> String {
    let mut t = t.clone();
    remove(&mut t, &["metadata", "labels", HASH_LABEL]);
    template_hash(&t)
}

pub fn rs_revision(rs: &Value) -> i64 {
    str_at(rs, &["metadata", "annotations", REVISION_ANN])
        .parse()
        .unwrap_or(0)
}

/// `30s`, `5m`, `1h`, `250ms` or a bare number of seconds, in milliseconds.
pub fn duration_ms(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64().map(|s| s * 1000),
        Value::String(s) => {
            let s = s.trim();
            let (num, mult) = if let Some(n) = s.strip_suffix("ms") {
                (n, 1)
            } else if let Some(n) = s.strip_suffix('s') {
                (n, 1000)
            } else if let Some(n) = s.strip_suffix('m') {
                (n, 60_000)
            } else if let Some(n) = s.strip_suffix('h') {
                (n, 3_600_000)
            } else {
                (s, 1000)
            };
            num.parse::<f64>().ok().map(|x| (x * mult as f64) as i64)
        }
        _ => None,
    }
}

fn ms_of(s: &str) -> Option<i64> {
    s.parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_millisecond())
}

/// One ReplicaSet of a Rollout, with its pods counted.
pub(super) struct Rs {
    pub(super) v: Arc<Value>,
    pub(super) hash: String,
    pub(super) pods: i64,
    pub(super) ready: i64,
}

/// What one pass decided: replicas per ReplicaSet hash, and the phase.
pub(super) struct Plan {
    pub(super) targets: Vec<(String, i64)>,
    pub(super) phase: &'static str,
    pub(super) message: String,
    pub(super) weight: i64,
}

pub(super) fn pause_cond(st: &Value, reason: &str) -> Option<Value> {
    st.get("pauseConditions")
        .and_then(Value::as_array)?
        .iter()
        .find(|c| str_at(c, &["reason"]) == reason)
        .cloned()
}

pub(super) fn drop_field(st: &mut Value, f: &str) {
    if let Some(o) = st.as_object_mut() {
        o.remove(f);
    }
}

pub(super) fn set_pause(st: &mut Value, reason: &str, now: i64) {
    st["pauseConditions"] = json!([{"reason": reason, "startTime": ts(now)}]);
    st["controllerPause"] = json!(true);
}

pub(super) fn clear_pause(st: &mut Value) {
    drop_field(st, "pauseConditions");
    drop_field(st, "controllerPause");
}

impl World {
    /// Every Rollout's controller pass (a handful of objects: run each step).
    pub(super) fn step_rollouts(&mut self) {
        let keys: Vec<(String, String)> = self.store.map(Kind::Rollout).keys().cloned().collect();
        for (ns, name) in keys {
            self.reconcile_rollout(&ns, &name);
        }
        self.step_analysis();
    }

    /// The ReplicaSets a Rollout owns.
    fn rollout_rss(&self, ro: &Value) -> Vec<Rs> {
        let uid = meta_str(ro, "uid");
        let ns = meta_str(ro, "namespace");
        let pods: Vec<_> = self.store.in_ns(Kind::Pod, ns).cloned().collect();
        self.store
            .in_ns(Kind::ReplicaSet, ns)
            .filter(|r| r.owner_uid == uid)
            .map(|o| {
                let v = Arc::new(o.value());
                let ruid = meta_str(&v, "uid").to_string();
                let mine = pods.iter().filter(|p| p.owner_uid == ruid);
                let (mut n, mut ready) = (0, 0);
                for p in mine {
                    n += 1;
                    if p.ready {
                        ready += 1;
                    }
                }
                Rs {
                    hash: str_at(&v, &["metadata", "labels", HASH_LABEL]).to_string(),
                    v,
                    pods: n,
                    ready,
                }
            })
            .collect()
    }

    /// The ReplicaSet for the Rollout's template: an existing one (renumbered to the next
    /// revision when an older template comes back, as `undo` does) or a new one.
    fn current_rs(&mut self, ro: &Value, rss: &[Rs]) -> (String, i64) {
        let template = at(ro, &["spec", "template"]).cloned().unwrap_or(json!({}));
        let key = template_key(&template);
        let max_rev = rss.iter().map(|r| rs_revision(&r.v)).max().unwrap_or(0);
        if let Some(r) = rss.iter().find(|r| {
            at(&r.v, &["spec", "template"])
                .map(template_key)
                .is_some_and(|k| k == key)
        }) {
            let rev = rs_revision(&r.v);
            if rev < max_rev {
                let mut v = (*r.v).clone();
                set(
                    &mut v,
                    &["metadata", "annotations", REVISION_ANN],
                    json!((max_rev + 1).to_string()),
                );
                self.store.put(Kind::ReplicaSet, v);
                return (r.hash.clone(), max_rev + 1);
            }
            return (r.hash.clone(), rev);
        }
        let hash = rollout_hash(&template);
        let ns = meta_str(ro, "namespace").to_string();
        let name = format!("{}-{hash}", meta_str(ro, "name"));
        let mut t = template;
        set(&mut t, &["metadata", "labels", HASH_LABEL], json!(hash));
        let labels = at(&t, &["metadata", "labels"])
            .cloned()
            .unwrap_or(json!({}));
        let mut sel = at(ro, &["spec", "selector"])
            .cloned()
            .unwrap_or(json!({"matchLabels": {}}));
        set(&mut sel, &["matchLabels", HASH_LABEL], json!(hash));
        let mut meta = self.new_meta(&name, &ns, self.now_ms);
        meta["labels"] = labels;
        meta["annotations"] = json!({REVISION_ANN: (max_rev + 1).to_string()});
        meta["ownerReferences"] = json!([owner_ref(Kind::Rollout, ro)]);
        let rs = json!({
            "metadata": meta,
            "spec": {"replicas": 0, "selector": sel, "template": t},
            "status": {"replicas": 0, "observedGeneration": 1},
        });
        self.create(Kind::ReplicaSet, rs);
        (hash, max_rev + 1)
    }

    /// One pass of the Rollout controller.
    pub fn reconcile_rollout(&mut self, ns: &str, name: &str) {
        let Some(ro) = self.store.get(Kind::Rollout, ns, name) else {
            return;
        };
        let ro = (*ro).clone();
        let desired = i64_at(&ro, &["spec", "replicas"]).unwrap_or(1).max(0);
        let prev = ro.get("status").cloned().unwrap_or(json!({}));
        let mut st = if prev.is_object() {
            prev.clone()
        } else {
            json!({})
        };
        let rss = self.rollout_rss(&ro);
        let (cur, revision) = self.current_rs(&ro, &rss);
        let rss = self.rollout_rss(&ro);
        let now = self.now_ms;
        let steps: Vec<Value> = at(&ro, &["spec", "strategy", "canary", "steps"])
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let blue_green = at(&ro, &["spec", "strategy", "blueGreen"]).is_some();
        // a new pod template starts the update over
        if str_at(&st, &["currentPodHash"]) != cur {
            st["currentPodHash"] = json!(cur);
            for f in ["abort", "abortedAt", "promoteFull"] {
                drop_field(&mut st, f);
            }
            clear_pause(&mut st);
            if !blue_green {
                st["currentStepIndex"] = json!(0);
            }
            if let Some(c) = st.get_mut("canary").and_then(Value::as_object_mut) {
                c.remove("currentStepAnalysisRunStatus");
            }
        }
        if str_at(&st, &["stableRS"]).is_empty() || self.instant {
            st["stableRS"] = json!(cur);
        }
        let step_hash = crate::rng::safe_hash(json!(steps).to_string().as_bytes());
        if !blue_green && str_at(&st, &["currentStepHash"]) != step_hash {
            st["currentStepHash"] = json!(step_hash);
            st["currentStepIndex"] = json!(0);
        }
        let aborted = st.get("abort").and_then(Value::as_bool) == Some(true);
        if !aborted && st.get("abortedAt").is_some() {
            // retry: the steps run again from the first, with fresh analysis
            drop_field(&mut st, "abortedAt");
            drop_field(&mut st, "abort");
            if !blue_green {
                st["currentStepIndex"] = json!(0);
            }
            self.delete_analysis_runs(&ro, &cur);
        }
        let plan = if blue_green {
            self.plan_blue_green(&ro, &mut st, &cur, revision, &rss, desired)
        } else {
            self.plan_canary(&ro, &mut st, &cur, revision, &rss, &steps, desired)
        };
        self.restart_pods(&ro, &mut st, &rss);
        for r in &rss {
            let want = plan
                .targets
                .iter()
                .find(|(h, _)| *h == r.hash)
                .map(|t| t.1)
                .unwrap_or(0);
            if i64_at(&r.v, &["spec", "replicas"]) != Some(want) {
                let mut v = (*r.v).clone();
                v["spec"]["replicas"] = json!(want);
                self.store.put(Kind::ReplicaSet, v);
            }
            let rsname = meta_str(&r.v, "name").to_string();
            self.reconcile_replicaset(ns, &rsname);
        }
        let rss = self.rollout_rss(&ro);
        self.write_rollout_status(&ro, &prev, st, &plan, &cur, revision, &rss, desired, now);
    }

    /// Canary: the weight of the current step, the steps walked as far as they go.
    #[allow(clippy::too_many_arguments)]
    fn plan_canary(
        &mut self,
        ro: &Value,
        st: &mut Value,
        cur: &str,
        revision: i64,
        rss: &[Rs],
        steps: &[Value],
        desired: i64,
    ) -> Plan {
        let now = self.now_ms;
        let ready_of = |h: &str| rss.iter().find(|r| r.hash == h).map(|r| r.ready);
        let stable = str_at(st, &["stableRS"]).to_string();
        let paused = at(ro, &["spec", "paused"]).and_then(Value::as_bool) == Some(true);
        // `spec.paused` holds a full promotion too (argo-rollouts #4265): it waits below
        if st.get("promoteFull").and_then(Value::as_bool) == Some(true) && stable != cur && !paused
        {
            clear_pause(st);
            if ready_of(cur).unwrap_or(0) >= desired {
                st["stableRS"] = json!(cur);
                drop_field(st, "promoteFull");
            }
            return Plan {
                targets: vec![(cur.to_string(), desired), (stable, desired)],
                phase: "Progressing",
                message: "more replicas need to be updated".into(),
                weight: 100,
            };
        }
        let stable = str_at(st, &["stableRS"]).to_string();
        if stable == cur {
            st["currentStepIndex"] = json!(steps.len());
            clear_pause(st);
            let ready = ready_of(cur).unwrap_or(0) >= desired;
            return Plan {
                targets: vec![(cur.to_string(), desired)],
                phase: if ready { "Healthy" } else { "Progressing" },
                message: if ready {
                    String::new()
                } else {
                    "updated replicas are still becoming available".into()
                },
                weight: 0,
            };
        }
        if st.get("abort").and_then(Value::as_bool) == Some(true) {
            if st.get("abortedAt").is_none() {
                st["abortedAt"] = json!(ts(now));
            }
            clear_pause(st);
            let why = self
                .failed_analysis_message(ro, cur)
                .map(|m| format!(": {m}"))
                .unwrap_or_default();
            return Plan {
                targets: vec![(stable, desired)],
                phase: "Degraded",
                message: format!(
                    "RolloutAborted: Rollout aborted update to revision {revision}{why}"
                ),
                weight: 0,
            };
        }
        let mut idx = i64_at(st, &["currentStepIndex"]).unwrap_or(0).max(0) as usize;
        let weight_at = |i: usize| {
            steps[..i.min(steps.len())]
                .iter()
                .rev()
                .find_map(|s| i64_at(s, &["setWeight"]))
                .unwrap_or(0)
        };
        let mut phase = "Progressing";
        let mut message = "more replicas need to be updated".to_string();
        let mut weight = weight_at(idx);
        while idx < steps.len() {
            if paused {
                phase = "Paused";
                message = "manually paused".into();
                break;
            }
            let step = &steps[idx];
            if step.get("pause").is_none()
                && (step.get("analysis").is_none() || pause_cond(st, "CanaryPauseStep").is_some())
            {
                // a pause left behind (the index moved past it by a status patch) is over;
                // an analysis step keeps its own (InconclusiveAnalysisRun)
                clear_pause(st);
            }
            if let Some(w) = i64_at(step, &["setWeight"]) {
                weight = w.clamp(0, 100);
                let canary = (weight * desired + 99) / 100;
                if ready_of(cur).unwrap_or(0) >= canary {
                    idx += 1;
                    continue;
                }
                message = "updated replicas are still becoming available".into();
                break;
            }
            if let Some(p) = step.get("pause") {
                let cond = pause_cond(st, "CanaryPauseStep");
                let promoted = st.get("controllerPause").and_then(Value::as_bool) == Some(true);
                let done = match (duration_ms(p.get("duration")), &cond) {
                    (Some(d), Some(c)) => {
                        ms_of(str_at(c, &["startTime"])).is_some_and(|s| now >= s + d)
                    }
                    (_, None) => promoted,
                    (None, Some(_)) => false,
                };
                if done {
                    clear_pause(st);
                    idx += 1;
                    continue;
                }
                if cond.is_none() {
                    set_pause(st, "CanaryPauseStep", now);
                }
                phase = "Paused";
                message = "CanaryPauseStep".into();
                break;
            }
            if let Some(a) = step.get("analysis") {
                let (arname, arphase, armsg) = self.step_analysis_run(ro, st, cur, idx, a);
                set(
                    st,
                    &["canary", "currentStepAnalysisRunStatus"],
                    json!({"name": arname, "status": arphase, "message": armsg}),
                );
                match arphase.as_str() {
                    "Successful" => {
                        idx += 1;
                        continue;
                    }
                    "Failed" | "Error" => {
                        st["abort"] = json!(true);
                        st["abortedAt"] = json!(ts(now));
                        st["currentStepIndex"] = json!(idx);
                        return Plan {
                            targets: vec![(stable, desired)],
                            phase: "Degraded",
                            message: format!(
                                "RolloutAborted: Rollout aborted update to revision {revision}: {armsg}"
                            ),
                            weight: 0,
                        };
                    }
                    "Inconclusive" => {
                        let cond = pause_cond(st, "InconclusiveAnalysisRun");
                        let controller_pause =
                            st.get("controllerPause").and_then(Value::as_bool) == Some(true);
                        if cond.is_none() && controller_pause {
                            // the pause was cleared but neither `controllerPause` nor the
                            // step: the controller measures again with a new AnalysisRun
                            // (`needsNewAnalysisRun`), and the Rollout waits on it
                            self.delete_step_analysis_run(ro, &arname);
                            clear_pause(st);
                            message = "analysis runs again".into();
                            break;
                        }
                        if cond.is_none() {
                            set_pause(st, "InconclusiveAnalysisRun", now);
                        }
                        phase = "Paused";
                        message = "InconclusiveAnalysisRun".into();
                        break;
                    }
                    _ => break,
                }
            }
            // steps the sandbox does not simulate (setCanaryScale, experiment) pass
            idx += 1;
        }
        st["currentStepIndex"] = json!(idx);
        if idx >= steps.len() && !paused {
            // every step done: the canary becomes stable
            st["stableRS"] = json!(cur);
            return Plan {
                targets: vec![(cur.to_string(), desired), (stable, desired)],
                phase: "Progressing",
                message: "more replicas need to be updated".into(),
                weight: 100,
            };
        }
        let canary = (weight * desired + 99) / 100;
        Plan {
            targets: vec![(cur.to_string(), canary), (stable, desired - canary)],
            phase,
            message,
            weight,
        }
    }

    /// `spec.restartAt`: pods created before it are replaced one at a time, then
    /// `status.restartedAt` records it.
    fn restart_pods(&mut self, ro: &Value, st: &mut Value, rss: &[Rs]) {
        let at_s = str_at(ro, &["spec", "restartAt"]).to_string();
        let Some(at_ms) = ms_of(&at_s) else {
            return;
        };
        if at_ms > self.now_ms || str_at(st, &["restartedAt"]) == at_s {
            return;
        }
        let ns = meta_str(ro, "namespace").to_string();
        let uids: Vec<String> = rss
            .iter()
            .map(|r| meta_str(&r.v, "uid").to_string())
            .collect();
        let pods: Vec<_> = self
            .store
            .in_ns(Kind::Pod, &ns)
            .filter(|p| uids.contains(&p.owner_uid))
            .cloned()
            .collect();
        let mut old: Vec<_> = pods
            .iter()
            .filter(|p| ms_of(&p.created).is_some_and(|c| c < at_ms))
            .collect();
        if old.is_empty() {
            st["restartedAt"] = json!(at_s);
            return;
        }
        if pods.iter().all(|p| p.ready)
            && rss
                .iter()
                .all(|r| r.pods >= i64_at(&r.v, &["spec", "replicas"]).unwrap_or(0))
        {
            old.sort_by(|a, b| a.created.cmp(&b.created));
            let victim = old[0].name.clone();
            self.delete_pod(&ns, &victim);
        }
    }

    /// Deleting a Rollout deletes its ReplicaSets (and so their pods) and AnalysisRuns.
    pub(super) fn after_rollout_delete(&mut self, ro: &Value) {
        let ns = meta_str(ro, "namespace").to_string();
        let uid = meta_str(ro, "uid").to_string();
        for kind in [Kind::ReplicaSet, Kind::AnalysisRun] {
            let owned: Vec<String> = self
                .store
                .in_ns(kind, &ns)
                .filter(|o| o.owner_uid == uid)
                .map(|o| o.name.clone())
                .collect();
            for n in owned {
                if let Some(o) = self.store.delete(kind, &ns, &n) {
                    self.after_delete(kind, &o);
                }
            }
        }
    }

    /// The traffic of the service a Rollout in `ns` named `app` serves: (revision, share,
    /// error ratio) per revision that takes requests.
    pub fn rollout_split(&self, ns: &str, app: &str) -> Option<Vec<(String, f64, f64)>> {
        let ro = self.store.get(Kind::Rollout, ns, app)?;
        let stable = str_at(&ro, &["status", "stableRS"]).to_string();
        if stable.is_empty() {
            return None;
        }
        let err_of = |hash: &str| -> f64 {
            let image = self
                .store
                .obj(Kind::ReplicaSet, ns, &format!("{app}-{hash}"))
                .map(|r| r.image.clone())
                .unwrap_or_default();
            if self.error_images.contains(&image) {
                0.18
            } else if self.bad_images.contains(&image) {
                0.15
            } else {
                0.002
            }
        };
        if at(&ro, &["spec", "strategy", "blueGreen"]).is_some() {
            let active = str_at(&ro, &["status", "blueGreen", "activeSelector"]);
            let h = if active.is_empty() {
                stable.as_str()
            } else {
                active
            };
            return Some(vec![(h.to_string(), 1.0, err_of(h))]);
        }
        let w = i64_at(&ro, &["status", "canary", "weights", "canary", "weight"]).unwrap_or(0);
        let canary = str_at(
            &ro,
            &["status", "canary", "weights", "canary", "podTemplateHash"],
        );
        let mut v = vec![(stable.clone(), 1.0 - w as f64 / 100.0, err_of(&stable))];
        if w > 0 && !canary.is_empty() && canary != stable {
            v.push((canary.to_string(), w as f64 / 100.0, err_of(canary)));
        } else if w > 0 {
            v[0].1 = 1.0;
        }
        v.retain(|p| p.1 > 0.0);
        Some(v)
    }
}
