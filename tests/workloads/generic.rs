//! Every resource the cluster serves, kubectl as the oracle against the same sandbox:
//! discovery and name resolution (every name `kubectl api-resources` lists opens that
//! resource through the palette, and no fuzzy match wins over an exact name), the generic
//! view's columns and rows equal `kubectl get` (and `-o wide`, and `-A`) for every
//! resource discovery finds (so resources the sandbox learns to serve are covered too),
//! a 403 names the verb, resource and namespace, one failing group leaves the rest, a
//! `:` miss runs discovery again, and the view's watch runs only while it is shown.

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use crate::support;
use crate::support::common;

use flightdeck::app::panes::workloads::generic::{cell, columns};
use flightdeck::app::resources::{Catalog, is_nodes, own_view, resolve};
use flightdeck::app::state::State;
use flightdeck::app::{Effect, Event, update};
use flightdeck::pane::PaneId;
use flightdeck::sources::kube::discovery::discover;
use flightdeck::sources::kube::model::{ApiResource, DiscoveryMsg, TableMsg, TableRequest};
use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};
use support::workloads::{admin, kube_client};
use tokio::sync::mpsc;

pub(crate) async fn start() -> Sandbox {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sb = Sandbox::start(SandboxOptions {
        rollouts: true,
        ..SandboxOptions::scenario(Scenario::BadRelease)
    })
    .await
    .expect("sandbox");
    // let the bad release crash-loop a while (events, restarts), then hold time still so
    // ages read the same to kubectl and to the view
    admin(&sb, "time/advance?seconds=120", "").await;
    admin(&sb, "time/pause", "").await;
    sb
}

/// kubectl against the sandbox: (success, stdout, stderr).
pub(crate) async fn kubectl(
    bin: &Path,
    sb: &Sandbox,
    dir: &Path,
    args: &[&str],
) -> (bool, String, String) {
    let kubeconfig = dir.join("kubeconfig");
    if !kubeconfig.exists() {
        std::fs::write(&kubeconfig, sb.kubeconfig_yaml()).expect("write kubeconfig");
    }
    let out = tokio::process::Command::new(bin)
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .arg("--request-timeout=20s")
        .args(args)
        .env_remove("KUBECONFIG")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .expect("run kubectl");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn state_for(namespace: Option<&str>, resources: &[ApiResource]) -> State {
    let mut s = support::workloads::state(namespace);
    s.size = (200, 50);
    s.focus = PaneId::Workloads;
    let generation = s.generation;
    update(
        &mut s,
        Event::Discovery {
            generation,
            msg: DiscoveryMsg::Resources {
                resources: resources.to_vec(),
                failed: Vec::new(),
            },
        },
    );
    s
}

/// Types `:NAME` and Enter, as a user does.
fn palette(s: &mut State, name: &str) -> Vec<Effect> {
    let mut effects = common::keys(s, ":");
    common::typed(s, name);
    effects.extend(common::keys(s, "enter"));
    effects
}

/// The first answer of the real table source (a list, or why there is none).
async fn first_answer(
    client: &kube::Client,
    resource: &ApiResource,
    namespace: Option<&str>,
) -> TableMsg {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let sink: flightdeck::sources::kube::table::Sink = Arc::new(move |m| tx.send(m).is_ok());
    let req = TableRequest {
        generation: 0,
        view: 1,
        resource: resource.clone(),
        namespace: namespace.map(str::to_owned),
    };
    let task = tokio::spawn(flightdeck::sources::kube::table::run(
        client.clone(),
        req,
        sink,
    ));
    let msg = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match rx.recv().await {
                Some(m @ (TableMsg::Listed { .. } | TableMsg::Failed { .. })) => return m,
                Some(_) => {}
                None => panic!("the table source ended"),
            }
        }
    })
    .await
    .expect("a first answer within 20 s");
    task.abort();
    msg
}

fn words(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What the view shows as kubectl would print it: the header, then the rows (sorted, as
/// the comparison does not depend on order), each whitespace-normalised.
fn view_lines(s: &State, wide: bool) -> (String, Vec<String>) {
    let view = s.workloads.generic.as_ref().expect("generic view");
    let cols = columns(view, s.scope.namespace.is_none(), wide);
    let header = words(
        &cols
            .iter()
            .map(|c| c.title.as_str())
            .collect::<Vec<_>>()
            .join(" "),
    );
    let mut rows: Vec<String> = view
        .shown
        .iter()
        .map(|&i| {
            let r = &view.rows[i];
            words(
                &cols
                    .iter()
                    .map(|c| cell(r, c))
                    .collect::<Vec<_>>()
                    .join(" "),
            )
        })
        .collect();
    rows.sort();
    (header, rows)
}

fn kubectl_lines(stdout: &str) -> (String, Vec<String>) {
    let mut lines = stdout.lines().filter(|l| !l.trim().is_empty());
    let header = lines.next().map(words).unwrap_or_default();
    let mut rows: Vec<String> = lines.map(words).collect();
    rows.sort();
    (header, rows)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_name_kubectl_knows_opens_that_resource_and_no_fuzzy_match_wins() {
    let Some(bin) = support::tools::require("kubectl") else {
        return;
    };
    let sb = start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let client = kube_client(&sb).await;
    let (resources, failed) = discover(&client).await.expect("discovery");
    assert!(failed.is_empty(), "{failed:?}");
    let (ok, out, err) = kubectl(&bin, &sb, dir.path(), &["api-resources", "--no-headers"]).await;
    assert!(ok, "{err}");
    let mut checked = 0;
    let mut shorts = 0;
    for line in out.lines().filter(|l| !l.trim().is_empty()) {
        // NAME [SHORTNAMES] APIVERSION NAMESPACED KIND
        let t: Vec<&str> = line.split_whitespace().collect();
        let (plural, short, api_version, kind) = match t.as_slice() {
            [n, s, v, _, k] => (*n, s.split(',').collect::<Vec<_>>(), *v, *k),
            [n, v, _, k] => (*n, Vec::new(), *v, *k),
            _ => panic!("cannot read `{line}`"),
        };
        let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
        let version = api_version.rsplit_once('/').map_or(api_version, |(_, v)| v);
        let mut names = vec![plural.to_owned(), kind.to_owned(), plural.to_uppercase()];
        if !group.is_empty() {
            names.push(format!("{plural}.{group}"));
            names.push(format!("{plural}.{version}.{group}"));
        }
        for s in &short {
            shorts += 1;
            names.push((*s).to_owned());
            if !group.is_empty() {
                names.push(format!("{s}.{group}"));
            }
        }
        for name in names {
            let r = resolve(&resources, &name)
                .unwrap_or_else(|| panic!("`{name}` resolves to nothing; kubectl: {line}"));
            assert_eq!(
                (r.group.as_str(), r.plural.as_str()),
                (group, plural),
                "`{name}`"
            );
            // through the palette: the exact name runs, never a fuzzy neighbour
            let mut s = state_for(Some("shop"), &resources);
            palette(&mut s, &name);
            if is_nodes(r) {
                // nodes have their own view (status, taints, GPUs, cordon and drain)
                assert!(s.nodes.shown && s.workloads.generic.is_none(), "`{name}`");
                continue;
            }
            match own_view(r) {
                Some(narrow) => {
                    assert!(s.workloads.generic.is_none(), "`{name}`");
                    assert_eq!(s.workloads.narrow, narrow, "`{name}`");
                }
                None => {
                    let g = s.workloads.generic.as_ref().unwrap_or_else(|| {
                        panic!("`:{name}` opened no view; flash: {:?}", s.flash)
                    });
                    assert_eq!(
                        (g.resource.group.as_str(), g.resource.plural.as_str()),
                        (group, plural),
                        "`:{name}`"
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(shorts >= 10, "kubectl listed {shorts} short names: {out}");
    assert!(checked > 50, "{checked}");
    // a short name is as written, as kubectl has it: `SVC` is no resource to either
    assert!(resolve(&resources, "SVC").is_none());
    let (ok, _, _) = kubectl(&bin, &sb, dir.path(), &["get", "SVC"]).await;
    assert!(!ok, "kubectl get SVC");
    // completions offer what the cluster serves, by kubectl's names
    let s = state_for(Some("shop"), &resources);
    let offered = flightdeck::app::palette::completions(&s, "horizontal");
    assert_eq!(
        offered.first().map(String::as_str),
        Some("horizontalpodautoscalers")
    );
    let offered = flightdeck::app::palette::completions(&s, "analysis");
    assert!(offered.iter().any(|c| c == "analysisruns"), "{offered:?}");
    // the console's own commands are kept: `:ns NAME` switches, `:env` still asks for one
    let mut s = state_for(Some("shop"), &resources);
    palette(&mut s, "ns shop-dev");
    assert_eq!(s.scope.namespace.as_deref(), Some("shop-dev"));
    assert!(s.workloads.generic.is_none());
    // `:ns` alone lists the namespaces (as in k9s)
    palette(&mut s, "ns");
    let g = s.workloads.generic.as_ref().expect(":ns lists namespaces");
    assert_eq!(g.resource.plural, "namespaces");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generic_view_shows_what_kubectl_get_prints_for_every_resource() {
    let Some(bin) = support::tools::require("kubectl") else {
        return;
    };
    let sb = start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let client = kube_client(&sb).await;
    let (resources, _) = discover(&client).await.expect("discovery");
    let mut compared = 0;
    let mut rows_seen = 0;
    for r in resources.iter().filter(|r| r.listable()) {
        let scopes: &[Option<&str>] = if r.namespaced {
            &[Some("shop"), None]
        } else {
            &[None]
        };
        for &ns in scopes {
            let msg = first_answer(&client, r, ns).await;
            let mut s = state_for(ns, &resources);
            let effects = flightdeck::app::panes::workloads::generic::open(&mut s, r.clone());
            let Some(Effect::WatchTable(req)) = effects.first() else {
                panic!("opening {} asked for no table: {effects:?}", r.label());
            };
            assert_eq!(req.namespace.as_deref(), ns);
            let msg = match msg {
                TableMsg::Listed { columns, rows, .. } => TableMsg::Listed {
                    view: req.view,
                    columns,
                    rows,
                },
                TableMsg::Failed { error, .. } => panic!("{}: {error}", r.label()),
                other => panic!("{other:?}"),
            };
            let generation = s.generation;
            update(&mut s, Event::Table { generation, msg });
            update::settle(&mut s);
            for wide in [false, true] {
                let mut args = vec!["get", "--show-kind=false"];
                let label = r.label();
                args.push(&label);
                match ns {
                    Some(n) => args.extend(["-n", n]),
                    None => args.push("-A"),
                }
                if wide {
                    args.extend(["-o", "wide"]);
                }
                let (ok, out, err) = kubectl(&bin, &sb, dir.path(), &args).await;
                assert!(ok, "kubectl {args:?}: {err}");
                let (header, rows) = view_lines(&s, wide);
                if out.trim().is_empty() {
                    assert!(
                        rows.is_empty(),
                        "kubectl {args:?} printed nothing: {rows:?}"
                    );
                    continue;
                }
                let (k_header, k_rows) = kubectl_lines(&out);
                assert_eq!(header, k_header, "kubectl {args:?}");
                assert_eq!(rows, k_rows, "kubectl {args:?}");
                rows_seen += rows.len();
                compared += 1;
            }
        }
    }
    // the sandbox serves more than a dozen resources with objects
    assert!(compared >= 20, "compared {compared}");
    assert!(rows_seen > 100, "{rows_seen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_list_or_watch_names_the_verb_the_resource_and_the_namespace() {
    let sb = start().await;
    let client = kube_client(&sb).await;
    let (resources, _) = discover(&client).await.expect("discovery");
    let services = resolve(&resources, "svc").expect("services").clone();
    admin(
        &sb,
        "faults",
        r#"{"forbid": [{"verb": "list", "namespace": "shop"}]}"#,
    )
    .await;
    let TableMsg::Failed {
        error, forbidden, ..
    } = first_answer(&client, &services, Some("shop")).await
    else {
        panic!("a forbidden list was listed");
    };
    assert!(forbidden);
    assert!(
        error.starts_with("forbidden: list services in namespace shop (403)"),
        "{error}"
    );
    // what the view shows of it
    let mut s = state_for(Some("shop"), &resources);
    let effects = palette(&mut s, "svc");
    let Some(Effect::WatchTable(req)) = effects.iter().find(|e| matches!(e, Effect::WatchTable(_)))
    else {
        panic!("{effects:?}");
    };
    let generation = s.generation;
    update(
        &mut s,
        Event::Table {
            generation,
            msg: TableMsg::Failed {
                view: req.view,
                error,
                forbidden,
            },
        },
    );
    update::settle(&mut s);
    s.zoomed = true;
    let screen = common::screen(&s);
    assert!(
        screen.contains("✗ forbidden: list services in namespace shop (403)"),
        "{screen}"
    );
    // across all namespaces, and a watch refused after a list that was not
    admin(
        &sb,
        "faults",
        r#"{"forbid": [{"verb": "watch", "namespace": "*"}, {"verb": "watch", "namespace": ""}]}"#,
    )
    .await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let sink: flightdeck::sources::kube::table::Sink = Arc::new(move |m| tx.send(m).is_ok());
    let task = tokio::spawn(flightdeck::sources::kube::table::run(
        client.clone(),
        TableRequest {
            generation: 0,
            view: 1,
            resource: services.clone(),
            namespace: None,
        },
        sink,
    ));
    let mut listed = false;
    let error = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match rx.recv().await.expect("source ended") {
                TableMsg::Listed { .. } => listed = true,
                TableMsg::Failed { error, .. } => return error,
                _ => {}
            }
        }
    })
    .await
    .expect("the refusal within 20 s");
    task.abort();
    assert!(listed, "the list itself was allowed");
    assert!(
        error.starts_with("forbidden: watch services across all namespaces (403)"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_failing_group_leaves_the_others_discovered() {
    let sb = start().await;
    let client = kube_client(&sb).await;
    // an aggregated API answering 503 is the common case; any failing group will do
    admin(
        &sb,
        "faults",
        r#"{"error_rate": 1.0, "error_path_prefix": "/apis/batch/v1"}"#,
    )
    .await;
    let (resources, failed) = discover(&client).await.expect("discovery");
    assert_eq!(failed, vec!["batch/v1".to_owned()]);
    for name in ["svc", "no", "ev", "deploy", "ro", "hpa"] {
        assert!(resolve(&resources, name).is_some(), "{name}");
    }
    assert!(resolve(&resources, "cj").is_none());
}

/// The console's own sources against the sandbox: discovery at the scope's start, the
/// generic view's table started and stopped by `update`'s effects, counted on the server.
pub(crate) struct Console {
    pub(crate) state: State,
    sources: flightdeck::console::Sources,
    tx: mpsc::UnboundedSender<Event>,
    rx: mpsc::UnboundedReceiver<Event>,
    _dir: tempfile::TempDir,
}

impl Console {
    pub(crate) fn start(sb: &Sandbox) -> Console {
        use flightdeck::console::run::Sources as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let kc = dir.path().join("kubeconfig");
        std::fs::write(&kc, sb.kubeconfig_yaml()).expect("kubeconfig");
        let mut state = common::state_builder()
            .config_toml(&format!(
                "[kube]\nkubeconfig = \"{}\"\nnamespace = \"shop\"\n",
                kc.display()
            ))
            .namespace("shop")
            .build();
        state.size = (160, 40);
        state.focus = PaneId::Workloads;
        let (tx, rx) = mpsc::unbounded_channel();
        let mut sources = flightdeck::console::Sources::default();
        sources.start(&state, &tx);
        Console {
            state,
            sources,
            tx,
            rx,
            _dir: dir,
        }
    }

    /// Carries out the effects this test is about, as the console's run loop does.
    fn carry_out(&mut self, effects: Vec<Effect>) {
        use flightdeck::console::run::Sources as _;
        for e in effects {
            match e {
                Effect::ScopeChanged { .. } => self.sources.start(&self.state, &self.tx),
                Effect::WatchTable(req) => self.sources.watch_table(req, &self.tx),
                Effect::StopTable => self.sources.stop_table(),
                Effect::Rediscover => self.sources.rediscover(),
                _ => {}
            }
        }
    }

    pub(crate) async fn until(&mut self, what: &str, done: impl Fn(&State) -> bool) {
        let ok = tokio::time::timeout(Duration::from_secs(20), async {
            while !done(&self.state) {
                let Some(ev) = self.rx.recv().await else {
                    return;
                };
                let effects = update(&mut self.state, ev);
                self.carry_out(effects);
            }
        })
        .await;
        assert!(ok.is_ok() && done(&self.state), "never saw {what}");
    }

    pub(crate) fn keys(&mut self, name: &str) {
        let effects = palette(&mut self.state, name);
        self.carry_out(effects);
    }
}

async fn open_watches(sb: &Sandbox, resource: &str, want: usize) -> usize {
    // the server notices a closed stream a moment after the client goes
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let n = sb.open_watches().get(resource).copied().unwrap_or(0);
        if n == want || tokio::time::Instant::now() >= deadline {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_is_watched_only_while_the_view_is_shown() {
    let sb = start().await;
    let mut c = Console::start(&sb);
    c.until("discovery", |s| s.resources.resolve("svc").is_some())
        .await;
    assert_eq!(open_watches(&sb, "services", 0).await, 0);
    c.keys("svc");
    c.until("services listed", |s| {
        s.workloads.generic.as_ref().is_some_and(|g| g.listed)
    })
    .await;
    assert_eq!(open_watches(&sb, "services", 1).await, 1, "while shown");
    // live: a Service created on the server reaches the view through the Table watch
    let api: kube::Api<k8s_openapi::api::core::v1::Service> =
        kube::Api::namespaced(kube_client(&sb).await, "shop");
    let svc: k8s_openapi::api::core::v1::Service = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "gift-cards", "namespace": "shop"},
        "spec": {"ports": [{"port": 80}], "selector": {"app": "gift-cards"}}
    }))
    .expect("service");
    api.create(&Default::default(), &svc).await.expect("create");
    c.until("the new service", |s| {
        s.workloads
            .generic
            .as_ref()
            .is_some_and(|g| g.rows.iter().any(|r| r.name == "gift-cards"))
    })
    .await;
    // another namespace: the same resource there, still one watch
    c.keys("ns shop-dev");
    c.until("services of shop-dev", |s| {
        s.workloads
            .generic
            .as_ref()
            .is_some_and(|g| g.listed && g.rows.iter().all(|r| r.namespace == "shop-dev"))
    })
    .await;
    assert_eq!(open_watches(&sb, "services", 1).await, 1, "after :ns");
    // another resource replaces it
    c.keys("cm");
    c.until("configmaps listed", |s| {
        s.workloads
            .generic
            .as_ref()
            .is_some_and(|g| g.listed && g.resource.plural == "configmaps")
    })
    .await;
    assert_eq!(open_watches(&sb, "services", 0).await, 0, "after :cm");
    assert_eq!(
        open_watches(&sb, "configmaps", 1).await,
        1,
        "configmaps shown"
    );
    // nodes have their own view: `:no` leaves the generic one, and its watch
    c.keys("no");
    assert!(c.state.nodes.shown && c.state.workloads.generic.is_none());
    assert_eq!(open_watches(&sb, "configmaps", 0).await, 0, "after :no");
    c.keys("cm");
    c.until("configmaps listed again", |s| {
        s.workloads.generic.as_ref().is_some_and(|g| g.listed)
    })
    .await;
    assert!(
        !c.state.nodes.shown,
        "a generic view replaces the nodes view"
    );
    // esc leaves the view: nothing of it is watched
    let effects = common::keys(&mut c.state, "esc");
    assert!(c.state.workloads.generic.is_none());
    c.carry_out(effects);
    assert_eq!(open_watches(&sb, "configmaps", 0).await, 0, "after esc");
    // a workload kind's own command leaves it too (the console's own watchers watch
    // Warning events: the view's watch is one more)
    let before = open_watches(&sb, "events", 1).await;
    c.keys("ev");
    c.until("events listed", |s| {
        s.workloads.generic.as_ref().is_some_and(|g| g.listed)
    })
    .await;
    assert_eq!(
        open_watches(&sb, "events", before + 1).await,
        before + 1,
        "events shown"
    );
    c.keys("deploy");
    assert!(c.state.workloads.generic.is_none());
    assert_eq!(
        open_watches(&sb, "events", before).await,
        before,
        "after :deploy"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_discovery_has_not_seen_runs_it_again() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sb = Sandbox::start(SandboxOptions::scenario(Scenario::Steady))
        .await
        .expect("sandbox");
    let mut c = Console::start(&sb);
    c.until("discovery", |s| s.resources.resolve("svc").is_some())
        .await;
    assert!(c.state.resources.resolve("ro").is_none());
    // Argo Rollouts' CRDs installed after the console started
    admin(&sb, "rollouts?served=true", "").await;
    // a name nothing matches says so as kubectl does
    c.keys("qqq");
    let flash = c
        .state
        .flash
        .as_ref()
        .map(|f| f.text.clone())
        .unwrap_or_default();
    assert!(
        flash.contains("the server doesn't have a resource type \"qqq\""),
        "{flash}"
    );
    // `ar` is not known yet: the palette opens its best fuzzy match (hpa), and asks the
    // cluster again
    c.keys("ar");
    assert_ne!(
        c.state
            .workloads
            .generic
            .as_ref()
            .map(|g| g.resource.plural.as_str()),
        Some("analysisruns")
    );
    c.until("Rollouts discovered", |s| {
        s.resources.resolve("ar").is_some()
    })
    .await;
    c.keys("ar");
    let g = c.state.workloads.generic.as_ref().expect("analysisruns");
    assert_eq!(g.resource.label(), "analysisruns.argoproj.io");
    assert!(matches!(c.state.resources, Catalog::Known { .. }));
}

pub(crate) fn services_fixture(namespace: Option<&str>) -> State {
    use flightdeck::sources::kube::model::{TableColumn, TableRow};
    let services = ApiResource {
        group: String::new(),
        version: "v1".into(),
        plural: "services".into(),
        singular: "service".into(),
        kind: "Service".into(),
        namespaced: true,
        short_names: vec!["svc".into()],
        verbs: vec!["list".into(), "watch".into()],
    };
    let mut s = state_for(namespace, std::slice::from_ref(&services));
    s.zoomed = true;
    let effects = palette(&mut s, "svc");
    let Some(Effect::WatchTable(req)) = effects.iter().find(|e| matches!(e, Effect::WatchTable(_)))
    else {
        panic!("{effects:?}");
    };
    let col = |name: &str, priority: i32, kind: &str| TableColumn {
        name: name.into(),
        priority,
        kind: kind.into(),
    };
    let row = |ns: &str, name: &str, ip: &str| TableRow {
        uid: format!("{ns}-{name}"),
        namespace: ns.into(),
        name: name.into(),
        resource_version: "1".into(),
        cells: vec![
            name.into(),
            "ClusterIP".into(),
            ip.into(),
            "<none>".into(),
            "80/TCP".into(),
            "3d".into(),
            format!("app.kubernetes.io/name={name}"),
        ],
    };
    let generation = s.generation;
    update(
        &mut s,
        Event::Table {
            generation,
            msg: TableMsg::Listed {
                view: req.view,
                columns: vec![
                    col("Name", 0, "string"),
                    col("Type", 0, "string"),
                    col("Cluster-IP", 0, "string"),
                    col("External-IP", 0, "string"),
                    col("Port(s)", 0, "string"),
                    col("Age", 0, "date"),
                    col("Selector", 1, "string"),
                ],
                rows: vec![
                    row("shop", "cart", "10.96.0.10"),
                    row("shop", "checkout", "10.96.0.11"),
                    row("shop-dev", "cart", "10.96.1.10"),
                ],
            },
        },
    );
    update::settle(&mut s);
    s
}

fn screen_at(s: &mut State, w: u16, h: u16) -> String {
    s.size = (w, h);
    common::text(&common::render(s, w, h))
}

#[test]
fn wide_columns_show_where_the_pane_has_room_and_namespace_leads_across_all() {
    let mut s = services_fixture(Some("shop"));
    let wide = screen_at(&mut s, 160, 20);
    assert!(wide.contains("SELECTOR"), "{wide}");
    assert!(wide.contains("app.kubernetes.io/name=checkout"), "{wide}");
    assert!(
        wide.contains("services"),
        "the pane names the resource: {wide}"
    );
    // narrower: `-o wide`'s column gives way, kubectl's own stay
    let narrow = screen_at(&mut s, 80, 20);
    assert!(!narrow.contains("SELECTOR"), "{narrow}");
    for title in ["NAME", "TYPE", "CLUSTER-IP", "PORT(S)"] {
        assert!(narrow.contains(title), "{title}: {narrow}");
    }
    // across all namespaces, NAMESPACE comes first, as `kubectl get -A`
    let mut all = services_fixture(None);
    let text = screen_at(&mut all, 160, 20);
    let header = text
        .lines()
        .find(|l| l.contains("CLUSTER-IP"))
        .expect("header");
    let ns_at = header.find("NAMESPACE").expect("NAMESPACE");
    assert!(ns_at < header.find("NAME ").expect("NAME"), "{header}");
    assert!(text.contains("shop-dev"), "{text}");
    // enter shows the row's YAML (the object's own path), esc goes back, and back again
    // leaves the view
    let effects = common::keys(&mut all, "enter");
    let Some(Effect::FetchObject(req)) =
        effects.iter().find(|e| matches!(e, Effect::FetchObject(_)))
    else {
        panic!("{effects:?}");
    };
    let resource = req.resource.as_ref().expect("a resource's object");
    assert_eq!(
        resource.object_path(&req.key.namespace, &req.key.name),
        "/api/v1/namespaces/shop/services/cart"
    );
    assert!(all.workloads.yaml.is_some());
    common::keys(&mut all, "esc");
    assert!(all.workloads.yaml.is_none() && all.workloads.generic.is_some());
    let effects = common::keys(&mut all, "esc");
    assert!(all.workloads.generic.is_none());
    assert!(effects.contains(&Effect::StopTable), "{effects:?}");
}
