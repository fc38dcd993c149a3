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
            matches!(kind, K::StatefulSet | K::DaemonSet)
        }
        WorkloadOp::Restart => matches!(kind, K::StatefulSet | K::DaemonSet),
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
        _plan: &mut Plan,
        target: &Target,
        kind: WorkloadKind,
        op: &WorkloadOp,
    ) -> Result<(), String> {
        validate(kind, op)?;
        Err(format!(
            "{} of {}/{}: not supported yet",
            op.name(),
            kind.resource(),
            target.name
        ))
    }

    pub(super) async fn run_workload(
        &self,
        target: &Target,
        kind: WorkloadKind,
        op: &WorkloadOp,
        _resource_version: Option<&str>,
    ) -> Result<Done, String> {
        validate(kind, op)?;
        Err(format!(
            "{} of {}/{}: not supported yet",
            op.name(),
            kind.resource(),
            target.name
        ))
    }
}
