//! Logs pane data and its part of `update`. Pure: no I/O.

use crate::app::event::Effect;
use crate::app::state::State;

/// What the logs source has told the ui task.
#[derive(Debug, Clone, Default)]
pub struct LogsData {}

/// Messages from the logs source.
#[derive(Debug, Clone)]
pub enum LogsMsg {}

pub fn on_msg(_state: &mut State, msg: LogsMsg) -> Vec<Effect> {
    match msg {}
}
