//! The generic view: any resource the cluster serves, as `kubectl get` prints it — the
//! server's Table columns (priority 0; those of `-o wide` where the pane has room), a
//! NAMESPACE column first across all namespaces — kept live by a Table watch that runs
//! only while the view is shown ([`Effect::WatchTable`] when it opens or the scope
//! changes, [`Effect::StopTable`] when it is left). `enter` shows a row's YAML. Pure.

use std::collections::HashMap;

use crate::action::Action;
use crate::app::event::Effect;
use crate::app::state::{FlashLevel, State};
use crate::pane::PaneId;
use crate::sources::kube::model::{
    ApiResource, ObjKey, TableColumn, TableMsg, TableRequest, TableRow,
};

/// One resource's table as last listed and watched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenericView {
    pub resource: ApiResource,
    /// This opening's id: messages of an earlier one are dropped.
    pub view: u64,
    pub columns: Vec<TableColumn>,
    /// The rows, in no order; `shown` orders them.
    pub rows: Vec<TableRow>,
    index: HashMap<String, usize>,
    /// The first list has come.
    pub listed: bool,
    /// Why the list or watch fails (a 403 names the verb and resource); rows kept stale.
    pub error: Option<String>,
    /// Rows as shown: indices into `rows`, by namespace and name, filtered.
    pub shown: Vec<usize>,
    /// Bumped when rows change; `shown` is rebuilt when it or the filter changed.
    rows_generation: u64,
    shown_for: Option<(u64, String)>,
}

/// A column as shown: kubectl's title and where its cells come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownColumn {
    pub title: String,
    pub source: CellSource,
    /// Only with `-o wide` (priority above 0).
    pub wide: bool,
    /// An age or time (`date` column): the first to give way after the wide ones.
    pub date: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellSource {
    Namespace,
    Cell(usize),
}

impl GenericView {
    fn new(resource: ApiResource, view: u64) -> GenericView {
        GenericView {
            resource,
            view,
            ..Default::default()
        }
    }

    fn replace(&mut self, rows: Vec<TableRow>) {
        self.index = rows.iter().enumerate().map(|(i, r)| (r.id(), i)).collect();
        self.rows = rows;
        self.rows_generation += 1;
    }

    fn apply(&mut self, rows: Vec<TableRow>) {
        for r in rows {
            match self.index.get(&r.id()) {
                Some(&i) => self.rows[i] = r,
                None => {
                    self.index.insert(r.id(), self.rows.len());
                    self.rows.push(r);
                }
            }
        }
        self.rows_generation += 1;
    }

    fn delete(&mut self, ids: &[String]) {
        for id in ids {
            if let Some(i) = self.index.remove(id) {
                self.rows.swap_remove(i);
                if let Some(moved) = self.rows.get(i) {
                    self.index.insert(moved.id(), i);
                }
            }
        }
        self.rows_generation += 1;
    }

    /// Rebuilds `shown` if the rows or the filter changed since.
    fn refresh(&mut self, filter: &str) {
        let inputs = (self.rows_generation, filter.to_owned());
        if self.shown_for.as_ref() == Some(&inputs) {
            return;
        }
        let needle = filter.to_lowercase();
        let mut shown: Vec<usize> = (0..self.rows.len())
            .filter(|&i| {
                needle.is_empty() || {
                    let r = &self.rows[i];
                    r.name.to_lowercase().contains(&needle)
                        || r.namespace.to_lowercase().contains(&needle)
                        || r.cells.iter().any(|c| c.to_lowercase().contains(&needle))
                }
            })
            .collect();
        let rows = &self.rows;
        shown.sort_by(|&a, &b| {
            (&rows[a].namespace, &rows[a].name).cmp(&(&rows[b].namespace, &rows[b].name))
        });
        self.shown = shown;
        self.shown_for = Some(inputs);
    }

    /// The row under the cursor.
    pub fn selected_row(&self, selected: usize) -> Option<&TableRow> {
        let i = *self
            .shown
            .get(selected.min(self.shown.len().saturating_sub(1)))?;
        self.rows.get(i)
    }
}

/// kubectl's columns for this table: NAMESPACE first across all namespaces (for a
/// namespaced resource), then the server's columns of priority 0, and with `wide` those
/// of `-o wide` too; titles in upper case.
pub fn columns(view: &GenericView, all_namespaces: bool, wide: bool) -> Vec<ShownColumn> {
    let mut out = Vec::with_capacity(view.columns.len() + 1);
    if all_namespaces && view.resource.namespaced {
        out.push(ShownColumn {
            title: "NAMESPACE".into(),
            source: CellSource::Namespace,
            wide: false,
            date: false,
        });
    }
    for (i, c) in view.columns.iter().enumerate() {
        if c.priority == 0 || wide {
            out.push(ShownColumn {
                title: c.name.to_uppercase(),
                source: CellSource::Cell(i),
                wide: c.priority != 0,
                date: c.kind == "date",
            });
        }
    }
    out
}

/// A row's cell of a shown column.
pub fn cell<'a>(row: &'a TableRow, column: &ShownColumn) -> &'a str {
    match column.source {
        CellSource::Namespace => &row.namespace,
        CellSource::Cell(i) => row.cells.get(i).map_or("", String::as_str),
    }
}

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
        Action::Back if state.pane(PaneId::Workloads).filter.is_empty() => Some(close(state)),
        Action::WorkloadsPods | Action::WorkloadsSort => Some(Vec::new()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(uid: &str, name: &str) -> TableRow {
        TableRow {
            uid: uid.into(),
            namespace: "shop".into(),
            name: name.into(),
            resource_version: "1".into(),
            cells: vec![name.into()],
        }
    }

    #[test]
    fn watch_events_add_change_and_delete_rows_by_uid() {
        let mut v = GenericView::default();
        v.replace(vec![
            row("a", "alpha"),
            row("b", "bravo"),
            row("c", "charlie"),
        ]);
        v.delete(&["a".into()]);
        v.apply(vec![row("d", "delta"), row("c", "charlie-2")]);
        v.refresh("");
        let names: Vec<&str> = v.shown.iter().map(|&i| v.rows[i].name.as_str()).collect();
        assert_eq!(names, ["bravo", "charlie-2", "delta"]);
        v.delete(&["d".into(), "b".into()]);
        v.refresh("");
        let names: Vec<&str> = v.shown.iter().map(|&i| v.rows[i].name.as_str()).collect();
        assert_eq!(names, ["charlie-2"]);
        v.refresh("zzz");
        assert!(v.shown.is_empty());
    }
}
