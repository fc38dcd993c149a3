//! The generic view: any resource the cluster serves, as `kubectl get` prints it — the
//! server's Table columns (priority 0; those of `-o wide` where the pane has room), a
//! NAMESPACE column first across all namespaces — kept live by a Table watch that runs
//! only while the view is shown ([`Effect::WatchTable`] when it opens or the scope
//! changes, [`Effect::StopTable`] when it is left). `enter` shows a row's YAML. Pure.

use crate::action::Action;
use crate::app::event::Effect;
use crate::app::state::{FlashLevel, State};
use crate::app::table_sort::{ColumnSort, SortMenu};
use crate::pane::PaneId;
use crate::sources::kube::model::{ApiResource, ObjKey, TableMsg, TableRequest, TableRow};

pub use super::generic_view::{CellSource, GenericView, ShownColumn, cell, columns};

/// Whether the generic view is what the Workloads pane shows.
pub fn is_shown(state: &State) -> bool {
    state.workloads.generic.is_some()
}

fn request(state: &State, view: &GenericView) -> Effect {
    Effect::WatchTable(TableRequest {
        generation: state.generation,
        view: view.view,
        resource: view.resource.clone(),
        namespace: state.scope.namespace.clone(),
    })
}

/// Opens the table of `resource` in the Workloads pane (replacing what it showed) and
/// starts its list and watch.
pub fn open(state: &mut State, resource: ApiResource) -> Vec<Effect> {
    let id = state.workloads.generic.as_ref().map_or(0, |g| g.view) + 1;
    let view = GenericView::new(resource, id);
    let effect = request(state, &view);
    let label = view.resource.label();
    state.workloads.detail = None;
    state.workloads.yaml = None;
    state.workloads.section = super::model::Section::Deployments;
    state.workloads.generic = Some(view);
    state.nodes.shown = false;
    let pane = state.pane_mut(PaneId::Workloads);
    pane.selected = 0;
    pane.filter.clear();
    state.focus = PaneId::Workloads;
    state.set_flash(FlashLevel::Info, label);
    state.dirty = true;
    vec![effect]
}

/// Leaves the generic view (back to the workload table): its watch stops.
pub fn close(state: &mut State) -> Vec<Effect> {
    if state.workloads.generic.take().is_none() {
        return Vec::new();
    }
    let pane = state.pane_mut(PaneId::Workloads);
    pane.selected = 0;
    pane.filter.clear();
    state.dirty = true;
    vec![Effect::StopTable]
}

/// A new scope: the same resource, listed and watched there (the rows of the scope left
/// go at once).
pub fn on_scope_changed(state: &mut State) -> Vec<Effect> {
    let Some(old) = state.workloads.generic.take() else {
        return Vec::new();
    };
    let view = GenericView::new(old.resource, old.view + 1);
    let effect = request(state, &view);
    state.workloads.generic = Some(view);
    vec![effect]
}

/// A message of the table's source, if it is for the view shown.
pub fn on_msg(state: &mut State, msg: TableMsg) {
    let Some(view) = state.workloads.generic.as_mut() else {
        return;
    };
    if view.view != msg.view() {
        return;
    }
    match msg {
        TableMsg::Listed { columns, rows, .. } => {
            view.columns = columns;
            view.replace(rows);
            view.listed = true;
            view.error = None;
        }
        TableMsg::Applied { rows, .. } => {
            if rows.is_empty() {
                return;
            }
            view.apply(rows);
            view.error = None;
        }
        TableMsg::Deleted { ids, .. } => view.delete(&ids),
        TableMsg::Failed { error, .. } => view.error = Some(crate::text::sanitize(&error)),
    }
    state.dirty = true;
}

/// Rebuilds the rows as shown where rows or the filter changed (from `settle`).
pub fn refresh(state: &mut State) {
    let filter = state.pane(PaneId::Workloads).filter.clone();
    if let Some(view) = state.workloads.generic.as_mut() {
        view.refresh(&filter);
    }
}

pub fn row_count(state: &State) -> usize {
    state
        .workloads
        .generic
        .as_ref()
        .map_or(0, |g| g.shown.len())
}

/// The view's keys: `enter` (and `y`) show the row's YAML, `esc` goes back to the
/// workload table; operations that act on a workload have nothing to act on here.
pub fn on_action(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    let view = state.workloads.generic.as_ref()?;
    match action {
        Action::Open | Action::WorkloadsYaml => {
            let selected = state.pane(PaneId::Workloads).selected;
            let Some(row) = view.selected_row(selected) else {
                return Some(Vec::new());
            };
            let key = ObjKey::new(&row.namespace, &row.name);
            let resource = view.resource.clone();
            Some(super::yaml::open_resource(state, resource, key))
        }
        Action::Back if !view.marks.is_empty() => {
            if let Some(v) = state.workloads.generic.as_mut() {
                v.marks.clear();
            }
            state.set_flash(FlashLevel::Info, "marks cleared".into());
            state.dirty = true;
            Some(Vec::new())
        }
        Action::WorkloadsDescribe => {
            let selected = state.pane(PaneId::Workloads).selected;
            let Some(row) = view.selected_row(selected) else {
                return Some(Vec::new());
            };
            let key = ObjKey::new(&row.namespace, &row.name);
            let resource = view.resource.clone();
            Some(super::describe::open_resource(state, resource, key))
        }
        Action::Back if state.pane(PaneId::Workloads).filter.is_empty() => Some(close(state)),
        Action::WorkloadsSort => {
            let table = super::model::TableId::Generic;
            let menu = SortMenu::new(
                DEFAULT_ORDER,
                columns(view, state.scope.namespace.is_none(), true)
                    .into_iter()
                    .map(|c| c.title)
                    .collect(),
                view.sort.clone(),
            );
            state.workloads.sort_menu = Some((table, menu));
            state.dirty = true;
            Some(Vec::new())
        }
        Action::WorkloadsSortReverse => {
            let sort = view.sort.reversed();
            set_sort(state, sort);
            Some(Vec::new())
        }
        Action::WorkloadsMark => {
            mark(state);
            Some(Vec::new())
        }
        Action::WorkloadsPods => Some(Vec::new()),
        _ => None,
    }
}

/// What the default order is called.
const DEFAULT_ORDER: &str = "namespace, name (default)";

/// The view's new order: the cursor stays on its row.
pub(super) fn set_sort(state: &mut State, sort: ColumnSort) {
    let filter = state.pane(PaneId::Workloads).filter.clone();
    let selected = state.pane(PaneId::Workloads).selected;
    let Some(view) = state.workloads.generic.as_mut() else {
        return;
    };
    let label = sort.label(DEFAULT_ORDER);
    let id = view.selected_row(selected).map(TableRow::id);
    view.sort = sort;
    view.refresh(&filter);
    let at = id.and_then(|id| view.position(&id));
    if let Some(at) = at {
        state.pane_mut(PaneId::Workloads).selected = at;
    }
    state.set_flash(FlashLevel::Info, label);
    state.dirty = true;
}

/// `space`: marks the row under the cursor (or unmarks it), and moves down.
fn mark(state: &mut State) {
    let selected = state.pane(PaneId::Workloads).selected;
    let Some(view) = state.workloads.generic.as_mut() else {
        return;
    };
    let Some(id) = view.selected_row(selected).map(TableRow::id) else {
        return;
    };
    if !view.marks.remove(&id) {
        view.marks.insert(id);
    }
    let rows = view.shown.len();
    let pane = state.pane_mut(PaneId::Workloads);
    pane.selected = (selected + 1).min(rows.saturating_sub(1));
    state.dirty = true;
}
