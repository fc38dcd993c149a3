//! Argo Rollouts in the Workloads pane, with the real watchers against the sandbox's
//! Rollouts controller and the state fed through `update`: discovery (nothing asked again
//! and nothing polled where the CRD is absent), the rows beside Deployments and under
//! `:rollouts`, the step track and the analysis in the detail view, the pause reasons, a
//! failing analysis aborting the canary with no key pressed, and the incident hint.

use crate::support;
use crate::support::common;

use flightdeck::app::panes::workloads::rollouts::track_text;
use flightdeck::app::panes::workloads::{Detail, DetailTarget, WorkloadRef, table_keys};
use flightdeck::app::state::State;
use flightdeck::app::{Event, hint, update};
use flightdeck::pane::PaneId;
use flightdeck::sources::kube::model::RolloutPhase;
use flightdeck::sources::kube::{ObjKey, WorkloadKind};
use flightdeck::sources::metrics::{MetricsUpdate, Point, RevisionPoint, ServicePoints};
use flightdeck_sandbox::Scenario;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use support::workloads::{Harness, synced};

fn key(name: &str) -> ObjKey {
    ObjKey::new("shop", name)
}

fn screen(s: &State, w: u16, h: u16) -> String {
    let mut s = s.clone();
    s.size = (w, h);
    s.zoomed = true;
    s.focus = PaneId::Workloads;
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    t.draw(|f| flightdeck::ui::render(&s, f)).expect("draw");
    common::text(t.backend().buffer())
}

fn detail(s: &mut State, name: &str) -> String {
    s.workloads.detail = Some(Detail {
        target: DetailTarget::Workload(WorkloadRef::new(WorkloadKind::Rollout, key(name))),
        scroll: 0,
    });
    let out = screen(s, 160, 50);
    s.workloads.detail = None;
    out
}

#[tokio::test]
async fn without_the_crd_rollouts_are_asked_about_once_and_never_polled() {
    // the watchers' clocks shortened so that every loop goes round several times within
    // seconds: each watch resumed every second, the contact probe every second, retries
    // at most a second apart (the console's: 120 s, 10 s, 30 s). A re-discovery on any of
    // those paths, or on a timer of its own no longer than them, shows in the count below
    let timings = flightdeck::sources::kube::watch::Timings {
        watch_timeout_secs: 1,
        stale_after: std::time::Duration::from_secs(3),
        backoff_max: std::time::Duration::from_secs(1),
    };
    let longest = [
        std::time::Duration::from_secs(u64::from(timings.watch_timeout_secs)),
        timings.stale_after / 3,
        timings.backoff_max,
    ]
    .into_iter()
    .max()
    .expect("intervals");
    let sb = support::workloads::sandbox(Scenario::Steady).await;
    let mut h = Harness::on_timed(sb, Some("shop"), timings).await;
    h.until("all kinds listed", synced).await;
    assert_eq!(h.state.cluster.rollouts_served, Some(false));
    // counted on the server: what each loop asked
    let count = |h: &Harness, what: &dyn Fn(&flightdeck_sandbox::ServedRequest) -> bool| {
        h.sb.requests().iter().filter(|r| what(r)).count()
    };
    let is_list = |r: &flightdeck_sandbox::ServedRequest| {
        r.path.ends_with("/deployments") && !r.query.as_deref().unwrap_or("").contains("watch")
    };
    let is_watch = |r: &flightdeck_sandbox::ServedRequest| {
        r.path.ends_with("/deployments") && r.query.as_deref().unwrap_or("").contains("watch")
    };
    let is_probe = |r: &flightdeck_sandbox::ServedRequest| r.path == "/version";
    let (lists0, watches0, probes0) = (
        count(&h, &is_list),
        count(&h, &is_watch),
        count(&h, &is_probe),
    );
    // every watcher goes round again on every path: the API server restarts (every stream
    // ends, old resourceVersions are gone) and the watchers re-list; simulated time moves
    // on ten minutes; then every request fails for a while (retries after backoff); and
    // then wall time passes, several times the longest interval, watches resuming
    h.admin("restart?fresh_store=true", "").await;
    h.admin("time/advance?seconds=600", "").await;
    h.until("every kind listed again", |s| {
        synced(s) && s.cluster.failures.is_empty()
    })
    .await;
    h.admin(
        "faults",
        r#"{"error_rate": 1.0, "error_path_prefix": "/api"}"#,
    )
    .await;
    // the failure seen as it happens (a success elsewhere, such as the contact probe,
    // may clear it again: a look after the window could miss it), then the retries go on
    h.until("the failing server seen", |s| {
        !s.cluster.failures.is_empty()
    })
    .await;
    let failing_until = std::time::Instant::now() + longest * 3;
    while std::time::Instant::now() < failing_until {
        h.drain().await;
    }
    h.admin("faults", r#"{"error_rate": 0.0}"#).await;
    h.admin("time/advance?seconds=600", "").await;
    h.until("every kind listed again", |s| {
        synced(s) && s.cluster.failures.is_empty()
    })
    .await;
    let quiet_until = std::time::Instant::now() + longest * 5;
    while std::time::Instant::now() < quiet_until {
        h.drain().await;
    }
    let argo: Vec<_> =
        h.sb.requests()
            .into_iter()
            .filter(|r| r.path.contains("argoproj.io"))
            .collect();
    assert_eq!(
        argo.len(),
        1,
        "one discovery request and nothing else: {argo:?}"
    );
    assert_eq!(argo[0].path, "/apis/argoproj.io/v1alpha1");
    // each loop went round several times, seen on the server
    let (lists, watches, probes) = (
        count(&h, &is_list) - lists0,
        count(&h, &is_watch) - watches0,
        count(&h, &is_probe) - probes0,
    );
    assert!(
        lists >= 2,
        "re-lists after the restart and after the failures: {lists}"
    );
    assert!(watches >= 4, "watches resumed every second: {watches}");
    assert!(probes >= 4, "contact probes every second: {probes}");
    assert!(h.state.cluster.rollouts.is_empty());
    let text = screen(&h.state, 160, 40);
    assert!(!text.contains("rollout"), "{text}");
    assert!(
        h.state.cluster.failures.is_empty(),
        "no error shown: {:?}",
        h.state.cluster.failures
    );
}

#[tokio::test]
async fn paused_canary_and_blue_green_show_their_steps_services_and_the_hint() {
    let mut h = Harness::start(Scenario::CanaryPaused, Some("shop")).await;
    h.until("all kinds listed", synced).await;
    h.until("both rollouts", |s| s.cluster.rollouts.len() == 2)
        .await;
    update::settle(&mut h.state);
    let s = &mut h.state;
    // beside the Deployments at start, with their kind
    let shown = table_keys(s).into_owned();
    assert!(
        shown.contains(&WorkloadRef::new(WorkloadKind::Rollout, key("checkout")))
            && shown.iter().any(|w| w.kind == WorkloadKind::Deployment),
        "{shown:?}"
    );
    let table = screen(s, 160, 40);
    assert!(
        table.lines().any(|l| l.contains("checkout")
            && l.contains("ro")
            && l.contains("Paused (CanaryPauseStep)")),
        "{table}"
    );
    let r = &s.cluster.rollouts[&key("checkout")];
    assert_eq!(r.phase(), RolloutPhase::Paused("CanaryPauseStep".into()));
    assert_eq!(
        track_text(r),
        "10% ✓ · pause 60s ✓ · analysis ✓ · 50% ✓ · pause ▶ · 100%"
    );
    let bg = &s.cluster.rollouts[&key("search")];
    assert_eq!(bg.phase(), RolloutPhase::Paused("BlueGreenPause".into()));
    // :rollouts narrows to them, with the plugin's columns
    update::run_command(s, "rollouts");
    update::settle(s);
    let only = table_keys(s).into_owned();
    assert!(
        only.iter().all(|w| w.kind == WorkloadKind::Rollout),
        "{only:?}"
    );
    assert_eq!(only.len(), 2);
    let table = screen(s, 160, 40);
    assert!(
        table.contains("STRATEGY") && table.contains("SET-WEIGHT") && table.contains("4/6"),
        "{table}"
    );
    let d = detail(s, "checkout");
    assert!(
        d.contains("10% ✓ · pause 60s ✓ · analysis ✓ · 50% ✓ · pause ▶ · 100%"),
        "{d}"
    );
    assert!(
        d.contains("Weight        set 50% | actual 50%") || d.contains("set 50% | actual 50%"),
        "{d}"
    );
    assert!(d.contains("Stable") && d.contains("Canary"), "{d}");
    assert!(
        d.contains("Analysis checkout-") && d.contains("error-rate"),
        "{d}"
    );
    let d = detail(s, "search");
    assert!(d.contains("blueGreen"), "{d}");
    assert!(
        d.contains("search-active →") && d.contains("search-preview →"),
        "{d}"
    );
    // the canary paused for a person is the hint's first concern
    let text = hint::incident_hint(s).expect("a hint");
    assert_eq!(
        text,
        "⚠ checkout canary paused at 50% (CanaryPauseStep) — P promotes, A aborts"
    );
}

#[tokio::test]
async fn a_failing_analysis_aborts_the_canary_and_the_hint_says_why() {
    let mut h = Harness::start(Scenario::Canary, Some("shop")).await;
    h.until("all kinds listed", synced).await;
    h.until("the canary at 10%", |s| {
        s.cluster
            .rollouts
            .get(&key("checkout"))
            .is_some_and(|r| r.set_weight() == Some(10))
    })
    .await;
    // the error-rate pane's per-revision numbers at 10 %: the canary's errors name it
    let r = h.state.cluster.rollouts[&key("checkout")].clone();
    let (canary, stable) = (
        r.canary_hash.clone().unwrap(),
        r.stable_hash.clone().unwrap(),
    );
    let at_ms = h.state.now.as_millisecond();
    let mut m = MetricsUpdate::new(h.state.now);
    m.points.push(ServicePoints {
        service: "checkout".into(),
        points: vec![Point {
            at_ms,
            error_ratio: 0.02,
            request_rate: 80.0,
            p95_seconds: 0.1,
        }],
        by_revision: vec![
            RevisionPoint {
                revision: canary.clone(),
                at_ms,
                error_ratio: 0.18,
                request_rate: 8.0,
            },
            RevisionPoint {
                revision: stable.clone(),
                at_ms,
                error_ratio: 0.004,
                request_rate: 72.0,
            },
        ],
    });
    update(&mut h.state, Event::Metrics(m));
    let text = hint::incident_hint(&h.state).expect("a hint");
    assert_eq!(
        text,
        "⚠ checkout canary at 10 % has 18.0 % errors (stable 0.4 %) — A aborts"
    );
    // no key pressed: the analysis fails and the controller aborts
    h.admin("time/advance?seconds=120", "").await;
    h.until("the canary aborted", |s| {
        s.cluster
            .rollouts
            .get(&key("checkout"))
            .is_some_and(|r| r.abort)
    })
    .await;
    h.until("the failed analysis", |s| {
        s.cluster
            .analysis_runs
            .values()
            .any(|a| a.phase == "Failed")
    })
    .await;
    update::settle(&mut h.state);
    let r = &h.state.cluster.rollouts[&key("checkout")];
    assert_eq!(r.phase(), RolloutPhase::Aborted);
    assert_eq!(
        track_text(r),
        "10% ✓ · pause 60s ✓ · analysis ✗ · 50% · pause · 100%"
    );
    let text = hint::incident_hint(&h.state).expect("a hint");
    assert_eq!(
        text,
        "⚠ checkout canary aborted at step 2/6: analysis error-rate failed; traffic is on stable — R rolls the template back"
    );
    let d = detail(&mut h.state, "checkout");
    // one step convention (the plugin's STEP column) in the hint and the detail
    assert!(d.contains("step 2/6"), "{d}");
    assert!(d.contains("Aborted"), "{d}");
    assert!(
        d.contains("error-rate") && d.contains("Failed") && d.contains("[0.18]✗"),
        "{d}"
    );
}
