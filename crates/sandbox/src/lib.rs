//! The sandbox: a simulated cluster, CI system, metrics and GPU host over real HTTP.
//!
//! One listener serves everything, split by path prefix:
//! - `/` — the Kubernetes API subset (`/version`, `/api`, `/apis`, core v1, apps/v1, autoscaling/v2, batch/v1,
//!   and argoproj.io/v1alpha1 when Argo Rollouts is served)
//! - `/github/...` — the GitHub REST API subset for one repository
//! - `/metrics/<service>` — Prometheus text exposition per simulated service
//! - `/prometheus/api/v1/...` — the Prometheus HTTP API (`query`, `query_range`, `alerts`)
//!   over what a Prometheus scraping those pages would hold (`history.rs`, `promql/`)
//! - `/gpu/<host>/metrics` — the simulated DGX hosts `dgx-01` … (DCGM exporter and `dgx_gpu_*`
//!   names, with the pods that hold each GPU; `dcgm.rs`, `world/gpus.rs`)
//! - `/health/<service>` — a health endpoint per simulated service (503 while a bad revision serves)
//! - `/_sandbox/...` — the admin endpoint (faults, time, log injection; see `ADMIN.md`)
//!
//! The world is deterministic for a seed; a background tick advances simulated time.

mod admin;
mod cli;
mod dcgm;
mod github;
mod history;
mod json;
mod kube;
mod metrics;
mod patch;
mod podprint;
mod promql;
mod rng;
mod select;
mod store;
mod table;
pub mod tls;
mod world;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use clap::Args;
use serde_json::json;
use tokio::task::JoinHandle;

pub use cli::run_cli;
pub use world::Scenario;
pub use world::gpus::MAX_GPU_HOSTS;

#[derive(Debug, Clone, Args)]
pub struct SandboxArgs {
    /// address to listen on (port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: String,
    /// scenario: steady, bad-release, pending-approval, blue-green, gpu-hot, gpu-fault,
    /// canary, canary-paused
    #[arg(long, default_value = "steady", value_name = "NAME")]
    pub scenario: String,
    /// serve Argo Rollouts' CRDs (argoproj.io/v1alpha1) and run its controller (implied by
    /// the canary scenarios)
    #[arg(long)]
    pub rollouts: bool,
    /// spread this many extra pods over many namespaces and deployments
    #[arg(long, value_name = "N")]
    pub pods: Option<usize>,
    /// who owns the --pods load: `deployments`, or `mixed` (Deployments, StatefulSets and
    /// Jobs)
    #[arg(long, default_value = "deployments", value_name = "KINDS")]
    pub pod_kinds: String,
    /// simulated DGX hosts dgx-01 … (8 GPUs each, also the cluster's GPU nodes), 1 to 1000
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub gpu_hosts: usize,
    /// the DCGM pages' Kubernetes labels: `new` (pod, namespace, container) or `old`
    /// (pod_name, pod_namespace, container_name)
    #[arg(long, default_value = "new", value_name = "STYLE")]
    pub gpu_pod_labels: String,
    /// seed for the simulation (same seed, same world)
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// write a kubeconfig (context `sandbox`) pointing at the sandbox
    #[arg(long, value_name = "PATH")]
    pub write_kubeconfig: Option<PathBuf>,
    /// write a flightdeck config.toml wiring every pane to the sandbox (with a kubeconfig
    /// next to it, sandbox-kubeconfig.yaml, unless --write-kubeconfig names one)
    #[arg(long, value_name = "PATH")]
    pub write_config: Option<PathBuf>,
    /// serve over HTTPS with a CA made at start; the kubeconfig carries its
    /// certificate-authority-data and authenticates as --auth says
    #[arg(long)]
    pub tls: bool,
    /// with --tls: `cert` (a client certificate), `token` (a bearer token) or `exec` (an exec
    /// plugin script, written to a temp folder, that counts its calls)
    #[arg(long, default_value = "cert", value_name = "MODE", requires = "tls")]
    pub auth: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("invalid listen address {0:?}: expected HOST:PORT, e.g. 127.0.0.1:0")]
    InvalidListen(String),
    #[error(
        "unknown scenario {0:?} (known: steady, bad-release, pending-approval, blue-green, gpu-hot, gpu-fault, canary, canary-paused)"
    )]
    UnknownScenario(String),
    #[error("unknown --pod-kinds {0:?} (known: deployments, mixed)")]
    UnknownPodKinds(String),
    #[error("--gpu-hosts {0} is out of range: 1 to 1000 DGX hosts")]
    GpuHosts(usize),
    #[error("unknown --gpu-pod-labels {0:?} (known: new, old)")]
    UnknownGpuPodLabels(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Auth(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl std::str::FromStr for Scenario {
    type Err = SandboxError;
    fn from_str(s: &str) -> Result<Scenario, SandboxError> {
        Scenario::parse(s).ok_or_else(|| SandboxError::UnknownScenario(s.to_string()))
    }
}

#[derive(Debug, Clone)]
pub struct SandboxOptions {
    pub listen: SocketAddr,
    pub scenario: Scenario,
    pub pods: Option<usize>,
    /// The `pods` load spread over Deployments, StatefulSets and Jobs.
    pub mixed_kinds: bool,
    pub seed: u64,
    /// Serve Argo Rollouts (`argoproj.io/v1alpha1`) and run its controller; the canary
    /// scenarios have it whatever this says.
    pub rollouts: bool,
    /// Rollouts have the status subresource, as a real install; false serves them without
    /// (`/status` is 404 and status is written with the object).
    pub rollouts_status_subresource: bool,
    /// Simulated DGX hosts `dgx-01` … (1 to [`MAX_GPU_HOSTS`]; the `gpu-fault` scenario has
    /// at least 2): each a GPU node of the cluster and a DCGM page.
    pub gpu_hosts: usize,
    /// The DCGM pages name pods the older exporters' way (`pod_name`, `pod_namespace`,
    /// `container_name`); `POST /_sandbox/gpu/labels?style=old|new` switches at run time.
    pub gpu_old_pod_labels: bool,
    /// How long a list or watch from a resourceVersion the store has not reached waits for
    /// it before the 504 "Too large resource version": kube-apiserver's 3 s. Tests that drive
    /// kubectl through its ten retries of that answer shorten it.
    pub fresh_wait: Duration,
    /// Serve over HTTPS with a generated CA, the kubeconfig authenticating as this says.
    pub tls: Option<tls::TlsAuth>,
    /// `--auth exec`: how long the plugin's tokens are valid.
    pub exec_token_lifetime: Duration,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            scenario: Scenario::Steady,
            pods: None,
            mixed_kinds: false,
            seed: 1,
            rollouts: false,
            rollouts_status_subresource: true,
            gpu_hosts: 1,
            gpu_old_pod_labels: false,
            fresh_wait: Duration::from_secs(3),
            tls: None,
            exec_token_lifetime: Duration::from_secs(600),
        }
    }
}

impl SandboxOptions {
    pub fn scenario(scenario: Scenario) -> SandboxOptions {
        SandboxOptions {
            scenario,
            ..SandboxOptions::default()
        }
    }
}

/// State shared by the server tasks.
pub(crate) struct Shared {
    world: Mutex<world::World>,
    /// bumped to end every open watch and log stream
    drop_tx: tokio::sync::watch::Sender<u64>,
    /// host:port, for discovery documents
    host: String,
    /// the last [`REQUEST_LOG`] requests served (admin routes excepted), oldest first
    requests: Mutex<std::collections::VecDeque<ServedRequest>>,
    /// [`SandboxOptions::fresh_wait`]
    fresh_wait: Duration,
    /// watch streams open now, by resource plural (`GET /_sandbox/watches`)
    open_watches: Mutex<std::collections::BTreeMap<String, usize>>,
    /// what the injected 500s say (`error_message` of `POST /_sandbox/faults`; `None`: the
    /// usual "injected fault")
    fault_message: Mutex<Option<String>>,
    /// the GitHub names a test gave (`POST /_sandbox/github/names`)
    github_names: Mutex<github::Names>,
}

/// One open watch stream, counted in [`Shared::open_watches`] while it lives.
pub(crate) struct WatchGuard {
    shared: Arc<Shared>,
    resource: String,
}

impl Drop for WatchGuard {
    fn drop(&mut self) {
        let mut open = (self.shared.open_watches.lock()).unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.resource) {
            *n = n.saturating_sub(1);
        }
    }
}

/// How many DGX hosts the generated config lists as `[[gpu.host]]`.
pub const CONFIG_GPU_HOSTS: usize = 8;

/// How many served requests the sandbox remembers (`GET /_sandbox/requests`).
pub const REQUEST_LOG: usize = 1000;

/// One request the sandbox served: its method and path (a subresource, such as
/// `/status`, is part of the path), the query, the body's content type and the body of a
/// write (as text, the first [`BODY_LOG`] bytes), if any.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ServedRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// the `Content-Type` of the body (e.g. `application/merge-patch+json` for a merge patch)
    pub content_type: Option<String>,
    /// the body of a POST, PUT or PATCH, lossily as UTF-8 and cut at [`BODY_LOG`] bytes
    pub body: Option<String>,
}

/// How much of a write's body the request log keeps.
pub const BODY_LOG: usize = 64 * 1024;

impl Shared {
    fn lock(&self) -> MutexGuard<'_, world::World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }
    /// Counts a watch stream of `resource` open until the guard is dropped.
    fn watch_opened(self: &Arc<Self>, resource: &str) -> WatchGuard {
        let mut open = self.open_watches.lock().unwrap_or_else(|e| e.into_inner());
        *open.entry(resource.to_owned()).or_default() += 1;
        WatchGuard {
            shared: self.clone(),
            resource: resource.to_owned(),
        }
    }
    fn open_watches(&self) -> std::collections::BTreeMap<String, usize> {
        let open = self.open_watches.lock().unwrap_or_else(|e| e.into_inner());
        open.iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| (k.clone(), *n))
            .collect()
    }
    fn drop_streams(&self) {
        self.drop_tx.send_modify(|v| *v += 1);
    }
    fn record(&self, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) {
        let mut log = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        if log.len() >= REQUEST_LOG {
            log.pop_front();
        }
        log.push_back(ServedRequest {
            method: method.as_str().to_owned(),
            path: uri.path().to_owned(),
            query: uri.query().map(str::to_owned),
            content_type: headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body: matches!(*method, Method::POST | Method::PUT | Method::PATCH)
                .then(|| String::from_utf8_lossy(&body[..body.len().min(BODY_LOG)]).into_owned()),
        });
    }
    pub(crate) fn requests(&self) -> Vec<ServedRequest> {
        let log = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        log.iter().cloned().collect()
    }
    pub(crate) fn clear_requests(&self) {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

/// A running sandbox. Dropping it (or [`Sandbox::shutdown`]) stops the server.
pub struct Sandbox {
    shared: Arc<Shared>,
    addr: SocketAddr,
    scenario: Scenario,
    gpu_hosts: usize,
    tasks: Vec<JoinHandle<()>>,
    tls: Option<(tls::TlsMaterial, tls::TlsAuth)>,
    /// with TLS: the plain-HTTP port of everything but the Kubernetes API
    plain: Option<SocketAddr>,
    /// `--auth exec`: the plugin script and the file it counts its calls in
    exec_plugin: Option<(std::path::PathBuf, std::path::PathBuf)>,
}

impl Sandbox {
    pub async fn start(opts: SandboxOptions) -> Result<Sandbox, SandboxError> {
        if !(1..=MAX_GPU_HOSTS).contains(&opts.gpu_hosts) {
            return Err(SandboxError::GpuHosts(opts.gpu_hosts));
        }
        let listener = tokio::net::TcpListener::bind(opts.listen)
            .await
            .map_err(|source| SandboxError::Bind {
                addr: opts.listen,
                source,
            })?;
        let addr = listener.local_addr()?;
        let tls = match opts.tls {
            Some(auth) => Some((tls::generate()?, auth)),
            None => None,
        };
        // with TLS the Kubernetes API is on `addr`; GitHub, the metrics pages, Prometheus and
        // the admin routes are also served on a plain-HTTP port, as those are elsewhere
        // (the console's HTTP clients trust only the system's CAs)
        let plain_listener = match &tls {
            Some(_) => Some(
                tokio::net::TcpListener::bind(SocketAddr::new(opts.listen.ip(), 0))
                    .await
                    .map_err(|source| SandboxError::Bind {
                        addr: opts.listen,
                        source,
                    })?,
            ),
            None => None,
        };
        let plain = match &plain_listener {
            Some(l) => Some(l.local_addr()?),
            None => None,
        };
        let base = format!("http://{}", plain.unwrap_or(addr));
        let exec_plugin = match opts.tls {
            Some(tls::TlsAuth::Exec) => {
                let dir = std::env::temp_dir().join(format!("flightdeck-sandbox-{}", addr.port()));
                std::fs::create_dir_all(&dir)?;
                let (script, calls) = (dir.join("exec-plugin.sh"), dir.join("exec-plugin.calls"));
                let _ = std::fs::remove_file(&calls);
                std::fs::write(
                    &script,
                    tls::exec_plugin_script(&calls, opts.exec_token_lifetime.as_secs().max(1)),
                )?;
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))?;
                Some((script, calls))
            }
            _ => None,
        };
        let (seed, scenario, pods, mixed) = (opts.seed, opts.scenario, opts.pods, opts.mixed_kinds);
        let (rollouts, status_sub) = (opts.rollouts, opts.rollouts_status_subresource);
        let (gpu_hosts, old_labels) = (opts.gpu_hosts, opts.gpu_old_pod_labels);
        // building a large world takes a moment: keep it off the async worker threads
        let w = tokio::task::spawn_blocking(move || {
            let mut w = world::World::new(seed, scenario);
            w.github.api_base = format!("{base}/github");
            w.load_mixed = mixed;
            w.rollouts |= rollouts;
            w.rollouts_status_subresource = status_sub;
            w.gpu.hosts = gpu_hosts;
            w.gpu.old_pod_labels = old_labels;
            w.build(pods);
            w
        })
        .await
        .map_err(|e| {
            SandboxError::Io(std::io::Error::other(format!(
                "building the world failed: {e}"
            )))
        })?;
        let gpu_hosts = w.gpu.hosts;
        let (drop_tx, _) = tokio::sync::watch::channel(0u64);
        let shared = Arc::new(Shared {
            world: Mutex::new(w),
            drop_tx,
            host: addr.to_string(),
            requests: Mutex::new(std::collections::VecDeque::new()),
            fresh_wait: opts.fresh_wait,
            open_watches: Mutex::new(std::collections::BTreeMap::new()),
            fault_message: Mutex::new(None),
            github_names: Mutex::new(github::Names::default()),
        });
        let app = Router::new().fallback(dispatch).with_state(shared.clone());
        let mut tasks = Vec::new();
        if let Some(l) = plain_listener {
            let app = app.clone();
            tasks.push(tokio::spawn(async move {
                let _ = axum::serve(l, app).await;
            }));
        }
        let server = match tls.clone() {
            Some((material, auth)) => tokio::spawn(tls::serve(listener, app, material, auth)),
            None => tokio::spawn(async move {
                let _ = axum::serve(listener, app).await;
            }),
        };
        let ticker_shared = shared.clone();
        let ticker = tokio::spawn(async move {
            let mut iv = tokio::time::interval(Duration::from_millis(500));
            iv.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            // simulated time follows the wall clock (times speed), also when a tick comes
            // late on a busy machine: clients such as Prometheus's measure in wall time
            let mut last = tokio::time::Instant::now();
            loop {
                iv.tick().await;
                let now = tokio::time::Instant::now();
                let elapsed = now.duration_since(last).min(Duration::from_secs(5));
                last = now;
                let mut w = ticker_shared.lock();
                if !w.paused {
                    let dt = (elapsed.as_millis() as f64 * w.speed) as i64;
                    w.advance(dt);
                }
            }
        });
        Ok(Sandbox {
            shared,
            addr,
            scenario: opts.scenario,
            gpu_hosts,
            tasks: {
                tasks.extend([server, ticker]);
                tasks
            },
            tls,
            plain,
            exec_plugin,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// GitHub, metrics, Prometheus and admin routes (plain HTTP, also with `--tls`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.plain.unwrap_or(self.addr))
    }
    /// `--tls`: the CA and client certificate (PEM) of this run.
    pub fn tls(&self) -> Option<&tls::TlsMaterial> {
        self.tls.as_ref().map(|t| &t.0)
    }
    /// `--tls --auth exec`: the file the plugin appends a line to per call.
    pub fn exec_calls_path(&self) -> Option<&Path> {
        self.exec_plugin.as_ref().map(|p| p.1.as_path())
    }
    /// `--tls --auth exec`: how many times the plugin has run.
    pub fn exec_calls(&self) -> usize {
        self.exec_calls_path()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }
    /// The Kubernetes API (HTTPS with `--tls`).
    pub fn kube_url(&self) -> String {
        match self.tls {
            Some(_) => format!("https://{}", self.addr),
            None => self.base_url(),
        }
    }
    pub fn github_api_url(&self) -> String {
        format!("{}/github", self.base_url())
    }
    pub fn github_repo(&self) -> String {
        world::github::REPO.to_string()
    }
    pub fn admin_url(&self) -> String {
        format!("{}/_sandbox", self.base_url())
    }
    pub fn scenario(&self) -> Scenario {
        self.scenario
    }
    /// The namespace of the production environment.
    pub fn main_namespace(&self) -> String {
        world::MAIN_NS.to_string()
    }
    /// (environment name, namespace, GitHub environment), in order dev, staging, prod.
    pub fn environments(&self) -> Vec<(String, String, String)> {
        world::ENVS
            .iter()
            .map(|e| {
                (
                    e.name.to_string(),
                    e.namespace.to_string(),
                    e.github_environment.to_string(),
                )
            })
            .collect()
    }
    pub fn metrics_targets(&self) -> Vec<(String, String)> {
        world::APPS
            .iter()
            .filter(|a| a.3)
            .map(|a| {
                (
                    a.0.to_string(),
                    format!("{}/metrics/{}", self.base_url(), a.0),
                )
            })
            .collect()
    }
    /// The base URL of the sandbox's Prometheus HTTP API (`…/api/v1/query` under it).
    pub fn prometheus_url(&self) -> String {
        format!("{}/prometheus", self.base_url())
    }
    /// Every DGX host: (name, its DCGM page's URL).
    pub fn gpu_hosts(&self) -> Vec<(String, String)> {
        (1..=self.gpu_hosts)
            .map(|n| {
                let h = world::gpus::host_name(n);
                let url = format!("{}/gpu/{h}/metrics", self.base_url());
                (h, url)
            })
            .collect()
    }

    /// One `scrape_configs:` entry (indented to sit under that key) for a Prometheus that
    /// scrapes every DGX host's page every second: a target group per host, with
    /// `__metrics_path__` its page and `instance` its name.
    pub fn gpu_scrape_config(&self, job: &str) -> String {
        dcgm::scrape_config(
            job,
            &self.plain.unwrap_or(self.addr).to_string(),
            self.gpu_hosts,
            "1s",
        )
    }

    pub fn kubeconfig_yaml(&self) -> String {
        let (cluster_tls, user) = match &self.tls {
            None => (String::new(), format!("    token: {}\n", tls::TOKEN)),
            Some((m, auth)) => {
                let ca = format!(
                    "    certificate-authority-data: {}\n",
                    tls::base64(m.ca_pem.as_bytes())
                );
                let user = match auth {
                    tls::TlsAuth::Cert => format!(
                        "    client-certificate-data: {}\n    client-key-data: {}\n",
                        tls::base64(m.client_cert_pem.as_bytes()),
                        tls::base64(m.client_key_pem.as_bytes())
                    ),
                    tls::TlsAuth::Token => format!("    token: {}\n", tls::TOKEN),
                    tls::TlsAuth::Exec => format!(
                        "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {}\n      interactiveMode: Never\n",
                        self.exec_plugin
                            .as_ref()
                            .map(|p| p.0.display().to_string())
                            .unwrap_or_default()
                    ),
                };
                (ca, user)
            }
        };
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: sandbox\n  cluster:\n    server: {}\n{cluster_tls}contexts:\n- name: sandbox\n  context:\n    cluster: sandbox\n    user: sandbox\n    namespace: {}\ncurrent-context: sandbox\nusers:\n- name: sandbox\n  user:\n{user}preferences: {{}}\n",
            self.kube_url(),
            world::MAIN_NS
        )
    }

    pub fn config_toml(&self, kubeconfig_path: &Path) -> String {
        let q = |s: &str| {
            let mut o = String::from("\"");
            for c in s.chars() {
                match c {
                    '"' => o.push_str("\\\""),
                    '\\' => o.push_str("\\\\"),
                    '\n' => o.push_str("\\n"),
                    c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
                    c => o.push(c),
                }
            }
            o.push('"');
            o
        };
        let mut s = String::from("# flightdeck config wired to a sandbox (generated)\n\n[kube]\n");
        s.push_str(&format!(
            "kubeconfig = {}\n",
            q(&kubeconfig_path.to_string_lossy())
        ));
        for e in world::ENVS.iter() {
            s.push_str(&format!(
                "\n[[environment]]\nname = {}\ncontext = \"sandbox\"\nnamespace = {}\ngithub_environment = {}\nprotected = {}\n",
                q(e.name),
                q(e.namespace),
                q(e.github_environment),
                // operations in prod ask for the object's name to be typed
                e.namespace == world::MAIN_NS
            ));
        }
        s.push_str(&format!(
            "\n[github]\nrepo = {}\napi_url = {}\n",
            q(&self.github_repo()),
            q(&self.github_api_url())
        ));
        // API mode: the sandbox's Prometheus has 30 minutes of history from the start; the
        // targets name the services (and are what a direct-mode config would scrape). The
        // simulated traffic is production's: the targets are prod's, and no other
        // environment borrows their numbers
        s.push_str(&format!(
            "\n[metrics]\nthreshold = 0.05\nprometheus = {}\n",
            q(&self.prometheus_url())
        ));
        let prod = world::ENVS
            .iter()
            .find(|e| e.namespace == world::MAIN_NS)
            .map_or("prod", |e| e.name);
        for (svc, url) in self.metrics_targets() {
            s.push_str(&format!(
                "\n[[metrics.target]]\nservice = {}\nurl = {}\nenvironment = {}\n",
                q(&svc),
                q(&url),
                q(prod)
            ));
        }
        // the services' health endpoints, as a blue-green deployment is judged by them
        for (svc, _) in self.metrics_targets() {
            s.push_str(&format!(
                "\n[[health]]\nname = {}\nurl = {}\nenvironment = \"prod\"\ninterval_secs = 5\n",
                q(&format!("{svc} /health")),
                q(&format!("{}/health/{svc}", self.base_url()))
            ));
        }
        // a demo config scrapes a few hosts itself; a fleet goes through Prometheus
        // (`Sandbox::gpu_scrape_config`)
        let hosts = self.gpu_hosts();
        if hosts.len() > CONFIG_GPU_HOSTS {
            s.push_str(&format!(
                "\n# {} DGX hosts; the first {CONFIG_GPU_HOSTS} are scraped directly\n",
                hosts.len()
            ));
        }
        for (host, url) in hosts.into_iter().take(CONFIG_GPU_HOSTS) {
            s.push_str(&format!(
                "\n[[gpu.host]]\nname = {}\nscrape = {}\n",
                q(&host),
                q(&url)
            ));
        }
        s
    }

    /// Advance simulated time (as the admin endpoint does).
    pub fn advance(&self, d: Duration) {
        self.shared.lock().advance(d.as_millis() as i64);
    }

    /// The requests served so far, oldest first (the last [`REQUEST_LOG`]; admin routes are
    /// not recorded), as `GET /_sandbox/requests` lists them.
    pub fn requests(&self) -> Vec<ServedRequest> {
        self.shared.requests()
    }

    /// The watch streams open now, by resource plural (as `GET /_sandbox/watches`).
    pub fn open_watches(&self) -> std::collections::BTreeMap<String, usize> {
        self.shared.open_watches()
    }

    /// The admin endpoint's state summary.
    pub fn state(&self) -> serde_json::Value {
        admin::state(&self.shared.lock())
    }

    pub async fn shutdown(mut self) {
        self.stop();
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
    }

    fn stop(&mut self) {
        self.shared.drop_streams();
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.stop();
        // `--auth exec`: the plugin script's folder goes with the sandbox
        if let Some(dir) = self.exec_plugin.as_ref().and_then(|p| p.0.parent()) {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

async fn dispatch(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let q = select::parse_query(uri.query());
    if path == "/_sandbox" || path.starts_with("/_sandbox/") {
        return admin::handle(&shared, &method, &path["/_sandbox".len()..], &q, &body);
    }
    shared.record(&method, &uri, &headers, &body);
    let (latency, fail) = {
        let mut w = shared.lock();
        let f = &w.faults;
        let applies = f.error_rate > 0.0 && path.starts_with(f.error_path_prefix.as_str());
        let rate = f.error_rate;
        let lat = f.latency_ms;
        let fail = applies && w.fault_rng.f64() < rate;
        (lat, fail)
    };
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    if fail {
        let given = shared
            .fault_message
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let message = given.as_deref().unwrap_or("injected fault");
        if path.starts_with("/github/") {
            let message = given.as_deref().unwrap_or("Server Error");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "application/json")],
                json!({"message": message}).to_string(),
            )
                .into_response();
        }
        if path.starts_with("/prometheus/") {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "application/json")],
                json!({"status": "error", "errorType": "internal", "error": message}).to_string(),
            )
                .into_response();
        }
        if path.starts_with("/metrics/") || path.starts_with("/gpu/") {
            return (StatusCode::INTERNAL_SERVER_ERROR, format!("{message}\n")).into_response();
        }
        return kube::status_err(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            &format!(
                "an error on the server (\"{message}\") has prevented the request from succeeding"
            ),
            None,
        );
    }
    if let Some(rest) = path.strip_prefix("/github") {
        let names = shared
            .github_names
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut w = shared.lock();
        return github::handle(&mut w, &names, &method, rest, &q, &headers, &body);
    }
    if let Some(rest) = path.strip_prefix("/prometheus") {
        let params = promql::api::params(&method, &q, &headers, &body);
        // evaluate on a copy: a long range query must not hold the world up
        let (tsdb, now_ms) = {
            let w = shared.lock();
            (w.tsdb.clone(), w.now_ms)
        };
        let rest = rest.to_owned();
        return tokio::task::spawn_blocking(move || {
            promql::api::handle(&method, &rest, &params, &tsdb, now_ms)
        })
        .await
        .unwrap_or_else(|e| {
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("query evaluation failed: {e}\n"),
            )
                .into_response()
        });
    }
    if let Some(svc) = path.strip_prefix("/metrics/") {
        let w = shared.lock();
        return match w.traffic.get(svc.trim_end_matches('/')) {
            Some(t) => {
                let mut out = String::new();
                t.render(&mut out);
                (
                    StatusCode::OK,
                    [(
                        header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    out,
                )
                    .into_response()
            }
            None => (StatusCode::NOT_FOUND, "no such service\n").into_response(),
        };
    }
    if let Some(svc) = path.strip_prefix("/health/") {
        // a service's health endpoint: 503 while pods of a bad revision serve it
        let w = shared.lock();
        let svc = svc.trim_end_matches('/');
        if !world::APPS.iter().any(|(app, ..)| *app == svc) {
            return (StatusCode::NOT_FOUND, "no such service\n").into_response();
        }
        let bad = w.bad_pods(svc);
        let (status, body) = if bad > 0 {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"status": "failing", "service": svc, "bad_pods": bad}),
            )
        } else {
            (StatusCode::OK, json!({"status": "ok", "service": svc}))
        };
        return (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response();
    }
    if let Some(rest) = path.strip_prefix("/gpu/") {
        return dcgm::serve(&shared, rest, &q);
    }
    if path == "/" || path == "/healthz" || path == "/readyz" || path == "/livez" {
        if path == "/" {
            let mut paths = vec![
                "/api",
                "/api/v1",
                "/apis",
                "/apis/apps",
                "/apis/apps/v1",
                "/apis/autoscaling",
                "/apis/autoscaling/v2",
                "/apis/batch",
                "/apis/batch/v1",
            ];
            if shared.lock().rollouts {
                paths.extend(["/apis/argoproj.io", "/apis/argoproj.io/v1alpha1"]);
            }
            paths.extend([
                "/version",
                "/github",
                "/metrics",
                "/prometheus",
                "/gpu",
                "/_sandbox",
            ]);
            return kube::json_resp(StatusCode::OK, &json!({ "paths": paths }));
        }
        return (StatusCode::OK, "ok").into_response();
    }
    let mut resp = kube::handle(shared, method, &path, q, headers, body).await;
    // a real API server answers through API Priority and Fairness and says so; clients such as
    // kubectl then skip their own client-side throttling
    let h = resp.headers_mut();
    h.insert(
        "x-kubernetes-pf-flowschema-uid",
        HeaderValue::from_static("5a1dbd5e-0000-4000-8000-00000000f10e"),
    );
    h.insert(
        "x-kubernetes-pf-prioritylevel-uid",
        HeaderValue::from_static("5a1dbd5e-0000-4000-8000-0000000001e7"),
    );
    resp
}
