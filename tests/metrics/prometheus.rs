//! API mode against a real Prometheus server (Debian's `prometheus` package): it scrapes a
//! loopback axum server every second and evaluates the seed's `HighErrorRate` rule; our
//! client's ratio must equal Prometheus's own answer to the seed query, and the alert must
//! show as firing. Needs the `prometheus` binary (see `tests/support/tools.rs`).
//!
//! Changed from the seed's rule: `for: 0s` instead of `5m`, so it fires within the test.

use crate::support;
use crate::support::tools;

use std::collections::HashMap;
use std::path::Path;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use support::prometheus::{Running, free_port};

use axum::Router;
use axum::routing::get;
use flightdeck::app::panes::errors::ErrorRateState;
use flightdeck::sources::metrics::alertmanager::{self, AlertmanagerClient};
use flightdeck::sources::metrics::direct::MAX_PAGE_BYTES;
use flightdeck::sources::metrics::prometheus::{
    PrometheusClient, PrometheusConfig, Queries, poll_once, spawn_prometheus,
};
use flightdeck::sources::metrics::{AlertState, Health, http_client};
use tokio::sync::mpsc;

const SEED_RATIO: &str =
    r#"sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))"#;

const RULES: &str = r#"groups:
  - name: seed
    rules:
      - alert: HighErrorRate
        expr: sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) > 0.05
        for: 0s
        labels:
          severity: critical
        annotations:
          summary: 5xx ratio above 5%
"#;

/// Counters that move unevenly on every scrape, so the ratio depends on the exact window
/// and a mismatch in evaluation times would show.
async fn serve_counters() -> String {
    let scrapes = Arc::new(AtomicU64::new(0));
    let app = Router::new().route(
        "/metrics",
        get(move || {
            let n = scrapes.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                // Totals after n scrapes of: ok += 40 + i % 13, errors += 5 + i % 7.
                let ok: u64 = (1..=n).map(|i| 40 + i % 13).sum();
                let errors: u64 = (1..=n).map(|i| 5 + i % 7).sum();
                let fast = ok;
                let all = ok + errors;
                format!(
                    "# TYPE http_requests_total counter\n\
                     http_requests_total{{service=\"checkout\",status=\"200\",method=\"GET\"}} {ok}\n\
                     http_requests_total{{service=\"checkout\",status=\"503\",method=\"GET\"}} {errors}\n\
                     # TYPE http_request_duration_seconds histogram\n\
                     http_request_duration_seconds_bucket{{service=\"checkout\",le=\"0.1\"}} {fast}\n\
                     http_request_duration_seconds_bucket{{service=\"checkout\",le=\"1\"}} {all}\n\
                     http_request_duration_seconds_bucket{{service=\"checkout\",le=\"+Inf\"}} {all}\n\
                     http_request_duration_seconds_count{{service=\"checkout\"}} {all}\n"
                )
            }
        }),
    );
    let addr = serve_app(app).await;
    addr.to_string()
}

fn start_prometheus(bin: &Path, dir: &Path, target: &str, port: u16) -> Running {
    let config = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
         rule_files:\n  - rules.yml\n\
         scrape_configs:\n  - job_name: checkout\n    static_configs:\n      - targets: ['{target}']\n"
    );
    std::fs::write(dir.join("rules.yml"), RULES).expect("write rules");
    support::prometheus::start(bin, dir, &config, port)
}

/// Prometheus's own answer to `query` at `time` (unix seconds), read with plain serde_json.
async fn prometheus_answer(http: &reqwest::Client, base: &str, query: &str, time: &str) -> f64 {
    let body: serde_json::Value = http
        .get(format!("{base}/api/v1/query"))
        .query(&[("query", query), ("time", time)])
        .send()
        .await
        .expect("query Prometheus")
        .json()
        .await
        .expect("JSON answer");
    let value = &body["data"]["result"][0]["value"][1];
    value
        .as_str()
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(f64::NAN)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_mode_matches_prometheus_and_sees_the_alert() {
    let Some(bin) = tools::require("prometheus") else {
        return;
    };
    let target = serve_counters().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let _prometheus = start_prometheus(&bin, dir.path(), &target, port);
    let base = format!("http://127.0.0.1:{port}");
    let http = http_client(Duration::from_secs(2)).expect("client");

    // Bounded polling until Prometheus has two scrapes and answers the seed query.
    let mut ready = false;
    for _ in 0..240 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = format!(
            "{:.3}",
            jiff::Timestamp::now().as_millisecond() as f64 / 1000.0
        );
        if let Ok(response) = http
            .get(format!("{base}/api/v1/query"))
            .query(&[("query", SEED_RATIO), ("time", now.as_str())])
            .send()
            .await
            && let Ok(body) = response.json::<serde_json::Value>().await
            && body["data"]["result"][0]["value"][1]
                .as_str()
                .and_then(|v| v.parse::<f64>().ok())
                .is_some_and(|v| !v.is_nan())
        {
            ready = true;
            break;
        }
    }
    let log = std::fs::read_to_string(dir.path().join("prometheus.log")).unwrap_or_default();
    assert!(ready, "Prometheus never had data; its log:\n{log}");

    let config = PrometheusConfig {
        url: base.clone(),
        alertmanager: None,
        services: vec!["checkout".into()],
        queries: Queries {
            error_ratio: r#"sum(rate(http_requests_total{service="$service",status=~"5.."}[5m])) / sum(rate(http_requests_total{service="$service"}[5m]))"#.into(),
            ..Queries::default()
        },
        window: Duration::from_secs(120),
        max_page_bytes: MAX_PAGE_BYTES,
        status_label: Default::default(),
        revision_label: Default::default(),
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let task = spawn_prometheus(config, Duration::from_secs(1), move |u| tx.send(u).is_ok());
    let mut state = ErrorRateState::new(Duration::from_secs(120), Duration::from_secs(1));
    let mut done = false;
    for _ in 0..120 {
        let update = rx.recv().await.expect("source running");
        state.apply(update);
        // a few points: the young series' age is read off them
        let has_ratio = state
            .service("checkout")
            .is_some_and(|s| !s.error_ratio().is_nan() && s.history.len() >= 3);
        let firing = state.firing(None).any(|a| a.name == "HighErrorRate");
        if has_ratio && firing {
            done = true;
            break;
        }
    }
    assert!(done, "no ratio or no firing alert: {state:#?}");
    drop(rx);
    task.await.expect("task ends when the receiver is gone");

    let checkout = state.service("checkout").expect("checkout");
    assert!(checkout.failing.is_none(), "{checkout:?}");
    let latest = checkout.latest.expect("latest point");
    let time = format!("{:.3}", latest.at_ms as f64 / 1000.0);
    let theirs = prometheus_answer(&http, &base, SEED_RATIO, &time).await;
    eprintln!(
        "at {time}: our ratio {} / Prometheus {theirs}",
        latest.error_ratio
    );
    assert!(
        (latest.error_ratio - theirs).abs() <= 1e-12 * theirs.abs().max(1.0),
        "ours {} vs Prometheus {theirs} at {time}",
        latest.error_ratio
    );
    assert!(latest.error_ratio > 0.05, "{latest:?}");
    // the series is seconds old: Prometheus's rate over 5m reads a fraction of the traffic,
    // ours is taken over the series' own age (45 to 63 requests a scrape, one a second)
    let rate = prometheus_answer(&http, &base, "sum(rate(http_requests_total[5m]))", &time).await;
    assert!(
        latest.request_rate > rate,
        "{latest:?} vs Prometheus {rate}"
    );
    assert!(
        (45.0 * 0.8..=63.0 * 1.2).contains(&latest.request_rate),
        "young series at its own rate: {latest:?} (Prometheus's 5m rate {rate})"
    );
    let p95 = prometheus_answer(
        &http,
        &base,
        "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
        &time,
    )
    .await;
    assert!(
        (latest.p95_seconds - p95).abs() <= 1e-9,
        "{latest:?} vs {p95}"
    );

    let alert = state
        .firing(None)
        .find(|a| a.name == "HighErrorRate")
        .expect("firing");
    assert_eq!(alert.severity.as_deref(), Some("critical"));
    assert_eq!(alert.summary.as_deref(), Some("5xx ratio above 5%"));
    assert_eq!(alert.state, AlertState::Firing);
    assert!(alert.active_at.is_some());
    assert!(alert.value > 0.05, "{alert:?}");

    // Bad PromQL: Prometheus's own error text, on that service's entry.
    let client = PrometheusClient::new(http.clone(), &base);
    let bad = PrometheusConfig {
        url: base.clone(),
        alertmanager: None,
        services: vec!["checkout".into()],
        queries: Queries {
            error_ratio: r#"sum(rate(http_requests_total{service="$service"}[5m]"#.into(),
            ..Queries::default()
        },
        window: Duration::from_secs(60),
        max_page_bytes: MAX_PAGE_BYTES,
        status_label: Default::default(),
        revision_label: Default::default(),
    };
    let update = poll_once(
        &client,
        None,
        &bad,
        Duration::from_secs(1),
        &mut HashMap::new(),
    )
    .await;
    match &update.health[0].health {
        Health::Failing { error } => {
            assert!(error.contains("bad_data"), "{error}");
            assert!(error.contains("parse error"), "{error}");
        }
        Health::Up => panic!("bad PromQL accepted: {update:?}"),
    }
    assert!(update.alerts.as_ref().is_some_and(|a| a.error.is_none()));
}

#[tokio::test]
async fn prometheus_down_marks_every_service_and_the_alerts_failing() {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let http = http_client(Duration::from_secs(1)).expect("client");
    let client = PrometheusClient::new(http, &base);
    let config = PrometheusConfig {
        url: base.clone(),
        alertmanager: None,
        services: vec!["a".into(), "b".into()],
        queries: Queries::default(),
        window: Duration::from_secs(60),
        max_page_bytes: MAX_PAGE_BYTES,
        status_label: Default::default(),
        revision_label: Default::default(),
    };
    let update = poll_once(
        &client,
        None,
        &config,
        Duration::from_secs(1),
        &mut HashMap::new(),
    )
    .await;
    assert_eq!(update.health.len(), 2);
    for h in &update.health {
        match &h.health {
            Health::Failing { error } => assert!(error.contains(&base), "{error}"),
            Health::Up => panic!("{h:?}"),
        }
    }
    assert!(update.alerts.as_ref().is_some_and(|a| a.error.is_some()));
}

#[tokio::test]
async fn alertmanager_silences_are_merged() {
    // Alertmanager's v2 answer as it sends it: external label added, one silenced alert, one
    // only Alertmanager knows, one already resolved.
    let body = r#"[
      {"labels":{"alertname":"HighErrorRate","severity":"critical","service":"checkout","cluster":"prod"},
       "annotations":{"summary":"5xx above 5%"},"fingerprint":"a1","startsAt":"2026-01-01T03:00:00Z",
       "endsAt":"2999-01-01T00:00:00Z","updatedAt":"2026-01-01T03:00:00Z","receivers":[{"name":"pager"}],
       "status":{"state":"suppressed","silencedBy":["5f0c"],"inhibitedBy":[]}},
      {"labels":{"alertname":"DiskFull","severity":"warning"},"annotations":{"description":"disk 95%"},
       "startsAt":"2026-01-01T02:00:00Z","endsAt":"2999-01-01T00:00:00Z",
       "status":{"state":"active","silencedBy":[],"inhibitedBy":[]}},
      {"labels":{"alertname":"Old"},"annotations":{},"startsAt":"2020-01-01T00:00:00Z",
       "endsAt":"2020-01-01T01:00:00Z","status":{"state":"active","silencedBy":[],"inhibitedBy":[]}}
    ]"#;
    let app = Router::new().route(
        "/api/v2/alerts",
        get(move || async move { ([("content-type", "application/json")], body) }),
    );
    let addr = serve_app(app).await;
    let http = http_client(Duration::from_secs(1)).expect("client");
    let am = AlertmanagerClient::new(http, &format!("http://{addr}/"));
    let from_am = am.alerts().await.expect("alerts");
    let mut alerts = vec![flightdeck::sources::metrics::Alert {
        name: "HighErrorRate".into(),
        state: AlertState::Firing,
        severity: Some("critical".into()),
        summary: None,
        service: Some("checkout".into()),
        active_at: None,
        value: 0.14,
        labels: [
            ("alertname".to_owned(), "HighErrorRate".to_owned()),
            ("severity".to_owned(), "critical".to_owned()),
            ("service".to_owned(), "checkout".to_owned()),
        ]
        .into(),
        silenced: false,
    }];
    alertmanager::merge(&mut alerts, from_am, jiff::Timestamp::now());
    assert_eq!(alerts.len(), 2, "{alerts:#?}");
    assert!(alerts[0].silenced);
    assert_eq!(alerts[1].name, "DiskFull");
    assert!(!alerts[1].silenced);
    assert_eq!(alerts[1].summary.as_deref(), Some("disk 95%"));
    assert_eq!(alerts[1].state, AlertState::Firing);
}

/// A target whose three services are: `cart` sound, `checkout` with a NaN 5xx counter, and
/// `neg` whose counter reads ever further below zero (what showed as "-52319.3/s").
async fn serve_unsound_counters() -> String {
    let scrapes = Arc::new(AtomicU64::new(0));
    let app = Router::new().route(
        "/metrics",
        get(move || {
            let n = scrapes.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                let ok = 100 * n;
                let neg = -52_319 * n as i64;
                format!(
                    "# TYPE http_requests_total counter\n\
                     http_requests_total{{service=\"cart\",status=\"200\"}} {ok}\n\
                     http_requests_total{{service=\"cart\",status=\"500\"}} {n}\n\
                     http_requests_total{{service=\"checkout\",status=\"200\"}} {ok}\n\
                     http_requests_total{{service=\"checkout\",status=\"503\"}} NaN\n\
                     http_requests_total{{service=\"neg\",status=\"200\"}} {neg}\n"
                )
            }
        }),
    );
    let addr = serve_app(app).await;
    addr.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_mode_nan_and_negative_counters_are_data_problems() {
    let Some(bin) = tools::require("prometheus") else {
        return;
    };
    let target = serve_unsound_counters().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let _prometheus = start_prometheus(&bin, dir.path(), &target, port);
    let base = format!("http://127.0.0.1:{port}");
    let http = http_client(Duration::from_secs(2)).expect("client");
    let client = PrometheusClient::new(http, &base);
    let config = PrometheusConfig {
        url: base.clone(),
        alertmanager: None,
        services: vec!["cart".into(), "checkout".into(), "neg".into()],
        queries: Queries::default(),
        window: Duration::from_secs(60),
        max_page_bytes: MAX_PAGE_BYTES,
        status_label: Default::default(),
        revision_label: Default::default(),
    };
    // Bounded polling until Prometheus has rated two scrapes of the sound service.
    let mut last = None;
    for _ in 0..120 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let update = poll_once(
            &client,
            None,
            &config,
            Duration::from_secs(1),
            &mut HashMap::new(),
        )
        .await;
        if update.points.iter().any(|p| p.service == "cart") && update.problems.len() == 2 {
            last = Some(update);
            break;
        }
        last = Some(update);
    }
    let log = std::fs::read_to_string(dir.path().join("prometheus.log")).unwrap_or_default();
    let update = last.expect("polled");
    assert!(
        update.points.iter().any(|p| p.service == "cart"),
        "no data from Prometheus: {update:?}\n{log}"
    );
    let problem = |service: &str| {
        update
            .problems
            .iter()
            .find(|p| p.service == service)
            .map(|p| p.problem.clone())
            .unwrap_or_else(|| panic!("no problem for {service}: {update:?}"))
    };
    assert!(
        problem("checkout").starts_with("request rate is NaN"),
        "{update:?}"
    );
    assert!(
        problem("neg").starts_with("request rate is negative"),
        "{update:?}"
    );
    // no point of theirs carries the unsound numbers: no 0 %, no negative rate
    for sp in &update.points {
        for p in &sp.points {
            assert!(p.request_rate.is_nan() || p.request_rate >= 0.0, "{sp:?}");
            assert!(sp.service == "cart" || !p.request_rate.is_nan(), "{sp:?}");
        }
    }
    // and the pane shows them as such, not as a ratio
    let mut state = ErrorRateState::default();
    state.apply(update);
    let checkout = state.service("checkout").expect("checkout");
    assert!(checkout.data_problem.is_some());
    assert!(checkout.error_ratio().is_nan());
}

#[tokio::test]
async fn api_answers_over_the_limit_fail_with_the_setting_to_raise() {
    // 5 MB of a well-formed answer: only the limit stops it
    let padding = "x".repeat(5_000_000);
    let answer = format!(
        r#"{{"status":"success","data":{{"resultType":"matrix","result":[],"pad":"{padding}"}}}}"#
    );
    let alerts = format!(r#"{{"status":"success","data":{{"alerts":[],"pad":"{padding}"}}}}"#);
    let app = Router::new()
        .route("/api/v1/query_range", get(move || async move { answer }))
        .route("/api/v1/alerts", get(move || async move { alerts }));
    let addr = serve_app(app).await;
    let base = format!("http://{addr}");
    let http = http_client(Duration::from_secs(2)).expect("client");
    let config = PrometheusConfig {
        url: base.clone(),
        alertmanager: None,
        services: vec!["checkout".into()],
        queries: Queries::default(),
        window: Duration::from_secs(60),
        max_page_bytes: MAX_PAGE_BYTES,
        status_label: Default::default(),
        revision_label: Default::default(),
    };
    let client = PrometheusClient::new(http.clone(), &base).with_max_bytes(MAX_PAGE_BYTES);
    let update = poll_once(
        &client,
        None,
        &config,
        Duration::from_secs(1),
        &mut HashMap::new(),
    )
    .await;
    let limit = "answer over 4 MiB limit; raise [metrics] max_page_bytes";
    match &update.health[0].health {
        Health::Failing { error } => assert!(error.contains(limit), "{error}"),
        Health::Up => panic!("read past the limit: {update:?}"),
    }
    let alerts_error = update
        .alerts
        .as_ref()
        .and_then(|a| a.error.clone())
        .expect("alerts fail too");
    assert!(alerts_error.contains(limit), "{alerts_error}");
    // raised past the answer's size, the same answer is read
    let roomy = PrometheusClient::new(http, &base).with_max_bytes(8 << 20);
    let update = poll_once(
        &roomy,
        None,
        &config,
        Duration::from_secs(1),
        &mut HashMap::new(),
    )
    .await;
    assert_eq!(update.health[0].health, Health::Up, "{update:?}");
}

/// Per scrape `n`: the stable revision +199 ok and +1 5xx (0.5 %), the canary +18 ok and
/// +2 5xx (10 %), a sidecar without the revision label +100 ok, an old revision nothing.
async fn serve_revisions() -> String {
    let scrapes = Arc::new(AtomicU64::new(0));
    let app = Router::new().route(
        "/metrics",
        get(move || {
            let n = scrapes.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                format!(
                    "# TYPE http_requests_total counter\n\
                     http_requests_total{{service=\"checkout\",status=\"200\",rollouts_pod_template_hash=\"5b8e21aa9\"}} {}\n\
                     http_requests_total{{service=\"checkout\",status=\"503\",rollouts_pod_template_hash=\"5b8e21aa9\"}} {n}\n\
                     http_requests_total{{service=\"checkout\",status=\"200\",rollouts_pod_template_hash=\"7f9c4d8b5\"}} {}\n\
                     http_requests_total{{service=\"checkout\",status=\"500\",rollouts_pod_template_hash=\"7f9c4d8b5\"}} {}\n\
                     http_requests_total{{service=\"checkout\",status=\"200\",rollouts_pod_template_hash=\"3c1d09f7e\"}} 5000\n\
                     http_requests_total{{service=\"checkout\",status=\"200\",container=\"sidecar\"}} {}\n",
                    199 * n,
                    18 * n,
                    2 * n,
                    100 * n
                )
            }
        }),
    );
    serve_app(app).await.to_string()
}

/// A loopback proxy in front of `upstream` that records the path and query of every
/// request: how many round trips one round makes.
async fn counting_proxy(upstream: String, seen: Arc<std::sync::Mutex<Vec<String>>>) -> String {
    let http = reqwest::Client::new();
    let app = Router::new().fallback(move |uri: axum::http::Uri| {
        let (http, upstream, seen) = (http.clone(), upstream.clone(), seen.clone());
        async move {
            let path = uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default();
            if let Ok(mut seen) = seen.lock() {
                seen.push(path.clone());
            }
            let bad = axum::http::StatusCode::BAD_GATEWAY;
            match http.get(format!("{upstream}{path}")).send().await {
                Ok(r) => {
                    let status =
                        axum::http::StatusCode::from_u16(r.status().as_u16()).unwrap_or(bad);
                    (status, r.text().await.unwrap_or_default())
                }
                Err(e) => (bad, e.to_string()),
            }
        }
    });
    format!("http://{}", serve_app(app).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_mode_splits_each_service_by_revision_in_one_extra_query() {
    let Some(bin) = tools::require("prometheus") else {
        return;
    };
    let target = serve_revisions().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let _prometheus = start_prometheus(&bin, dir.path(), &target, port);
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let base = counting_proxy(format!("http://127.0.0.1:{port}"), seen.clone()).await;
    let http = http_client(Duration::from_secs(2)).expect("client");
    let client = PrometheusClient::new(http, &base);
    let mut config = PrometheusConfig::new(base.clone(), vec!["cart".into(), "checkout".into()]);
    config.window = Duration::from_secs(60);
    // Bounded polling until Prometheus has rated two scrapes of both revisions.
    let mut last = None;
    for _ in 0..120 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if let Ok(mut seen) = seen.lock() {
            seen.clear();
        }
        let update = poll_once(
            &client,
            None,
            &config,
            Duration::from_secs(1),
            &mut HashMap::new(),
        )
        .await;
        let split = update
            .points
            .iter()
            .find(|p| p.service == "checkout")
            .and_then(|p| p.by_revision.last())
            .map(|r| r.at_ms);
        let newest = update
            .points
            .iter()
            .find(|p| p.service == "checkout")
            .and_then(|p| p.points.last())
            .map(|p| p.at_ms);
        let done = split.is_some() && split == newest;
        last = Some(update);
        if done {
            break;
        }
    }
    let log = std::fs::read_to_string(dir.path().join("prometheus.log")).unwrap_or_default();
    let update = last.expect("polled");
    // one round: 3 queries per service, one for every service's revisions, the alerts
    let requests = seen.lock().map(|s| s.clone()).unwrap_or_default();
    assert_eq!(requests.len(), 3 * 2 + 1 + 1, "{requests:#?}");
    let revision_queries = requests
        .iter()
        .filter(|r| r.contains("flightdeck_class"))
        .count();
    assert_eq!(revision_queries, 1, "{requests:#?}");
    let checkout = update
        .points
        .iter()
        .find(|p| p.service == "checkout")
        .unwrap_or_else(|| panic!("no data from Prometheus: {update:?}\n{log}"));
    assert!(update.problems.is_empty(), "{update:?}");
    // the service's numbers are the sum over everything, as before
    let overall = checkout.points.last().expect("a point");
    assert!(
        (overall.error_ratio - 3.0 / 320.0).abs() < 1e-9,
        "{overall:?}"
    );
    // at the newest time: the stable and the canary, not the old one nor the sidecar
    let at = overall.at_ms;
    let newest: Vec<_> = checkout
        .by_revision
        .iter()
        .filter(|r| r.at_ms == at)
        .collect();
    let names: Vec<&str> = newest.iter().map(|r| r.revision.as_str()).collect();
    assert_eq!(names, ["5b8e21aa9", "7f9c4d8b5"], "{checkout:?}");
    assert!((newest[0].error_ratio - 0.005).abs() < 1e-9, "{newest:?}");
    assert!((newest[1].error_ratio - 0.1).abs() < 1e-9, "{newest:?}");
    let share = (newest[0].request_rate + newest[1].request_rate) / overall.request_rate;
    assert!(
        (share - 220.0 / 320.0).abs() < 1e-9,
        "{newest:?} {overall:?}"
    );
    // cart has no series at all: no points, no revisions, and still up
    assert!(
        update.points.iter().all(|p| p.service != "cart"),
        "{update:?}"
    );
    assert!(
        update.health.iter().all(|h| h.health == Health::Up),
        "{update:?}"
    );
}

/// Serves `app` on a loopback port of its own, in the background; its address.
async fn serve_app(app: axum::Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}
