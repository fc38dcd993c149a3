//! Compact, owned rows made from Kubernetes objects, as the watchers send them: no
//! `managedFields`, no annotations beyond change-cause, no full specs. Keeps the ui task's
//! memory small on clusters with thousands of pods. Made in `rows.rs` beside `model/`.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;

use super::key::ObjKey;

pub const REVISION_ANNOTATION: &str = "deployment.kubernetes.io/revision";
pub const CHANGE_CAUSE_ANNOTATION: &str = "kubernetes.io/change-cause";

/// What a container is declared as: for the describe-like detail view.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ContainerSpec {
    pub name: String,
    pub image: String,
    /// "cpu 100m/500m, memory 128Mi/256Mi" (requests/limits)
    pub resources: String,
    pub liveness: Option<String>,
    pub readiness: Option<String>,
}

/// The extended resource the NVIDIA device plugin advertises.
pub const GPU_RESOURCE: &str = "nvidia.com/gpu";

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

/// How a rollout stands, as `kubectl rollout status` judges it (kubectl's
/// `pkg/polymorphichelpers/rollout_status.go`), with what the console says more: that a
/// Deployment is paused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rollout {
    /// kubectl: "successfully rolled out" (or "partitioned roll out complete")
    Complete,
    /// kubectl waits: for the controller to observe the spec, for updated, available or
    /// ready pods, for old pods to go, or for the revisions to meet
    Progressing,
    Paused,
    /// kubectl fails: the Progressing condition's reason (ProgressDeadlineExceeded)
    Stalled(String),
    /// paused, and the controller keeps the Progressing condition that says the
    /// deadline passed: kubectl fails it as [`Rollout::Stalled`]
    PausedStalled(String),
    /// an `OnDelete` set: kubectl cannot report a rollout status for it
    Unreported,
}

/// The Progressing condition's reason when the deadline passed (`deploymentutil.TimedOutReason`).
pub const TIMED_OUT_REASON: &str = "ProgressDeadlineExceeded";

impl DeploymentRow {
    pub fn images(&self) -> Vec<&str> {
        self.containers.iter().map(|c| c.image.as_str()).collect()
    }

    /// `DeploymentStatusViewer.Status`: the observed generation first, then the progress
    /// deadline, then updated, old and available replicas. ReplicaFailure does not decide
    /// (kubectl does not read it); a paused Deployment is `Paused`, or `PausedStalled`
    /// where kubectl fails it.
    pub fn rollout(&self) -> Rollout {
        if self.generation > self.observed_generation {
            // a new spec the controller has not seen: an old deadline condition is stale
            return if self.paused {
                Rollout::Paused
            } else {
                Rollout::Progressing
            };
        }
        let timed_out = self
            .conditions
            .iter()
            .find(|c| c.kind == "Progressing")
            .is_some_and(|c| c.reason == TIMED_OUT_REASON);
        if timed_out {
            let reason = TIMED_OUT_REASON.to_owned();
            return if self.paused {
                Rollout::PausedStalled(reason)
            } else {
                Rollout::Stalled(reason)
            };
        }
        if self.paused {
            return Rollout::Paused;
        }
        if self.updated < self.desired
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

/// What kind of state a pod is in, worst first: how the console sorts and colours it.
/// The words shown are kubectl's ([`PodRow::status`]), with what the console knows more
/// beside them ([`PodRow::note`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PodReason {
    CrashLoopBackOff,
    /// ImagePullBackOff, ErrImagePull, InvalidImageName (of a container or an init container)
    ImagePullBackOff,
    OomKilled,
    Evicted,
    Unschedulable,
    /// another error kubectl names (Error, ExitCode:N, Init:Error, CreateContainerConfigError, …)
    Other,
    Terminating,
    /// running again after the OOM killer ended the last run
    Restarted,
    /// Pending, ContainerCreating, PodInitializing, Init:N/M, SchedulingGated
    Pending,
    /// not every container is ready
    NotReady,
    Running,
    Succeeded,
}

impl PodReason {
    /// Errors are trouble; warnings are transient states worth a glance.
    pub fn is_error(&self) -> bool {
        matches!(
            self,
            PodReason::CrashLoopBackOff
                | PodReason::ImagePullBackOff
                | PodReason::OomKilled
                | PodReason::Evicted
                | PodReason::Unschedulable
                | PodReason::Other
        )
    }

    pub fn is_warning(&self) -> bool {
        matches!(
            self,
            PodReason::Terminating
                | PodReason::Restarted
                | PodReason::Pending
                | PodReason::NotReady
        )
    }
}

/// What a container is to its pod, as `kubectl describe pod` sorts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContainerRole {
    /// one of `spec.containers`
    #[default]
    Main,
    /// one of `spec.initContainers`, run to completion before the others start
    Init,
    /// an init container with `restartPolicy: Always`: a native sidecar, running beside
    /// the others (Kubernetes ≥ 1.29)
    Sidecar,
}

/// A container's state in a pod, for the detail view.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContainerState {
    /// shared by the pods of one template
    pub spec: Arc<ContainerSpec>,
    pub role: ContainerRole,
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
    /// READY's ready count and total, STATUS and RESTARTS as `kubectl get pods` prints
    /// them (native sidecars count; init containers' restarts while they run)
    pub ready: u16,
    pub containers_total: u16,
    /// kubectl's STATUS word: `Running`, `Init:0/2`, `CrashLoopBackOff`, `ExitCode:2`, …
    pub status: String,
    /// what the console knows beside kubectl's word: `OOMKilled`, `Unschedulable`
    pub note: Option<String>,
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
    /// STATUS: kubectl's word, and what the console adds beside it —
    /// `CrashLoopBackOff (OOMKilled)`, `Pending (Unschedulable)`.
    pub fn status_text(&self) -> String {
        match &self.note {
            Some(n) => format!("{} ({n})", self.status),
            None => self.status.clone(),
        }
    }

    /// RESTARTS as kubectl prints it: `5 (2m ago)`, the age of the last restart.
    pub fn restarts_text(&self, now: Timestamp) -> String {
        match self.last_restart {
            Some(t) if self.restarts != 0 => format!(
                "{} ({} ago)",
                self.restarts,
                crate::text::human_duration(now.duration_since(t).as_secs())
            ),
            _ => self.restarts.to_string(),
        }
    }
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
