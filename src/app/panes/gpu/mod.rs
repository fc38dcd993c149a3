//! GPU pane data and its part of `update`. Pure: no I/O.

mod history;

pub use history::*;

use crate::app::event::Effect;
use crate::app::state::{SourceId, SourceStatus, State};
use crate::pane::PaneId;
use crate::sources::gpu::model::GpuUpdate;

pub fn on_update(state: &mut State, update: GpuUpdate) -> Vec<Effect> {
    let now = state.now;
    match &update {
        GpuUpdate::Host(h) => {
            let status = match &h.error {
                None => SourceStatus::polled(h.time),
                Some(e) => {
                    let last_ok = state.source(SourceId::Gpu).and_then(|s| s.last_update());
                    SourceStatus::Failing {
                        error: format!("{}: {e}", h.host),
                        since: h.time,
                        last_ok,
                    }
                }
            };
            // one failing host does not hide the others: live wins if any host is fine
            let keep_live = matches!(status, SourceStatus::Failing { .. })
                && state
                    .gpu
                    .hosts
                    .iter()
                    .any(|host| host.name != h.host && !host.is_stale());
            if !keep_live {
                state.sources.insert(SourceId::Gpu, status);
            }
        }
        GpuUpdate::NvmlUnavailable(reason) => {
            if state.config.gpu.hosts.iter().all(|h| h.scrape.is_none()) {
                state.sources.insert(
                    SourceId::Gpu,
                    SourceStatus::Unavailable {
                        reason: reason.clone(),
                    },
                );
            }
            let _ = now;
        }
    }
    state.gpu.apply(update);
    clamp_selection(state);
    state.dirty = true;
    Vec::new()
}

/// Keeps the selection on a GPU the pane shows (host or GPU name through the filter).
fn clamp_selection(state: &mut State) {
    let rows = row_count(state);
    let view = state.pane_mut(PaneId::Gpu);
    view.selected = view.selected.min(rows.saturating_sub(1));
}

/// The GPUs the filter lets through (host or GPU name contains it), in host order.
pub fn visible_gpus(state: &State) -> Vec<(&HostState, &GpuEntry)> {
    let filter = state.pane(PaneId::Gpu).filter.to_lowercase();
    state
        .gpu
        .hosts
        .iter()
        .flat_map(|h| h.gpus.iter().map(move |g| (h, g)))
        .filter(|(h, g)| matches(&filter, h, g))
        .collect()
}

/// Rows the Hosts pane selects: its services (first), then the GPUs, through its filter.
pub fn row_count(state: &State) -> usize {
    crate::app::panes::hosts::service_rows(state) + visible_gpus(state).len()
}

/// The selected GPU's position among [`visible_gpus`], when the selection is on a GPU
/// (the services come first).
pub fn selected_gpu(state: &State) -> Option<usize> {
    state
        .pane(PaneId::Gpu)
        .selected
        .checked_sub(crate::app::panes::hosts::service_rows(state))
}

/// Whether the pane's `/` filter (lower-cased) lets a GPU through: its host or its name
/// contains it.
pub fn matches(filter: &str, host: &HostState, gpu: &GpuEntry) -> bool {
    filter.is_empty()
        || host.name.to_lowercase().contains(filter)
        || gpu
            .sample
            .name
            .as_deref()
            .is_some_and(|n| n.to_lowercase().contains(filter))
}
