//! Compact rows for the workload kinds beside Deployments: StatefulSets, DaemonSets, Jobs,
//! CronJobs and the ControllerRevisions a set rolls back to. Same rule as [`super::rows`]:
//! only what the Workloads pane shows crosses to the ui task.

use std::collections::BTreeMap;

use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::rows::{ContainerSpec, ObjKey, declared_specs};
use super::slim::ConditionStatus;
use super::slim_kinds::{
    ControllerRevision, CronJob, DaemonSet, Job, JobConditionType, Selector, StatefulSet, Template,
};

fn labels(meta: &ObjectMeta) -> BTreeMap<String, String> {
    meta.labels.clone().unwrap_or_default()
}

fn created(meta: &ObjectMeta) -> Option<Timestamp> {
    meta.creation_timestamp.as_ref().map(|t| t.0)
}

fn containers(t: Option<&Template>) -> Vec<ContainerSpec> {
    t.and_then(|t| t.spec.as_ref())
        .map(|s| declared_specs(&s.containers))
        .unwrap_or_default()
}

fn match_labels(s: Option<&Selector>) -> BTreeMap<String, String> {
    s.and_then(|s| s.match_labels.clone()).unwrap_or_default()
}

/// The controller owner (kind, name) of an object.
pub fn controller_ref(meta: &ObjectMeta) -> Option<(String, String)> {
    meta.owner_references.as_ref().and_then(|refs| {
        refs.iter()
            .find(|r| r.controller.unwrap_or(false))
            .or_else(|| refs.first())
            .map(|r| (r.kind.clone(), r.name.clone()))
    })
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
    pub generation: i64,
    pub observed_generation: i64,
    pub containers: Vec<ContainerSpec>,
    pub created: Option<Timestamp>,
}

impl StatefulSetRow {
    pub fn from_object(s: &StatefulSet) -> StatefulSetRow {
        let meta = &s.metadata;
        let spec = s.spec.as_ref();
        let status = s.status.as_ref();
        StatefulSetRow {
            key: ObjKey::of(meta),
            labels: labels(meta),
            selector: match_labels(spec.and_then(|s| s.selector.as_ref())),
            replicas: spec.and_then(|s| s.replicas).unwrap_or(1),
            ready: status.and_then(|s| s.ready_replicas).unwrap_or(0),
            current: status.and_then(|s| s.current_replicas).unwrap_or(0),
            updated: status.and_then(|s| s.updated_replicas).unwrap_or(0),
            current_revision: status.and_then(|s| s.current_revision.clone()),
            update_revision: status.and_then(|s| s.update_revision.clone()),
            partition: spec
                .and_then(|s| s.update_strategy.as_ref())
                .and_then(|u| u.rolling_update.as_ref())
                .and_then(|r| r.partition)
                .unwrap_or(0),
            generation: meta.generation.unwrap_or(0),
            observed_generation: status.and_then(|s| s.observed_generation).unwrap_or(0),
            containers: containers(spec.and_then(|s| s.template.as_ref())),
            created: created(meta),
        }
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
    pub node_selector: BTreeMap<String, String>,
    pub containers: Vec<ContainerSpec>,
    pub created: Option<Timestamp>,
}

impl DaemonSetRow {
    pub fn from_object(d: &DaemonSet) -> DaemonSetRow {
        let meta = &d.metadata;
        let spec = d.spec.as_ref();
        let status = d.status.as_ref();
        let pod = spec
            .and_then(|s| s.template.as_ref())
            .and_then(|t| t.spec.as_ref());
        DaemonSetRow {
            key: ObjKey::of(meta),
            labels: labels(meta),
            selector: match_labels(spec.and_then(|s| s.selector.as_ref())),
            desired: status.and_then(|s| s.desired_number_scheduled).unwrap_or(0),
            current: status.and_then(|s| s.current_number_scheduled).unwrap_or(0),
            ready: status.and_then(|s| s.number_ready).unwrap_or(0),
            updated: status.and_then(|s| s.updated_number_scheduled).unwrap_or(0),
            available: status.and_then(|s| s.number_available).unwrap_or(0),
            node_selector: pod
                .and_then(|p| p.node_selector.clone())
                .unwrap_or_default(),
            containers: pod
                .map(|p| declared_specs(&p.containers))
                .unwrap_or_default(),
            created: created(meta),
        }
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
    pub fn from_object(j: &Job) -> JobRow {
        let meta = &j.metadata;
        let spec = j.spec.as_ref();
        let status = j.status.as_ref();
        let cond = |t: JobConditionType| {
            status.and_then(|s| s.conditions.as_ref()).and_then(|cs| {
                cs.iter()
                    .find(|c| c.type_ == t && c.status == ConditionStatus::True)
            })
        };
        let state = if let Some(c) = cond(JobConditionType::Failed) {
            JobState::Failed(c.reason.clone().unwrap_or_else(|| "Failed".into()))
        } else if cond(JobConditionType::Complete).is_some() {
            JobState::Complete
        } else if spec.and_then(|s| s.suspend).unwrap_or(false) {
            JobState::Suspended
        } else {
            JobState::Running
        };
        let cronjob = controller_ref(meta)
            .filter(|(k, _)| k == "CronJob")
            .map(|(_, n)| n);
        JobRow {
            key: ObjKey::of(meta),
            labels: labels(meta),
            selector: match_labels(spec.and_then(|s| s.selector.as_ref())),
            cronjob,
            completions: spec.and_then(|s| s.completions).unwrap_or(1),
            succeeded: status.and_then(|s| s.succeeded).unwrap_or(0),
            failed: status.and_then(|s| s.failed).unwrap_or(0),
            active: status.and_then(|s| s.active).unwrap_or(0),
            state,
            start: status.and_then(|s| s.start_time.as_ref()).map(|t| t.0),
            completion: status.and_then(|s| s.completion_time.as_ref()).map(|t| t.0),
            containers: containers(spec.and_then(|s| s.template.as_ref())),
            created: created(meta),
        }
    }

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

impl CronJobRow {
    pub fn from_object(c: &CronJob) -> CronJobRow {
        let meta = &c.metadata;
        let spec = c.spec.as_ref();
        let status = c.status.as_ref();
        CronJobRow {
            key: ObjKey::of(meta),
            labels: labels(meta),
            schedule: spec.and_then(|s| s.schedule.clone()).unwrap_or_default(),
            suspend: spec.and_then(|s| s.suspend).unwrap_or(false),
            last_schedule: status
                .and_then(|s| s.last_schedule_time.as_ref())
                .map(|t| t.0),
            last_successful: status
                .and_then(|s| s.last_successful_time.as_ref())
                .map(|t| t.0),
            active: status
                .and_then(|s| s.active.as_ref())
                .map_or(0, |a| a.len() as i32),
            containers: containers(
                spec.and_then(|s| s.job_template.as_ref())
                    .and_then(|j| j.spec.as_ref())
                    .and_then(|j| j.template.as_ref()),
            ),
            created: created(meta),
        }
    }
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

impl RevisionRow {
    pub fn from_object(r: &ControllerRevision) -> RevisionRow {
        let meta = &r.metadata;
        RevisionRow {
            key: ObjKey::of(meta),
            owner: controller_ref(meta),
            revision: r.revision.unwrap_or(0),
            images: r.images(),
            created: created(meta),
        }
    }
}
