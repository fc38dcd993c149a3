//! `kubectl rollout restart`: a new rollout by stamping the pod template with the time.

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, Patch};
use serde_json::json;

use super::{
    Done, Executor, Operation, Plan, Target, kube_message, rollback, with_resource_version,
};

/// kubectl's refusal, shown in the plan and repeated by the run, which reads again.
const PAUSED: &str = "can't restart paused deployment (run rollout resume first)";

/// kubectl's `time.Now().Format(time.RFC3339)`, in UTC.
pub fn restarted_at(now: Timestamp) -> String {
    now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl Executor {
    pub(super) async fn plan_restart(
        &self,
        plan: &mut Plan,
        target: &Target,
    ) -> Result<(), String> {
        let c = self.client()?;
        let api: Api<Deployment> = Api::namespaced(c.clone(), &target.namespace);
        let d = api.get(&target.name).await.map_err(kube_message)?;
        plan.title = format!("Restart deployment/{}", target.name);
        plan.before = format!("revision {}", rollback::revision_of(&d.metadata));
        plan.after = "new rollout (restartedAt = now)".into();
        plan.op = Operation::Restart {
            target: target.clone(),
            resource_version: d.metadata.resource_version.clone(),
        };
        if d.spec.paused.unwrap_or(false) {
            plan.refused = Some(PAUSED.into());
        }
        Ok(())
    }

    pub(super) async fn run_restart(
        &self,
        target: &Target,
        resource_version: Option<&str>,
    ) -> Result<Done, String> {
        let c = self.client()?;
        let api: Api<Deployment> = Api::namespaced(c.clone(), &target.namespace);
        let d = api.get(&target.name).await.map_err(kube_message)?;
        if d.spec.paused.unwrap_or(false) {
            return Err(PAUSED.into());
        }
        let now = restarted_at(Timestamp::now());
        let body = with_resource_version(
            json!({"spec": {"template": {"metadata": {"annotations": {
                "kubectl.kubernetes.io/restartedAt": now
            }}}}}),
            resource_version.or(d.metadata.resource_version.as_deref()),
        );
        let d = api
            .patch(
                &target.name,
                &super::patch_params(),
                &Patch::Strategic(&body),
            )
            .await
            .map_err(kube_message)?;
        Ok(Done {
            message: format!("deployment.apps/{} restarted", target.name),
            resource_version: d.metadata.resource_version,
            ..Done::default()
        })
    }
}
