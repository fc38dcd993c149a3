//! Who the cluster says we are, for the audit log: the server's own answer
//! (`SelfSubjectReview`, authentication.k8s.io/v1), else the kubeconfig's user name.

use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use kube::api::{Api, PostParams};
use kube::config::Kubeconfig;

/// The username from `POST /apis/authentication.k8s.io/v1/selfsubjectreviews`.
pub async fn self_subject(client: &kube::Client) -> Result<String, String> {
    let api: Api<SelfSubjectReview> = Api::all(client.clone());
    let review = api
        .create(&PostParams::default(), &SelfSubjectReview::default())
        .await
        .map_err(|e| match e {
            kube::Error::Api(s) => format!("SelfSubjectReview: {} ({})", s.message, s.code),
            other => format!("SelfSubjectReview: {other}"),
        })?;
    review
        .status
        .and_then(|s| s.user_info)
        .and_then(|u| u.username)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| "SelfSubjectReview: the answer names no user".to_owned())
}

/// The kubeconfig's user name for `context` (or the config's, or the current context):
/// what the audit log names when the server cannot say who we are.
pub fn kubeconfig_user(config: &crate::config::Config, context: Option<&str>) -> Option<String> {
    let mut merged: Option<Kubeconfig> = None;
    for path in super::client::kubeconfig_paths(config)
        .iter()
        .filter(|p| p.is_file())
    {
        let kc = Kubeconfig::read_from(path).ok()?;
        merged = Some(match merged {
            None => kc,
            Some(m) => m.merge(kc).ok()?,
        });
    }
    let kc = merged?;
    user_of(&kc, context.or(config.kube.context.as_deref()))
}

/// The user the kubeconfig's `context` (or current context) names.
pub fn user_of(kc: &Kubeconfig, context: Option<&str>) -> Option<String> {
    let name = context.or(kc.current_context.as_deref())?;
    kc.contexts
        .iter()
        .find(|c| c.name == name)?
        .context
        .as_ref()?
        .user
        .clone()
        .filter(|u| !u.is_empty())
}
