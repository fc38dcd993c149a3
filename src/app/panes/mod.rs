//! Per-pane data held in State, and each pane's share of `update`. One file per pane.

pub mod errors;
pub mod gpu;
pub mod logs;
pub mod pipeline;
pub mod workloads;

use super::pane::PaneId;
use super::state::State;

/// How many rows a pane shows now, where the pane knows; selection moves are clamped to it.
pub fn row_count(state: &State, pane: PaneId) -> Option<usize> {
    match pane {
        PaneId::Errors => Some(errors::row_count(state)),
        PaneId::Gpu => Some(gpu::row_count(state)),
        PaneId::Pipeline | PaneId::Workloads | PaneId::Logs => None,
    }
}
