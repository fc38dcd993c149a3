use std::collections::HashMap;
use std::time::Duration;

use jiff::Timestamp;

use super::*;
use crate::app::panes::errors::revision_series::MAX_REVISIONS;
use crate::sources::metrics::model::{MetricsUpdate, Point, RevisionPoint, ServicePoints};

const T0: i64 = 1_795_402_800_000;

fn rev(revision: &str, at_ms: i64, error_ratio: f64) -> RevisionPoint {
    RevisionPoint {
        revision: revision.into(),
        at_ms,
        error_ratio,
        request_rate: 10.0,
    }
}

/// One round of `checkout` at `at_ms`, with these revisions.
fn round(at_ms: i64, revisions: Vec<RevisionPoint>) -> MetricsUpdate {
    let mut u = MetricsUpdate::new(Timestamp::from_millisecond(at_ms).expect("time"));
    let mut sp = ServicePoints::new(
        "checkout",
        vec![Point {
            at_ms,
            error_ratio: 0.02,
            request_rate: 100.0,
            p95_seconds: 0.1,
        }],
    );
    sp.by_revision = revisions;
    u.points.push(sp);
    u
}

fn state() -> ErrorRateState {
    ErrorRateState::new(Duration::from_secs(30 * 60), Duration::from_secs(2))
}

fn roles(pairs: &[(&str, RevisionRole)]) -> HashMap<(String, String), RevisionRole> {
    pairs
        .iter()
        .map(|(r, role)| (("checkout".to_owned(), (*r).to_owned()), *role))
        .collect()
}

#[test]
fn split_names_the_canary_and_the_stable_revision() {
    let mut s = state();
    s.apply(round(
        T0,
        vec![rev("5b8e21aa9", T0, 0.004), rev("7f9c4d8b5", T0, 0.182)],
    ));
    assert_eq!(s.revision_split("checkout"), None, "no roles: no split");
    s.set_revision_roles(roles(&[
        ("7f9c4d8b5", RevisionRole::Canary { weight: 10 }),
        ("5b8e21aa9", RevisionRole::Stable),
    ]));
    let split = s.revision_split("checkout").expect("split");
    assert_eq!(split.canary_revision, "7f9c4d8b5");
    assert_eq!(split.canary_weight, 10);
    assert!((split.canary_ratio - 0.182).abs() < 1e-12);
    assert_eq!(split.stable_revision, "5b8e21aa9");
    assert!((split.stable_ratio - 0.004).abs() < 1e-12);
    assert_eq!(split.worst(), RevisionRole::Canary { weight: 10 });
    assert_eq!(
        split.summary(),
        "canary at 10 % has 18.2 % errors (stable 0.4 %)"
    );
}

#[test]
fn a_bad_stable_is_the_worst_one() {
    let mut s = state();
    s.apply(round(T0, vec![rev("aaa", T0, 0.3), rev("bbb", T0, 0.01)]));
    s.set_revision_roles(roles(&[
        ("bbb", RevisionRole::Canary { weight: 50 }),
        ("aaa", RevisionRole::Stable),
    ]));
    let split = s.revision_split("checkout").expect("split");
    assert_eq!(split.worst(), RevisionRole::Stable);
}

#[test]
fn a_canary_without_traffic_gives_no_split() {
    let mut s = state();
    s.set_revision_roles(roles(&[
        ("7f9c4d8b5", RevisionRole::Canary { weight: 10 }),
        ("5b8e21aa9", RevisionRole::Stable),
    ]));
    // the canary served once, then nothing for longer than the grace
    s.apply(round(
        T0,
        vec![rev("5b8e21aa9", T0, 0.004), rev("7f9c4d8b5", T0, 0.5)],
    ));
    assert!(s.revision_split("checkout").is_some());
    let later = T0 + SERVING_GRACE_MS + 2_000;
    s.apply(round(later, vec![rev("5b8e21aa9", later, 0.004)]));
    assert_eq!(s.revision_split("checkout"), None);
    assert!(s.revision_line("checkout").is_empty(), "one revision left");
    // within the grace it still counts (a quiet canary between requests)
    let mut s2 = state();
    s2.set_revision_roles(s.revision_roles.clone());
    s2.apply(round(
        T0,
        vec![rev("5b8e21aa9", T0, 0.004), rev("7f9c4d8b5", T0, 0.5)],
    ));
    let soon = T0 + SERVING_GRACE_MS - 2_000;
    s2.apply(round(soon, vec![rev("5b8e21aa9", soon, 0.004)]));
    assert!(s2.revision_split("checkout").is_some());
}

#[test]
fn without_roles_the_line_shows_short_hashes_worst_first() {
    let mut s = state();
    s.apply(round(
        T0,
        vec![rev("5b8e21aa9", T0, 0.004), rev("7f9c4d8b5", T0, 0.182)],
    ));
    let line = s.revision_line("checkout");
    let labels: Vec<&str> = line.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(labels, ["7f9c4d", "5b8e21"]);
    // with roles: canary first whatever its ratio
    s.set_revision_roles(roles(&[
        ("5b8e21aa9", RevisionRole::Canary { weight: 10 }),
        ("7f9c4d8b5", RevisionRole::Stable),
    ]));
    let labels: Vec<String> = s
        .revision_line("checkout")
        .into_iter()
        .map(|r| r.label)
        .collect();
    assert_eq!(labels, ["canary", "stable"]);
}

#[test]
fn short_hashes_that_clash_are_shown_whole() {
    let mut s = state();
    s.apply(round(
        T0,
        vec![rev("7f9c4d8b5", T0, 0.1), rev("7f9c4dxyz", T0, 0.2)],
    ));
    let labels: Vec<String> = s
        .revision_line("checkout")
        .into_iter()
        .map(|r| r.label)
        .collect();
    assert_eq!(labels, ["7f9c4dxyz", "7f9c4d8b5"]);
    assert_eq!(short_revision("v1.4.2-rc1"), "v1.4.2-rc1");
    assert_eq!(short_revision("abc"), "abc");
}

#[test]
fn revisions_are_bounded_and_leave_with_the_window() {
    let mut s = state();
    for i in 0..(MAX_REVISIONS as i64 + 5) {
        let at = T0 + i * 2_000;
        s.apply(round(at, vec![rev(&format!("r{i:02}"), at, 0.01)]));
    }
    let series = s.service("checkout").expect("checkout");
    assert_eq!(series.revisions.len(), MAX_REVISIONS);
    assert!(
        !series.revisions.contains_key("r00"),
        "the stalest went first"
    );
    // 31 minutes later every old revision is out of the window
    let later = T0 + 31 * 60_000;
    s.apply(round(later, vec![rev("new", later, 0.01)]));
    let names: Vec<&String> = s
        .service("checkout")
        .expect("checkout")
        .revisions
        .keys()
        .collect();
    assert_eq!(names, ["new"]);
}

#[test]
fn a_repeated_step_is_kept_once() {
    let mut s = state();
    s.apply(round(T0, vec![rev("a", T0, 0.1), rev("b", T0, 0.2)]));
    s.apply(round(T0, vec![rev("a", T0, 0.1), rev("b", T0, 0.2)]));
    let series = s.service("checkout").expect("checkout");
    assert_eq!(series.revisions["a"].history.len(), 1);
    // and the service's own numbers are as without revisions
    assert!((series.error_ratio() - 0.02).abs() < 1e-12);
}
