//! Operations on workloads other than Deployments, with kubectl's semantics: rollback and
//! restart of StatefulSets and DaemonSets, scale of StatefulSets, a CronJob's manual run and
//! suspend/resume, graceful pod delete.

use super::model::{Plan, Target, WorkloadKind, WorkloadOp};
use super::{Done, Executor};

/// Which operations each kind offers.
pub(super) fn validate(kind: WorkloadKind, op: &WorkloadOp) -> Result<(), String> {
    use WorkloadKind as K;
    let fits = match op {
        WorkloadOp::Rollback { to_revision } => {
            if let Some(r) = to_revision.filter(|r| *r < 1) {
                return Err(format!("revision {r} is not a revision"));
            }
            matches!(kind, K::StatefulSet | K::DaemonSet | K::Rollout)
        }
        WorkloadOp::Restart => matches!(kind, K::StatefulSet | K::DaemonSet | K::Rollout),
        WorkloadOp::Promote { .. } | WorkloadOp::Abort | WorkloadOp::Retry => kind == K::Rollout,
        WorkloadOp::Scale { replicas } => {
            if *replicas < 0 {
                return Err(format!("replicas must be 0 or more (got {replicas})"));
            }
            kind == K::StatefulSet
        }
        WorkloadOp::Trigger | WorkloadOp::Suspend { .. } => kind == K::CronJob,
        WorkloadOp::Delete { grace_period_secs } => {
            if let Some(g) = grace_period_secs.filter(|g| *g < 0) {
                return Err(format!("grace period must be 0 or more seconds (got {g})"));
            }
            kind == K::Pod
        }
    };
    if fits {
        Ok(())
    } else {
        Err(format!(
            "{} is not an operation on a {}",
            op.name(),
            kind.resource()
        ))
    }
}

impl Executor {
    pub(super) async fn plan_workload(
        &self,
        plan: &mut Plan,
        target: &Target,
        kind: WorkloadKind,
        op: &WorkloadOp,
    ) -> Result<(), String> {
        validate(kind, op)?;
        if kind == WorkloadKind::Rollout {
            return self.plan_rollout(plan, target, op).await;
        }
        match op {
            WorkloadOp::Rollback { to_revision } => {
                self.plan_set_rollback(plan, target, kind, *to_revision)
                    .await
            }
            WorkloadOp::Restart => self.plan_set_restart(plan, target, kind).await,
            WorkloadOp::Scale { replicas } => self.plan_set_scale(plan, target, *replicas).await,
            WorkloadOp::Trigger => self.plan_trigger(plan, target).await,
            WorkloadOp::Suspend { suspend } => self.plan_suspend(plan, target, *suspend).await,
            WorkloadOp::Delete { grace_period_secs } => {
                self.plan_pod_delete(plan, target, *grace_period_secs).await
            }
            WorkloadOp::Promote { .. } | WorkloadOp::Abort | WorkloadOp::Retry => Err(format!(
                "{} is not an operation on a {}",
                op.name(),
                kind.resource()
            )),
        }
    }

    pub(super) async fn run_workload(
        &self,
        target: &Target,
        kind: WorkloadKind,
        op: &WorkloadOp,
        resource_version: Option<&str>,
    ) -> Result<Done, String> {
        validate(kind, op)?;
        if kind == WorkloadKind::Rollout {
            return self.run_rollout(target, op, resource_version).await;
        }
        match op {
            WorkloadOp::Rollback { to_revision } => {
                self.run_set_rollback(target, kind, *to_revision, resource_version)
                    .await
            }
            WorkloadOp::Restart => self.run_set_restart(target, kind, resource_version).await,
            WorkloadOp::Scale { replicas } => {
                self.run_set_scale(target, *replicas, resource_version)
                    .await
            }
            WorkloadOp::Trigger => self.run_trigger(target, resource_version).await,
            WorkloadOp::Suspend { suspend } => {
                self.run_suspend(target, *suspend, resource_version).await
            }
            WorkloadOp::Delete { grace_period_secs } => {
                self.run_pod_delete(target, *grace_period_secs, resource_version)
                    .await
            }
            WorkloadOp::Promote { .. } | WorkloadOp::Abort | WorkloadOp::Retry => Err(format!(
                "{} is not an operation on a {}",
                op.name(),
                kind.resource()
            )),
        }
    }
}

/// The confirmed operation with the resourceVersion the plan read.
pub(super) fn confirmed(
    target: &Target,
    kind: WorkloadKind,
    op: WorkloadOp,
    resource_version: Option<String>,
) -> super::Operation {
    super::Operation::Workload {
        target: target.clone(),
        kind,
        op,
        resource_version,
    }
}

/// When the object's resourceVersion moved since the confirmation, for requests that take
/// no server-side precondition (a Job created from a CronJob): the same conflict message
/// a 409 gives, and nothing is sent.
pub(super) fn check_unchanged(
    what: &str,
    confirmed: Option<&str>,
    now: Option<&str>,
) -> Result<(), String> {
    match (confirmed, now) {
        (Some(want), Some(have)) if want != have => Err(format!(
            "{}the object was changed by someone else since the confirmation ({what}: resourceVersion {want} is now {have}); nothing was changed — look again and retry",
            super::CONFLICT
        )),
        _ => Ok(()),
    }
}

/// The images of a pod template given as JSON (`spec.containers[].image`).
pub(super) fn template_images(template: &serde_json::Value) -> Vec<String> {
    template
        .pointer("/spec/containers")
        .and_then(serde_json::Value::as_array)
        .map(|cs| {
            cs.iter()
                .map(|c| c["image"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}
