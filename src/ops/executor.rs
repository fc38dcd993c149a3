//! The executor's state: the client, the audit log, the configured actions, and who we
//! are. Its operations are `impl Executor` blocks in `ops/mod.rs` and beside each kind of
//! operation.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use super::audit::AuditLog;
use super::inflight;
use super::model::HostOutput;

/// Where host-action output goes.
pub type LineSink = Arc<dyn Fn(HostOutput) + Send + Sync>;

/// Where a drain's progress goes.
pub type DrainSink = Arc<dyn Fn(super::model::DrainProgress) + Send + Sync>;

/// The drains running now, by (context, node): set to cancel one.
pub(super) type DrainCancels =
    Arc<std::sync::Mutex<HashMap<(String, String), Arc<std::sync::atomic::AtomicBool>>>>;

/// Runs confirmed operations. Built once by the console; cheap to clone.
#[derive(Clone)]
pub struct Executor {
    pub(super) client: Option<kube::Client>,
    pub(super) client_error: String,
    pub(super) read_only: bool,
    pub(super) audit: AuditLog,
    pub(super) host_actions: Vec<crate::config::HostAction>,
    pub(super) services: Vec<crate::config::ServiceConfig>,
    pub(super) output: LineSink,
    pub(super) github: Option<GithubSetup>,
    /// Poked after a GitHub operation so the pipeline shows its effect at once.
    pub(super) github_refresh: Option<Arc<tokio::sync::Notify>>,
    /// The kubeconfig's user name: the cluster identity when the server cannot say.
    pub(super) kubeconfig_user: Option<String>,
    /// The context the client is for (`None`: the kubeconfig's current one); the key of the
    /// cached cluster identity.
    pub(super) context: Option<String>,
    /// Who we are to the cluster and to GitHub, looked up once for this executor.
    pub(super) identities: Arc<Identities>,
    /// How long a cluster or GitHub request of a plan or a run may take (host actions and
    /// services have their own `timeout_secs`).
    pub(super) request_bound: Duration,
    /// How long a plan (the reads and the dry run behind a confirmation) may wait: short,
    /// since the user waits on it and a plan that cannot read offers nothing to confirm.
    pub(super) plan_bound: Duration,
    /// The operations running now, shared by every clone: quitting ends them.
    pub(super) in_flight: inflight::InFlight,
    /// A drain's progress, as it goes.
    pub(super) drain_progress: DrainSink,
    /// The drains running now, shared by every clone: [`Executor::cancel_drain`].
    pub(super) drains: DrainCancels,
}

/// [`Executor::request_bound`]'s default: far beyond a healthy API server's answer, short
/// enough that a hanging one never leaves the confirmation waiting for good.
pub const REQUEST_BOUND: Duration = Duration::from_secs(60);

/// [`Executor::plan_bound`]'s default: a healthy API server answers a read and a dry run
/// in well under a second; a frozen one is named as such before anything is offered.
pub const PLAN_BOUND: Duration = Duration::from_secs(10);

/// The identities the audit log names, each looked up at most once (a failed lookup is
/// cached as `unknown (why)` too: an operation never waits on it twice).
#[derive(Debug, Default)]
pub(super) struct Identities {
    /// Per context: after `:ctx` the cluster, and so who we are to it, differ.
    pub(super) cluster:
        std::sync::Mutex<HashMap<Option<String>, Arc<tokio::sync::OnceCell<String>>>>,
    pub(super) github: tokio::sync::OnceCell<String>,
}

/// How long an identity lookup may take before the audit line says `unknown`.
pub(super) const IDENTITY_TIMEOUT: Duration = Duration::from_secs(3);

/// Where approvals go; the token is resolved when an approval runs and never logged.
#[derive(Debug, Clone)]
pub struct GithubSetup {
    pub api_url: String,
    pub repo: String,
    pub token: crate::sources::github::TokenSetting,
}
