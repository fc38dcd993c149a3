//! What every write to the cluster shares: the parameters it sends (`fieldManager`), a
//! resourceVersion precondition, the server dry run, how an API error reads, and what a
//! successful run reports.

use kube::api::{Api, Patch, PatchParams};
use serde_json::json;

/// The name every write gives the API server as its `fieldManager`, so the object's
/// `managedFields` say which fields flightdeck set (kubectl sends `kubectl-rollout`,
/// `kubectl-create`, …).
pub const FIELD_MANAGER: &str = "flightdeck";

/// The parameters of every PATCH an operation sends (a dry run adds `dry_run`).
pub(crate) fn patch_params() -> PatchParams {
    PatchParams {
        field_manager: Some(FIELD_MANAGER.into()),
        ..PatchParams::default()
    }
}

/// The parameters of every POST or PUT an operation sends (a dry run adds `dry_run`).
pub(crate) fn post_params() -> kube::api::PostParams {
    kube::api::PostParams {
        field_manager: Some(FIELD_MANAGER.into()),
        ..kube::api::PostParams::default()
    }
}

/// How a 409's message starts: the outcome line says `conflict` for it.
pub const CONFLICT: &str = "conflict: ";

/// A short, clear message for an API error; 409 says what happened. Credentials the
/// server or a cause may quote are redacted.
pub fn kube_message(e: kube::Error) -> String {
    let text = match e {
        kube::Error::Api(s) if s.code == 409 => format!(
            "{CONFLICT}the object was changed by someone else since the confirmation ({}); nothing was changed — look again and retry",
            s.message
        ),
        kube::Error::Api(s) if s.code == 403 => format!("forbidden: {}", s.message),
        kube::Error::Api(s) => format!("{} ({} {})", s.message, s.code, s.reason),
        other => other.to_string(),
    };
    crate::secret::redact(&text).into_owned()
}

/// What a successful run did, for the status line and the outcome line.
#[derive(Debug, Clone, Default)]
pub(crate) struct Done {
    pub message: String,
    /// A rollback: the revision the cluster numbered the rolled-back template with (read
    /// back after the controller ran; `kubectl rollout history` shows it).
    pub revision: Option<String>,
    /// A rollback: the revision whose pod template was copied.
    pub target_revision: Option<String>,
    /// The changed object's resourceVersion in the server's answer.
    pub resource_version: Option<String>,
    /// A GitHub run's state read back after the request.
    pub run_state: Option<String>,
}

impl From<String> for Done {
    fn from(message: String) -> Done {
        Done {
            message,
            ..Done::default()
        }
    }
}

/// A merge or strategic-merge patch made conditional on `resource_version`: the server
/// answers 409 if the object moved since, and `kube_message` reports that, never retried.
pub(crate) fn with_resource_version(
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
pub(crate) async fn dry_run<K, P>(api: &Api<K>, name: &str, patch: &Patch<P>) -> String
where
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
    P: serde::Serialize + std::fmt::Debug,
{
    let dry = PatchParams {
        dry_run: true,
        ..patch_params()
    };
    match api.patch(name, &dry, patch).await {
        Ok(_) => "server dry run (dryRun=All): ok".into(),
        Err(e) => format!("server dry run (dryRun=All): {}", kube_message(e)),
    }
}
