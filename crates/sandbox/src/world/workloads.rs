//! Wiring for the workload kinds beyond deployments: what happens after an API write or
//! delete of a StatefulSet, DaemonSet, Job, CronJob or Node (defaults, the controller's
//! first pass, garbage collection of what they own), and the per-step controller runs.

use serde_json::Value;

use super::World;
use super::cronjobs::cronjob_defaults;
use super::daemonsets::daemonset_defaults;
use super::jobs::job_defaults;
use super::statefulsets::statefulset_defaults;
use crate::store::{Kind, meta_str};

impl World {
    /// Run the controllers that have work, then the CronJob schedules.
    pub(super) fn step_workloads(&mut self) {
        let dirty: Vec<(Kind, String, String)> =
            std::mem::take(&mut self.dirty_ctl).into_iter().collect();
        for (kind, ns, name) in dirty {
            if self.reconcile_workload(kind, &ns, &name) {
                self.dirty_ctl.insert((kind, ns, name));
            }
        }
        let cronjobs: Vec<(String, String)> =
            self.store.map(Kind::CronJob).keys().cloned().collect();
        for (ns, name) in cronjobs {
            self.reconcile_cronjob(&ns, &name);
        }
    }

    /// One controller pass; true while the object is still moving.
    fn reconcile_workload(&mut self, kind: Kind, ns: &str, name: &str) -> bool {
        match kind {
            Kind::StatefulSet => self.reconcile_statefulset(ns, name),
            Kind::DaemonSet => self.reconcile_daemonset(ns, name),
            Kind::Job => self.reconcile_job(ns, name),
            Kind::CronJob => {
                self.reconcile_cronjob(ns, name);
                false
            }
            _ => false,
        }
    }

    /// After an API create, update or patch: the API server's defaults, then the controller.
    pub(super) fn after_workload_write(&mut self, kind: Kind, ns: &str, name: &str) {
        if kind == Kind::Node {
            // node labels or cordoning decide where DaemonSet pods run
            let sets: Vec<(String, String)> =
                self.store.map(Kind::DaemonSet).keys().cloned().collect();
            for (dns, dn) in sets {
                self.dirty_ctl.insert((Kind::DaemonSet, dns, dn));
            }
            return;
        }
        if let Some(o) = self.store.get(kind, ns, name) {
            let mut v = (*o).clone();
            match kind {
                Kind::StatefulSet => statefulset_defaults(&mut v),
                Kind::DaemonSet => daemonset_defaults(&mut v),
                Kind::Job => job_defaults(&mut v),
                Kind::CronJob => cronjob_defaults(&mut v),
                _ => {}
            }
            if v != *o {
                self.store.put(kind, v);
            }
        }
        if self.reconcile_workload(kind, ns, name) {
            self.dirty_ctl
                .insert((kind, ns.to_string(), name.to_string()));
        }
    }

    /// After an API delete: what the object owned goes too (pods, revisions, Jobs).
    pub(super) fn after_workload_delete(&mut self, kind: Kind, obj: &Value) {
        let ns = meta_str(obj, "namespace").to_string();
        let uid = meta_str(obj, "uid").to_string();
        if kind == Kind::Node {
            // DaemonSet pods on a node that is gone are deleted by their controller
            let sets: Vec<(String, String)> =
                self.store.map(Kind::DaemonSet).keys().cloned().collect();
            for (dns, dn) in sets {
                self.dirty_ctl.insert((Kind::DaemonSet, dns, dn));
            }
            return;
        }
        self.cron_checked
            .remove(&(ns.clone(), meta_str(obj, "name").to_string()));
        let owned = |w: &World, k: Kind| -> Vec<String> {
            w.store
                .in_ns(k, &ns)
                .filter(|o| o.owner_uid == uid)
                .map(|o| o.name.clone())
                .collect()
        };
        for j in owned(self, Kind::Job) {
            self.delete_job(&ns, &j);
        }
        for r in owned(self, Kind::ControllerRevision) {
            self.store.delete(Kind::ControllerRevision, &ns, &r);
        }
        for p in owned(self, Kind::Pod) {
            self.delete_pod(&ns, &p);
        }
    }
}
