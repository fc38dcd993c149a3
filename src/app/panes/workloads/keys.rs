//! The Workloads pane's keys while it has focus: detail, pods list, sort, the YAML view,
//! and the narrowing commands.

use super::kinds::Narrow;
use super::model::{Detail, DetailTarget, Section};
use super::views::{current_workload, visible_pods};
use super::yaml;
use crate::action::Action;
use crate::app::event::Effect;
use crate::app::state::State;
use crate::pane::PaneId;
use crate::sources::kube::WorkloadKind;

/// The pane's own handling of an action while it has focus and no overlay is open;
/// `None` leaves the action to the generic handler.
pub fn on_action(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    if state.workloads.yaml.is_some() {
        return yaml::on_action(state, action);
    }
    if super::generic::is_shown(state) {
        return super::generic::on_action(state, action);
    }
    if action == Action::WorkloadsYaml {
        return Some(yaml::open(state));
    }
    if let Some(detail) = &mut state.workloads.detail {
        match action {
            Action::SelectDown => detail.scroll = detail.scroll.saturating_add(1),
            Action::SelectUp => detail.scroll = detail.scroll.saturating_sub(1),
            Action::PageDown => detail.scroll = detail.scroll.saturating_add(10),
            Action::PageUp => detail.scroll = detail.scroll.saturating_sub(10),
            Action::SelectTop => detail.scroll = 0,
            Action::Back | Action::Open => state.workloads.detail = None,
            _ => return None,
        }
        state.dirty = true;
        return Some(Vec::new());
    }
    match action {
        Action::Open => {
            let target = match &state.workloads.section {
                Section::Deployments => current_workload(state).map(|w| match w.kind {
                    WorkloadKind::Deployment => DetailTarget::Deployment(w.key),
                    WorkloadKind::Pod => DetailTarget::Pod(w.key),
                    _ => DetailTarget::Workload(w),
                }),
                Section::Pods { .. } => {
                    let pods = visible_pods(state);
                    let sel = state
                        .pane(PaneId::Workloads)
                        .selected
                        .min(pods.len().saturating_sub(1));
                    pods.get(sel).map(|p| DetailTarget::Pod(p.key.clone()))
                }
            };
            state.workloads.detail = target.map(|target| Detail { target, scroll: 0 });
        }
        Action::WorkloadsPods => match state.workloads.section.clone() {
            Section::Deployments => {
                let Some(w) = current_workload(state) else {
                    return Some(Vec::new());
                };
                if w.kind == WorkloadKind::Pod {
                    state.set_flash(
                        crate::app::state::FlashLevel::Info,
                        "a pod has no pods list: enter opens its detail".into(),
                    );
                    return Some(Vec::new());
                }
                let view = state.pane_mut(PaneId::Workloads);
                let table_selected = view.selected;
                view.selected = 0;
                view.filter.clear();
                state.workloads.section = Section::Pods {
                    workload: w,
                    table_selected,
                };
            }
            Section::Pods { .. } => leave_pods(state),
        },
        Action::Back => {
            let in_pods = matches!(state.workloads.section, Section::Pods { .. });
            if in_pods && state.pane(PaneId::Workloads).filter.is_empty() {
                leave_pods(state);
            } else {
                return None;
            }
        }
        Action::WorkloadsSort => {
            state.workloads.sort = state.workloads.sort.next();
            let label = state.workloads.sort.label();
            state.set_flash(
                crate::app::state::FlashLevel::Info,
                format!("workloads sorted by {label}"),
            );
        }
        _ => return None,
    }
    state.dirty = true;
    Some(Vec::new())
}

fn leave_pods(state: &mut State) {
    if let Section::Pods { table_selected, .. } = std::mem::take(&mut state.workloads.section) {
        let view = state.pane_mut(PaneId::Workloads);
        view.selected = table_selected;
        view.filter.clear();
    }
}

/// A narrowing command (`:sts`, `:pods`, `:all`, …): the table shows those kinds, the
/// cursor starts again from the top.
pub fn narrow(state: &mut State, narrow: Narrow) {
    let data = &mut state.workloads;
    data.narrow = narrow;
    data.section = Section::Deployments;
    data.detail = None;
    data.yaml = None;
    let view = state.pane_mut(PaneId::Workloads);
    view.selected = 0;
    view.filter.clear();
    state.focus = PaneId::Workloads;
    state.set_flash(
        crate::app::state::FlashLevel::Info,
        format!("workloads: {}", narrow.label()),
    );
    state.dirty = true;
}
