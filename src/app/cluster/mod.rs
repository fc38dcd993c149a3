//! The cluster store: every object the cluster source watches, kept by kind and key with
//! the indexes its readers need (by owner, by ReplicaSet, by controller), changed only by
//! [`ClusterStore::apply`] of one message of the source. One home for the cluster's
//! objects, as bottom keeps one `DataStore`: the Workloads pane draws a view of it, and
//! dialogs, copy, the incident hint, the Hosts pane and the logs follower read it too.
//! Pure: no I/O, no pane.
//!
//! Split along its seams, each file beside the others and none importing this one:
//! `store` (the tables and `apply`), `index` (the keys and name indexes), `queries` (across kinds:
//! a Deployment's ReplicaSets and pods, events, trouble), `workloads` (any workload kind),
//! `argo` (Argo Rollouts).

mod argo;
mod index;
mod queries;
mod store;
mod workloads;

pub use index::{WorkloadRef, owner_key};
pub use store::{ClusterStore, Listing};
pub use workloads::LastResult;

#[cfg(test)]
mod tests;
