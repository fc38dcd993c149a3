//! History from the first frame: the demo runs the Error-rate pane against the sandbox's
//! Prometheus API and its first frame with data shows the whole 30 minutes; direct mode
//! says `since HH:MM` until it holds them; the header says the rate window, which the
//! queries use; the demo keeps the user's `[ui]`.

use crate::support::common;

use std::time::Duration;

use flightdeck::app::{Event, PaneId, State};
use flightdeck::config::{Config, UiConfig};
use flightdeck::console::demo_config;
use flightdeck::sources::metrics::direct::MAX_PAGE_BYTES;
use flightdeck::sources::metrics::prometheus::{PrometheusConfig, spawn_prometheus};
use flightdeck::sources::metrics::{
    Health, MetricsUpdate, Point, SCRAPE_INTERVAL, ServiceHealth, ServicePoints,
};
use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};
use jiff::Timestamp;
use tokio::sync::mpsc;

const SPARK: &[char] = &['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█', '│'];

/// The sandbox as `flightdeck demo` starts it (its default scenario), its config as the
/// demo makes it, and the directory holding the kubeconfig.
async fn demo(ui: &UiConfig) -> (Sandbox, Config, tempfile::TempDir) {
    let sb = Sandbox::start(SandboxOptions::scenario(Scenario::BadRelease))
        .await
        .expect("sandbox");
    let dir = tempfile::tempdir().expect("temp dir");
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, sb.kubeconfig_yaml()).expect("kubeconfig");
    let config = demo_config(&sb.config_toml(&kubeconfig), ui).expect("demo config");
    (sb, config, dir)
}

/// The first update the console's metrics source sends for `config`.
async fn first_update(config: &Config) -> MetricsUpdate {
    let metrics = config.metrics.clone().expect("[metrics]");
    let url = metrics
        .prometheus
        .clone()
        .expect("the demo runs the Error-rate pane in API mode");
    let pc = PrometheusConfig::from_metrics(&url, &metrics, MAX_PAGE_BYTES);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let task = spawn_prometheus(pc, SCRAPE_INTERVAL, move |u| tx.send(u).is_ok());
    let update = tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("an update within 30 s")
        .expect("source running");
    task.abort();
    update
}

/// The zoomed Error-rate pane's row of `service`.
fn row<'a>(screen: &'a str, service: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(service) && l.contains('%'))
        .unwrap_or_else(|| panic!("no {service} row:\n{screen}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demos_first_frame_shows_thirty_minutes() {
    let (sb, config, _dir) = demo(&UiConfig::default()).await;
    let update = first_update(&config).await;
    assert!(
        update.health.iter().all(|h| h.health == Health::Up),
        "{:?}",
        update.health
    );
    let mut state = common::state_builder()
        .config(config)
        .at(Timestamp::now())
        .focus(PaneId::Errors)
        .zoomed()
        .build();
    update_with(&mut state, update);
    let screen = common::text(&common::render(&mut state, 120, 40));
    for service in ["checkout", "cart", "frontend"] {
        let columns = row(&screen, service)
            .chars()
            .filter(|c| SPARK.contains(c))
            .count();
        assert!(
            columns >= 25,
            "{service}: {columns} sparkline columns of history:\n{screen}"
        );
    }
    assert!(screen.contains("last 30m, rate 5m"), "{screen}");
    assert!(!screen.contains("since "), "{screen}");
    // the bad release shows in the history: checkout is above the threshold now
    assert!(
        state
            .errors
            .service("checkout")
            .is_some_and(|s| s.error_ratio() > 0.05),
        "{:?}",
        state.errors.service("checkout").map(|s| s.latest)
    );
    // the revisions of a Deployment-served service are not split (no revision label)
    drop(sb);
}

fn update_with(state: &mut State, update: MetricsUpdate) {
    let _ = flightdeck::app::update(state, Event::Metrics(update));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_window_goes_into_every_query_and_the_header() {
    let (sb, mut config, _dir) = demo(&UiConfig::default()).await;
    if let Some(m) = config.metrics.as_mut() {
        m.window = "2m".into();
    }
    let update = first_update(&config).await;
    let queries: Vec<String> = sb
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/api/v1/query_range"))
        .filter_map(|r| r.query)
        .collect();
    // three per service and the per-revision one, each with its rate over [2m]
    assert!(queries.len() >= 4, "{queries:?}");
    for q in &queries {
        assert!(q.contains("%5B2m%5D"), "rate window 2m: {q}");
        assert!(!q.contains("5m") && !q.contains("window"), "{q}");
    }
    let mut state = common::state_builder()
        .config(config)
        .at(Timestamp::now())
        .focus(PaneId::Errors)
        .build();
    update_with(&mut state, update);
    let screen = common::text(&common::render(&mut state, 200, 50));
    assert!(screen.contains("last 30m, rate 2m"), "{screen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_keeps_the_users_ui_section() {
    let (source, _) = Config::parse_lenient(
        "config.toml",
        "[ui]\ntheme = \"light\"\nkeymap = \"emacs\"\nmouse = false\ncolor = \"256\"\n\
         clipboard = false\nstart = \"prod\"\n",
    );
    let ui = source.ui.clone();
    assert_eq!(ui.theme.as_deref(), Some("light"));
    let (sb, config, dir) = demo(&ui).await;
    assert_eq!(
        config.ui, ui,
        "the user's [ui] whole, `start` naming a demo environment"
    );
    // a start the demo has no environment for is dropped, the rest kept
    let elsewhere = UiConfig {
        start: Some("my-cluster".into()),
        ..ui.clone()
    };
    let config = demo_config(&sb.config_toml(&dir.path().join("kubeconfig")), &elsewhere)
        .expect("demo config");
    assert_eq!(config.ui.start, None);
    assert_eq!(config.ui.keymap.as_deref(), Some("emacs"));
    assert!(!config.ui.mouse && !config.ui.clipboard);
    // and the State built from it uses them
    let state = common::state_builder().config(config).build();
    assert!(!state.config.ui.mouse);
}

/// 02:55 UTC: five minutes of direct-mode scrapes every 2 s up to 03:00.
const FIRST_MS: i64 = 1_795_402_500_000;

fn direct_points(service: &str, minutes: i64) -> MetricsUpdate {
    let end = FIRST_MS + 5 * 60_000;
    let start = end - minutes * 60_000;
    let points = (0..=(minutes * 30))
        .map(|i| Point {
            at_ms: start + i * 2000,
            error_ratio: 0.01,
            request_rate: 50.0,
            p95_seconds: 0.1,
        })
        .collect();
    let at = Timestamp::from_millisecond(end).expect("time");
    let mut u = MetricsUpdate::new(at);
    u.points.push(ServicePoints::new(service, points));
    u.health.push(ServiceHealth {
        service: service.into(),
        source: "http://checkout.invalid/metrics".into(),
        health: Health::Up,
        at,
    });
    u
}

fn direct_state() -> State {
    common::state_builder()
        .config_toml("[metrics]\n[[metrics.target]]\nservice = \"checkout\"\nurl = \"http://checkout.invalid/metrics\"\n")
        .at(Timestamp::from_millisecond(FIRST_MS + 5 * 60_000).expect("time"))
        .focus(PaneId::Errors)
        .build()
}

#[test]
fn direct_mode_says_since_when_until_it_holds_thirty_minutes() {
    let mut state = direct_state();
    update_with(&mut state, direct_points("checkout", 5));
    let screen = common::text(&common::render(&mut state, 200, 50));
    assert!(screen.contains("since 02:55 (threshold 5.0%)"), "{screen}");
    assert!(!screen.contains("30m"), "{screen}");
    assert!(
        !screen.contains("rate 5m"),
        "direct mode has no rate window: {screen}"
    );
    // where the pane is narrow, the short form still does not pretend
    let screen = common::text(&common::render(&mut state, 120, 40));
    assert!(screen.contains(" 02:55→ "), "{screen}");
    assert!(!screen.contains("30m"), "{screen}");
    // zoomed, the x axis spans the five minutes it has
    state.zoomed = true;
    let zoomed = common::text(&common::render(&mut state, 160, 48));
    assert!(zoomed.contains("since 02:55"), "{zoomed}");
    assert!(!zoomed.contains("-30m"), "{zoomed}");
    // the zone the Logs pane shows times in
    state.logs.tz = jiff::tz::TimeZone::fixed(jiff::tz::offset(2));
    state.zoomed = false;
    let screen = common::text(&common::render(&mut state, 200, 50));
    assert!(screen.contains("since 04:55"), "{screen}");

    // 30 minutes held: the whole window
    let mut state = direct_state();
    update_with(&mut state, direct_points("checkout", 30));
    let screen = common::text(&common::render(&mut state, 200, 50));
    assert!(screen.contains("last 30m (threshold 5.0%)"), "{screen}");
    assert!(!screen.contains("since"), "{screen}");
}
