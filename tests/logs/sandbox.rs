//! The logs source against the sandbox's Kubernetes API with the real kube client: a
//! deployment followed across a rollout, the seed's JSON format, `previous` after a crash,
//! reconnect without duplicates, RBAC, hostile bytes through the admin endpoint, a
//! deleted or stuck-terminating pod, and a 2 MB line. Helpers: `tests/support/logs.rs`.

use crate::support;
use crate::support::common;

use std::collections::BTreeSet;
use std::time::Duration;

use flightdeck::app::Action;
use flightdeck::app::panes::logs::{self, PodState};
use flightdeck::app::state::{SourceId, SourceStatus};
use flightdeck::app::update::apply;
use flightdeck::sources::logs::LogTarget;
use flightdeck_sandbox::Scenario;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, Patch, PatchParams};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

use support::logs::*;

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
    let _ = flightdeck::applog::init(log::LevelFilter::Info);
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
    // the console's own log says so in words, with the local time it resumed from
    let log = console_log(&mut st);
    let said = log
        .iter()
        .find(|l| l.contains(&format!("logs: {pod} re-attached")))
        .unwrap_or_else(|| panic!("no re-attach line: {log:#?}"));
    assert!(said.contains("re-attached, resuming from "), "{said}");
    assert!(!said.contains("Some(") && !said.contains("Z)"), "{said}");
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

/// Items 4 and 10: a pod deleted through the API leaves the legend (and the title's
/// count), and nothing asks for it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_pod_leaves_the_legend_and_its_follower_stops() {
    let sb = start(Scenario::Steady).await;
    let c = client(&sb).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut handles = Vec::new();
    let mut st = state();
    let effects = logs::follow(
        &mut st,
        LogTarget::Selector {
            namespace: "shop".into(),
            selector: "app=cart".into(),
            label: "cart".into(),
        },
    );
    run_effects(effects, &c, &tx, &mut handles);
    let n = pod_names(&c, "app=cart").await.len();
    assert!(n > 1);
    assert!(
        drive(&mut st, &mut rx, Duration::from_secs(60), |s| s
            .logs
            .pods
            .iter()
            .filter(|p| p.state == PodState::Streaming)
            .count()
            == n)
        .await,
        "not every pod attached: {:?}",
        st.logs.pods
    );
    let victim = st.logs.pods[0].clone();
    assert!(header(&st).contains(&victim.suffix));
    let pods: Api<Pod> = Api::namespaced(c.clone(), "shop");
    pods.delete(&victim.name, &Default::default())
        .await
        .expect("delete");
    let name = victim.name.clone();
    assert!(
        drive(&mut st, &mut rx, Duration::from_secs(30), move |s| s
            .logs
            .pods
            .iter()
            .any(|p| p.name == name && p.state == PodState::Ended))
        .await,
        "the deleted pod did not end: {:?}",
        st.logs.pods
    );
    let head = header(&st);
    assert!(
        !head.contains(&victim.suffix),
        "still in the legend: {head}"
    );
    // the legend: exactly the pods the API lists now (a replacement may have joined)
    let now: BTreeSet<String> = pod_names(&c, "app=cart").await.into_iter().collect();
    let want = now.clone();
    drive(&mut st, &mut rx, Duration::from_secs(30), move |s| {
        s.logs
            .following()
            .map(|p| p.name.clone())
            .collect::<BTreeSet<_>>()
            == want
    })
    .await;
    let followed: BTreeSet<String> = st.logs.following().map(|p| p.name.clone()).collect();
    assert_eq!(followed, now);
    let legend = followed.len();
    let screen = common::cells(&common::draw_at(&st, 120, 40));
    // the title counts the pods streaming, of the legend's
    let streaming = st.logs.streaming();
    let title = if streaming == legend {
        format!("cart ({legend} pods)")
    } else {
        format!("cart ({streaming} of {legend} pods streaming)")
    };
    assert!(
        screen.contains(&title),
        "the title disagrees with the legend: {screen}"
    );
    // nothing asks for the deleted pod any more, across several retry periods
    forget_requests(&sb).await;
    drive(&mut st, &mut rx, Duration::from_secs(3), |_| false).await;
    assert_eq!(requests_for(&sb, &victim.name), Vec::<String>::new());
    for h in handles {
        h.abort();
    }
}

/// Item 10: a pod being deleted that stays in Terminating (a finalizer holds it) while its
/// log can no longer be read is not retried forever: the follower stops and says why.
/// The sandbox lets a patch set `deletionTimestamp`, which stands in for that pod.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pod_stuck_terminating_is_not_followed_forever() {
    let sb = start(Scenario::Steady).await;
    let (mut st, mut rx, handles, pod) = follow_a_cart_pod(&sb).await;
    assert!(
        drive(&mut st, &mut rx, Duration::from_secs(60), |s| !s
            .logs
            .entries
            .is_empty())
        .await
    );
    // the kubelet no longer serves its log
    let r = reqwest::Client::new()
        .post(format!("{}/faults", sb.admin_url()))
        .json(&serde_json::json!({
            "error_rate": 1.0,
            "error_path_prefix": format!("/api/v1/namespaces/shop/pods/{pod}/log"),
        }))
        .send()
        .await
        .expect("faults");
    assert!(r.status().is_success());
    let c = client(&sb).await;
    let pods: Api<Pod> = Api::namespaced(c, "shop");
    pods.patch(
        &pod,
        &PatchParams::default(),
        &Patch::Merge(serde_json::json!({
            "metadata": {"deletionTimestamp": "2026-01-01T00:00:00Z"}
        })),
    )
    .await
    .expect("mark the pod deleted");
    admin(&sb, "faults/drop-watches", "").await;
    assert!(
        drive(&mut st, &mut rx, Duration::from_secs(30), |s| s
            .logs
            .pods
            .iter()
            .any(|p| p.state == PodState::Ended))
        .await,
        "the follower keeps retrying a deleted pod: {:?} {:?}",
        st.logs.pods,
        messages(&st).iter().rev().take(5).collect::<Vec<_>>()
    );
    assert!(
        messages(&st)
            .iter()
            .any(|m| m == &format!("− {pod} ended: pod deleted"))
    );
    assert_eq!(st.logs.following().count(), 0);
    assert!(!matches!(
        st.source(SourceId::Logs),
        Some(SourceStatus::Live { .. })
    ));
    forget_requests(&sb).await;
    drive(&mut st, &mut rx, Duration::from_secs(3), |_| false).await;
    assert_eq!(requests_for(&sb, &pod), Vec::<String>::new());
    for h in handles {
        h.abort();
    }
}

/// Item 10: a 2 MB line is cut while it is read and marked truncated exactly once, with
/// the whole count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_two_megabyte_line_is_marked_truncated_once() {
    let sb = start(Scenario::Steady).await;
    let (mut st, mut rx, handles, pod) = follow_a_cart_pod(&sb).await;
    assert!(
        drive(&mut st, &mut rx, Duration::from_secs(60), |s| !s
            .logs
            .entries
            .is_empty())
        .await
    );
    let size = 2_000_000;
    let mut big = b"huge-line ".to_vec();
    big.resize(size, b'x');
    append(&sb, &pod, big).await;
    assert!(
        drive(&mut st, &mut rx, Duration::from_secs(30), |s| messages(s)
            .iter()
            .any(|m| m.starts_with("huge-line ")))
        .await
    );
    let m = messages(&st)
        .into_iter()
        .find(|m| m.starts_with("huge-line "))
        .unwrap_or_default();
    assert_eq!(
        m.matches("line truncated").count(),
        1,
        "{}",
        &m[m.len() - 200..]
    );
    assert!(
        m.ends_with(&format!(
            " … [line truncated: {} more bytes]",
            size - flightdeck::sources::logs::ingest::MAX_LINE
        )),
        "{}",
        &m[m.len() - 80..]
    );
    let screen = common::cells(&common::draw_at(&st, 120, 40));
    assert!(screen.matches("line truncated").count() <= 1, "{screen}");
    for h in handles {
        h.abort();
    }
}

/// #18 item 3: looking at another deployment and coming back shows the earlier lines (the
/// panic that explains the incident included, as one record), then what arrived meanwhile,
/// nothing twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_the_selection_away_and_back_keeps_the_earlier_lines() {
    let sb = start(Scenario::Steady).await;
    let c = client(&sb).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut handles = Vec::new();
    let mut st = state();
    let target = |app: &str| LogTarget::Selector {
        namespace: "shop".into(),
        selector: format!("app={app}"),
        label: app.into(),
    };
    let pods = pod_names(&c, "app=checkout").await;
    let n = pods.len();
    run_effects(
        logs::follow(&mut st, target("checkout")),
        &c,
        &tx,
        &mut handles,
    );
    assert!(
        // every pod attached and its tail read
        drive(&mut st, &mut rx, Duration::from_secs(60), |s| {
            s.logs.streaming() == n && s.logs.pods.iter().all(|p| p.last.is_some())
        })
        .await,
        "checkout never streamed: {:?}",
        st.logs.pods
    );
    // a Go panic written in one go through the raw-log route
    append(
        &sb,
        &pods[0],
        b"panic: boom\ngoroutine 1 [running]:\nmain.main()\n\t/app/main.go:5 +0x1d".to_vec(),
    )
    .await;
    let panic_record = |s: &flightdeck::app::state::State| {
        s.logs
            .entries
            .iter()
            .filter(|e| e.line.message == "panic: boom")
            .map(|e| e.line.cont.len())
            .collect::<Vec<_>>()
    };
    assert!(
        drive(&mut st, &mut rx, Duration::from_secs(30), |s| panic_record(
            s
        ) == [3])
        .await,
        "the panic is not one record: {:?}",
        messages(&st)
    );
    let logged = |s: &flightdeck::app::state::State| -> Vec<String> {
        s.logs
            .entries
            .iter()
            .filter(|e| e.line.kind == flightdeck::sources::logs::LineKind::Log)
            .map(|e| {
                let pod = s.logs.pod(e).map(|p| p.name.clone()).unwrap_or_default();
                format!("{pod} {:?}", e.line)
            })
            .collect()
    };
    let before = logged(&st);

    // away: cart's own lines
    run_effects(logs::follow(&mut st, target("cart")), &c, &tx, &mut handles);
    assert!(
        drive(&mut st, &mut rx, Duration::from_secs(60), |s| s
            .logs
            .has_output())
        .await
    );
    assert!(panic_record(&st).is_empty(), "cart shows checkout's lines");
    // checkout goes on while nobody looks
    append(&sb, &pods[0], b"said while away".to_vec()).await;
    admin(&sb, "time/advance?seconds=20", "").await;

    // back: the earlier lines at once, then the gap filled
    run_effects(
        logs::follow(&mut st, target("checkout")),
        &c,
        &tx,
        &mut handles,
    );
    assert_eq!(logged(&st), before, "the earlier lines are not back");
    assert!(
        drive(&mut st, &mut rx, Duration::from_secs(60), |s| {
            s.logs.streaming() == n
                && s.logs
                    .entries
                    .iter()
                    .any(|e| e.line.message == "said while away")
        })
        .await,
        "the gap is not filled: {:?}",
        messages(&st)
    );
    // let the re-read settle, then: nothing twice, the earlier lines first, in order
    drive(&mut st, &mut rx, Duration::from_secs(2), |_| false).await;
    let after = logged(&st);
    let differ = before.iter().zip(&after).position(|(a, b)| a != b);
    assert_eq!(
        differ,
        None,
        "held {} lines, now {}: {:?}",
        before.len(),
        after.len(),
        differ.map(|i| (&before[i], &after[i]))
    );
    let unique: BTreeSet<&String> = after.iter().collect();
    assert_eq!(unique.len(), after.len(), "a line came twice");
    assert_eq!(panic_record(&st), [3]);
    assert!(
        st.logs
            .entries
            .iter()
            .filter(|e| e.line.message == "said while away")
            .count()
            == 1
    );
    for h in handles {
        h.abort();
    }
}
