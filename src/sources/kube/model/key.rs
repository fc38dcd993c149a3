//! How the cluster's objects are named: the key of a row, the resource kinds the Workloads
//! pane watches and the kinds of workload it shows.

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

/// The resource kinds the workloads pane watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Deployments,
    ReplicaSets,
    Pods,
    Hpas,
    Events,
    StatefulSets,
    DaemonSets,
    Jobs,
    CronJobs,
    Revisions,
    /// Argo Rollouts: watched only where the cluster serves `argoproj.io/v1alpha1`.
    Rollouts,
    AnalysisRuns,
}

impl Kind {
    pub const ALL: [Kind; 12] = [
        Kind::Deployments,
        Kind::ReplicaSets,
        Kind::Pods,
        Kind::Hpas,
        Kind::Events,
        Kind::StatefulSets,
        Kind::DaemonSets,
        Kind::Jobs,
        Kind::CronJobs,
        Kind::Revisions,
        Kind::Rollouts,
        Kind::AnalysisRuns,
    ];

    /// The resource as RBAC names it.
    pub fn resource(self) -> &'static str {
        match self {
            Kind::Deployments => "deployments",
            Kind::ReplicaSets => "replicasets",
            Kind::Pods => "pods",
            Kind::Hpas => "horizontalpodautoscalers",
            Kind::Events => "events",
            Kind::StatefulSets => "statefulsets",
            Kind::DaemonSets => "daemonsets",
            Kind::Jobs => "jobs",
            Kind::CronJobs => "cronjobs",
            Kind::Revisions => "controllerrevisions",
            Kind::Rollouts => "rollouts",
            Kind::AnalysisRuns => "analysisruns",
        }
    }
}
