//! Argo Rollouts operations with the requests the kubectl plugin sends
//! (argoproj/argo-rollouts `pkg/kubectl-argo-rollouts/cmd/{promote,abort,retry,undo,restart}`):
//! merge patches on the `status` subresource, falling back to the main resource where a
//! cluster serves Rollouts without it (404), `spec.restartAt`, and undo as a JSON patch of
//! `spec.template` from the revision's ReplicaSet. Each body is the plugin's with our
//! resourceVersion precondition added to the first request.

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::ReplicaSet;
use kube::api::{Api, Patch};
use serde_json::{Value, json};

use super::model::{Plan, Target, WorkloadKind, WorkloadOp};
use super::restart::restarted_at;
use super::rollback::{json_patch_of, with_precondition};
use super::workload::confirmed;
use super::{Done, Executor, kube_message, with_resource_version};
use crate::sources::kube::argo::Rollout;
use crate::sources::kube::model::{
    HASH_LABEL, ROLLOUT_REVISION_ANNOTATION as REVISION_ANNOTATION, RolloutRow,
};

/// The plugin's patches.
const CLEAR_PAUSE: &str = r#"{"status":{"pauseConditions":null}}"#;
const UNPAUSE: &str = r#"{"spec":{"paused":false}}"#;
const UNPAUSE_AND_CLEAR_PAUSE: &str =
    r#"{"spec":{"paused":false},"status":{"pauseConditions":null}}"#;
const PROMOTE_FULL: &str = r#"{"status":{"promoteFull":true}}"#;
const UNPAUSE_AND_PROMOTE_FULL: &str = r#"{"spec":{"paused":false},"status":{"promoteFull":true}}"#;

/// Which requests an operation makes: `status` goes to the status subresource (the
/// main resource when that is not served), `spec` to the main resource after it.
#[derive(Debug, Clone, PartialEq)]
pub struct RolloutPatches {
    pub status: Option<Value>,
    pub spec: Option<Value>,
    /// What is sent instead of both when the status subresource is not served.
    pub unified: Option<Value>,
}

fn parse(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or(Value::Null)
}

/// The plugin's `GetCurrentCanaryStep` index: none without canary steps, else the
/// status's index (0 when unset).
fn current_step_index(r: &Rollout) -> Option<i32> {
    let steps = r.spec.strategy.canary.as_ref()?.steps.len();
    (steps > 0).then(|| {
        r.status
            .as_ref()
            .and_then(|s| s.current_step_index)
            .unwrap_or(0)
    })
}

/// The index after the current step, as the plugin computes it (never past the end).
fn next_step_index(r: &Rollout) -> Option<i32> {
    let steps = r.spec.strategy.canary.as_ref().map_or(0, |c| c.steps.len());
    current_step_index(r).map(|i| if (i as usize) < steps { i + 1 } else { i })
}

/// The plugin's `isInconclusive`: a canary whose current step's analysis is Inconclusive.
fn inconclusive(r: &Rollout) -> bool {
    r.spec.strategy.canary.is_some()
        && r.status
            .as_ref()
            .and_then(|s| s.canary.current_step_analysis_run_status.as_ref())
            .is_some_and(|a| a.status == "Inconclusive")
}

/// The plugin's `getPatches` for promote (default and `--full`), as of v1.9
/// (`pkg/kubectl-argo-rollouts/cmd/promote/promote.go`): `--full` also un-pauses a
/// `spec.paused` Rollout (argo-rollouts #4265), and a promote after an Inconclusive
/// analysis the controller paused on clears `controllerPause` and moves past the step
/// (else the controller runs the analysis again and the Rollout sticks before a pause).
pub fn promote_patches(r: &Rollout, full: bool) -> RolloutPatches {
    let status = r.status.clone().unwrap_or_default();
    let spec = r.spec.paused.then(|| parse(UNPAUSE));
    if full {
        return RolloutPatches {
            status: (status.current_pod_hash != status.stable_rs).then(|| parse(PROMOTE_FULL)),
            spec,
            unified: Some(parse(UNPAUSE_AND_PROMOTE_FULL)),
        };
    }
    let paused = status
        .pause_conditions
        .as_ref()
        .is_some_and(|p| !p.is_empty());
    let mut p = RolloutPatches {
        status: None,
        spec,
        unified: Some(parse(UNPAUSE_AND_CLEAR_PAUSE)),
    };
    if inconclusive(r) && paused && status.controller_pause {
        // the unified fallback stays the plain one, as the plugin's does
        p.status = next_step_index(r).map(|i| {
            json!({"status": {"pauseConditions": null, "controllerPause": false, "currentStepIndex": i}})
        });
    } else if paused {
        p.status = Some(parse(CLEAR_PAUSE));
    } else if let Some(i) = next_step_index(r) {
        // a canary running analysis or an experiment: advance the step (clear pause
        // conditions or advance, never both)
        p.status = Some(json!({"status": {"pauseConditions": null, "currentStepIndex": i}}));
        p.unified = Some(
            json!({"spec": {"paused": false}, "status": {"pauseConditions": null, "currentStepIndex": i}}),
        );
    }
    p
}

fn status_only(body: Value) -> RolloutPatches {
    RolloutPatches {
        status: Some(body.clone()),
        spec: None,
        unified: Some(body),
    }
}

/// What the Rollout is at, for the confirmation: `step 3/6 · weight 10% · Paused (…)`.
fn describe(row: &RolloutRow) -> String {
    let mut parts = Vec::new();
    if let Some(s) = row.step_text() {
        parts.push(format!("step {s}"));
    }
    if let Some(w) = row.set_weight() {
        parts.push(format!("weight {w}%"));
    }
    parts.push(row.status_text());
    parts.join(" · ")
}

/// The Rollout as it would read after the status change, for the "after" line.
fn simulate(r: &Rollout, op: &WorkloadOp) -> Rollout {
    let mut r = r.clone();
    let n_steps = r
        .spec
        .strategy
        .canary
        .as_ref()
        .map_or(0, |c| c.steps.len() as i32);
    let st = r.status.get_or_insert_with(Default::default);
    match op {
        WorkloadOp::Promote { full: true } => {
            st.current_step_index = Some(n_steps);
            st.pause_conditions = None;
            r.spec.paused = false;
        }
        WorkloadOp::Promote { full: false } => {
            let paused = st.pause_conditions.as_ref().is_some_and(|p| !p.is_empty());
            if !paused && r.spec.strategy.canary.is_some() {
                let i = st.current_step_index.unwrap_or(0);
                st.current_step_index = Some((i + 1).min(n_steps));
            } else if paused && r.spec.strategy.canary.is_some() {
                // a pause step ends: the controller moves to the next step
                let i = st.current_step_index.unwrap_or(0);
                st.current_step_index = Some((i + 1).min(n_steps));
            }
            st.pause_conditions = None;
            st.phase = Some("Progressing".into());
            r.spec.paused = false;
        }
        WorkloadOp::Abort => {
            st.abort = true;
            st.phase = Some("Degraded".into());
        }
        WorkloadOp::Retry => {
            st.abort = false;
            st.current_step_index = Some(0);
            st.pause_conditions = None;
            st.phase = Some("Progressing".into());
        }
        _ => {}
    }
    r
}

fn qualified(name: &str) -> String {
    format!("rollout.argoproj.io/{name}")
}

async fn read(c: &kube::Client, target: &Target) -> Result<(Api<Rollout>, Rollout), String> {
    let api: Api<Rollout> = Api::namespaced(c.clone(), &target.namespace);
    let r = api.get(&target.name).await.map_err(kube_message)?;
    Ok((api, r))
}

/// The Rollout's ReplicaSets (selector match and controller owner reference with its uid).
async fn owned_replicasets(c: &kube::Client, r: &Rollout) -> Result<Vec<ReplicaSet>, String> {
    let selector = r
        .spec
        .selector
        .as_ref()
        .and_then(|s| s.match_labels.clone())
        .unwrap_or_default();
    super::rollback::controlled_replicasets(
        c,
        r.metadata.namespace.as_deref().unwrap_or_default(),
        r.metadata.uid.as_deref().unwrap_or_default(),
        &selector,
    )
    .await
    .map_err(kube_message)
}

fn rs_revision(rs: &ReplicaSet) -> i64 {
    rs.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(REVISION_ANNOTATION))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The plugin's undo: the ReplicaSet of `to_revision`, else the previous revision's.
fn pick(replicasets: &[ReplicaSet], to_revision: Option<i64>) -> Result<&ReplicaSet, String> {
    let mut by_rev: Vec<&ReplicaSet> = replicasets.iter().collect();
    by_rev.sort_by_key(|rs| std::cmp::Reverse(rs_revision(rs)));
    match to_revision {
        Some(want) => by_rev
            .into_iter()
            .find(|rs| rs_revision(rs) == want)
            .ok_or_else(|| format!("unable to find specified revision {want} in history")),
        None => by_rev
            .get(1)
            .copied()
            .ok_or_else(|| "no revision found for rollout to roll back to".to_owned()),
    }
}

/// A pod template as JSON without the Rollout hash label (as the plugin patches it back).
fn template_without_hash(rs: &ReplicaSet) -> Value {
    strip_hash(
        rs.spec
            .template
            .as_ref()
            .and_then(|t| serde_json::to_value(t).ok())
            .unwrap_or(Value::Null),
    )
}

fn images_of(template: &Value) -> String {
    super::workload::template_images(template).join(",")
}

/// The plugin's undo patch: JSON patch replacing `spec.template` (and the annotations,
/// unchanged).
fn undo_patch(r: &Rollout, template: &Value) -> Value {
    let annotations = r.metadata.annotations.clone().unwrap_or_default();
    json!([
        {"op": "replace", "path": "/spec/template", "value": template},
        {"op": "replace", "path": "/metadata/annotations", "value": annotations},
    ])
}

impl Executor {
    pub(super) async fn plan_rollout(
        &self,
        plan: &mut Plan,
        target: &Target,
        op: &WorkloadOp,
    ) -> Result<(), String> {
        let c = self.client()?;
        let (_, r) = read(c, target).await?;
        let row = RolloutRow::from_object(&r);
        plan.op = confirmed(
            target,
            WorkloadKind::Rollout,
            op.clone(),
            r.metadata.resource_version.clone(),
        );
        plan.before = describe(&row);
        let name = &target.name;
        match op {
            WorkloadOp::Promote { full } => {
                plan.title = if *full {
                    format!(
                        "Promote {} fully (skip the remaining steps)",
                        qualified(name)
                    )
                } else {
                    format!("Promote {}", qualified(name))
                };
                plan.after = describe(&RolloutRow::from_object(&simulate(&r, op)));
                if row.abort {
                    refuse(
                        plan,
                        "the rollout is aborted: retry it, or undo to roll the template back"
                            .into(),
                    );
                } else if !row.in_progress() && !row.spec_paused && row.pause_reasons.is_empty() {
                    refuse(
                        plan,
                        format!("nothing to promote: {name} runs its stable revision"),
                    );
                }
                let p = promote_patches(&r, *full);
                push_requests(plan, &p);
            }
            WorkloadOp::Abort => {
                plan.title = format!("Abort {}", qualified(name));
                plan.after = format!(
                    "aborted · weight 0% · traffic to stable {}",
                    row.stable_hash.as_deref().unwrap_or("-")
                );
                if row.abort {
                    refuse(plan, format!("{name} is already aborted"));
                } else if !row.in_progress() {
                    refuse(plan, format!("nothing to abort: {name} is not releasing"));
                }
                plan.notes.push(
                    "the pod template stays the new version; a retry runs the steps again, an undo rolls it back".into(),
                );
                push_requests(plan, &status_only(json!({"status": {"abort": true}})));
            }
            WorkloadOp::Retry => {
                plan.title = format!("Retry {}", qualified(name));
                plan.after = describe(&RolloutRow::from_object(&simulate(&r, op)));
                if !row.abort {
                    refuse(plan, format!("{name} is not aborted; nothing to retry"));
                }
                push_requests(plan, &status_only(json!({"status": {"abort": false}})));
            }
            WorkloadOp::Restart => {
                plan.title = format!("Restart {}", qualified(name));
                plan.after = "pods older than now are replaced (spec.restartAt)".into();
                plan.notes.push(format!(
                    "PATCH rollouts/{name} {}",
                    json!({"spec": {"restartAt": restarted_at(Timestamp::now())}})
                ));
            }
            WorkloadOp::Rollback { to_revision } => {
                plan.title = format!("Undo {}", qualified(name));
                let sets = owned_replicasets(c, &r).await?;
                let rs = pick(&sets, *to_revision)?;
                let template = template_without_hash(rs);
                let current = r
                    .spec
                    .template
                    .as_ref()
                    .and_then(|t| serde_json::to_value(t).ok())
                    .unwrap_or(Value::Null);
                plan.before = format!("{} · {}", describe(&row), images_of(&current));
                plan.after = format!("revision {} · {}", rs_revision(rs), images_of(&template));
                if strip_hash(current) == template {
                    refuse(
                        plan,
                        format!(
                            "skipped rollback (current template already matches revision {})",
                            rs_revision(rs)
                        ),
                    );
                } else {
                    let body = with_precondition(
                        &undo_patch(&r, &template),
                        r.metadata.resource_version.as_deref(),
                    );
                    let api: Api<Rollout> = Api::namespaced(c.clone(), &target.namespace);
                    plan.notes.push(
                        super::dry_run(&api, name, &Patch::<()>::Json(json_patch_of(&body)?)).await,
                    );
                }
            }
            other => {
                return Err(format!("{} is not an operation on a rollout", other.name()));
            }
        }
        Ok(())
    }

    pub(super) async fn run_rollout(
        &self,
        target: &Target,
        op: &WorkloadOp,
        resource_version: Option<&str>,
    ) -> Result<Done, String> {
        let c = self.client()?;
        let (api, r) = read(c, target).await?;
        let rv = resource_version
            .map(str::to_owned)
            .or(r.metadata.resource_version.clone());
        let name = &target.name;
        let (patches, message) = match op {
            WorkloadOp::Promote { full } => (
                promote_patches(&r, *full),
                format!(
                    "{} {}",
                    qualified(name),
                    if *full { "fully promoted" } else { "promoted" }
                ),
            ),
            WorkloadOp::Abort => (
                status_only(json!({"status": {"abort": true}})),
                format!("{} aborted", qualified(name)),
            ),
            WorkloadOp::Retry => (
                status_only(json!({"status": {"abort": false}})),
                format!("{} retried", qualified(name)),
            ),
            WorkloadOp::Restart => {
                let body = with_resource_version(
                    json!({"spec": {"restartAt": restarted_at(Timestamp::now())}}),
                    rv.as_deref(),
                );
                let after = api
                    .patch(name, &super::patch_params(), &Patch::Merge(&body))
                    .await
                    .map_err(kube_message)?;
                return Ok(Done {
                    message: format!("{} restarts its pods", qualified(name)),
                    resource_version: after.metadata.resource_version,
                    ..Done::default()
                });
            }
            WorkloadOp::Rollback { to_revision } => {
                let sets = owned_replicasets(c, &r).await?;
                let rs = pick(&sets, *to_revision)?;
                let rev = rs_revision(rs);
                let template = template_without_hash(rs);
                let body = with_precondition(&undo_patch(&r, &template), rv.as_deref());
                let after = api
                    .patch(
                        name,
                        &super::patch_params(),
                        &Patch::<()>::Json(json_patch_of(&body)?),
                    )
                    .await
                    .map_err(kube_message)?;
                return Ok(Done {
                    message: format!("{} rolled back to revision {rev}", qualified(name)),
                    revision: Some(rev.to_string()),
                    resource_version: after.metadata.resource_version,
                    ..Done::default()
                });
            }
            other => return Err(format!("{} is not an operation on a rollout", other.name())),
        };
        let new_rv = send(&api, name, &patches, rv.as_deref()).await?;
        Ok(Done {
            message,
            resource_version: new_rv,
            ..Done::default()
        })
    }
}

/// Refuses the plan for `why`, unless it is refused already (read-only says it first).
fn refuse(plan: &mut Plan, why: String) {
    if plan.refused.is_none() {
        plan.refused = Some(why);
    }
}

fn strip_hash(mut t: Value) -> Value {
    if let Some(labels) = t
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        labels.remove(HASH_LABEL);
    }
    t
}

fn push_requests(plan: &mut Plan, p: &RolloutPatches) {
    let name = &plan.op.target().name;
    if let Some(s) = &p.status {
        plan.notes.push(format!("PATCH rollouts/{name}/status {s}"));
    }
    if let Some(s) = &p.spec {
        plan.notes.push(format!("PATCH rollouts/{name} {s}"));
    }
}

/// Sends the status patch (precondition on it), then the spec patch; a 404 on the status
/// subresource sends the unified patch to the main resource instead, as the plugin does.
async fn send(
    api: &Api<Rollout>,
    name: &str,
    p: &RolloutPatches,
    rv: Option<&str>,
) -> Result<Option<String>, String> {
    let pp = super::patch_params();
    let mut rv = rv.map(str::to_owned);
    let mut spec = p.spec.clone();
    if let Some(status) = &p.status {
        let body = with_resource_version(status.clone(), rv.as_deref());
        match api.patch_status(name, &pp, &Patch::Merge(&body)).await {
            Ok(after) => rv = after.metadata.resource_version,
            Err(kube::Error::Api(s)) if s.code == 404 => spec = p.unified.clone(),
            Err(e) => return Err(kube_message(e)),
        }
    }
    if let Some(spec) = spec {
        let body = with_resource_version(spec, rv.as_deref());
        let after = api
            .patch(name, &pp, &Patch::Merge(&body))
            .await
            .map_err(kube_message)?;
        rv = after.metadata.resource_version;
    }
    Ok(rv)
}
