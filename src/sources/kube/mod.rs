//! The Kubernetes source: one watcher task per resource kind (deployments, replicasets,
//! pods, HPAs, warning events, statefulsets, daemonsets, jobs, cronjobs, controller
//! revisions, and Argo Rollouts with their AnalysisRuns where the cluster serves them) in
//! the scope's namespace or all namespaces. Each decodes objects slim ([`slim`],
//! [`slim_kinds`], [`argo`]), converts them into the compact rows of [`model`] (`rows*`)
//! and sends snapshots and deltas to the ui task. Never imports ratatui.
//!
//! [`model`] is the plain data `app` and `ui` read; it imports nothing else of this
//! folder. The re-exports below are for convenience only.

pub mod argo;
pub mod client;
pub mod credentials;
pub mod discovery;
mod error;
pub mod identity;
mod intern;
pub mod kubeconfig;
pub mod model;
pub mod namespaces;
pub mod nodes;
pub mod object;
pub mod pod_places;
mod rows;
pub mod rows_argo;
mod rows_containers;
mod rows_kinds;
mod rows_pod;
pub mod slim;
pub mod slim_kinds;
pub mod table;
pub mod tls_errors;
pub mod watch;

pub use client::client_for;
pub use error::KubeError;
pub use kubeconfig::{ContextInfo, KubeContexts};
pub use model::{
    AnalysisRunRow, CronJobRow, DaemonSetRow, DeploymentRow, EventRow, Failure, HpaRow, JobRow,
    JobState, Kind, ListProgress, NamespacesMsg, ObjKey, ObjectMsg, ObjectRequest, PodReason,
    PodRow, ReplicaSetRow, RevisionRow, Rollout, RolloutRow, Rows, StatefulSetRow, WorkloadKind,
    WorkloadsMsg,
};
