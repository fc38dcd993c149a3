//! The Kubernetes source's plain data: how objects are keyed and named, the compact rows
//! the watchers make of them, and the messages the source sends. What `app` and `ui` read
//! of the cluster. Nothing here decodes or talks to the API server: the decoders (`slim*`,
//! `argo`, `rows*`) and the tasks (`watch`, `namespaces`, `object`) import this, never the
//! other way round.

mod argo;
mod key;
mod kinds;
mod msg;
mod nodes;
mod objref;
mod resources;
mod rows;

pub use argo::{
    AnalysisRunRow, HASH_LABEL, MEASUREMENTS, MetricRow, ROLLOUT_REVISION_ANNOTATION, RolloutPhase,
    RolloutRow, Step, Strategy,
};
pub use key::{Kind, ObjKey, WorkloadKind};
pub use kinds::{
    CronJobRow, DaemonSetRow, JobRow, JobState, RevisionRow, SetUpdate, StatefulSetRow,
};
pub use msg::{
    DescribeMsg, Described, Failure, ListProgress, NamespacesMsg, ObjectMsg, ObjectRequest, Rows,
    WorkloadsMsg,
};
pub use nodes::{NodeRow, NodesMsg};
pub use objref::ObjectRef;
pub use resources::{
    ApiResource, DiscoveryMsg, TableColumn, TableMsg, TableRequest, TableRow, path_segment,
};
pub use rows::{
    CHANGE_CAUSE_ANNOTATION, Condition, ContainerRole, ContainerSpec, ContainerState,
    DeploymentRow, EventRow, GPU_RESOURCE, HpaRow, PodReason, PodRow, REVISION_ANNOTATION,
    ReplicaSetRow, Rollout, TIMED_OUT_REASON, short_image,
};
