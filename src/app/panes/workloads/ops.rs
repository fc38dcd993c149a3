//! Operation keys on a Workloads selection that is not a Deployment (a StatefulSet,
//! DaemonSet, Job, CronJob or pod), and the pod keys of any pods list: each builds an
//! `Operation::Workload` and goes through the same plan → confirm path as a Deployment's.
//! A key the selected kind has no such operation for says so; a Deployment's keys are in
//! `deployment_ops`. Each returns the dialog or operation as an intent. Pure.

use super::deployment_ops;
use super::model::Section;
use super::views::{current_deployment, current_workload, visible_pods};
use crate::action::Action;
use crate::app::cluster::WorkloadRef;
use crate::app::dialog::{Dialog, RevisionRow};
use crate::app::intent::Intent;
use crate::app::state::{FlashLevel, State};
use crate::ops::Target;
use crate::ops::model::WorkloadOp;
use crate::ops::{BatchItem, ObjectRef, Operation, Propagation};
use crate::pane::PaneId;
use crate::sources::kube::model::{ObjKey, WorkloadKind};

/// An operation key while the Workloads pane has focus: the selection's operation, as a
/// dialog to open or an operation to plan.
pub fn on_operation(state: &mut State, action: Action) -> Vec<Intent> {
    // the generic view: delete and edit of its row; nothing hidden under it is acted on
    if state.workloads.generic.is_some() {
        return on_generic(state, action);
    }
    if !state.workloads.marks.is_empty()
        && matches!(action, Action::WorkloadsDeletePod | Action::Restart)
    {
        return on_marked(state, action);
    }
    if action == Action::WorkloadsEdit {
        return edit(state);
    }
    if let Some(intents) = on_action(state, action) {
        return intents;
    }
    match current_deployment(state).cloned() {
        Some(d) => deployment_ops::on_action(state, &d, action),
        None => refuse(
            state,
            format!("{}: select a deployment first", action.description()),
        ),
    }
}

/// An operation key in the generic view: `D` deletes and `e` edits the row under the
/// cursor, named by the row's group, version, plural, kind and its uid and
/// resourceVersion as listed (so an object deleted and created again since is refused);
/// a verb the resource does not serve is refused here; the workload-only keys say so.
fn on_generic(state: &mut State, action: Action) -> Vec<Intent> {
    let Some(view) = state.workloads.generic.as_ref() else {
        return Vec::new();
    };
    let label = view.resource.label();
    let verb = match action {
        Action::WorkloadsDeletePod => "delete",
        Action::WorkloadsEdit => "update",
        _ => {
            return refuse(
                state,
                format!(
                    "{}: not an operation on {label}; D deletes, e edits",
                    action.verb()
                ),
            );
        }
    };
    let selected = state.pane(PaneId::Workloads).selected;
    let object = view
        .selected_row(selected)
        .map(|row| ObjectRef::of_table_row(&view.resource, row));
    let serves = view.resource.verbs.is_empty() || view.resource.verbs.iter().any(|v| v == verb);
    let what = action.verb();
    let Some(object) = object else {
        return refuse(state, format!("{what}: nothing selected"));
    };
    if !serves {
        return refuse(
            state,
            format!("{what}: the server does not allow {verb} on {label}"),
        );
    }
    let context = crate::app::scope::kube_context(state);
    // marked rows: one confirmation listing them, each deleted with its own preconditions
    if action == Action::WorkloadsDeletePod && !view.marks.is_empty() {
        let items = view
            .marked_rows()
            .into_iter()
            .map(|row| BatchItem {
                op: Operation::Delete {
                    context: context.clone(),
                    object: ObjectRef::of_table_row(&view.resource, row),
                    propagation: Propagation::default(),
                },
                before: String::new(),
                after: String::new(),
            })
            .collect();
        return vec![Intent::Plan(Operation::Batch { items })];
    }
    match action {
        Action::WorkloadsEdit => vec![Intent::Effect(crate::app::event::Effect::Edit {
            context,
            object,
        })],
        _ => vec![Intent::Plan(Operation::Delete {
            context,
            object,
            propagation: Propagation::default(),
        })],
    }
}

/// An operation key on `w` from another pane: the Deployment or Rollout the incident hint
/// names, as if it were selected in Workloads.
pub fn on_hinted(state: &mut State, action: Action, w: &WorkloadRef) -> Vec<Intent> {
    match w.kind {
        WorkloadKind::Deployment => match state.cluster.deployments.get(&w.key).cloned() {
            Some(d) => deployment_ops::on_action(state, &d, action),
            None => refuse(
                state,
                format!(
                    "{}: {} is no longer listed",
                    action.description(),
                    w.key.name
                ),
            ),
        },
        WorkloadKind::Rollout => rollout_action(state, w, action),
        _ => refuse(
            state,
            format!("{}: select a deployment first", action.description()),
        ),
    }
}

/// `None` leaves the action to the Deployment handling (a Deployment row, or an action
/// that is not about workloads).
fn on_action(state: &mut State, action: Action) -> Option<Vec<Intent>> {
    // the pod under the cursor in a pods list, for delete
    let pod_in_list = match &state.workloads.section {
        Section::Pods { .. } => {
            let pods = visible_pods(state);
            let sel = state
                .pane(PaneId::Workloads)
                .selected
                .min(pods.len().saturating_sub(1));
            pods.get(sel).map(|p| p.key.clone())
        }
        Section::Deployments => None,
    };
    let w = current_workload(state);
    if action == Action::WorkloadsDeletePod {
        let row = match pod_in_list {
            Some(k) => Some(WorkloadRef::new(WorkloadKind::Pod, k)),
            None => w,
        };
        return Some(match row {
            Some(row) => vec![Intent::Plan(delete_op(state, &row))],
            None => refuse(state, "delete: nothing selected".into()),
        });
    }
    let w = w?;
    if w.kind == WorkloadKind::Deployment && !is_kind_specific(action) {
        return None;
    }
    let what = article(w.kind);
    if w.kind == WorkloadKind::Rollout {
        return Some(rollout_action(state, &w, action));
    }
    Some(match (action, w.kind) {
        (Action::Rollback, WorkloadKind::StatefulSet | WorkloadKind::DaemonSet) => {
            rollback(state, &w)
        }
        (Action::Rollback, _) => refuse(
            state,
            format!("rollback: {what} has no revisions to roll back to"),
        ),
        (Action::Restart, WorkloadKind::StatefulSet | WorkloadKind::DaemonSet) => {
            workload_op(state, w.kind, &w.key, WorkloadOp::Restart)
        }
        (Action::Restart, WorkloadKind::Pod) => refuse(
            state,
            "restart: a pod without a controller is not restarted; D deletes it".into(),
        ),
        (Action::Restart, _) => refuse(
            state,
            format!("restart: {what} is not restarted; t runs a CronJob now"),
        ),
        (Action::Scale, WorkloadKind::StatefulSet) => {
            let current = state
                .cluster
                .statefulsets
                .get(&w.key)
                .map_or(0, |s| s.replicas);
            vec![Intent::OpenDialog(Dialog::replicas(
                target(state, &w.key),
                current,
                WorkloadKind::StatefulSet,
            ))]
        }
        (Action::Scale, WorkloadKind::DaemonSet) => refuse(
            state,
            "scale: a DaemonSet runs one pod per node; nothing to scale".into(),
        ),
        (Action::Scale, _) => refuse(state, format!("scale: {what} has no replicas to scale")),
        (Action::WorkloadsTrigger, WorkloadKind::CronJob) => {
            workload_op(state, w.kind, &w.key, WorkloadOp::Trigger)
        }
        (Action::WorkloadsTrigger, _) => refuse(
            state,
            format!("trigger: only a CronJob runs on demand, not {what}"),
        ),
        (Action::WorkloadsSuspend, WorkloadKind::CronJob) => {
            let suspended = state
                .cluster
                .cronjobs
                .get(&w.key)
                .is_some_and(|c| c.suspend);
            workload_op(
                state,
                w.kind,
                &w.key,
                WorkloadOp::Suspend {
                    suspend: !suspended,
                },
            )
        }
        (Action::WorkloadsSuspend, _) => refuse(
            state,
            format!("suspend: only a CronJob is suspended, not {what}"),
        ),
        (Action::Promote, _) => refuse(
            state,
            format!("promote: {what} is not part of a blue-green pair"),
        ),
        (Action::WorkloadsAbort | Action::WorkloadsRetry | Action::WorkloadsPromoteFull, _) => {
            refuse(
                state,
                format!(
                    "{}: only an Argo Rollout has that, not {what}",
                    action.verb()
                ),
            )
        }
        _ => return None,
    })
}

/// Keys that name one kind's operation: on a Deployment they are refused here rather than
/// left to the Deployment handling.
fn is_kind_specific(action: Action) -> bool {
    matches!(
        action,
        Action::WorkloadsTrigger
            | Action::WorkloadsSuspend
            | Action::WorkloadsAbort
            | Action::WorkloadsRetry
            | Action::WorkloadsPromoteFull
    )
}

/// A Rollout's keys: the Argo Rollouts plugin's promote, promote --full, abort, retry,
/// undo (with the revision picker) and restart.
fn rollout_action(state: &mut State, w: &WorkloadRef, action: Action) -> Vec<Intent> {
    let op = match action {
        Action::Promote => WorkloadOp::Promote { full: false },
        Action::WorkloadsPromoteFull => WorkloadOp::Promote { full: true },
        Action::WorkloadsAbort => WorkloadOp::Abort,
        Action::WorkloadsRetry => WorkloadOp::Retry,
        Action::Restart => WorkloadOp::Restart,
        Action::Rollback => return rollout_undo(state, w),
        Action::Scale => {
            return refuse(
                state,
                "scale: a Rollout's replicas are set in its spec (kubectl argo rollouts set); not offered here".into(),
            );
        }
        other => {
            return refuse(
                state,
                format!("{}: not an operation on a Rollout", other.verb()),
            );
        }
    };
    workload_op(state, WorkloadKind::Rollout, &w.key, op)
}

/// The revision picker from the Rollout's ReplicaSets, newest first (the plugin's undo).
fn rollout_undo(state: &mut State, w: &WorkloadRef) -> Vec<Intent> {
    let data = &state.cluster;
    let current = data
        .rollouts
        .get(&w.key)
        .and_then(|r| r.canary_hash.clone());
    let rows: Vec<RevisionRow> = data
        .replicasets_of_rollout(&w.key)
        .into_iter()
        .filter_map(|rs| {
            let is_current = rs.rollout_hash.is_some() && rs.rollout_hash == current;
            RevisionRow::of_replicaset(rs, state.now, is_current)
        })
        .collect();
    if rows.len() < 2 {
        return workload_op(
            state,
            WorkloadKind::Rollout,
            &w.key,
            WorkloadOp::Rollback { to_revision: None },
        );
    }
    // the cursor starts on the newest revision that is not the current one
    let selected = rows.iter().position(|r| !r.current).unwrap_or(0);
    vec![Intent::OpenDialog(Dialog::Revisions {
        target: target(state, &w.key),
        rows: crate::app::picker::Picker::new(rows, selected),
        kind: WorkloadKind::Rollout,
    })]
}

/// Deleting a row: a pod with `kubectl delete pod`'s graceful delete (and what recreates
/// it), any other object through the dynamic API with a propagation policy to choose.
fn delete_op(state: &State, w: &WorkloadRef) -> Operation {
    if w.kind == WorkloadKind::Pod {
        return Operation::Workload {
            target: target(state, &w.key),
            kind: WorkloadKind::Pod,
            op: delete(),
            resource_version: None,
        };
    }
    Operation::Delete {
        context: crate::app::scope::kube_context(state),
        object: ObjectRef::of_workload(w.kind, &w.key),
        propagation: Propagation::default(),
    }
}

/// The row under the cursor: the pod in a pods list, else the table's row.
fn selected_row(state: &State) -> Option<WorkloadRef> {
    match &state.workloads.section {
        Section::Pods { .. } => {
            let pods = visible_pods(state);
            let sel = state
                .pane(PaneId::Workloads)
                .selected
                .min(pods.len().saturating_sub(1));
            pods.get(sel)
                .map(|p| WorkloadRef::new(WorkloadKind::Pod, p.key.clone()))
        }
        Section::Deployments => current_workload(state),
    }
}

/// `e`: the selected object in the user's editor (the run loop suspends the screen).
fn edit(state: &mut State) -> Vec<Intent> {
    match selected_row(state) {
        Some(w) => vec![Intent::Effect(crate::app::event::Effect::Edit {
            context: crate::app::scope::kube_context(state),
            object: ObjectRef::of_workload(w.kind, &w.key),
        })],
        None => refuse(state, "edit: nothing selected".into()),
    }
}

/// Delete or restart of every marked row: one confirmation listing them, each planned
/// and run with its own preconditions.
fn on_marked(state: &mut State, action: Action) -> Vec<Intent> {
    let marks: Vec<WorkloadRef> = state.workloads.marks.iter().cloned().collect();
    let mut ops = Vec::with_capacity(marks.len());
    let mut cannot = Vec::new();
    for w in &marks {
        let op = match action {
            Action::WorkloadsDeletePod => Some(delete_op(state, w)),
            _ => match w.kind {
                WorkloadKind::Deployment => Some(Operation::Restart {
                    target: target(state, &w.key),
                    resource_version: None,
                }),
                WorkloadKind::StatefulSet | WorkloadKind::DaemonSet | WorkloadKind::Rollout => {
                    Some(Operation::Workload {
                        target: target(state, &w.key),
                        kind: w.kind,
                        op: WorkloadOp::Restart,
                        resource_version: None,
                    })
                }
                _ => None,
            },
        };
        match op {
            Some(op) => ops.push(op),
            None => cannot.push(format!("{}/{}", w.kind.short(), w.key.name)),
        }
    }
    if !cannot.is_empty() {
        return refuse(
            state,
            format!(
                "restart: {} of the marked rows cannot be restarted ({}); unmark them with space",
                cannot.len(),
                cannot.join(", ")
            ),
        );
    }
    let items = ops
        .into_iter()
        .map(|op| BatchItem {
            op,
            before: String::new(),
            after: String::new(),
        })
        .collect();
    vec![Intent::Plan(Operation::Batch { items })]
}

fn delete() -> WorkloadOp {
    WorkloadOp::Delete {
        grace_period_secs: None,
    }
}

fn article(kind: WorkloadKind) -> &'static str {
    match kind {
        WorkloadKind::Deployment => "a Deployment",
        WorkloadKind::StatefulSet => "a StatefulSet",
        WorkloadKind::DaemonSet => "a DaemonSet",
        WorkloadKind::Job => "a Job",
        WorkloadKind::CronJob => "a CronJob",
        WorkloadKind::Pod => "a pod",
        WorkloadKind::Rollout => "a Rollout",
    }
}

fn refuse(state: &mut State, text: String) -> Vec<Intent> {
    state.set_flash(FlashLevel::Info, text);
    Vec::new()
}

fn target(state: &State, key: &ObjKey) -> Target {
    Target {
        context: crate::app::scope::kube_context(state),
        namespace: key.namespace.clone(),
        name: key.name.clone(),
    }
}

fn workload_op(state: &mut State, kind: WorkloadKind, key: &ObjKey, op: WorkloadOp) -> Vec<Intent> {
    let op = Operation::Workload {
        target: target(state, key),
        kind,
        op,
        resource_version: None,
    };
    vec![Intent::Plan(op)]
}

/// The revision picker from the set's ControllerRevisions, newest first; with fewer than
/// two the executor finds the previous one.
fn rollback(state: &mut State, w: &WorkloadRef) -> Vec<Intent> {
    let owner_kind = match w.kind {
        WorkloadKind::StatefulSet => "StatefulSet",
        _ => "DaemonSet",
    };
    let data = &state.cluster;
    let current_name = match w.kind {
        WorkloadKind::StatefulSet => data
            .statefulsets
            .get(&w.key)
            .and_then(|s| s.update_revision.clone()),
        _ => None,
    };
    let mut revs: Vec<&crate::sources::kube::model::RevisionRow> = data
        .revisions
        .values()
        .filter(|r| {
            r.key.namespace == w.key.namespace
                && r.owner
                    .as_ref()
                    .is_some_and(|(k, n)| k == owner_kind && *n == w.key.name)
        })
        .collect();
    revs.sort_by(|a, b| b.revision.cmp(&a.revision).then(a.key.cmp(&b.key)));
    let newest = revs.first().map(|r| r.revision);
    let rows: Vec<RevisionRow> = revs
        .iter()
        .map(|r| RevisionRow {
            revision: r.revision,
            image: r.images.join(","),
            change_cause: String::new(),
            age: r
                .created
                .map(|c| crate::text::age(c, state.now))
                .unwrap_or_default(),
            current: match &current_name {
                Some(n) => *n == r.key.name,
                None => Some(r.revision) == newest,
            },
        })
        .collect();
    if rows.len() < 2 {
        return workload_op(
            state,
            w.kind,
            &w.key,
            WorkloadOp::Rollback { to_revision: None },
        );
    }
    vec![Intent::OpenDialog(Dialog::Revisions {
        target: target(state, &w.key),
        rows: crate::app::picker::Picker::new(rows, 1),
        kind: w.kind,
    })]
}
