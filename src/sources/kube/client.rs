//! Building a `kube::Client` from the user's kubeconfig. Shared by every source and
//! operation that talks to the cluster.

use std::path::PathBuf;

use kube::config::{KubeConfigOptions, Kubeconfig};

#[derive(Debug, thiserror::Error)]
pub enum KubeError {
    #[error(
        "no kubeconfig found (tried {}); point `--kubeconfig`, `[kube] kubeconfig` in config.toml or $KUBECONFIG at one (your cluster's admin or `kind`/`k3d` write it), or run `flightdeck demo` to try the console against the built-in sandbox",
        tried.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    NoKubeconfig { tried: Vec<PathBuf> },
    #[error("cannot read kubeconfig {path}: {error}")]
    Kubeconfig { path: PathBuf, error: String },
    #[error("kubeconfig context {context}: {error}")]
    Context { context: String, error: String },
    #[error("cannot build a Kubernetes client: {0}")]
    Client(String),
}

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
