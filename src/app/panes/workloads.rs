//! Workloads pane data and its part of `update`. Pure: no I/O.

use crate::app::event::Effect;
use crate::app::state::State;

/// What the workloads source has told the ui task.
#[derive(Debug, Clone, Default)]
pub struct WorkloadsData {}

/// Messages from the workloads source.
#[derive(Debug, Clone)]
pub enum WorkloadsMsg {}

pub fn on_msg(_state: &mut State, msg: WorkloadsMsg) -> Vec<Effect> {
    match msg {}
}
