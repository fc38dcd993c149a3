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

/// [`client_for`] for operations: without kube's own retry of 429, 503 and 504 (up to 15
/// times, backing off to minutes), so that an operation hears the server's answer at once:
/// the executor reports it, and a drain retries a 429 of a PodDisruptionBudget itself,
/// saying which budget blocks.
pub async fn operations_client_for(
    config: &crate::config::Config,
    context: Option<&str>,
) -> Result<kube::Client, KubeError> {
    let kc = super::kubeconfig::read_merged(config)?;
    build(kc, context.or(config.kube.context.as_deref()), false).await
}

/// A client from an already parsed kubeconfig (tests and the demo use the sandbox's).
pub async fn client_from_kubeconfig(
    kc: Kubeconfig,
    context: Option<&str>,
) -> Result<kube::Client, KubeError> {
    build(kc, context, true).await
}

/// [`operations_client_for`] from an already parsed kubeconfig.
pub async fn operations_client_from_kubeconfig(
    kc: Kubeconfig,
    context: Option<&str>,
) -> Result<kube::Client, KubeError> {
    build(kc, context, false).await
}

async fn build(
    kc: Kubeconfig,
    context: Option<&str>,
    retry: bool,
) -> Result<kube::Client, KubeError> {
    let options = KubeConfigOptions {
        context: context.map(str::to_owned),
        ..Default::default()
    };
    let cluster_proxy = cluster_proxy_url(&kc, context);
    let context_err = |error: String| KubeError::Context {
        context: context.unwrap_or("(current)").to_owned(),
        error,
    };
    let mut cfg = kube::Config::from_custom_kubeconfig(kc, &options)
        .await
        .map_err(|e| context_err(super::kubeconfig::error_text(&e)))?;
    // kube 5 takes `HTTPS_PROXY` even for a server `NO_PROXY` names (it matches `NO_PROXY`
    // against the proxy's own address) and knows no `socks5h`: choose as kubectl does
    cfg.proxy_url = match cluster_proxy {
        Some(p) => Some(proxy_uri(&p).map_err(context_err)?),
        None => env_proxy(&cfg.cluster_url, &ProxyEnv::read())
            .map(|p| proxy_uri(&p))
            .transpose()
            .map_err(context_err)?,
    };
    // kube's connect timeout is 30 s; an unreachable address should say so sooner. There is no
    // client-wide read timeout, as it would cut quiet log follows and watches: the
    // watchers bound each request themselves (`watch::LIST_TIMEOUT`, and a watch's
    // `timeoutSeconds` plus a margin).
    cfg.connect_timeout = Some(CONNECT_TIMEOUT);
    cfg.default_retry = retry;
    // An exec plugin's token is the user's, shared by every client (see `credentials`)
    let mut exec_auth = None;
    if let Some(exec) = cfg.auth_info.exec.clone() {
        let creds = super::credentials::for_plugin(&exec);
        match creds.ensure().await.map_err(KubeError::Client)? {
            // kube puts a plugin's certificate in the TLS identity (run by kube)
            super::credentials::Credential::Certificate => {}
            super::credentials::Credential::Token => {
                cfg.auth_info.exec = None;
                exec_auth = Some(super::credentials::ExecAuthLayer(creds));
            }
        }
    }
    let info = super::tls_errors::ConnInfo {
        server: cfg.cluster_url.to_string().trim_end_matches('/').to_owned(),
        proxy: cfg
            .proxy_url
            .as_ref()
            .map(|p| p.to_string().trim_end_matches('/').to_owned()),
        client_cert_not_after: client_cert_pem(&cfg.auth_info)
            .and_then(|pem| super::tls_errors::cert_not_after(&pem)),
    };
    let explain = tower::util::MapErrLayer::new(move |e: tower::BoxError| -> tower::BoxError {
        match super::tls_errors::explain(e.as_ref(), &info) {
            Some(text) => text.into(),
            None => e,
        }
    });
    let builder = kube::client::ClientBuilder::try_from(cfg)
        .map_err(|e| KubeError::Client(crate::secret::redact(&e.to_string()).into_owned()))?
        .with_layer(&tower::util::MapRequestLayer::new(tidy_query))
        .with_layer(&explain);
    Ok(match exec_auth {
        Some(layer) => builder.with_layer(&layer).build(),
        None => builder.build(),
    })
}

/// The kubeconfig user's client certificate (PEM), from its data or its file.
fn client_cert_pem(auth: &kube::config::AuthInfo) -> Option<Vec<u8>> {
    use base64::Engine;
    if let Some(data) = &auth.client_certificate_data {
        return base64::engine::general_purpose::STANDARD
            .decode(data.trim())
            .ok();
    }
    std::fs::read(auth.client_certificate.as_ref()?).ok()
}

/// The `proxy-url` of the cluster `context` (or the current context) names.
fn cluster_proxy_url(kc: &Kubeconfig, context: Option<&str>) -> Option<String> {
    let name = context.or(kc.current_context.as_deref())?;
    let ctx = kc
        .contexts
        .iter()
        .find(|c| c.name == name)?
        .context
        .as_ref()?;
    kc.clusters
        .iter()
        .find(|c| c.name == ctx.cluster)?
        .cluster
        .as_ref()?
        .proxy_url
        .clone()
        .filter(|p| !p.is_empty())
}

/// A proxy address as kube's connectors take it: `socks5h://` (names resolved by the
/// proxy) is what kube's `socks5://` connector does already.
fn proxy_uri(proxy: &str) -> Result<http::Uri, String> {
    let proxy = match proxy.strip_prefix("socks5h://") {
        Some(rest) => format!("socks5://{rest}"),
        None => proxy.to_owned(),
    };
    let uri: http::Uri = proxy
        .parse()
        .map_err(|_| format!("proxy-url {} is not a URL", crate::secret::redact(&proxy)))?;
    match uri.scheme_str() {
        Some("socks5" | "http" | "https") => Ok(uri),
        _ => Err(format!(
            "proxy-url {}: only socks5://, socks5h://, http:// and https:// proxies are supported",
            crate::secret::redact(&proxy)
        )),
    }
}

/// The proxy variables of the environment, read once per client.
#[derive(Debug, Default, Clone)]
pub struct ProxyEnv {
    pub https_proxy: Option<String>,
    pub http_proxy: Option<String>,
    pub no_proxy: Option<String>,
}

impl ProxyEnv {
    pub fn read() -> ProxyEnv {
        let var = |names: [&str; 2]| {
            names
                .iter()
                .find_map(|n| std::env::var(n).ok().filter(|v| !v.is_empty()))
        };
        ProxyEnv {
            https_proxy: var(["HTTPS_PROXY", "https_proxy"]),
            http_proxy: var(["HTTP_PROXY", "http_proxy"]),
            no_proxy: var(["NO_PROXY", "no_proxy"]),
        }
    }
}

/// The proxy kubectl would use for `server` without a `proxy-url` (Go's
/// `ProxyFromEnvironment`): `HTTPS_PROXY` for https, `HTTP_PROXY` for http, none for a
/// host `NO_PROXY` names (a name, `.suffix`, an IP, a CIDR or `*`) or a loopback one.
pub fn env_proxy(server: &http::Uri, env: &ProxyEnv) -> Option<String> {
    let host = server.host()?.trim_start_matches('[').trim_end_matches(']');
    let proxy = if server.scheme_str() == Some("http") {
        env.http_proxy.clone()
    } else {
        env.https_proxy.clone()
    }?;
    let ip: Option<std::net::IpAddr> = host.parse().ok();
    if host.eq_ignore_ascii_case("localhost") || ip.is_some_and(|ip| ip.is_loopback()) {
        return None;
    }
    let skipped = env
        .no_proxy
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .any(|entry| {
            let entry = entry.trim();
            if entry.is_empty() {
                return false;
            }
            if entry == "*" {
                return true;
            }
            if let (Some(ip), Some((net, bits))) = (ip, entry.split_once('/')) {
                return in_cidr(ip, net, bits);
            }
            let entry = entry.split(':').next().unwrap_or(entry);
            let suffix = entry.trim_start_matches('.').to_ascii_lowercase();
            let host = host.to_ascii_lowercase();
            host == suffix || host.ends_with(&format!(".{suffix}"))
        });
    (!skipped).then_some(proxy)
}

fn in_cidr(ip: std::net::IpAddr, net: &str, bits: &str) -> bool {
    let (Ok(net), Ok(bits)) = (net.parse::<std::net::IpAddr>(), bits.parse::<u32>()) else {
        return false;
    };
    match (ip, net) {
        (std::net::IpAddr::V4(a), std::net::IpAddr::V4(b)) if bits <= 32 => {
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(a) & mask == u32::from(b) & mask
        }
        (std::net::IpAddr::V6(a), std::net::IpAddr::V6(b)) if bits <= 128 => {
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
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
    fn the_environment_proxy_is_chosen_as_kubectl_chooses_it() {
        let env = ProxyEnv {
            https_proxy: Some("http://bastion:3128".into()),
            http_proxy: Some("socks5://bastion:1080".into()),
            no_proxy: Some("internal.example, .corp, 10.0.0.0/8".into()),
        };
        let p = |s: &str| env_proxy(&s.parse().expect("uri"), &env);
        assert_eq!(
            p("https://api.example.com").as_deref(),
            Some("http://bastion:3128")
        );
        assert_eq!(
            p("http://api.example.com").as_deref(),
            Some("socks5://bastion:1080")
        );
        assert_eq!(p("https://internal.example:6443"), None);
        assert_eq!(p("https://k8s.internal.example"), None);
        assert_eq!(p("https://api.corp"), None);
        assert_eq!(p("https://10.1.2.3:6443"), None);
        assert_eq!(
            p("https://11.1.2.3:6443").as_deref(),
            Some("http://bastion:3128")
        );
        assert_eq!(
            p("https://127.0.0.1:6443"),
            None,
            "loopback is never proxied"
        );
        assert_eq!(p("https://localhost:6443"), None);
    }

    #[test]
    fn socks5h_is_taken_and_unknown_schemes_say_which_work() {
        assert_eq!(
            proxy_uri("socks5h://127.0.0.1:1080")
                .expect("socks5h")
                .to_string(),
            "socks5://127.0.0.1:1080/"
        );
        let err = proxy_uri("ftp://127.0.0.1:21").expect_err("ftp");
        assert!(err.contains("socks5h://"), "{err}");
    }

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
