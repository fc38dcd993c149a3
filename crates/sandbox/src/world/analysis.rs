//! Argo Rollouts analysis: the AnalysisRun a canary's `analysis` step creates from its
//! AnalysisTemplates, measured every `interval` (after `initialDelay`) up to `count` times
//! against `successCondition` / `failureCondition` (`result[0] < 0.05` and the like). What
//! a measurement reads is the simulated service's 5xx ratio of the canary's revision (the
//! `rollouts_pod_template_hash` series of its metrics page) since the measurement before.

use serde_json::{Value, json};

use super::owned::owner_ref;
use super::rollouts::{HASH_LABEL, REVISION_ANN, duration_ms};
use super::{World, ts};
use crate::json::{at, i64_at, str_at};
use crate::store::{Kind, meta_str};

/// `result[0] < 0.05`, `result >= 0.9`, ...: true, false, or None when the sandbox cannot
/// read the condition.
pub fn eval_condition(cond: &str, value: f64) -> Option<bool> {
    let c = cond.trim();
    let rest = c
        .strip_prefix("result[0]")
        .or_else(|| c.strip_prefix("result"))?
        .trim();
    let (op, num) = ["<=", ">=", "==", "!=", "<", ">"]
        .iter()
        .find_map(|op| rest.strip_prefix(op).map(|n| (*op, n.trim())))?;
    let n: f64 = num.parse().ok()?;
    Some(match op {
        "<=" => value <= n,
        ">=" => value >= n,
        "==" => value == n,
        "!=" => value != n,
        "<" => value < n,
        _ => value > n,
    })
}

fn terminal(phase: &str) -> bool {
    matches!(phase, "Successful" | "Failed" | "Error" | "Inconclusive")
}

impl World {
    /// The AnalysisRun of a canary's analysis step (made on first call): its name, phase and
    /// message.
    pub(super) fn step_analysis_run(
        &mut self,
        ro: &Value,
        st: &Value,
        cur: &str,
        idx: usize,
        step: &Value,
    ) -> (String, String, String) {
        let ns = meta_str(ro, "namespace").to_string();
        let name = format!("{}-{cur}-{idx}", meta_str(ro, "name"));
        if let Some(ar) = self.store.get(Kind::AnalysisRun, &ns, &name) {
            return (
                name,
                str_at(&ar, &["status", "phase"]).to_string(),
                str_at(&ar, &["status", "message"]).to_string(),
            );
        }
        let stable = str_at(st, &["stableRS"]).to_string();
        let args: Vec<Value> = step
            .get("args")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|arg| {
                        let v = match str_at(arg, &["valueFrom", "podTemplateHashValue"]) {
                            "Latest" => cur.to_string(),
                            "Stable" => stable.clone(),
                            _ => str_at(arg, &["value"]).to_string(),
                        };
                        json!({"name": str_at(arg, &["name"]), "value": v})
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut metrics = Vec::new();
        let mut missing = None;
        for t in step
            .get("templates")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let tn = str_at(t, &["templateName"]);
            match self.store.get(Kind::AnalysisTemplate, &ns, tn) {
                Some(tmpl) => metrics.extend(
                    at(&tmpl, &["spec", "metrics"])
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default(),
                ),
                None => missing = Some(tn.to_string()),
            }
        }
        let revision = str_at(ro, &["metadata", "annotations", REVISION_ANN]).to_string();
        let mut meta = self.new_meta(&name, &ns, self.now_ms);
        meta["labels"] =
            json!({HASH_LABEL: cur, "rollout-type": "Step", "step-index": idx.to_string()});
        meta["annotations"] = json!({REVISION_ANN: revision});
        meta["ownerReferences"] = json!([owner_ref(Kind::Rollout, ro)]);
        let (phase, message) = match &missing {
            Some(t) => (
                "Error",
                format!("analysistemplate.argoproj.io \"{t}\" not found"),
            ),
            None => ("Running", String::new()),
        };
        let mut status = json!({"phase": phase, "startedAt": ts(self.now_ms), "metricResults": []});
        if !message.is_empty() {
            status["message"] = json!(message);
        }
        let ar = json!({
            "metadata": meta,
            "spec": {"metrics": metrics, "args": args},
            "status": status,
        });
        self.create(Kind::AnalysisRun, ar);
        // measurements count from here
        let svc = meta_str(ro, "name").to_string();
        let mark = self
            .traffic
            .get(&svc)
            .map(|t| t.revision_totals(cur))
            .unwrap_or((0.0, 0.0));
        self.analysis_marks.insert((ns, name.clone()), mark);
        (name, phase.to_string(), message)
    }

    /// The message of the failed AnalysisRun of this revision, if one failed.
    pub(super) fn failed_analysis_message(&self, ro: &Value, cur: &str) -> Option<String> {
        let uid = meta_str(ro, "uid");
        self.store
            .in_ns(Kind::AnalysisRun, meta_str(ro, "namespace"))
            .filter(|a| a.owner_uid == uid && a.label(HASH_LABEL) == Some(cur))
            .map(|a| a.value())
            .find(|a| matches!(str_at(a, &["status", "phase"]), "Failed" | "Error"))
            .map(|a| str_at(&a, &["status", "message"]).to_string())
            .filter(|m| !m.is_empty())
    }

    /// A retry measures afresh: the revision's AnalysisRuns go.
    pub(super) fn delete_analysis_runs(&mut self, ro: &Value, cur: &str) {
        let ns = meta_str(ro, "namespace").to_string();
        let uid = meta_str(ro, "uid").to_string();
        let names: Vec<String> = self
            .store
            .in_ns(Kind::AnalysisRun, &ns)
            .filter(|a| a.owner_uid == uid && a.label(HASH_LABEL) == Some(cur))
            .map(|a| a.name.clone())
            .collect();
        for n in names {
            self.store.delete(Kind::AnalysisRun, &ns, &n);
            self.analysis_marks.remove(&(ns.clone(), n));
        }
    }

    /// An analysis step measures afresh: its AnalysisRun goes (the next pass makes one).
    pub(super) fn delete_step_analysis_run(&mut self, ro: &Value, name: &str) {
        let ns = meta_str(ro, "namespace").to_string();
        self.store.delete(Kind::AnalysisRun, &ns, name);
        self.analysis_marks.remove(&(ns, name.to_string()));
    }

    /// Take the measurements that are due.
    pub(super) fn step_analysis(&mut self) {
        let running: Vec<Value> = self
            .store
            .map(Kind::AnalysisRun)
            .values()
            .map(|a| a.value())
            .filter(|a| !terminal(str_at(a, &["status", "phase"])))
            .collect();
        for ar in running {
            self.measure(ar);
        }
    }

    fn measure(&mut self, mut ar: Value) {
        let now = self.now_ms;
        let ns = meta_str(&ar, "namespace").to_string();
        let name = meta_str(&ar, "name").to_string();
        let Some(started) = str_at(&ar, &["status", "startedAt"])
            .parse::<jiff::Timestamp>()
            .ok()
            .map(|t| t.as_millisecond())
        else {
            return;
        };
        let hash = at(&ar, &["metadata", "labels", HASH_LABEL])
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let svc = at(&ar, &["metadata", "ownerReferences"])
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .map(|o| str_at(o, &["name"]).to_string())
            .unwrap_or_default();
        let metrics: Vec<Value> = at(&ar, &["spec", "metrics"])
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut results: Vec<Value> = at(&ar, &["status", "metricResults"])
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut changed = false;
        for m in &metrics {
            let mname = str_at(m, &["name"]).to_string();
            let pos = match results.iter().position(|r| str_at(r, &["name"]) == mname) {
                Some(p) => p,
                None => {
                    results.push(
                        json!({"name": mname, "phase": "Running", "measurements": [],
                        "count": 0, "successful": 0, "failed": 0, "inconclusive": 0}),
                    );
                    changed = true;
                    results.len() - 1
                }
            };
            let r = &mut results[pos];
            if terminal(str_at(r, &["phase"])) {
                continue;
            }
            let interval = duration_ms(m.get("interval")).unwrap_or(0);
            let delay = duration_ms(m.get("initialDelay")).unwrap_or(0);
            let count = i64_at(m, &["count"]).unwrap_or(1).max(1);
            let limit = i64_at(m, &["failureLimit"]).unwrap_or(0);
            let last = r["measurements"]
                .as_array()
                .and_then(|a| a.last())
                .and_then(|x| x.get("finishedAt"))
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<jiff::Timestamp>().ok())
                .map(|t| t.as_millisecond());
            let due = match last {
                Some(l) => l + interval,
                None => started + delay,
            };
            if now < due {
                continue;
            }
            // the canary revision's 5xx ratio since the measurement before
            let totals = self
                .traffic
                .get(&svc)
                .map(|t| t.revision_totals(&hash))
                .unwrap_or((0.0, 0.0));
            let mark = self
                .analysis_marks
                .get(&(ns.clone(), name.clone()))
                .copied()
                .unwrap_or((0.0, 0.0));
            let (dn, de) = (totals.0 - mark.0, totals.1 - mark.1);
            self.analysis_marks
                .insert((ns.clone(), name.clone()), totals);
            let value = if dn > 0.0 { de / dn } else { 0.0 };
            let value = (value * 10_000.0).round() / 10_000.0;
            let success = str_at(m, &["successCondition"]);
            let failure = str_at(m, &["failureCondition"]);
            // Argo's `evaluateResult`: with one condition the other is its negation; with
            // both, a value meeting neither is Inconclusive
            let succeeded = match (success.is_empty(), failure.is_empty()) {
                (true, true) => true,
                (false, _) => eval_condition(success, value) == Some(true),
                (true, false) => eval_condition(failure, value) != Some(true),
            };
            let failed = match (success.is_empty(), failure.is_empty()) {
                (true, true) => false,
                (_, false) => eval_condition(failure, value) == Some(true),
                (false, true) => !succeeded,
            };
            let mphase = if failed {
                "Failed"
            } else if succeeded {
                "Successful"
            } else {
                "Inconclusive"
            };
            if let Some(a) = r["measurements"].as_array_mut() {
                a.push(json!({"phase": mphase, "value": format!("[{value}]"),
                    "startedAt": ts(now), "finishedAt": ts(now)}));
            }
            let n = i64_at(r, &["count"]).unwrap_or(0) + 1;
            r["count"] = json!(n);
            let key = match mphase {
                "Failed" => "failed",
                "Successful" => "successful",
                _ => "inconclusive",
            };
            r[key] = json!(i64_at(r, &[key]).unwrap_or(0) + 1);
            let nfailed = i64_at(r, &["failed"]).unwrap_or(0);
            let ninconclusive = i64_at(r, &["inconclusive"]).unwrap_or(0);
            let inconclusive_limit = i64_at(m, &["inconclusiveLimit"]).unwrap_or(0);
            if nfailed > limit {
                r["phase"] = json!("Failed");
                r["message"] = json!(format!(
                    "Metric \"{mname}\" assessed Failed due to failed ({nfailed}) > failureLimit ({limit})"
                ));
            } else if ninconclusive > inconclusive_limit {
                r["phase"] = json!("Inconclusive");
                r["message"] = json!(format!(
                    "Metric \"{mname}\" assessed Inconclusive due to inconclusive ({ninconclusive}) > inconclusiveLimit ({inconclusive_limit})"
                ));
            } else if n >= count {
                r["phase"] = json!("Successful");
            }
            changed = true;
        }
        if !changed {
            return;
        }
        let failed = results
            .iter()
            .find(|r| str_at(r, &["phase"]) == "Failed")
            .map(|r| str_at(r, &["message"]).to_string());
        let inconclusive = results
            .iter()
            .find(|r| str_at(r, &["phase"]) == "Inconclusive")
            .map(|r| str_at(r, &["message"]).to_string());
        let all_done = results.iter().all(|r| terminal(str_at(r, &["phase"])));
        ar["status"]["metricResults"] = json!(results);
        if let Some(msg) = failed {
            ar["status"]["phase"] = json!("Failed");
            ar["status"]["message"] = json!(msg);
            ar["status"]["completedAt"] = json!(ts(now));
        } else if let Some(msg) = inconclusive.filter(|_| all_done) {
            // the worst phase wins once every metric is done: Failed, then Inconclusive
            ar["status"]["phase"] = json!("Inconclusive");
            ar["status"]["message"] = json!(msg);
            ar["status"]["completedAt"] = json!(ts(now));
        } else if all_done {
            ar["status"]["phase"] = json!("Successful");
            ar["status"]["completedAt"] = json!(ts(now));
        }
        self.store.put(Kind::AnalysisRun, ar);
        // the Rollout reacts to a finished analysis at once
        if !svc.is_empty() {
            self.reconcile_rollout(&ns, &svc);
        }
    }
}
