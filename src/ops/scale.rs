//! Scaling a deployment, and the alternative offered when an HPA owns its replicas:
//! changing the HPA's bounds instead.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use kube::api::{Api, ListParams, Patch};
use serde_json::json;

use super::model::WorkloadKind;
use super::{Done, Executor, Operation, Plan, Target, kube_message, with_resource_version};

impl Executor {
    pub(super) async fn plan_scale(
        &self,
        plan: &mut Plan,
        target: &Target,
        replicas: i32,
    ) -> Result<(), String> {
        let c = self.client()?;
        let api: Api<Deployment> = Api::namespaced(c.clone(), &target.namespace);
        let d = api.get(&target.name).await.map_err(kube_message)?;
        let now = d.spec.replicas.unwrap_or(1);
        plan.title = format!("Scale deployment/{}", target.name);
        plan.before = format!("replicas {now}");
        plan.after = format!("replicas {replicas}");
        plan.op = Operation::Scale {
            target: target.clone(),
            replicas,
            resource_version: d.metadata.resource_version.clone(),
        };
        if replicas == 0 {
            plan.type_to_confirm = Some(target.name.clone());
        }
        offer_hpa(plan, c, target, WorkloadKind::Deployment, replicas).await?;
        Ok(())
    }

    pub(super) async fn run_scale(
        &self,
        target: &Target,
        replicas: i32,
        resource_version: Option<&str>,
    ) -> Result<Done, String> {
        let c = self.client()?;
        let api: Api<Deployment> = Api::namespaced(c.clone(), &target.namespace);
        let body = with_resource_version(json!({"spec": {"replicas": replicas}}), resource_version);
        let scale = api
            .patch_scale(&target.name, &super::patch_params(), &Patch::Merge(&body))
            .await
            .map_err(kube_message)?;
        Ok(Done {
            message: format!("deployment.apps/{} scaled to {replicas}", target.name),
            resource_version: scale.metadata.resource_version,
            ..Done::default()
        })
    }

    pub(super) async fn plan_scale_hpa(
        &self,
        plan: &mut Plan,
        target: &Target,
        min: i32,
        max: i32,
    ) -> Result<(), String> {
        let c = self.client()?;
        let api: Api<HorizontalPodAutoscaler> = Api::namespaced(c.clone(), &target.namespace);
        let h = api.get(&target.name).await.map_err(kube_message)?;
        let spec = h.spec;
        plan.title = format!("Change HPA {} bounds", target.name);
        plan.before = format!(
            "min {} max {}",
            spec.min_replicas.unwrap_or(1),
            spec.max_replicas
        );
        plan.after = format!("min {min} max {max}");
        Ok(())
    }

    pub(super) async fn run_scale_hpa(
        &self,
        target: &Target,
        min: i32,
        max: i32,
        resource_version: Option<&str>,
    ) -> Result<Done, String> {
        let c = self.client()?;
        let api: Api<HorizontalPodAutoscaler> = Api::namespaced(c.clone(), &target.namespace);
        let body = with_resource_version(
            json!({"spec": {"minReplicas": min, "maxReplicas": max}}),
            resource_version,
        );
        let h = api
            .patch(&target.name, &super::patch_params(), &Patch::Merge(&body))
            .await
            .map_err(kube_message)?;
        Ok(Done {
            message: format!("hpa/{} bounds now min {min} max {max}", target.name),
            resource_version: h.metadata.resource_version,
            ..Done::default()
        })
    }
}

/// The HPA whose scale target is this deployment, if any: it would undo a plain scale.
async fn hpa_for(
    c: &kube::Client,
    target: &Target,
    kind: WorkloadKind,
) -> Result<Option<HorizontalPodAutoscaler>, String> {
    let api: Api<HorizontalPodAutoscaler> = Api::namespaced(c.clone(), &target.namespace);
    let list = api
        .list(&ListParams::default())
        .await
        .map_err(kube_message)?;
    Ok(list.items.into_iter().find(|h| {
        h.spec.scale_target_ref.kind == kind.api_kind()
            && h.spec.scale_target_ref.name == target.name
    }))
}

/// When an HPA targets the object being scaled, says that it will override the change and
/// offers changing its bounds instead (`kind` as the note names it).
pub(super) async fn offer_hpa(
    plan: &mut Plan,
    c: &kube::Client,
    target: &Target,
    kind: WorkloadKind,
    replicas: i32,
) -> Result<(), String> {
    let Some(h) = hpa_for(c, target, kind).await? else {
        return Ok(());
    };
    let spec = h.spec.clone();
    let min = spec.min_replicas.unwrap_or(1);
    let name = h.metadata.name.clone().unwrap_or_default();
    plan.notes.push(format!(
        "HPA {name} targets this {} (min {min}, max {}): it will override the change",
        kind.resource(),
        spec.max_replicas
    ));
    plan.alternative = Some(Operation::ScaleHpa {
        target: Target {
            name,
            ..target.clone()
        },
        min: replicas.clamp(1, spec.max_replicas.max(1)),
        max: spec.max_replicas.max(replicas),
        resource_version: h.metadata.resource_version.clone(),
    });
    Ok(())
}
