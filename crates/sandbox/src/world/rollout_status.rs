//! The status a Rollout's controller writes, field for field as Argo Rollouts writes it:
//! phase and message, replica counts, canary weights, `selector`, conditions.

use serde_json::{Value, json};

use super::rollouts::{Plan, REVISION_ANN, Rs};
use super::{World, ts};
use crate::json::{at, i64_at, set, str_at};
use crate::store::{Kind, meta_str};

fn selector_string(ro: &Value) -> String {
    let mut v: Vec<String> = at(ro, &["spec", "selector", "matchLabels"])
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v.join(",")
}

fn condition(prev: &Value, typ: &str, status: &str, reason: &str, msg: &str, now: i64) -> Value {
    let since = prev
        .get("conditions")
        .and_then(Value::as_array)
        .and_then(|a| {
            a.iter()
                .find(|c| str_at(c, &["type"]) == typ && str_at(c, &["status"]) == status)
        })
        .map(|c| str_at(c, &["lastTransitionTime"]).to_string())
        .unwrap_or_else(|| ts(now));
    json!({"type": typ, "status": status, "reason": reason, "message": msg,
           "lastTransitionTime": since, "lastUpdateTime": since})
}

impl World {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn write_rollout_status(
        &mut self,
        ro: &Value,
        prev: &Value,
        mut st: Value,
        plan: &Plan,
        cur: &str,
        revision: i64,
        rss: &[Rs],
        desired: i64,
        now: i64,
    ) {
        let total: i64 = rss.iter().map(|r| r.pods).sum();
        let ready: i64 = rss.iter().map(|r| r.ready).sum();
        let updated = rss
            .iter()
            .find(|r| r.hash == cur)
            .map(|r| r.pods)
            .unwrap_or(0);
        let stable = str_at(&st, &["stableRS"]).to_string();
        let generation = i64_at(ro, &["metadata", "generation"]).unwrap_or(1);
        let m = st.as_object_mut();
        let Some(m) = m else { return };
        m.insert("phase".into(), json!(plan.phase));
        if plan.message.is_empty() {
            m.remove("message");
        } else {
            m.insert("message".into(), json!(plan.message));
        }
        m.insert("observedGeneration".into(), json!(generation.to_string()));
        m.insert("replicas".into(), json!(total));
        m.insert("updatedReplicas".into(), json!(updated));
        m.insert("readyReplicas".into(), json!(ready));
        m.insert("availableReplicas".into(), json!(ready));
        m.insert("HPAReplicas".into(), json!(total));
        m.insert("selector".into(), json!(selector_string(ro)));
        if at(ro, &["spec", "strategy", "blueGreen"]).is_none() {
            let svc = |f: &str| str_at(ro, &["spec", "strategy", "canary", f]).to_string();
            let mut canary = json!({"weight": plan.weight, "podTemplateHash": cur});
            let mut stable_w = json!({"weight": 100 - plan.weight, "podTemplateHash": stable});
            if !svc("canaryService").is_empty() {
                canary["serviceName"] = json!(svc("canaryService"));
            }
            if !svc("stableService").is_empty() {
                stable_w["serviceName"] = json!(svc("stableService"));
            }
            let c = m.entry("canary").or_insert(json!({}));
            c["weights"] = json!({"canary": canary, "stable": stable_w});
            m.entry("blueGreen").or_insert(json!({}));
        } else {
            m.entry("canary").or_insert(json!({}));
        }
        let complete = stable == cur && ready >= desired && total == desired;
        let paused = plan.phase == "Paused";
        let aborted = plan.phase == "Degraded";
        let mut conds = vec![
            condition(
                prev,
                "Available",
                if ready >= desired { "True" } else { "False" },
                "AvailableReason",
                if ready >= desired {
                    "Rollout has minimum availability"
                } else {
                    "Rollout does not have minimum availability"
                },
                now,
            ),
            if aborted {
                condition(
                    prev,
                    "Progressing",
                    "False",
                    "RolloutAborted",
                    &plan.message,
                    now,
                )
            } else if paused {
                condition(
                    prev,
                    "Progressing",
                    "Unknown",
                    "RolloutPaused",
                    "Rollout is paused",
                    now,
                )
            } else if complete {
                condition(
                    prev,
                    "Progressing",
                    "True",
                    "NewReplicaSetAvailable",
                    &format!(
                        "ReplicaSet \"{}-{cur}\" has successfully progressed.",
                        meta_str(ro, "name")
                    ),
                    now,
                )
            } else {
                condition(
                    prev,
                    "Progressing",
                    "True",
                    "ReplicaSetUpdated",
                    &format!(
                        "ReplicaSet \"{}-{cur}\" is progressing.",
                        meta_str(ro, "name")
                    ),
                    now,
                )
            },
            condition(
                prev,
                "Completed",
                if complete { "True" } else { "False" },
                if complete {
                    "RolloutCompleted"
                } else {
                    "RolloutNotCompleted"
                },
                if complete {
                    "Rollout completed update to revision"
                } else {
                    "Rollout not completed"
                },
                now,
            ),
            condition(
                prev,
                "Healthy",
                if plan.phase == "Healthy" {
                    "True"
                } else {
                    "False"
                },
                "RolloutHealthy",
                if plan.phase == "Healthy" {
                    "Rollout is healthy"
                } else {
                    "Rollout is not healthy"
                },
                now,
            ),
        ];
        if paused {
            conds.push(condition(
                prev,
                "Paused",
                "True",
                "RolloutPaused",
                "Rollout is paused",
                now,
            ));
        }
        m.insert("conditions".into(), json!(conds));
        let mut nro = ro.clone();
        set(
            &mut nro,
            &["metadata", "annotations", REVISION_ANN],
            json!(revision.to_string()),
        );
        let st_now = Value::Object(std::mem::take(m));
        if Some(&st_now) != ro.get("status") || nro != *ro {
            nro["status"] = st_now;
            self.store.put(Kind::Rollout, nro);
        }
    }
}
