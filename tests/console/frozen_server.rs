//! A frozen API server — the sandbox as a process of its own, stopped with SIGSTOP: its
//! port still accepts connections, nothing answers, every open watch and log stream goes
//! silent — turns `k8s` and the `logs` streamed through it `stale` within the contact
//! bound (`[kube] stale_after_secs`, set low here), aged from the last contact rather
//! than from when a stream was given up; continued, both are live again. On a quiet
//! cluster the watches' bookmarks are contact.

use crate::support::common;
use crate::support::sandbox_process::SandboxProcess;

use std::sync::Arc;
use std::time::Duration;

use flightdeck::app::panes::logs;
use flightdeck::app::state::{FaceKind, SourceId, SourceStatus, State};
use flightdeck::app::{Event, update};
use flightdeck::sources::kube::watch;
use flightdeck::sources::logs::{LogTarget, spawn_follow};
use jiff::Timestamp;
use tokio::sync::mpsc;

type Rx = mpsc::UnboundedReceiver<Event>;

/// Feeds what the sources send into `update`, the clock following the wall clock, until
/// `done` holds; false if it did not within `cap` (a guard against a hang, not a timing).
async fn drive(s: &mut State, rx: &mut Rx, cap: Duration, done: impl Fn(&State) -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + cap;
    loop {
        s.now = Timestamp::now();
        if done(s) {
            return true;
        }
        let step = (tokio::time::Instant::now() + Duration::from_millis(200)).min(deadline);
        match tokio::time::timeout_at(step, rx.recv()).await {
            Ok(Some(ev)) => {
                s.now = Timestamp::now();
                update(s, ev);
            }
            Ok(None) => return false,
            Err(_) if tokio::time::Instant::now() >= deadline => return false,
            Err(_) => {}
        }
    }
}

fn kind(s: &State, id: SourceId) -> Option<FaceKind> {
    s.face(id).map(|f| f.kind)
}

fn in_contact(s: &State, id: SourceId) -> bool {
    matches!(kind(s, id), Some(FaceKind::Live | FaceKind::Quiet))
}

fn faces(s: &State) -> String {
    [SourceId::Kube, SourceId::Logs]
        .iter()
        .map(|id| format!("{} {:?}", id.label(), s.face(*id)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_api_server_turns_k8s_and_logs_stale_from_the_last_contact() {
    let sb = SandboxProcess::start("steady");
    let client = sb.client().await;
    let mut s = common::state_builder()
        .config_toml("[kube]\nstale_after_secs = 6\n")
        .namespace("shop")
        .at(Timestamp::now())
        .build();
    let (tx, mut rx) = mpsc::unbounded_channel::<Event>();
    let generation = s.generation;
    let kube_tx = tx.clone();
    let sink: watch::Sink =
        Arc::new(move |msg| kube_tx.send(Event::Kube { generation, msg }).is_ok());
    let watchers = tokio::spawn(watch::run_watchers_within(
        client.clone(),
        Some("shop".into()),
        s.config.kube.stale_after(),
        sink,
    ));
    let mut follows = Vec::new();
    for effect in logs::follow(
        &mut s,
        LogTarget::Selector {
            namespace: "shop".into(),
            selector: "app=checkout".into(),
            label: "checkout".into(),
        },
    ) {
        if let flightdeck::app::Effect::FollowLogs(mut req) = effect {
            // the console's own re-attach bound: a silent stream is not re-attached here
            req.opts.poll = Duration::from_millis(200);
            follows.extend(spawn_follow(
                client.clone(),
                req.target,
                req.opts,
                req.stream,
                flightdeck::console::logs_sink(&tx, req.generation),
            ));
        }
    }

    let both_in_contact =
        |s: &State| in_contact(s, SourceId::Kube) && in_contact(s, SourceId::Logs);
    assert!(
        drive(&mut s, &mut rx, Duration::from_secs(60), both_in_contact).await,
        "k8s and logs in contact before the freeze: {}",
        faces(&s)
    );

    let frozen_at = Timestamp::now();
    sb.freeze();
    let both_stale = |s: &State| {
        kind(s, SourceId::Kube) == Some(FaceKind::Stale)
            && kind(s, SourceId::Logs) == Some(FaceKind::Stale)
    };
    let turned = drive(&mut s, &mut rx, Duration::from_secs(60), both_stale).await;
    assert!(
        turned,
        "k8s and logs stale with the API server frozen: {}",
        faces(&s)
    );
    // aged from the last contact, which was at the freeze (what the server had sent
    // before it stopped may still be read after: half the bound of slack), never from when
    // a stream was given up
    let slack = jiff::SignedDuration::from_secs(3);
    for id in [SourceId::Kube, SourceId::Logs] {
        let status = s.source(id).expect("status");
        let contact = status.last_contact().expect("a last contact");
        assert!(
            contact <= frozen_at.checked_add(slack).expect("time"),
            "{}: {status:?}",
            id.label()
        );
        let face = s.face(id).expect("a face");
        assert!(
            face.text
                .starts_with(&format!("stale {}", flightdeck::text::age(contact, s.now))),
            "{}: {face:?}",
            id.label()
        );
    }
    let bar = common::text(&common::render(&mut s, 200, 30));
    let bar = bar.lines().last().unwrap_or_default().to_owned();
    assert!(bar.contains("k8s stale"), "{bar}");
    assert!(bar.contains("logs stale"), "{bar}");
    assert!(!bar.contains("quiet"), "{bar}");

    sb.thaw();
    assert!(
        drive(&mut s, &mut rx, Duration::from_secs(60), both_in_contact).await,
        "k8s and logs in contact again once the server answers: {}",
        faces(&s)
    );
    assert!(
        matches!(s.source(SourceId::Kube), Some(SourceStatus::Live { .. })),
        "{:?}",
        s.source(SourceId::Kube)
    );
    watchers.abort();
    for f in follows {
        f.abort();
    }
}

/// On a quiet cluster (the sandbox's time paused: nothing changes) the watches' bookmarks
/// prove contact: with the `/version` probe asked once at the start and then not for
/// minutes, Contact messages keep coming.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bookmarks_prove_contact_on_a_quiet_cluster() {
    use flightdeck::sources::kube::WorkloadsMsg;
    let sb = crate::support::logs::start(flightdeck_sandbox::Scenario::Steady).await;
    let client = crate::support::logs::client(&sb).await;
    let (tx, mut rx) = mpsc::unbounded_channel::<WorkloadsMsg>();
    let sink: watch::Sink = Arc::new(move |m| tx.send(m).is_ok());
    let task = tokio::spawn(watch::run_watchers_within(
        client,
        Some("shop".into()),
        Duration::from_secs(900),
        sink,
    ));
    let mut contacts = 0;
    // a guard against a hang, not a timing: the sandbox bookmarks every watch every 5 s
    let seen = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(m) = rx.recv().await {
            if matches!(m, WorkloadsMsg::Contact) {
                contacts += 1;
                if contacts >= 3 {
                    return true;
                }
            }
        }
        false
    })
    .await;
    assert_eq!(seen, Ok(true), "{contacts} contacts");
    task.abort();
}
