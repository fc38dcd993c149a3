//! The Workloads pane: its view of the cluster store (kind narrowing, sort, filter,
//! section, selection, detail, YAML view) and its keys. The rows themselves are the
//! store's (`app::cluster`), fed by `update`. Pure: no I/O.

pub mod columns;
mod deployment_ops;
pub mod describe;
mod empty;
pub mod generic;
mod generic_view;
mod keys;
mod kinds;
mod model;
pub mod ops;
pub mod rollouts;
mod views;
pub mod yaml;

pub use crate::app::cluster::{LastResult, WorkloadRef};
pub use columns::{current_table, pod_rank, sort_of};
pub use empty::{EmptyWhy, empty_why};
pub use keys::{narrow, on_action};
pub use kinds::*;
pub use model::{Detail, DetailTarget, Section, TableId, WorkloadsView};
pub use ops::{on_hinted, on_operation};
pub use views::*;

use crate::app::state::State;
use crate::sources::kube::ObjKey;

/// A new context or namespace: the view starts again, keeping its sorts and narrowing
/// (marks are cleared: they named the scope's objects).
pub fn on_scope_changed(state: &mut State) {
    let sorts = std::mem::take(&mut state.workloads.sorts);
    let narrow = state.workloads.narrow;
    // the generic view stays, to be listed again in the new scope (`generic::on_scope_changed`)
    let generic = state.workloads.generic.take();
    state.workloads = WorkloadsView {
        sorts,
        narrow,
        generic,
        ..Default::default()
    };
}

/// Opens one pod's detail (the Hosts pane's `enter` on a GPU a pod uses, through
/// `update`, which has switched the namespace and focused the pane first).
pub fn show_pod(state: &mut State, namespace: &str, pod: &str) {
    state.workloads.yaml = None;
    state.workloads.detail = Some(Detail {
        target: DetailTarget::Pod(ObjKey::new(namespace, pod)),
        scroll: 0,
    });
    state.dirty = true;
}
