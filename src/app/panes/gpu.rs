//! GPU pane data and its part of `update`. Pure: no I/O.

use crate::app::event::Effect;
use crate::app::state::{SourceId, SourceStatus, State};
use crate::sources::gpu::GpuUpdate;

pub fn on_update(state: &mut State, update: GpuUpdate) -> Vec<Effect> {
    let now = state.now;
    match &update {
        GpuUpdate::Host(h) => {
            let status = match &h.error {
                None => SourceStatus::Live { updated: h.time },
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
    state.dirty = true;
    Vec::new()
}
