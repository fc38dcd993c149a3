//! `kubectl delete pod`: a graceful DELETE (the pod's own grace period unless one is
//! given, background propagation), made conditional on the pod's uid and resourceVersion
//! so that a pod recreated under the same name is never the one deleted. The plan names
//! what will replace the pod, or warns that nothing will.

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::{Api, DeleteParams, Preconditions, PropagationPolicy};

use super::model::{WorkloadKind, WorkloadOp};
use super::workload::{check_unchanged, confirmed};
use super::{Done, Executor, Plan, Target, kube_message};

/// The plan's warning for a pod no controller owns.
pub const BARE_POD: &str = "bare pod: nothing recreates it";

fn controller_of(refs: Option<&Vec<OwnerReference>>) -> Option<&OwnerReference> {
    refs.into_iter()
        .flatten()
        .find(|o| o.controller == Some(true))
}

/// What replaces the pod once it is gone, from its controller (a ReplicaSet's own
/// controller, its Deployment, is named too); `None` for a bare pod.
async fn replacement(c: &kube::Client, pod: &Pod, target: &Target) -> Option<String> {
    let owner = controller_of(pod.metadata.owner_references.as_ref())?;
    let node = pod
        .spec
        .as_ref()
        .and_then(|s| s.node_name.clone())
        .unwrap_or_else(|| "its node".into());
    Some(match owner.kind.as_str() {
        "ReplicaSet" => {
            let rs = Api::<ReplicaSet>::namespaced(c.clone(), &target.namespace)
                .get(&owner.name)
                .await
                .ok();
            match rs
                .as_ref()
                .and_then(|rs| controller_of(rs.metadata.owner_references.as_ref()))
            {
                Some(d) => format!(
                    "{} {} recreates it (through ReplicaSet {}) under a new name",
                    d.kind, d.name, owner.name
                ),
                None => format!("ReplicaSet {} recreates it under a new name", owner.name),
            }
        }
        "StatefulSet" => format!(
            "StatefulSet {} recreates it under the same name {}",
            owner.name, target.name
        ),
        "DaemonSet" => format!("DaemonSet {} recreates it on {node}", owner.name),
        "Job" => format!(
            "Job {} starts a replacement if it has not completed",
            owner.name
        ),
        other => format!("{other} {} controls it", owner.name),
    })
}

fn grace_of(pod: &Pod, given: Option<i64>) -> String {
    match given {
        Some(g) => format!("grace period {g} s (given)"),
        None => {
            let own = pod
                .spec
                .as_ref()
                .and_then(|s| s.termination_grace_period_seconds)
                .unwrap_or(30);
            format!("grace period {own} s (the pod's own)")
        }
    }
}

/// kubectl's DeleteOptions, and the preconditions.
fn delete_params(
    grace_period_secs: Option<i64>,
    uid: Option<String>,
    resource_version: Option<String>,
    dry_run: bool,
) -> Result<DeleteParams, String> {
    let grace_period_seconds = grace_period_secs
        .map(|g| u32::try_from(g).map_err(|_| format!("grace period {g} s is out of range")))
        .transpose()?;
    Ok(DeleteParams {
        dry_run,
        grace_period_seconds,
        propagation_policy: Some(PropagationPolicy::Background),
        preconditions: Some(Preconditions {
            uid,
            resource_version,
        }),
    })
}

impl Executor {
    pub(super) async fn plan_pod_delete(
        &self,
        plan: &mut Plan,
        target: &Target,
        grace_period_secs: Option<i64>,
    ) -> Result<(), String> {
        let c = self.client()?;
        let api: Api<Pod> = Api::namespaced(c.clone(), &target.namespace);
        let pod = api.get(&target.name).await.map_err(kube_message)?;
        let phase = pod
            .status
            .as_ref()
            .and_then(|s| s.phase.clone())
            .unwrap_or_else(|| "Unknown".into());
        let node = pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .unwrap_or_else(|| "no node".into());
        plan.title = format!("Delete pod/{}", target.name);
        plan.before = format!("{phase} on {node}");
        plan.after = format!("deleted, {}", grace_of(&pod, grace_period_secs));
        plan.op = confirmed(
            target,
            WorkloadKind::Pod,
            WorkloadOp::Delete { grace_period_secs },
            pod.metadata.resource_version.clone(),
        );
        match replacement(c, &pod, target).await {
            Some(r) => plan.notes.push(r),
            None => {
                plan.notes.push(BARE_POD.into());
                plan.type_to_confirm = Some(target.name.clone());
            }
        }
        if plan.refused.is_none() {
            let dp = delete_params(
                grace_period_secs,
                pod.metadata.uid.clone(),
                pod.metadata.resource_version.clone(),
                true,
            )?;
            plan.notes.push(match api.delete(&target.name, &dp).await {
                Ok(_) => "server dry run (dryRun=All): ok".into(),
                Err(e) => format!("server dry run (dryRun=All): {}", kube_message(e)),
            });
        }
        Ok(())
    }

    pub(super) async fn run_pod_delete(
        &self,
        target: &Target,
        grace_period_secs: Option<i64>,
        resource_version: Option<&str>,
    ) -> Result<Done, String> {
        let c = self.client()?;
        let api: Api<Pod> = Api::namespaced(c.clone(), &target.namespace);
        let pod = api.get(&target.name).await.map_err(kube_message)?;
        // the server checks the preconditions too; this says so before anything is sent
        check_unchanged(
            &format!("pod/{}", target.name),
            resource_version,
            pod.metadata.resource_version.as_deref(),
        )?;
        let dp = delete_params(
            grace_period_secs,
            pod.metadata.uid.clone(),
            resource_version
                .map(str::to_owned)
                .or(pod.metadata.resource_version.clone()),
            false,
        )?;
        api.delete(&target.name, &dp).await.map_err(kube_message)?;
        Ok(Done {
            message: format!(
                "pod \"{}\" deleted ({})",
                target.name,
                grace_of(&pod, grace_period_secs)
            ),
            ..Done::default()
        })
    }
}
