//! The error-rate pane, whole screen: data goes in through the real `update` path
//! (`Event::Metrics`), the screen comes out of `flightdeck::ui::render` into a
//! `TestBackend`. Snapshots drop colour, so key cells' styles are checked explicitly.

use crate::support::common;

use flightdeck::app::panes::errors::DeployMark;
use flightdeck::app::{Event, PaneId, State, update};
use flightdeck::config::Config;
use flightdeck::config::theme::Health;
use flightdeck::sources::metrics::{
    Alert, AlertState, AlertsUpdate, DataProblem, Health as SourceHealth, MetricsUpdate, Point,
    ServiceHealth, ServicePoints,
};
use jiff::Timestamp;
use ratatui::buffer::Buffer;

/// 2026-11-23 03:00:00 UTC, the incident.
const NOW_MS: i64 = 1_795_402_800_000;

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).expect("valid time")
}

fn config() -> Config {
    let (config, diags) = Config::parse_lenient(
        "test.toml",
        r#"
[metrics]
prometheus = "http://prometheus.invalid:9090"
threshold = 0.05
"#,
    );
    assert!(diags.is_empty(), "{diags:?}");
    config
}

fn state() -> State {
    common::state_builder()
        .config(config())
        .theme("dark")
        .at(ts(NOW_MS))
        .focus(PaneId::Errors)
        .build()
}

/// 30 minutes of points every 15 s, ending at NOW; `ratio(m)` for minute m (0 oldest).
fn series(service: &str, ratio: impl Fn(usize) -> f64) -> ServicePoints {
    let points = (0..=120)
        .map(|i| Point {
            at_ms: NOW_MS - (120 - i as i64) * 15_000,
            error_ratio: ratio(i / 4),
            request_rate: 120.0 + (i / 4) as f64,
            p95_seconds: 0.05 + ratio(i / 4),
        })
        .collect();
    ServicePoints {
        service: service.into(),
        by_revision: Vec::new(),
        points,
    }
}

fn up(service: &str) -> ServiceHealth {
    ServiceHealth {
        service: service.into(),
        source: "http://prometheus.invalid:9090".into(),
        health: SourceHealth::Up,
        at: ts(NOW_MS),
    }
}

fn incident() -> MetricsUpdate {
    let mut u = MetricsUpdate::new(ts(NOW_MS));
    // checkout: fine until rev 7 four minutes ago, then 14%
    u.points
        .push(series("checkout", |i| if i >= 26 { 0.142 } else { 0.004 }));
    u.points.push(series("cart", |_| 0.002));
    u.points
        .push(series("search", |i| if i >= 28 { 0.07 } else { 0.01 }));
    for s in ["checkout", "cart", "search"] {
        u.health.push(up(s));
    }
    // a service whose query Prometheus refuses: its own error text, that service only
    u.health.push(ServiceHealth {
        service: "payments".into(),
        source: "http://prometheus.invalid:9090".into(),
        health: SourceHealth::Failing {
            error: "bad_data: invalid parameter \"query\": 1:45: parse error: unexpected \"}\""
                .into(),
        },
        at: ts(NOW_MS),
    });
    u.alerts = Some(AlertsUpdate {
        alerts: vec![
            Alert {
                name: "HighErrorRate".into(),
                state: AlertState::Firing,
                severity: Some("critical".into()),
                summary: Some("5xx above 5% for 5 minutes\u{1b}]52;c;aGk=\u{7}".into()),
                service: Some("checkout".into()),
                active_at: Some(ts(NOW_MS - 4 * 60_000)),
                value: 0.142,
                labels: Default::default(),
                silenced: false,
            },
            Alert {
                name: "SlowSearch".into(),
                state: AlertState::Firing,
                severity: Some("warning".into()),
                summary: Some("p95 above 100ms".into()),
                service: Some("search".into()),
                active_at: Some(ts(NOW_MS - 2 * 3_600_000)),
                value: 0.12,
                labels: Default::default(),
                silenced: true,
            },
            Alert {
                name: "Pending".into(),
                state: AlertState::Pending,
                severity: Some("warning".into()),
                summary: None,
                service: None,
                active_at: None,
                value: f64::NAN,
                labels: Default::default(),
                silenced: false,
            },
        ],
        error: None,
        alertmanager_error: None,
    });
    u
}

/// Ages and clock labels are fixed by the fixed `now`; filtered anyway so a change in the
/// age format does not churn every snapshot.
macro_rules! assert_screen {
    ($name:expr, $buf:expr) => {
        insta::with_settings!({filters => vec![
            (r"\b\d+[smhd] ago\b", "[age] ago"),
        ]}, {
            insta::assert_snapshot!($name, common::cells(&$buf));
        });
    };
}

/// Where `needle` starts on screen (first match, row by row).
fn find(buf: &Buffer, needle: &str) -> Option<(u16, u16)> {
    let t = common::cells(buf);
    for (y, line) in t.lines().enumerate() {
        if let Some(byte) = line.find(needle) {
            let x = line[..byte].chars().count();
            return Some((x as u16, y as u16));
        }
    }
    None
}

#[test]
fn three_services_one_above_threshold_an_alert_and_a_failing_one() {
    let mut s = state();
    update(&mut s, Event::Metrics(incident()));
    let buf = common::draw_at(&s, 160, 48);
    assert_screen!("errors_incident", buf);
    let t = common::cells(&buf);

    // worst first: checkout (error), search (warn), then payments (failing), cart
    let row = |name: &str| find(&buf, name).map(|(_, y)| y);
    let (checkout, search, cart) = (row("checkout"), row("search"), row("cart"));
    assert!(checkout < search && search < cart, "{t}");

    // the error-level ratio cell has the theme's health.error style, the warn one warn
    let theme = &s.theme;
    assert_style(&buf, "14.2%", theme.health(Health::Error));
    assert_style(&buf, "7.0%", theme.health(Health::Warn));
    assert_style(&buf, "0.2%", theme.health(Health::Ok));
    // the failing service: stale marker with age, Prometheus's own error text
    assert!(t.contains("payments"), "{t}");
    assert!(t.contains("parse error: unexpected"), "{t}");
    assert_style(&buf, "✗", theme.health(Health::Error));
    // the firing alert with severity, age and summary; its OSC 52 is gone
    let alert = t
        .lines()
        .find(|l| l.contains("HighErrorRate"))
        .expect("alert line");
    assert!(
        alert.contains("critical") && alert.contains("4m"),
        "{alert}"
    );
    assert!(alert.contains("5xx above 5% for 5 minutes"), "{alert}");
    assert!(!t.contains("52;c") && !t.contains('\u{1b}'), "{t}");
    assert_style(&buf, "critical", theme.health(Health::Error));
    // the silenced one is marked, the pending one is not listed
    let silenced = t
        .lines()
        .find(|l| l.contains("SlowSearch"))
        .expect("silenced alert");
    assert!(silenced.contains("silenced"), "{silenced}");
    assert!(!t.contains("Pending "), "{t}");
    // the selected (first) row carries the focused selection background
    let (x, y) = find(&buf, "checkout").expect("checkout row");
    assert_eq!(
        buf[(x, y)].bg,
        theme.selection(true).bg.expect("selection bg")
    );
}

/// Every cell of the first occurrence of `needle` has `style`'s colour and modifiers.
fn assert_style(buf: &Buffer, needle: &str, style: ratatui::style::Style) {
    let (x, y) = find(buf, needle).unwrap_or_else(|| panic!("`{needle}` on screen"));
    for dx in 0..needle.chars().count() as u16 {
        let cell = &buf[(x + dx, y)];
        // a style without a colour leaves the terminal's own (Reset): checked as well
        let fg = style.fg.unwrap_or(ratatui::style::Color::Reset);
        assert_eq!(cell.fg, fg, "`{needle}` at {x},{y}: {cell:?}");
        assert!(
            cell.modifier.contains(style.add_modifier),
            "`{needle}` at {x},{y}: {cell:?}"
        );
    }
}

#[test]
fn zoomed_shows_ratio_and_latency_charts_with_the_threshold() {
    let mut s = state();
    update(&mut s, Event::Metrics(incident()));
    s.zoomed = true;
    let buf = common::draw_at(&s, 160, 48);
    assert_screen!("errors_zoomed", buf);
    let t = common::cells(&buf);
    assert!(t.contains("checkout 5xx ratio"), "{t}");
    assert!(t.contains("checkout p95 latency"), "{t}");
    assert!(t.contains("threshold 5.0%"), "{t}");
    assert!(t.contains("-30m") && t.contains("newest"), "{t}");
    // braille cells of the ratio line in the chart colour
    let ratio = s.theme.chart("ratio").fg.expect("chart.ratio colour");
    let braille = buf
        .content()
        .iter()
        .filter(|c| {
            c.symbol()
                .chars()
                .any(|ch| ('\u{2801}'..='\u{28ff}').contains(&ch))
        })
        .filter(|c| c.fg == ratio)
        .count();
    assert!(
        braille > 10,
        "ratio line drawn in chart.ratio ({braille} cells)"
    );
}

#[test]
fn zoom_follows_the_selection() {
    let mut s = state();
    update(&mut s, Event::Metrics(incident()));
    s.zoomed = true;
    s.pane_mut(PaneId::Errors).selected = 1;
    let t = common::cells(&common::draw_at(&s, 160, 48));
    assert!(t.contains("search 5xx ratio"), "{t}");
}

#[test]
fn nan_ratio_is_a_dash() {
    let mut s = state();
    let mut u = MetricsUpdate::new(ts(NOW_MS));
    u.points.push(ServicePoints {
        service: "idle".into(),
        by_revision: Vec::new(),
        points: vec![Point {
            at_ms: NOW_MS,
            error_ratio: f64::NAN,
            request_rate: 0.0,
            p95_seconds: f64::INFINITY,
        }],
    });
    u.health.push(up("idle"));
    update(&mut s, Event::Metrics(u));
    let buf = common::draw_at(&s, 160, 48);
    assert_screen!("errors_nan", buf);
    let t = common::cells(&buf);
    let row = t.lines().find(|l| l.contains("idle")).expect("idle row");
    assert!(row.contains('—'), "{row}");
    assert!(!row.contains("NaN") && !row.contains("inf"), "{row}");
    assert_style(&buf, "—", s.theme.dim());
}

#[test]
fn filter_narrows_services_and_selection_is_clamped() {
    let mut s = state();
    update(&mut s, Event::Metrics(incident()));
    s.pane_mut(PaneId::Errors).filter = "CART".into();
    s.pane_mut(PaneId::Errors).selected = 40;
    let buf = common::draw_at(&s, 160, 48);
    let t = common::cells(&buf);
    assert!(t.contains("/CART"), "{t}");
    // the kept filter and what it lets through are in the pane's title
    let title = t
        .lines()
        .find(|l| l.contains("Error rate"))
        .expect("title line");
    let services = s.errors.services.len();
    assert!(services > 1);
    assert!(title.contains(&format!("/CART 1 of {services}")), "{title}");
    let pane: Vec<&str> = t.lines().skip(16).take(15).collect();
    let joined = pane.join("\n");
    assert!(joined.contains("cart"), "{joined}");
    assert!(!joined.contains("checkout"), "{joined}");
    // selected 40 of 1 row: the one row is highlighted
    let (x, y) = find(&buf, "cart ").expect("cart row");
    assert_eq!(buf[(x, y)].bg, s.theme.selection(true).bg.expect("bg"));
}

#[test]
fn deploy_marks_hook_draws_the_revision() {
    let mut s = state();
    update(&mut s, Event::Metrics(incident()));
    s.deploys.record(
        "checkout",
        DeployMark {
            at_ms: NOW_MS - 4 * 60_000,
            revision: "7".into(),
        },
    );
    let buf = common::draw_at(&s, 160, 48);
    let t = common::cells(&buf);
    let row = t.lines().find(|l| l.contains("checkout")).expect("row");
    assert!(row.contains("rev 7 (4m)"), "{row}");
    assert!(row.contains('│'), "{row}");
    assert_style(&buf, "rev 7", s.theme.chart("deploy"));
}

#[test]
fn no_data_keeps_the_honest_placeholder() {
    // a service named, no answer yet: connecting (with none named, the pane says what to add)
    let (config, diags) = Config::parse_lenient(
        "test.toml",
        "[metrics]\nprometheus = \"http://prometheus.invalid:9090\"\n\n[[metrics.target]]\nservice = \"checkout\"\n",
    );
    assert!(diags.is_empty(), "{diags:?}");
    let s = common::state_builder()
        .config(config)
        .theme("dark")
        .at(ts(NOW_MS))
        .focus(PaneId::Errors)
        .build();
    let buf = common::draw_at(&s, 160, 48);
    let pane = common::pane_text(&s, &buf, flightdeck::pane::PaneId::Errors);
    assert!(pane.contains("connecting…"), "{pane}");
}

#[test]
fn prometheus_down_marks_everything_stale_and_keeps_history() {
    let mut s = state();
    update(&mut s, Event::Metrics(incident()));
    let later = NOW_MS + 3 * 60_000;
    let mut u = MetricsUpdate::new(ts(later));
    for svc in ["checkout", "cart", "search", "payments"] {
        u.health.push(ServiceHealth {
            service: svc.into(),
            source: "http://prometheus.invalid:9090".into(),
            health: SourceHealth::Failing {
                error: "error sending request: connection refused".into(),
            },
            at: ts(later),
        });
    }
    s.now = ts(later);
    update(&mut s, Event::Metrics(u));
    let buf = common::draw_at(&s, 160, 48);
    let t = common::cells(&buf);
    let lines: Vec<&str> = t.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("checkout"))
        .expect("row");
    assert!(
        lines[at].contains("14.2%") && lines[at].contains("stale 3m"),
        "{t}"
    );
    assert!(
        lines[at + 1].contains("└ error sending request: connection refused"),
        "{t}"
    );
}

#[test]
fn k_after_g_moves_at_once_and_j_stops_at_the_last_row() {
    use flightdeck::app::Action;
    use flightdeck::app::update::apply;
    let mut s = state();
    update(&mut s, Event::Metrics(incident()));
    apply(&mut s, Action::SelectBottom);
    assert_eq!(
        s.pane(PaneId::Errors).selected,
        3,
        "G lands on the last of 4 rows"
    );
    apply(&mut s, Action::SelectUp);
    assert_eq!(
        s.pane(PaneId::Errors).selected,
        2,
        "k moves at once, no data update needed"
    );
    for _ in 0..10 {
        apply(&mut s, Action::SelectDown);
    }
    assert_eq!(s.pane(PaneId::Errors).selected, 3);
}

#[test]
fn hostile_data_at_any_size_never_panics_nor_reaches_the_terminal() {
    let mut s = state();
    update(&mut s, Event::Metrics(incident()));
    let mut u = MetricsUpdate::new(ts(NOW_MS));
    let weird = [
        (
            "\u{1b}]0;pwned\u{7}svc-with-a-very-long-name-that-goes-on-and-on",
            f64::INFINITY,
            i64::MAX,
        ),
        ("neg\u{9b}31m", -0.5, i64::MIN + 1),
        ("big", 1e300, NOW_MS),
        ("", f64::NEG_INFINITY, 0),
    ];
    for (name, ratio, at_ms) in weird {
        u.points.push(ServicePoints {
            service: name.into(),
            by_revision: Vec::new(),
            points: vec![Point {
                at_ms,
                error_ratio: ratio,
                request_rate: ratio,
                p95_seconds: ratio,
            }],
        });
    }
    u.alerts = Some(AlertsUpdate {
        alerts: (0..30)
            .map(|i| Alert {
                name: format!("Alert{i}\u{1b}[2J"),
                state: AlertState::Firing,
                severity: Some("critical\u{7}".into()),
                summary: Some("x".repeat(500)),
                service: Some("checkout".into()),
                active_at: Some(ts(NOW_MS + 3_600_000)),
                value: f64::NAN,
                labels: Default::default(),
                silenced: i % 2 == 0,
            })
            .collect(),
        error: None,
        alertmanager_error: Some("alertmanager: 503\u{1b}[5m".into()),
    });
    update(&mut s, Event::Metrics(u));
    for (w, h) in [(60, 16), (80, 24), (120, 40), (160, 48), (250, 70)] {
        for zoomed in [false, true] {
            for selected in [0, 3, 99] {
                s.zoomed = zoomed;
                s.pane_mut(PaneId::Errors).selected = selected;
                let t = common::cells(&common::draw_at(&s, w, h));
                assert!(!t.contains('\u{1b}') && !t.contains('\u{9b}'), "{t}");
                assert!(!t.contains("pwned\u{7}"), "{t}");
            }
        }
    }
    s.zoomed = false;
    let t = common::cells(&common::draw_at(&s, 160, 48));
    assert!(t.contains("more alerts"), "{t}");
}

#[test]
fn alerts_that_cannot_be_read_are_kept_and_marked_stale() {
    let mut s = state();
    update(&mut s, Event::Metrics(incident()));
    let later = NOW_MS + 120_000;
    let mut u = MetricsUpdate::new(ts(later));
    u.alerts = Some(AlertsUpdate {
        alerts: vec![],
        error: Some("GET /api/v1/alerts: 503 Service Unavailable".into()),
        alertmanager_error: Some("alertmanager unreachable".into()),
    });
    s.now = ts(later + 60_000);
    update(&mut s, Event::Metrics(u));
    let buf = common::draw_at(&s, 160, 48);
    let t = common::cells(&buf);
    assert!(
        t.contains("alerts stale 1m: GET /api/v1/alerts: 503 Service Unavailable"),
        "{t}"
    );
    assert!(
        t.contains("silences unknown: alertmanager unreachable"),
        "{t}"
    );
    assert!(t.contains("HighErrorRate"), "the last list is kept: {t}");
    assert_style(&buf, "alerts stale", s.theme.health(Health::Stale));
}

/// `incident()` plus 20 quiet services and one whose 5xx counter read NaN: more rows than
/// the pane has lines.
fn crowded() -> MetricsUpdate {
    let mut u = incident();
    for i in 0..20 {
        let name = format!("svc-{i:02}");
        u.points.push(series(&name, |_| 0.001));
        u.health.push(up(&name));
    }
    // "zeta" sorts last by name; its numbers cannot be right
    u.points.push(series("zeta", |_| 0.0));
    u.health.push(up("zeta"));
    u.problems.push(DataProblem {
        service: "zeta".into(),
        problem: r#"5xx counter is NaN: http_requests_total{service="zeta",status="503"}"#.into(),
    });
    u
}

#[test]
fn a_data_problem_is_shown_as_such_sorted_first_never_as_a_ratio() {
    let mut s = state();
    update(&mut s, Event::Metrics(crowded()));
    let buf = common::draw_at(&s, 160, 48);
    let t = common::cells(&buf);
    let row = |name: &str| find(&buf, name).map(|(_, y)| y);
    // trouble first: the data problem above even the 14.2 % service
    let (zeta, checkout) = (row("zeta"), row("checkout"));
    assert!(zeta.is_some() && zeta < checkout, "{t}");
    let zeta_line = t.lines().find(|l| l.contains("zeta")).expect("zeta row");
    assert!(zeta_line.contains("data"), "{zeta_line}");
    assert!(
        !zeta_line.contains("0.0%") && !zeta_line.contains('—'),
        "never a healthy ratio nor 'no traffic': {zeta_line}"
    );
    assert!(
        t.contains(
            r#"└ data: 5xx counter is NaN: http_requests_total{service="zeta",status="503"}"#
        ),
        "{t}"
    );
    assert_style(
        &buf,
        "data: 5xx counter is NaN",
        s.theme.health(Health::Error),
    );
    assert_style(&buf, "  data", s.theme.health(Health::Error));

    // a sound point clears it
    let mut u = MetricsUpdate::new(ts(NOW_MS + 15_000));
    u.points.push(ServicePoints {
        service: "zeta".into(),
        by_revision: Vec::new(),
        points: vec![Point {
            at_ms: NOW_MS + 15_000,
            error_ratio: 0.0,
            request_rate: 5.0,
            p95_seconds: 0.05,
        }],
    });
    update(&mut s, Event::Metrics(u));
    let t = common::cells(&common::draw_at(&s, 160, 48));
    assert!(!t.contains("data: 5xx"), "{t}");
}

#[test]
fn rows_that_do_not_fit_show_n_of_m_and_selection_scrolls() {
    use flightdeck::app::Action;
    use flightdeck::app::update::apply;
    let mut s = state();
    update(&mut s, Event::Metrics(crowded()));
    let total = s.errors.services.len();
    assert_eq!(total, 25);
    let buf = common::draw_at(&s, 160, 48);
    let t = common::cells(&buf);
    // the first row is selected, more below
    assert!(t.contains(&format!(" 1 of {total} ↓ ")), "{t}");
    assert_style(&buf, &format!("1 of {total}"), s.theme.accent());
    assert!(!t.contains("svc-19"), "the last rows do not fit: {t}");

    apply(&mut s, Action::SelectBottom);
    let t = common::cells(&common::draw_at(&s, 160, 48));
    assert!(t.contains(&format!(" {total} of {total} ↑ ")), "{t}");
    assert!(
        t.contains("svc-19"),
        "the selected last row is in view: {t}"
    );
    assert!(!t.contains("zeta"), "the first rows scrolled out: {t}");

    // in the middle: rows above and below
    for _ in 0..10 {
        apply(&mut s, Action::SelectUp);
    }
    let t = common::cells(&common::draw_at(&s, 160, 48));
    assert!(
        t.contains(&format!(" {} of {total} ↑ ↓ ", total - 10)),
        "{t}"
    );

    // everything fits: no hint
    let mut roomy = state();
    update(&mut roomy, Event::Metrics(incident()));
    let t = common::cells(&common::draw_at(&roomy, 160, 48));
    assert!(!t.contains(" of 4"), "{t}");
}

/// A Prometheus URL with a password and a 502 page echoing the request's Authorization
/// header: neither reaches State, the pane or the console's own log (#29).
#[test]
fn credentials_in_urls_and_echoed_bodies_never_reach_the_screen_nor_the_log() {
    let mut s = state();
    update(&mut s, Event::Metrics(incident()));
    let later = NOW_MS + 60_000;
    let url = "http://admin:hunter2pw@prometheus.invalid:9090/api/v1/query?api_key=k3y9zz";
    let mut u = MetricsUpdate::new(ts(later));
    u.health.push(ServiceHealth {
        service: "checkout".into(),
        source: url.into(),
        health: SourceHealth::Failing {
            error: format!(
                "GET {url}: HTTP 502: <pre>GET /api/v1/query\nAuthorization: Basic YWRtaW46aHVudGVyMnB3</pre>"
            ),
        },
        at: ts(later),
    });
    s.now = ts(later);
    update(&mut s, Event::Metrics(u));
    let mut seen = common::cells(&common::draw_at(&s, 200, 48));
    // zoomed, the selected service's error is shown whole
    s.zoomed = true;
    seen.push_str(&common::cells(&common::draw_at(&s, 200, 48)));
    seen.push_str(&format!("{:?}", s.errors));
    for secret in ["hunter2pw", "YWRtaW46aHVudGVyMnB3", "k3y9zz"] {
        assert!(!seen.contains(secret), "{secret} shown:\n{seen}");
    }
    assert!(seen.contains("<redacted>"), "{seen}");
    // the console's own log (`!`) keeps the same promise
    let logged = flightdeck::applog::entry_text(&format_args!("metrics: GET {url} failed"));
    assert!(
        !logged.contains("hunter2pw") && !logged.contains("k3y9zz"),
        "{logged}"
    );
}

/// "metrics failing 1m" counts from the first failure of a run: a retry that fails again
/// keeps the age going instead of restarting it.
#[test]
fn the_failing_age_counts_from_the_first_failure_not_the_last_retry() {
    use flightdeck::app::state::{SourceId, SourceStatus};
    let mut s = state();
    let failed = |at: i64| {
        let mut u = MetricsUpdate::new(ts(at));
        u.health.push(ServiceHealth {
            service: "checkout".into(),
            source: "http://prometheus.invalid:9090".into(),
            health: SourceHealth::Failing {
                error: "error sending request: connection refused".into(),
            },
            at: ts(at),
        });
        u
    };
    for at in [NOW_MS, NOW_MS + 30_000] {
        s.now = ts(at);
        update(&mut s, Event::Metrics(failed(at)));
    }
    s.now = ts(NOW_MS + 60_000);
    let status = s.source(SourceId::Metrics).expect("metrics status");
    match status {
        SourceStatus::Failing { since, .. } => assert_eq!(*since, ts(NOW_MS), "{status:?}"),
        other => panic!("failing: {other:?}"),
    }
    let face = s.face(SourceId::Metrics).expect("a face");
    assert!(face.text.starts_with("failing 1m"), "{}", face.text);
}

/// `init --prometheus` writes no target it cannot place: under `metrics live` the pane says
/// which entry would name a service for this environment instead of staying blank, and
/// another environment's target does not count here.
#[test]
fn an_environment_without_targets_says_what_to_add() {
    let toml = "[[environment]]\nname = \"staging\"\nnamespace = \"shop-staging\"\n\n\
                [metrics]\nprometheus = \"http://prometheus.invalid:9090\"\n";
    let mut s = common::state_builder()
        .config_toml(toml)
        .namespace("shop-staging")
        .at(ts(NOW_MS))
        .focus(PaneId::Errors)
        .build();
    // Prometheus answered (alerts read): the source is live, with no service to ask for
    let mut live = MetricsUpdate::new(ts(NOW_MS));
    live.alerts = Some(AlertsUpdate {
        alerts: Vec::new(),
        error: None,
        alertmanager_error: None,
    });
    update(&mut s, Event::Metrics(live.clone()));
    let t = common::cells(&common::draw_at(&s, 160, 48));
    assert!(
        t.contains("no error-rate service is named for staging"),
        "{t}"
    );
    assert!(
        t.contains(r#"add [[metrics.target]] service = "NAME" environment = "staging""#),
        "{t}"
    );

    // prod's target is prod's: staging still has none, and the example names a service
    let (config, diags) = Config::parse_lenient(
        "test.toml",
        &format!(
            "[[environment]]\nname = \"prod\"\nnamespace = \"shop\"\n\n{toml}\n\
             [[metrics.target]]\nservice = \"checkout\"\nenvironment = \"prod\"\n"
        ),
    );
    assert!(diags.is_empty(), "{diags:?}");
    let mut s = common::state_builder()
        .config(config)
        .namespace("shop-staging")
        .at(ts(NOW_MS))
        .focus(PaneId::Errors)
        .build();
    // prod's checkout alert is not staging's; an alert about no service stays
    let alert = |service: Option<&str>| Alert {
        name: "HighErrorRate".into(),
        state: AlertState::Firing,
        severity: Some("page".into()),
        summary: None,
        service: service.map(str::to_owned),
        active_at: None,
        value: 0.2,
        labels: Default::default(),
        silenced: false,
    };
    if let Some(a) = live.alerts.as_mut() {
        a.alerts = vec![alert(Some("checkout")), alert(None)];
    }
    update(&mut s, Event::Metrics(live));
    assert_eq!(s.errors.alerts, [alert(None)]);
    let t = common::cells(&common::draw_at(&s, 160, 48));
    assert!(!t.contains("checkout: "), "{t}");
    s.errors.alerts.clear();
    let t = common::cells(&common::draw_at(&s, 160, 48));
    assert!(
        t.contains(r#"add [[metrics.target]] service = "checkout" environment = "staging""#),
        "{t}"
    );
}

/// One number, one meaning: an alert whose summary already names its service says it
/// once (`checkout: 5xx ratio …`, as the sandbox's rule writes it, not `checkout: checkout:`),
/// and a p95 or rate no exporter should give (1e308, +Inf) is a short formatted number,
/// never a 300-digit one.
#[test]
fn the_service_is_named_once_and_huge_numbers_stay_short() {
    let mut s = state();
    let mut u = MetricsUpdate::new(ts(NOW_MS));
    let mut checkout = series("checkout", |_| 0.142);
    if let Some(p) = checkout.points.last_mut() {
        p.p95_seconds = 1e308;
        p.request_rate = 3.5e12;
    }
    u.points.push(checkout);
    u.health.push(up("checkout"));
    u.alerts = Some(AlertsUpdate {
        alerts: vec![Alert {
            name: "HighErrorRate".into(),
            state: AlertState::Firing,
            severity: Some("critical".into()),
            summary: Some("checkout: 5xx ratio 14.2 % above 5 %".into()),
            service: Some("checkout".into()),
            active_at: Some(ts(NOW_MS - 4 * 60_000)),
            value: 0.142,
            labels: Default::default(),
            silenced: false,
        }],
        error: None,
        alertmanager_error: None,
    });
    update(&mut s, Event::Metrics(u));
    for (w, h) in [(80, 24), (120, 40), (200, 50)] {
        let t = common::cells(&common::draw_at(&s, w, h));
        assert!(!t.contains("checkout: checkout:"), "{w}x{h}:\n{t}");
        let alert = t
            .lines()
            .find(|l| l.contains("HighErrorRate"))
            .unwrap_or_else(|| panic!("alert line at {w}x{h}:\n{t}"));
        // the alert's own text, up to its pane's border
        let own = alert
            .split("ALERT")
            .nth(1)
            .and_then(|a| a.split(['│', '┃']).next())
            .unwrap_or_default();
        assert!(own.matches("checko").count() <= 1, "{alert}");
        if w >= 120 {
            assert!(own.contains("checkout: 5xx ratio 14.2 %"), "{alert}");
        }
        // no run of ten digits anywhere: 1e308 is `1.0e308s`, 3.5e12/s is `3.5T/s`
        let longest = t
            .split(|c: char| !c.is_ascii_digit())
            .map(str::len)
            .max()
            .unwrap_or(0);
        assert!(longest < 10, "{w}x{h}:\n{t}");
        if w >= 120 {
            assert!(
                t.contains("1.0e308s") && t.contains("3.5T/s"),
                "{w}x{h}:\n{t}"
            );
        }
    }
}
