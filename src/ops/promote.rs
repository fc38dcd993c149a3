//! Blue-green promotion: point the Service's colour label at the other deployment, only
//! once that deployment is fully ready.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Service;
use kube::api::{Api, ListParams, Patch};
use serde_json::json;

use super::{Done, Executor, Operation, Plan, Target, kube_message, with_resource_version};

impl Executor {
    pub(super) async fn plan_switch(
        &self,
        plan: &mut Plan,
        target: &Target,
        label: &str,
        to: &str,
    ) -> Result<(), String> {
        let c = self.client()?;
        let svc: Api<Service> = Api::namespaced(c.clone(), &target.namespace);
        let s = svc.get(&target.name).await.map_err(kube_message)?;
        let sel = s.spec.and_then(|s| s.selector).unwrap_or_default();
        plan.title = format!("Switch service/{}", target.name);
        plan.before = format!(
            "selector {label}={}",
            sel.get(label).cloned().unwrap_or_default()
        );
        plan.after = format!("selector {label}={to}");
        plan.op = Operation::Switch {
            target: target.clone(),
            label: label.to_owned(),
            to: to.to_owned(),
            resource_version: s.metadata.resource_version.clone(),
        };
        if !sel.contains_key(label) {
            plan.refused = plan.refused.take().or(Some(format!(
                "service/{} does not select on `{label}`, so it is not a blue-green switch",
                target.name
            )));
        } else if sel.get(label).map(String::as_str) == Some(to) {
            plan.refused = plan.refused.take().or(Some(format!(
                "service/{} already selects {label}={to}",
                target.name
            )));
        } else {
            let mut wanted = sel.clone();
            wanted.insert(label.to_owned(), to.to_owned());
            match ready_deployment_for(c, &target.namespace, &wanted).await? {
                Ok(note) => plan.notes.push(note),
                Err(why) => plan.refused = plan.refused.take().or(Some(why)),
            }
        }
        Ok(())
    }

    pub(super) async fn run_switch(
        &self,
        target: &Target,
        label: &str,
        to: &str,
        resource_version: Option<&str>,
    ) -> Result<Done, String> {
        let c = self.client()?;
        let svc: Api<Service> = Api::namespaced(c.clone(), &target.namespace);
        let s = svc.get(&target.name).await.map_err(kube_message)?;
        let mut wanted = s.spec.and_then(|s| s.selector).unwrap_or_default();
        wanted.insert(label.to_owned(), to.to_owned());
        // readiness may have changed since the confirmation
        ready_deployment_for(c, &target.namespace, &wanted).await??;
        let body = with_resource_version(
            json!({"spec": {"selector": {label: to}}}),
            resource_version.or(s.metadata.resource_version.as_deref()),
        );
        let s = svc
            .patch(&target.name, &super::patch_params(), &Patch::Merge(&body))
            .await
            .map_err(kube_message)?;
        Ok(Done {
            message: format!("service/{} now selects {label}={to}", target.name),
            resource_version: s.metadata.resource_version,
            ..Done::default()
        })
    }
}

/// The deployment whose pods the selector would pick, and whether it is fully ready.
/// Outer error: the API failed; inner error: not ready (the reason).
async fn ready_deployment_for(
    c: &kube::Client,
    namespace: &str,
    selector: &BTreeMap<String, String>,
) -> Result<Result<String, String>, String> {
    let api: Api<Deployment> = Api::namespaced(c.clone(), namespace);
    let list = api
        .list(&ListParams::default())
        .await
        .map_err(kube_message)?;
    let wanted = selector
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    let Some(d) = list.items.into_iter().find(|d| {
        let labels = d
            .spec
            .template
            .metadata
            .as_ref()
            .and_then(|m| m.labels.clone())
            .unwrap_or_default();
        selector.iter().all(|(k, v)| labels.get(k) == Some(v))
    }) else {
        return Ok(Err(format!("no deployment has pods matching {wanted}")));
    };
    let name = d.metadata.name.clone().unwrap_or_default();
    let want = d.spec.replicas.unwrap_or(1);
    let st = d.status.clone().unwrap_or_default();
    let gen_ok = st.observed_generation.unwrap_or(0) >= d.metadata.generation.unwrap_or(0);
    let ready = st.ready_replicas.unwrap_or(0);
    let updated = st.updated_replicas.unwrap_or(0);
    let available = st.available_replicas.unwrap_or(0);
    if want > 0 && gen_ok && ready >= want && updated >= want && available >= want {
        Ok(Ok(format!(
            "deployment/{name} is fully ready ({ready}/{want})"
        )))
    } else {
        Ok(Err(format!(
            "deployment/{name} is not fully ready ({ready}/{want} ready, {updated} updated, {available} available): not switching"
        )))
    }
}
