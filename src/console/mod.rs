//! Start-up of the console: load config leniently, build State, start sources, run.

pub mod gpu_once;
pub mod init;
pub mod run;

use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::watch;
use tokio::task::AbortHandle;

use crate::app::Event;
use crate::app::scope::{ScopeFlags, start_scope};
use crate::app::state::{StartOptions, State};
use crate::cli::GlobalArgs;
use crate::config;
use run::Sender;

/// Builds the initial State from files and flags. Never fails: problems become warnings.
///
/// The scope follows kubectl: the kubeconfig's current context and its namespace, unless
/// `--context`, `-n`, `-A` or `[ui] start` say otherwise (`app::scope::start_scope`).
pub fn initial_state(global: &GlobalArgs, config_override: Option<config::Config>) -> State {
    let loaded = config::load(global.config.as_deref());
    let demo = config_override.is_some();
    let mut cfg = config_override.unwrap_or(loaded.config);
    if global.nvml_lib.is_some() {
        cfg.gpu.nvml_lib = global.nvml_lib.clone();
    }
    // one kubeconfig choice for every client (workloads, logs, namespaces, operations);
    // the demo keeps its own sandbox's
    if let Some(path) = &global.kubeconfig
        && !demo
    {
        cfg.kube.kubeconfig = Some(path.clone());
    }
    let mut warnings = loaded.warnings;
    let kube = crate::sources::kube::kubeconfig::read_contexts(&cfg);
    if let Some(e) = &kube.error {
        log::warn!("{e}");
    }
    let flags = ScopeFlags {
        context: global.context.clone(),
        namespace: global.namespace.clone(),
        all_namespaces: global.all_namespaces,
    };
    let (mut scope, scope_warnings) = start_scope(&cfg, &kube, &flags);
    scope.read_only = global.read_only;
    warnings.extend(scope_warnings);
    for w in &warnings {
        log::warn!("{w}");
    }
    let opts = StartOptions {
        theme: global.theme.clone(),
        keymap: global.keymap.clone(),
        scope,
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
    };
    let setting = cfg.ui.color;
    let mut state = State::new(cfg, loaded.assets, warnings, opts, Timestamp::now());
    state.kubeconfig = kube;
    state.color_depth = color_depth(setting);
    state.theme = state.theme.for_depth(state.color_depth);
    state
}

/// The console's sources. Sources that follow the scope (cluster, logs) are restarted on
/// every scope change; the others start once.
#[derive(Default)]
pub struct Sources {
    started: bool,
    scoped: Vec<AbortHandle>,
    logs: LogStreams,
    /// The Error-rate source and the `ErrorRateState::generation` it was started for.
    metrics: Option<(u64, AbortHandle)>,
    /// Poked by the executor after a GitHub operation: the pipeline polls at once.
    pipeline_refresh: std::sync::Arc<tokio::sync::Notify>,
    /// Poked by a `:` name discovery does not know: it runs again at once.
    rediscover: std::sync::Arc<tokio::sync::Notify>,
    /// The generic view's list and watch: only while the view is shown.
    table: Option<AbortHandle>,
}

impl run::Sources for Sources {
    fn start(&mut self, state: &State, tx: &Sender) {
        for task in self.scoped.drain(..) {
            task.abort();
        }
        // the logs' follow is stopped by the app (`Effect::StopLogs`), which knows it
        // belonged to the scope left; only the client for the new scope is made here
        self.scoped.push(self.logs.connect(state));
        self.scoped.extend(start_kube(state, tx));
        self.scoped
            .push(start_discovery(state, tx, self.rediscover.clone()));
        // the pipeline's events carry the generation, so it restarts with the scope too
        self.scoped
            .extend(start_pipeline(state, tx, self.pipeline_refresh.clone()));
        // the Error-rate source follows the environment, not every scope change
        if self.metrics.as_ref().map(|(g, _)| *g) != Some(state.errors.generation) {
            if let Some((_, task)) = self.metrics.take() {
                task.abort();
            }
            self.metrics = start_metrics(state, tx).map(|t| (state.errors.generation, t));
        }
        if !self.started {
            self.started = true;
            start_gpu(state, tx);
            start_hosts(state, tx);
        }
    }

    fn follow_logs(&mut self, req: crate::sources::logs::FollowRequest, tx: &Sender) {
        self.logs.follow(req, tx);
    }

    fn stop_logs(&mut self) {
        self.logs.stop();
    }

    fn fetch_object(&mut self, req: crate::sources::kube::ObjectRequest, tx: &Sender) {
        self.logs.fetch_object(req, tx);
    }

    fn fetch_describe(&mut self, req: crate::sources::kube::ObjectRequest, tx: &Sender) {
        self.logs.fetch_describe(req, tx);
    }

    fn watch_table(&mut self, req: crate::sources::kube::model::TableRequest, tx: &Sender) {
        self.stop_table();
        self.table = Some(self.logs.watch_table(req, tx));
    }

    fn stop_table(&mut self) {
        if let Some(task) = self.table.take() {
            task.abort();
        }
    }

    fn rediscover(&mut self) {
        self.rediscover.notify_one();
    }
}

/// Discovery for the scope's context, its answers tagged with the scope generation.
fn start_discovery(
    state: &State,
    tx: &Sender,
    poke: std::sync::Arc<tokio::sync::Notify>,
) -> AbortHandle {
    let generation = state.generation;
    let sink: crate::sources::kube::discovery::Sink = {
        let tx = tx.clone();
        std::sync::Arc::new(move |msg| tx.send(Event::Discovery { generation, msg }).is_ok())
    };
    crate::sources::kube::discovery::spawn_discovery(
        state.config.clone(),
        state.scope.context.clone(),
        poke,
        sink,
    )
}

/// The logs pane's streams: a cluster client for the current scope, made once per scope,
/// and the task of what is followed now (aborted when something else is followed).
struct LogStreams {
    client: watch::Receiver<Option<kube::Client>>,
    task: Option<AbortHandle>,
}

impl Default for LogStreams {
    fn default() -> Self {
        LogStreams {
            client: watch::channel(None).1,
            task: None,
        }
    }
}

impl LogStreams {
    fn connect(&mut self, state: &State) -> AbortHandle {
        let (tx, rx) = watch::channel(None);
        self.client = rx;
        let config = state.config.clone();
        let context = state.scope.context.clone();
        tokio::spawn(async move {
            // the Workloads source reports a missing kubeconfig; here it just means no logs
            if let Ok(client) =
                crate::sources::kube::client::client_for(&config, context.as_deref()).await
            {
                let _ = tx.send(Some(client));
            }
        })
        .abort_handle()
    }

    /// One GET for the YAML view, with the scope's client (waited for, not for ever).
    fn fetch_object(&self, req: crate::sources::kube::ObjectRequest, tx: &Sender) {
        let mut client = self.client.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            let wait = client.wait_for(Option::is_some);
            let ready = match tokio::time::timeout(Duration::from_secs(10), wait).await {
                Ok(Ok(c)) => c.clone(),
                _ => None,
            };
            let result = match ready {
                Some(c) => crate::sources::kube::object::fetch(c, &req).await,
                None => Err("no cluster client for this scope (see the Workloads pane)".into()),
            };
            let msg = crate::sources::kube::ObjectMsg {
                kind: req.kind,
                key: req.key,
                resource: req.resource,
                result,
            };
            let _ = tx.send(Event::Object {
                generation: req.generation,
                msg,
            });
        });
    }

    /// The describe page's GETs, with the scope's client (waited for, not for ever).
    fn fetch_describe(&self, req: crate::sources::kube::ObjectRequest, tx: &Sender) {
        let mut client = self.client.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            let wait = client.wait_for(Option::is_some);
            let ready = match tokio::time::timeout(Duration::from_secs(10), wait).await {
                Ok(Ok(c)) => c.clone(),
                _ => None,
            };
            let result = match ready {
                Some(c) => crate::sources::kube::object::fetch_described(c, &req).await,
                None => Err("no cluster client for this scope (see the Workloads pane)".into()),
            };
            let msg = crate::sources::kube::model::DescribeMsg {
                kind: req.kind,
                key: req.key,
                resource: req.resource,
                result,
            };
            let _ = tx.send(Event::Described {
                generation: req.generation,
                msg,
            });
        });
    }

    /// The generic view's table, with the scope's client (waited for, not for ever).
    fn watch_table(
        &self,
        req: crate::sources::kube::model::TableRequest,
        tx: &Sender,
    ) -> AbortHandle {
        let mut client = self.client.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            let generation = req.generation;
            let sink: crate::sources::kube::table::Sink = {
                let tx = tx.clone();
                std::sync::Arc::new(move |msg| tx.send(Event::Table { generation, msg }).is_ok())
            };
            let wait = client.wait_for(Option::is_some);
            let ready = match tokio::time::timeout(Duration::from_secs(10), wait).await {
                Ok(Ok(c)) => c.clone(),
                _ => None,
            };
            match ready {
                Some(c) => crate::sources::kube::table::run(c, req, sink).await,
                None => {
                    sink(crate::sources::kube::model::TableMsg::Failed {
                        view: req.view,
                        error: "no cluster client for this scope (see the Workloads pane)".into(),
                        forbidden: false,
                    });
                }
            }
        })
        .abort_handle()
    }

    fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }

    fn follow(&mut self, req: crate::sources::logs::FollowRequest, tx: &Sender) {
        self.stop();
        let mut client = self.client.clone();
        let tx = tx.clone();
        let task = tokio::spawn(async move {
            // the client is made when the scope starts; wait for it (not for ever)
            let wait = client.wait_for(Option::is_some);
            let ready = match tokio::time::timeout(Duration::from_secs(10), wait).await {
                Ok(Ok(c)) => c.clone(),
                _ => None,
            };
            let Some(c) = ready else {
                log::warn!(
                    "logs: no cluster client for this scope; cannot follow {}",
                    req.target.label()
                );
                return;
            };
            let sink = logs_sink(&tx, req.generation);
            crate::sources::logs::follow(c, req.target, req.opts, req.stream, sink).await;
        });
        self.task = Some(task.abort_handle());
    }
}

/// The logs source's messages into the ui task, tagged with the scope generation they
/// were started for (a follow of an old scope is ignored by `update`).
pub fn logs_sink(tx: &Sender, generation: u64) -> crate::sources::logs::Sink {
    let tx = tx.clone();
    std::sync::Arc::new(move |msg| tx.send(Event::Logs { generation, msg }).is_ok())
}

fn start_pipeline(
    state: &State,
    tx: &Sender,
    refresh: std::sync::Arc<tokio::sync::Notify>,
) -> Option<AbortHandle> {
    use crate::sources::github::{PollConfig, TokenSetting, spawn_poller};
    let gh = state.config.github.as_ref()?;
    let mut cfg = PollConfig::new(&gh.api_url, &gh.repo, TokenSetting::for_config(gh));
    cfg.refresh = Some(refresh);
    cfg.environments = state
        .config
        .environments
        .iter()
        .map(|e| {
            let gh_env = e
                .github_environment
                .clone()
                .unwrap_or_else(|| e.name.clone());
            (e.name.clone(), gh_env)
        })
        .collect();
    let generation = state.generation;
    let tx = tx.clone();
    let task = spawn_poller(cfg, move |u| {
        tx.send(Event::Pipeline { generation, msg: u }).is_ok()
    });
    Some(task.abort_handle())
}

fn start_kube(state: &State, tx: &Sender) -> Vec<AbortHandle> {
    use crate::sources::kube::watch;
    let generation = state.generation;
    let sink: watch::Sink = {
        let tx = tx.clone();
        std::sync::Arc::new(move |msg| tx.send(Event::Kube { generation, msg }).is_ok())
    };
    let namespaces: crate::sources::kube::namespaces::Sink = {
        let tx = tx.clone();
        std::sync::Arc::new(move |msg| tx.send(Event::Namespaces { generation, msg }).is_ok())
    };
    let nodes: crate::sources::kube::nodes::Sink = {
        let tx = tx.clone();
        std::sync::Arc::new(move |msg| tx.send(Event::Nodes { generation, msg }).is_ok())
    };
    vec![
        watch::spawn_scope(
            state.config.clone(),
            state.scope.context.clone(),
            state.scope.namespace.clone(),
            sink,
        ),
        crate::sources::kube::namespaces::spawn_namespaces(
            state.config.clone(),
            state.scope.context.clone(),
            namespaces,
        ),
        crate::sources::kube::nodes::spawn_nodes(
            state.config.clone(),
            state.scope.context.clone(),
            nodes,
        ),
    ]
}

/// The Error-rate pane's source for the scope's environment: its `[[metrics.target]]`s
/// only (`app::panes::errors::scope_targets`), each update tagged with the generation the
/// app gave that environment, so an update of one left behind is dropped.
fn start_metrics(state: &State, tx: &Sender) -> Option<AbortHandle> {
    use crate::sources::metrics::{self as m, direct, prometheus};
    let cfg = state.config.metrics.as_ref()?;
    let targets = crate::app::panes::errors::scope_targets(state);
    let interval = m::SCRAPE_INTERVAL;
    let max_page_bytes = usize::try_from(cfg.max_page_bytes)
        .ok()
        .filter(|n| *n > 0)
        .unwrap_or(direct::MAX_PAGE_BYTES);
    let generation = state.errors.generation;
    let sink = {
        let tx = tx.clone();
        move |mut u: m::MetricsUpdate| {
            u.generation = Some(generation);
            tx.send(Event::Metrics(u)).is_ok()
        }
    };
    if let Some(url) = &cfg.prometheus {
        let services = targets.iter().map(|t| t.service.clone()).collect();
        let pc = prometheus::PrometheusConfig::from_metrics(url, cfg, max_page_bytes)
            .with_services(services)
            .with_matchers(crate::app::panes::errors::scope_matchers(state));
        Some(prometheus::spawn_prometheus(pc, interval, sink).abort_handle())
    } else {
        let targets: Vec<m::Target> = targets
            .iter()
            .filter_map(|t| {
                Some(m::Target {
                    service: t.service.clone(),
                    url: t.url.clone()?,
                })
            })
            .collect();
        if targets.is_empty() {
            // nothing of this environment's to scrape: the pane says what to add
            return None;
        }
        let options = direct::DirectOptions {
            status_label: m::StatusLabel(cfg.status_label.clone()),
            revision_label: m::RevisionLabel(cfg.revision_label.clone()),
            max_page_bytes,
        };
        Some(direct::spawn_direct_with(targets, interval, options, sink).abort_handle())
    }
}

fn start_gpu(state: &State, tx: &Sender) {
    use crate::sources::gpu;
    let reads = state.config.gpu_reads();
    if let Some(url) = reads.prometheus {
        // a fleet through Prometheus: one query round per interval (default 2 s)
        let mut config = gpu::prometheus::GpuPrometheusConfig::new(url);
        config.host_label = state.config.gpu.host_label().to_owned();
        let interval = Duration::from_millis(state.config.gpu.interval_ms.unwrap_or(2000));
        let tx = tx.clone();
        gpu::prometheus::spawn_prometheus(config, interval, move |u| {
            tx.send(Event::Gpu(u)).is_ok()
        });
    }
    let interval = Duration::from_millis(state.config.gpu.interval_ms.unwrap_or(1000).max(250));
    if reads.local {
        let tx = tx.clone();
        let opts = gpu::LocalOptions::new(state.config.gpu.nvml_lib.clone(), interval);
        if let Err(e) = gpu::spawn_local(opts, move |u| tx.send(Event::Gpu(u)).is_ok()) {
            log::error!("cannot start the GPU sampler thread: {e}");
        }
    }
    if !reads.pages.is_empty() {
        let tx = tx.clone();
        gpu::spawn_remote(
            reads.pages,
            interval.max(Duration::from_secs(2)),
            move |u| tx.send(Event::Gpu(u)).is_ok(),
        );
    }
}

/// Health checks, and each `[[service]]`'s state and journal.
fn start_hosts(state: &State, tx: &Sender) {
    let health = {
        let tx = tx.clone();
        std::sync::Arc::new(move |s| tx.send(Event::Health(s)).is_ok())
    };
    crate::sources::health::spawn_health(state.config.health.clone(), health);
    let service = {
        let tx = tx.clone();
        std::sync::Arc::new(move |u| tx.send(Event::Service(u)).is_ok())
    };
    let journal = {
        let tx = tx.clone();
        std::sync::Arc::new(move |m| tx.send(Event::Journal(m)).is_ok())
    };
    crate::sources::systemd::spawn_services(state.config.services.clone(), service, journal);
}

/// The operations executor: a client for the scope's context, the audit log in the data
/// dir, `--read-only` and the configured host actions.
pub async fn executor(state: &State) -> crate::ops::Executor {
    use crate::ops::{AuditLog, Executor};
    let client =
        crate::sources::kube::client::client_for(&state.config, state.scope.context.as_deref())
            .await
            .map_err(|e| e.to_string());
    let audit = AuditLog::default_path()
        .map(AuditLog::at)
        .unwrap_or_else(AuditLog::nowhere);
    let github = state
        .config
        .github
        .as_ref()
        .map(|gh| crate::ops::GithubSetup {
            api_url: gh.api_url.clone(),
            repo: gh.repo.clone(),
            token: crate::sources::github::TokenSetting::for_config(gh),
        });
    let kubeconfig_user = crate::sources::kube::identity::kubeconfig_user(
        &state.config,
        state.scope.context.as_deref(),
    );
    Executor::new(client, state.scope.read_only, audit)
        .with_kubeconfig_user(kubeconfig_user)
        .with_host_actions(state.config.host_actions.clone())
        .with_services(state.config.services.clone())
        .with_github(github)
}

/// The console; its exit status (0, or 128 + the signal that ended it).
pub async fn run(global: &GlobalArgs) -> std::io::Result<u8> {
    let state = initial_state(global, None);
    let ops = executor(&state).await;
    let sources = Sources::default();
    let ops = ops.with_github_refresh(sources.pipeline_refresh.clone());
    run::run(state, sources, ops).await
}

/// `flightdeck demo`: the sandbox in-process on loopback, and the console against it. The
/// console only gets URLs and a kubeconfig, exactly as it would for a real cluster.
pub async fn demo(global: &GlobalArgs, args: &crate::cli::DemoArgs) -> Result<u8, String> {
    use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};
    let scenario: Scenario = args.scenario.parse().map_err(|e| format!("{e}"))?;
    let opts = SandboxOptions {
        scenario,
        pods: args.pods,
        seed: args.seed,
        gpu_hosts: args.gpu_hosts,
        ..SandboxOptions::default()
    };
    let sandbox = Sandbox::start(opts)
        .await
        .map_err(|e| format!("cannot start the sandbox: {e}"))?;
    let dir = std::env::temp_dir().join(format!("flightdeck-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let kubeconfig = dir.join("kubeconfig");
    let result = async {
        std::fs::write(&kubeconfig, sandbox.kubeconfig_yaml())
            .map_err(|e| format!("cannot write {}: {e}", kubeconfig.display()))?;
        let source = sandbox.config_toml(&kubeconfig);
        // the user's look and feel ([ui]) stays; everything else is the sandbox's
        let user = config::load(global.config.as_deref()).config;
        let mut config = demo_config(&source, &user.ui)?;
        // the sandbox takes any token as its reviewer: approve, reject, re-run and cancel
        // work in the demo as they would with a real one
        if let Some(gh) = config.github.as_mut() {
            gh.token = crate::sources::github::Token::new("sandbox-demo-token");
        }
        // open on the namespace where the scenario's story happens
        config
            .kube
            .namespace
            .get_or_insert_with(|| sandbox.main_namespace());
        log::info!(
            "demo: sandbox `{}` at {}",
            args.scenario,
            sandbox.base_url()
        );
        let state = initial_state(global, Some(config));
        // the demo's drills never reach the user's audit log: it lives and goes with `dir`
        let ops = executor(&state)
            .await
            .with_audit(crate::ops::AuditLog::at(dir.join("audit.jsonl")));
        let sources = Sources::default();
        let ops = ops.with_github_refresh(sources.pipeline_refresh.clone());
        run::run(state, sources, ops)
            .await
            .map_err(|e| e.to_string())
    }
    .await;
    sandbox.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// The demo's config: the sandbox's generated one (every pane wired to it, the Error-rate
/// pane through its Prometheus API) with the user's `[ui]` section (theme, keymap, colour,
/// mouse, clipboard); `[ui] start` only when it names one of the demo's environments.
pub fn demo_config(
    sandbox_toml: &str,
    user_ui: &config::UiConfig,
) -> Result<config::Config, String> {
    let mut config = config::Config::parse_strict("<demo config>", sandbox_toml).map_err(|d| {
        d.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    let start = user_ui
        .start
        .clone()
        .filter(|s| config.environments.iter().any(|e| &e.name == s));
    config.ui = config::UiConfig {
        start,
        ..user_ui.clone()
    };
    Ok(config)
}

/// The terminal's colour depth from `[ui] color`, `COLORTERM`, `TERM` and, only when those
/// do not settle it, terminfo (`tput colors`).
fn color_depth(setting: crate::term::ColorSetting) -> crate::term::ColorDepth {
    let colorterm = std::env::var("COLORTERM").ok();
    let term = std::env::var("TERM").ok();
    let tput = if crate::term::depth_needs_terminfo(setting, colorterm.as_deref()) {
        let mut tput = std::process::Command::new("tput");
        tput.arg("colors");
        // a terminfo lookup is instant; one that hangs must not hold up the start
        crate::sources::group::output_within(tput, Duration::from_secs(2))
            .filter(|o| o.status.success())
            .and_then(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .trim()
                    .parse::<u32>()
                    .ok()
            })
    } else {
        None
    };
    let depth = crate::term::color_depth(setting, colorterm.as_deref(), term.as_deref(), tput);
    log::info!(
        "colours: {depth:?} (COLORTERM={}, TERM={}, tput colors={})",
        crate::text::sanitize(colorterm.as_deref().unwrap_or("")),
        crate::text::sanitize(term.as_deref().unwrap_or("")),
        tput.map_or("-".into(), |n| n.to_string())
    );
    depth
}
