//! The incident hint end to end: in `bad-release` the real watchers and the real direct
//! scrape feed one State; the Workloads pane then names the deployment, what is wrong
//! (crash loops and the 5xx ratio the error-rate pane measured since the rollout), the
//! revision it started with, and the key that rolls back. After a rollback it goes away.

use crate::support;
use crate::support::common;

use std::time::Duration;

use flightdeck::app::{Event, PaneId, update};
use flightdeck::config::Config;
use flightdeck::sources::kube::model::PodReason;
use flightdeck::sources::metrics::Target;
use flightdeck::sources::metrics::direct::spawn_direct;
use flightdeck_sandbox::Scenario;
use support::workloads::{Harness, synced};
use tokio::sync::mpsc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_release_hint_names_crash_loops_and_the_measured_error_ratio() {
    let mut h = Harness::start(Scenario::BadRelease, Some("shop")).await;
    let mut toml = String::from("[metrics]\nthreshold = 0.05\n");
    for (service, url) in h.sb.metrics_targets() {
        toml.push_str(&format!(
            "[[metrics.target]]\nservice = \"{service}\"\nurl = \"{url}\"\n"
        ));
    }
    let (config, diags) = Config::parse_lenient("sandbox.toml", &toml);
    assert!(diags.is_empty(), "{diags:?}");
    h.state.config = std::sync::Arc::new(config);
    h.until("all kinds listed", synced).await;
    h.until("checkout crash-looping", |s| {
        s.cluster
            .pods
            .values()
            .any(|p| p.key.name.starts_with("checkout") && p.reason == PodReason::CrashLoopBackOff)
    })
    .await;

    // the direct scrape, with simulated traffic moving on between scrapes
    let (tx, mut rx) = mpsc::unbounded_channel();
    let targets =
        h.sb.metrics_targets()
            .into_iter()
            .map(|(service, url)| Target { service, url })
            .collect();
    let scrape = spawn_direct(targets, Duration::from_millis(200), move |u| {
        tx.send(u).is_ok()
    });
    let mut ratio = None;
    for _ in 0..30 {
        let u = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("a scrape within 20 s")
            .expect("scraping");
        update(&mut h.state, Event::Metrics(u));
        ratio = h
            .state
            .errors
            .service("checkout")
            .and_then(|s| s.max_ratio_since(0))
            .filter(|r| *r > 0.1);
        if ratio.is_some() {
            break;
        }
        support::workloads::admin(&h.sb, "time/advance?seconds=30", "").await;
    }
    let ratio = ratio.expect("checkout's 5xx ratio rises above 10% in bad-release");
    h.drain().await;
    h.state.now = jiff::Timestamp::now();
    update::settle(&mut h.state);

    let hint = flightdeck::app::hint::incident_hint(&h.state).expect("a hint");
    assert!(hint.starts_with("⚠ checkout: "), "{hint}");
    let crash_looping = h
        .state
        .cluster
        .pods
        .values()
        .filter(|p| p.reason == PodReason::CrashLoopBackOff)
        .count();
    let counted = match crash_looping {
        1 => "1 pod crash-looping".to_owned(),
        n => format!("{n} pods crash-looping"),
    };
    assert!(hint.contains(&counted), "{counted}: {hint}");
    assert!(hint.contains("error ratio "), "{hint}");
    assert!(hint.contains("since revision 4"), "{hint}");
    assert!(hint.ends_with("R rolls back"), "{hint}");
    // the ratio in the hint is the one the error-rate pane measured since the rollout
    let shown: f64 = hint
        .split("error ratio ")
        .nth(1)
        .and_then(|t| t.split('%').next())
        .and_then(|n| n.parse().ok())
        .expect("a percentage");
    assert!(
        shown >= 10.0 && shown <= ratio * 100.0 + 0.05,
        "{hint} vs {ratio}"
    );
    h.state.size = (160, 48);
    assert!(
        common::screen(&h.state).contains("⚠ checkout:"),
        "the pane shows it"
    );

    // from a pane with no selection of its own for it (Logs, Error rate, Pipeline) the
    // hint's key acts on the deployment the hint names, and the dialog shows it
    for pane in [PaneId::Logs, PaneId::Errors, PaneId::Pipeline] {
        let mut from = h.state.clone();
        from.focus = pane;
        let effects = update(
            &mut from,
            Event::Key(crossterm::event::KeyEvent::from(
                crossterm::event::KeyCode::Char('R'),
            )),
        );
        let asked = format!("{:?} {effects:?}", from.overlay);
        assert!(
            asked.contains("name: \"checkout\"") && asked.contains("namespace: \"shop\""),
            "{pane:?}: R opens checkout's rollback: {asked}\nflash: {:?}",
            from.flash
        );
    }

    // where the environment has no error-rate numbers the hint says so (never borrows)
    let mut none = h.state.clone();
    let mut cfg = (*none.config).clone();
    cfg.environments = Config::parse_lenient(
        "e.toml",
        "[[environment]]\nname = \"prod\"\nnamespace = \"shop\"\n",
    )
    .0
    .environments;
    none.config = std::sync::Arc::new(cfg);
    none.errors = Default::default();
    let hint = flightdeck::app::hint::incident_hint(&none).expect("the crash loops still");
    assert!(!hint.contains("error ratio"), "{hint}");
    assert!(
        hint.contains("crash-looping (no error-rate data for prod) since revision 4"),
        "{hint}"
    );

    // under --read-only no operation can be sent: the hint offers no key, and says why
    let mut read_only = h.state.clone();
    read_only.scope.read_only = true;
    let hint = flightdeck::app::hint::incident_hint(&read_only).expect("still a hint");
    assert!(hint.starts_with("⚠ checkout: "), "{hint}");
    assert!(!hint.contains("rolls back"), "{hint}");
    assert!(
        hint.ends_with(" — read-only: no operation offered"),
        "{hint}"
    );
    // one pod is one pod
    let mut one = h.state.clone();
    let crashing: Vec<_> = one
        .cluster
        .pods
        .iter()
        .filter(|(_, p)| p.reason == PodReason::CrashLoopBackOff)
        .map(|(k, _)| k.clone())
        .collect();
    assert!(!crashing.is_empty(), "{crashing:?}");
    for k in &crashing[1..] {
        if let Some(p) = one.cluster.pods.get_mut(k) {
            p.reason = PodReason::Running;
        }
    }
    let hint = flightdeck::app::hint::incident_hint(&one).expect("one crash loop");
    assert!(hint.contains(": 1 pod crash-looping, "), "{hint}");

    // above the threshold but not crash-looping: the ratio alone is reason enough
    let mut quiet = h.state.clone();
    for p in quiet.cluster.pods.values_mut() {
        p.reason = PodReason::Running;
    }
    let hint = flightdeck::app::hint::incident_hint(&quiet).expect("the ratio alone");
    assert!(!hint.contains("crash"), "{hint}");
    assert!(hint.contains("error ratio "), "{hint}");
    // and below it, no hint at all
    let mut strict = (*quiet.config).clone();
    strict.metrics.as_mut().expect("metrics").threshold = 0.99;
    quiet.config = std::sync::Arc::new(strict);
    assert_eq!(flightdeck::app::hint::incident_hint(&quiet), None);

    // the view reads the hint that settle worked out; a tick past the window clears it
    let now = flightdeck::app::hint::incident_hint(&h.state);
    assert!(now.is_some());
    assert_eq!(h.state.hint, now);
    let later = h.state.now + jiff::SignedDuration::from_mins(16);
    h.state.dirty = false;
    flightdeck::app::update(&mut h.state, flightdeck::app::Event::Tick(later));
    assert_eq!(
        h.state.hint, None,
        "15 minutes after the rollout the hint is gone"
    );
    assert!(h.state.dirty, "and the pane is redrawn without it");
    assert!(!common::screen(&h.state).contains("⚠ checkout:"));
    scrape.abort();
}
