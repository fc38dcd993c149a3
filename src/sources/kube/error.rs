//! Why no client could be built from the kubeconfig: read by the kubeconfig loader and the
//! client builder alike, so it sits below both.

use std::path::PathBuf;

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
