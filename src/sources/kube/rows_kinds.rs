//! Compact rows for the workload kinds beside Deployments: StatefulSets, DaemonSets, Jobs,
//! CronJobs and the ControllerRevisions a set rolls back to. Same rule as [`super::rows`]:
//! only what the Workloads pane shows crosses to the ui task.

use std::collections::BTreeMap;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::rows::{ContainerSpec, ObjKey, container_spec};

fn labels(meta: &ObjectMeta) -> BTreeMap<String, String> {
    meta.labels.clone().unwrap_or_default()
}

fn created(meta: &ObjectMeta) -> Option<Timestamp> {
    meta.creation_timestamp.as_ref().map(|t| t.0)
}

fn containers(t: Option<&PodTemplateSpec>) -> Vec<ContainerSpec> {
    t.and_then(|t| t.spec.as_ref())
        .map(|s| s.containers.iter().map(container_spec).collect())
        .unwrap_or_default()
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
        let spec = Some(&s.spec);
        let status = s.status.as_ref();
        StatefulSetRow {
            key: ObjKey::of(meta),
            labels: labels(meta),
            selector: spec
                .and_then(|s| s.selector.match_labels.clone())
                .unwrap_or_default(),
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
            containers: containers(spec.map(|s| &s.template)),
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
        let spec = Some(&d.spec);
        let status = d.status.as_ref();
        DaemonSetRow {
            key: ObjKey::of(meta),
            labels: labels(meta),
            selector: spec
                .and_then(|s| s.selector.match_labels.clone())
                .unwrap_or_default(),
            desired: status.map_or(0, |s| s.desired_number_scheduled),
            current: status.map_or(0, |s| s.current_number_scheduled),
            ready: status.map_or(0, |s| s.number_ready),
            updated: status.and_then(|s| s.updated_number_scheduled).unwrap_or(0),
            available: status.and_then(|s| s.number_available).unwrap_or(0),
            node_selector: spec
                .and_then(|s| s.template.spec.as_ref())
                .and_then(|p| p.node_selector.clone())
                .unwrap_or_default(),
            containers: containers(spec.map(|s| &s.template)),
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
        let cond = |t: &str| {
            status
                .and_then(|s| s.conditions.as_ref())
                .and_then(|cs| cs.iter().find(|c| c.type_ == t && c.status == "True"))
        };
        let state = if let Some(c) = cond("Failed") {
            JobState::Failed(c.reason.clone().unwrap_or_else(|| "Failed".into()))
        } else if cond("Complete").is_some() {
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
            selector: spec
                .and_then(|s| s.selector.as_ref())
                .and_then(|s| s.match_labels.clone())
                .unwrap_or_default(),
            cronjob,
            completions: spec.and_then(|s| s.completions).unwrap_or(1),
            succeeded: status.and_then(|s| s.succeeded).unwrap_or(0),
            failed: status.and_then(|s| s.failed).unwrap_or(0),
            active: status.and_then(|s| s.active).unwrap_or(0),
            state,
            start: status.and_then(|s| s.start_time.as_ref()).map(|t| t.0),
            completion: status.and_then(|s| s.completion_time.as_ref()).map(|t| t.0),
            containers: containers(spec.map(|s| &s.template)),
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
        let spec = Some(&c.spec);
        let status = c.status.as_ref();
        CronJobRow {
            key: ObjKey::of(meta),
            labels: labels(meta),
            schedule: spec.map(|s| s.schedule.clone()).unwrap_or_default(),
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
                spec.and_then(|s| s.job_template.spec.as_ref())
                    .map(|j| &j.template),
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
        // data = {"spec":{"template":{"spec":{"containers":[{"image":…}]}}}}
        let images = r
            .data
            .0
            .pointer("/spec/template/spec/containers")
            .and_then(|c| c.as_array())
            .map(|cs| {
                cs.iter()
                    .filter_map(|c| c.get("image").and_then(|i| i.as_str()))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        RevisionRow {
            key: ObjKey::of(meta),
            owner: controller_ref(meta),
            revision: r.revision.unwrap_or(0),
            images,
            created: created(meta),
        }
    }
}
