//! The generic view's state: one resource's table as listed and watched, kept by row id,
//! and the rows as shown (sorted by namespace and name, filtered), rebuilt only when the
//! rows or the filter changed. Plain data for `generic` (which decides) and `model`.

use std::collections::{BTreeSet, HashMap};

use crate::app::table_sort::{ColumnSort, SortValue, sort_rows};
use crate::sources::kube::model::{ApiResource, TableColumn, TableRow};

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
    /// Rows as shown: indices into `rows`, by namespace and name (or by the column
    /// chosen), filtered.
    pub shown: Vec<usize>,
    /// The column chosen to sort by (`o`, `O`); by default namespace and name.
    pub sort: ColumnSort,
    /// The marked rows (`space`), by row id: delete acts on all of them. A row deleted on
    /// the server leaves the marks.
    pub marks: BTreeSet<String>,
    /// Bumped when rows change; `shown` is rebuilt when it, the filter or the sort changed.
    rows_generation: u64,
    shown_for: Option<(u64, String, ColumnSort)>,
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
    pub(super) fn new(resource: ApiResource, view: u64) -> GenericView {
        GenericView {
            resource,
            view,
            ..Default::default()
        }
    }

    pub(super) fn replace(&mut self, rows: Vec<TableRow>) {
        self.index = rows.iter().enumerate().map(|(i, r)| (r.id(), i)).collect();
        self.rows = rows;
        self.rows_generation += 1;
    }

    pub(super) fn apply(&mut self, rows: Vec<TableRow>) {
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

    pub(super) fn delete(&mut self, ids: &[String]) {
        for id in ids {
            self.marks.remove(id);
            if let Some(i) = self.index.remove(id) {
                self.rows.swap_remove(i);
                if let Some(moved) = self.rows.get(i) {
                    self.index.insert(moved.id(), i);
                }
            }
        }
        self.rows_generation += 1;
    }

    /// A row's value in the column titled `title` (kubectl's title, upper case), as the
    /// sort compares it.
    fn sort_value(&self, row: &TableRow, title: &str) -> SortValue {
        if title == "NAMESPACE" {
            return SortValue::text(&row.namespace);
        }
        let cell = self
            .columns
            .iter()
            .position(|c| c.name.to_uppercase() == title)
            .and_then(|i| row.cells.get(i));
        cell.map_or(SortValue::Missing, |c| SortValue::of_text(c))
    }

    /// Rebuilds `shown` if the rows, the filter or the sort changed since.
    pub(super) fn refresh(&mut self, filter: &str) {
        let inputs = (self.rows_generation, filter.to_owned(), self.sort.clone());
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
        if let Some(title) = &self.sort.column {
            sort_rows(&mut shown, self.sort.descending, |&i| {
                self.sort_value(&self.rows[i], title)
            });
        }
        self.shown = shown;
        self.shown_for = Some(inputs);
    }

    /// Where the row `id` is shown now.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.shown
            .iter()
            .position(|&i| self.rows.get(i).is_some_and(|r| r.id() == id))
    }

    /// The marked rows, as shown.
    pub fn marked_rows(&self) -> Vec<&TableRow> {
        self.shown
            .iter()
            .filter_map(|&i| self.rows.get(i))
            .filter(|r| self.marks.contains(&r.id()))
            .collect()
    }

    /// The row under the cursor.
    pub fn selected_row(&self, selected: usize) -> Option<&TableRow> {
        let i = *self
            .shown
            .get(selected.min(self.shown.len().saturating_sub(1)))?;
        self.rows.get(i)
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
