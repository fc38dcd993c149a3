//! The Workloads tables as the view shows them: the narrowing (`:deploy` … `:all`), the
//! `/` filter, the trouble-first (or chosen) sort, and the filtered, sorted keys kept in
//! State and rebuilt by `settle` only when rows, sort, narrowing, filter or the shown
//! workload changed. The cursor stays on its row
//! when rows re-order under it.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::columns::{self, pod_rank, sort_of};
use super::kinds::refs;
use super::model::TableId;
use super::model::{DeploymentsInputs, PodsInputs, Section};
use crate::app::cluster::WorkloadRef;
use crate::app::state::State;
use crate::app::table_sort::{ColumnSort, sort_rows};
use crate::pane::PaneId;
use crate::sources::kube::model::{DeploymentRow, ObjKey, PodRow, WorkloadKind};

/// A parsed `/` filter: `key=value` matches labels, anything else is a substring of the name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter<'a> {
    None,
    Label(&'a str, &'a str),
    Substring(String),
}

impl<'a> Filter<'a> {
    pub fn parse(text: &'a str) -> Filter<'a> {
        let t = text.trim();
        if t.is_empty() {
            return Filter::None;
        }
        match t.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Filter::Label(k.trim(), v.trim()),
            _ => Filter::Substring(t.to_lowercase()),
        }
    }

    fn matches(&self, key: &ObjKey, labels: &BTreeMap<String, String>) -> bool {
        match self {
            Filter::None => true,
            Filter::Label(k, v) => labels.get(*k).is_some_and(|x| x == v),
            Filter::Substring(s) => contains_ci(&key.name, s) || contains_ci(&key.namespace, s),
        }
    }
}

fn contains_ci(hay: &str, needle_lower: &str) -> bool {
    if hay.is_ascii() && needle_lower.is_ascii() {
        hay.as_bytes()
            .windows(needle_lower.len().max(1))
            .any(|w| w.eq_ignore_ascii_case(needle_lower.as_bytes()))
            || needle_lower.is_empty()
    } else {
        hay.to_lowercase().contains(needle_lower)
    }
}

/// The filter text that applies to the deployments table, and to the pods list.
fn filters(state: &State) -> (&str, &str) {
    let text = state.pane(PaneId::Workloads).filter.as_str();
    match state.workloads.section {
        Section::Deployments => (text, ""),
        Section::Pods { .. } => ("", text),
    }
}

/// Whether kept inputs still hold: the rows' generation (and, sorted by a column, their
/// restart counts': a column may read them) and the sort.
fn same_rows(
    state: &State,
    generation: u64,
    restarts: u64,
    sort: &ColumnSort,
    table: TableId,
) -> bool {
    let store = &state.cluster;
    generation == store.generation()
        && *sort == sort_of(state, table)
        && (sort.column.is_none() || restarts == store.restarts_generation())
}

fn deployments_fresh(state: &State) -> bool {
    let data = &state.workloads;
    data.view.deployments_for.as_ref().is_some_and(|i| {
        same_rows(
            state,
            i.generation,
            i.restarts,
            &i.sort,
            TableId::Main(data.narrow),
        ) && i.narrow == data.narrow
            && i.filter == filters(state).0
    })
}

fn pods_fresh(state: &State, deployment: &WorkloadRef) -> bool {
    let data = &state.workloads;
    data.view.pods_for.as_ref().is_some_and(|i| {
        same_rows(state, i.generation, i.restarts, &i.sort, TableId::Pods)
            && &i.deployment == deployment
            && i.filter == filters(state).1
    })
}

/// The table computed from the rows: the narrowing's kinds, filtered (when the cursor is
/// in it) and sorted.
/// The table computed from the rows, and how many rows it has before its filter.
fn compute_table(state: &State) -> (Vec<WorkloadRef>, usize) {
    let data = &state.cluster;
    let sort = sort_of(state, TableId::Main(state.workloads.narrow));
    let filter = Filter::parse(filters(state).0);
    let refs = refs(data, state.workloads.narrow);
    let total = refs.len();
    let mut v: Vec<(u8, WorkloadRef)> = refs
        .into_iter()
        .filter(|w| {
            let labels = data.labels_of(w);
            let selector = match w.kind {
                WorkloadKind::Deployment => data.deployments.get(&w.key).map(|d| &d.selector),
                _ => None,
            };
            labels.is_some_and(|l| filter.matches(&w.key, l))
                || matches!(&filter, Filter::Label(..))
                    && selector.is_some_and(|s| filter.matches(&w.key, s))
        })
        .map(|w| (data.trouble_of(&w), w))
        .collect();
    // trouble first is the default order, and what equal values keep under a column's
    v.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(a.1.key.cmp(&b.1.key))
            .then(a.1.kind.cmp(&b.1.kind))
    });
    if let Some(col) = &sort.column {
        sort_rows(&mut v, sort.descending, |(_, w)| {
            columns::value(state, w, col)
        });
    }
    (v.into_iter().map(|(_, w)| w).collect(), total)
}

/// The pods list of a workload computed from the rows: filtered (when the cursor is in
/// the pods section) and sorted.
fn compute_pods<'a>(state: &'a State, d: &WorkloadRef) -> (Vec<&'a PodRow>, usize) {
    let data = &state.cluster;
    let all = data.pods_of_workload(d);
    let total = all.len();
    let filter = Filter::parse(filters(state).1);
    let mut v: Vec<&PodRow> = if filter == Filter::None {
        all
    } else {
        all.into_iter()
            .filter(|p| filter.matches(&p.key, &p.labels))
            .collect()
    };
    // stable: keeps newest revision first and name order within each rank
    v.sort_by_key(|p| std::cmp::Reverse(pod_rank(p)));
    let sort = sort_of(state, TableId::Pods);
    if let Some(col) = &sort.column {
        sort_rows(&mut v, sort.descending, |p| {
            columns::pod_list_value(state, p, col)
        });
    }
    (v, total)
}

/// The keys of the table as shown: the kept view when it is fresh, else computed now.
pub fn table_keys(state: &State) -> Cow<'_, [WorkloadRef]> {
    if deployments_fresh(state) {
        Cow::Borrowed(&state.workloads.view.deployments)
    } else {
        Cow::Owned(compute_table(state).0)
    }
}

/// The keys of a workload's pods list as shown.
pub fn pod_keys<'a>(state: &'a State, workload: &WorkloadRef) -> Cow<'a, [ObjKey]> {
    if pods_fresh(state, workload) {
        Cow::Borrowed(&state.workloads.view.pods)
    } else {
        Cow::Owned(
            compute_pods(state, workload)
                .0
                .into_iter()
                .map(|p| p.key.clone())
                .collect(),
        )
    }
}

/// Whether a pod of a workload's list (as [`pod_keys`] gives it) asks for GPUs: kept with
/// the list, so a frame of 150,000 pods does not look at each.
pub fn pods_ask_gpus(state: &State, workload: &WorkloadRef, keys: &[ObjKey]) -> bool {
    if pods_fresh(state, workload) {
        return state.workloads.view.pods_gpus;
    }
    let data = &state.cluster;
    keys.iter()
        .any(|k| data.pods.get(k).is_some_and(|p| p.gpus > 0))
}

/// How many rows the table has before its filter.
pub fn table_total(state: &State) -> usize {
    if deployments_fresh(state) {
        state.workloads.view.deployments_total
    } else {
        compute_table(state).1
    }
}

/// How many pods a workload's list has before its filter.
pub fn pods_total(state: &State, workload: &WorkloadRef) -> usize {
    if pods_fresh(state, workload) {
        state.workloads.view.pods_total
    } else {
        state.cluster.pods_of_workload(workload).len()
    }
}

/// The deployments in the table as shown, in its order.
pub fn visible_deployments(state: &State) -> Vec<&DeploymentRow> {
    let data = &state.cluster;
    table_keys(state)
        .iter()
        .filter(|w| w.kind == WorkloadKind::Deployment)
        .filter_map(|w| data.deployments.get(&w.key))
        .collect()
}

/// The workload whose pods are shown: the pinned one in the pods section, else the one
/// under the cursor.
pub fn current_workload(state: &State) -> Option<WorkloadRef> {
    match &state.workloads.section {
        Section::Pods { workload, .. } => Some(workload.clone()),
        Section::Deployments => {
            let keys = table_keys(state);
            let sel = state
                .pane(PaneId::Workloads)
                .selected
                .min(keys.len().saturating_sub(1));
            keys.get(sel).cloned()
        }
    }
}

/// The deployment whose pods are shown, when the current workload is a deployment.
pub fn current_deployment(state: &State) -> Option<&DeploymentRow> {
    let w = current_workload(state)?;
    if w.kind != WorkloadKind::Deployment {
        return None;
    }
    state.cluster.deployments.get(&w.key)
}

/// Rows in the list the cursor is in.
pub fn row_count(state: &State) -> usize {
    match &state.workloads.section {
        Section::Deployments => table_keys(state).len(),
        Section::Pods { workload, .. } => pod_keys(state, workload).len(),
    }
}

/// The pods of the current workload as shown: filtered (when the cursor is in the pods
/// section) and sorted.
pub fn visible_pods(state: &State) -> Vec<&PodRow> {
    visible_pods_of(state, current_workload(state).as_ref())
}

/// [`visible_pods`] for a workload the caller already found (saves re-sorting the table).
pub fn visible_pods_of<'a>(state: &'a State, d: Option<&WorkloadRef>) -> Vec<&'a PodRow> {
    let Some(d) = d else {
        return Vec::new();
    };
    if pods_fresh(state, d) {
        let pods = &state.cluster.pods;
        state
            .workloads
            .view
            .pods
            .iter()
            .filter_map(|k| pods.get(k))
            .collect()
    } else {
        compute_pods(state, d).0
    }
}

/// The row under the cursor in `keys`.
fn under_cursor<K>(keys: &[K], selected: usize) -> Option<&K> {
    keys.get(selected.min(keys.len().saturating_sub(1)))
}

/// Where the cursor goes in a rebuilt list: to the row it was on, when `keep` says the
/// cursor is in this list and its filter did not change.
fn follow_cursor<K: PartialEq>(old: &[K], new: &[K], selected: usize, keep: bool) -> Option<usize> {
    let was = under_cursor(old, selected).filter(|_| keep)?;
    new.iter().position(|k| k == was)
}

/// Rebuilds the kept tables whose inputs changed. The cursor stays on the row it was on
/// when rows re-order under it (a pod starts crash-looping and the trouble-first order
/// moves its deployment up); a new filter starts again from the top.
pub fn refresh_view(state: &mut State) {
    // a marked object that is gone is no longer marked
    if !state.workloads.marks.is_empty() {
        let data = &state.cluster;
        state
            .workloads
            .marks
            .retain(|w| data.labels_of(w).is_some());
    }
    let (dep_filter, pod_filter) = filters(state);
    let (dep_filter, pod_filter) = (dep_filter.to_owned(), pod_filter.to_owned());
    let in_deployments = matches!(state.workloads.section, Section::Deployments);

    if !deployments_fresh(state) {
        let data = &state.workloads;
        let keep = in_deployments
            && (data.view.deployments_for.as_ref()).is_some_and(|o| o.filter == dep_filter);
        let (keys, total) = compute_table(state);
        let selected = state.pane(PaneId::Workloads).selected;
        let moved = follow_cursor(&data.view.deployments, &keys, selected, keep);
        let inputs = DeploymentsInputs {
            generation: state.cluster.generation(),
            restarts: state.cluster.restarts_generation(),
            sort: sort_of(state, TableId::Main(data.narrow)),
            narrow: data.narrow,
            filter: dep_filter,
        };
        let view = &mut state.workloads.view;
        view.deployments = keys;
        view.deployments_total = total;
        view.deployments_for = Some(inputs);
        if let Some(pos) = moved {
            state.pane_mut(PaneId::Workloads).selected = pos;
        }
    }

    let data = &state.workloads;
    let selected = state.pane(PaneId::Workloads).selected;
    let shown = match &data.section {
        Section::Pods { workload, .. } => Some(workload.clone()),
        Section::Deployments => under_cursor(&data.view.deployments, selected).cloned(),
    };
    let Some(shown) = shown else {
        state.workloads.view.pods_for = None;
        state.workloads.view.pods.clear();
        return;
    };
    if pods_fresh(state, &shown) {
        return;
    }
    let keep = !in_deployments
        && (data.view.pods_for.as_ref())
            .is_some_and(|o| o.deployment == shown && o.filter == pod_filter);
    let (pods, total) = compute_pods(state, &shown);
    let gpus = pods.iter().any(|p| p.gpus > 0);
    let keys: Vec<ObjKey> = pods.into_iter().map(|p| p.key.clone()).collect();
    let moved = follow_cursor(&data.view.pods, &keys, selected, keep);
    let inputs = PodsInputs {
        generation: state.cluster.generation(),
        restarts: state.cluster.restarts_generation(),
        sort: sort_of(state, TableId::Pods),
        deployment: shown,
        filter: pod_filter,
    };
    let view = &mut state.workloads.view;
    view.pods = keys;
    view.pods_gpus = gpus;
    view.pods_total = total;
    view.pods_for = Some(inputs);
    if let Some(pos) = moved {
        state.pane_mut(PaneId::Workloads).selected = pos;
    }
}
