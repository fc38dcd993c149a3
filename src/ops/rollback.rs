//! Rollback exactly as `kubectl rollout undo deployment/NAME [--to-revision=N]`
//! (kubectl pkg/polymorphichelpers/rollback.go).

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use kube::api::{Api, ListParams, Patch};
use serde_json::{Value, json};

use super::{Done, Executor, Operation, Plan, Target, dry_run, kube_message};

pub const REVISION: &str = "deployment.kubernetes.io/revision";
const HASH_LABEL: &str = "pod-template-hash";

/// Annotations the deployment keeps from itself; every other one comes from the RS.
pub const KEPT_ANNOTATIONS: [&str; 6] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
];

/// What a rollback will do, computed from the cluster before the confirmation.
#[derive(Debug, Clone, PartialEq)]
pub struct RollbackPlan {
    pub current_revision: i64,
    pub current_images: Vec<String>,
    pub target_revision: i64,
    pub target_images: Vec<String>,
    pub change_cause: Option<String>,
    pub resource_version: Option<String>,
    /// Templates already match: nothing to send.
    pub noop: bool,
    pub paused: bool,
    /// The JSON patch (without the resourceVersion precondition).
    pub patch: Value,
}

pub fn revision_of(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> i64 {
    meta.annotations
        .as_ref()
        .and_then(|a| a.get(REVISION))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

pub fn images(t: Option<&PodTemplateSpec>) -> Vec<String> {
    t.and_then(|t| t.spec.as_ref())
        .map(|s| {
            s.containers
                .iter()
                .map(|c| c.image.clone().unwrap_or_default())
                .collect()
        })
        .unwrap_or_default()
}

/// The ReplicaSets the deployment controls (selector match and controller owner reference).
pub async fn owned_replicasets(
    client: &kube::Client,
    d: &Deployment,
) -> Result<Vec<ReplicaSet>, kube::Error> {
    controlled_replicasets(
        client,
        &d.metadata.namespace.clone().unwrap_or_default(),
        d.metadata.uid.as_deref().unwrap_or_default(),
        &d.spec.selector.match_labels.clone().unwrap_or_default(),
    )
    .await
}

/// The ReplicaSets in `namespace` matching `selector` whose controller owner reference
/// has `uid` (any controller when the uid is unknown), read in pages: a Deployment's, or a
/// Rollout's.
pub async fn controlled_replicasets(
    client: &kube::Client,
    namespace: &str,
    uid: &str,
    selector: &BTreeMap<String, String>,
) -> Result<Vec<ReplicaSet>, kube::Error> {
    let selector = selector
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    let api: Api<ReplicaSet> = Api::namespaced(client.clone(), namespace);
    let mut out = Vec::new();
    let mut lp = ListParams::default().labels(&selector).limit(500);
    loop {
        let page = api.list(&lp).await?;
        out.extend(page.items.into_iter().filter(|rs| {
            rs.metadata
                .owner_references
                .iter()
                .flatten()
                .any(|o| o.controller == Some(true) && (uid.is_empty() || o.uid == uid))
        }));
        match page.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(c) => lp = lp.continue_token(&c),
            None => break,
        }
    }
    Ok(out)
}

/// kubectl's `deploymentRevision`: the RS for `to_revision`, or the previous one (second
/// highest revision).
pub fn pick<'a>(
    name: &str,
    replicasets: &'a [ReplicaSet],
    to_revision: Option<i64>,
) -> Result<&'a ReplicaSet, String> {
    let mut latest: (i64, Option<&ReplicaSet>) = (0, None);
    let mut previous: (i64, Option<&ReplicaSet>) = (0, None);
    for rs in replicasets {
        let v = revision_of(&rs.metadata);
        if let Some(want) = to_revision {
            if v == want {
                return Ok(rs);
            }
        } else if v > latest.0 {
            previous = latest;
            latest = (v, Some(rs));
        } else if v > previous.0 {
            previous = (v, Some(rs));
        }
    }
    if let Some(want) = to_revision {
        return Err(format!(
            "unable to find specified revision {want} in history"
        ));
    }
    match previous.1 {
        Some(rs) if previous.0 > 0 => Ok(rs),
        _ => Err(format!("no rollout history found for deployment {name:?}")),
    }
}

fn without_hash(t: &PodTemplateSpec) -> PodTemplateSpec {
    let mut t = t.clone();
    if let Some(l) = t.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
        l.remove(HASH_LABEL);
    }
    t
}

/// kubectl's `equalIgnoreHash`.
pub fn equal_ignore_hash(a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
    let (a, b) = (without_hash(a), without_hash(b));
    let norm = |t: &PodTemplateSpec| {
        let mut v = serde_json::to_value(t).unwrap_or(Value::Null);
        // an empty label map is the same as none
        if v.pointer("/metadata/labels") == Some(&json!({}))
            && let Some(m) = v.pointer_mut("/metadata").and_then(Value::as_object_mut)
        {
            m.remove("labels");
        }
        v
    };
    norm(&a) == norm(&b)
}

/// The annotations the deployment ends up with.
pub fn merged_annotations(d: &Deployment, rs: &ReplicaSet) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let own = d.metadata.annotations.clone().unwrap_or_default();
    for k in KEPT_ANNOTATIONS {
        if let Some(v) = own.get(k) {
            out.insert(k.to_owned(), v.clone());
        }
    }
    for (k, v) in rs.metadata.annotations.iter().flatten() {
        if !KEPT_ANNOTATIONS.contains(&k.as_str()) {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

/// The JSON patch kubectl sends.
pub fn patch_for(d: &Deployment, rs: &ReplicaSet) -> Value {
    let template = rs
        .spec
        .template
        .as_ref()
        .map(without_hash)
        .unwrap_or_default();
    json!([
        {"op": "replace", "path": "/spec/template", "value": template},
        {"op": "replace", "path": "/metadata/annotations", "value": merged_annotations(d, rs)},
    ])
}

/// Reads the deployment and its history and works out the rollback.
pub async fn plan(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    to_revision: Option<i64>,
) -> Result<RollbackPlan, String> {
    if let Some(r) = to_revision.filter(|r| *r < 0) {
        return Err(format!("unable to find specified revision {r} in history"));
    }
    let api: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    let d = api.get(name).await.map_err(kube_message)?;
    let rss = owned_replicasets(client, &d).await.map_err(kube_message)?;
    let rs = pick(name, &rss, to_revision)?;
    let current = Some(&d.spec.template);
    let target = rs.spec.template.as_ref();
    let noop = match (current, target) {
        (Some(c), Some(t)) => equal_ignore_hash(c, t),
        _ => false,
    };
    Ok(RollbackPlan {
        current_revision: revision_of(&d.metadata),
        current_images: images(current),
        target_revision: revision_of(&rs.metadata),
        target_images: images(target),
        change_cause: rs
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get("kubernetes.io/change-cause").cloned()),
        resource_version: d.metadata.resource_version.clone(),
        noop,
        paused: d.spec.paused.unwrap_or(false),
        patch: patch_for(&d, rs),
    })
}

/// The patch with the resourceVersion precondition: the server answers 409 when the
/// deployment changed since the plan was made.
pub fn with_precondition(patch: &Value, resource_version: Option<&str>) -> Value {
    let mut ops = patch.as_array().cloned().unwrap_or_default();
    if let Some(rv) = resource_version {
        ops.push(json!({"op": "replace", "path": "/metadata/resourceVersion", "value": rv}));
    }
    Value::Array(ops)
}

/// kubectl's refusal for a paused deployment: the plan shows it, and the run, which reads
/// the deployment again, fails with it.
fn paused_refusal(name: &str) -> String {
    format!(
        "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/{name}' and try again"
    )
}

/// kubectl's answer when the template already matches: a refusal in the plan, success
/// (nothing to send) in the run.
fn noop_message(revision: i64) -> String {
    format!("skipped rollback (current template already matches revision {revision})")
}

pub(super) fn json_patch_of(v: &Value) -> Result<json_patch::Patch, String> {
    serde_json::from_value(v.clone()).map_err(|e| format!("internal: bad JSON patch: {e}"))
}

impl Executor {
    pub(super) async fn plan_rollback(
        &self,
        plan: &mut Plan,
        target: &Target,
        to_revision: Option<i64>,
    ) -> Result<(), String> {
        let c = self.client()?;
        let rb = self::plan(c, &target.namespace, &target.name, to_revision).await?;
        plan.title = format!("Roll back deployment/{}", target.name);
        plan.before = format!(
            "revision {} {}",
            rb.current_revision,
            rb.current_images.join(",")
        );
        plan.after = format!(
            "revision {} {}{}",
            rb.target_revision,
            rb.target_images.join(","),
            rb.change_cause
                .as_deref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default()
        );
        plan.op = Operation::Rollback {
            target: target.clone(),
            to_revision,
            resource_version: rb.resource_version.clone(),
        };
        if rb.paused {
            plan.refused = Some(paused_refusal(&target.name));
        } else if rb.noop {
            plan.refused = Some(noop_message(rb.target_revision));
        } else if plan.refused.is_none() {
            let api: Api<Deployment> = Api::namespaced(c.clone(), &target.namespace);
            let patch = with_precondition(&rb.patch, rb.resource_version.as_deref());
            let note = dry_run(
                &api,
                &target.name,
                &Patch::<()>::Json(json_patch_of(&patch)?),
            )
            .await;
            plan.notes.push(note);
        }
        Ok(())
    }

    pub(super) async fn run_rollback(
        &self,
        target: &Target,
        to_revision: Option<i64>,
        resource_version: Option<&str>,
    ) -> Result<Done, String> {
        let c = self.client()?;
        let rb = self::plan(c, &target.namespace, &target.name, to_revision).await?;
        if rb.paused {
            return Err(paused_refusal(&target.name));
        }
        if rb.noop {
            return Ok(Done {
                message: noop_message(rb.target_revision),
                // nothing changed: the deployment keeps its revision
                revision: Some(rb.current_revision.to_string()),
                target_revision: Some(rb.target_revision.to_string()),
                resource_version: rb.resource_version,
                ..Done::default()
            });
        }
        // the version the confirmation was shown for, else the one just read
        let rv = resource_version.or(rb.resource_version.as_deref());
        let patch = with_precondition(&rb.patch, rv);
        let api: Api<Deployment> = Api::namespaced(c.clone(), &target.namespace);
        let d = api
            .patch(
                &target.name,
                &super::patch_params(),
                &Patch::<()>::Json(json_patch_of(&patch)?),
            )
            .await
            .map_err(kube_message)?;
        // the revision a rollback makes is the controller's to assign (the copied template
        // becomes the newest revision): read it back once the controller has seen the change
        let created = read_back_revision(&api, &target.name, &d, rb.current_revision).await;
        let message = match created {
            Some(n) => format!(
                "deployment.apps/{} rolled back: revision {n} runs the template of revision {}",
                target.name, rb.target_revision
            ),
            None => format!(
                "deployment.apps/{} rolled back to the template of revision {} (the new revision number was not assigned yet)",
                target.name, rb.target_revision
            ),
        };
        Ok(Done {
            message,
            revision: created.map(|n| n.to_string()),
            target_revision: Some(rb.target_revision.to_string()),
            resource_version: d.metadata.resource_version,
            ..Done::default()
        })
    }
}

/// How long a rollback waits for the deployment controller to number the new revision.
pub(super) const READ_BACK: std::time::Duration = std::time::Duration::from_secs(10);

/// The revision the controller gave the deployment after the patch answered `patched`:
/// the first read whose `observedGeneration` reaches the patch's generation and whose
/// revision is above `before`. `None` when that does not happen within [`READ_BACK`].
async fn read_back_revision(
    api: &Api<Deployment>,
    name: &str,
    patched: &Deployment,
    before: i64,
) -> Option<i64> {
    let generation = patched.metadata.generation.unwrap_or(0);
    let numbered = |d: &Deployment| {
        let seen = d
            .status
            .as_ref()
            .and_then(|s| s.observed_generation)
            .unwrap_or(0);
        let rev = revision_of(&d.metadata);
        (seen >= generation && rev > before).then_some(rev)
    };
    if let Some(n) = numbered(patched) {
        return Some(n);
    }
    let deadline = tokio::time::Instant::now() + READ_BACK;
    while tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if let Ok(d) = api.get(name).await
            && let Some(n) = numbered(&d)
        {
            return Some(n);
        }
    }
    None
}
