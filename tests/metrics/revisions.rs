//! Error rate per revision (`[metrics] revision_label`) in direct-scrape mode: the real task
//! and HTTP client against a loopback page whose two revisions' counters move on every
//! scrape, and the fold's rules per revision on handwritten pages.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use flightdeck::app::panes::errors::ErrorRateState;
use flightdeck::sources::exposition::parse;
use flightdeck::sources::metrics::direct::{DirectOptions, spawn_direct_with};
use flightdeck::sources::metrics::fold::DirectFold;
use flightdeck::sources::metrics::{RevisionLabel, StatusLabel, Target};
use tokio::sync::mpsc;

const STABLE: &str = "5b8e21aa9";
const CANARY: &str = "7f9c4d8b5";
const OLD: &str = "3c1d09f7e";

/// Page `n` (1 for the first scrape). Per scrape: the stable revision +199 ok and +1 5xx
/// (0.5 %), the canary +18 ok and +2 5xx (10 %, one by `code` only, as promhttp writes
/// it), a sidecar without the label +100 ok, and an old revision that gets nothing.
fn revisions_page(n: u64) -> String {
    format!(
        "# TYPE http_requests_total counter\n\
         http_requests_total{{service=\"checkout\",status=\"200\",rollouts_pod_template_hash=\"{STABLE}\"}} {}\n\
         http_requests_total{{service=\"checkout\",status=\"503\",rollouts_pod_template_hash=\"{STABLE}\"}} {}\n\
         http_requests_total{{service=\"checkout\",status=\"200\",rollouts_pod_template_hash=\"{CANARY}\"}} {}\n\
         http_requests_total{{service=\"checkout\",status=\"500\",rollouts_pod_template_hash=\"{CANARY}\"}} {n}\n\
         http_requests_total{{service=\"checkout\",code=\"502\",rollouts_pod_template_hash=\"{CANARY}\"}} {n}\n\
         http_requests_total{{service=\"checkout\",status=\"200\",rollouts_pod_template_hash=\"{OLD}\"}} 5000\n\
         http_requests_total{{service=\"checkout\",status=\"200\",container=\"sidecar\"}} {}\n",
        199 * n,
        n,
        18 * n,
        100 * n,
    )
}

/// Serves `app` on a loopback port of its own, in the background; its address.
async fn serve_app(app: Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_mode_counts_each_revision_and_leaves_the_service_as_it_was() {
    let scrapes = Arc::new(AtomicU64::new(0));
    let app = Router::new().route(
        "/metrics",
        get(move || {
            let n = scrapes.fetch_add(1, Ordering::SeqCst) + 1;
            async move { revisions_page(n) }
        }),
    );
    let addr = serve_app(app).await;
    let targets = vec![Target {
        service: "checkout".into(),
        url: format!("http://{addr}/metrics"),
    }];
    let (tx, mut rx) = mpsc::unbounded_channel();
    let task = spawn_direct_with(
        targets,
        Duration::from_millis(100),
        DirectOptions::default(),
        move |u| tx.send(u).is_ok(),
    );
    // the first update with points: the second scrape against the first
    let mut update = None;
    for _ in 0..100 {
        let u = rx.recv().await.expect("the source task is running");
        if !u.points.is_empty() {
            update = Some(u);
            break;
        }
    }
    drop(rx);
    task.await.expect("the task ends when the receiver is gone");
    let update = update.expect("a round with points");
    assert!(update.problems.is_empty(), "{update:?}");
    let checkout = &update.points[0];
    assert_eq!(checkout.service, "checkout");

    // the service: every series summed, labelled or not, as without revisions
    let overall = checkout.points[0];
    assert!(close(overall.error_ratio, 3.0 / 320.0), "{overall:?}");

    // per revision: the stable and the canary; the old one had no traffic, the sidecar
    // has no label
    let revisions: Vec<&str> = checkout
        .by_revision
        .iter()
        .map(|r| r.revision.as_str())
        .collect();
    assert_eq!(revisions, [STABLE, CANARY], "{checkout:?}");
    let stable = &checkout.by_revision[0];
    let canary = &checkout.by_revision[1];
    assert!(close(stable.error_ratio, 1.0 / 200.0), "{stable:?}");
    assert!(close(canary.error_ratio, 2.0 / 20.0), "{canary:?}");
    // the same seconds divide every rate: shares of the service's rate
    assert!(
        close(stable.request_rate / overall.request_rate, 200.0 / 320.0),
        "{stable:?} {overall:?}"
    );
    assert!(
        close(canary.request_rate / overall.request_rate, 20.0 / 320.0),
        "{canary:?} {overall:?}"
    );
    assert_eq!(stable.at_ms, overall.at_ms);

    // and the pane holds them beside the service
    let mut state = ErrorRateState::default();
    state.apply(update);
    let line = state.revision_line("checkout");
    let shown: Vec<(&str, String)> = line
        .iter()
        .map(|r| (r.label.as_str(), format!("{:.1}%", r.error_ratio * 100.0)))
        .collect();
    assert_eq!(
        shown,
        [
            ("7f9c4d", "10.0%".to_owned()),
            ("5b8e21", "0.5%".to_owned())
        ]
    );
}

/// A page of two revisions of `checkout`: `(ok, 5xx)` counters of each.
fn two_revisions(stable: (f64, f64), canary: (f64, f64)) -> String {
    format!(
        "http_requests_total{{service=\"checkout\",status=\"200\",version=\"v1\"}} {}\n\
         http_requests_total{{service=\"checkout\",status=\"503\",version=\"v1\"}} {}\n\
         http_requests_total{{service=\"checkout\",status=\"200\",version=\"v2\"}} {}\n\
         http_requests_total{{service=\"checkout\",status=\"503\",version=\"v2\"}} {}\n",
        stable.0, stable.1, canary.0, canary.1
    )
}

fn version_fold() -> DirectFold {
    DirectFold::new(StatusLabel::default()).with_revision_label(RevisionLabel("version".into()))
}

#[test]
fn the_configured_label_names_the_revisions() {
    let mut f = version_fold();
    let page = |n: f64| two_revisions((90.0 * n, 10.0 * n), (50.0 * n, 50.0 * n));
    let first = f
        .fold(&parse(&page(1.0)).expect("page"), "x", 0)
        .expect("fold");
    assert!(first.points.is_empty(), "the baseline: {first:?}");
    let folded = f
        .fold(&parse(&page(2.0)).expect("page"), "x", 10_000)
        .expect("fold");
    let sp = &folded.points[0];
    assert!(close(sp.points[0].error_ratio, 60.0 / 200.0), "{sp:?}");
    let got: Vec<(&str, f64, f64)> = sp
        .by_revision
        .iter()
        .map(|r| (r.revision.as_str(), r.error_ratio, r.request_rate))
        .collect();
    assert_eq!(got, [("v1", 0.1, 10.0), ("v2", 0.5, 10.0)]);
    // the default label is not on these series: no split at all
    let mut plain = DirectFold::new(StatusLabel::default());
    plain
        .fold(&parse(&page(1.0)).expect("page"), "x", 0)
        .expect("fold");
    let folded = plain
        .fold(&parse(&page(2.0)).expect("page"), "x", 10_000)
        .expect("fold");
    assert!(folded.points[0].by_revision.is_empty(), "{folded:?}");
}

#[test]
fn a_revision_with_a_glitch_gets_no_point_and_the_service_its_problem() {
    let mut f = version_fold();
    let text = two_revisions((1000.0, 10.0), (100.0, 1.0));
    f.fold(&parse(&text).expect("page"), "x", 0).expect("fold");
    // v1's ok counter dips 1000 → 990 (a glitch, not a reset); v2 is sound
    let text = two_revisions((990.0, 10.0), (190.0, 11.0));
    let folded = f
        .fold(&parse(&text).expect("page"), "x", 10_000)
        .expect("fold");
    assert_eq!(folded.problems.len(), 1, "{folded:?}");
    assert!(
        folded.problems[0]
            .problem
            .contains("went down from 1000 to 990"),
        "{folded:?}"
    );
    // the service: no point (as today); the sound revision keeps its own
    let sp = &folded.points[0];
    assert!(sp.points.is_empty(), "{sp:?}");
    let got: Vec<(&str, f64)> = sp
        .by_revision
        .iter()
        .map(|r| (r.revision.as_str(), r.error_ratio))
        .collect();
    assert_eq!(got, [("v2", 0.1)]);
    // and the pane still shows the service's problem, not a ratio
    let mut state = ErrorRateState::default();
    let mut update = flightdeck::sources::metrics::MetricsUpdate::new(jiff::Timestamp::now());
    update.points = folded.points;
    update.problems = folded.problems;
    state.apply(update);
    let checkout = state.service("checkout").expect("checkout");
    assert!(checkout.data_problem.is_some());
    assert!(checkout.error_ratio().is_nan());
}

#[test]
fn a_revision_whose_counters_did_not_move_drops_out() {
    let mut f = version_fold();
    let text = two_revisions((100.0, 0.0), (50.0, 5.0));
    f.fold(&parse(&text).expect("page"), "x", 0).expect("fold");
    let text = two_revisions((200.0, 0.0), (50.0, 5.0));
    let folded = f
        .fold(&parse(&text).expect("page"), "x", 10_000)
        .expect("fold");
    let revisions: Vec<&str> = folded.points[0]
        .by_revision
        .iter()
        .map(|r| r.revision.as_str())
        .collect();
    assert_eq!(revisions, ["v1"]);
}
