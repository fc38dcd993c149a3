//! Real cluster connections (#38): a cluster's `proxy-url` (socks5, socks5h, http) and
//! the environment's proxies for the HTTP clients, through loopback proxies the tests run;
//! an exec credential plugin run once for every client of a user, again when its token
//! expires, and once on a 401 however many requests were refused.

use std::sync::Arc;
use std::time::Duration;

use flightdeck::sources::kube::{Kind, WorkloadsMsg, client};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;

use crate::support::proxy::Proxy;
use crate::support::workloads::sandbox;
use flightdeck_sandbox::Scenario;
use flightdeck_sandbox::tls::TlsAuth;

fn with_proxy_url(yaml: &str, proxy: &str) -> String {
    yaml.replacen(
        "  cluster:\n",
        &format!("  cluster:\n    proxy-url: {proxy}\n"),
        1,
    )
}

async fn pods_through(proxy_url: &str, proxy: &Proxy) {
    let sb = sandbox(Scenario::Steady).await;
    let yaml = with_proxy_url(&sb.kubeconfig_yaml(), proxy_url);
    let kc = kube::config::Kubeconfig::from_yaml(&yaml).expect("kubeconfig");
    let c = client::client_from_kubeconfig(kc, None)
        .await
        .expect("a client with a proxy-url");
    let pods: Api<Pod> = Api::all(c);
    let list = pods
        .list(&Default::default())
        .await
        .expect("pods through the proxy");
    assert!(!list.items.is_empty());
    let server = sb.kube_url();
    let target = server.trim_start_matches("http://").trim_end_matches('/');
    let log = proxy.log();
    assert!(
        log.iter().any(|l| l == &format!("CONNECT {target}")),
        "the proxy saw {log:?}"
    );
}

#[tokio::test]
async fn proxy_url_socks5_and_socks5h_carry_the_cluster_connection() {
    let proxy = Proxy::socks5().await;
    pods_through(&proxy.url("socks5"), &proxy).await;
    let proxy = Proxy::socks5().await;
    pods_through(&proxy.url("socks5h"), &proxy).await;
}

#[tokio::test]
async fn proxy_url_http_carries_the_cluster_connection() {
    let proxy = Proxy::http().await;
    pods_through(&proxy.url("http"), &proxy).await;
}

// ---------------------------------------------------------------------------------------
// The HTTP clients and the environment's proxies: the environment is read when a client
// is built, and setting it in this multi-threaded binary is unsafe, so a child process of
// this binary builds them with `HTTP_PROXY` set.

#[tokio::test]
async fn child_http_clients_through_the_environment_proxy() {
    let Ok(urls) = std::env::var("FLIGHTDECK_TEST_CHILD_PROXY_URLS") else {
        return;
    };
    let urls: Vec<&str> = urls.split(' ').collect();
    let [github, prometheus, health] = urls[..] else {
        panic!("three urls: {urls:?}");
    };
    let mut gh = flightdeck::sources::github::client::GithubClient::new(github, "acme/shop", None)
        .expect("github client");
    let _ = gh.login().await;
    let http = flightdeck::sources::http::client(Duration::from_secs(5)).expect("http client");
    let prom = flightdeck::sources::metrics::prometheus::PrometheusClient::new(http, prometheus);
    prom.query("up", None)
        .await
        .expect("prometheus through the proxy");
    let check: flightdeck::config::HealthCheck =
        toml::from_str(&format!("name = \"web\"\nurl = \"{health}\"\n")).expect("check");
    let hc = flightdeck::sources::health::client(Duration::from_secs(5)).expect("health client");
    let _ = flightdeck::sources::health::check_once(&hc, &check).await;
    println!("CHILD-DONE");
}

async fn http_clients_with(proxy: &Proxy, scheme: &str) -> Vec<String> {
    let sb = sandbox(Scenario::Steady).await;
    let health = format!("{}/healthz", sb.base_url().trim_end_matches('/'));
    let urls = format!("{} {} {health}", sb.github_api_url(), sb.prometheus_url());
    let out = tokio::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "connect::child_http_clients_through_the_environment_proxy",
            "--nocapture",
        ])
        .env("FLIGHTDECK_TEST_CHILD_PROXY_URLS", &urls)
        .env("HTTP_PROXY", proxy.url(scheme))
        .env_remove("http_proxy")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .output()
        .await
        .expect("run the child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("CHILD-DONE"),
        "child failed: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = proxy.log();
    for url in [sb.github_api_url(), sb.prometheus_url(), health] {
        let hostport = url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        assert!(
            log.iter().any(|l| l.contains(&hostport)),
            "{url} did not go through the proxy: {log:?}"
        );
    }
    log
}

#[tokio::test]
async fn github_prometheus_and_health_checks_take_http_proxy() {
    let proxy = Proxy::http().await;
    let log = http_clients_with(&proxy, "http").await;
    assert!(log.iter().any(|l| l.starts_with("GET http://")), "{log:?}");
}

#[tokio::test]
async fn github_prometheus_and_health_checks_take_a_socks_proxy() {
    let proxy = Proxy::socks5().await;
    http_clients_with(&proxy, "socks5h").await;
}

// ---------------------------------------------------------------------------------------
// One credential per user

/// A plugin that appends a line to `calls` per run and gives `tok-N` (N: its run), valid
/// for `lifetime` seconds (none: no expiry).
fn counting_plugin(dir: &std::path::Path, lifetime: Option<u32>) -> std::path::PathBuf {
    let calls = dir.join("calls");
    let plugin = dir.join("plugin.sh");
    let expiry = match lifetime {
        Some(s) => {
            format!(",\"expirationTimestamp\":\"$(date -u -d '+{s} seconds' +%Y-%m-%dT%H:%M:%SZ)\"")
        }
        None => String::new(),
    };
    std::fs::write(
        &plugin,
        format!(
            "#!/bin/sh\necho run >> '{}'\nn=$(wc -l < '{}' | tr -d ' ')\necho \"{{\\\"apiVersion\\\":\\\"client.authentication.k8s.io/v1\\\",\\\"kind\\\":\\\"ExecCredential\\\",\\\"status\\\":{{\\\"token\\\":\\\"tok-$n\\\"{}}}}}\"\n",
            calls.display(),
            calls.display(),
            expiry.replace('"', "\\\"")
        ),
    )
    .expect("write plugin");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    plugin
}

fn calls(dir: &std::path::Path) -> usize {
    std::fs::read_to_string(dir.join("calls"))
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

fn exec_kubeconfig(server: &str, plugin: &std::path::Path) -> String {
    format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster:\n    server: {server}\ncontexts:\n- name: c\n  context:\n    cluster: k\n    user: u\nusers:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {}\n      interactiveMode: IfAvailable\n",
        plugin.display()
    )
}

/// Every source of the console builds its own client for the scope (the watchers, the
/// namespaces, the logs, the executor): the plugin runs once for them all while every kind
/// is listed and watched, and once more after its token expires.
#[tokio::test]
async fn an_exec_plugin_runs_once_for_every_watcher_and_again_after_expiry() {
    let sb = sandbox(Scenario::Steady).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let plugin = counting_plugin(dir.path(), Some(20));
    let path = dir.path().join("kubeconfig");
    std::fs::write(&path, exec_kubeconfig(&sb.kube_url(), &plugin)).expect("write kubeconfig");
    let mut config = flightdeck::config::Config::default();
    config.kube.kubeconfig = Some(path);
    let config = Arc::new(config);

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let sink: flightdeck::sources::kube::watch::Sink = Arc::new(move |m| tx.send(m).is_ok());
    let watchers = flightdeck::sources::kube::watch::spawn_scope(config.clone(), None, None, sink);
    let ns_sink: flightdeck::sources::kube::namespaces::Sink = Arc::new(|_| true);
    let namespaces =
        flightdeck::sources::kube::namespaces::spawn_namespaces(config.clone(), None, ns_sink);
    // the logs' and the executor's clients
    let logs = client::client_for(&config, None).await.expect("client");
    let _ops = client::client_for(&config, None).await.expect("client");

    let core = [
        Kind::Deployments,
        Kind::ReplicaSets,
        Kind::Pods,
        Kind::Events,
        Kind::StatefulSets,
        Kind::DaemonSets,
        Kind::Jobs,
        Kind::CronJobs,
    ];
    let mut listed = std::collections::HashSet::new();
    let waited = tokio::time::timeout(Duration::from_secs(60), async {
        while !core.iter().all(|k| listed.contains(k)) {
            match rx.recv().await {
                Some(WorkloadsMsg::Snapshot(rows)) => {
                    listed.insert(rows.kind());
                }
                Some(WorkloadsMsg::Page {
                    rows, done: true, ..
                }) => {
                    listed.insert(rows.kind());
                }
                Some(WorkloadsMsg::NoClient(e)) => panic!("no client: {e}"),
                Some(_) => {}
                None => panic!("the watchers stopped"),
            }
        }
    })
    .await;
    assert!(waited.is_ok(), "listed only {listed:?}");
    let pods: Api<Pod> = Api::all(logs.clone());
    pods.list(&Default::default()).await.expect("pods");
    assert_eq!(calls(dir.path()), 1, "one run for every client and watcher");

    // the token expires 20 s after the run: the next request after that runs it once more
    let renewed = tokio::time::timeout(Duration::from_secs(60), async {
        while calls(dir.path()) < 2 {
            tokio::time::sleep(Duration::from_millis(500)).await;
            pods.list(&Default::default()).await.expect("pods");
        }
    })
    .await;
    assert!(renewed.is_ok(), "the plugin was not run again");
    for _ in 0..5 {
        pods.list(&Default::default()).await.expect("pods");
    }
    assert_eq!(calls(dir.path()), 2, "one run per expiry");
    watchers.abort();
    namespaces.abort();
}

/// An API server that answers 401 to everything; the first `hold` requests are held
/// until all of them have arrived, so they are refused with the same token.
async fn refusing_server(hold: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let arrived = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (all_in, _) = tokio::sync::watch::channel(false);
    let all_in = Arc::new(all_in);
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let arrived = arrived.clone();
            let all_in = all_in.clone();
            tokio::spawn(async move {
                loop {
                    let mut head = Vec::new();
                    let mut b = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        if conn.read(&mut b).await.unwrap_or(0) == 0 {
                            return;
                        }
                        head.push(b[0]);
                    }
                    let n = arrived.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                    if n <= hold {
                        if n == hold {
                            all_in.send_replace(true);
                        }
                        let mut rx = all_in.subscribe();
                        let _ = rx.wait_for(|v| *v).await;
                    }
                    let body = r#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#;
                    let reply = format!(
                        "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if conn.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_401_is_answered_by_one_new_plugin_run() {
    let server = refusing_server(8).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let plugin = counting_plugin(dir.path(), None);
    let kc = kube::config::Kubeconfig::from_yaml(&exec_kubeconfig(&server, &plugin))
        .expect("kubeconfig");
    let c = client::client_from_kubeconfig(kc, None)
        .await
        .expect("client");
    assert_eq!(calls(dir.path()), 1);
    let pods: Api<Pod> = Api::all(c);
    let lp = kube::api::ListParams::default();
    let refused = futures::future::join_all((0..8).map(|_| pods.list(&lp))).await;
    assert!(refused.iter().all(Result::is_err));
    assert_eq!(calls(dir.path()), 1, "a refusal alone runs nothing");
    let _ = pods.list(&Default::default()).await;
    assert_eq!(
        calls(dir.path()),
        2,
        "eight requests refused with one token: one new run"
    );
}

/// `interactiveMode: Always` is not run (the console keeps the terminal): the error says
/// so; a failing plugin's stderr is shown, redacted.
#[tokio::test]
async fn an_interactive_plugin_is_not_run_and_a_failing_one_says_why() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plugin = counting_plugin(dir.path(), None);
    let yaml = exec_kubeconfig("https://127.0.0.1:1", &plugin)
        .replace("interactiveMode: IfAvailable", "interactiveMode: Always");
    let kc = kube::config::Kubeconfig::from_yaml(&yaml).expect("kubeconfig");
    let Err(err) = client::client_from_kubeconfig(kc, None).await else {
        panic!("an interactive plugin without a terminal gave a client");
    };
    let err = err.to_string();
    assert!(err.contains("interactiveMode: Always"), "{err}");
    assert_eq!(calls(dir.path()), 0, "never started");

    let failing = dir.path().join("failing.sh");
    std::fs::write(
        &failing,
        "#!/bin/sh\necho 'error: refresh token ghp_0123456789abcdefghijABCDEFGHIJ012345 expired; run aws sso login' >&2\nexit 3\n",
    )
    .expect("write");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&failing, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let kc = kube::config::Kubeconfig::from_yaml(&exec_kubeconfig("https://127.0.0.1:1", &failing))
        .expect("kubeconfig");
    let Err(err) = client::client_from_kubeconfig(kc, None).await else {
        panic!("a failing plugin gave a client");
    };
    let err = err.to_string();
    assert!(
        err.contains("failing.sh failed (exit status 3)") && err.contains("aws sso login"),
        "{err}"
    );
    assert!(!err.contains("ghp_0123456789"), "{err}");
}

// ---------------------------------------------------------------------------------------
// Against `sandbox --tls`: every auth mode, with the console's client and the real kubectl

async fn tls_sandbox(auth: TlsAuth) -> flightdeck_sandbox::Sandbox {
    let _ = rustls::crypto::ring::default_provider().install_default();
    flightdeck_sandbox::Sandbox::start(flightdeck_sandbox::SandboxOptions {
        tls: Some(auth),
        exec_token_lifetime: Duration::from_secs(20),
        ..Default::default()
    })
    .await
    .expect("tls sandbox")
}

async fn list_pods(yaml: &str) -> Result<usize, String> {
    let kc = kube::config::Kubeconfig::from_yaml(yaml).map_err(|e| e.to_string())?;
    let c = client::client_from_kubeconfig(kc, None)
        .await
        .map_err(|e| e.to_string())?;
    let pods: Api<Pod> = Api::all(c);
    pods.list(&Default::default())
        .await
        .map(|l| l.items.len())
        .map_err(|e| flightdeck::sources::http::error_chain(&e))
}

/// kubectl in a child process (awaited: the sandbox answers on this test's runtime).
async fn kubectl_pods(yaml: &str) -> Option<(bool, String)> {
    let kubectl = crate::support::tools::require("kubectl")?;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("kubeconfig");
    std::fs::write(&path, yaml).expect("write kubeconfig");
    let out = tokio::process::Command::new(kubectl)
        .args(["--kubeconfig"])
        .arg(&path)
        .args(["get", "pods", "-A", "-o", "name", "--request-timeout=10s"])
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .output()
        .await
        .expect("run kubectl");
    Some((
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    ))
}

#[tokio::test]
async fn every_auth_mode_of_the_tls_sandbox_works_for_the_console_and_kubectl() {
    for auth in [TlsAuth::Cert, TlsAuth::Token, TlsAuth::Exec] {
        let sb = tls_sandbox(auth).await;
        assert!(sb.kube_url().starts_with("https://"));
        let yaml = sb.kubeconfig_yaml();
        let n = list_pods(&yaml)
            .await
            .unwrap_or_else(|e| panic!("{auth:?}: {e}"));
        assert!(n > 0, "{auth:?}");
        if let Some((ok, out)) = kubectl_pods(&yaml).await {
            assert!(ok && out.contains("pod/"), "kubectl with {auth:?}: {out}");
        }
        // without credentials the API answers 401, as kube-apiserver does
        let bare = yaml
            .split("users:")
            .next()
            .map(|head| format!("{head}users:\n- name: sandbox\n  user: {{}}\n"))
            .expect("users");
        let err = list_pods(&bare).await.expect_err("no credentials");
        assert!(err.contains("401") || err.contains("Unauthorized"), "{err}");
    }
}

#[tokio::test]
async fn proxy_url_carries_the_tls_connection_too() {
    let sb = tls_sandbox(TlsAuth::Cert).await;
    let target = sb.addr().to_string();
    for (proxy, scheme) in [
        (Proxy::socks5().await, "socks5"),
        (Proxy::http().await, "http"),
    ] {
        let yaml = with_proxy_url(&sb.kubeconfig_yaml(), &proxy.url(scheme));
        let n = list_pods(&yaml)
            .await
            .unwrap_or_else(|e| panic!("{scheme}: {e}"));
        assert!(n > 0);
        assert!(
            proxy.log().contains(&format!("CONNECT {target}")),
            "{scheme}: {:?}",
            proxy.log()
        );
        if let Some((ok, out)) = kubectl_pods(&yaml).await {
            assert!(ok, "kubectl through {scheme}: {out}");
        }
    }
}

/// `sandbox --tls --auth exec`: its plugin runs once while the console's sources list and
/// watch every kind, and once more after its 20-second token expires.
#[tokio::test]
async fn the_tls_sandboxs_exec_plugin_runs_once_for_every_watcher() {
    let sb = tls_sandbox(TlsAuth::Exec).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("kubeconfig");
    std::fs::write(&path, sb.kubeconfig_yaml()).expect("write kubeconfig");
    let mut config = flightdeck::config::Config::default();
    config.kube.kubeconfig = Some(path);
    let config = Arc::new(config);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let sink: flightdeck::sources::kube::watch::Sink = Arc::new(move |m| tx.send(m).is_ok());
    let watchers = flightdeck::sources::kube::watch::spawn_scope(config.clone(), None, None, sink);
    let ns_sink: flightdeck::sources::kube::namespaces::Sink = Arc::new(|_| true);
    let namespaces =
        flightdeck::sources::kube::namespaces::spawn_namespaces(config.clone(), None, ns_sink);
    let other = client::client_for(&config, None).await.expect("client");
    let mut listed = std::collections::HashSet::new();
    let waited = tokio::time::timeout(Duration::from_secs(60), async {
        while listed.len() < 8 {
            match rx.recv().await {
                Some(WorkloadsMsg::Snapshot(rows))
                | Some(WorkloadsMsg::Page {
                    rows, done: true, ..
                }) => {
                    listed.insert(rows.kind());
                }
                Some(WorkloadsMsg::Failed { kind, failure }) => panic!("{kind:?}: {failure:?}"),
                Some(WorkloadsMsg::NoClient(e)) => panic!("no client: {e}"),
                Some(_) => {}
                None => panic!("the watchers stopped"),
            }
        }
    })
    .await;
    assert!(waited.is_ok(), "listed only {listed:?}");
    assert_eq!(sb.exec_calls(), 1, "one plugin run for every source");
    let pods: Api<Pod> = Api::all(other);
    let renewed = tokio::time::timeout(Duration::from_secs(60), async {
        while sb.exec_calls() < 2 {
            tokio::time::sleep(Duration::from_millis(500)).await;
            pods.list(&Default::default()).await.expect("pods");
        }
    })
    .await;
    assert!(renewed.is_ok(), "not run again after expiry");
    pods.list(&Default::default()).await.expect("pods");
    assert_eq!(sb.exec_calls(), 2);
    watchers.abort();
    namespaces.abort();
}

// ---------------------------------------------------------------------------------------
// Errors a user can act on

#[tokio::test]
async fn tls_and_proxy_errors_say_what_to_do() {
    let sb = tls_sandbox(TlsAuth::Cert).await;
    let yaml = sb.kubeconfig_yaml();
    let tls = sb.tls().expect("tls");

    let no_ca: String = yaml
        .lines()
        .filter(|l| !l.contains("certificate-authority-data"))
        .map(|l| format!("{l}\n"))
        .collect();
    let err = list_pods(&no_ca).await.expect_err("an unknown CA");
    assert!(
        err.contains("certificate signed by an unknown authority")
            && err.contains("certificate-authority-data")
            && err.contains("insecure-skip-tls-verify"),
        "{err}"
    );
    assert!(!err.contains("UnknownIssuer"), "no raw chain: {err}");

    let expired = yaml
        .replace(
            &flightdeck_sandbox::tls::base64(tls.client_cert_pem.as_bytes()),
            &flightdeck_sandbox::tls::base64(tls.expired_client_cert_pem.as_bytes()),
        )
        .replace(
            &flightdeck_sandbox::tls::base64(tls.client_key_pem.as_bytes()),
            &flightdeck_sandbox::tls::base64(tls.expired_client_key_pem.as_bytes()),
        );
    let err = list_pods(&expired)
        .await
        .expect_err("an expired client certificate");
    assert!(
        err.contains("client certificate") && err.contains("expired on 2020-01-01"),
        "{err}"
    );

    let wrong_name = yaml.replacen(
        "  cluster:\n",
        "  cluster:\n    tls-server-name: api.wrong.example\n",
        1,
    );
    let err = list_pods(&wrong_name).await.expect_err("a name mismatch");
    assert!(
        err.contains("api.wrong.example") && err.contains("127.0.0.1") && err.contains("localhost"),
        "{err}"
    );

    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    };
    let refusing = with_proxy_url(&yaml, &format!("http://{closed}"));
    let err = list_pods(&refusing)
        .await
        .expect_err("a proxy that refuses");
    assert!(
        err.contains(&format!("proxy http://{closed}")) && err.contains("refused"),
        "{err}"
    );
}
