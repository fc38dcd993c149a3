//! GPU pane data and its part of `update`. Pure: no I/O.
//!
//! The pane's rows below the Hosts pane's services: per host (worst first) one host row,
//! and when the host is expanded its GPUs (marked ones first). `enter` on a host row
//! expands or collapses it; on a GPU a pod uses, it opens that pod in Workloads.

mod health;
mod history;
pub mod nodes;

pub use health::*;
pub use history::*;

use crate::action::Action;
use crate::app::event::Effect;
use crate::app::intent::Intent;
use crate::app::state::{FlashLevel, SourceId, SourceStatus, State};
use crate::pane::PaneId;
use crate::sources::gpu::model::GpuUpdate;

pub fn on_update(state: &mut State, mut update: GpuUpdate) -> Vec<Effect> {
    // a fleet's hosts are the nodes their exporters run on, as the cluster's pods say
    if let GpuUpdate::Round(hosts) = &mut update {
        let (named, renames) = state.gpu.fleet_names.name(
            std::mem::take(hosts),
            state.cluster.generation(),
            state.cluster.pods.values().map(nodes::place),
        );
        *hosts = named;
        for (from, to) in renames {
            state.gpu.rename_host(&from, &to);
        }
    }
    match &update {
        GpuUpdate::Host(h) => {
            let status = match &h.error {
                None => SourceStatus::polled(h.time),
                Some(e) => failing(state, format!("{}: {e}", h.host), h.time),
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
        GpuUpdate::Round(hosts) => {
            let time = hosts.first().map_or(state.now, |h| h.time);
            let status = match hosts.iter().filter(|h| h.error.is_some()).count() {
                n if n > 0 && n == hosts.len() => {
                    failing(state, "no GPU series in Prometheus".to_owned(), time)
                }
                _ => SourceStatus::polled(time),
            };
            state.sources.insert(SourceId::Gpu, status);
        }
        GpuUpdate::Failed(error) => {
            let status = failing(state, error.clone(), state.now);
            state.sources.insert(SourceId::Gpu, status);
        }
        GpuUpdate::NvmlUnavailable(reason) => {
            if state.config.gpu.hosts.iter().all(|h| h.scrape.is_none())
                && state.config.gpu_prometheus().is_none()
            {
                state.sources.insert(
                    SourceId::Gpu,
                    SourceStatus::Unavailable {
                        reason: reason.clone(),
                    },
                );
            }
        }
    }
    state.gpu.apply(update);
    sort_hosts(&mut state.gpu, state.now);
    clamp_selection(state);
    state.dirty = true;
    Vec::new()
}

/// Failing since the first failure of a run of them, with the last good contact.
fn failing(state: &State, error: String, at: jiff::Timestamp) -> SourceStatus {
    let current = state.source(SourceId::Gpu);
    SourceStatus::failing(current, error, at, current.and_then(|s| s.last_update()))
}

/// Keeps the selection on a row the pane shows.
fn clamp_selection(state: &mut State) {
    let rows = row_count(state);
    let view = state.pane_mut(PaneId::Hosts);
    view.selected = view.selected.min(rows.saturating_sub(1));
}

/// One row of the GPU part of the pane: positions in `state.gpu.hosts` and its `gpus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GpuRow {
    Host(usize),
    Gpu(usize, usize),
}

/// The GPU rows, in order: hosts worst first, each followed by its GPUs when expanded
/// (marked first). Through the `/` filter (host, GPU name or pod): a host whose name does
/// not match shows only its matching GPUs, expanded.
pub fn rows(state: &State) -> Vec<GpuRow> {
    let filter = state.pane(PaneId::Hosts).filter.to_lowercase();
    let g = &state.gpu;
    let now = state.now;
    let mut out = Vec::new();
    let order: Box<dyn Iterator<Item = usize>> = if g.order.len() == g.hosts.len() {
        Box::new(g.order.iter().copied())
    } else {
        Box::new(0..g.hosts.len())
    };
    for h in order {
        let host = &g.hosts[h];
        let host_matches = filter.is_empty() || host.name.to_lowercase().contains(&filter);
        let gpus: Vec<usize> = gpu_order(host, now)
            .into_iter()
            .filter(|&i| host_matches || matches(&filter, host, &host.gpus[i]))
            .collect();
        if !host_matches && gpus.is_empty() {
            continue;
        }
        out.push(GpuRow::Host(h));
        if !host_matches || is_expanded(g, host, now) {
            out.extend(gpus.into_iter().map(|i| GpuRow::Gpu(h, i)));
        }
    }
    out
}

/// The GPUs the filter lets through (host, GPU name or pod contains it), in row order,
/// collapsed hosts included (the zoomed view's charts).
pub fn visible_gpus(state: &State) -> Vec<(&HostState, &GpuEntry)> {
    let filter = state.pane(PaneId::Hosts).filter.to_lowercase();
    state
        .gpu
        .hosts
        .iter()
        .flat_map(|h| h.gpus.iter().map(move |g| (h, g)))
        .filter(|(h, g)| matches(&filter, h, g))
        .collect()
}

/// The service rows above the GPU rows: the services the pane's filter lets through.
fn service_rows(state: &State) -> usize {
    state
        .hosts
        .visible_services(&state.pane(PaneId::Hosts).filter)
        .len()
}

/// Rows the Hosts pane selects: its services (first), then the GPU rows.
pub fn row_count(state: &State) -> usize {
    service_rows(state) + rows(state).len()
}

/// The selected row's position among [`rows`], when the selection is on one (the services
/// come first).
pub fn selected_row(state: &State) -> Option<usize> {
    state
        .pane(PaneId::Hosts)
        .selected
        .checked_sub(service_rows(state))
}

/// Whether the pane's `/` filter (lower-cased) lets a GPU through: its host, its name or
/// its pod (`namespace/pod`) contains it.
pub fn matches(filter: &str, host: &HostState, gpu: &GpuEntry) -> bool {
    filter.is_empty()
        || host.name.to_lowercase().contains(filter)
        || gpu
            .sample
            .name
            .as_deref()
            .is_some_and(|n| n.to_lowercase().contains(filter))
        || gpu.sample.pods().any(|p| {
            format!("{}/{}", p.namespace, p.pod)
                .to_lowercase()
                .contains(filter)
        })
}

/// `enter` in the pane: on a host row it expands or collapses the host; on a GPU a pod
/// uses it opens the pod in Workloads. `None` when the key is not the pane's.
pub fn on_action(state: &mut State, action: Action) -> Option<Vec<Intent>> {
    if action != Action::Open {
        return None;
    }
    let row = selected_row(state).and_then(|i| rows(state).get(i).copied())?;
    match row {
        GpuRow::Host(h) => {
            let host = &state.gpu.hosts[h];
            let expanded = is_expanded(&state.gpu, host, state.now);
            let name = host.name.clone();
            state.gpu.toggled.insert(name, !expanded);
            clamp_selection(state);
            state.dirty = true;
            Some(Vec::new())
        }
        GpuRow::Gpu(h, i) => {
            let gpu = &state.gpu.hosts[h].gpus[i].sample;
            let pod = gpu.pods().next().cloned();
            match pod {
                Some(pod) => Some(vec![Intent::RevealPod {
                    namespace: pod.namespace,
                    pod: pod.pod,
                }]),
                None => {
                    let text = format!("{} GPU {}: no pod on this GPU", gpu.host, gpu.index);
                    state.set_flash(FlashLevel::Info, text);
                    Some(Vec::new())
                }
            }
        }
    }
}

/// The GPUs a pod runs on (the whole GPU or one of its MIG instances), by the exporter's pod
/// labels (Kubernetes mode), in host and index order: for the pod's detail in the Workloads
/// pane.
pub fn gpus_of_pod<'a>(
    state: &'a State,
    namespace: &str,
    pod: &str,
) -> Vec<(&'a HostState, &'a GpuEntry)> {
    let mut v: Vec<(&HostState, &GpuEntry)> = state
        .gpu
        .hosts
        .iter()
        .flat_map(|h| h.gpus.iter().map(move |g| (h, g)))
        .filter(|(_, g)| {
            g.sample
                .pods()
                .any(|p| p.namespace == namespace && p.pod == pod)
        })
        .collect();
    v.sort_by(|a, b| {
        a.0.name
            .cmp(&b.0.name)
            .then(a.1.sample.index.cmp(&b.1.sample.index))
    });
    v
}
