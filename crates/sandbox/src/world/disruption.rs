//! PodDisruptionBudgets (`policy/v1`): the disruption controller keeps each budget's status
//! (`expectedPods`, `currentHealthy`, `desiredHealthy`, `disruptionsAllowed`, the
//! `DisruptionAllowed` condition), and the `pods/eviction` subresource asks it before a pod
//! goes, as kube-apiserver's eviction REST does: a spent budget is a 429.

use serde_json::{Value, json};

use super::{World, ts};
use crate::json::{at, set};
use crate::store::{Kind, Obj, meta_str};

/// Why an eviction was not done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvictRefusal {
    NotFound,
    /// The budget allows no disruption now: its name, desired and current healthy pods.
    Budget {
        pdb: String,
        desired: i64,
        healthy: i64,
    },
    /// More than one budget selects the pod (kube-apiserver refuses with a 500).
    Several,
}

/// Whether a selector (`matchLabels`, `matchExpressions` with In/NotIn/Exists/DoesNotExist)
/// selects the pod. An empty selector selects every pod of the namespace (policy/v1).
fn selects(selector: Option<&Value>, pod: &Obj) -> bool {
    let Some(sel) = selector else {
        return false;
    };
    let labels_ok = sel
        .get("matchLabels")
        .and_then(Value::as_object)
        .is_none_or(|m| {
            m.iter()
                .all(|(k, v)| pod.label(k) == Some(v.as_str().unwrap_or("")))
        });
    let exprs_ok = sel
        .get("matchExpressions")
        .and_then(Value::as_array)
        .is_none_or(|a| {
            a.iter().all(|e| {
                let key = e.get("key").and_then(Value::as_str).unwrap_or("");
                let values: Vec<&str> = e
                    .get("values")
                    .and_then(Value::as_array)
                    .map(|v| v.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let have = pod.label(key);
                match e.get("operator").and_then(Value::as_str).unwrap_or("") {
                    "In" => have.is_some_and(|h| values.contains(&h)),
                    "NotIn" => have.is_none_or(|h| !values.contains(&h)),
                    "Exists" => have.is_some(),
                    "DoesNotExist" => have.is_none(),
                    _ => false,
                }
            })
        });
    labels_ok && exprs_ok
}

/// An IntOrString of a budget: an absolute count, or a percentage of `of` (rounded up).
fn int_or_pct(v: &Value, of: i64) -> Option<i64> {
    if let Some(n) = v.as_i64() {
        return Some(n);
    }
    let p: i64 = v.as_str()?.strip_suffix('%')?.parse().ok()?;
    Some((p * of + 99) / 100)
}

fn healthy(p: &Obj) -> bool {
    p.phase == "Running" && p.ready
}

impl World {
    /// The pods a budget selects (not terminated).
    fn budget_pods(&self, pdb: &Value) -> Vec<std::sync::Arc<Obj>> {
        let ns = meta_str(pdb, "namespace");
        let sel = at(pdb, &["spec", "selector"]);
        self.store
            .in_ns(Kind::Pod, ns)
            .filter(|p| p.phase != "Succeeded" && p.phase != "Failed")
            .filter(|p| selects(sel, p))
            .cloned()
            .collect()
    }

    /// How many pods the budget's pods' controllers want (their `spec.replicas`); a pod
    /// without a controller counts as one.
    fn expected_pods(&self, ns: &str, pods: &[std::sync::Arc<Obj>]) -> i64 {
        let mut owners: Vec<(String, String)> = Vec::new();
        let mut bare = 0;
        for p in pods {
            if p.owner_uid.is_empty() {
                bare += 1;
            } else if !owners.iter().any(|(u, _)| *u == p.owner_uid) {
                owners.push((p.owner_uid.clone(), p.owner_name.clone()));
            }
        }
        let mut total = bare;
        for (uid, name) in owners {
            let replicas = [Kind::ReplicaSet, Kind::StatefulSet]
                .iter()
                .filter_map(|k| self.store.get(*k, ns, &name))
                .find(|o| meta_str(o, "uid") == uid)
                .and_then(|o| at(&o, &["spec", "replicas"]).and_then(Value::as_i64));
            total += replicas
                .unwrap_or_else(|| pods.iter().filter(|p| p.owner_uid == uid).count() as i64);
        }
        total
    }

    /// The status the disruption controller computes for `pdb` now.
    pub(super) fn budget_status(&self, pdb: &Value) -> Value {
        let ns = meta_str(pdb, "namespace");
        let pods = self.budget_pods(pdb);
        let current = pods.iter().filter(|p| healthy(p)).count() as i64;
        let (expected, desired) = match (
            at(pdb, &["spec", "minAvailable"]),
            at(pdb, &["spec", "maxUnavailable"]),
        ) {
            (Some(min), _) if min.is_i64() => (pods.len() as i64, min.as_i64().unwrap_or(0)),
            (Some(min), _) => {
                let expected = self.expected_pods(ns, &pods);
                (expected, int_or_pct(min, expected).unwrap_or(0))
            }
            (None, Some(max)) => {
                let expected = self.expected_pods(ns, &pods);
                (
                    expected,
                    (expected - int_or_pct(max, expected).unwrap_or(0)).max(0),
                )
            }
            (None, None) => (pods.len() as i64, 0),
        };
        let allowed = (current - desired).max(0);
        let (status, reason, message) = if allowed > 0 {
            ("True", "SufficientPods", "")
        } else {
            ("False", "InsufficientPods", "")
        };
        let generation = at(pdb, &["metadata", "generation"])
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let prev = at(pdb, &["status", "conditions"])
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .cloned();
        let transition = prev
            .as_ref()
            .filter(|c| c.get("status").and_then(Value::as_str) == Some(status))
            .and_then(|c| c.get("lastTransitionTime").cloned())
            .unwrap_or_else(|| json!(ts(self.now_ms)));
        json!({
            "observedGeneration": generation,
            "disruptionsAllowed": allowed,
            "currentHealthy": current,
            "desiredHealthy": desired,
            "expectedPods": expected,
            "conditions": [{"type": "DisruptionAllowed", "status": status, "reason": reason,
                            "message": message, "observedGeneration": generation,
                            "lastTransitionTime": transition}],
        })
    }

    /// The disruption controller: every budget's status as it is now (written only when
    /// it changed).
    pub(super) fn step_disruption(&mut self) {
        let pdbs: Vec<Value> = self
            .store
            .map(Kind::PodDisruptionBudget)
            .values()
            .map(|o| o.value())
            .collect();
        for mut pdb in pdbs {
            let status = self.budget_status(&pdb);
            if pdb.get("status") != Some(&status) {
                pdb["status"] = status;
                self.store.put(Kind::PodDisruptionBudget, pdb);
            }
        }
    }

    /// `POST pods/NAME/eviction`: deletes the pod unless the one budget selecting it allows
    /// no disruption (a pod not yet healthy, pending or terminated goes regardless, as with
    /// the default `unhealthyPodEvictionPolicy` when the budget is met). `dry_run`: checks
    /// only.
    pub fn evict(&mut self, ns: &str, name: &str, dry_run: bool) -> Result<(), EvictRefusal> {
        let Some(pod) = self.store.obj(Kind::Pod, ns, name).cloned() else {
            return Err(EvictRefusal::NotFound);
        };
        let budgets: Vec<Value> = self
            .store
            .in_ns(Kind::PodDisruptionBudget, ns)
            .map(|o| o.value())
            .filter(|b| selects(at(b, &["spec", "selector"]), &pod))
            .collect();
        if budgets.len() > 1 {
            return Err(EvictRefusal::Several);
        }
        let terminal = matches!(pod.phase.as_str(), "Succeeded" | "Failed" | "Pending");
        if let Some(mut pdb) = budgets.into_iter().next()
            && !terminal
        {
            let status = self.budget_status(&pdb);
            let allowed = status["disruptionsAllowed"].as_i64().unwrap_or(0);
            let healthy_now = status["currentHealthy"].as_i64().unwrap_or(0);
            let desired = status["desiredHealthy"].as_i64().unwrap_or(0);
            let unhealthy_ok = !healthy(&pod) && healthy_now >= desired;
            if allowed <= 0 && !unhealthy_ok {
                return Err(EvictRefusal::Budget {
                    pdb: meta_str(&pdb, "name").to_string(),
                    desired,
                    healthy: healthy_now,
                });
            }
            if dry_run {
                return Ok(());
            }
            if healthy(&pod) {
                // as the eviction REST does: the budget is spent at once, the pod noted
                let mut st = status;
                st["disruptionsAllowed"] = json!(allowed - 1);
                set(&mut st, &["disruptedPods", name], json!(ts(self.now_ms)));
                pdb["status"] = st;
                self.store.put(Kind::PodDisruptionBudget, pdb);
            }
        }
        if dry_run {
            return Ok(());
        }
        let old = pod.value();
        self.delete_pod(ns, name);
        self.after_delete(Kind::Pod, &old);
        Ok(())
    }
}
