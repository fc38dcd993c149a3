//! Error-rate pane data and its part of `update`. Pure: no I/O.

use crate::app::event::Effect;
use crate::app::state::{SourceId, SourceStatus, State};
use crate::sources::metrics::{Health, MetricsUpdate};

pub fn on_update(state: &mut State, update: MetricsUpdate) -> Vec<Effect> {
    let at = update.at;
    let failing: Vec<String> = update
        .health
        .iter()
        .filter_map(|h| match &h.health {
            Health::Failing { error } => Some(format!("{}: {}", h.service, error)),
            Health::Up => None,
        })
        .collect();
    let any_up = update.health.iter().any(|h| h.health == Health::Up) || !update.points.is_empty();
    state.errors.apply(update);
    let last_ok = state
        .source(SourceId::Metrics)
        .and_then(|s| s.last_update());
    let status = if failing.is_empty() || any_up {
        SourceStatus::Live { updated: at }
    } else {
        SourceStatus::Failing {
            error: failing.join("; "),
            since: at,
            last_ok,
        }
    };
    state.sources.insert(SourceId::Metrics, status);
    state.dirty = true;
    Vec::new()
}
