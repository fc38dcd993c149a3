//! The sandbox's Prometheus API against a real Prometheus (Debian's package) scraping the
//! sandbox's own `/metrics/<service>` pages every second: the same queries give the same
//! shape (result type, label sets) and close values. Needs the `prometheus` binary.

use crate::support;
use crate::support::tools;

use std::collections::BTreeSet;
use std::time::Duration;

use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};
use serde_json::Value;
use support::prometheus::free_port;

async fn ask(http: &reqwest::Client, base: &str, query: &str, time: &str) -> Value {
    http.get(format!("{base}/api/v1/query"))
        .query(&[("query", query), ("time", time)])
        .send()
        .await
        .expect("query")
        .json()
        .await
        .expect("JSON")
}

/// Each series of an answer: its labels (without Prometheus's own `job`/`instance`) and
/// value.
fn series(answer: &Value) -> Vec<(Vec<(String, String)>, f64)> {
    answer["data"]["result"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|s| {
            let labels = s["metric"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .filter(|(k, _)| *k != "job" && *k != "instance")
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned()))
                        .collect()
                })
                .unwrap_or_default();
            let value = s["value"][1]
                .as_str()
                .and_then(|v| v.parse().ok())
                .unwrap_or(f64::NAN);
            (labels, value)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_answers_as_a_prometheus_scraping_it_does() {
    let Some(bin) = tools::require("prometheus") else {
        return;
    };
    let sb = Sandbox::start(SandboxOptions::scenario(Scenario::Steady))
        .await
        .expect("sandbox");
    let mut config = String::from(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n",
    );
    for (service, _) in sb.metrics_targets() {
        config.push_str(&format!(
            "  - job_name: {service}\n    metrics_path: /metrics/{service}\n    static_configs:\n      - targets: ['{}']\n",
            sb.addr()
        ));
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let _prometheus = support::prometheus::start(&bin, dir.path(), &config, port);
    let real = format!("http://127.0.0.1:{port}");
    let ours = sb.prometheus_url();
    let http = flightdeck::sources::metrics::http_client(Duration::from_secs(5)).expect("client");

    // until Prometheus's series are older than the 30 s window (a younger one reads low:
    // its rate is extrapolated over its own life only)
    let mut ready = false;
    for _ in 0..180 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = format!(
            "{:.3}",
            jiff::Timestamp::now().as_millisecond() as f64 / 1000.0
        );
        let a = ask(
            &http,
            &real,
            r#"count_over_time(http_requests_total{service="checkout",status="200"}[1m])"#,
            &now,
        )
        .await;
        if series(&a).first().is_some_and(|(_, n)| *n >= 36.0) {
            ready = true;
            break;
        }
    }
    let log = std::fs::read_to_string(dir.path().join("prometheus.log")).unwrap_or_default();
    assert!(ready, "Prometheus never filled its window; its log:\n{log}");

    // both asked at the same time, a moment ago (the sandbox's clock runs with the wall's)
    let t = format!(
        "{:.3}",
        jiff::Timestamp::now().as_millisecond() as f64 / 1000.0 - 1.0
    );
    let queries = [
        (r#"sum by (service) (rate(http_requests_total[30s]))"#, 0.2),
        (
            r#"sum by (service, status, method) (rate(http_requests_total{service="checkout"}[30s]))"#,
            0.3,
        ),
        (
            r#"histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{service="cart"}[30s])))"#,
            0.15,
        ),
    ];
    for (q, tolerance) in queries {
        let (a, b) = (
            ask(&http, &real, q, &t).await,
            ask(&http, &ours, q, &t).await,
        );
        assert_eq!(a["status"], "success", "{q}: {a}");
        assert_eq!(b["status"], "success", "{q}: {b}");
        assert_eq!(a["data"]["resultType"], b["data"]["resultType"], "{q}");
        let (sa, sb_) = (series(&a), series(&b));
        let labels = |s: &[(Vec<(String, String)>, f64)]| -> BTreeSet<Vec<(String, String)>> {
            s.iter().map(|(l, _)| l.clone()).collect()
        };
        // a status line seen only in one answer would be a label-set mismatch; 404s are
        // rare enough that a 30 s window may miss them in one of the two
        let keep = |s: Vec<(Vec<(String, String)>, f64)>| -> Vec<(Vec<(String, String)>, f64)> {
            s.into_iter()
                .filter(|(l, _)| !l.iter().any(|(k, v)| k == "status" && v == "404"))
                .collect()
        };
        let (sa, sb_) = (keep(sa), keep(sb_));
        assert_eq!(labels(&sa), labels(&sb_), "{q}:\nreal {a}\nours {b}");
        for ((la, va), (_, vb)) in sa.iter().zip(sb_.iter()) {
            // the 5xx lines of a steady service are a trickle: compare the rest
            if la.iter().any(|(k, v)| k == "status" && v.starts_with('5')) {
                continue;
            }
            let off = (va - vb).abs() / va.abs().max(1e-9);
            assert!(
                off < tolerance,
                "{q} {la:?}: real {va}, ours {vb}\nreal {a}\nours {b}"
            );
        }
    }
}
