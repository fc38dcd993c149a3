//! Per-pane data held in State, and each pane's share of `update`. One file per pane.

pub mod errors;
pub mod gpu;
pub mod hosts;
pub mod logs;
pub mod pipeline;
pub mod workloads;

use super::state::State;
use crate::pane::PaneId;

/// How many rows a pane shows now, where the pane knows; selection moves are clamped to it.
pub fn row_count(state: &State, pane: PaneId) -> Option<usize> {
    match pane {
        PaneId::Errors => Some(errors::row_count(state)),
        PaneId::Gpu => Some(gpu::row_count(state)),
        PaneId::Workloads => Some(workloads::row_count(state)),
        PaneId::Pipeline | PaneId::Logs => None,
    }
}

/// The logs pane follows the deployment selected in Workloads: every pod of it, joining
/// and leaving as they come and go. Nothing is restarted while the selection stays.
pub fn follow_selected_deployment(state: &mut State) -> Vec<super::event::Effect> {
    use crate::sources::logs::LogTarget;
    let Some(d) = workloads::current_deployment(state) else {
        return Vec::new();
    };
    if d.selector.is_empty() {
        return Vec::new();
    }
    let selector: Vec<String> = d.selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let target = LogTarget::Selector {
        namespace: d.key.namespace.clone(),
        selector: selector.join(","),
        label: d.key.name.clone(),
    };
    if state.logs.target.as_ref() == Some(&target) {
        return Vec::new();
    }
    logs::follow(state, target)
}
