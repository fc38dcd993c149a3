//! Building a `kube::Client` from the user's kubeconfig. Shared by every source and
//! operation that talks to the cluster.

use kube::config::{KubeConfigOptions, Kubeconfig};

pub use super::error::KubeError;
pub use super::kubeconfig::kubeconfig_paths;

/// How long connecting to the API server may take.
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A client for `context` (or the config's, or the kubeconfig's current context).
pub async fn client_for(
    config: &crate::config::Config,
    context: Option<&str>,
) -> Result<kube::Client, KubeError> {
    let kc = super::kubeconfig::read_merged(config)?;
    client_from_kubeconfig(kc, context.or(config.kube.context.as_deref())).await
}

/// A client from an already parsed kubeconfig (tests and the demo use the sandbox's).
pub async fn client_from_kubeconfig(
    kc: Kubeconfig,
    context: Option<&str>,
) -> Result<kube::Client, KubeError> {
    let options = KubeConfigOptions {
        context: context.map(str::to_owned),
        ..Default::default()
    };
    let mut cfg = kube::Config::from_custom_kubeconfig(kc, &options)
        .await
        .map_err(|e| KubeError::Context {
            context: context.unwrap_or("(current)").to_owned(),
            error: super::kubeconfig::error_text(&e),
        })?;
    // kube's default is 30 s; an unreachable address should say so sooner. There is no
    // client-wide read timeout, as it would cut quiet log follows and watches: the
    // watchers bound each request themselves (`watch::LIST_TIMEOUT`, and a watch's
    // `timeoutSeconds` plus a margin).
    cfg.connect_timeout = Some(CONNECT_TIMEOUT);
    kube::Client::try_from(cfg)
        .map_err(|e| KubeError::Client(crate::secret::redact(&e.to_string()).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The client path (workloads, logs, operations) reports the redacted text the
    /// kubeconfig loader shows.
    #[tokio::test]
    async fn the_client_error_is_redacted_too() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("kubeconfig");
        std::fs::write(
            &path,
            "users:\n- name: u\n  user:\n    token: sk_live_4eC39HqLyjWDarjtT1zdp7dc\n   password: p4ss\n",
        )
        .expect("write");
        let mut config = crate::config::Config::default();
        config.kube.kubeconfig = Some(path.clone());
        let Err(err) = client_for(&config, None).await else {
            panic!("a malformed kubeconfig gave a client");
        };
        let err = err.to_string();
        assert!(!err.contains("sk_live") && !err.contains("p4ss"), "{err}");
        assert!(err.contains("line 5"), "{err}");
    }
}
