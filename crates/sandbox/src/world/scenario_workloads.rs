//! The workloads beyond deployments that every scenario's main namespace has: the
//! StatefulSet `orders-db`, the DaemonSet `node-agent`, the CronJob `nightly-report` (whose
//! last run failed in `bad-release`: the bad release shipped a broken report image) and the
//! bare debug pod `debug-shell`; and the cluster's nodes.

use serde_json::{Value, json};

use super::cron::Schedule;
use super::owned::NewPod;
use super::{Scenario, World, bump_generation, ts};
use crate::json::set;
use crate::store::Kind;

pub const REPORT_IMAGE_GOOD: &str = "ghcr.io/acme/reports:1.7.2";
pub const REPORT_IMAGE_BAD: &str = "ghcr.io/acme/reports:1.8.0";
/// How long before the sandbox starts the nightly report last ran.
pub const REPORT_LAST_RAN_BEFORE_MS: i64 = 6 * 3_600_000;

/// The nightly report's schedule, daily at the UTC time of day six hours before `wall`: its
/// last run is always six hours old and the next one eighteen hours away, so no run falls
/// inside a session or a test, whatever the time of day it starts (a fixed `0 2 * * *` made
/// the world differ between runs that started just before and just after 02:00 UTC).
pub fn report_schedule(wall_ms: i64) -> String {
    let minute_of_day = (wall_ms - REPORT_LAST_RAN_BEFORE_MS)
        .div_euclid(60_000)
        .rem_euclid(24 * 60);
    format!("{} {} * * *", minute_of_day % 60, minute_of_day / 60)
}

fn container(name: &str, image: &str, port: Option<i64>) -> Value {
    let mut c = json!({
        "name": name, "image": image,
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "imagePullPolicy": "IfNotPresent",
    });
    if let Some(p) = port {
        c["ports"] = json!([{"name": name, "containerPort": p, "protocol": "TCP"}]);
    }
    c
}

fn pod_template(app: &str, containers: Value, restart: &str) -> Value {
    json!({
        "metadata": {"labels": {"app": app}},
        "spec": {
            "containers": containers,
            "restartPolicy": restart,
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "schedulerName": "default-scheduler",
            "securityContext": {},
        },
    })
}

impl World {
    /// A load StatefulSet (`--pod-kinds mixed`): its pods made at once (`Parallel`).
    pub(super) fn make_load_set(&mut self, ns: &str, name: &str, image: &str, replicas: i64) {
        let mut meta = self.new_meta(name, ns, self.now_ms);
        meta["labels"] = json!({"app": name});
        let sts = json!({
            "metadata": meta,
            "spec": {
                "replicas": replicas,
                "serviceName": name,
                "podManagementPolicy": "Parallel",
                "selector": {"matchLabels": {"app": name}},
                "template": pod_template(name, json!([container("app", image, Some(8080))]), "Always"),
            },
        });
        self.create(Kind::StatefulSet, sts);
        self.after_workload_write(Kind::StatefulSet, ns, name);
    }

    /// A load Job (`--pod-kinds mixed`): `replicas` pods at once.
    pub(super) fn make_load_job(&mut self, ns: &str, name: &str, image: &str, pods: i64) {
        let mut meta = self.new_meta(name, ns, self.now_ms);
        meta["labels"] = json!({"app": name});
        let job = json!({
            "metadata": meta,
            "spec": {
                "parallelism": pods,
                "completions": pods,
                "backoffLimit": 6,
                "template": pod_template(name, json!([container("batch", image, None)]), "Never"),
            },
        });
        self.create(Kind::Job, job);
        self.after_workload_write(Kind::Job, ns, name);
    }

    /// Nodes, and the main namespace's StatefulSet, DaemonSet, CronJob and debug pod, with
    /// some history. Runs while building (instant mode), after the deployments.
    pub(super) fn make_workloads(&mut self, ns: &str, wall: i64) {
        let start = self.now_ms;
        self.make_nodes();
        // orders-db: two revisions
        let mut meta = self.applied_meta("orders-db", ns, self.now_ms);
        meta["labels"] = json!({"app": "orders-db"});
        meta["annotations"] = json!({"kubernetes.io/change-cause": "initial install"});
        let sts = json!({
            "metadata": meta,
            "spec": {
                "replicas": 3,
                "serviceName": "orders-db",
                "selector": {"matchLabels": {"app": "orders-db"}},
                "template": pod_template("orders-db", json!([container("postgres", "postgres:16.3", Some(5432))]), "Always"),
                "volumeClaimTemplates": [{
                    "metadata": {"name": "data"},
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}},
                             "storageClassName": "standard", "volumeMode": "Filesystem"},
                }],
            },
        });
        self.create(Kind::StatefulSet, sts);
        self.after_workload_write(Kind::StatefulSet, ns, "orders-db");
        self.now_ms = start + 86_400_000;
        self.update_template_image(
            Kind::StatefulSet,
            ns,
            "orders-db",
            "postgres:16.4",
            "minor upgrade to 16.4",
        );
        self.make_headless_service(ns, "orders-db", 5432);
        // node-agent: on every node, two revisions
        self.now_ms = start;
        let mut meta = self.new_meta("node-agent", ns, self.now_ms);
        meta["labels"] = json!({"app": "node-agent"});
        meta["annotations"] = json!({"kubernetes.io/change-cause": "initial install"});
        let ds = json!({
            "metadata": meta,
            "spec": {
                "selector": {"matchLabels": {"app": "node-agent"}},
                "template": pod_template("node-agent", json!([container("agent", "ghcr.io/acme/node-agent:0.9.1", Some(9100))]), "Always"),
            },
        });
        self.create(Kind::DaemonSet, ds);
        self.after_workload_write(Kind::DaemonSet, ns, "node-agent");
        self.now_ms = start + 2 * 86_400_000;
        self.update_template_image(
            Kind::DaemonSet,
            ns,
            "node-agent",
            "ghcr.io/acme/node-agent:0.9.2",
            "agent 0.9.2",
        );
        // the debug pod someone left running
        self.now_ms = wall - 2 * 3_600_000;
        let tmpl = json!({
            "metadata": {"labels": {"run": "debug-shell", "app": "debug-shell"}},
            "spec": {
                "containers": [{"name": "debug-shell", "image": "ghcr.io/acme/toolbox:1.4",
                                 "command": ["sleep", "infinity"], "stdin": true, "tty": true,
                                 "terminationMessagePath": "/dev/termination-log",
                                 "terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent"}],
                "restartPolicy": "Always", "dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler",
            },
        });
        self.create_owned_pod(NewPod {
            ns,
            name: "debug-shell".into(),
            generate_name: None,
            template: &tmpl,
            owner: None,
            extra_labels: vec![],
            node: Some("node-2".into()),
            spec_extra: vec![],
            finish: None,
        });
        self.now_ms = start;
        self.make_nightly_report(ns, wall);
        self.now_ms = start;
    }

    fn make_nightly_report(&mut self, ns: &str, wall: i64) {
        if self.scenario == Scenario::BadRelease {
            self.bad_images.insert(REPORT_IMAGE_BAD.to_string());
        }
        let mut meta = self.new_meta("nightly-report", ns, self.now_ms);
        meta["labels"] = json!({"app": "nightly-report"});
        let report = json!([{
            "name": "report", "image": REPORT_IMAGE_GOOD,
            "command": ["/bin/report", "--since=24h", "--out=s3://acme-reports/nightly/"],
            "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent",
        }]);
        let schedule = report_schedule(wall);
        let cj = json!({
            "metadata": meta,
            "spec": {
                "schedule": schedule,
                "jobTemplate": {
                    "metadata": {"labels": {"app": "nightly-report"}},
                    "spec": {"backoffLimit": 2, "template": pod_template("nightly-report", report, "Never")},
                },
            },
        });
        self.create(Kind::CronJob, cj);
        let created = self.now_ms;
        // the nights it already ran (the schedule's last three times before the warm-up)
        let Ok(sched) = Schedule::parse(&schedule) else {
            return;
        };
        let mut times = Vec::new();
        let mut until = wall - 900_000;
        while times.len() < 3 {
            match sched.latest_in(created, until, 3 * 24 * 60) {
                Some(t) => {
                    times.push(t);
                    until = t - 60_000;
                }
                None => break,
            }
        }
        times.reverse();
        let last = times.len().saturating_sub(1);
        for (i, t) in times.iter().enumerate() {
            if i == last && self.scenario == Scenario::BadRelease {
                self.update_cronjob_image(ns, "nightly-report", REPORT_IMAGE_BAD);
            }
            self.now_ms = *t;
            let Some(c) = self.store.get(Kind::CronJob, ns, "nightly-report") else {
                return;
            };
            self.start_cron_job(&c, *t);
            let mut c = (*self
                .store
                .get(Kind::CronJob, ns, "nightly-report")
                .unwrap_or(c))
            .clone();
            c["status"]["lastScheduleTime"] = json!(ts(*t));
            self.store.put(Kind::CronJob, c);
            self.reconcile_cronjob(ns, "nightly-report");
        }
        if self.scenario == Scenario::BadRelease && times.is_empty() {
            self.update_cronjob_image(ns, "nightly-report", REPORT_IMAGE_BAD);
        }
    }

    fn update_cronjob_image(&mut self, ns: &str, name: &str, image: &str) {
        if let Some(c) = self.store.get(Kind::CronJob, ns, name) {
            let mut c = (*c).clone();
            set(
                &mut c,
                &[
                    "spec",
                    "jobTemplate",
                    "spec",
                    "template",
                    "spec",
                    "containers",
                ],
                json!([{
                    "name": "report", "image": image,
                    "command": ["/bin/report", "--since=24h", "--out=s3://acme-reports/nightly/"],
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent",
                }]),
            );
            bump_generation(&mut c);
            self.store.put(Kind::CronJob, c);
        }
    }

    fn update_template_image(
        &mut self,
        kind: Kind,
        ns: &str,
        name: &str,
        image: &str,
        cause: &str,
    ) {
        let Some(o) = self.store.get(kind, ns, name) else {
            return;
        };
        let mut o = (*o).clone();
        if let Some(c) = o
            .pointer_mut("/spec/template/spec/containers/0")
            .and_then(Value::as_object_mut)
        {
            c.insert("image".into(), json!(image));
        }
        set(
            &mut o,
            &["metadata", "annotations", "kubernetes.io/change-cause"],
            json!(cause),
        );
        bump_generation(&mut o);
        self.store.put(kind, o);
        self.after_workload_write(kind, ns, name);
    }

    fn make_headless_service(&mut self, ns: &str, name: &str, port: i64) {
        let mut meta = self.new_meta(name, ns, self.now_ms);
        meta["labels"] = json!({"app": name});
        self.create(
            Kind::Service,
            json!({
                "metadata": meta,
                "spec": {
                    "type": "ClusterIP", "clusterIP": "None", "clusterIPs": ["None"],
                    "selector": {"app": name},
                    "ports": [{"name": "postgres", "port": port, "targetPort": port, "protocol": "TCP"}],
                    "sessionAffinity": "None", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                    "internalTrafficPolicy": "Cluster",
                },
                "status": {"loadBalancer": {}},
            }),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_never_runs_within_hours_of_a_start_at_any_time_of_day() {
        let midnight = 1_796_688_000_000; // 2026-12-08T00:00:00Z
        for step in 0..(24 * 60 / 7) {
            let wall = midnight + step * 7 * 60_000 + 13_000;
            let sched = Schedule::parse(&report_schedule(wall)).expect("a schedule");
            // last ran six hours before the start, to the minute
            let last = sched.latest_in(wall - 86_400_000, wall, 24 * 60);
            assert_eq!(
                last,
                Some((wall - REPORT_LAST_RAN_BEFORE_MS).div_euclid(60_000) * 60_000),
                "{}",
                report_schedule(wall)
            );
            // and runs in none of the seventeen hours from the warm-up on
            let until = wall + 17 * 3_600_000;
            assert_eq!(
                sched.latest_in(wall - 900_000, until, 24 * 60),
                None,
                "{}",
                report_schedule(wall)
            );
        }
    }
}
