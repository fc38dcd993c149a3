//! The Workloads pane's keys while it has focus: detail, pods list, sort, the YAML view,
//! and the narrowing commands.

use super::columns::{current_table, sort_of};
use super::kinds::Narrow;
use super::model::TableId;
use super::model::{Detail, DetailTarget, Section};
use super::views::{current_workload, visible_pods};
use super::yaml;
use crate::action::Action;
use crate::app::cluster::WorkloadRef;
use crate::app::event::Effect;
use crate::app::state::State;
use crate::app::table_sort::{ColumnSort, SortMenu};
use crate::pane::PaneId;
use crate::sources::kube::WorkloadKind;

/// The pane's own handling of an action while it has focus and no overlay is open;
/// `None` leaves the action to the generic handler.
pub fn on_action(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    if state.workloads.sort_menu.is_some() {
        return Some(sort_menu_action(state, action));
    }
    if state.workloads.yaml.is_some() {
        return yaml::on_action(state, action);
    }
    if super::generic::is_shown(state) {
        return super::generic::on_action(state, action);
    }
    if action == Action::WorkloadsYaml {
        return Some(yaml::open(state));
    }
    if action == Action::WorkloadsDescribe {
        return Some(super::describe::open(state));
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
                state.workloads.marks.clear();
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
            if !state.workloads.marks.is_empty() {
                state.workloads.marks.clear();
                state.set_flash(crate::app::state::FlashLevel::Info, "marks cleared".into());
            } else if in_pods && state.pane(PaneId::Workloads).filter.is_empty() {
                leave_pods(state);
            } else {
                return None;
            }
        }
        Action::WorkloadsSort => {
            let table = current_table(state);
            let menu = SortMenu::new(
                DEFAULT_ORDER,
                super::columns::titles(state, table),
                sort_of(state, table),
            );
            state.workloads.sort_menu = Some((table, menu));
        }
        Action::WorkloadsSortReverse => {
            let table = current_table(state);
            let sort = sort_of(state, table).reversed();
            set_sort(state, table, sort);
        }
        Action::WorkloadsMark => mark(state),
        _ => return None,
    }
    state.dirty = true;
    Some(Vec::new())
}

/// What the default order is called.
const DEFAULT_ORDER: &str = "trouble first (default)";

/// Keys while the sort menu is open: move, pick (enter), reverse, close.
fn sort_menu_action(state: &mut State, action: Action) -> Vec<Effect> {
    let Some((table, menu)) = &mut state.workloads.sort_menu else {
        return Vec::new();
    };
    let table = *table;
    match action {
        Action::SelectDown => menu.down(),
        Action::SelectUp => menu.up(),
        Action::SelectTop => menu.selected = 0,
        Action::SelectBottom => menu.selected = menu.len() - 1,
        Action::Open => {
            let sort = menu.chosen();
            state.workloads.sort_menu = None;
            set_sort(state, table, sort);
        }
        Action::WorkloadsSortReverse => {
            let sort = menu.current.reversed();
            state.workloads.sort_menu = None;
            set_sort(state, table, sort);
        }
        Action::Back | Action::WorkloadsSort | Action::Quit => state.workloads.sort_menu = None,
        _ => {}
    }
    state.dirty = true;
    Vec::new()
}

/// A table's new order; the cursor stays on its row (see `refresh_view`).
pub(super) fn set_sort(state: &mut State, table: TableId, sort: ColumnSort) {
    if table == TableId::Generic {
        super::generic::set_sort(state, sort);
        return;
    }
    let label = sort.label(DEFAULT_ORDER);
    if sort.column.is_none() {
        state.workloads.sorts.remove(&table);
    } else {
        state.workloads.sorts.insert(table, sort);
    }
    state.set_flash(crate::app::state::FlashLevel::Info, label);
    state.dirty = true;
}

/// `space`: marks the row under the cursor (or unmarks it), and moves down.
fn mark(state: &mut State) {
    let row = match &state.workloads.section {
        Section::Deployments => {
            let keys = super::views::table_keys(state);
            let sel = state.pane(PaneId::Workloads).selected;
            keys.get(sel).cloned()
        }
        Section::Pods { .. } => {
            let pods = visible_pods(state);
            let sel = state.pane(PaneId::Workloads).selected;
            pods.get(sel)
                .map(|p| WorkloadRef::new(WorkloadKind::Pod, p.key.clone()))
        }
    };
    let Some(row) = row else {
        return;
    };
    let marks = &mut state.workloads.marks;
    if !marks.remove(&row) {
        marks.insert(row);
    }
    let rows = super::views::row_count(state);
    let view = state.pane_mut(PaneId::Workloads);
    view.selected = (view.selected + 1).min(rows.saturating_sub(1));
}

fn leave_pods(state: &mut State) {
    state.workloads.marks.clear();
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
    data.marks.clear();
    data.sort_menu = None;
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
