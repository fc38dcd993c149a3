//! What the Kubernetes source sends the ui task: the rows of a kind as snapshots, pages and
//! deltas, why a watcher is not delivering, the cluster's namespaces, and one object's YAML.

use super::argo::{AnalysisRunRow, RolloutRow};
use super::key::{Kind, ObjKey, WorkloadKind};
use super::kinds::{CronJobRow, DaemonSetRow, JobRow, RevisionRow, StatefulSetRow};
use super::rows::{DeploymentRow, EventRow, HpaRow, PodRow, ReplicaSetRow};

/// Rows of one kind.
#[derive(Debug, Clone)]
pub enum Rows {
    Deployments(Vec<DeploymentRow>),
    ReplicaSets(Vec<ReplicaSetRow>),
    Pods(Vec<PodRow>),
    Hpas(Vec<HpaRow>),
    Events(Vec<EventRow>),
    StatefulSets(Vec<StatefulSetRow>),
    DaemonSets(Vec<DaemonSetRow>),
    Jobs(Vec<JobRow>),
    CronJobs(Vec<CronJobRow>),
    Revisions(Vec<RevisionRow>),
    Rollouts(Vec<RolloutRow>),
    AnalysisRuns(Vec<AnalysisRunRow>),
}

impl Rows {
    pub fn kind(&self) -> Kind {
        match self {
            Rows::Deployments(_) => Kind::Deployments,
            Rows::ReplicaSets(_) => Kind::ReplicaSets,
            Rows::Pods(_) => Kind::Pods,
            Rows::Hpas(_) => Kind::Hpas,
            Rows::Events(_) => Kind::Events,
            Rows::StatefulSets(_) => Kind::StatefulSets,
            Rows::DaemonSets(_) => Kind::DaemonSets,
            Rows::Jobs(_) => Kind::Jobs,
            Rows::CronJobs(_) => Kind::CronJobs,
            Rows::Revisions(_) => Kind::Revisions,
            Rows::Rollouts(_) => Kind::Rollouts,
            Rows::AnalysisRuns(_) => Kind::AnalysisRuns,
        }
    }
    pub fn len(&self) -> usize {
        match self {
            Rows::Deployments(v) => v.len(),
            Rows::ReplicaSets(v) => v.len(),
            Rows::Pods(v) => v.len(),
            Rows::Hpas(v) => v.len(),
            Rows::Events(v) => v.len(),
            Rows::StatefulSets(v) => v.len(),
            Rows::DaemonSets(v) => v.len(),
            Rows::Jobs(v) => v.len(),
            Rows::CronJobs(v) => v.len(),
            Rows::Revisions(v) => v.len(),
            Rows::Rollouts(v) => v.len(),
            Rows::AnalysisRuns(v) => v.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How far a list has got: objects received, and the whole list's size where the API
/// server says (`remainingItemCount`; never with selectors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListProgress {
    pub listed: usize,
    pub total: Option<usize>,
}

impl Rows {
    /// The keys of the rows.
    pub fn keys(&self) -> Vec<ObjKey> {
        fn k<R>(v: &[R], key: fn(&R) -> &ObjKey) -> Vec<ObjKey> {
            v.iter().map(|r| key(r).clone()).collect()
        }
        match self {
            Rows::Deployments(v) => k(v, |r| &r.key),
            Rows::ReplicaSets(v) => k(v, |r| &r.key),
            Rows::Pods(v) => k(v, |r| &r.key),
            Rows::Hpas(v) => k(v, |r| &r.key),
            Rows::Events(v) => k(v, |r| &r.key),
            Rows::StatefulSets(v) => k(v, |r| &r.key),
            Rows::DaemonSets(v) => k(v, |r| &r.key),
            Rows::Jobs(v) => k(v, |r| &r.key),
            Rows::CronJobs(v) => k(v, |r| &r.key),
            Rows::Revisions(v) => k(v, |r| &r.key),
            Rows::Rollouts(v) => k(v, |r| &r.key),
            Rows::AnalysisRuns(v) => k(v, |r| &r.key),
        }
    }
}

/// Why a watcher is not delivering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// 401/403: the verb, resource and namespace that were refused.
    Forbidden {
        code: u16,
        verb: &'static str,
        resource: &'static str,
        namespace: Option<String>,
        message: String,
    },
    /// Anything else (unreachable, 5xx, 410 before the re-list): retried with backoff.
    Transient(String),
}

impl Failure {
    /// One line for the pane and the status bar.
    pub fn describe(&self) -> String {
        match self {
            Failure::Forbidden {
                code,
                verb,
                resource,
                namespace,
                ..
            } => {
                let (what, fix) = if *code == 401 {
                    ("unauthorized (401)", "refresh the kubeconfig's credentials")
                } else {
                    ("forbidden (403)", "ask for RBAC access or switch with :ns")
                };
                let wher = match namespace {
                    Some(ns) => format!("in namespace {ns}"),
                    None => "across all namespaces".to_owned(),
                };
                format!("{what}: cannot {verb} {resource} {wher}; {fix}")
            }
            Failure::Transient(e) => crate::secret::redact(e).into_owned(),
        }
    }
}

/// Messages from the Kubernetes source to the ui task, tagged with the generation by the
/// sender (`Event::Kube`).
#[derive(Debug, Clone)]
pub enum WorkloadsMsg {
    /// The complete set of one kind: after the first list and after every re-list (410).
    Snapshot(Rows),
    /// One page of a list, as it arrives: the rows appear at once and the pane says how
    /// far the list has got. The first page of a list starts it; the last (`done`) ends
    /// it: rows the list did not name are then gone (deleted while the watch was away),
    /// and the kind counts as listed.
    Page {
        rows: Rows,
        first: bool,
        done: bool,
        progress: ListProgress,
    },
    /// Added or modified objects.
    Applied(Rows),
    Deleted {
        kind: Kind,
        keys: Vec<ObjKey>,
    },
    Failed {
        kind: Kind,
        failure: Failure,
    },
    /// No client could be built (no kubeconfig, bad context): the pane explains.
    NoClient(String),
    /// Whether the cluster serves Argo Rollouts (asked once per scope; where it does not,
    /// nothing about Rollouts is polled).
    RolloutsServed(bool),
    /// The API server answered with nothing to change (a watch bookmark, the `/version`
    /// probe): contact on a quiet cluster.
    Contact,
    /// The `/version` probe got no answer within its bound (or no connection): the
    /// cluster is out of contact until anything answers again.
    Unanswered(String),
}

/// Messages from the namespaces source to the ui task (`Event::Namespaces`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamespacesMsg {
    /// Every namespace the cluster has now, sorted.
    Names(Vec<String>),
    /// Listing namespaces is not allowed (401/403): the message says who and what.
    Forbidden(String),
    /// Anything else (unreachable, no client): retried while the task lives.
    Failed(String),
}

/// What the ui task asks for: one object, for the scope generation on screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRequest {
    pub generation: u64,
    pub kind: WorkloadKind,
    pub key: ObjKey,
    /// A resource beyond the workload kinds (the generic view's row): its path is this
    /// resource's, and `kind` is not used.
    pub resource: Option<super::resources::ApiResource>,
}

/// The answer: the object's YAML, one string per line, or why there is none (redacted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMsg {
    pub kind: WorkloadKind,
    pub key: ObjKey,
    pub resource: Option<super::resources::ApiResource>,
    pub result: Result<Vec<String>, String>,
}

/// What a describe page is made of, as the API returns it: the object, the chain of its
/// controlling owners (the first is its owner, the last the top controller; an owner
/// that could not be read ends it with a note), and the events about it (by uid).
#[derive(Debug, Clone, PartialEq)]
pub struct Described {
    pub object: serde_json::Value,
    pub owners: Vec<serde_json::Value>,
    /// Why the chain stops early (an owner gone or not readable), if it does.
    pub owners_note: Option<String>,
    pub events: Vec<serde_json::Value>,
    /// Why there are no events to show (the list failed), if so.
    pub events_note: Option<String>,
}

/// The answer to a describe request.
#[derive(Debug, Clone, PartialEq)]
pub struct DescribeMsg {
    pub kind: WorkloadKind,
    pub key: ObjKey,
    pub resource: Option<super::resources::ApiResource>,
    pub result: Result<Box<Described>, String>,
}
