//! `kubectl delete KIND NAME [--cascade=background|foreground|orphan]` of any object,
//! through the dynamic API: the confirmation names what owns the object and whether that
//! recreates it, and what happens to what it owns; the DELETE carries the uid and
//! resourceVersion the confirmation was shown for as preconditions (DeleteOptions), so an
//! object changed or recreated under the same name since is never the one deleted.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, Preconditions, PropagationPolicy};

use super::model::{ObjectRef, Propagation};
use super::{Done, Executor, Plan, kube_message};

/// The plan's warning when nothing owns the object.
pub const NOTHING_RECREATES: &str = "nothing owns it: nothing recreates it";

/// The dynamic API of `o`'s resource, in its namespace (or cluster-wide).
pub(crate) fn dynamic_api(c: &kube::Client, o: &ObjectRef) -> Api<DynamicObject> {
    let ar = ApiResource {
        group: o.group.clone(),
        version: o.version.clone(),
        api_version: o.api_version(),
        kind: o.kind.clone(),
        plural: o.plural.clone(),
    };
    if o.namespace.is_empty() {
        Api::all_with(c.clone(), &ar)
    } else {
        Api::namespaced_with(c.clone(), &o.namespace, &ar)
    }
}

/// Reads `o`, refusing another object that has taken its name since it was shown.
pub(crate) async fn get_same(
    c: &kube::Client,
    o: &ObjectRef,
) -> Result<(Api<DynamicObject>, DynamicObject), String> {
    let api = dynamic_api(c, o);
    let got = api.get(&o.name).await.map_err(kube_message)?;
    if let (Some(want), Some(have)) = (&o.uid, &got.metadata.uid)
        && want != have
    {
        return Err(format!(
            "{} was deleted and created again since it was shown (uid {want} is now {have}); nothing was changed — look again",
            o.kubectl_name()
        ));
    }
    Ok((api, got))
}

/// What an owner does once its dependent `kind` is gone.
fn owner_line(kind: &str, owner: &OwnerReference) -> String {
    let who = format!("{} {}", owner.kind, owner.name);
    if owner.controller != Some(true) {
        return format!("owned by {who} (not its controller): deleted with it, not recreated");
    }
    match (owner.kind.as_str(), kind) {
        ("ReplicaSet", "Pod") => format!("{who} recreates it under a new name"),
        ("StatefulSet", "Pod") => format!("{who} recreates it under the same name"),
        ("DaemonSet", "Pod") => format!("{who} recreates it on its node"),
        ("Job", "Pod") => format!("{who} starts a replacement if it has not completed"),
        ("Deployment" | "Rollout", "ReplicaSet") => {
            format!("{who} controls it: recreates it while its template is current")
        }
        ("CronJob", "Job") => format!("{who} made it: not recreated, the next run is a new Job"),
        _ => format!("{who} controls it and may recreate it"),
    }
}

/// What the policy does to what the object owns.
fn dependents_line(p: Propagation) -> String {
    match p {
        Propagation::Background => format!(
            "what it owns is deleted after it by the garbage collector ({})",
            p.cascade()
        ),
        Propagation::Foreground => format!(
            "what it owns is deleted first, the object last ({})",
            p.cascade()
        ),
        Propagation::Orphan => format!("what it owns stays, without an owner ({})", p.cascade()),
    }
}

fn delete_params(
    p: Propagation,
    uid: Option<String>,
    resource_version: Option<String>,
    dry_run: bool,
) -> DeleteParams {
    DeleteParams {
        dry_run,
        grace_period_seconds: None,
        propagation_policy: Some(match p {
            Propagation::Background => PropagationPolicy::Background,
            Propagation::Foreground => PropagationPolicy::Foreground,
            Propagation::Orphan => PropagationPolicy::Orphan,
        }),
        preconditions: Some(Preconditions {
            uid,
            resource_version,
        }),
    }
}

impl Executor {
    pub(super) async fn plan_delete(
        &self,
        plan: &mut Plan,
        context: &str,
        object: &ObjectRef,
        propagation: Propagation,
    ) -> Result<(), String> {
        let c = self.client()?;
        let (api, got) = get_same(c, object).await?;
        let confirmed = ObjectRef {
            uid: got.metadata.uid.clone(),
            resource_version: got.metadata.resource_version.clone(),
            ..object.clone()
        };
        let where_ = if object.namespace.is_empty() {
            "cluster-scoped".to_owned()
        } else {
            format!("in {}", object.namespace)
        };
        plan.title = format!("Delete {} {}", object.kind, object.name);
        plan.before = format!(
            "{} {} {where_} (uid {}, resourceVersion {})",
            object.kind,
            object.name,
            confirmed.uid.as_deref().unwrap_or("?"),
            confirmed.resource_version.as_deref().unwrap_or("?"),
        );
        plan.after = format!("deleted ({})", propagation.cascade());
        let owners = got.metadata.owner_references.clone().unwrap_or_default();
        if owners.is_empty() {
            plan.notes.push(NOTHING_RECREATES.into());
            if object.kind == "Pod" {
                plan.notes.push(super::pod::BARE_POD.into());
                plan.type_to_confirm = Some(object.name.clone());
            }
        }
        for o in &owners {
            plan.notes.push(owner_line(&object.kind, o));
        }
        plan.notes.push(dependents_line(propagation));
        plan.op = super::Operation::Delete {
            context: context.to_owned(),
            object: confirmed.clone(),
            propagation,
        };
        if plan.refused.is_none() {
            let dp = delete_params(
                propagation,
                confirmed.uid.clone(),
                confirmed.resource_version.clone(),
                true,
            );
            plan.notes.push(match api.delete(&object.name, &dp).await {
                Ok(_) => "server dry run (dryRun=All): ok".into(),
                Err(e) => format!("server dry run (dryRun=All): {}", kube_message(e)),
            });
            plan.alternative = Some(super::Operation::Delete {
                context: context.to_owned(),
                object: object.clone(),
                propagation: propagation.next(),
            });
        }
        Ok(())
    }

    pub(super) async fn run_delete(
        &self,
        object: &ObjectRef,
        propagation: Propagation,
    ) -> Result<Done, String> {
        let c = self.client()?;
        let api = dynamic_api(c, object);
        let dp = delete_params(
            propagation,
            object.uid.clone(),
            object.resource_version.clone(),
            false,
        );
        api.delete(&object.name, &dp).await.map_err(kube_message)?;
        let name = object.kubectl_name();
        let (what, name) = name.split_once('/').unwrap_or((name.as_str(), ""));
        Ok(Done {
            message: format!("{what} \"{name}\" deleted ({})", propagation.cascade()),
            ..Done::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(kind: &str, controller: bool) -> OwnerReference {
        OwnerReference {
            kind: kind.into(),
            name: "x".into(),
            controller: Some(controller),
            ..OwnerReference::default()
        }
    }

    #[test]
    fn names_what_recreates_it() {
        assert_eq!(
            owner_line("Pod", &owner("ReplicaSet", true)),
            "ReplicaSet x recreates it under a new name"
        );
        assert!(owner_line("Pod", &owner("Foo", false)).contains("not recreated"));
        assert!(dependents_line(Propagation::Orphan).contains("--cascade=orphan"));
    }
}
