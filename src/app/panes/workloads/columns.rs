//! The Workloads tables' columns as the sort sees them: which columns each table has (the
//! titles its header draws, `ui::panes::workloads` lays them out) and each row's value in
//! a column — typed where the row knows better than its text (an age is its timestamp, a
//! READY its ratio, a STATUS its severity, trouble first). Pure.

use super::kinds::Narrow;
use super::model::{Section, TableId};
use crate::app::cluster::WorkloadRef;
use crate::app::state::State;
use crate::app::table_sort::{ColumnSort, SortValue};
use crate::sources::kube::model::{JobState, PodRow, WorkloadKind};

/// The table the cursor is in.
pub fn current_table(state: &State) -> TableId {
    match state.workloads.section {
        Section::Deployments => TableId::Main(state.workloads.narrow),
        Section::Pods { .. } => TableId::Pods,
    }
}

/// A table's order (the default, trouble first, unless one was chosen).
pub fn sort_of(state: &State, table: TableId) -> ColumnSort {
    if table == TableId::Generic {
        return state
            .workloads
            .generic
            .as_ref()
            .map(|g| g.sort.clone())
            .unwrap_or_default();
    }
    state
        .workloads
        .sorts
        .get(&table)
        .cloned()
        .unwrap_or_default()
}

/// Rank of a pod for the trouble-first order: errors, then warnings, then the rest.
pub fn pod_rank(p: &PodRow) -> u8 {
    if p.reason.is_error() {
        2
    } else if p.reason.is_warning() {
        1
    } else {
        0
    }
}

/// Whether the main table is the Deployments' own (Deployments alone: their own columns;
/// with Rollouts beside them, the mixed table with a KIND column).
pub fn deployments_layout(state: &State) -> bool {
    let narrow = state.workloads.narrow;
    narrow == Narrow::Only(WorkloadKind::Deployment)
        || narrow == Narrow::Releases && state.cluster.rollouts.is_empty()
}

/// The first column's title of the main table.
pub fn first_title(state: &State) -> &'static str {
    if deployments_layout(state) {
        return "DEPLOYMENT";
    }
    match state.workloads.narrow {
        Narrow::Only(WorkloadKind::StatefulSet) => "STATEFULSET",
        Narrow::Only(WorkloadKind::DaemonSet) => "DAEMONSET",
        Narrow::Only(WorkloadKind::Job) => "JOB",
        Narrow::Only(WorkloadKind::CronJob) => "CRONJOB",
        Narrow::Pods | Narrow::Only(WorkloadKind::Pod) => "POD",
        Narrow::Only(WorkloadKind::Rollout) => "ROLLOUT",
        _ => "NAME",
    }
}

/// The main table's columns after the first, as its header draws them.
pub fn main_titles(state: &State) -> &'static [&'static str] {
    if deployments_layout(state) {
        return &[
            "READY", "UP", "AVAIL", "REV", "IMAGE", "ROLLOUT", "HPA", "AGE",
        ];
    }
    match state.workloads.narrow {
        Narrow::Only(WorkloadKind::StatefulSet) => &[
            "READY",
            "CURRENT REV",
            "UPDATE REV",
            "PARTITION",
            "IMAGE",
            "AGE",
        ],
        Narrow::Only(WorkloadKind::DaemonSet) => &[
            "DESIRED",
            "CURRENT",
            "READY",
            "UP-TO-DATE",
            "AVAILABLE",
            "NODE SELECTOR",
            "AGE",
        ],
        Narrow::Only(WorkloadKind::Job) => &[
            "COMPLETIONS",
            "DURATION",
            "FAILED",
            "ACTIVE",
            "STATUS",
            "AGE",
        ],
        Narrow::Only(WorkloadKind::CronJob) => &[
            "SCHEDULE",
            "SUSPEND",
            "LAST SCHEDULE",
            "ACTIVE",
            "LAST RESULT",
            "AGE",
        ],
        Narrow::Pods | Narrow::Only(WorkloadKind::Pod) => {
            &["READY", "STATUS", "RESTARTS", "OWNER", "NODE", "AGE"]
        }
        Narrow::Only(WorkloadKind::Rollout) => &[
            "STRATEGY",
            "STATUS",
            "STEP",
            "SET-WEIGHT",
            "ACTUAL",
            "READY",
            "IMAGES",
            "AGE",
        ],
        Narrow::All | Narrow::Releases | Narrow::Only(WorkloadKind::Deployment) => {
            &["KIND", "READY", "STATUS", "INFO", "AGE"]
        }
    }
}

/// The pods list's columns after POD (GPU only where a pod of the list asks for GPUs).
pub fn pods_titles(gpus: bool) -> Vec<&'static str> {
    let mut v = vec!["READY", "STATUS", "RESTARTS", "REV", "NODE", "AGE"];
    if gpus {
        v.insert(0, "GPU");
    }
    v
}

/// Every column of a table, the first included: what the sort menu lists.
pub fn titles(state: &State, table: TableId) -> Vec<String> {
    match table {
        TableId::Main(_) => std::iter::once(first_title(state))
            .chain(main_titles(state).iter().copied())
            .map(str::to_owned)
            .collect(),
        TableId::Pods => std::iter::once("POD")
            .chain(pods_titles(state.workloads.view.pods_gpus))
            .map(str::to_owned)
            .collect(),
        TableId::Generic => state
            .workloads
            .generic
            .as_ref()
            .map(|g| {
                super::generic_view::columns(g, state.scope.namespace.is_none(), true)
                    .into_iter()
                    .map(|c| c.title)
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// Older is larger: an age sorts by its timestamp.
fn age(t: Option<jiff::Timestamp>) -> SortValue {
    t.map_or(SortValue::Missing, |t| {
        SortValue::num(-(t.as_millisecond() as f64))
    })
}

fn n(v: impl Into<i64>) -> SortValue {
    SortValue::num(v.into() as f64)
}

fn pod_value(state: &State, p: &PodRow, title: &str) -> SortValue {
    match title {
        "READY" => SortValue::ratio(p.ready.into(), p.containers_total.into()),
        // most troubled first when descending
        "STATUS" => SortValue::Num(f64::from(pod_rank(p)), -f64::from(p.ready)),
        "RESTARTS" => n(p.restarts),
        "OWNER" => p.controller.as_ref().map_or(SortValue::Missing, |(k, n)| {
            SortValue::text(&format!("{k}/{n}"))
        }),
        "NODE" => p
            .node
            .as_deref()
            .map_or(SortValue::Missing, SortValue::text),
        "GPU" => n(p.gpus),
        "REV" => state
            .cluster
            .pod_revision(p)
            .map_or(SortValue::Missing, |r| SortValue::num(r as f64)),
        "AGE" => age(p.created),
        _ => SortValue::text(&p.key.name),
    }
}

/// `w`'s value in the column titled `title` (the first column, and a column the row
/// has no value for: its name).
pub fn value(state: &State, w: &WorkloadRef, title: &str) -> SortValue {
    let data = &state.cluster;
    let k = &w.key;
    let name = || SortValue::text(&k.name);
    // the columns every kind has a meaning for
    match title {
        "AGE" => return age(data.created_of(w)),
        "KIND" => return SortValue::text(w.kind.short()),
        "STATUS" | "ROLLOUT" if w.kind != WorkloadKind::Pod => {
            return n(data.trouble_of(w));
        }
        _ => {}
    }
    let v = match w.kind {
        WorkloadKind::Deployment => data.deployments.get(k).map(|d| match title {
            "READY" => SortValue::ratio(d.ready.into(), d.desired.into()),
            "UP" => n(d.updated),
            "AVAIL" => n(d.available),
            "REV" => d
                .revision
                .map_or(SortValue::Missing, |r| SortValue::num(r as f64)),
            "IMAGE" | "INFO" => SortValue::text(&d.images().join(",")),
            "HPA" => data.hpa_for(k).map_or(SortValue::Missing, |h| n(h.current)),
            _ => name(),
        }),
        WorkloadKind::StatefulSet => data.statefulsets.get(k).map(|s| match title {
            "READY" => SortValue::ratio(s.ready.into(), s.replicas.into()),
            "CURRENT REV" => SortValue::text(s.current_revision.as_deref().unwrap_or("")),
            "UPDATE REV" | "INFO" => SortValue::text(s.update_revision.as_deref().unwrap_or("")),
            "PARTITION" => n(s.partition),
            "IMAGE" => SortValue::text(
                &s.containers
                    .iter()
                    .map(|c| c.image.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            _ => name(),
        }),
        WorkloadKind::DaemonSet => data.daemonsets.get(k).map(|d| match title {
            "DESIRED" => n(d.desired),
            "CURRENT" => n(d.current),
            "READY" => SortValue::ratio(d.ready.into(), d.desired.into()),
            "UP-TO-DATE" => n(d.updated),
            "AVAILABLE" | "INFO" => n(d.available),
            "NODE SELECTOR" => SortValue::text(
                &d.node_selector
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            _ => name(),
        }),
        WorkloadKind::Job => data.jobs.get(k).map(|j| match title {
            "COMPLETIONS" | "READY" => SortValue::ratio(j.succeeded.into(), j.completions.into()),
            "DURATION" => j
                .duration(state.now)
                .map_or(SortValue::Missing, |d| n(d.as_secs())),
            "FAILED" | "INFO" => n(j.failed),
            "ACTIVE" => n(j.active),
            "STATUS" => n(match j.state {
                JobState::Complete => 0,
                JobState::Running => 1,
                JobState::Suspended => 2,
                JobState::Failed(_) => 3,
            }),
            _ => name(),
        }),
        WorkloadKind::CronJob => data.cronjobs.get(k).map(|c| match title {
            "SCHEDULE" | "INFO" => SortValue::text(&c.schedule),
            "SUSPEND" => SortValue::text(if c.suspend { "True" } else { "False" }),
            "LAST SCHEDULE" => age(c.last_schedule),
            "ACTIVE" | "READY" => n(c.active),
            "LAST RESULT" => SortValue::text(&data.last_result(k).label()),
            _ => name(),
        }),
        WorkloadKind::Rollout => data.rollouts.get(k).map(|r| match title {
            "STRATEGY" => SortValue::text(r.strategy.name()),
            "STEP" => r.step.map_or(SortValue::Missing, n),
            "SET-WEIGHT" => r.set_weight().map_or(SortValue::Missing, n),
            "ACTUAL" => r.actual_weight.map_or(SortValue::Missing, n),
            "READY" => SortValue::ratio(r.ready.into(), r.replicas.into()),
            "IMAGES" | "INFO" => SortValue::text(
                &r.containers
                    .iter()
                    .map(|c| c.image.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            _ => name(),
        }),
        WorkloadKind::Pod => data.pods.get(k).map(|p| match title {
            "INFO" => n(p.restarts),
            _ => pod_value(state, p, title),
        }),
    };
    v.unwrap_or(SortValue::Missing)
}

/// A pod's value in a column of the pods list.
pub fn pod_list_value(state: &State, p: &PodRow, title: &str) -> SortValue {
    pod_value(state, p, title)
}
