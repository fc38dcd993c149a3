//! Compact rows for the workload kinds beside Deployments: StatefulSets, DaemonSets, Jobs,
//! CronJobs and the ControllerRevisions a set rolls back to. Same rule as the rows of
//! Deployments and pods: only what the Workloads pane shows crosses to the ui task.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::key::ObjKey;
use super::rows::{ContainerSpec, Rollout};

/// How a StatefulSet or DaemonSet replaces its pods (`spec.updateStrategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SetUpdate {
    /// RollingUpdate (the default)
    #[default]
    Rolling,
    /// pods are replaced only when deleted: `kubectl rollout status` cannot report
    OnDelete,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatefulSetRow {
    pub key: ObjKey,
    pub labels: BTreeMap<String, String>,
    pub selector: BTreeMap<String, String>,
    pub replicas: i32,
    pub ready: i32,
    pub current: i32,
    pub updated: i32,
    pub current_revision: Option<String>,
    pub update_revision: Option<String>,
    pub partition: i32,
    pub update: SetUpdate,
    /// whether `spec.updateStrategy.rollingUpdate` is given (kubectl then judges by the
    /// partition, else by the revisions)
    pub rolling_update: bool,
    pub generation: i64,
    pub observed_generation: i64,
    pub containers: Vec<ContainerSpec>,
    pub created: Option<Timestamp>,
}

impl StatefulSetRow {
    /// `StatefulSetStatusViewer.Status`: not for OnDelete; the observed generation first;
    /// then ready pods; then, with a rolling update given, updated ≥ replicas − partition;
    /// else the current revision being the update revision.
    pub fn rollout(&self) -> Rollout {
        if self.update == SetUpdate::OnDelete {
            return Rollout::Unreported;
        }
        if self.observed_generation == 0 || self.generation > self.observed_generation {
            return Rollout::Progressing;
        }
        if self.ready < self.replicas {
            return Rollout::Progressing;
        }
        if self.rolling_update {
            return if self.updated < self.replicas - self.partition {
                Rollout::Progressing
            } else {
                Rollout::Complete
            };
        }
        if self.update_revision != self.current_revision {
            return Rollout::Progressing;
        }
        Rollout::Complete
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonSetRow {
    pub key: ObjKey,
    pub labels: BTreeMap<String, String>,
    pub selector: BTreeMap<String, String>,
    pub desired: i32,
    pub current: i32,
    pub ready: i32,
    pub updated: i32,
    pub available: i32,
    pub unavailable: i32,
    pub update: SetUpdate,
    pub generation: i64,
    pub observed_generation: i64,
    pub node_selector: BTreeMap<String, String>,
    pub containers: Vec<ContainerSpec>,
    pub created: Option<Timestamp>,
}

impl DaemonSetRow {
    /// `DaemonSetStatusViewer.Status`: not for OnDelete; the observed generation first;
    /// then every desired pod updated and available (none unavailable).
    pub fn rollout(&self) -> Rollout {
        if self.update == SetUpdate::OnDelete {
            return Rollout::Unreported;
        }
        if self.generation > self.observed_generation
            || self.updated < self.desired
            || self.available < self.desired
            || self.unavailable > 0
        {
            return Rollout::Progressing;
        }
        Rollout::Complete
    }
}

/// How a Job stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobState {
    Running,
    Complete,
    /// The Failed condition's reason (BackoffLimitExceeded, DeadlineExceeded).
    Failed(String),
    Suspended,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRow {
    pub key: ObjKey,
    pub labels: BTreeMap<String, String>,
    pub selector: BTreeMap<String, String>,
    /// the owning CronJob's name
    pub cronjob: Option<String>,
    pub completions: i32,
    pub succeeded: i32,
    pub failed: i32,
    pub active: i32,
    pub state: JobState,
    pub start: Option<Timestamp>,
    pub completion: Option<Timestamp>,
    pub containers: Vec<ContainerSpec>,
    pub created: Option<Timestamp>,
}

impl JobRow {
    /// How long it ran: to completion, or until `now` while it runs.
    pub fn duration(&self, now: Timestamp) -> Option<jiff::SignedDuration> {
        let start = self.start?;
        let end = self.completion.unwrap_or(now);
        Some(end.duration_since(start))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronJobRow {
    pub key: ObjKey,
    pub labels: BTreeMap<String, String>,
    pub schedule: String,
    pub suspend: bool,
    pub last_schedule: Option<Timestamp>,
    pub last_successful: Option<Timestamp>,
    pub active: i32,
    pub containers: Vec<ContainerSpec>,
    pub created: Option<Timestamp>,
}

/// A ControllerRevision: one template of a StatefulSet or DaemonSet, for the rollback
/// picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionRow {
    pub key: ObjKey,
    /// the owning set: (kind, name)
    pub owner: Option<(String, String)>,
    pub revision: i64,
    pub images: Vec<String>,
    pub created: Option<Timestamp>,
}
