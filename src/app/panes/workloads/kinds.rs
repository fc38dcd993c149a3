//! The workload kinds beside Deployments in one table: which rows a narrowing command
//! (`:deploy`, `:sts`, `:ds`, `:jobs`, `:cronjobs`, `:rollouts`, `:pods`, `:all`) shows.
//! What the cluster store holds of each kind is in `app::cluster`. Pure.

use crate::app::cluster::{ClusterStore, WorkloadRef};
use crate::sources::kube::model::{ObjKey, WorkloadKind};

/// What the table shows: the narrowing commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Narrow {
    /// What releases: Deployments and Argo Rollouts (the table at start).
    #[default]
    Releases,
    /// One kind (`:deploy`, `:sts`, `:ds`, `:jobs`, `:cronjobs`).
    Only(WorkloadKind),
    /// Every pod of the scope, whatever owns it (`:pods`).
    Pods,
    /// Every kind, pods without a controller included (`:all`).
    All,
}

impl Narrow {
    /// The palette commands, as k9s users type them.
    pub const COMMANDS: &'static [(&'static str, Narrow, &'static str)] = &[
        (
            "deploy",
            Narrow::Only(WorkloadKind::Deployment),
            "workloads: deployments",
        ),
        (
            "sts",
            Narrow::Only(WorkloadKind::StatefulSet),
            "workloads: statefulsets",
        ),
        (
            "ds",
            Narrow::Only(WorkloadKind::DaemonSet),
            "workloads: daemonsets",
        ),
        ("jobs", Narrow::Only(WorkloadKind::Job), "workloads: jobs"),
        (
            "cronjobs",
            Narrow::Only(WorkloadKind::CronJob),
            "workloads: cronjobs",
        ),
        (
            "cj",
            Narrow::Only(WorkloadKind::CronJob),
            "workloads: cronjobs",
        ),
        (
            "rollouts",
            Narrow::Only(WorkloadKind::Rollout),
            "workloads: Argo Rollouts",
        ),
        (
            "ro",
            Narrow::Only(WorkloadKind::Rollout),
            "workloads: Argo Rollouts",
        ),
        ("pods", Narrow::Pods, "workloads: every pod, any owner"),
        ("all", Narrow::All, "workloads: every kind"),
    ];

    pub fn parse(cmd: &str) -> Option<Narrow> {
        Narrow::COMMANDS
            .iter()
            .find(|(c, _, _)| *c == cmd)
            .map(|(_, n, _)| *n)
    }

    pub fn label(self) -> &'static str {
        match self {
            Narrow::Releases => "deployments and rollouts",
            Narrow::Only(WorkloadKind::Deployment) => "deployments",
            Narrow::Only(WorkloadKind::Rollout) => "rollouts",
            Narrow::Only(WorkloadKind::StatefulSet) => "statefulsets",
            Narrow::Only(WorkloadKind::DaemonSet) => "daemonsets",
            Narrow::Only(WorkloadKind::Job) => "jobs",
            Narrow::Only(WorkloadKind::CronJob) => "cronjobs",
            Narrow::Only(WorkloadKind::Pod) | Narrow::Pods => "pods",
            Narrow::All => "all workloads",
        }
    }

    /// Whether a kind's rows are in the table.
    pub fn shows(self, kind: WorkloadKind) -> bool {
        match self {
            Narrow::Releases => matches!(kind, WorkloadKind::Deployment | WorkloadKind::Rollout),
            Narrow::Only(k) => k == kind,
            Narrow::Pods => kind == WorkloadKind::Pod,
            Narrow::All => true,
        }
    }
}

/// Every row of a narrowing in the store, unsorted.
pub fn refs(store: &ClusterStore, narrow: Narrow) -> Vec<WorkloadRef> {
    let mut v = Vec::new();
    let mut add = |kind: WorkloadKind, keys: &mut dyn Iterator<Item = &ObjKey>| {
        if narrow.shows(kind) {
            v.extend(keys.map(|k| WorkloadRef::new(kind, k.clone())));
        }
    };
    add(WorkloadKind::Deployment, &mut store.deployments.keys());
    add(WorkloadKind::StatefulSet, &mut store.statefulsets.keys());
    add(WorkloadKind::DaemonSet, &mut store.daemonsets.keys());
    add(WorkloadKind::Job, &mut store.jobs.keys());
    add(WorkloadKind::CronJob, &mut store.cronjobs.keys());
    add(WorkloadKind::Rollout, &mut store.rollouts.keys());
    match narrow {
        Narrow::Pods => add(WorkloadKind::Pod, &mut store.pods.keys()),
        Narrow::All => add(
            WorkloadKind::Pod,
            &mut store
                .pods
                .values()
                .filter(|p| p.controller.is_none())
                .map(|p| &p.key),
        ),
        Narrow::Only(_) | Narrow::Releases => {}
    }
    v
}
