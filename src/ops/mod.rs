//! Operations on the cluster and the host: rollback, scale, restart, promote (blue-green
//! selector switch; GitHub approval hook) and host actions.
//!
//! Intent, then confirmation, then execution: `update` turns an action into an
//! [`Operation`] for the selection, the run loop asks [`Executor::plan`] for the exact
//! before → after, the dialog shows it, and only the confirmed operation reaches
//! [`Executor::execute`]. The executor itself refuses every operation in read-only mode,
//! sends the object's resourceVersion as a precondition (a 409 is reported, never
//! retried) and appends one audit line, synced, before it returns.
//!
//! Each operation's plan and request live in its own file (`rollback`, `scale`,
//! `restart`, `promote`, `github`, `host`); this file keeps what they share, so a
//! refusal, a precondition or an audit line cannot differ between them.

pub mod audit;
mod github;
pub mod host;
pub mod model;
mod promote;
mod restart;
pub mod rollback;
mod scale;

use std::sync::Arc;

use jiff::Timestamp;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;

pub use audit::{AuditLog, AuditRecord, AuditTail};
pub use host::{HostOutput, OutputKind, Placeholders};
pub use model::{Operation, Outcome, Plan, Target};
pub use restart::restarted_at;

pub use crate::sources::github::actions::{Review, RunAction};

/// A short, clear message for an API error; 409 says what happened.
pub fn kube_message(e: kube::Error) -> String {
    match e {
        kube::Error::Api(s) if s.code == 409 => format!(
            "conflict: the object was changed by someone else since the confirmation ({}); nothing was changed — look again and retry",
            s.message
        ),
        kube::Error::Api(s) if s.code == 403 => format!("forbidden: {}", s.message),
        kube::Error::Api(s) => format!("{} ({} {})", s.message, s.code, s.reason),
        other => other.to_string(),
    }
}

/// Where host-action output goes.
pub type LineSink = Arc<dyn Fn(host::HostOutput) + Send + Sync>;

/// Runs confirmed operations. Built once by the console; cheap to clone.
#[derive(Clone)]
pub struct Executor {
    client: Option<kube::Client>,
    client_error: String,
    read_only: bool,
    audit: AuditLog,
    host_actions: Vec<crate::config::HostAction>,
    output: LineSink,
    github: Option<GithubSetup>,
    /// Poked after a GitHub operation so the pipeline shows its effect at once.
    github_refresh: Option<Arc<tokio::sync::Notify>>,
}

/// Where approvals go; the token is resolved when an approval runs and never logged.
#[derive(Debug, Clone)]
pub struct GithubSetup {
    pub api_url: String,
    pub repo: String,
    pub token: crate::sources::github::TokenSetting,
}

impl Executor {
    pub fn new(client: Result<kube::Client, String>, read_only: bool, audit: AuditLog) -> Self {
        let (client, client_error) = match client {
            Ok(c) => (Some(c), String::new()),
            Err(e) => (None, e),
        };
        Executor {
            client,
            client_error,
            read_only,
            audit,
            host_actions: Vec::new(),
            output: Arc::new(|l| log::info!("{}", l.tagged())),
            github: None,
            github_refresh: None,
        }
    }

    pub fn with_host_actions(mut self, actions: Vec<crate::config::HostAction>) -> Self {
        self.host_actions = actions;
        self
    }

    pub fn with_github(mut self, github: Option<GithubSetup>) -> Self {
        self.github = github;
        self
    }

    pub fn with_github_refresh(mut self, poke: Arc<tokio::sync::Notify>) -> Self {
        self.github_refresh = Some(poke);
        self
    }

    pub fn with_output(mut self, sink: LineSink) -> Self {
        self.output = sink;
        self
    }

    /// The same executor with another cluster client (the console builds one for the
    /// context an operation names, from the same kubeconfig choice as every source).
    pub fn with_client(mut self, client: Result<kube::Client, String>) -> Self {
        (self.client, self.client_error) = match client {
            Ok(c) => (Some(c), String::new()),
            Err(e) => (None, e),
        };
        self
    }

    /// Read-only from now on if `yes` (`:read-only` in the console).
    pub fn read_only_also(mut self, yes: bool) -> Self {
        self.read_only |= yes;
        self
    }

    /// The audit log's newest records, for the viewer (`:audit`).
    pub fn audit_tail(&self, limit: usize) -> AuditTail {
        AuditTail {
            path: self
                .audit
                .path()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "(no data directory)".into()),
            records: self.audit.read_tail(limit),
        }
    }

    fn client(&self) -> Result<&kube::Client, String> {
        self.client
            .as_ref()
            .ok_or_else(|| format!("no Kubernetes client: {}", self.client_error))
    }

    /// Works out the exact before → after for the confirmation. Reads only (and a
    /// server-side dry run).
    pub async fn plan(&self, op: Operation) -> Result<Plan, String> {
        let mut plan = Plan {
            op: op.clone(),
            title: String::new(),
            before: String::new(),
            after: String::new(),
            notes: Vec::new(),
            refused: None,
            type_to_confirm: None,
            alternative: None,
        };
        if self.read_only {
            plan.refused = Some("read-only: operations are disabled (--read-only)".into());
        }
        match &op {
            Operation::Rollback {
                target,
                to_revision,
                ..
            } => self.plan_rollback(&mut plan, target, *to_revision).await?,
            Operation::Scale {
                target, replicas, ..
            } => self.plan_scale(&mut plan, target, *replicas).await?,
            Operation::ScaleHpa {
                target, min, max, ..
            } => self.plan_scale_hpa(&mut plan, target, *min, *max).await?,
            Operation::Restart { target, .. } => self.plan_restart(&mut plan, target).await?,
            Operation::Switch {
                target, label, to, ..
            } => self.plan_switch(&mut plan, target, label, to).await?,
            Operation::ReviewDeployment {
                review,
                environment,
                run_number,
                sha,
                ..
            } => self.plan_review(&mut plan, *review, environment, *run_number, sha),
            Operation::Run {
                action,
                run_id,
                run_number,
                workflow,
            } => {
                self.plan_run_action(&mut plan, *action, *run_id, *run_number, workflow)
                    .await?
            }
            Operation::Host { action, vars } => self.plan_host(&mut plan, action, vars)?,
        }
        Ok(plan)
    }

    /// Runs a confirmed operation and writes its audit line (synced) before returning.
    pub async fn execute(&self, op: &Operation, before: &str, after: &str) -> Outcome {
        let result = if self.read_only {
            Err("refused: read-only mode (--read-only); nothing was changed".to_owned())
        } else {
            self.run(op).await
        };
        let mut target = op.target();
        if op.is_github()
            && let Some(gh) = &self.github
        {
            // GitHub operations are recorded against the repository
            target.context = "github".into();
            target.namespace = gh.repo.clone();
            if let Some(poke) = &self.github_refresh {
                poke.notify_one();
            }
        }
        let mut outcome = Outcome {
            op: op.name().to_owned(),
            target: target.clone(),
            ok: result.is_ok(),
            message: match &result {
                Ok(m) | Err(m) => m.clone(),
            },
            before: before.to_owned(),
            after: after.to_owned(),
        };
        let record = AuditRecord {
            time: Timestamp::now().to_string(),
            user: audit::local_user(),
            context: target.context.clone(),
            namespace: target.namespace.clone(),
            target: target.name.clone(),
            operation: op.name().to_owned(),
            before: before.to_owned(),
            after: after.to_owned(),
            result: result.as_ref().ok().cloned(),
            error: result.as_ref().err().cloned(),
        };
        if let Err(e) = self.audit.append(&record) {
            outcome.message = format!("{} (audit log not written: {e})", outcome.message);
        }
        outcome
    }

    async fn run(&self, op: &Operation) -> Result<String, String> {
        match op {
            Operation::Rollback {
                target,
                to_revision,
                resource_version,
            } => {
                self.run_rollback(target, *to_revision, resource_version.as_deref())
                    .await
            }
            Operation::Scale {
                target,
                replicas,
                resource_version,
            } => {
                self.run_scale(target, *replicas, resource_version.as_deref())
                    .await
            }
            Operation::ScaleHpa {
                target,
                min,
                max,
                resource_version,
            } => {
                self.run_scale_hpa(target, *min, *max, resource_version.as_deref())
                    .await
            }
            Operation::Restart {
                target,
                resource_version,
            } => self.run_restart(target, resource_version.as_deref()).await,
            Operation::Switch {
                target,
                label,
                to,
                resource_version,
            } => {
                self.run_switch(target, label, to, resource_version.as_deref())
                    .await
            }
            Operation::ReviewDeployment {
                review,
                environment,
                run_id,
                environment_ids,
                ..
            } => {
                self.run_review(*review, environment, *run_id, environment_ids)
                    .await
            }
            Operation::Run {
                action,
                run_id,
                run_number,
                ..
            } => self.run_run_action(*action, *run_id, *run_number).await,
            Operation::Host { action, vars } => self.run_host(action, vars).await,
        }
    }
}

/// A merge or strategic-merge patch made conditional on `resource_version`: the server
/// answers 409 if the object moved since, and `kube_message` reports that, never retried.
fn with_resource_version(
    mut body: serde_json::Value,
    resource_version: Option<&str>,
) -> serde_json::Value {
    if let Some(rv) = resource_version {
        body["metadata"] = json!({"resourceVersion": rv});
    }
    body
}

/// Asks the server to admit `patch` without storing it (dryRun=All), so the confirmation
/// shows what validation and admission say before anything changes.
async fn dry_run<K>(api: &Api<K>, name: &str, patch: &Patch<()>) -> String
where
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let dry = PatchParams {
        dry_run: true,
        ..PatchParams::default()
    };
    match api.patch(name, &dry, patch).await {
        Ok(_) => "server dry run (dryRun=All): ok".into(),
        Err(e) => format!("server dry run (dryRun=All): {}", kube_message(e)),
    }
}
