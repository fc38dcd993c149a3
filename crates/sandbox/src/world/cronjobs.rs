//! The CronJob controller, on simulated time: at each time the schedule fires (UTC) a Job
//! named `CRONJOB-<scheduled time in minutes since the epoch>`, owned by the CronJob and
//! annotated with `batch.kubernetes.io/cronjob-scheduled-timestamp`; only the most recent
//! missed time runs (as after downtime), `startingDeadlineSeconds`, `suspend` and
//! `concurrencyPolicy` (Allow, Forbid, Replace) are honoured, finished Jobs beyond
//! `successfulJobsHistoryLimit` / `failedJobsHistoryLimit` are deleted with their pods, and
//! the status keeps `active`, `lastScheduleTime` and `lastSuccessfulTime`.

use serde_json::{Value, json};

use super::cron::Schedule;
use super::jobs::{job_defaults, job_finished};
use super::owned::owner_ref;
use super::{World, ts};
use crate::json::{at, i64_at, str_at};
use crate::store::{Kind, meta_str};

/// How far back a schedule is searched for a missed time (a year of minutes).
const MAX_LOOKBACK_MIN: i64 = 366 * 24 * 60;

fn ms_of(s: &str) -> Option<i64> {
    s.parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_millisecond())
}

impl World {
    /// Run the CronJob controller for one CronJob: start a Job when one is due, keep the
    /// status and the history limits.
    pub(super) fn reconcile_cronjob(&mut self, ns: &str, name: &str) {
        let Some(cj) = self.store.get(Kind::CronJob, ns, name) else {
            return;
        };
        let key = (ns.to_string(), name.to_string());
        let now = self.now_ms;
        let suspended = at(&cj, &["spec", "suspend"]).and_then(Value::as_bool) == Some(true);
        let mut jobs = self.cron_jobs(&cj);
        let active_n = jobs.iter().filter(|j| job_finished(j).is_none()).count();
        if !suspended && let Ok(sched) = Schedule::parse(str_at(&cj, &["spec", "schedule"])) {
            let last = ms_of(str_at(&cj, &["status", "lastScheduleTime"]))
                .or_else(|| ms_of(meta_str(&cj, "creationTimestamp")))
                .unwrap_or(now);
            let mut after = last.max(self.cron_checked.get(&key).copied().unwrap_or(i64::MIN));
            if let Some(d) = i64_at(&cj, &["spec", "startingDeadlineSeconds"]) {
                after = after.max(now - d * 1000);
            }
            let policy = str_at(&cj, &["spec", "concurrencyPolicy"]).to_string();
            let mut checked = true;
            if let Some(t) = sched.latest_in(after, now, MAX_LOOKBACK_MIN) {
                if policy == "Forbid" && active_n > 0 {
                    // skipped until the running Job ends; the time stays due
                    checked = false;
                } else {
                    if policy == "Replace" {
                        for j in jobs.iter().filter(|j| job_finished(j).is_none()) {
                            self.delete_job(ns, meta_str(j, "name"));
                        }
                    }
                    self.start_cron_job(&cj, t);
                    let mut c = (*self
                        .store
                        .get(Kind::CronJob, ns, name)
                        .unwrap_or(cj.clone()))
                    .clone();
                    c["status"]["lastScheduleTime"] = json!(ts(t));
                    self.store.put(Kind::CronJob, c);
                    jobs = self.cron_jobs(&cj);
                }
            }
            if checked {
                self.cron_checked
                    .insert(key, now.div_euclid(60_000) * 60_000);
            }
        }
        self.cron_history(ns, name, jobs);
    }

    /// The Jobs a CronJob owns, oldest first.
    fn cron_jobs(&self, cj: &Value) -> Vec<Value> {
        let uid = meta_str(cj, "uid");
        let mut v: Vec<Value> = self
            .store
            .in_ns(Kind::Job, meta_str(cj, "namespace"))
            .filter(|j| j.owner_uid == uid)
            .map(|j| j.value())
            .collect();
        v.sort_by(|a, b| {
            (meta_str(a, "creationTimestamp"), meta_str(a, "name"))
                .cmp(&(meta_str(b, "creationTimestamp"), meta_str(b, "name")))
        });
        v
    }

    /// Create the Job for scheduled time `t`; returns its name.
    pub(super) fn start_cron_job(&mut self, cj: &Value, t: i64) -> String {
        let ns = meta_str(cj, "namespace").to_string();
        let cname = meta_str(cj, "name").to_string();
        let name = format!("{cname}-{}", t.div_euclid(60_000));
        if self.store.obj(Kind::Job, &ns, &name).is_some() {
            return name;
        }
        let jt = at(cj, &["spec", "jobTemplate"])
            .cloned()
            .unwrap_or(json!({}));
        let mut meta = self.new_meta(&name, &ns, self.now_ms);
        if let Some(l) = at(&jt, &["metadata", "labels"]).filter(|l| l.is_object()) {
            meta["labels"] = l.clone();
        }
        let mut ann = at(&jt, &["metadata", "annotations"])
            .cloned()
            .filter(Value::is_object)
            .unwrap_or(json!({}));
        ann["batch.kubernetes.io/cronjob-scheduled-timestamp"] = json!(ts(t));
        meta["annotations"] = ann;
        meta["ownerReferences"] = json!([owner_ref(Kind::CronJob, cj)]);
        let job = json!({
            "metadata": meta,
            "spec": jt.get("spec").cloned().unwrap_or(json!({})),
        });
        let created = self.create(Kind::Job, job).value();
        let mut j = created;
        job_defaults(&mut j);
        self.store.put(Kind::Job, j);
        self.record_event(
            cj,
            Kind::CronJob,
            "Normal",
            "SuccessfulCreate",
            &format!("Created job {name}"),
        );
        self.run_job_now(&ns, &name);
        name
    }

    /// Let a new Job's controller act at once (and to the end, while building the world).
    pub(super) fn run_job_now(&mut self, ns: &str, name: &str) {
        if self.instant {
            for _ in 0..64 {
                if !self.reconcile_job(ns, name) {
                    break;
                }
            }
        } else if self.reconcile_job(ns, name) {
            self.dirty_ctl
                .insert((Kind::Job, ns.to_string(), name.to_string()));
        }
    }

    /// The status's `active` and `lastSuccessfulTime`, and the history limits.
    fn cron_history(&mut self, ns: &str, name: &str, jobs: Vec<Value>) {
        let Some(cj) = self.store.get(Kind::CronJob, ns, name) else {
            return;
        };
        let keep_ok = i64_at(&cj, &["spec", "successfulJobsHistoryLimit"])
            .unwrap_or(3)
            .max(0) as usize;
        let keep_failed = i64_at(&cj, &["spec", "failedJobsHistoryLimit"])
            .unwrap_or(1)
            .max(0) as usize;
        let ok: Vec<&Value> = jobs
            .iter()
            .filter(|j| job_finished(j) == Some("Complete"))
            .collect();
        let failed: Vec<&Value> = jobs
            .iter()
            .filter(|j| job_finished(j) == Some("Failed"))
            .collect();
        let mut status = cj.get("status").cloned().unwrap_or(json!({}));
        if !status.is_object() {
            status = json!({});
        }
        let last_ok = ok
            .iter()
            .map(|j| str_at(j, &["status", "completionTime"]).to_string())
            .chain([str_at(&status, &["lastSuccessfulTime"]).to_string()])
            .filter(|s| !s.is_empty())
            .max();
        if let Some(t) = last_ok {
            status["lastSuccessfulTime"] = json!(t);
        }
        let active: Vec<Value> = jobs
            .iter()
            .filter(|j| job_finished(j).is_none())
            .map(|j| {
                json!({"kind": "Job", "namespace": ns, "name": meta_str(j, "name"),
                       "uid": meta_str(j, "uid"), "apiVersion": "batch/v1",
                       "resourceVersion": meta_str(j, "resourceVersion")})
            })
            .collect();
        if let Some(o) = status.as_object_mut() {
            if active.is_empty() {
                o.remove("active");
            } else {
                o.insert("active".into(), json!(active));
            }
        }
        if cj.get("status") != Some(&status) {
            let mut c = (*cj).clone();
            c["status"] = status;
            self.store.put(Kind::CronJob, c);
        }
        for (list, keep) in [(ok, keep_ok), (failed, keep_failed)] {
            if list.len() > keep {
                for j in &list[..list.len() - keep] {
                    let jn = meta_str(j, "name").to_string();
                    self.delete_job(ns, &jn);
                    self.record_event(
                        &cj,
                        Kind::CronJob,
                        "Normal",
                        "SuccessfulDelete",
                        &format!("Deleted job {jn}"),
                    );
                }
            }
        }
    }

    /// Delete a Job and its pods.
    pub(super) fn delete_job(&mut self, ns: &str, name: &str) {
        if let Some(j) = self.store.delete(Kind::Job, ns, name) {
            self.after_workload_delete(Kind::Job, &j);
        }
    }
}

/// API defaults for a CronJob.
pub fn cronjob_defaults(c: &mut Value) {
    let spec = &mut c["spec"];
    if !spec.is_object() {
        *spec = json!({});
    }
    for (k, v) in [
        ("concurrencyPolicy", json!("Allow")),
        ("suspend", json!(false)),
        ("successfulJobsHistoryLimit", json!(3)),
        ("failedJobsHistoryLimit", json!(1)),
    ] {
        if spec.get(k).is_none_or(Value::is_null) {
            spec[k] = v;
        }
    }
}
