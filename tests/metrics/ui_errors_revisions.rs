//! The error-rate pane per revision, whole screen: points with a per-revision split go in
//! through the real `update` path (`Event::Metrics`), the app names the canary and the
//! stable revision through `set_revision_roles`, and the screen comes out of
//! `flightdeck::ui::render` into a `TestBackend`.

use crate::support::common;

use std::collections::HashMap;

use flightdeck::app::panes::errors::{RevisionRole, set_revision_roles};
use flightdeck::app::{Event, PaneId, State, update};
use flightdeck::config::theme::Health;
use flightdeck::sources::metrics::{
    Health as SourceHealth, MetricsUpdate, Point, RevisionPoint, ServiceHealth, ServicePoints,
};
use jiff::Timestamp;
use ratatui::buffer::Buffer;

/// 2026-11-23 03:00:00 UTC.
const NOW_MS: i64 = 1_795_402_800_000;
const STABLE: &str = "5b8e21aa9";
const CANARY: &str = "7f9c4d8b5";

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).expect("valid time")
}

fn state() -> State {
    common::state_builder()
        .config_toml(
            "[metrics]\nprometheus = \"http://prometheus.invalid:9090\"\nthreshold = 0.05\n",
        )
        .theme("dark")
        .at(ts(NOW_MS))
        .focus(PaneId::Errors)
        .build()
}

/// 30 minutes every 15 s. `checkout`: the canary took 10 % four minutes ago with 18.2 %
/// errors, the stable revision 0.4 % throughout. `cart`: one revision only.
fn canary_update(with_revisions: bool) -> MetricsUpdate {
    let mut u = MetricsUpdate::new(ts(NOW_MS));
    let times = (0..=120).map(|i| NOW_MS - (120 - i) * 15_000);
    let mut checkout = ServicePoints::new("checkout", Vec::new());
    let mut cart = ServicePoints::new("cart", Vec::new());
    for at_ms in times {
        let canary_on = at_ms >= NOW_MS - 4 * 60_000;
        let ratio = if canary_on {
            0.9 * 0.004 + 0.1 * 0.182
        } else {
            0.004
        };
        checkout.points.push(Point {
            at_ms,
            error_ratio: ratio,
            request_rate: 120.0,
            p95_seconds: 0.08,
        });
        cart.points.push(Point {
            at_ms,
            error_ratio: 0.002,
            request_rate: 40.0,
            p95_seconds: 0.05,
        });
        if !with_revisions {
            continue;
        }
        let stable_rate = if canary_on { 108.0 } else { 120.0 };
        checkout
            .by_revision
            .push(revision(STABLE, at_ms, 0.004, stable_rate));
        if canary_on {
            checkout
                .by_revision
                .push(revision(CANARY, at_ms, 0.182, 12.0));
        }
        cart.by_revision
            .push(revision("9d2f71c3b", at_ms, 0.002, 40.0));
    }
    u.points.push(checkout);
    u.points.push(cart);
    for service in ["checkout", "cart"] {
        u.health.push(ServiceHealth {
            service: service.into(),
            source: "http://prometheus.invalid:9090".into(),
            health: SourceHealth::Up,
            at: ts(NOW_MS),
        });
    }
    u
}

fn revision(revision: &str, at_ms: i64, error_ratio: f64, request_rate: f64) -> RevisionPoint {
    RevisionPoint {
        revision: revision.into(),
        at_ms,
        error_ratio,
        request_rate,
    }
}

fn roles() -> HashMap<(String, String), RevisionRole> {
    HashMap::from([
        (
            ("checkout".to_owned(), CANARY.to_owned()),
            RevisionRole::Canary { weight: 10 },
        ),
        (
            ("checkout".to_owned(), STABLE.to_owned()),
            RevisionRole::Stable,
        ),
    ])
}

macro_rules! assert_screen {
    ($name:expr, $buf:expr) => {
        insta::with_settings!({filters => vec![
            (r"\b\d+[smhd] ago\b", "[age] ago"),
        ]}, {
            insta::assert_snapshot!($name, common::cells(&$buf));
        });
    };
}

/// The screen line holding `needle`.
fn line_with(buf: &Buffer, needle: &str) -> String {
    let t = common::cells(buf);
    t.lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` on screen:\n{t}"))
        .to_owned()
}

/// Where `needle` starts on screen (first match, row by row).
fn find(buf: &Buffer, needle: &str) -> (u16, u16) {
    let t = common::cells(buf);
    for (y, line) in t.lines().enumerate() {
        if let Some(byte) = line.find(needle) {
            return (line[..byte].chars().count() as u16, y as u16);
        }
    }
    panic!("`{needle}` on screen:\n{t}");
}

#[test]
fn without_roles_the_revisions_show_as_short_hashes_side_by_side() {
    let mut s = state();
    update(&mut s, Event::Metrics(canary_update(true)));
    let buf = common::draw_at(&s, 160, 48);
    assert_screen!("errors_revisions_hashes", buf);
    let split = line_with(&buf, "└ 7f9c4d");
    assert!(split.contains("└ 7f9c4d 18.2% · 5b8e21 0.4%"), "{split}");
    // right under the checkout row
    let (_, row) = find(&buf, "checkout");
    let (_, under) = find(&buf, "└ 7f9c4d");
    assert_eq!(under, row + 1);
    // each ratio in its level's colour
    let (x, y) = find(&buf, "18.2%");
    let error = s.theme.health(Health::Error).fg;
    assert_eq!(Some(buf[(x, y)].fg), error);
    let (x, y) = find(&buf, "0.4%");
    assert_eq!(Some(buf[(x, y)].fg), s.theme.health(Health::Ok).fg);
}

#[test]
fn with_roles_the_canary_and_stable_are_named() {
    let mut s = state();
    update(&mut s, Event::Metrics(canary_update(true)));
    s.dirty = false;
    set_revision_roles(&mut s, roles());
    assert!(s.dirty, "new roles redraw");
    let buf = common::draw_at(&s, 160, 48);
    assert_screen!("errors_revisions_roles", buf);
    let split = line_with(&buf, "└ canary");
    assert!(split.contains("└ canary 18.2% · stable 0.4%"), "{split}");
    // and the split the incident hint reads
    let split = s.errors.revision_split("checkout").expect("split");
    assert_eq!(split.canary_weight, 10);
    assert_eq!(
        split.summary(),
        "canary at 10 % has 18.2 % errors (stable 0.4 %)"
    );
    // the same roles again: nothing to redraw
    s.dirty = false;
    set_revision_roles(&mut s, roles());
    assert!(!s.dirty);
}

#[test]
fn one_revision_shows_as_today() {
    let mut with = state();
    update(&mut with, Event::Metrics(canary_update(true)));
    let mut without = state();
    update(&mut without, Event::Metrics(canary_update(false)));
    let with = common::cells(&common::draw_at(&with, 160, 48));
    let without = common::cells(&common::draw_at(&without, 160, 48));
    // cart has one revision: its row and the line after it are as without revisions
    let cart = |t: &str| -> Vec<String> {
        let lines: Vec<&str> = t.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.contains("cart"))
            .expect("cart row");
        lines[at..=at + 1].iter().map(|l| (*l).to_owned()).collect()
    };
    assert_eq!(cart(&with), cart(&without));
    assert!(!with.contains("9d2f71"), "{with}");
    assert!(!without.contains("  └ "), "{without}");
}

#[test]
fn zoomed_draws_the_canary_as_a_second_line() {
    let mut s = state();
    update(&mut s, Event::Metrics(canary_update(true)));
    set_revision_roles(&mut s, roles());
    s.zoomed = true;
    // cart sorts first (both below the threshold, by name)
    s.pane_mut(PaneId::Errors).selected = 1;
    let buf = common::draw_at(&s, 160, 48);
    assert_screen!("errors_revisions_zoomed", buf);
    let t = common::cells(&buf);
    assert!(t.contains("checkout 5xx ratio"), "{t}");
    assert!(t.contains("canary 7f9c4d"), "{t}");
    let accent = s.theme.accent().fg.expect("accent colour");
    let braille = buf
        .content()
        .iter()
        .filter(|c| {
            c.symbol()
                .chars()
                .any(|ch| ('\u{2801}'..='\u{28ff}').contains(&ch))
        })
        .filter(|c| c.fg == accent)
        .count();
    assert!(braille > 3, "canary line drawn ({braille} cells)");
}
