//! Operations on the cluster and the host: rollback, scale, restart, promote (blue-green
//! selector switch; GitHub approval hook) and host actions.
//!
//! Intent, then confirmation, then execution: `update` turns an action into an
//! [`Operation`] for the selection, the run loop asks [`Executor::plan`] for the exact
//! before → after, the dialog shows it, and only the confirmed operation reaches
//! [`Executor::execute`]. The executor itself refuses every operation in read-only mode
//! and every invalid one, and records the refusal; otherwise it appends an intent line,
//! synced, *before* anything is sent (no audit, no operation), sends the object's
//! resourceVersion as a precondition (a 409 is reported as a conflict, never retried) and
//! appends the outcome line before it returns. Who we are to the cluster and to GitHub is
//! looked up once per executor and cached (see [`Executor::cluster_identity`]).
//!
//! Each operation's plan and request live in its own file (`rollback`, `scale`,
//! `restart`, `promote`, `github`, `host`; for the other workload kinds `workload`
//! dispatches to `sets`, `cronjob` and `pod`); this file keeps what they share, so a
//! refusal, a precondition or an audit line cannot differ between them.

pub mod argo;
pub mod audit;
mod cronjob;
mod delete;
pub mod edit;
mod executor;
mod github;
pub mod host;
pub mod inflight;
mod kube_write;
pub mod model;
mod node;
mod pod;
mod promote;
mod restart;
pub mod rollback;
mod scale;
pub mod service;
mod sets;
mod workload;

use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::Timestamp;

pub use audit::{AuditLog, AuditRecord, AuditTail, Phase};
pub use delete::NOTHING_RECREATES;
use executor::IDENTITY_TIMEOUT;
pub use executor::{DrainSink, Executor, GithubSetup, LineSink, PLAN_BOUND, REQUEST_BOUND};
pub use kube_write::{CONFLICT, FIELD_MANAGER, kube_message};
pub(crate) use kube_write::{Done, dry_run, patch_params, post_params, with_resource_version};
pub use model::RevisionChoice;
pub use model::{
    BatchItem, DRAIN_TIMEOUT_SECS, DrainOptions, DrainProgress, NodeOp, ObjectRef, Operation,
    Outcome, Placeholders, Plan, Propagation, ServiceOp, Target,
};
pub use model::{HostOutput, OutputKind};
pub use restart::restarted_at;

pub use crate::sources::github::actions::{Review, RunAction};

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
            services: Vec::new(),
            output: Arc::new(|l| log::info!("{}", l.tagged())),
            github: None,
            github_refresh: None,
            kubeconfig_user: None,
            context: None,
            identities: Arc::default(),
            request_bound: REQUEST_BOUND,
            plan_bound: PLAN_BOUND,
            in_flight: inflight::InFlight::default(),
            drain_progress: Arc::new(|_| {}),
            drains: Arc::default(),
        }
    }

    /// How long a plan or a run may wait on the cluster or GitHub.
    pub fn with_request_bound(mut self, bound: Duration) -> Self {
        self.request_bound = bound;
        self
    }

    /// How long a plan may wait on the cluster or GitHub (at most the request bound).
    pub fn with_plan_bound(mut self, bound: Duration) -> Self {
        self.plan_bound = bound;
        self
    }

    /// `work`, bounded by `bound` unless it runs a local process (host actions and
    /// services bound themselves).
    async fn bounded<T>(
        &self,
        op: &Operation,
        bound: Duration,
        work: impl std::future::Future<Output = Result<T, String>>,
        late: &str,
    ) -> Result<T, String> {
        // a drain bounds itself (its `--timeout`)
        if matches!(
            op,
            Operation::Host { .. }
                | Operation::Service { .. }
                | Operation::Node {
                    op: NodeOp::Drain(_),
                    ..
                }
        ) {
            return work.await;
        }
        match tokio::time::timeout(bound, work).await {
            Ok(r) => r,
            Err(_) => Err(format!("no answer within {} s: {late}", bound.as_secs())),
        }
    }

    /// The kubeconfig's user name, named in the audit log when the server has no
    /// SelfSubjectReview.
    pub fn with_kubeconfig_user(mut self, user: Option<String>) -> Self {
        self.kubeconfig_user = user;
        self.identities = Arc::default();
        self
    }

    /// Write the audit log here instead (`flightdeck demo`: a throwaway directory).
    pub fn with_audit(mut self, audit: AuditLog) -> Self {
        self.audit = audit;
        self
    }

    pub fn with_host_actions(mut self, actions: Vec<crate::config::HostAction>) -> Self {
        self.host_actions = actions;
        self
    }

    pub fn with_services(mut self, services: Vec<crate::config::ServiceConfig>) -> Self {
        self.services = services;
        self
    }

    /// The backups a service's `list_backups` prints, newest first (for the picker).
    pub async fn list_backups(&self, service: &str) -> Result<Vec<String>, String> {
        let s = self.service(service)?;
        crate::sources::systemd::list_backups(s).await
    }

    pub fn with_github(mut self, github: Option<GithubSetup>) -> Self {
        self.github = github;
        self.identities = Arc::default();
        self
    }

    pub fn with_github_refresh(mut self, poke: Arc<tokio::sync::Notify>) -> Self {
        self.github_refresh = Some(poke);
        self
    }

    /// Where a drain's progress goes (the console: `Event::Drain`).
    pub fn with_drain_progress(mut self, sink: DrainSink) -> Self {
        self.drain_progress = sink;
        self
    }

    /// Ask the drain of `node` in `context` to stop (between requests: evictions already
    /// taken stand). Whether one was running.
    pub fn cancel_drain(&self, context: &str, node: &str) -> bool {
        let drains = self
            .drains
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match drains.get(&(context.to_owned(), node.to_owned())) {
            Some(flag) => {
                flag.store(true, std::sync::atomic::Ordering::SeqCst);
                true
            }
            None => false,
        }
    }

    pub fn with_output(mut self, sink: LineSink) -> Self {
        self.output = sink;
        self
    }

    /// The same executor with another cluster client (the console builds one for the
    /// context an operation names, from the same kubeconfig choice as every source), and
    /// that context's kubeconfig user. The cluster identity is looked up once per context.
    pub fn with_client(
        mut self,
        client: Result<kube::Client, String>,
        context: Option<String>,
        kubeconfig_user: Option<String>,
    ) -> Self {
        (self.client, self.client_error) = match client {
            Ok(c) => (Some(c), String::new()),
            Err(e) => (None, e),
        };
        self.context = context;
        self.kubeconfig_user = kubeconfig_user;
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
        let work = self.plan_unbounded(op.clone());
        let server = if op.is_github() {
            "GitHub"
        } else {
            "the API server"
        };
        let late = format!(
            "{server} (unreachable or frozen) could not be read to plan {} {}; nothing \
             was changed and there is nothing to confirm",
            op.name(),
            op.target().name
        );
        let bound = self.plan_bound.min(self.request_bound);
        self.bounded(&op, bound, work, &late).await
    }

    async fn plan_unbounded(&self, op: Operation) -> Result<Plan, String> {
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
            Operation::Service { service, op } => self.plan_service(&mut plan, service, op)?,
            Operation::Workload {
                target, kind, op, ..
            } => self.plan_workload(&mut plan, target, *kind, op).await?,
            Operation::Node { target, op, .. } => self.plan_node(&mut plan, target, op).await?,
            Operation::Delete {
                context,
                object,
                propagation,
            } => {
                self.plan_delete(&mut plan, context, object, *propagation)
                    .await?
            }
            Operation::Edit { object, .. } => {
                // an edit is confirmed by saving the file; never planned through a dialog
                plan.title = format!("edit {}", object.kubectl_name());
            }
            Operation::Batch { items } => self.plan_batch(&mut plan, items).await,
        }
        Ok(plan)
    }

    /// One plan for several operations: each planned on its own (its own reads, dry run
    /// and preconditions), listed one line each; refused if any is.
    async fn plan_batch(&self, plan: &mut Plan, items: &[BatchItem]) {
        let mut planned = Vec::with_capacity(items.len());
        let mut typed = false;
        for item in items {
            let sub = Box::pin(self.plan_unbounded(item.op.clone())).await;
            let (line, item) = match sub {
                Ok(p) => {
                    if let Some(why) = &p.refused {
                        plan.refused.get_or_insert_with(|| why.clone());
                    }
                    typed |= p.type_to_confirm.is_some();
                    let dry = p.notes.iter().find(|n| n.starts_with("server dry run"));
                    let mut line = format!("{}: {} → {}", p.op.object(), p.before, p.after);
                    if let Some(warn) = p
                        .notes
                        .iter()
                        .find(|n| *n == NOTHING_RECREATES || n.contains("recreates"))
                    {
                        line.push_str(&format!(" · {warn}"));
                    }
                    if let Some(d) = dry.filter(|d| !d.ends_with(": ok")) {
                        line.push_str(&format!(" · {d}"));
                    }
                    (
                        line,
                        BatchItem {
                            op: p.op,
                            before: p.before,
                            after: p.after,
                        },
                    )
                }
                Err(e) => {
                    plan.refused
                        .get_or_insert_with(|| format!("{}: {e}", item.op.object()));
                    (format!("{}: {e}", item.op.object()), item.clone())
                }
            };
            plan.notes.push(line);
            planned.push(item);
        }
        let n = planned.len();
        let verb = items.first().map_or("batch", |i| i.op.name());
        plan.title = format!("{verb} {n} objects");
        plan.before = format!("{n} marked objects, each with its own preconditions");
        plan.after = format!("{verb} of each, one after the other; a failure stops none");
        if typed {
            plan.type_to_confirm = Some(format!("{n} objects"));
        }
        plan.op = Operation::Batch { items: planned };
    }

    /// Runs a confirmed operation: refuses it (read-only, invalid, no audit log) with a
    /// refusal line, or writes the intent line (synced) before sending anything and the
    /// outcome line before returning.
    pub async fn execute(&self, op: &Operation, before: &str, after: &str) -> Outcome {
        if let Operation::Batch { items } = op {
            return self.execute_batch(op, items).await;
        }
        let mut record = self.record(op, before, after).await;
        let mut outcome = Outcome {
            op: op.name().to_owned(),
            target: Target {
                context: record.context.clone(),
                namespace: record.namespace.clone(),
                name: record.target.clone(),
            },
            ok: false,
            message: String::new(),
            before: before.to_owned(),
            after: after.to_owned(),
        };
        let refusal = if self.read_only {
            Some("refused: read-only mode (--read-only); nothing was changed".to_owned())
        } else {
            self.validate(op)
                .err()
                .map(|why| format!("refused: {why}; nothing was changed"))
        };
        if let Some(why) = refusal {
            outcome.message = self.append_refusal(record, why);
            return outcome;
        }
        record.phase = Phase::Intent;
        let slot = match self.in_flight.begin(&self.audit, &record) {
            Ok(slot) => slot,
            Err(e) => {
                outcome.message = format!("refused: {e}; nothing was changed");
                return outcome;
            }
        };
        let started = Instant::now();
        let result = slot
            .scope(self.bounded(
                op,
                self.request_bound,
                self.run(op),
                "the change may or may not have been made; look at the object before trying again",
            ))
            .await;
        record.duration_ms = Some(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
        if op.is_github()
            && let Some(poke) = &self.github_refresh
        {
            poke.notify_one();
        }
        record.phase = Phase::Outcome;
        record.time = Timestamp::now().to_string();
        match result {
            Ok(done) => {
                outcome.ok = true;
                outcome.message = done.message.clone();
                record.status = Some(audit::status::OK.into());
                record.result = Some(done.message);
                record.revision = done.revision;
                record.target_revision = done.target_revision;
                record.resource_version = done.resource_version;
                record.run_state = done.run_state;
            }
            Err(e) => {
                let status = if e.starts_with(CONFLICT) {
                    audit::status::CONFLICT
                } else {
                    audit::status::FAILED
                };
                record.status = Some(status.into());
                outcome.message = e.clone();
                record.error = Some(e);
            }
        }
        match slot.finish(&mut record, &self.audit) {
            Ok(true) => {}
            Ok(false) => {
                outcome.message = format!(
                    "{} (the console quit first: the audit log says `unknown`)",
                    outcome.message
                );
            }
            Err(e) => {
                outcome.message = format!(
                    "{} (the outcome line was not written to the audit log: {e})",
                    outcome.message
                );
            }
        }
        outcome
    }

    /// Each item of a batch as an operation of its own (its own refusal, intent and
    /// outcome lines); the outcome says how each ended.
    async fn execute_batch(&self, op: &Operation, items: &[BatchItem]) -> Outcome {
        let mut failed = Vec::new();
        let mut done = 0;
        for item in items {
            let o = Box::pin(self.execute(&item.op, &item.before, &item.after)).await;
            if o.ok {
                done += 1;
            } else {
                failed.push(format!("{}: {}", item.op.object(), o.message));
            }
        }
        let n = items.len();
        let message = if failed.is_empty() {
            format!("all {n} done")
        } else {
            format!("{done} of {n} done; {}", failed.join("; "))
        };
        Outcome {
            op: op.name().to_owned(),
            target: op.target(),
            ok: failed.is_empty(),
            message,
            before: String::new(),
            after: String::new(),
        }
    }

    /// Before the console exits: every operation still running ends, and every one gets
    /// its outcome line (see [`inflight::InFlight::end_at_quit`]); no new one starts. How
    /// many had to be recorded as `unknown`.
    pub async fn end_at_quit(&self) -> usize {
        self.in_flight.end_at_quit().await
    }

    /// The user tried to confirm a plan the confirmation refused (paused, no-op, colour
    /// already selected …): one refusal line. Nothing is sent.
    pub async fn record_refusal(&self, plan: &Plan) -> Result<(), String> {
        let why = plan
            .refused
            .clone()
            .unwrap_or_else(|| "refused at the confirmation".into());
        let mut record = self.record(&plan.op, &plan.before, &plan.after).await;
        record.phase = Phase::Refusal;
        record.status = Some(audit::status::REFUSED.into());
        record.error = Some(why);
        self.audit.append(&record)
    }

    /// Writes `record` as a refusal for `why`; the message for the status line.
    fn append_refusal(&self, mut record: AuditRecord, why: String) -> String {
        record.phase = Phase::Refusal;
        record.status = Some(audit::status::REFUSED.into());
        record.error = Some(why.clone());
        match self.audit.append(&record) {
            Ok(()) => why,
            Err(e) => format!("{why} (the refusal was not written to the audit log: {e})"),
        }
    }

    /// The audit line's common part for `op`: a fresh id, the object, where, and who.
    async fn record(&self, op: &Operation, before: &str, after: &str) -> AuditRecord {
        let mut target = op.target();
        let github = op.is_github();
        if github && let Some(gh) = &self.github {
            // GitHub operations are recorded against the repository
            target.context = "github".into();
            target.namespace = gh.repo.clone();
        }
        let (cluster_user, github_login) = match op {
            Operation::Host { .. } | Operation::Service { .. } => (None, None),
            _ if github => (None, Some(self.github_login().await)),
            _ => (Some(self.cluster_identity().await), None),
        };
        AuditRecord {
            time: Timestamp::now().to_string(),
            id: audit::new_id(),
            phase: Phase::Intent,
            operation: op.name().to_owned(),
            object: op.object(),
            target: target.name,
            context: target.context,
            namespace: target.namespace,
            user: audit::local_user(),
            cluster_user,
            github_login,
            before: before.to_owned(),
            after: after.to_owned(),
            ..AuditRecord::default()
        }
    }

    /// Who the cluster says we are (SelfSubjectReview), else the kubeconfig's user name,
    /// else `unknown (why)`. Looked up once per executor; never fails an operation.
    pub async fn cluster_identity(&self) -> String {
        let cell = {
            let mut cells = self
                .identities
                .cluster
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            cells.entry(self.context.clone()).or_default().clone()
        };
        cell.get_or_init(|| async {
            let asked = match self.client() {
                Ok(c) => tokio::time::timeout(
                    IDENTITY_TIMEOUT,
                    crate::sources::kube::identity::self_subject(c),
                )
                .await
                .unwrap_or_else(|_| Err("SelfSubjectReview: no answer in 3 s".into())),
                Err(e) => Err(e),
            };
            match (asked, &self.kubeconfig_user) {
                (Ok(user), _) => user,
                (Err(_), Some(user)) => format!("{user} (kubeconfig user)"),
                (Err(why), None) => format!("unknown ({why})"),
            }
        })
        .await
        .clone()
    }

    /// The GitHub login of the token (`GET /user`), else `unknown (why)`. Looked up once
    /// per executor; never fails an operation.
    pub async fn github_login(&self) -> String {
        self.identities
            .github
            .get_or_init(|| async {
                let asked = async {
                    let mut client = self.github_client().await?;
                    client.login().await.map_err(|e| e.to_string())
                };
                match tokio::time::timeout(IDENTITY_TIMEOUT, asked).await {
                    Ok(Ok(login)) => login,
                    Ok(Err(why)) => format!("unknown ({why})"),
                    Err(_) => "unknown (GET /user: no answer in 3 s)".into(),
                }
            })
            .await
            .clone()
    }

    /// What can be refused before anything is sent: input no server would take, and a
    /// missing client or configuration.
    fn validate(&self, op: &Operation) -> Result<(), String> {
        let named = |t: &Target| {
            if t.name.is_empty() {
                Err("no object named".to_owned())
            } else {
                Ok(())
            }
        };
        match op {
            Operation::Rollback {
                target,
                to_revision,
                ..
            } => {
                named(target)?;
                if let Some(r) = to_revision.filter(|r| *r < 0) {
                    return Err(format!("revision {r} is not a revision"));
                }
            }
            Operation::Scale {
                target, replicas, ..
            } => {
                named(target)?;
                if *replicas < 0 {
                    return Err(format!("replicas must be 0 or more (got {replicas})"));
                }
            }
            Operation::ScaleHpa {
                target, min, max, ..
            } => {
                named(target)?;
                if *min < 1 || max < min {
                    return Err(format!(
                        "HPA bounds need 1 <= min <= max (got min {min} max {max})"
                    ));
                }
            }
            Operation::Restart { target, .. } => named(target)?,
            Operation::Switch {
                target, label, to, ..
            } => {
                named(target)?;
                if label.is_empty() || to.is_empty() {
                    return Err("a selector switch needs a label and a value".into());
                }
            }
            Operation::ReviewDeployment {
                environment_ids, ..
            } => {
                if environment_ids.is_empty() {
                    return Err("no pending deployment to review".into());
                }
            }
            Operation::Run { .. } => {}
            Operation::Host { action, .. } => {
                self.host_action(action)?;
            }
            Operation::Service { service, op } => self.validate_service(service, op)?,
            Operation::Workload {
                target, kind, op, ..
            } => {
                named(target)?;
                workload::validate(*kind, op)?;
            }
            Operation::Node { target, op, .. } => {
                named(target)?;
                if let NodeOp::Drain(o) = op
                    && o.timeout_secs == 0
                {
                    return Err("a drain needs a timeout of 1 s or more".into());
                }
            }
            Operation::Delete { object, .. } | Operation::Edit { object, .. } => {
                if object.name.is_empty() || object.plural.is_empty() || object.version.is_empty() {
                    return Err("no object named".into());
                }
            }
            Operation::Batch { .. } => {}
        }
        if op.is_github() {
            if self.github.is_none() {
                return Err("no [github] source configured".into());
            }
        } else if !matches!(op, Operation::Host { .. } | Operation::Service { .. }) {
            self.client()?;
        }
        Ok(())
    }

    async fn run(&self, op: &Operation) -> Result<Done, String> {
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
            Operation::Host { action, vars } => self.run_host(action, vars).await.map(Done::from),
            Operation::Service { service, op } => {
                self.run_service(service, op).await.map(Done::from)
            }
            Operation::Workload {
                target,
                kind,
                op,
                resource_version,
            } => {
                self.run_workload(target, *kind, op, resource_version.as_deref())
                    .await
            }
            Operation::Node {
                target,
                op,
                resource_version,
            } => self.run_node(target, op, resource_version.as_deref()).await,
            Operation::Delete {
                object,
                propagation,
                ..
            } => self.run_delete(object, *propagation).await,
            Operation::Edit { object, body, .. } => self.run_edit(object, body).await,
            Operation::Batch { .. } => Err("a batch runs item by item".into()),
        }
    }
}
