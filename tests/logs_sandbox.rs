//! The logs source against the sandbox's Kubernetes API with the real kube client: a
//! deployment followed across a rollout, the seed's JSON format, `previous` after a crash,
//! reconnect without duplicates, RBAC, and hostile bytes through the admin endpoint.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use flightdeck::app::Action;
use flightdeck::app::event::{Effect, Event};
use flightdeck::app::panes::logs::{self, PodState};
use flightdeck::app::state::{SourceId, SourceStatus, State};
use flightdeck::app::update::{apply, update};
use flightdeck::pane::PaneId;
use flightdeck::sources::logs::{LogTarget, spawn_follow};
use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, Patch, PatchParams};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

type Rx = mpsc::UnboundedReceiver<Event>;

async fn start(scenario: Scenario) -> Sandbox {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sb = Sandbox::start(SandboxOptions {
        listen: "127.0.0.1:0".parse().expect("addr"),
        scenario,
        pods: None,
        seed: 1,
    })
    .await
    .expect("sandbox");
    admin(&sb, "time/pause", "").await;
    sb
}

async fn client(sb: &Sandbox) -> kube::Client {
    let kc = kube::config::Kubeconfig::from_yaml(&sb.kubeconfig_yaml()).expect("kubeconfig");
    let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .expect("config");
    kube::Client::try_from(cfg).expect("client")
}

async fn admin(sb: &Sandbox, route: &str, body: &str) {
    let r = reqwest::Client::new()
        .post(format!("{}/{route}", sb.admin_url()))
        .body(body.to_string())
        .send()
        .await
        .expect("admin request");
    assert!(r.status().is_success(), "admin {route}: {}", r.status());
}

async fn append(sb: &Sandbox, pod: &str, bytes: Vec<u8>) {
    let r = reqwest::Client::new()
        .post(format!("{}/pods/shop/{pod}/log", sb.admin_url()))
        .body(bytes)
        .send()
        .await
        .expect("append");
    assert!(r.status().is_success(), "append: {}", r.status());
}

fn state() -> State {
    common::state_builder()
        .theme("dark")
        .at(jiff::Timestamp::now())
        .focus(PaneId::Logs)
        .zoomed()
        .size(120, 40)
        .build()
}

/// Carries out the effects a test cares about: following starts the real source.
fn run_effects(
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
async fn drive(
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

fn messages(state: &State) -> Vec<String> {
    state
        .logs
        .entries
        .iter()
        .map(|e| e.line.message.clone())
        .collect()
}

/// Starts following the first cart pod with the real source; the test drives what arrives.
async fn follow_a_cart_pod(
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

async fn pod_names(c: &kube::Client, selector: &str) -> Vec<String> {
    let pods: Api<Pod> = Api::namespaced(c.clone(), "shop");
    pods.list(&ListParams::default().labels(selector))
        .await
        .expect("list")
        .items
        .into_iter()
        .filter_map(|p| p.metadata.name)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_a_deployment_across_a_rollout() {
    let sb = start(Scenario::Steady).await;
    let c = client(&sb).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut handles = Vec::new();
    let mut st = state();
    let before: BTreeSet<String> = pod_names(&c, "app=checkout").await.into_iter().collect();
    assert!(before.len() > 1);
    let effects = logs::follow(
        &mut st,
        LogTarget::Selector {
            namespace: "shop".into(),
            selector: "app=checkout".into(),
            label: "checkout".into(),
        },
    );
    run_effects(effects, &c, &tx, &mut handles);
    let n = before.len();
    assert!(
        drive(&mut st, &mut rx, Duration::from_secs(60), |s| {
            s.logs
                .pods
                .iter()
                .filter(|p| p.state == PodState::Streaming)
                .count()
                == n
                && !s.logs.entries.is_empty()
        })
        .await,
        "not every pod attached: {:?}",
        st.logs.pods
    );
    assert!(matches!(
        st.source(SourceId::Logs),
        Some(SourceStatus::Live { .. })
    ));
    // tail on attach from every pod, merged in kubelet-time order
    let times: Vec<_> = st.logs.entries.iter().filter_map(|e| e.line.time).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "not in time order");

    // the rollout: a JSON patch of the image
    let deps: Api<Deployment> = Api::namespaced(c.clone(), "shop");
    let patch: json_patch::Patch = serde_json::from_value(serde_json::json!([
        {"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "ghcr.io/acme/checkout:9.9.9"}
    ]))
    .expect("patch");
    deps.patch(
        "checkout",
        &PatchParams::default(),
        &Patch::Json::<()>(patch),
    )
    .await
    .expect("patch the image");
    let mut done = false;
    for _ in 0..60 {
        admin(&sb, "time/advance?seconds=10", "").await;
        let before = before.clone();
        done = drive(&mut st, &mut rx, Duration::from_millis(700), move |s| {
            let joined = s
                .logs
                .pods
                .iter()
                .any(|p| !before.contains(&p.name) && p.state == PodState::Streaming);
            let ended = s
                .logs
                .pods
                .iter()
                .any(|p| before.contains(&p.name) && p.state == PodState::Ended);
            joined && ended
        })
        .await;
        if done {
            break;
        }
    }
    assert!(
        done,
        "no new pod joined or no old pod ended: {:?}",
        st.logs.pods
    );
    let text = messages(&st);
    assert!(
        text.iter()
            .any(|m| m.starts_with("+ ") && m.ends_with(" joined"))
    );
    assert!(
        text.iter()
            .any(|m| m.starts_with("− ") && m.contains("ended"))
    );
    for h in handles {
        h.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_json_is_parsed_and_a_reconnect_drops_duplicates() {
    let sb = start(Scenario::Steady).await;
    let (mut st, mut rx, handles, pod) = follow_a_cart_pod(&sb).await;
    assert!(
        drive(&mut st, &mut rx, Duration::from_secs(60), |s| !s
            .logs
            .entries
            .is_empty())
        .await
    );
    // the seed's JSON: level, component and message out of the object, the rest kept
    let structured = st
        .logs
        .entries
        .iter()
        .find(|e| e.line.component.is_some())
        .expect("a structured line");
    assert!(structured.line.level.is_some());
    assert!(structured.line.app_time.is_some());
    assert!(!structured.line.message.is_empty());
    assert!(structured.line.fields.iter().any(|(k, _)| k == "requestId"));
    assert!(structured.line.fields.iter().any(|(k, _)| k == "metadata"));

    append(&sb, &pod, b"marker one before the drop".to_vec()).await;
    assert!(
        drive(&mut st, &mut rx, Duration::from_secs(30), |s| messages(s)
            .iter()
            .any(|m| m == "marker one before the drop"))
        .await
    );
    let held = st.logs.entries.len();
    // cut every followed stream: the source re-attaches with sinceTime and drops repeats
    admin(&sb, "faults/drop-watches", "").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    append(&sb, &pod, b"marker two after the drop".to_vec()).await;
    assert!(
        drive(&mut st, &mut rx, Duration::from_secs(30), |s| messages(s)
            .iter()
            .any(|m| m == "marker two after the drop"))
        .await,
        "the stream did not come back: {:?} {:?}",
        st.logs.pods,
        messages(&st).iter().rev().take(5).collect::<Vec<_>>()
    );
    let text = messages(&st);
    assert_eq!(
        text.iter()
            .filter(|m| *m == "marker one before the drop")
            .count(),
        1,
        "a line seen before the drop came again"
    );
    assert_eq!(
        st.logs.entries.len(),
        held + 1,
        "duplicates after the reconnect"
    );
    for h in handles {
        h.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn previous_shows_the_crash_with_its_stack_trace() {
    let sb = start(Scenario::BadRelease).await;
    let c = client(&sb).await;
    let pods: Api<Pod> = Api::namespaced(c.clone(), "shop");
    let crashing = pods
        .list(&ListParams::default().labels("app=checkout"))
        .await
        .expect("list")
        .items
        .into_iter()
        .find(|p| {
            p.status
                .as_ref()
                .and_then(|s| s.container_statuses.as_ref())
                .is_some_and(|cs| cs.iter().any(|c| c.restart_count > 0))
        })
        .and_then(|p| p.metadata.name)
        .expect("a crash-looping pod");
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut handles = Vec::new();
    let mut st = state();
    let effects = logs::follow(
        &mut st,
        LogTarget::Pods {
            namespace: "shop".into(),
            pods: vec![crashing],
        },
    );
    run_effects(effects, &c, &tx, &mut handles);
    // `p` toggles previous: a new stream of the last terminated container
    let effects = apply(&mut st, Action::LogsPrevious);
    assert!(st.logs.opts.previous);
    run_effects(effects, &c, &tx, &mut handles);
    assert!(
        drive(&mut st, &mut rx, Duration::from_secs(60), |s| s
            .logs
            .pods
            .iter()
            .any(|p| p.state == PodState::Ended))
        .await
    );
    let panic = st
        .logs
        .entries
        .iter()
        .find(|e| e.line.message.starts_with("panic: runtime error"))
        .expect("the panic line");
    // the stack trace stays with the panic
    assert!(
        panic
            .line
            .cont
            .iter()
            .any(|l| l.starts_with("goroutine 87"))
    );
    assert!(panic.line.cont.iter().any(|l| l.contains("client.go:142")));
    for h in handles {
        h.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbidden_logs_say_rbac() {
    let sb = start(Scenario::Steady).await;
    // `get` is refused; listing the pods still works
    let r = reqwest::Client::new()
        .post(format!("{}/faults", sb.admin_url()))
        .json(&serde_json::json!({"forbid": [{"verb": "get", "namespace": "shop"}]}))
        .send()
        .await
        .expect("faults");
    assert!(r.status().is_success());
    let (mut st, mut rx, handles, _) = follow_a_cart_pod(&sb).await;
    assert!(
        drive(&mut st, &mut rx, Duration::from_secs(30), |s| s
            .logs
            .forbidden
            .is_some())
        .await
    );
    let msg = st.logs.forbidden.clone().unwrap_or_default();
    assert!(
        msg.contains("RBAC") && msg.contains("kubectl auth can-i"),
        "{msg}"
    );
    assert!(matches!(
        st.source(SourceId::Logs),
        Some(SourceStatus::Failing { .. })
    ));
    for h in handles {
        h.abort();
    }
}

/// Hostile bytes appended through the admin endpoint reach the screen neutralised.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_bytes_through_the_api_never_reach_the_screen() {
    let sb = start(Scenario::Steady).await;
    let (mut st, mut rx, handles, pod) = follow_a_cart_pod(&sb).await;
    assert!(
        drive(&mut st, &mut rx, Duration::from_secs(60), |s| !s
            .logs
            .entries
            .is_empty())
        .await
    );
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let known: [&[u8]; 6] = [
        b"\x1b]52;c;ZXZpbA==\x07",
        b"\x1b]0;owned\x1b\\",
        b"\x1b[2J\x1b[H",
        b"\xc2\x9b31m",
        b"\x1b]8;;http://evil\x07link\x1b]8;;\x07",
        b"\xff\xfe\x00\x07\x08\r",
    ];
    for i in 0..40 {
        let mut line = format!("fuzz {i} ").into_bytes();
        for _ in 0..8 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            if rng.is_multiple_of(3) {
                line.extend_from_slice(known[(rng >> 8) as usize % known.len()]);
            } else {
                line.push((rng >> 16) as u8);
            }
        }
        // newlines would split the line; the API treats the body as one line
        line.retain(|b| *b != b'\n');
        append(&sb, &pod, line).await;
    }
    assert!(
        drive(&mut st, &mut rx, Duration::from_secs(30), |s| messages(s)
            .iter()
            .any(|m| m.starts_with("fuzz 39")))
        .await
    );
    let mut term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    term.draw(|f| flightdeck::ui::render(&st, f)).expect("draw");
    for cell in term.backend().buffer().content() {
        assert!(
            !cell.symbol().chars().any(|c| c.is_control()),
            "control character on screen: {:?}",
            cell.symbol()
        );
    }
    for h in handles {
        h.abort();
    }
}
