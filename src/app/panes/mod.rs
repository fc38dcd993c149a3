//! Per-pane data held in State, and each pane's share of `update`. One file per pane.

pub mod errors;
pub mod gpu;
pub mod hosts;
pub mod logs;
pub mod nodes;
pub mod pipeline;
pub mod workloads;

use super::state::State;
use crate::pane::PaneId;

/// How many rows a pane shows now, where the pane knows; selection moves are clamped to it.
pub fn row_count(state: &State, pane: PaneId) -> Option<usize> {
    match pane {
        PaneId::Errors => Some(errors::row_count(state)),
        PaneId::Hosts => Some(gpu::row_count(state)),
        PaneId::Workloads if workloads::generic::is_shown(state) => {
            Some(workloads::generic::row_count(state))
        }
        PaneId::Workloads => Some(workloads::row_count(state)),
        PaneId::Pipeline | PaneId::Logs => None,
    }
}

/// What a kept `/` filter lets through: `(matching rows, all rows)` of the list it filters,
/// for the pane title (`/car 1 of 3`). `None` without a filter, and for Logs, whose
/// filter is a query over lines drawn by the logs pane itself.
pub fn filter_matches(state: &State, pane: PaneId) -> Option<(usize, usize)> {
    let filter = &state.pane(pane).filter;
    if filter.is_empty() {
        return None;
    }
    match pane {
        PaneId::Workloads if workloads::generic::is_shown(state) => {
            let g = state.workloads.generic.as_ref()?;
            Some((g.shown.len(), g.rows.len()))
        }
        PaneId::Workloads if state.nodes.shown => {
            Some((state.nodes.lines.len(), state.nodes.rows.len()))
        }
        PaneId::Workloads => {
            let data = &state.workloads;
            Some(match &data.section {
                workloads::Section::Deployments => (
                    workloads::table_keys(state).len(),
                    workloads::table_total(state),
                ),
                workloads::Section::Pods { workload, .. } => (
                    workloads::pod_keys(state, workload).len(),
                    workloads::pods_total(state, workload),
                ),
            })
        }
        PaneId::Pipeline => Some((
            pipeline::visible_runs(state).len(),
            state.pipeline.runs().len(),
        )),
        PaneId::Errors => Some((errors::row_count(state), state.errors.services.len())),
        PaneId::Hosts => {
            let services = state.hosts.visible_services(filter).len();
            let gpus = gpu::visible_gpus(state).len();
            let all_gpus: usize = state.gpu.hosts.iter().map(|h| h.gpus.len()).sum();
            Some((services + gpus, state.hosts.services.len() + all_gpus))
        }
        PaneId::Logs => None,
    }
}

/// The logs pane follows the workload selected in Workloads, whatever its kind: every pod
/// of its selector (a Deployment's, StatefulSet's, DaemonSet's or Job's `spec.selector`, a
/// CronJob's newest Job's), joining and leaving as they come and go; a pod row follows
/// that pod. Nothing is restarted while the selection stays.
pub fn follow_selected_workload(state: &mut State) -> Vec<super::event::Effect> {
    use crate::sources::kube::model::WorkloadKind;
    use crate::sources::logs::LogTarget;
    let Some(w) = workloads::current_workload(state) else {
        return Vec::new();
    };
    let target = if w.kind == WorkloadKind::Pod {
        if !state.cluster.pods.contains_key(&w.key) {
            return Vec::new();
        }
        LogTarget::Pods {
            namespace: w.key.namespace.clone(),
            pods: vec![w.key.name.clone()],
        }
    } else {
        let Some(selector) = state.cluster.selector_of(&w) else {
            return Vec::new();
        };
        let selector: Vec<String> = selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
        LogTarget::Selector {
            namespace: w.key.namespace.clone(),
            selector: selector.join(","),
            label: w.key.name.clone(),
        }
    };
    if state.logs.target.as_ref() == Some(&target) {
        return Vec::new();
    }
    logs::follow(state, target)
}
