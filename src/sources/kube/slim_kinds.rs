//! The kinds beside Pods and ReplicaSets, decoded as slim as [`super::slim`] decodes those:
//! Deployments, HPAs, warning Events, StatefulSets, DaemonSets, Jobs, CronJobs and
//! ControllerRevisions. Each type names only what its row ([`super::model`], made in
//! `rows.rs` and `rows_kinds.rs`) and the watcher (key, resourceVersion) read; serde skips the
//! rest of the JSON — `managedFields`, env, volumes, status text — without allocating
//! for it. Metadata carries annotations only for a Deployment (its revision and
//! change-cause). A template keeps its containers as the slim [`Container`] pods use, so
//! a container declared alike is made into a spec once per thread
//! ([`super::intern::container`]). Names follow `k8s_openapi` so the rows read the same.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::DeploymentCondition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, Time};
use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use super::slim::{
    ConditionStatus, Container, PodTemplate, namespaced_resource, slim_meta, slim_meta_annotated,
};

namespaced_resource!(Deployment, "Deployment", "apps", "v1", "deployments");
namespaced_resource!(
    HorizontalPodAutoscaler,
    "HorizontalPodAutoscaler",
    "autoscaling",
    "v2",
    "horizontalpodautoscalers"
);
namespaced_resource!(Event, "Event", "", "v1", "events");
namespaced_resource!(StatefulSet, "StatefulSet", "apps", "v1", "statefulsets");
namespaced_resource!(DaemonSet, "DaemonSet", "apps", "v1", "daemonsets");
namespaced_resource!(Job, "Job", "batch", "v1", "jobs");
namespaced_resource!(CronJob, "CronJob", "batch", "v1", "cronjobs");
namespaced_resource!(
    ControllerRevision,
    "ControllerRevision",
    "apps",
    "v1",
    "controllerrevisions"
);

/// A value sent as `null`, read as absent.
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A label selector as far as a row reads it (`matchExpressions` are skipped).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Selector {
    pub match_labels: Option<BTreeMap<String, String>>,
}

/// A pod template: its spec as far as a row reads it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Template<S = TemplateContainers> {
    pub spec: Option<S>,
}

/// A template's pod spec: its containers (name, image, resources and probes as JSON text).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TemplateContainers {
    #[serde(deserialize_with = "nullable")]
    pub containers: Vec<Container>,
}

/// A Deployment: metadata (slim, with annotations: revision and change-cause), the
/// desired state and the rollout's progress.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Deployment {
    #[serde(default, deserialize_with = "slim_meta_annotated")]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: Option<DeploymentSpec>,
    #[serde(default)]
    pub status: Option<DeploymentStatus>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DeploymentSpec {
    pub replicas: Option<i32>,
    pub paused: Option<bool>,
    pub selector: Option<Selector>,
    pub template: Option<Template>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DeploymentStatus {
    pub replicas: Option<i32>,
    pub ready_replicas: Option<i32>,
    pub updated_replicas: Option<i32>,
    pub available_replicas: Option<i32>,
    pub observed_generation: Option<i64>,
    pub conditions: Option<Vec<DeploymentCondition>>,
}

/// A HorizontalPodAutoscaler (`autoscaling/v2`): its target and bounds.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct HorizontalPodAutoscaler {
    #[serde(default, deserialize_with = "slim_meta")]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: Option<HpaSpec>,
    #[serde(default)]
    pub status: Option<HpaStatus>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HpaSpec {
    pub scale_target_ref: Option<ObjectRef>,
    pub min_replicas: Option<i32>,
    pub max_replicas: Option<i32>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HpaStatus {
    pub current_replicas: Option<i32>,
}

/// The object an HPA scales or an event is about: its kind and name.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ObjectRef {
    pub kind: Option<String>,
    pub name: Option<String>,
}

/// A core v1 Event: what happened to which object, how often, when last.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Event {
    #[serde(deserialize_with = "slim_meta")]
    pub metadata: ObjectMeta,
    pub involved_object: Option<ObjectRef>,
    pub reason: Option<String>,
    pub message: Option<String>,
    pub count: Option<i32>,
    #[serde(rename = "type")]
    pub type_: Option<EventType>,
    pub last_timestamp: Option<Time>,
    pub event_time: Option<MicroTime>,
    pub first_timestamp: Option<Time>,
}

/// Only whether an event is a warning matters, so its type is told apart without
/// keeping its text.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
pub enum EventType {
    Warning,
    #[default]
    #[serde(other)]
    Other,
}

/// A StatefulSet: desired state, partition, and the revisions its pods run.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StatefulSet {
    #[serde(default, deserialize_with = "slim_meta")]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: Option<StatefulSetSpec>,
    #[serde(default)]
    pub status: Option<StatefulSetStatus>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StatefulSetSpec {
    pub replicas: Option<i32>,
    pub selector: Option<Selector>,
    pub update_strategy: Option<UpdateStrategy>,
    pub template: Option<Template>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UpdateStrategy {
    /// RollingUpdate (the default) or OnDelete
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub rolling_update: Option<RollingUpdate>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RollingUpdate {
    pub partition: Option<i32>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StatefulSetStatus {
    pub ready_replicas: Option<i32>,
    pub current_replicas: Option<i32>,
    pub updated_replicas: Option<i32>,
    pub current_revision: Option<String>,
    pub update_revision: Option<String>,
    pub observed_generation: Option<i64>,
}

/// A DaemonSet: its template's node selector and containers, and the scheduled counts.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DaemonSet {
    #[serde(default, deserialize_with = "slim_meta")]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: Option<DaemonSetSpec>,
    #[serde(default)]
    pub status: Option<DaemonSetStatus>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DaemonSetSpec {
    pub selector: Option<Selector>,
    pub update_strategy: Option<UpdateStrategy>,
    pub template: Option<Template<DaemonSetPodSpec>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DaemonSetPodSpec {
    pub node_selector: Option<BTreeMap<String, String>>,
    #[serde(deserialize_with = "nullable")]
    pub containers: Vec<Container>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DaemonSetStatus {
    pub desired_number_scheduled: Option<i32>,
    pub current_number_scheduled: Option<i32>,
    pub number_ready: Option<i32>,
    pub updated_number_scheduled: Option<i32>,
    pub number_available: Option<i32>,
    pub number_unavailable: Option<i32>,
    pub observed_generation: Option<i64>,
}

/// A Job: completions, its pods' counts, and whether it completed or failed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Job {
    #[serde(default, deserialize_with = "slim_meta")]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: Option<JobSpec>,
    #[serde(default)]
    pub status: Option<JobStatus>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct JobSpec {
    pub suspend: Option<bool>,
    pub completions: Option<i32>,
    pub selector: Option<Selector>,
    pub template: Option<Template>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct JobStatus {
    pub conditions: Option<Vec<JobCondition>>,
    pub succeeded: Option<i32>,
    pub failed: Option<i32>,
    pub active: Option<i32>,
    pub start_time: Option<Time>,
    pub completion_time: Option<Time>,
}

/// A Job's condition: whether it is a true Complete or Failed, and the reason (a failed
/// Job's row shows it).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct JobCondition {
    #[serde(rename = "type", deserialize_with = "nullable")]
    pub type_: JobConditionType,
    #[serde(deserialize_with = "nullable")]
    pub status: ConditionStatus,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
pub enum JobConditionType {
    Complete,
    Failed,
    #[default]
    #[serde(other)]
    Other,
}

/// A CronJob: schedule, suspension, its last runs, and its job template's containers.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CronJob {
    #[serde(default, deserialize_with = "slim_meta")]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: Option<CronJobSpec>,
    #[serde(default)]
    pub status: Option<CronJobStatus>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CronJobSpec {
    pub schedule: Option<String>,
    pub suspend: Option<bool>,
    pub job_template: Option<JobTemplate>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct JobTemplate {
    pub spec: Option<JobTemplateSpec>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct JobTemplateSpec {
    pub template: Option<Template>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CronJobStatus {
    pub last_schedule_time: Option<Time>,
    pub last_successful_time: Option<Time>,
    /// the running Jobs: only how many is read, so each is skipped
    pub active: Option<Vec<IgnoredAny>>,
}

/// A ControllerRevision: its number and its data (the set's template as a patch), kept
/// as the JSON text it came in and read only for its images ([`Self::images`]).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ControllerRevision {
    #[serde(deserialize_with = "slim_meta")]
    pub metadata: ObjectMeta,
    pub revision: Option<i64>,
    pub data: Option<Box<RawValue>>,
}

/// `data` = `{"spec":{"template":{"spec":{"containers":[{"image":…}]}}}}`.
#[derive(Deserialize, Default)]
#[serde(default)]
struct RevisionData {
    spec: Option<RevisionSpec>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RevisionSpec {
    template: Option<PodTemplate>,
}

impl ControllerRevision {
    /// The images of the template the revision holds; none where `data` is absent or
    /// not a set's template.
    pub fn images(&self) -> Vec<String> {
        let Some(raw) = self.data.as_deref() else {
            return Vec::new();
        };
        serde_json::from_str::<RevisionData>(raw.get())
            .ok()
            .and_then(|d| d.spec?.template?.spec)
            .map(|s| s.containers.into_iter().filter_map(|c| c.image).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
#[path = "slim_kinds_tests.rs"]
mod tests;
