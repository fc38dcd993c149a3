//! Compact, owned rows made from Kubernetes objects. Watchers convert each object as it
//! arrives and send only these: no `managedFields`, no annotations beyond change-cause, no
//! full specs. Keeps the ui task's memory small on clusters with thousands of pods.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::rows_containers::declared;
use super::slim::{ContainerStatus, Pod};
use super::slim_kinds::{Deployment, Event as KubeEvent, HorizontalPodAutoscaler};

pub use super::rows_containers::{ContainerSpec, GPU_RESOURCE};
pub(super) use super::rows_containers::{container_spec, declared_specs};

pub use super::rows_kinds::{
    CronJobRow, DaemonSetRow, JobRow, JobState, RevisionRow, StatefulSetRow,
};

pub const REVISION_ANNOTATION: &str = "deployment.kubernetes.io/revision";
pub const CHANGE_CAUSE_ANNOTATION: &str = "kubernetes.io/change-cause";

/// Namespace and name: how rows are keyed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ObjKey {
    pub namespace: String,
    pub name: String,
}

impl ObjKey {
    pub fn new(namespace: &str, name: &str) -> ObjKey {
        ObjKey {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        }
    }
    pub(super) fn of(meta: &ObjectMeta) -> ObjKey {
        ObjKey {
            namespace: meta.namespace.clone().unwrap_or_default(),
            name: meta.name.clone().unwrap_or_default(),
        }
    }
}

/// The kinds of workload the Workloads pane shows, each with kubectl's names for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum WorkloadKind {
    #[default]
    Deployment,
    StatefulSet,
    DaemonSet,
    Job,
    CronJob,
    /// A pod no controller owns.
    Pod,
    /// An Argo Rollout (`argoproj.io/v1alpha1`).
    Rollout,
}

impl WorkloadKind {
    pub const ALL: [WorkloadKind; 7] = [
        WorkloadKind::Deployment,
        WorkloadKind::StatefulSet,
        WorkloadKind::DaemonSet,
        WorkloadKind::Job,
        WorkloadKind::CronJob,
        WorkloadKind::Pod,
        WorkloadKind::Rollout,
    ];

    /// kubectl's resource name, as in `kubectl get statefulset/X` and the audit log.
    pub fn resource(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "deployment",
            WorkloadKind::StatefulSet => "statefulset",
            WorkloadKind::DaemonSet => "daemonset",
            WorkloadKind::Job => "job",
            WorkloadKind::CronJob => "cronjob",
            WorkloadKind::Pod => "pod",
            WorkloadKind::Rollout => "rollout",
        }
    }

    /// The API's `kind` (as in an HPA's `scaleTargetRef`).
    pub fn api_kind(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::Job => "Job",
            WorkloadKind::CronJob => "CronJob",
            WorkloadKind::Pod => "Pod",
            WorkloadKind::Rollout => "Rollout",
        }
    }

    /// kubectl's short name (the KIND column and the narrowing commands).
    pub fn short(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "deploy",
            WorkloadKind::StatefulSet => "sts",
            WorkloadKind::DaemonSet => "ds",
            WorkloadKind::Job => "job",
            WorkloadKind::CronJob => "cj",
            WorkloadKind::Pod => "pod",
            WorkloadKind::Rollout => "ro",
        }
    }
}

/// A deployment's condition (Available, Progressing, ReplicaFailure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub kind: String,
    pub status: String,
    pub reason: String,
    pub message: String,
    pub since: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentRow {
    pub key: ObjKey,
    pub labels: BTreeMap<String, String>,
    pub selector: BTreeMap<String, String>,
    pub desired: i32,
    /// all pods of every revision (status.replicas)
    pub current: i32,
    pub ready: i32,
    pub updated: i32,
    pub available: i32,
    pub revision: Option<i64>,
    pub paused: bool,
    pub generation: i64,
    pub observed_generation: i64,
    pub conditions: Vec<Condition>,
    pub containers: Vec<ContainerSpec>,
    pub change_cause: Option<String>,
    pub created: Option<Timestamp>,
}

/// How a rollout stands, as `kubectl rollout status` would judge it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rollout {
    Complete,
    Progressing,
    Paused,
    /// The Progressing condition's reason (ProgressDeadlineExceeded) or a ReplicaFailure.
    Stalled(String),
}

impl DeploymentRow {
    pub fn from_object(d: &Deployment) -> DeploymentRow {
        let meta = &d.metadata;
        let spec = d.spec.as_ref();
        let status = d.status.as_ref();
        let template = spec
            .and_then(|s| s.template.as_ref())
            .and_then(|t| t.spec.as_ref());
        DeploymentRow {
            key: ObjKey::of(meta),
            labels: meta.labels.clone().unwrap_or_default(),
            selector: spec
                .and_then(|s| s.selector.as_ref())
                .and_then(|s| s.match_labels.clone())
                .unwrap_or_default(),
            desired: spec.and_then(|s| s.replicas).unwrap_or(1),
            current: status.and_then(|s| s.replicas).unwrap_or(0),
            ready: status.and_then(|s| s.ready_replicas).unwrap_or(0),
            updated: status.and_then(|s| s.updated_replicas).unwrap_or(0),
            available: status.and_then(|s| s.available_replicas).unwrap_or(0),
            revision: annotation(meta, REVISION_ANNOTATION).and_then(|r| r.parse().ok()),
            paused: spec.and_then(|s| s.paused).unwrap_or(false),
            generation: meta.generation.unwrap_or(0),
            observed_generation: status.and_then(|s| s.observed_generation).unwrap_or(0),
            conditions: status
                .and_then(|s| s.conditions.as_ref())
                .map(|cs| {
                    cs.iter()
                        .map(|c| Condition {
                            kind: c.type_.clone().unwrap_or_default(),
                            status: c.status.clone().unwrap_or_default(),
                            reason: c.reason.clone().unwrap_or_default(),
                            message: c.message.clone().unwrap_or_default(),
                            since: c
                                .last_transition_time
                                .as_ref()
                                .or(c.last_update_time.as_ref())
                                .map(|t| t.0),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            containers: template
                .map(|t| declared_specs(&t.containers))
                .unwrap_or_default(),
            change_cause: annotation(meta, CHANGE_CAUSE_ANNOTATION).map(str::to_owned),
            created: meta.creation_timestamp.as_ref().map(|t| t.0),
        }
    }

    pub fn images(&self) -> Vec<&str> {
        self.containers.iter().map(|c| c.image.as_str()).collect()
    }

    pub fn rollout(&self) -> Rollout {
        if self.paused {
            return Rollout::Paused;
        }
        for c in &self.conditions {
            if c.kind == "Progressing" && c.reason == "ProgressDeadlineExceeded" {
                return Rollout::Stalled(c.reason.clone());
            }
            if c.kind == "ReplicaFailure" && c.status == "True" {
                let reason = if c.reason.is_empty() {
                    "ReplicaFailure".to_owned()
                } else {
                    c.reason.clone()
                };
                return Rollout::Stalled(reason);
            }
        }
        if self.observed_generation < self.generation
            || self.updated < self.desired
            || self.current > self.updated
            || self.available < self.updated
        {
            return Rollout::Progressing;
        }
        Rollout::Complete
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaSetRow {
    pub key: ObjKey,
    /// the owning deployment's name (same namespace)
    pub owner: Option<String>,
    /// the owning Argo Rollout's name (same namespace)
    pub rollout: Option<String>,
    /// the `rollouts-pod-template-hash` label of a Rollout's ReplicaSet
    pub rollout_hash: Option<String>,
    pub revision: Option<i64>,
    pub images: Vec<String>,
    pub change_cause: Option<String>,
    pub desired: i32,
    pub ready: i32,
    pub created: Option<Timestamp>,
}

impl ReplicaSetRow {
    pub fn from_object(rs: &super::slim::ReplicaSet) -> ReplicaSetRow {
        let meta = &rs.metadata;
        ReplicaSetRow {
            key: ObjKey::of(meta),
            owner: controller_of(meta, "Deployment"),
            rollout: controller_of(meta, "Rollout"),
            rollout_hash: meta
                .labels
                .as_ref()
                .and_then(|l| l.get(super::argo::HASH_LABEL))
                .cloned(),
            revision: annotation(meta, REVISION_ANNOTATION)
                .or_else(|| annotation(meta, super::argo::REVISION_ANNOTATION))
                .and_then(|r| r.parse().ok()),
            images: rs
                .spec
                .as_ref()
                .and_then(|s| s.template.as_ref())
                .and_then(|t| t.spec.as_ref())
                .map(|s| {
                    s.containers
                        .iter()
                        .filter_map(|c| c.image.clone())
                        .collect()
                })
                .unwrap_or_default(),
            change_cause: annotation(meta, CHANGE_CAUSE_ANNOTATION).map(str::to_owned),
            desired: rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0),
            ready: rs
                .status
                .as_ref()
                .and_then(|s| s.ready_replicas)
                .unwrap_or(0),
            created: meta.creation_timestamp.as_ref().map(|t| t.0),
        }
    }
}

/// The reason that matters about a pod, worst first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PodReason {
    CrashLoopBackOff,
    ImagePullBackOff(String),
    OomKilled,
    Evicted,
    Unschedulable,
    /// another waiting or terminated reason (CreateContainerConfigError, Error, …)
    Other(String),
    Terminating,
    /// running again after the OOM killer ended the last run
    Restarted(String),
    Pending,
    NotReady,
    Running,
    Succeeded,
}

impl PodReason {
    pub fn label(&self) -> String {
        match self {
            PodReason::CrashLoopBackOff => "CrashLoopBackOff".into(),
            PodReason::ImagePullBackOff(r) => r.clone(),
            PodReason::OomKilled => "OOMKilled".into(),
            PodReason::Evicted => "Evicted".into(),
            PodReason::Unschedulable => "Pending: Unschedulable".into(),
            PodReason::Other(r) => r.clone(),
            PodReason::Terminating => "Terminating".into(),
            PodReason::Restarted(r) => format!("{r}, restarted"),
            PodReason::Pending => "Pending".into(),
            PodReason::NotReady => "NotReady".into(),
            PodReason::Running => "Running".into(),
            PodReason::Succeeded => "Completed".into(),
        }
    }

    /// Errors are trouble; warnings are transient states worth a glance.
    pub fn is_error(&self) -> bool {
        matches!(
            self,
            PodReason::CrashLoopBackOff
                | PodReason::ImagePullBackOff(_)
                | PodReason::OomKilled
                | PodReason::Evicted
                | PodReason::Unschedulable
                | PodReason::Other(_)
        )
    }

    pub fn is_warning(&self) -> bool {
        matches!(
            self,
            PodReason::Terminating
                | PodReason::Restarted(_)
                | PodReason::Pending
                | PodReason::NotReady
        )
    }
}

/// A container's state in a pod, for the detail view.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContainerState {
    /// shared by the pods of one template
    pub spec: Arc<ContainerSpec>,
    pub ready: bool,
    pub restarts: i32,
    /// "running since …", "waiting: CrashLoopBackOff", "terminated: Error (exit 1)"
    pub state: String,
    /// last termination: reason and exit code
    pub last_termination: Option<(String, i32)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodRow {
    pub key: ObjKey,
    /// shared by the pods of one template
    pub labels: Arc<BTreeMap<String, String>>,
    /// the owning ReplicaSet's name
    pub owner: Option<String>,
    /// the controlling owner of any kind (ReplicaSet, StatefulSet, DaemonSet, Job): (kind, name)
    pub controller: Option<(String, String)>,
    /// the pod-template-hash label: which revision the pod runs
    pub template_hash: Option<String>,
    pub phase: String,
    pub ready: u16,
    pub containers_total: u16,
    pub reason: PodReason,
    pub restarts: i32,
    pub last_restart: Option<Timestamp>,
    pub node: Option<String>,
    pub created: Option<Timestamp>,
    pub containers: Vec<ContainerState>,
    /// GPUs the pod asks for (`nvidia.com/gpu` limits, else requests, of its containers).
    pub gpus: u32,
}

impl PodRow {
    pub fn from_object(p: &Pod) -> PodRow {
        let meta = &p.metadata;
        let status = p.status.as_ref();
        let statuses: &[ContainerStatus] = status
            .and_then(|s| s.container_statuses.as_deref())
            .unwrap_or(&[]);
        let specs = p.spec.as_ref().map(|s| &s.containers[..]).unwrap_or(&[]);
        let phase = status
            .and_then(|s| s.phase.clone())
            .unwrap_or_else(|| "Unknown".into());
        let mut restarts = 0;
        let mut last_restart: Option<Timestamp> = None;
        let mut ready = 0u16;
        let mut containers = Vec::with_capacity(specs.len());
        let mut gpus = 0;
        for spec in specs {
            let st = statuses.iter().find(|s| s.name == spec.name);
            let (shared, asks) = declared(spec);
            gpus += asks;
            let mut c = ContainerState {
                spec: shared,
                ..Default::default()
            };
            if let Some(st) = st {
                c.ready = st.ready;
                c.restarts = st.restart_count;
                restarts += st.restart_count;
                if st.ready {
                    ready += 1;
                }
                c.state = describe_state(st.state.as_ref());
                if let Some(t) = st.last_state.as_ref().and_then(|s| s.terminated.as_ref()) {
                    c.last_termination = Some((
                        t.reason.clone().unwrap_or_else(|| "Terminated".into()),
                        t.exit_code,
                    ));
                    if let Some(f) = &t.finished_at {
                        last_restart = Some(last_restart.map_or(f.0, |l| l.max(f.0)));
                    }
                }
            } else {
                c.state = "waiting".into();
            }
            containers.push(c);
        }
        let reason = pod_reason(p, statuses, &phase, ready, specs.len());
        PodRow {
            key: ObjKey::of(meta),
            labels: super::intern::labels(meta.labels.clone().unwrap_or_default()),
            owner: controller_of(meta, "ReplicaSet"),
            controller: super::rows_kinds::controller_ref(meta),
            template_hash: meta
                .labels
                .as_ref()
                .and_then(|l| l.get("pod-template-hash").cloned()),
            phase,
            ready,
            containers_total: specs.len() as u16,
            reason,
            restarts,
            last_restart,
            node: p.spec.as_ref().and_then(|s| s.node_name.clone()),
            created: meta.creation_timestamp.as_ref().map(|t| t.0),
            containers,
            gpus,
        }
    }
}

fn pod_reason(
    p: &Pod,
    statuses: &[ContainerStatus],
    phase: &str,
    ready: u16,
    total: usize,
) -> PodReason {
    if p.metadata.deletion_timestamp.is_some() {
        return PodReason::Terminating;
    }
    let status = p.status.as_ref();
    if status.and_then(|s| s.reason.as_deref()) == Some("Evicted") {
        return PodReason::Evicted;
    }
    for st in statuses {
        if let Some(w) = st.state.as_ref().and_then(|s| s.waiting.as_ref()) {
            match w.reason.as_deref() {
                Some("CrashLoopBackOff") => {
                    // a crash loop caused by the OOM killer says so
                    let oom = st
                        .last_state
                        .as_ref()
                        .and_then(|s| s.terminated.as_ref())
                        .and_then(|t| t.reason.as_deref())
                        == Some("OOMKilled");
                    return if oom {
                        PodReason::OomKilled
                    } else {
                        PodReason::CrashLoopBackOff
                    };
                }
                Some(r @ ("ImagePullBackOff" | "ErrImagePull" | "InvalidImageName")) => {
                    return PodReason::ImagePullBackOff(r.to_owned());
                }
                Some("ContainerCreating") | Some("PodInitializing") | None => {}
                Some(r) => return PodReason::Other(r.to_owned()),
            }
        }
        if let Some(t) = st.state.as_ref().and_then(|s| s.terminated.as_ref()) {
            match t.reason.as_deref() {
                Some("OOMKilled") => return PodReason::OomKilled,
                Some("Completed") => {}
                Some(r) => return PodReason::Other(r.to_owned()),
                None if t.exit_code != 0 => return PodReason::Other("Error".into()),
                None => {}
            }
        }
    }
    // a recent OOM kill that restarted into running is still what matters
    for st in statuses {
        let last = st
            .last_state
            .as_ref()
            .and_then(|s| s.terminated.as_ref())
            .and_then(|t| t.reason.as_deref());
        if last == Some("OOMKilled") {
            return if st.ready {
                PodReason::Restarted("OOMKilled".into())
            } else {
                PodReason::OomKilled
            };
        }
    }
    if phase == "Pending" {
        let unschedulable = status
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|cs| {
                cs.iter().any(|c| {
                    c.type_ == super::slim::ConditionType::PodScheduled
                        && c.status == super::slim::ConditionStatus::False
                        && c.reason.as_deref() == Some("Unschedulable")
                })
            });
        return if unschedulable {
            PodReason::Unschedulable
        } else {
            PodReason::Pending
        };
    }
    match phase {
        "Succeeded" => PodReason::Succeeded,
        "Failed" => PodReason::Other(
            status
                .and_then(|s| s.reason.clone())
                .unwrap_or_else(|| "Failed".into()),
        ),
        _ if (ready as usize) < total => PodReason::NotReady,
        _ => PodReason::Running,
    }
}

fn describe_state(s: Option<&k8s_openapi::api::core::v1::ContainerState>) -> String {
    let Some(s) = s else {
        return "unknown".into();
    };
    if let Some(w) = &s.waiting {
        return format!("waiting: {}", w.reason.as_deref().unwrap_or("-"));
    }
    if let Some(t) = &s.terminated {
        return format!(
            "terminated: {} (exit {})",
            t.reason.as_deref().unwrap_or("-"),
            t.exit_code
        );
    }
    if s.running.is_some() {
        return "running".into();
    }
    "unknown".into()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HpaRow {
    pub key: ObjKey,
    pub target_kind: String,
    pub target_name: String,
    pub min: i32,
    pub max: i32,
    pub current: i32,
}

impl HpaRow {
    pub fn from_object(h: &HorizontalPodAutoscaler) -> HpaRow {
        let spec = h.spec.as_ref();
        let target = spec.and_then(|s| s.scale_target_ref.as_ref());
        HpaRow {
            key: ObjKey::of(&h.metadata),
            target_kind: target.and_then(|t| t.kind.clone()).unwrap_or_default(),
            target_name: target.and_then(|t| t.name.clone()).unwrap_or_default(),
            min: spec.and_then(|s| s.min_replicas).unwrap_or(1),
            max: spec.and_then(|s| s.max_replicas).unwrap_or(0),
            current: h
                .status
                .as_ref()
                .and_then(|s| s.current_replicas)
                .unwrap_or(0),
        }
    }
}

/// A Warning event about some object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub key: ObjKey,
    pub object_kind: String,
    pub object_name: String,
    pub reason: String,
    pub message: String,
    pub count: i32,
    pub last: Option<Timestamp>,
}

impl EventRow {
    pub fn from_object(e: &KubeEvent) -> EventRow {
        let object = e.involved_object.as_ref();
        EventRow {
            key: ObjKey::of(&e.metadata),
            object_kind: object.and_then(|o| o.kind.clone()).unwrap_or_default(),
            object_name: object.and_then(|o| o.name.clone()).unwrap_or_default(),
            reason: e.reason.clone().unwrap_or_default(),
            message: e.message.clone().unwrap_or_default(),
            count: e.count.unwrap_or(1),
            last: e
                .last_timestamp
                .as_ref()
                .map(|t| t.0)
                .or_else(|| e.event_time.as_ref().map(|t| t.0))
                .or_else(|| e.first_timestamp.as_ref().map(|t| t.0))
                .or_else(|| e.metadata.creation_timestamp.as_ref().map(|t| t.0)),
        }
    }

    pub fn is_warning(e: &KubeEvent) -> bool {
        e.type_ == Some(super::slim_kinds::EventType::Warning)
    }
}

fn annotation<'a>(meta: &'a ObjectMeta, key: &str) -> Option<&'a str> {
    meta.annotations
        .as_ref()
        .and_then(|a| a.get(key))
        .map(String::as_str)
}

fn controller_of(meta: &ObjectMeta, kind: &str) -> Option<String> {
    meta.owner_references.as_ref().and_then(|refs| {
        refs.iter()
            .find(|r| r.kind == kind && r.controller.unwrap_or(true))
            .map(|r| r.name.clone())
    })
}

/// `ghcr.io/acme/checkout:1.8.3` → `1.8.3`; a digest keeps 12 hex digits; no tag → the
/// image's last path segment.
pub fn short_image(image: &str) -> &str {
    if let Some((_, digest)) = image.split_once('@') {
        let hex = digest.split_once(':').map_or(digest, |(_, h)| h);
        return hex.get(..12).unwrap_or(hex);
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        Some((_, tag)) if !tag.is_empty() => tag,
        _ => last,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_images() {
        assert_eq!(short_image("ghcr.io/acme/checkout:1.8.3"), "1.8.3");
        assert_eq!(short_image("localhost:5000/checkout"), "checkout");
        assert_eq!(short_image("nginx"), "nginx");
        assert_eq!(
            short_image("acme/x@sha256:0123456789abcdef0123"),
            "0123456789ab"
        );
    }
}
