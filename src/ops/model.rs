//! The plain data of operations: what is asked ([`Operation`] on a [`Target`]), what the
//! confirmation shows ([`Plan`]) and how it ended ([`Outcome`]). No I/O: the view and the
//! dialogs read these; the executor in this module's parent fills them.

use jiff::Timestamp;

use crate::sources::github::model::{Review, RunAction};
pub use crate::sources::kube::model::{ObjectRef, WorkloadKind};

/// What a host action's argv may name: `{deployment}`, `{namespace}`, `{context}`,
/// `{revision}` (substituted as whole arguments only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Placeholders {
    pub deployment: String,
    pub namespace: String,
    pub context: String,
    pub revision: String,
}

/// The object an operation is about.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Target {
    pub context: String,
    pub namespace: String,
    pub name: String,
}

/// A confirmed operation (what the executor runs). `resource_version` is the version the
/// confirmation was shown for; the server refuses the change if the object moved since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    Rollback {
        target: Target,
        to_revision: Option<i64>,
        resource_version: Option<String>,
    },
    Scale {
        target: Target,
        replicas: i32,
        resource_version: Option<String>,
    },
    /// Change an HPA's bounds instead of the replicas it would override.
    ScaleHpa {
        target: Target,
        min: i32,
        max: i32,
        resource_version: Option<String>,
    },
    Restart {
        target: Target,
        resource_version: Option<String>,
    },
    /// Blue-green: point the Service's colour label at `to`.
    Switch {
        target: Target,
        label: String,
        to: String,
        resource_version: Option<String>,
    },
    /// Approve or reject the environment's pending GitHub deployment.
    ReviewDeployment {
        review: Review,
        environment: String,
        run_id: u64,
        run_number: u64,
        sha: String,
        environment_ids: Vec<u64>,
    },
    /// Re-run, re-run the failed jobs of, or cancel a GitHub Actions run.
    Run {
        action: RunAction,
        run_id: u64,
        run_number: u64,
        /// The workflow's name, for the dialog and the audit log.
        workflow: String,
    },
    Host {
        action: String,
        vars: Placeholders,
    },
    /// Restart or roll back a `[[service]]` (named by its label, `UNIT` or `HOST/UNIT`).
    Service {
        service: String,
        op: ServiceOp,
    },
    /// An operation on a workload other than a Deployment, with kubectl's semantics:
    /// `rollout undo|restart` of a StatefulSet or DaemonSet, `scale` of a StatefulSet,
    /// `create job --from=cronjob/X`, a CronJob's suspend/resume, `delete pod`; and the
    /// Argo Rollouts plugin's: promote, abort, retry, undo and restart of a Rollout.
    Workload {
        target: Target,
        kind: WorkloadKind,
        op: WorkloadOp,
        resource_version: Option<String>,
    },
    /// `kubectl cordon|uncordon|drain NODE` (the target's name is the node; no namespace).
    Node {
        target: Target,
        op: NodeOp,
        resource_version: Option<String>,
    },
    /// `kubectl delete KIND NAME --cascade=…` of any object, made conditional on the uid
    /// and resourceVersion of `object` (filled in by the plan: what the confirmation showed).
    Delete {
        context: String,
        object: ObjectRef,
        propagation: Propagation,
    },
    /// `kubectl edit`'s update: `body` (the edited object, JSON) replaces the object (PUT)
    /// under the resourceVersion it carries.
    Edit {
        context: String,
        object: ObjectRef,
        body: String,
    },
    /// One confirmation for several objects (the marked rows): each item is planned,
    /// audited and run on its own, with its own preconditions; a failure stops none of
    /// the others.
    Batch {
        items: Vec<BatchItem>,
    },
}

/// One operation of a [`Operation::Batch`], with what its confirmation showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchItem {
    pub op: Operation,
    pub before: String,
    pub after: String,
}

/// What happens to the objects a deleted one owns, as `kubectl delete --cascade`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Propagation {
    /// `--cascade=background` (kubectl's default): the object goes at once, the garbage
    /// collector deletes its dependents after.
    #[default]
    Background,
    /// `--cascade=foreground`: the dependents go first, the object last.
    Foreground,
    /// `--cascade=orphan`: the dependents stay, without their owner.
    Orphan,
}

impl Propagation {
    /// The DeleteOptions value.
    pub fn policy(self) -> &'static str {
        match self {
            Propagation::Background => "Background",
            Propagation::Foreground => "Foreground",
            Propagation::Orphan => "Orphan",
        }
    }

    /// kubectl's flag.
    pub fn cascade(self) -> &'static str {
        match self {
            Propagation::Background => "--cascade=background",
            Propagation::Foreground => "--cascade=foreground",
            Propagation::Orphan => "--cascade=orphan",
        }
    }

    /// The one the dialog's alternative key switches to.
    pub fn next(self) -> Propagation {
        match self {
            Propagation::Background => Propagation::Foreground,
            Propagation::Foreground => Propagation::Orphan,
            Propagation::Orphan => Propagation::Background,
        }
    }
}

/// What is done to a node of [`Operation::Node`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeOp {
    /// `spec.unschedulable: true`.
    Cordon,
    /// `spec.unschedulable` removed.
    Uncordon,
    /// Cordon, then evict every pod but DaemonSets' and mirror pods, as
    /// `kubectl drain --ignore-daemonsets` does.
    Drain(DrainOptions),
}

/// `kubectl drain`'s flags: `--force` (pods no controller owns), `--delete-emptydir-data`,
/// `--timeout` (seconds; flightdeck's default is [`DRAIN_TIMEOUT_SECS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrainOptions {
    pub force: bool,
    pub delete_emptydir_data: bool,
    pub timeout_secs: u64,
}

/// How long a drain waits for its evictions and for the pods to go (kubectl waits for ever
/// unless `--timeout` is given; a console that waits for ever on a budget helps no one).
pub const DRAIN_TIMEOUT_SECS: u64 = 300;

impl Default for DrainOptions {
    fn default() -> Self {
        DrainOptions {
            force: false,
            delete_emptydir_data: false,
            timeout_secs: DRAIN_TIMEOUT_SECS,
        }
    }
}

impl DrainOptions {
    /// The kubectl flags these options stand for.
    pub fn flags(&self) -> String {
        let mut f = vec!["--ignore-daemonsets".to_owned()];
        if self.force {
            f.push("--force".into());
        }
        if self.delete_emptydir_data {
            f.push("--delete-emptydir-data".into());
        }
        f.push(format!("--timeout={}s", self.timeout_secs));
        f.join(" ")
    }
}

/// How a drain is going, sent to the console while it runs (`Event::Drain`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DrainProgress {
    pub context: String,
    pub node: String,
    /// Pods to evict.
    pub total: usize,
    /// Evictions the server took.
    pub evicted: usize,
    /// Of those, pods gone from the node.
    pub gone: usize,
    /// Pods still waiting, each with why (`PodDisruptionBudget checkout-pdb: needs 2
    /// healthy pods and has 1`, `terminating`).
    pub waiting: Vec<(String, String)>,
    /// The end: whether it drained, and what happened.
    pub done: Option<(bool, String)>,
}

/// What is done to a workload of [`Operation::Workload`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkloadOp {
    /// StatefulSet, DaemonSet: to a ControllerRevision (`None`: the previous one).
    Rollback { to_revision: Option<i64> },
    /// StatefulSet, DaemonSet: the `kubectl.kubernetes.io/restartedAt` annotation.
    Restart,
    /// StatefulSet: through `/scale`.
    Scale { replicas: i32 },
    /// CronJob: a Job now, as `kubectl create job NAME --from=cronjob/X` makes it.
    Trigger,
    /// CronJob: `spec.suspend`.
    Suspend { suspend: bool },
    /// Pod: graceful delete (`None`: the pod's own grace period).
    Delete { grace_period_secs: Option<i64> },
    /// Rollout: the plugin's `promote` (`full`: `promote --full`).
    Promote { full: bool },
    /// Rollout: the plugin's `abort`.
    Abort,
    /// Rollout: the plugin's `retry`.
    Retry,
}

impl WorkloadOp {
    pub fn name(&self) -> &'static str {
        match self {
            WorkloadOp::Rollback { .. } => "rollback",
            WorkloadOp::Restart => "restart",
            WorkloadOp::Scale { .. } => "scale",
            WorkloadOp::Trigger => "trigger",
            WorkloadOp::Suspend { suspend: true } => "suspend",
            WorkloadOp::Suspend { suspend: false } => "resume",
            WorkloadOp::Delete { .. } => "delete",
            WorkloadOp::Promote { full: false } => "promote",
            WorkloadOp::Promote { full: true } => "promote-full",
            WorkloadOp::Abort => "abort",
            WorkloadOp::Retry => "retry",
        }
    }
}

/// What is done to a systemd service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceOp {
    Restart,
    /// To a backup `list_backups` printed, passed as an argument to the rollback command.
    Rollback {
        backup: String,
    },
}

impl Operation {
    /// Approve/reject and run actions go to GitHub, not the cluster: their confirmation
    /// names the repository and their audit line is recorded against it.
    pub fn is_github(&self) -> bool {
        matches!(
            self,
            Operation::ReviewDeployment { .. } | Operation::Run { .. }
        )
    }

    pub fn name(&self) -> &'static str {
        match self {
            Operation::Rollback { .. } => "rollback",
            Operation::Scale { .. } => "scale",
            Operation::ScaleHpa { .. } => "scale-hpa",
            Operation::Restart { .. } => "restart",
            Operation::Switch { .. } => "switch",
            Operation::ReviewDeployment {
                review: Review::Approve,
                ..
            } => "approve",
            Operation::ReviewDeployment {
                review: Review::Reject,
                ..
            } => "reject",
            Operation::Run { action, .. } => action.name(),
            Operation::Host { .. } => "host-action",
            Operation::Service {
                op: ServiceOp::Restart,
                ..
            } => "service-restart",
            Operation::Service {
                op: ServiceOp::Rollback { .. },
                ..
            } => "service-rollback",
            Operation::Workload { op, .. } => op.name(),
            Operation::Node { op, .. } => match op {
                NodeOp::Cordon => "cordon",
                NodeOp::Uncordon => "uncordon",
                NodeOp::Drain(_) => "drain",
            },
            Operation::Delete { .. } => "delete",
            Operation::Edit { .. } => "edit",
            Operation::Batch { items } => items.first().map_or("batch", |i| i.op.name()),
        }
    }

    /// What a confirmation's alternative key does, in words (`h change the HPA min/max
    /// instead`).
    pub fn alternative_label(&self) -> String {
        match self {
            Operation::Node {
                op: NodeOp::Drain(o),
                ..
            } => {
                let mut f = Vec::new();
                if o.force {
                    f.push("--force");
                }
                if o.delete_emptydir_data {
                    f.push("--delete-emptydir-data");
                }
                format!("drain with {}", f.join(" "))
            }
            Operation::Delete { propagation, .. } => format!("{} instead", propagation.cascade()),
            _ => "change the HPA min/max instead".into(),
        }
    }

    /// kind/name for the audit log: `deployment/checkout`, `service/checkout`,
    /// `horizontalpodautoscaler/checkout`, `github-run/123`, `host-action/NAME`.
    pub fn object(&self) -> String {
        match self {
            Operation::Rollback { target, .. }
            | Operation::Scale { target, .. }
            | Operation::Restart { target, .. } => format!("deployment/{}", target.name),
            Operation::ScaleHpa { target, .. } => {
                format!("horizontalpodautoscaler/{}", target.name)
            }
            Operation::Switch { target, .. } => format!("service/{}", target.name),
            Operation::ReviewDeployment { run_id, .. } | Operation::Run { run_id, .. } => {
                format!("github-run/{run_id}")
            }
            Operation::Host { action, .. } => format!("host-action/{action}"),
            Operation::Service { service, .. } => format!("systemd/{service}"),
            Operation::Workload { target, kind, .. } => {
                format!("{}/{}", kind.resource(), target.name)
            }
            Operation::Node { target, .. } => format!("node/{}", target.name),
            Operation::Delete { object, .. } | Operation::Edit { object, .. } => {
                format!("{}/{}", object.kind.to_lowercase(), object.name)
            }
            Operation::Batch { items } => items
                .iter()
                .map(|i| i.op.object())
                .collect::<Vec<_>>()
                .join(","),
        }
    }

    pub fn target(&self) -> Target {
        match self {
            Operation::Rollback { target, .. }
            | Operation::Scale { target, .. }
            | Operation::ScaleHpa { target, .. }
            | Operation::Restart { target, .. }
            | Operation::Switch { target, .. }
            | Operation::Workload { target, .. }
            | Operation::Node { target, .. } => target.clone(),
            Operation::ReviewDeployment { environment, .. } => Target {
                name: environment.clone(),
                ..Target::default()
            },
            Operation::Run {
                run_number,
                workflow,
                ..
            } => Target {
                name: format!("{workflow} #{run_number}"),
                ..Target::default()
            },
            Operation::Host { action, vars } => Target {
                context: vars.context.clone(),
                namespace: vars.namespace.clone(),
                name: format!("{action} ({})", vars.deployment),
            },
            Operation::Delete {
                context, object, ..
            }
            | Operation::Edit {
                context, object, ..
            } => Target {
                context: context.clone(),
                namespace: object.namespace.clone(),
                name: object.name.clone(),
            },
            Operation::Batch { items } => {
                let first = items.first().map(|i| i.op.target()).unwrap_or_default();
                Target {
                    name: format!("{} objects", items.len()),
                    ..first
                }
            }
            Operation::Service { service, op } => Target {
                context: "systemd".into(),
                namespace: String::new(),
                name: match op {
                    ServiceOp::Restart => service.clone(),
                    ServiceOp::Rollback { backup } => format!("{service} to {backup}"),
                },
            },
        }
    }
}

/// What the confirmation shows: the exact change, and whether it can go ahead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub op: Operation,
    pub title: String,
    pub before: String,
    pub after: String,
    /// Extra lines: dry-run result, HPA warning, readiness.
    pub notes: Vec<String>,
    /// Why it cannot go ahead (paused, no-op, not ready); the dialog only offers cancel.
    pub refused: Option<String>,
    /// The name that must be typed (scaling to 0).
    pub type_to_confirm: Option<String>,
    /// An alternative the dialog offers (change the HPA's bounds).
    pub alternative: Option<Operation>,
}

impl Plan {
    /// A plan refused for `why` before anything was asked of the server (read-only): what
    /// the audit line of the refusal is written from.
    pub fn refused(op: Operation, why: String) -> Plan {
        Plan {
            title: format!("{} {}", op.name(), op.target().name),
            op,
            before: String::new(),
            after: String::new(),
            notes: Vec::new(),
            refused: Some(why),
            type_to_confirm: None,
            alternative: None,
        }
    }
}

/// How an operation ended (shown in the status line and written to the audit log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub op: String,
    pub target: Target,
    pub ok: bool,
    pub message: String,
    pub before: String,
    pub after: String,
}

/// One ControllerRevision of a StatefulSet or DaemonSet, for the revision picker
/// ([`super::Executor::workload_revisions`]): newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionChoice {
    pub revision: i64,
    /// The ControllerRevision's name (`OWNER-HASH`).
    pub name: String,
    /// The containers' images of the revision's pod template.
    pub images: Vec<String>,
    pub change_cause: Option<String>,
    pub created: Option<jiff::Timestamp>,
    /// The revision whose template the set runs now.
    pub current: bool,
}

/// One line of a host action's output, or its end, for the logs pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostOutput {
    /// The `[[host_action]]` name.
    pub action: String,
    pub kind: OutputKind,
    /// The line as printed (not yet sanitized: the logs pane does that, as for pod logs).
    pub text: String,
    /// When the line was read (the host's clock).
    pub at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputKind {
    Stdout,
    Stderr,
    /// The action ended; `text` says how (exit status, signal, timeout).
    Exit {
        ok: bool,
    },
}

impl HostOutput {
    /// The line as the console's own log shows it.
    pub fn tagged(&self) -> String {
        let text = crate::text::sanitize(&self.text);
        match self.kind {
            OutputKind::Stdout => format!("[{}] {text}", self.action),
            OutputKind::Stderr => format!("[{} stderr] {text}", self.action),
            OutputKind::Exit { .. } => format!("[{}] {text}", self.action),
        }
    }
}
