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
    let builder = kube::client::ClientBuilder::try_from(cfg)
        .map_err(|e| KubeError::Client(crate::secret::redact(&e.to_string()).into_owned()))?;
    Ok(builder
        .with_layer(&tower::util::MapRequestLayer::new(tidy_query))
        .build())
}

/// Every request's query string, well formed: kube-core builds it after `path?` with a
/// leading `&` (`?&dryRun=All`, `?&fieldManager=flightdeck`) and leaves a bare `?` when
/// there is none; the API server is sent `?dryRun=All&fieldManager=flightdeck`, or no `?`.
fn tidy_query(mut req: http::Request<kube::client::Body>) -> http::Request<kube::client::Body> {
    let Some(pq) = req.uri().path_and_query() else {
        return req;
    };
    let Some(query) = pq.query() else {
        return req;
    };
    let tidy = well_formed_query(query);
    if tidy.as_deref() == Some(query) {
        return req;
    }
    let rebuilt = match tidy {
        Some(q) => format!("{}?{q}", pq.path()),
        None => pq.path().to_owned(),
    };
    let mut parts = req.uri().clone().into_parts();
    if let Ok(pq) = rebuilt.parse() {
        parts.path_and_query = Some(pq);
        if let Ok(uri) = http::Uri::from_parts(parts) {
            *req.uri_mut() = uri;
        }
    }
    req
}

/// `query` without its empty pairs (`&dryRun=All` → `dryRun=All`); `None` when nothing is
/// left.
pub fn well_formed_query(query: &str) -> Option<String> {
    let pairs: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    (!pairs.is_empty()).then(|| pairs.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_lose_their_empty_pairs() {
        assert_eq!(
            well_formed_query("&dryRun=All").as_deref(),
            Some("dryRun=All")
        );
        assert_eq!(
            well_formed_query("&dryRun=All&fieldManager=flightdeck").as_deref(),
            Some("dryRun=All&fieldManager=flightdeck")
        );
        assert_eq!(well_formed_query("a=1&&b=2&").as_deref(), Some("a=1&b=2"));
        assert_eq!(well_formed_query(""), None);
        assert_eq!(well_formed_query("&"), None);
    }

    #[test]
    fn the_request_goes_out_with_the_tidy_query() {
        let req =
            http::Request::patch("/apis/apps/v1/namespaces/shop/deployments/cart?&dryRun=All")
                .body(kube::client::Body::empty())
                .expect("request");
        assert_eq!(
            tidy_query(req).uri(),
            "/apis/apps/v1/namespaces/shop/deployments/cart?dryRun=All"
        );
        let bare = http::Request::patch("/api/v1/namespaces/shop/pods/p?")
            .body(kube::client::Body::empty())
            .expect("request");
        assert_eq!(tidy_query(bare).uri(), "/api/v1/namespaces/shop/pods/p");
    }

    /// An exec credential plugin that prints its credential and fails: the error every
    /// pane shows (the watchers' error chain) keeps the token out, however kube quotes the
    /// plugin's output (#29).
    #[tokio::test]
    async fn a_failing_exec_plugins_token_is_not_in_the_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let plugin = dir.path().join("plugin.sh");
        std::fs::write(
            &plugin,
            "#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"k8s-aws-v1.s3cr3tT0k3n\"}}'\necho 'current token k8s-aws-v1.s3cr3tT0k3n rejected' >&2\nexit 1\n",
        )
        .expect("write plugin");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let path = dir.path().join("kubeconfig");
        std::fs::write(
            &path,
            format!(
                "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: c\n  context:\n    cluster: k\n    user: u\nusers:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {}\n      interactiveMode: Never\n",
                plugin.display()
            ),
        )
        .expect("write kubeconfig");
        let mut config = crate::config::Config::default();
        config.kube.kubeconfig = Some(path);
        let shown = match client_for(&config, None).await {
            Err(e) => crate::secret::redact(&e.to_string()).into_owned(),
            Ok(client) => match client.apiserver_version().await {
                Ok(v) => panic!("a version from nowhere: {v:?}"),
                Err(e) => crate::sources::http::error_chain(&e),
            },
        };
        assert!(!shown.contains("s3cr3tT0k3n"), "{shown}");
    }

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
