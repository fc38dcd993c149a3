//! The sandbox's Prometheus endpoints: exposition format (checked by `promtool`, which the
//! test needs: see `tests/support/tools.rs`), error ratios that follow the simulated releases,
//! and the simulated DGX host.

use crate::tools;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};
use serde_json::{Value, json};

async fn start(scenario: Scenario) -> (Sandbox, reqwest::Client) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sb = Sandbox::start(SandboxOptions::scenario(scenario))
        .await
        .unwrap();
    let c = reqwest::Client::new();
    assert!(
        c.post(format!("{}/time/pause", sb.admin_url()))
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );
    (sb, c)
}

async fn text(c: &reqwest::Client, url: &str) -> String {
    let r = c.get(url).send().await.unwrap();
    assert!(r.status().is_success(), "{url}");
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
    r.text().await.unwrap()
}

/// (name, labels) -> value, for the simple exposition the sandbox writes.
fn parse(body: &str) -> BTreeMap<(String, BTreeMap<String, String>), f64> {
    let mut out = BTreeMap::new();
    for line in body
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (series, value) = line.rsplit_once(' ').unwrap();
        let (name, labels) = match series.split_once('{') {
            Some((n, rest)) => {
                let rest = rest.trim_end_matches('}');
                let labels = rest
                    .split("\",")
                    .map(|kv| {
                        let (k, v) = kv.split_once('=').unwrap();
                        (k.to_string(), v.trim_matches('"').to_string())
                    })
                    .collect();
                (n.to_string(), labels)
            }
            None => (series.to_string(), BTreeMap::new()),
        };
        out.insert((name, labels), value.parse::<f64>().unwrap());
    }
    out
}

fn requests(body: &str) -> (f64, f64) {
    let m = parse(body);
    let mut total = 0.0;
    let mut errors = 0.0;
    for ((name, labels), v) in &m {
        if name == "http_requests_total" {
            total += v;
            if labels["status"].starts_with('5') {
                errors += v;
            }
        }
    }
    (total, errors)
}

async fn advance(sb: &Sandbox, c: &reqwest::Client, secs: u64) {
    assert!(
        c.post(format!("{}/time/advance?seconds={secs}", sb.admin_url()))
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );
}

/// The 5xx ratio over `secs` of simulated time.
async fn ratio_over(sb: &Sandbox, c: &reqwest::Client, url: &str, secs: u64) -> f64 {
    let (t1, e1) = requests(&text(c, url).await);
    advance(sb, c, secs).await;
    let (t2, e2) = requests(&text(c, url).await);
    assert!(t2 > t1, "counters did not grow");
    assert!(e2 >= e1);
    (e2 - e1) / (t2 - t1)
}

/// `promtool check metrics` on `body`: its exit code and what it printed.
fn promtool(bin: &Path, body: &str) -> (i32, String) {
    let mut child = Command::new(bin)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start promtool");
    child
        .stdin
        .take()
        .expect("promtool's stdin")
        .write_all(body.as_bytes())
        .expect("write to promtool");
    let out = child.wait_with_output().expect("wait for promtool");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_metrics_output_passes_promtool() {
    let Some(bin) = tools::require("promtool") else {
        return;
    };
    for scenario in [
        Scenario::Steady,
        Scenario::BadRelease,
        Scenario::GpuHot,
        Scenario::BlueGreen,
    ] {
        let (sb, c) = start(scenario).await;
        advance(&sb, &c, 30).await;
        for (svc, url) in sb.metrics_targets() {
            let body = text(&c, &url).await;
            let (code, out) = promtool(&bin, &body);
            assert_eq!(
                code, 0,
                "promtool rejected {svc} in {scenario:?}: {out}\n{body}"
            );
        }
        for (host, url) in sb.gpu_hosts() {
            let body = text(&c, &url).await;
            let (code, out) = promtool(&bin, &body);
            // dcgm-exporter's own label names (modelName, Hostname, UUID) trip promtool's
            // camelCase lint (exit 3); anything else (a parse error is exit 1) fails.
            let only_camel = out.lines().all(|l| {
                l.trim().is_empty()
                    || l.contains("label names should be written in 'snake_case' not 'camelCase'")
            });
            assert!(
                code == 0 || (code == 3 && only_camel),
                "promtool rejected {host}: {code} {out}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn histogram_is_cumulative_and_counts_match() {
    let (sb, c) = start(Scenario::Steady).await;
    advance(&sb, &c, 10).await;
    for (svc, url) in sb.metrics_targets() {
        let m = parse(&text(&c, &url).await);
        let mut buckets: Vec<(f64, f64)> = m
            .iter()
            .filter(|((n, l), _)| {
                n == "http_request_duration_seconds_bucket" && l["service"] == svc
            })
            .map(|((_, l), v)| {
                (
                    if l["le"] == "+Inf" {
                        f64::INFINITY
                    } else {
                        l["le"].parse().unwrap()
                    },
                    *v,
                )
            })
            .collect();
        buckets.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
        assert!(buckets.len() >= 10);
        assert!(
            buckets.windows(2).all(|w| w[0].1 <= w[1].1),
            "{svc}: buckets not cumulative"
        );
        let count = m
            .iter()
            .find(|((n, _), _)| n == "http_request_duration_seconds_count")
            .map(|(_, v)| *v)
            .unwrap();
        assert_eq!(buckets.last().unwrap().1, count);
        let (total, _) = requests(&text(&c, &url).await);
        assert!(
            (total - count).abs() <= 8.0,
            "{svc}: requests {total} vs histogram count {count}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_release_raises_5xx_and_rollback_brings_it_down() {
    let (sb, c) = start(Scenario::BadRelease).await;
    let checkout = sb
        .metrics_targets()
        .into_iter()
        .find(|(s, _)| s == "checkout")
        .unwrap()
        .1;
    let cart = sb
        .metrics_targets()
        .into_iter()
        .find(|(s, _)| s == "cart")
        .unwrap()
        .1;
    let bad = ratio_over(&sb, &c, &checkout, 120).await;
    assert!((0.10..0.20).contains(&bad), "bad release 5xx ratio {bad}");
    let healthy = ratio_over(&sb, &c, &cart, 120).await;
    assert!(healthy < 0.02, "cart 5xx ratio {healthy}");

    // roll back the way `kubectl rollout undo` does: JSON patch of the previous template
    let kube = sb.kube_url();
    let rss: Value = c
        .get(format!(
            "{kube}/apis/apps/v1/namespaces/shop/replicasets?labelSelector=app%3Dcheckout"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let prev = rss["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3")
        .unwrap();
    let mut tmpl = prev["spec"]["template"].clone();
    tmpl["metadata"]["labels"]
        .as_object_mut()
        .unwrap()
        .remove("pod-template-hash");
    let r = c
        .patch(format!(
            "{kube}/apis/apps/v1/namespaces/shop/deployments/checkout"
        ))
        .header("content-type", "application/json-patch+json")
        .body(json!([{"op": "replace", "path": "/spec/template", "value": tmpl}]).to_string())
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    advance(&sb, &c, 60).await;
    let after = ratio_over(&sb, &c, &checkout, 120).await;
    assert!(after < 0.02, "after rollback 5xx ratio {after}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dgx_host_serves_eight_gpus_and_gpu_hot_throttles() {
    for (scenario, want_hot) in [(Scenario::Steady, false), (Scenario::GpuHot, true)] {
        let (sb, c) = start(scenario).await;
        let (host, url) = sb.gpu_hosts().into_iter().next().unwrap();
        assert_eq!(host, "dgx-01");
        let m = parse(&text(&c, &url).await);
        for name in [
            "DCGM_FI_DEV_GPU_UTIL",
            "DCGM_FI_DEV_FB_USED",
            "DCGM_FI_DEV_FB_FREE",
            "DCGM_FI_DEV_GPU_TEMP",
            "DCGM_FI_DEV_POWER_USAGE",
            "DCGM_FI_DEV_SM_CLOCK",
            "DCGM_FI_DEV_MEM_CLOCK",
        ] {
            let series: Vec<_> = m.keys().filter(|(n, _)| n == name).collect();
            assert_eq!(series.len(), 8, "{name}");
            for (_, l) in series {
                for k in [
                    "gpu",
                    "UUID",
                    "pci_bus_id",
                    "device",
                    "modelName",
                    "Hostname",
                ] {
                    assert!(l.contains_key(k), "{name} lacks label {k}");
                }
                assert_eq!(l["Hostname"], "dgx-01");
            }
        }
        for name in [
            "dgx_gpu_temperature_celsius",
            "dgx_gpu_utilization_percent",
            "dgx_gpu_memory_used_bytes",
            "dgx_gpu_memory_total_bytes",
            "dgx_gpu_power_watts",
        ] {
            let series: Vec<_> = m.keys().filter(|(n, _)| n == name).collect();
            assert_eq!(series.len(), 8, "{name}");
            assert!(series.iter().all(|(_, l)| l.contains_key("gpu")
                && l.contains_key("uuid")
                && l.contains_key("hostname")));
        }
        let hot: Vec<f64> = m
            .iter()
            .filter(|((n, _), v)| n == "DCGM_FI_DEV_GPU_TEMP" && **v >= 85.0)
            .map(|(_, v)| *v)
            .collect();
        assert_eq!(!hot.is_empty(), want_hot, "{scenario:?}: hot GPUs {hot:?}");
        if want_hot {
            assert_eq!(hot, vec![90.0]);
            let slow = m
                .iter()
                .filter(|((n, _), v)| n == "DCGM_FI_DEV_SM_CLOCK" && **v < 1500.0)
                .count();
            assert_eq!(slow, 1, "the hot GPU should be throttled");
        }
    }
}

#[tokio::test]
async fn metric_faults_break_one_page_until_cleared() {
    let (sb, c) = start(Scenario::BadRelease).await;
    c.post(format!("{}/time/advance?seconds=60", sb.admin_url()))
        .send()
        .await
        .unwrap();
    let url = format!("{}/metrics/checkout", sb.base_url());
    let fault = |kind: &'static str| {
        let c = c.clone();
        let admin = sb.admin_url();
        async move {
            c.post(format!("{admin}/metrics/checkout/fault?{kind}"))
                .send()
                .await
                .unwrap()
        }
    };
    let line = |page: &str, needle: &str| -> Vec<String> {
        page.lines()
            .filter(|l| l.contains(needle))
            .map(str::to_owned)
            .collect()
    };
    let err_get = r#"status="500",method="GET""#;
    let ok_get = r#"status="200",method="GET""#;

    let r = fault("kind=nan").await;
    let status = r.status();
    assert!(status.is_success(), "{status} {}", r.text().await.unwrap());
    let page = text(&c, &url).await;
    assert!(line(&page, err_get)[0].ends_with(" NaN"), "{page}");
    assert!(fault("kind=inf").await.status().is_success());
    assert!(line(&text(&c, &url).await, err_get)[0].ends_with(" +Inf"));
    assert!(fault("kind=negative").await.status().is_success());
    assert!(line(&text(&c, &url).await, ok_get)[0].contains("} -"));
    assert!(fault("kind=duplicate").await.status().is_success());
    assert_eq!(line(&text(&c, &url).await, err_get).len(), 2);
    assert!(fault("kind=pad&bytes=100000").await.status().is_success());
    assert!(text(&c, &url).await.len() >= 100_000);
    // the other services are untouched
    let cart = text(&c, &format!("{}/metrics/cart", sb.base_url())).await;
    assert!(!cart.contains("NaN") && !cart.contains("# pad"));

    let bad = fault("kind=bogus").await;
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("unknown metric fault"));
    let unknown = c
        .post(format!("{}/metrics/nope/fault?kind=nan", sb.admin_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);

    let cleared = c
        .delete(format!("{}/metrics/checkout/fault", sb.admin_url()))
        .send()
        .await
        .unwrap();
    assert!(cleared.status().is_success());
    let page = text(&c, &url).await;
    assert_eq!(line(&page, err_get).len(), 1);
    assert!(!page.contains("NaN") && !page.contains("# pad"));
}
