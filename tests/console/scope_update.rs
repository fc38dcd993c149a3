//! The scope follows kubectl and the environment label is derived from it, never
//! remembered: start-up from files and flags (`console::initial_state`, as the binary
//! does it), `:ns`, `:ctx` and `:env` through `update`, the namespaces source against the
//! sandbox, and a protected environment's confirmation that needs the object's name.

use crate::support::common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use flightdeck::app::dialog::Dialog;
use flightdeck::app::panes::workloads::visible_deployments;
use flightdeck::app::scope::{self, NamespaceList};
use flightdeck::app::state::Overlay;
use flightdeck::app::{Action, Effect, Event, State, update};
use flightdeck::cli::GlobalArgs;
use flightdeck::ops::{AuditLog, Executor};
use flightdeck::pane::PaneId;
use flightdeck::sources::kube::kubeconfig::{KubeContexts, read_files};
use flightdeck::sources::kube::{NamespacesMsg, WorkloadsMsg, namespaces, watch};
use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};
use k8s_openapi::api::apps::v1::Deployment;
use kube::Api;
use tokio::sync::mpsc;

async fn sandbox() -> Sandbox {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sb = Sandbox::start(SandboxOptions::scenario(Scenario::Steady))
        .await
        .expect("sandbox");
    // nothing moves on its own: a resourceVersion changes only if we change the object
    let r = reqwest::Client::new()
        .post(format!("{}/time/pause", sb.admin_url()))
        .send()
        .await
        .expect("pause");
    assert!(r.status().is_success());
    sb
}

/// The sandbox's kubeconfig, a second one with a context `other` on the same server whose
/// namespace is `shop-dev`, and the sandbox's generated config.toml.
struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn write(sb: &Sandbox) -> Files {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = Files { dir };
        std::fs::write(f.main(), sb.kubeconfig_yaml()).expect("kubeconfig");
        std::fs::write(f.other(), other_kubeconfig(sb)).expect("other kubeconfig");
        std::fs::write(f.config(), sb.config_toml(&f.main())).expect("config");
        std::fs::write(f.empty_config(), "").expect("empty config");
        f
    }
    fn main(&self) -> PathBuf {
        self.dir.path().join("kubeconfig")
    }
    fn other(&self) -> PathBuf {
        self.dir.path().join("other-kubeconfig")
    }
    fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }
    fn empty_config(&self) -> PathBuf {
        self.dir.path().join("empty.toml")
    }
}

/// A second kubeconfig: context `other` (namespace `shop-dev`) on the sandbox's server,
/// and a context `sandbox` pointing nowhere, which must lose to the first file's.
pub fn other_kubeconfig(sb: &Sandbox) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: other\n  cluster:\n    server: {}\n- name: nowhere\n  cluster:\n    server: http://127.0.0.1:1\ncontexts:\n- name: other\n  context:\n    cluster: other\n    user: other\n    namespace: shop-dev\n- name: sandbox\n  context:\n    cluster: nowhere\n    user: other\n    namespace: nowhere\ncurrent-context: other\nusers:\n- name: other\n  user:\n    token: sandbox-token\n",
        sb.kube_url()
    )
}

fn start(global: GlobalArgs) -> State {
    let mut s = flightdeck::console::initial_state(&global, None);
    s.size = (120, 30);
    s
}

/// The status bar, wide enough that every source state and the whole scope label fit
/// (narrower, the label is cut to leave the states their room).
fn status_bar(s: &State) -> String {
    let screen = common::text(&common::draw_at(s, 160, 30));
    screen.lines().last().unwrap_or_default().to_owned()
}

fn palette(s: &mut State, line: &str) -> Vec<Effect> {
    common::keys(s, ":");
    common::typed(s, line);
    common::keys(s, "enter")
}

fn env_name(s: &State) -> Option<String> {
    scope::environment(s).map(|e| e.name.clone())
}

#[tokio::test]
async fn namespace_flag_and_ns_switches_derive_the_environment() {
    let sb = sandbox().await;
    let files = Files::write(&sb);
    let mut s = start(GlobalArgs {
        config: Some(files.config()),
        namespace: Some("shop".into()),
        ..GlobalArgs::default()
    });
    assert_eq!(s.scope.context.as_deref(), Some("sandbox"));
    assert_eq!(s.scope.namespace.as_deref(), Some("shop"));
    assert_eq!(env_name(&s).as_deref(), Some("prod"));
    let bar = status_bar(&s);
    assert!(bar.contains("prod ▸ sandbox/shop"), "{bar}");
    assert!(!bar.contains("dev"), "{bar}");

    let fx = palette(&mut s, "ns shop-dev");
    assert!(
        matches!(fx.as_slice(), [Effect::ScopeChanged { .. }]),
        "{fx:?}"
    );
    assert_eq!(env_name(&s).as_deref(), Some("dev"));
    let bar = status_bar(&s);
    assert!(bar.contains("dev ▸ sandbox/shop-dev"), "{bar}");

    palette(&mut s, "ns payments");
    assert_eq!(env_name(&s), None);
    let bar = status_bar(&s);
    assert!(bar.contains("sandbox/payments"), "{bar}");
    assert!(!bar.contains('▸'), "no environment label: {bar}");

    palette(&mut s, "ns all");
    assert_eq!(s.scope.namespace, None);
    assert_eq!(env_name(&s), None, "all namespaces is in no environment");

    // :env sets both; the label is what the context and namespace say
    palette(&mut s, "env staging");
    assert_eq!(s.scope.namespace.as_deref(), Some("shop-staging"));
    assert_eq!(env_name(&s).as_deref(), Some("staging"));
    sb.shutdown().await;
}

#[tokio::test]
async fn without_flags_the_console_opens_on_the_kubeconfig_context_and_its_namespace() {
    let sb = sandbox().await;
    let files = Files::write(&sb);
    // the sandbox's config lists dev first; the kubeconfig's context says `shop` (prod)
    let s = start(GlobalArgs {
        config: Some(files.config()),
        ..GlobalArgs::default()
    });
    assert_eq!(s.scope.namespace.as_deref(), Some("shop"));
    assert_eq!(env_name(&s).as_deref(), Some("prod"));

    // no config at all: still the context's namespace, not all namespaces
    let s = start(GlobalArgs {
        config: Some(files.empty_config()),
        kubeconfig: Some(files.main()),
        ..GlobalArgs::default()
    });
    assert_eq!(s.scope.context.as_deref(), Some("sandbox"));
    assert_eq!(s.scope.namespace.as_deref(), Some("shop"));
    assert_eq!(env_name(&s), None);
    let bar = status_bar(&s);
    assert!(bar.contains("sandbox/shop"), "{bar}");

    // -A: every namespace; --context: that context's namespace
    let s = start(GlobalArgs {
        config: Some(files.config()),
        all_namespaces: true,
        ..GlobalArgs::default()
    });
    assert_eq!(s.scope.namespace, None);
    let s = start(GlobalArgs {
        config: Some(files.empty_config()),
        kubeconfig: Some(files.other()),
        ..GlobalArgs::default()
    });
    assert_eq!(s.scope.context.as_deref(), Some("other"));
    assert_eq!(s.scope.namespace.as_deref(), Some("shop-dev"));
    sb.shutdown().await;
}

#[tokio::test]
async fn ui_start_opens_on_an_environment_and_flags_win_over_it() {
    let sb = sandbox().await;
    let files = Files::write(&sb);
    let source = std::fs::read_to_string(files.config()).expect("config");
    let with_start = files.dir.path().join("start.toml");
    std::fs::write(&with_start, format!("[ui]\nstart = \"staging\"\n{source}")).expect("write");
    let s = start(GlobalArgs {
        config: Some(with_start.clone()),
        ..GlobalArgs::default()
    });
    assert_eq!(s.scope.namespace.as_deref(), Some("shop-staging"));
    assert_eq!(env_name(&s).as_deref(), Some("staging"));
    let s = start(GlobalArgs {
        config: Some(with_start),
        namespace: Some("shop-dev".into()),
        ..GlobalArgs::default()
    });
    assert_eq!(
        env_name(&s).as_deref(),
        Some("dev"),
        "-n wins over [ui] start"
    );
    sb.shutdown().await;
}

/// `KUBECONFIG=a:b` as kubectl merges it: every context of both files, the first file's
/// `sandbox` and current-context win; `:ctx other` takes other's namespace.
#[tokio::test]
async fn ctx_completes_every_merged_context_and_takes_its_namespace() {
    let sb = sandbox().await;
    let files = Files::write(&sb);
    let merged = read_files(&[files.main(), files.other()]).expect("merge");
    assert_eq!(merged.current_context.as_deref(), Some("sandbox"));
    let kube = KubeContexts::of(&merged);
    let names: Vec<&str> = kube.contexts.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["sandbox", "other"]);
    assert_eq!(
        kube.get("sandbox").and_then(|c| c.namespace.as_deref()),
        Some("shop"),
        "the first file wins for a context name"
    );

    let mut s = start(GlobalArgs {
        config: Some(files.config()),
        ..GlobalArgs::default()
    });
    s.kubeconfig = kube;
    assert_eq!(
        flightdeck::app::palette::completions(&s, "ctx "),
        ["ctx other", "ctx sandbox"]
    );
    let fx = palette(&mut s, "ctx other");
    assert!(
        matches!(fx.as_slice(), [Effect::ScopeChanged { .. }]),
        "{fx:?}"
    );
    assert_eq!(s.scope.context.as_deref(), Some("other"));
    assert_eq!(s.scope.namespace.as_deref(), Some("shop-dev"));
    // dev is shop-dev on context `sandbox`: on `other` there is no environment
    assert_eq!(env_name(&s), None);
    let bar = status_bar(&s);
    assert!(
        bar.contains("other/shop-dev") && !bar.contains('▸'),
        "{bar}"
    );

    palette(&mut s, "ctx sandbox");
    assert_eq!(s.scope.namespace.as_deref(), Some("shop"));
    assert_eq!(env_name(&s).as_deref(), Some("prod"));

    let generation = s.generation;
    palette(&mut s, "ctx nope");
    assert_eq!(
        s.generation, generation,
        "an unknown context changes nothing"
    );
    assert_eq!(s.scope.context.as_deref(), Some("sandbox"));
    sb.shutdown().await;
}

/// `:ns` completes the cluster's namespaces from the namespaces source; when listing them
/// is forbidden, from the kubeconfig's and the config's.
#[tokio::test]
async fn ns_completes_from_the_cluster_and_falls_back_when_forbidden() {
    let sb = sandbox().await;
    let files = Files::write(&sb);
    let mut s = start(GlobalArgs {
        config: Some(files.config()),
        ..GlobalArgs::default()
    });
    let config = s.config.clone();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let sink: namespaces::Sink = Arc::new(move |m| tx.send(m).is_ok());
    let task = namespaces::spawn_namespaces(config.clone(), s.scope.context.clone(), sink);
    let msg = tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("namespaces in time")
        .expect("a message");
    task.abort();
    let NamespacesMsg::Names(names) = &msg else {
        panic!("{msg:?}");
    };
    assert!(names.iter().any(|n| n == "kube-system"), "{names:?}");
    let generation = s.generation;
    update(&mut s, Event::Namespaces { generation, msg });
    let got = flightdeck::app::palette::completions(&s, "ns ");
    assert!(got.contains(&"ns kube-system".to_owned()), "{got:?}");
    assert!(got.contains(&"ns all".to_owned()), "{got:?}");

    // forbidden: the sandbox answers 403 to cluster-scope lists
    let r = reqwest::Client::new()
        .post(format!("{}/faults", sb.admin_url()))
        .header("content-type", "application/json")
        .body(r#"{"forbid": [{"verb": "list", "namespace": ""}]}"#)
        .send()
        .await
        .expect("faults");
    assert!(r.status().is_success());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let sink: namespaces::Sink = Arc::new(move |m| tx.send(m).is_ok());
    let task = namespaces::spawn_namespaces(config, s.scope.context.clone(), sink);
    let msg = tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("an answer in time")
        .expect("a message");
    task.abort();
    assert!(matches!(msg, NamespacesMsg::Forbidden(_)), "{msg:?}");
    // the source of the next scope is refused
    palette(&mut s, "ns shop");
    let generation = s.generation;
    update(&mut s, Event::Namespaces { generation, msg });
    assert!(matches!(s.namespaces, NamespaceList::Unavailable(_)));
    let got = flightdeck::app::palette::completions(&s, "ns ");
    assert_eq!(
        got,
        ["ns all", "ns shop", "ns shop-dev", "ns shop-staging"],
        "the context's and the config's namespaces"
    );
    // an answer for an old generation is dropped
    update(
        &mut s,
        Event::Namespaces {
            generation: generation - 1,
            msg: NamespacesMsg::Names(vec!["old".into()]),
        },
    );
    assert!(matches!(s.namespaces, NamespaceList::Unavailable(_)));
    sb.shutdown().await;
}

async fn client(sb: &Sandbox) -> kube::Client {
    let kc = kube::config::Kubeconfig::from_yaml(&sb.kubeconfig_yaml()).expect("kubeconfig");
    flightdeck::sources::kube::client::client_from_kubeconfig(kc, None)
        .await
        .expect("client")
}

async fn resource_version(c: &kube::Client, ns: &str, name: &str) -> String {
    Api::<Deployment>::namespaced(c.clone(), ns)
        .get(name)
        .await
        .expect("deployment")
        .metadata
        .resource_version
        .expect("resourceVersion")
}

/// Feeds the real watchers' messages into `s` until `name` is a Workloads row, and
/// selects it.
async fn select_deployment(s: &mut State, c: &kube::Client, name: &str) {
    let (tx, mut rx) = mpsc::unbounded_channel::<WorkloadsMsg>();
    let sink: watch::Sink = Arc::new(move |m| tx.send(m).is_ok());
    let task = tokio::spawn(watch::run_watchers(
        c.clone(),
        s.scope.namespace.clone(),
        sink,
    ));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        flightdeck::app::update::settle(s);
        if let Some(i) = visible_deployments(s)
            .iter()
            .position(|d| d.key.name == name)
        {
            s.pane_mut(PaneId::Workloads).selected = i;
            break;
        }
        let msg = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("deployment row in time")
            .expect("watchers running");
        let generation = s.generation;
        update(s, Event::Kube { generation, msg });
    }
    task.abort();
    flightdeck::app::update::apply(s, Action::FocusPane(PaneId::Workloads));
}

/// Asks for a restart of the selection and feeds the executor's plan back.
async fn planned_restart(s: &mut State, ex: &Executor) {
    let fx = common::keys(s, "r");
    let Some(Effect::PlanOperation(op)) = fx.into_iter().next() else {
        panic!("no plan asked for");
    };
    let plan = ex.plan(op).await.map(Box::new);
    update(s, Event::OpPlanned(plan));
}

fn type_to_confirm(s: &State) -> Option<String> {
    match &s.overlay {
        Overlay::Dialog(d) => match d.as_ref() {
            Dialog::Confirm { plan, .. } => plan.type_to_confirm.clone(),
            other => panic!("not a confirmation: {other:?}"),
        },
        other => panic!("no dialog: {other:?}"),
    }
}

#[tokio::test]
async fn a_protected_environment_asks_for_the_name_and_y_sends_nothing() {
    let sb = sandbox().await;
    let files = Files::write(&sb);
    let c = client(&sb).await;
    let audit = files.dir.path().join("audit.jsonl");
    let ex = Executor::new(Ok(c.clone()), false, AuditLog::at(&audit));

    let mut s = start(GlobalArgs {
        config: Some(files.config()),
        namespace: Some("shop".into()),
        ..GlobalArgs::default()
    });
    assert!(scope::environment(&s).is_some_and(|e| e.is_protected()));
    select_deployment(&mut s, &c, "checkout").await;
    let before = resource_version(&c, "shop", "checkout").await;

    planned_restart(&mut s, &ex).await;
    assert_eq!(type_to_confirm(&s).as_deref(), Some("checkout"));
    assert!(common::screen(&s).contains("type checkout to confirm"));
    for k in ["y", "enter"] {
        let fx = common::keys(&mut s, k);
        assert!(fx.is_empty(), "{k} alone fires nothing: {fx:?}");
    }
    assert!(matches!(s.overlay, Overlay::Dialog(_)), "still asking");
    assert_eq!(
        resource_version(&c, "shop", "checkout").await,
        before,
        "nothing was sent"
    );
    // `y` went into the typed text: clear it, then type the name
    common::keys(&mut s, "backspace");
    common::typed(&mut s, "checkout");
    let fx = common::keys(&mut s, "enter");
    let Some(Effect::Operation {
        op,
        before: b,
        after,
    }) = fx.into_iter().next()
    else {
        panic!("the typed name confirms");
    };
    let outcome = ex.execute(&op, &b, &after).await;
    assert!(outcome.ok, "{outcome:?}");
    assert_ne!(resource_version(&c, "shop", "checkout").await, before);

    // dev is not protected: y confirms
    palette(&mut s, "ns shop-dev");
    assert_eq!(env_name(&s).as_deref(), Some("dev"));
    select_deployment(&mut s, &c, "checkout").await;
    update(
        &mut s,
        Event::OpResult(Box::new(flightdeck::ops::Outcome {
            op: "restart".into(),
            target: Default::default(),
            ok: true,
            message: "done".into(),
            before: String::new(),
            after: String::new(),
        })),
    );
    planned_restart(&mut s, &ex).await;
    assert_eq!(type_to_confirm(&s), None);
    let fx = common::keys(&mut s, "y");
    assert!(
        matches!(fx.as_slice(), [Effect::Operation { .. }]),
        "{fx:?}"
    );
    sb.shutdown().await;
}

/// #28 item 8: Enter in the palette runs the highlighted completion, for an argument as for
/// a command (`:po` runs `pods`): `:ctx dead` with `dead-prod` highlighted switches to
/// dead-prod, and so `:ns`, `:env`, `:theme`. Where the names are not the cluster's own
/// list (listing namespaces is forbidden), what is typed is itself a candidate.
#[tokio::test]
async fn enter_takes_the_highlighted_completion_of_an_argument() {
    let sb = sandbox().await;
    let files = Files::write(&sb);
    let dead = files.dir.path().join("dead-kubeconfig");
    std::fs::write(
        &dead,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: dead\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: dead-prod\n  context:\n    cluster: dead\n    user: dead\n    namespace: shop\ncurrent-context: dead-prod\nusers:\n- name: dead\n  user:\n    token: dead-token\n",
    )
    .expect("dead kubeconfig");
    let merged = read_files(&[files.main(), dead]).expect("merge");
    let mut s = start(GlobalArgs {
        config: Some(files.config()),
        ..GlobalArgs::default()
    });
    s.kubeconfig = KubeContexts::of(&merged);

    common::keys(&mut s, ":");
    common::typed(&mut s, "ctx dead");
    let shown = common::text(&common::draw_at(&s, 120, 30));
    assert!(shown.contains("ctx dead-prod"), "not offered:\n{shown}");
    let fx = common::keys(&mut s, "enter");
    assert!(
        fx.iter().any(|e| matches!(e, Effect::ScopeChanged { .. })),
        "{fx:?}; flash: {:?}",
        s.flash
    );
    assert_eq!(s.scope.context.as_deref(), Some("dead-prod"));

    palette(&mut s, "ctx sandb");
    assert_eq!(s.scope.context.as_deref(), Some("sandbox"));
    // the cluster's namespaces, as the namespaces source reports them
    let generation = s.generation;
    update(
        &mut s,
        Event::Namespaces {
            generation,
            msg: NamespacesMsg::Names(vec![
                "kube-system".into(),
                "shop".into(),
                "shop-dev".into(),
                "shop-staging".into(),
            ]),
        },
    );
    palette(&mut s, "ns stag");
    assert_eq!(s.scope.namespace.as_deref(), Some("shop-staging"));
    // an exact name wins over the longer names it is part of
    palette(&mut s, "ns shop");
    assert_eq!(s.scope.namespace.as_deref(), Some("shop"));
    palette(&mut s, "env stag");
    assert_eq!(env_name(&s).as_deref(), Some("staging"));
    palette(&mut s, "theme lig");
    assert!(
        s.flash.as_ref().is_some_and(|f| f.text == "theme light"),
        "{:?}",
        s.flash
    );
    // the highlight moved down is what runs
    common::keys(&mut s, ":");
    common::typed(&mut s, "ns shop");
    common::keys(&mut s, "down enter");
    assert_ne!(s.scope.namespace.as_deref(), Some("shop"));
    assert!(
        s.scope
            .namespace
            .as_deref()
            .is_some_and(|n| n.starts_with("shop-")),
        "{:?}",
        s.scope.namespace
    );

    // namespaces that cannot be listed: a typed name is a candidate of its own
    let generation = s.generation;
    update(
        &mut s,
        Event::Namespaces {
            generation,
            msg: NamespacesMsg::Forbidden("namespaces is forbidden".into()),
        },
    );
    palette(&mut s, "ns dev");
    assert_eq!(s.scope.namespace.as_deref(), Some("dev"));
    sb.shutdown().await;
}
