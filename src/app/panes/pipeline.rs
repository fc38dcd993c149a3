//! Pipeline pane data and its part of `update`. Pure: no I/O.

use crate::app::event::Effect;
use crate::app::state::State;

/// What the pipeline source has told the ui task.
#[derive(Debug, Clone, Default)]
pub struct PipelineData {}

/// Messages from the pipeline source.
#[derive(Debug, Clone)]
pub enum PipelineMsg {}

pub fn on_msg(_state: &mut State, msg: PipelineMsg) -> Vec<Effect> {
    match msg {}
}
