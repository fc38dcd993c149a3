//! The sandbox's Prometheus HTTP API (`/prometheus/api/v1/...`): 30 simulated minutes of
//! history from the start, told as the scenario's story went; rates, ratios, p95 and the
//! per-revision split consistent with the `/metrics` counters; Prometheus's envelope and
//! its `bad_data` refusals; the `HighErrorRate` alert.

use std::time::Duration;

use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};
use serde_json::Value;

async fn start(scenario: Scenario) -> Sandbox {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sb = Sandbox::start(SandboxOptions::scenario(scenario))
        .await
        .expect("sandbox starts");
    // time stands still unless a test moves it, so answers at "now" are comparable
    let r = reqwest::Client::new()
        .post(format!("{}/time/pause", sb.admin_url()))
        .send()
        .await
        .expect("pause");
    assert!(r.status().is_success());
    sb
}

async fn get(sb: &Sandbox, path: &str, params: &[(&str, &str)]) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(format!("{}{path}", sb.prometheus_url()))
        .query(params)
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.expect("JSON body"))
}

/// The simulated now, unix seconds (the admin state's `now_ms`).
fn now_secs(sb: &Sandbox) -> f64 {
    let ms = sb.state()["now_ms"]
        .as_i64()
        .expect("admin state has now_ms");
    ms as f64 / 1000.0
}

/// One value of an instant query at `time` (the only series), as a number.
async fn value_at(sb: &Sandbox, query: &str, time: f64) -> f64 {
    let t = format!("{time:.3}");
    let (status, body) = get(sb, "/api/v1/query", &[("query", query), ("time", &t)]).await;
    assert_eq!(status, 200, "{query}: {body}");
    assert_eq!(body["status"], "success", "{body}");
    assert_eq!(body["data"]["resultType"], "vector", "{body}");
    let result = body["data"]["result"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(result.len(), 1, "{query}: one series expected: {body}");
    let v = &result[0]["value"];
    assert!(v[0].is_number(), "time as a number: {v}");
    v[1].as_str()
        .expect("value as a string")
        .parse::<f64>()
        .expect("a number")
}

/// The sum of every `http_requests_total` line of a service's page.
async fn page_total(sb: &Sandbox, service: &str) -> f64 {
    let page = reqwest::get(format!("{}/metrics/{service}", sb.base_url()))
        .await
        .expect("page")
        .text()
        .await
        .expect("text");
    page.lines()
        .filter(|l| l.starts_with("http_requests_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

const RATE: &str = r#"sum(rate(http_requests_total{service="checkout"}[5m]))"#;
const RATIO: &str = r#"sum(rate(http_requests_total{service="checkout",status=~"5.."}[5m])) / sum(rate(http_requests_total{service="checkout"}[5m]))"#;
const P95: &str = r#"histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{service="checkout"}[5m])))"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_ratio_and_p95_agree_with_the_counters() {
    let sb = start(Scenario::Steady).await;
    let now = now_secs(&sb);
    // the stored counters: the page now, less what came after the newest scrape (at most
    // one 15 s step of ~80/s)
    let stored = value_at(&sb, r#"sum(http_requests_total{service="checkout"})"#, now).await;
    let page = page_total(&sb, "checkout").await;
    assert!(
        stored <= page && page - stored < 15.0 * 150.0,
        "stored {stored}, page {page}"
    );
    // the rate over 5 minutes is the counters' increase over them
    let before = value_at(
        &sb,
        r#"sum(http_requests_total{service="checkout"})"#,
        now - 300.0,
    )
    .await;
    let rate = value_at(&sb, RATE, now).await;
    let by_counters = (stored - before) / 300.0;
    assert!(
        (rate - by_counters).abs() / by_counters < 0.1,
        "rate {rate}/s, counters say {by_counters}/s"
    );
    assert!((50.0..130.0).contains(&rate), "checkout's ~80/s: {rate}");
    let increase = value_at(
        &sb,
        r#"sum(increase(http_requests_total{service="checkout"}[5m]))"#,
        now,
    )
    .await;
    assert!((increase / 300.0 - rate).abs() < 1e-6 * rate.max(1.0));
    let ratio = value_at(&sb, RATIO, now).await;
    assert!(ratio < 0.01, "steady: {ratio}");
    // CDF: 85 % under 0.1 s, 96 % under 0.25 s
    let p95 = value_at(&sb, P95, now).await;
    assert!((0.1..0.25).contains(&p95), "p95 {p95}");
    // the page's own view: the +Inf bucket is the count
    let count = value_at(
        &sb,
        r#"sum(http_request_duration_seconds_count{service="checkout"}) - sum(http_request_duration_seconds_bucket{service="checkout",le="+Inf"})"#,
        now,
    )
    .await;
    assert_eq!(count, 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_minutes_of_history_tell_the_bad_release() {
    let sb = start(Scenario::BadRelease).await;
    let now = now_secs(&sb);
    let start = format!("{:.3}", now - 1800.0);
    let end = format!("{now:.3}");
    let (status, body) = get(
        &sb,
        "/api/v1/query_range",
        &[
            ("query", RATIO),
            ("start", &start),
            ("end", &end),
            ("step", "15"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["resultType"], "matrix");
    let values = body["data"]["result"][0]["values"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(values.len(), 121, "a value at every step of 30 minutes");
    let ratios: Vec<f64> = values
        .iter()
        .map(|v| {
            v[1].as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or(f64::NAN)
        })
        .collect();
    // healthy before the release (it started under 15 minutes ago), failing at the end
    assert!(ratios[..40].iter().all(|r| *r < 0.01), "{ratios:?}");
    assert!(ratios[120] > 0.1, "the bad release: {ratios:?}");
    // the alert: above 5 % now, pending or firing, active since the ratio rose
    let (status, body) = get(&sb, "/api/v1/alerts", &[]).await;
    assert_eq!(status, 200);
    let alerts = body["data"]["alerts"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let a = alerts
        .iter()
        .find(|a| a["labels"]["service"] == "checkout")
        .unwrap_or_else(|| panic!("checkout alert: {body}"));
    assert_eq!(a["labels"]["alertname"], "HighErrorRate");
    assert!(a["state"] == "firing" || a["state"] == "pending", "{a}");
    let active: jiff::Timestamp = a["activeAt"]
        .as_str()
        .unwrap_or("")
        .parse()
        .expect("activeAt");
    let active = active.as_millisecond() as f64 / 1000.0;
    assert!(active > now - 900.0 && active < now, "{a}");
    let firing = now - active >= 300.0;
    assert_eq!(a["state"] == "firing", firing, "for: 5m: {a}");
    // the steady services have none
    assert!(
        alerts.iter().all(|a| a["labels"]["service"] != "cart"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revisions_split_the_canary_and_history_moves_on() {
    let sb = start(Scenario::CanaryPaused).await;
    let now = now_secs(&sb);
    // flightdeck's per-revision query: label_join and label_replace mark the 5xx share
    let q = r#"sum by (service, rollouts_pod_template_hash, flightdeck_class) (label_replace(label_join(rate(http_requests_total{service=~"checkout|cart",rollouts_pod_template_hash!=""}[5m]), "flightdeck_status", ",", "status", "code"), "flightdeck_class", "5xx", "flightdeck_status", "5..,.*|,5.."))"#;
    let t = format!("{now:.3}");
    let (status, body) = get(&sb, "/api/v1/query", &[("query", q), ("time", &t)]).await;
    assert_eq!(status, 200, "{body}");
    let result = body["data"]["result"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let revisions: std::collections::BTreeSet<&str> = result
        .iter()
        .filter_map(|s| s["metric"]["rollouts_pod_template_hash"].as_str())
        .collect();
    assert_eq!(revisions.len(), 2, "stable and canary: {body}");
    assert!(
        result.iter().all(|s| s["metric"]["service"] == "checkout"),
        "cart has no revisions: {body}"
    );
    assert!(
        result
            .iter()
            .any(|s| s["metric"]["flightdeck_class"] == "5xx"),
        "{body}"
    );
    // the revisions add up to the service
    let per_revision: f64 = result
        .iter()
        .filter_map(|s| s["value"][1].as_str()?.parse::<f64>().ok())
        .sum();
    let all = value_at(&sb, RATE, now).await;
    assert!(
        (per_revision - all).abs() < 1e-6 * all,
        "{per_revision} vs {all}"
    );
    // simulated time moves, and the history with it (a scrape every 15 s)
    sb.advance(Duration::from_secs(60));
    let later = now_secs(&sb);
    let count_now = value_at(
        &sb,
        r#"count(http_requests_total{service="checkout"})"#,
        later,
    )
    .await;
    assert!(
        count_now >= 12.0,
        "two revisions × six status/method lines: {count_now}"
    );
    let moved = value_at(
        &sb,
        r#"sum(http_requests_total{service="checkout"})"#,
        later,
    )
    .await
        - value_at(&sb, r#"sum(http_requests_total{service="checkout"})"#, now).await;
    assert!(moved > 60.0 * 40.0, "a minute of traffic scraped: {moved}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_queries_are_bad_data_as_prometheus_says() {
    let sb = start(Scenario::Steady).await;
    let now = format!("{:.3}", now_secs(&sb));
    for bad in [
        "sum(rate(http_requests_total[5m])",
        "no_such_function(http_requests_total)",
        "rate(http_requests_total)",
        "http_requests_total offset 5m",
        r#"http_requests_total{status=~"5(.."}"#,
        "{}",
        r#"{status=""}"#,
        "sum(http_requests_total) by",
        "rate(http_requests_total[5x])",
        "http_requests_total[5m:1m]",
        "topk(3, http_requests_total)",
        "1 > 2",
        "",
    ] {
        let (status, body) = get(&sb, "/api/v1/query", &[("query", bad), ("time", &now)]).await;
        assert_eq!(status, 400, "{bad:?}: {body}");
        assert_eq!(body["status"], "error", "{bad:?}");
        assert_eq!(body["errorType"], "bad_data", "{bad:?}: {body}");
        assert!(
            body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{bad:?}: {body}"
        );
    }
    // times no clock has
    for time in ["1e300", "-9.2e15", "NaN", "soon"] {
        let (status, body) = get(&sb, "/api/v1/query", &[("query", "1"), ("time", time)]).await;
        assert_eq!(status, 400, "{time}: {body}");
        assert_eq!(body["errorType"], "bad_data", "{time}: {body}");
    }
    // a range query: missing or backwards times, a step that gives too many points, a
    // range vector
    let start = format!("{:.3}", now_secs(&sb) - 3600.0);
    for params in [
        vec![
            ("query", RATE),
            ("start", start.as_str()),
            ("end", now.as_str()),
        ],
        vec![
            ("query", RATE),
            ("start", now.as_str()),
            ("end", start.as_str()),
            ("step", "15"),
        ],
        vec![
            ("query", RATE),
            ("start", start.as_str()),
            ("end", now.as_str()),
            ("step", "0.1"),
        ],
        vec![
            ("query", RATE),
            ("start", start.as_str()),
            ("end", now.as_str()),
            ("step", "-1"),
        ],
        vec![
            ("query", "http_requests_total[5m]"),
            ("start", start.as_str()),
            ("end", now.as_str()),
            ("step", "15"),
        ],
        vec![
            ("query", RATE),
            ("start", "yesterday"),
            ("end", now.as_str()),
            ("step", "15"),
        ],
    ] {
        let (status, body) = get(&sb, "/api/v1/query_range", &params).await;
        assert_eq!(status, 400, "{params:?}: {body}");
        assert_eq!(body["errorType"], "bad_data", "{params:?}: {body}");
    }
    let (_, body) = get(
        &sb,
        "/api/v1/query_range",
        &[
            ("query", RATE),
            ("start", &start),
            ("end", &now),
            ("step", "0.1"),
        ],
    )
    .await;
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("11,000 points")),
        "{body}"
    );
    // POST with a form body, as Prometheus's clients may send it; a scalar; RFC 3339 time
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/query", sb.prometheus_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("query=1%2B2*3&time=2026-11-23T03%3A00%3A00Z")
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status().as_u16(), 200);
    let body: Value = r.json().await.expect("JSON");
    assert_eq!(body["data"]["resultType"], "scalar", "{body}");
    assert_eq!(body["data"]["result"][1], "7", "{body}");
    assert_eq!(body["data"]["result"][0].as_f64(), Some(1_795_402_800.0));
}
