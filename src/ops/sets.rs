//! StatefulSets and DaemonSets as kubectl handles them: `rollout undo` to a
//! ControllerRevision (pkg/polymorphichelpers/rollback.go, `StatefulSetRollbacker` and
//! `DaemonSetRollbacker`), `rollout restart` (the `restartedAt` annotation), and a
//! StatefulSet's `scale` through `/scale`, HPA-aware as for Deployments.

use std::collections::BTreeMap;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet, StatefulSet};
use kube::api::{Api, ListParams, Patch, PatchParams};
use serde_json::{Value, json};

use super::model::{RevisionChoice, WorkloadKind, WorkloadOp};
use super::workload::{confirmed, template_images};
use super::{
    Done, Executor, Plan, Target, dry_run, kube_message, restarted_at, with_resource_version,
};

/// What the operations need of a StatefulSet or DaemonSet.
#[derive(Debug, Clone)]
struct SetState {
    uid: String,
    resource_version: Option<String>,
    selector: BTreeMap<String, String>,
    /// `spec.template` as JSON.
    template: Value,
    /// `updateStrategy.type: OnDelete`: pods take a new template only when deleted.
    on_delete: bool,
}

/// `apps/v1` names kubectl prints: `statefulset.apps/NAME`.
fn qualified(kind: WorkloadKind, name: &str) -> String {
    format!("{}.apps/{name}", kind.resource())
}

async fn read_set(
    c: &kube::Client,
    kind: WorkloadKind,
    target: &Target,
) -> Result<SetState, String> {
    let to_json = |t: &k8s_openapi::api::core::v1::PodTemplateSpec| {
        serde_json::to_value(t).map_err(|e| format!("internal: pod template as JSON: {e}"))
    };
    match kind {
        WorkloadKind::StatefulSet => {
            let api: Api<StatefulSet> = Api::namespaced(c.clone(), &target.namespace);
            let s = api.get(&target.name).await.map_err(kube_message)?;
            let spec = s.spec;
            Ok(SetState {
                uid: s.metadata.uid.unwrap_or_default(),
                resource_version: s.metadata.resource_version,
                selector: spec.selector.match_labels.unwrap_or_default(),
                template: to_json(&spec.template)?,
                on_delete: spec.update_strategy.and_then(|u| u.type_).as_deref()
                    == Some("OnDelete"),
            })
        }
        WorkloadKind::DaemonSet => {
            let api: Api<DaemonSet> = Api::namespaced(c.clone(), &target.namespace);
            let d = api.get(&target.name).await.map_err(kube_message)?;
            let spec = d.spec;
            Ok(SetState {
                uid: d.metadata.uid.unwrap_or_default(),
                resource_version: d.metadata.resource_version,
                selector: spec.selector.match_labels.unwrap_or_default(),
                template: to_json(&spec.template)?,
                on_delete: spec.update_strategy.and_then(|u| u.type_).as_deref()
                    == Some("OnDelete"),
            })
        }
        other => Err(format!("{} has no ControllerRevisions", other.resource())),
    }
}

/// kubectl's `controlledHistory`: the ControllerRevisions matching the set's selector
/// that the set controls (controller owner reference with its uid).
async fn owned_revisions(
    c: &kube::Client,
    target: &Target,
    set: &SetState,
) -> Result<Vec<ControllerRevision>, String> {
    let selector = set
        .selector
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    let api: Api<ControllerRevision> = Api::namespaced(c.clone(), &target.namespace);
    let mut out = Vec::new();
    let mut lp = ListParams::default().labels(&selector).limit(500);
    loop {
        let page = api.list(&lp).await.map_err(kube_message)?;
        out.extend(page.items.into_iter().filter(|r| {
            r.metadata
                .owner_references
                .iter()
                .flatten()
                .any(|o| o.controller == Some(true) && o.uid == set.uid)
        }));
        match page.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(c) => lp = lp.continue_token(&c),
            None => break,
        }
    }
    Ok(out)
}

/// kubectl's `getStatefulSetPatch`/`getDaemonSetPatch`: what a ControllerRevision's
/// `data` holds for this template.
pub fn template_patch(template: &Value) -> Value {
    let mut t = template.clone();
    if let Some(m) = t.as_object_mut() {
        m.insert("$patch".into(), json!("replace"));
    }
    json!({"spec": {"template": t}})
}

/// JSON as Go encodes it with `omitempty`: no nulls, empty maps or empty lists.
fn normalized(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| {
                    !v.is_null()
                        && v.as_object().is_none_or(|o| !o.is_empty())
                        && v.as_array().is_none_or(|a| !a.is_empty())
                })
                .map(|(k, v)| (k.clone(), normalized(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(normalized).collect()),
        v => v.clone(),
    }
}

/// A revision's number (0 where the server left it out).
fn number(r: &ControllerRevision) -> i64 {
    r.revision.unwrap_or(0)
}

fn data(r: &ControllerRevision) -> Value {
    r.data.0.clone()
}

/// kubectl's `statefulsetMatch`/`daemonsetMatch`: the revision holds the current template.
pub fn revision_matches(template: &Value, r: &ControllerRevision) -> bool {
    normalized(&template_patch(template)) == normalized(&data(r))
}

/// kubectl's `findHistory`: the revision numbered `to`, or the previous one (the second
/// highest number).
pub fn find_revision(
    revisions: &[ControllerRevision],
    to: Option<i64>,
) -> Result<&ControllerRevision, String> {
    match to {
        Some(n) => revisions
            .iter()
            .find(|r| number(r) == n)
            .ok_or_else(|| format!("unable to find specified revision {n} in history")),
        None => {
            let mut sorted: Vec<&ControllerRevision> = revisions.iter().collect();
            sorted.sort_by_key(|r| number(r));
            match sorted.len() {
                0 | 1 => Err("no last revision to roll back to".into()),
                n => Ok(sorted[n - 2]),
            }
        }
    }
}

/// The revision the set runs now: the highest one holding its template, else the highest.
fn current_revision(template: &Value, revisions: &[ControllerRevision]) -> Option<i64> {
    revisions
        .iter()
        .filter(|r| revision_matches(template, r))
        .map(number)
        .max()
        .or_else(|| revisions.iter().map(number).max())
}

/// The picker's rows: every revision, newest first, the running one marked.
pub fn revision_choices(template: &Value, revisions: &[ControllerRevision]) -> Vec<RevisionChoice> {
    let current = current_revision(template, revisions);
    let mut out: Vec<RevisionChoice> = revisions
        .iter()
        .map(|r| RevisionChoice {
            revision: number(r),
            name: r.metadata.name.clone().unwrap_or_default(),
            images: revision_images(r),
            change_cause: r
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get("kubernetes.io/change-cause").cloned()),
            created: r.metadata.creation_timestamp.as_ref().map(|t| t.0),
            current: Some(number(r)) == current,
        })
        .collect();
    out.sort_by(|a, b| b.revision.cmp(&a.revision).then(a.name.cmp(&b.name)));
    out
}

fn revision_images(r: &ControllerRevision) -> Vec<String> {
    data(r)
        .pointer("/spec/template")
        .map(template_images)
        .unwrap_or_default()
}

fn describe(revision: Option<i64>, images: &[String]) -> String {
    match revision {
        Some(n) => format!("revision {n} {}", images.join(",")),
        None => images.join(","),
    }
}

const ON_DELETE: &str =
    "updateStrategy OnDelete: running pods keep the old template until each is deleted";

/// What a set rollback will send, read from the cluster.
struct SetRollback {
    set: SetState,
    current: Option<i64>,
    target: ControllerRevision,
    noop: bool,
}

async fn plan_rollback(
    c: &kube::Client,
    kind: WorkloadKind,
    target: &Target,
    to_revision: Option<i64>,
) -> Result<SetRollback, String> {
    let set = read_set(c, kind, target).await?;
    let revisions = owned_revisions(c, target, &set).await?;
    let to = find_revision(&revisions, to_revision)?.clone();
    Ok(SetRollback {
        current: current_revision(&set.template, &revisions),
        noop: revision_matches(&set.template, &to),
        target: to,
        set,
    })
}

/// kubectl's words when the template already matches.
fn skipped(revision: i64) -> String {
    format!("skipped rollback (current template already matches revision {revision})")
}

async fn patch_set(
    c: &kube::Client,
    kind: WorkloadKind,
    target: &Target,
    pp: &PatchParams,
    body: &Value,
) -> Result<Option<String>, String> {
    let patch = Patch::Strategic(body);
    match kind {
        WorkloadKind::StatefulSet => Api::<StatefulSet>::namespaced(c.clone(), &target.namespace)
            .patch(&target.name, pp, &patch)
            .await
            .map(|s| s.metadata.resource_version),
        _ => Api::<DaemonSet>::namespaced(c.clone(), &target.namespace)
            .patch(&target.name, pp, &patch)
            .await
            .map(|d| d.metadata.resource_version),
    }
    .map_err(kube_message)
}

/// A server-side dry run of `body` on the set, as a note.
async fn dry_run_set(
    c: &kube::Client,
    kind: WorkloadKind,
    target: &Target,
    body: &Value,
) -> String {
    let patch = Patch::Strategic(body);
    match kind {
        WorkloadKind::StatefulSet => {
            let api: Api<StatefulSet> = Api::namespaced(c.clone(), &target.namespace);
            dry_run(&api, &target.name, &patch).await
        }
        _ => {
            let api: Api<DaemonSet> = Api::namespaced(c.clone(), &target.namespace);
            dry_run(&api, &target.name, &patch).await
        }
    }
}

impl Executor {
    /// The ControllerRevisions of a StatefulSet or DaemonSet, newest first, for the
    /// revision picker (the running one has `current`).
    pub async fn workload_revisions(
        &self,
        target: &Target,
        kind: WorkloadKind,
    ) -> Result<Vec<RevisionChoice>, String> {
        let c = self.client()?;
        let set = read_set(c, kind, target).await?;
        let revisions = owned_revisions(c, target, &set).await?;
        Ok(revision_choices(&set.template, &revisions))
    }

    pub(super) async fn plan_set_rollback(
        &self,
        plan: &mut Plan,
        target: &Target,
        kind: WorkloadKind,
        to_revision: Option<i64>,
    ) -> Result<(), String> {
        let c = self.client()?;
        let rb = plan_rollback(c, kind, target, to_revision).await?;
        plan.title = format!("Roll back {}/{}", kind.resource(), target.name);
        plan.before = describe(rb.current, &template_images(&rb.set.template));
        let cause = rb
            .target
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get("kubernetes.io/change-cause"))
            .map(|c| format!(" ({c})"))
            .unwrap_or_default();
        plan.after = format!(
            "{}{cause}",
            describe(Some(number(&rb.target)), &revision_images(&rb.target))
        );
        plan.op = confirmed(
            target,
            kind,
            WorkloadOp::Rollback { to_revision },
            rb.set.resource_version.clone(),
        );
        if rb.noop {
            plan.refused = Some(skipped(number(&rb.target)));
            return Ok(());
        }
        if rb.set.on_delete {
            plan.notes.push(ON_DELETE.into());
        }
        if plan.refused.is_none() {
            let body = with_resource_version(data(&rb.target), rb.set.resource_version.as_deref());
            plan.notes.push(dry_run_set(c, kind, target, &body).await);
        }
        Ok(())
    }

    pub(super) async fn run_set_rollback(
        &self,
        target: &Target,
        kind: WorkloadKind,
        to_revision: Option<i64>,
        resource_version: Option<&str>,
    ) -> Result<Done, String> {
        let c = self.client()?;
        let rb = plan_rollback(c, kind, target, to_revision).await?;
        if rb.noop {
            return Ok(Done {
                message: skipped(number(&rb.target)),
                revision: Some(number(&rb.target).to_string()),
                target_revision: Some(number(&rb.target).to_string()),
                resource_version: rb.set.resource_version,
                ..Done::default()
            });
        }
        // the version the confirmation was shown for, else the one just read
        let rv = resource_version.or(rb.set.resource_version.as_deref());
        let body = with_resource_version(data(&rb.target), rv);
        let before = self
            .workload_revisions(target, kind)
            .await
            .ok()
            .and_then(|v| v.iter().map(|c| c.revision).max())
            .unwrap_or(0);
        let new_rv = patch_set(c, kind, target, &super::patch_params(), &body).await?;
        // the controller numbers the restored template as the newest revision: read it back
        let deadline = tokio::time::Instant::now() + super::rollback::READ_BACK;
        let mut created = None;
        while created.is_none() && tokio::time::Instant::now() < deadline {
            created = self
                .workload_revisions(target, kind)
                .await
                .ok()
                .and_then(|v| v.into_iter().find(|c| c.current && c.revision > before))
                .map(|c| c.revision);
            if created.is_none() {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
        let message = match created {
            Some(n) => format!(
                "{} rolled back: revision {n} runs the template of revision {}",
                qualified(kind, &target.name),
                number(&rb.target)
            ),
            None => format!(
                "{} rolled back to the template of revision {} (the new revision number was not assigned yet)",
                qualified(kind, &target.name),
                number(&rb.target)
            ),
        };
        Ok(Done {
            message,
            revision: created.map(|n| n.to_string()),
            target_revision: Some(number(&rb.target).to_string()),
            resource_version: new_rv,
            ..Done::default()
        })
    }

    pub(super) async fn plan_set_restart(
        &self,
        plan: &mut Plan,
        target: &Target,
        kind: WorkloadKind,
    ) -> Result<(), String> {
        let c = self.client()?;
        let set = read_set(c, kind, target).await?;
        let revisions = owned_revisions(c, target, &set).await?;
        plan.title = format!("Restart {}/{}", kind.resource(), target.name);
        plan.before = describe(
            current_revision(&set.template, &revisions),
            &template_images(&set.template),
        );
        plan.after = "new rollout (restartedAt = now)".into();
        plan.op = confirmed(
            target,
            kind,
            WorkloadOp::Restart,
            set.resource_version.clone(),
        );
        if set.on_delete {
            plan.notes.push(ON_DELETE.into());
        }
        if plan.refused.is_none() {
            let body = with_resource_version(
                restart_patch(Timestamp::now()),
                set.resource_version.as_deref(),
            );
            plan.notes.push(dry_run_set(c, kind, target, &body).await);
        }
        Ok(())
    }

    pub(super) async fn run_set_restart(
        &self,
        target: &Target,
        kind: WorkloadKind,
        resource_version: Option<&str>,
    ) -> Result<Done, String> {
        let c = self.client()?;
        let rv = match resource_version {
            Some(rv) => Some(rv.to_owned()),
            None => read_set(c, kind, target).await?.resource_version,
        };
        let body = with_resource_version(restart_patch(Timestamp::now()), rv.as_deref());
        let new_rv = patch_set(c, kind, target, &super::patch_params(), &body).await?;
        Ok(Done {
            message: format!("{} restarted", qualified(kind, &target.name)),
            resource_version: new_rv,
            ..Done::default()
        })
    }

    pub(super) async fn plan_set_scale(
        &self,
        plan: &mut Plan,
        target: &Target,
        replicas: i32,
    ) -> Result<(), String> {
        let c = self.client()?;
        let api: Api<StatefulSet> = Api::namespaced(c.clone(), &target.namespace);
        let s = api.get(&target.name).await.map_err(kube_message)?;
        let now = s.spec.replicas.unwrap_or(1);
        plan.title = format!("Scale statefulset/{}", target.name);
        plan.before = format!("replicas {now}");
        plan.after = format!("replicas {replicas}");
        plan.op = confirmed(
            target,
            WorkloadKind::StatefulSet,
            WorkloadOp::Scale { replicas },
            s.metadata.resource_version.clone(),
        );
        if replicas == 0 {
            plan.type_to_confirm = Some(target.name.clone());
        }
        if let Some(note) = ordinals_note(&target.name, now, replicas) {
            plan.notes.push(note);
        }
        if plan.refused.is_none() {
            let body = with_resource_version(
                json!({"spec": {"replicas": replicas}}),
                s.metadata.resource_version.as_deref(),
            );
            let dry = PatchParams {
                dry_run: true,
                ..super::patch_params()
            };
            plan.notes.push(
                match api
                    .patch_scale(&target.name, &dry, &Patch::Merge(&body))
                    .await
                {
                    Ok(_) => "server dry run (dryRun=All): ok".into(),
                    Err(e) => format!("server dry run (dryRun=All): {}", kube_message(e)),
                },
            );
        }
        super::scale::offer_hpa(plan, c, target, WorkloadKind::StatefulSet, replicas).await?;
        Ok(())
    }

    pub(super) async fn run_set_scale(
        &self,
        target: &Target,
        replicas: i32,
        resource_version: Option<&str>,
    ) -> Result<Done, String> {
        let c = self.client()?;
        let api: Api<StatefulSet> = Api::namespaced(c.clone(), &target.namespace);
        let body = with_resource_version(json!({"spec": {"replicas": replicas}}), resource_version);
        let scale = api
            .patch_scale(&target.name, &super::patch_params(), &Patch::Merge(&body))
            .await
            .map_err(kube_message)?;
        Ok(Done {
            message: format!(
                "{} scaled to {replicas}",
                qualified(WorkloadKind::StatefulSet, &target.name)
            ),
            resource_version: scale.metadata.resource_version,
            ..Done::default()
        })
    }
}

/// `kubectl rollout restart`'s patch.
fn restart_patch(now: Timestamp) -> Value {
    json!({"spec": {"template": {"metadata": {"annotations": {
        "kubectl.kubernetes.io/restartedAt": restarted_at(now)
    }}}}})
}

/// Which pods a StatefulSet scale adds or removes: they go from the highest ordinal down
/// and come back in order.
pub fn ordinals_note(name: &str, now: i32, want: i32) -> Option<String> {
    let list = |ordinals: Vec<i32>| {
        let mut v: Vec<String> = ordinals.iter().map(|i| format!("{name}-{i}")).collect();
        if v.len() > 4 {
            let last = v.pop().unwrap_or_default();
            v.truncate(2);
            v.push("…".into());
            v.push(last);
        }
        v.join(", ")
    };
    if want < now {
        Some(format!(
            "removes {} (highest ordinal first; their PersistentVolumeClaims stay)",
            list((want.max(0)..now).rev().collect())
        ))
    } else if want > now {
        Some(format!(
            "adds {} (in order)",
            list((now.max(0)..want).collect())
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::runtime::RawExtension;

    fn rev(n: i64, image: &str) -> ControllerRevision {
        ControllerRevision {
            revision: Some(n),
            data: RawExtension(template_patch(&json!({
                "metadata": {"labels": {"app": "db"}},
                "spec": {"containers": [{"name": "db", "image": image}], "securityContext": {}}
            }))),
            ..ControllerRevision::default()
        }
    }

    #[test]
    fn previous_is_the_second_highest_and_a_number_must_exist() {
        let revs = [rev(3, "c"), rev(1, "a"), rev(4, "d")];
        assert_eq!(number(find_revision(&revs, None).unwrap()), 3);
        assert_eq!(number(find_revision(&revs, Some(1)).unwrap()), 1);
        assert_eq!(
            find_revision(&revs, Some(2)).unwrap_err(),
            "unable to find specified revision 2 in history"
        );
        assert_eq!(
            find_revision(&revs[..1], None).unwrap_err(),
            "no last revision to roll back to"
        );
    }

    #[test]
    fn a_template_matches_its_revision_whatever_go_omits() {
        let t = json!({
            "metadata": {"labels": {"app": "db"}, "annotations": {}},
            "spec": {"containers": [{"name": "db", "image": "b", "env": []}]}
        });
        assert!(revision_matches(&t, &rev(2, "b")));
        assert!(!revision_matches(&t, &rev(1, "a")));
        let choices = revision_choices(&t, &[rev(1, "a"), rev(2, "b")]);
        assert_eq!(
            choices
                .iter()
                .map(|c| (c.revision, c.images.join(","), c.current))
                .collect::<Vec<_>>(),
            vec![(2, "b".to_owned(), true), (1, "a".to_owned(), false)]
        );
    }

    #[test]
    fn scale_names_the_ordinals_that_go_highest_first() {
        assert_eq!(
            ordinals_note("db", 3, 1).unwrap(),
            "removes db-2, db-1 (highest ordinal first; their PersistentVolumeClaims stay)"
        );
        assert_eq!(
            ordinals_note("db", 1, 3).unwrap(),
            "adds db-1, db-2 (in order)"
        );
        assert_eq!(ordinals_note("db", 2, 2), None);
    }
}
