//! What the logs sandbox tests share: a sandbox with paused time, a client, the real
//! source driven into `update`, and what to read back (messages, header, console log,
//! requests served for a pod).

use std::time::Duration;

use flightdeck::app::event::{Effect, Event};
use flightdeck::app::panes::logs;
use flightdeck::app::state::State;
use flightdeck::app::update::update;
use flightdeck::pane::PaneId;
use flightdeck::sources::logs::{LogTarget, spawn_follow};
use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use super::common;

pub type Rx = mpsc::UnboundedReceiver<Event>;

pub async fn start(scenario: Scenario) -> Sandbox {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sb = Sandbox::start(SandboxOptions {
        listen: "127.0.0.1:0".parse().expect("addr"),
        scenario,
        pods: None,
        seed: 1,
        ..SandboxOptions::default()
    })
    .await
    .expect("sandbox");
    admin(&sb, "time/pause", "").await;
    sb
}

pub async fn client(sb: &Sandbox) -> kube::Client {
    let kc = kube::config::Kubeconfig::from_yaml(&sb.kubeconfig_yaml()).expect("kubeconfig");
    let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .expect("config");
    kube::Client::try_from(cfg).expect("client")
}

pub async fn admin(sb: &Sandbox, route: &str, body: &str) {
    let r = reqwest::Client::new()
        .post(format!("{}/{route}", sb.admin_url()))
        .body(body.to_string())
        .send()
        .await
        .expect("admin request");
    assert!(r.status().is_success(), "admin {route}: {}", r.status());
}

pub async fn append(sb: &Sandbox, pod: &str, bytes: Vec<u8>) {
    let r = reqwest::Client::new()
        .post(format!("{}/pods/shop/{pod}/log", sb.admin_url()))
        .body(bytes)
        .send()
        .await
        .expect("append");
    assert!(r.status().is_success(), "append: {}", r.status());
}

pub fn state() -> State {
    common::state_builder()
        .theme("dark")
        .at(jiff::Timestamp::now())
        .focus(PaneId::Logs)
        .zoomed()
        .size(120, 40)
        .build()
}

/// Carries out the effects a test cares about: following starts the real source.
pub fn run_effects(
    effects: Vec<Effect>,
    client: &kube::Client,
    tx: &mpsc::UnboundedSender<Event>,
    handles: &mut Vec<AbortHandle>,
) {
    for e in effects {
        if let Effect::FollowLogs(mut req) = e {
            for h in handles.drain(..) {
                h.abort();
            }
            req.opts.poll = Duration::from_millis(200);
            req.opts.idle_reattach = Duration::from_secs(3);
            handles.extend(spawn_follow(
                client.clone(),
                req.target,
                req.opts,
                req.stream,
                flightdeck::console::logs_sink(tx, req.generation),
            ));
        }
    }
}

/// Feeds source events into `update` until `done` holds (or a generous limit passes).
pub async fn drive(
    state: &mut State,
    rx: &mut Rx,
    limit: Duration,
    done: impl Fn(&State) -> bool,
) -> bool {
    if done(state) {
        return true;
    }
    tokio::time::timeout(limit, async {
        while let Some(ev) = rx.recv().await {
            update(state, ev);
            if done(state) {
                return true;
            }
        }
        false
    })
    .await
    .unwrap_or(false)
}

pub fn messages(state: &State) -> Vec<String> {
    state
        .logs
        .entries
        .iter()
        .map(|e| e.line.message.clone())
        .collect()
}

/// Starts following the first cart pod with the real source; the test drives what arrives.
pub async fn follow_a_cart_pod(
    sb: &Sandbox,
) -> (
    State,
    mpsc::UnboundedReceiver<Event>,
    Vec<AbortHandle>,
    String,
) {
    let c = client(sb).await;
    let pod = pod_names(&c, "app=cart")
        .await
        .into_iter()
        .next()
        .expect("a cart pod");
    let (tx, rx) = mpsc::unbounded_channel();
    let mut handles = Vec::new();
    let mut st = state();
    let effects = logs::follow(
        &mut st,
        LogTarget::Pods {
            namespace: "shop".into(),
            pods: vec![pod.clone()],
        },
    );
    run_effects(effects, &c, &tx, &mut handles);
    (st, rx, handles, pod)
}

/// The rows of the console's own log (`!`), as the overlay draws them.
pub fn console_log(st: &mut State) -> Vec<String> {
    flightdeck::applog::collect();
    st.overlay = flightdeck::app::state::Overlay::ConsoleLog;
    let mut term = Terminal::new(TestBackend::new(200, 120)).expect("terminal");
    term.draw(|f| flightdeck::ui::render(st, f)).expect("draw");
    st.overlay = flightdeck::app::state::Overlay::None;
    common::cells(term.backend().buffer())
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The pane's header row (under the title): the legend and the follow state.
pub fn header(st: &State) -> String {
    let (w, h) = st.size;
    common::cells(&common::draw_at(st, w, h))
        .lines()
        .nth(1)
        .unwrap_or_default()
        .to_owned()
}

/// Requests the sandbox served for this pod (its object or its log) since they were last
/// forgotten.
pub fn requests_for(sb: &Sandbox, pod: &str) -> Vec<String> {
    sb.requests()
        .into_iter()
        .filter(|r| {
            r.path.ends_with(&format!("/pods/{pod}")) || r.path.contains(&format!("/pods/{pod}/"))
        })
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

pub async fn forget_requests(sb: &Sandbox) {
    let r = reqwest::Client::new()
        .delete(format!("{}/requests", sb.admin_url()))
        .send()
        .await
        .expect("forget requests");
    assert!(r.status().is_success());
}

pub async fn pod_names(c: &kube::Client, selector: &str) -> Vec<String> {
    let pods: Api<Pod> = Api::namespaced(c.clone(), "shop");
    pods.list(&ListParams::default().labels(selector))
        .await
        .expect("list")
        .items
        .into_iter()
        .filter_map(|p| p.metadata.name)
        .collect()
}
