//! The rows of the workload kinds beside Deployments (StatefulSets, DaemonSets, Jobs,
//! CronJobs, ControllerRevisions) made from their slim objects ([`super::slim_kinds`]).

use std::collections::BTreeMap;

use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::model::{
    ContainerSpec, CronJobRow, DaemonSetRow, JobRow, JobState, RevisionRow, SetUpdate,
    StatefulSetRow,
};
use super::rows_containers::declared_specs;
use super::slim::{ConditionStatus, controller_ref, key_of};
use super::slim_kinds::{
    ControllerRevision, CronJob, DaemonSet, Job, JobConditionType, Selector, StatefulSet, Template,
    UpdateStrategy,
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

/// A set's update strategy: OnDelete when it says so, else RollingUpdate (the default).
fn set_update(u: Option<&UpdateStrategy>) -> SetUpdate {
    match u.and_then(|u| u.type_.as_deref()) {
        Some("OnDelete") => SetUpdate::OnDelete,
        _ => SetUpdate::Rolling,
    }
}

fn match_labels(s: Option<&Selector>) -> BTreeMap<String, String> {
    s.and_then(|s| s.match_labels.clone()).unwrap_or_default()
}

impl StatefulSetRow {
    pub fn from_object(s: &StatefulSet) -> StatefulSetRow {
        let meta = &s.metadata;
        let spec = s.spec.as_ref();
        let status = s.status.as_ref();
        StatefulSetRow {
            key: key_of(meta),
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
            update: set_update(spec.and_then(|s| s.update_strategy.as_ref())),
            rolling_update: spec
                .and_then(|s| s.update_strategy.as_ref())
                .is_some_and(|u| u.rolling_update.is_some()),
            generation: meta.generation.unwrap_or(0),
            observed_generation: status.and_then(|s| s.observed_generation).unwrap_or(0),
            containers: containers(spec.and_then(|s| s.template.as_ref())),
            created: created(meta),
        }
    }
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
            key: key_of(meta),
            labels: labels(meta),
            selector: match_labels(spec.and_then(|s| s.selector.as_ref())),
            desired: status.and_then(|s| s.desired_number_scheduled).unwrap_or(0),
            current: status.and_then(|s| s.current_number_scheduled).unwrap_or(0),
            ready: status.and_then(|s| s.number_ready).unwrap_or(0),
            updated: status.and_then(|s| s.updated_number_scheduled).unwrap_or(0),
            available: status.and_then(|s| s.number_available).unwrap_or(0),
            unavailable: status.and_then(|s| s.number_unavailable).unwrap_or(0),
            update: set_update(spec.and_then(|s| s.update_strategy.as_ref())),
            generation: meta.generation.unwrap_or(0),
            observed_generation: status.and_then(|s| s.observed_generation).unwrap_or(0),
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
            key: key_of(meta),
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
}

impl CronJobRow {
    pub fn from_object(c: &CronJob) -> CronJobRow {
        let meta = &c.metadata;
        let spec = c.spec.as_ref();
        let status = c.status.as_ref();
        CronJobRow {
            key: key_of(meta),
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

impl RevisionRow {
    pub fn from_object(r: &ControllerRevision) -> RevisionRow {
        let meta = &r.metadata;
        RevisionRow {
            key: key_of(meta),
            owner: controller_ref(meta),
            revision: r.revision.unwrap_or(0),
            images: r.images(),
            created: created(meta),
        }
    }
}

#[cfg(test)]
#[path = "rollout_status_tests.rs"]
mod rollout_status_tests;
