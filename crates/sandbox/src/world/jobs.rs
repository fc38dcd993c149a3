//! The Job controller: up to `parallelism` pods at a time until `completions` of them have
//! succeeded (condition `Complete`), or until more than `backoffLimit` have failed (condition
//! `Failed`, reason `BackoffLimitExceeded`); a failed pod is replaced after a back-off of
//! 10 s, doubling per failure (at most 6 min). Pods run with `restartPolicy` as given, but
//! a failing container always fails its pod (as with `Never`). Pods and the Job carry the
//! labels the real controller sets: `batch.kubernetes.io/controller-uid`,
//! `batch.kubernetes.io/job-name` and the legacy `controller-uid`, `job-name`.

use std::sync::Arc;

use serde_json::{Value, json};

use super::owned::{NewPod, exit_code_for, owner_ref};
use super::{World, owner_name_kind, ts};
use crate::json::{at, i64_at, str_at};
use crate::store::{Kind, Obj, meta_str};

/// Whether a Job has finished: `Some("Complete")` or `Some("Failed")`.
pub fn job_finished(job: &Value) -> Option<&'static str> {
    let conds = at(job, &["status", "conditions"]).and_then(Value::as_array)?;
    ["Complete", "Failed"].into_iter().find(|t| {
        conds
            .iter()
            .any(|c| str_at(c, &["type"]) == *t && str_at(c, &["status"]) == "True")
    })
}

fn condition(typ: &str, reason: &str, message: &str, now: &str) -> Value {
    json!({"type": typ, "status": "True", "lastProbeTime": now, "lastTransitionTime": now,
           "reason": reason, "message": message})
}

/// The time a pod's container finished, in ms.
fn finished_ms(p: &Obj) -> Option<i64> {
    let v = p.value();
    at(&v, &["status", "containerStatuses"])
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(|c| at(c, &["state", "terminated", "finishedAt"]))
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<jiff::Timestamp>().ok())
        .map(|t| t.as_millisecond())
}

impl World {
    /// Run the Job controller once. Returns true while the Job is still running.
    pub(super) fn reconcile_job(&mut self, ns: &str, name: &str) -> bool {
        let Some(job) = self.store.get(Kind::Job, ns, name) else {
            return false;
        };
        if job_finished(&job).is_some() {
            return false;
        }
        let uid = meta_str(&job, "uid").to_string();
        let pods: Vec<Arc<Obj>> = self
            .store
            .in_ns(Kind::Pod, ns)
            .filter(|p| p.owner_uid == uid)
            .cloned()
            .collect();
        let active: Vec<&Arc<Obj>> = pods
            .iter()
            .filter(|p| p.phase != "Succeeded" && p.phase != "Failed")
            .collect();
        let succeeded = pods.iter().filter(|p| p.phase == "Succeeded").count() as i64;
        let failed = pods.iter().filter(|p| p.phase == "Failed").count() as i64;
        let completions = i64_at(&job, &["spec", "completions"]);
        let parallelism = i64_at(&job, &["spec", "parallelism"]).unwrap_or(1).max(0);
        let backoff_limit = i64_at(&job, &["spec", "backoffLimit"]).unwrap_or(6).max(0);
        let suspended = at(&job, &["spec", "suspend"]).and_then(Value::as_bool) == Some(true);
        let now = self.now_ms;
        let now_s = ts(now);
        let mut status = job.get("status").cloned().unwrap_or(json!({}));
        if !status.is_object() {
            status = json!({});
        }
        let mut conditions: Vec<Value> = at(&status, &["conditions"])
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut finished = false;
        let mut n_active = active.len() as i64;
        let done_ok = match completions {
            Some(c) => succeeded >= c,
            None => succeeded >= 1 && active.is_empty(),
        };
        if failed > backoff_limit {
            for p in &active {
                self.delete_pod(ns, &p.name);
            }
            n_active = 0;
            let msg = "Job has reached the specified backoff limit";
            conditions.push(condition(
                "FailureTarget",
                "BackoffLimitExceeded",
                msg,
                &now_s,
            ));
            conditions.push(condition("Failed", "BackoffLimitExceeded", msg, &now_s));
            self.record_event(&job, Kind::Job, "Warning", "BackoffLimitExceeded", msg);
            finished = true;
        } else if done_ok {
            conditions.push(condition(
                "SuccessCriteriaMet",
                "CompletionsReached",
                "Reached expected number of succeeded pods",
                &now_s,
            ));
            conditions.push(condition(
                "Complete",
                "CompletionsReached",
                "Reached expected number of succeeded pods",
                &now_s,
            ));
            let last_done = pods
                .iter()
                .filter(|p| p.phase == "Succeeded")
                .filter_map(|p| finished_ms(p))
                .max()
                .unwrap_or(now);
            status["completionTime"] = json!(ts(last_done));
            self.record_event(&job, Kind::Job, "Normal", "Completed", "Job completed");
            finished = true;
        } else if suspended {
            for p in &active {
                self.delete_pod(ns, &p.name);
            }
            n_active = 0;
        } else {
            let left = match completions {
                Some(c) => c - succeeded,
                None => parallelism,
            };
            let want = parallelism.min(left).max(0);
            // a failed pod is replaced after the back-off
            let last_fail = pods
                .iter()
                .filter(|p| p.phase == "Failed")
                .filter_map(|p| finished_ms(p))
                .max();
            let backoff = if failed > 0 {
                (10_000i64 << (failed - 1).min(6)).min(360_000)
            } else {
                0
            };
            let waiting = !self.instant && last_fail.is_some_and(|t| now < t + backoff);
            if n_active < want && !waiting {
                let template = self.job_pod_template(&job);
                let code = exit_code_for(self, ns, &template);
                for _ in n_active..want {
                    let suffix = self.rng.name_suffix(5);
                    let pname = format!("{name}-{suffix}");
                    self.create_owned_pod(NewPod {
                        ns,
                        name: pname.clone(),
                        generate_name: Some(format!("{name}-")),
                        template: &template,
                        owner: Some(owner_ref(Kind::Job, &job)),
                        extra_labels: vec![],
                        node: None,
                        spec_extra: vec![],
                        finish: Some(code),
                    });
                    self.record_event(
                        &job,
                        Kind::Job,
                        "Normal",
                        "SuccessfulCreate",
                        &format!("Created pod: {pname}"),
                    );
                }
                n_active = want;
            }
        }
        if status.get("startTime").is_none() && !suspended {
            status["startTime"] = json!(now_s);
        }
        let ready = pods
            .iter()
            .filter(|p| p.ready && p.phase == "Running")
            .count() as i64;
        if let Some(o) = status.as_object_mut() {
            for (k, v) in [
                ("active", n_active),
                ("succeeded", succeeded),
                ("failed", failed),
            ] {
                if v > 0 {
                    o.insert(k.into(), json!(v));
                } else {
                    o.remove(k);
                }
            }
            o.insert("ready".into(), json!(if finished { 0 } else { ready }));
            o.insert("terminating".into(), json!(0));
            o.insert("uncountedTerminatedPods".into(), json!({}));
            if !conditions.is_empty() {
                o.insert("conditions".into(), json!(conditions));
            }
        }
        if job.get("status") != Some(&status) {
            let mut j = (*job).clone();
            j["status"] = status;
            self.store.put(Kind::Job, j);
        }
        if finished && let Some(("CronJob", cj)) = owner_name_kind(&job) {
            self.dirty_ctl
                .insert((Kind::CronJob, ns.to_string(), cj.to_string()));
        }
        !finished
    }

    /// The Job's pod template (with the labels its defaults gave it).
    fn job_pod_template(&self, job: &Value) -> Value {
        at(job, &["spec", "template"]).cloned().unwrap_or(json!({}))
    }
}

/// API defaults for a Job, as the API server sets them on create: completions and
/// parallelism, backoffLimit, the generated selector and the controller-uid/job-name labels.
pub fn job_defaults(j: &mut Value) {
    let uid = meta_str(j, "uid").to_string();
    let name = meta_str(j, "name").to_string();
    let spec = &mut j["spec"];
    if !spec.is_object() {
        *spec = json!({});
    }
    let has = |s: &Value, k: &str| s.get(k).is_some_and(|v| !v.is_null());
    if !has(spec, "completions") && !has(spec, "parallelism") {
        spec["completions"] = json!(1);
    }
    for (k, v) in [
        ("parallelism", json!(1)),
        ("backoffLimit", json!(6)),
        ("completionMode", json!("NonIndexed")),
        ("suspend", json!(false)),
        ("podReplacementPolicy", json!("TerminatingOrFailed")),
    ] {
        if !has(spec, k) {
            spec[k] = v;
        }
    }
    let manual = at(spec, &["manualSelector"]).and_then(Value::as_bool) == Some(true);
    if !manual && !has(spec, "selector") {
        spec["selector"] = json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}});
    }
    if !at(spec, &["template", "metadata", "labels"]).is_some_and(Value::is_object) {
        crate::json::set(spec, &["template", "metadata", "labels"], json!({}));
    }
    let labels = [
        ("batch.kubernetes.io/controller-uid", uid.clone()),
        ("batch.kubernetes.io/job-name", name.clone()),
        ("controller-uid", uid),
        ("job-name", name),
    ];
    if !manual {
        for (k, v) in &labels {
            spec["template"]["metadata"]["labels"][*k] = json!(v);
        }
    }
    if at(j, &["metadata", "labels"]).is_none_or(|l| l.as_object().is_none_or(|m| m.is_empty())) {
        let tl = at(j, &["spec", "template", "metadata", "labels"])
            .cloned()
            .unwrap_or(json!({}));
        crate::json::set(j, &["metadata", "labels"], tl);
    } else if !manual {
        for (k, v) in &labels {
            crate::json::set(j, &["metadata", "labels", k], json!(v));
        }
    }
}
