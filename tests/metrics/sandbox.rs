//! Direct mode against the sandbox: the real scrape task on the `bad-release` scenario sees
//! checkout's 5xx ratio above 0.1, and below 0.02 after a rollback (JSON patch of the
//! previous template, as `kubectl rollout undo` does). Simulated time is paused and advanced
//! by the test after each update, so each scrape covers a known stretch of simulated time.

use std::time::Duration;

use flightdeck::app::panes::errors::ErrorRateState;
use flightdeck::sources::metrics::direct::spawn_direct;
use flightdeck::sources::metrics::{MetricsUpdate, Target, http_client};
use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};
use serde_json::{Value, json};

use tokio::sync::mpsc;

async fn admin(c: &reqwest::Client, sb: &Sandbox, path: &str) {
    let url = format!("{}/{path}", sb.admin_url());
    let ok = c
        .post(&url)
        .send()
        .await
        .is_ok_and(|r| r.status().is_success());
    assert!(ok, "POST {url} failed");
}

/// Applies updates, advancing simulated time after each, until `done` holds.
async fn until(
    rx: &mut mpsc::UnboundedReceiver<MetricsUpdate>,
    state: &mut ErrorRateState,
    c: &reqwest::Client,
    sb: &Sandbox,
    what: &str,
    done: impl Fn(&ErrorRateState) -> bool,
) {
    for _ in 0..100 {
        let update = rx.recv().await.expect("source running");
        state.apply(update);
        if done(state) {
            return;
        }
        admin(c, sb, "time/advance?seconds=60").await;
    }
    panic!("never reached: {what}: {:#?}", state.service("checkout"));
}

async fn roll_back_checkout(c: &reqwest::Client, sb: &Sandbox) {
    let kube = sb.kube_url();
    let rss: Value = c
        .get(format!(
            "{kube}/apis/apps/v1/namespaces/shop/replicasets?labelSelector=app%3Dcheckout"
        ))
        .send()
        .await
        .expect("list replicasets")
        .json()
        .await
        .expect("JSON");
    let items = rss["items"].as_array().cloned().unwrap_or_default();
    let previous = items
        .iter()
        .find(|r| r["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3")
        .expect("revision 3 in the history");
    let mut template = previous["spec"]["template"].clone();
    if let Some(labels) = template["metadata"]["labels"].as_object_mut() {
        labels.remove("pod-template-hash");
    }
    let response = c
        .patch(format!(
            "{kube}/apis/apps/v1/namespaces/shop/deployments/checkout"
        ))
        .header("content-type", "application/json-patch+json")
        .body(json!([{"op": "replace", "path": "/spec/template", "value": template}]).to_string())
        .send()
        .await
        .expect("patch");
    assert!(response.status().is_success(), "{}", response.status());
}

#[tokio::test]
async fn every_sandbox_page_parses() {
    let sb = Sandbox::start(SandboxOptions::scenario(Scenario::GpuHot))
        .await
        .expect("sandbox starts");
    let c = http_client(Duration::from_secs(2)).expect("client");
    let pages = sb.metrics_targets().into_iter().chain(sb.gpu_hosts());
    for (name, url) in pages {
        let body = flightdeck::sources::metrics::direct::fetch(
            &c,
            &url,
            flightdeck::sources::metrics::direct::MAX_PAGE_BYTES,
        )
        .await
        .expect("fetch");
        let scrape =
            flightdeck::sources::exposition::parse(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!scrape.samples.is_empty(), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_release_ratio_rises_then_falls_after_rollback() {
    let sb = Sandbox::start(SandboxOptions::scenario(Scenario::BadRelease))
        .await
        .expect("sandbox starts");
    let c = http_client(Duration::from_secs(2)).expect("client");
    admin(&c, &sb, "time/pause").await;
    let targets: Vec<Target> = sb
        .metrics_targets()
        .into_iter()
        .map(|(service, url)| Target { service, url })
        .collect();
    assert!(targets.iter().any(|t| t.service == "checkout"));

    let (tx, mut rx) = mpsc::unbounded_channel();
    let task = spawn_direct(targets, Duration::from_millis(200), move |u| {
        tx.send(u).is_ok()
    });
    let mut state = ErrorRateState::new(Duration::from_secs(60), Duration::from_millis(200));

    until(&mut rx, &mut state, &c, &sb, "checkout above 0.1", |s| {
        s.service("checkout").is_some_and(|c| c.error_ratio() > 0.1)
    })
    .await;
    for (service, series) in &state.services {
        assert!(series.failing.is_none(), "{service}: {:?}", series.failing);
    }
    let cart = state.service("cart").map(|c| c.error_ratio());
    assert!(cart.is_some_and(|r| r < 0.02), "cart {cart:?}");

    roll_back_checkout(&c, &sb).await;
    admin(&c, &sb, "time/advance?seconds=60").await;
    until(&mut rx, &mut state, &c, &sb, "checkout below 0.02", |s| {
        s.service("checkout")
            .is_some_and(|c| c.error_ratio() < 0.02)
    })
    .await;
    let checkout = state.service("checkout").expect("checkout");
    assert!(checkout.failing.is_none());
    assert!(
        checkout
            .history
            .iter()
            .any(|p| f64::from(p.error_ratio) > 0.1),
        "the bad stretch stays in the history"
    );
    drop(rx);
    task.await.expect("task ends");
}

/// Sets (`Some(kind)`) or clears a metric fault of `service` through the admin API.
async fn metric_fault(c: &reqwest::Client, sb: &Sandbox, service: &str, kind: Option<&str>) {
    let url = format!("{}/metrics/{service}/fault", sb.admin_url());
    let request = match kind {
        Some(kind) => c.post(format!("{url}?{kind}")),
        None => c.delete(&url),
    };
    let ok = request.send().await.is_ok_and(|r| r.status().is_success());
    assert!(ok, "{kind:?} on {url} failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_metric_faults_show_as_data_problems_duplicates_and_the_page_limit() {
    let sb = Sandbox::start(SandboxOptions::scenario(Scenario::BadRelease))
        .await
        .expect("sandbox starts");
    let c = http_client(Duration::from_secs(2)).expect("client");
    admin(&c, &sb, "time/pause").await;
    let targets: Vec<Target> = sb
        .metrics_targets()
        .into_iter()
        .filter(|(service, _)| service == "checkout")
        .map(|(service, url)| Target { service, url })
        .collect();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let task = spawn_direct(targets, Duration::from_millis(200), move |u| {
        tx.send(u).is_ok()
    });
    let mut state = ErrorRateState::new(Duration::from_secs(60), Duration::from_millis(200));
    until(&mut rx, &mut state, &c, &sb, "a first point", |s| {
        s.service("checkout").is_some_and(|c| c.latest.is_some())
    })
    .await;

    let problem = |s: &ErrorRateState| {
        s.service("checkout")
            .and_then(|c| c.data_problem.clone())
            .unwrap_or_default()
    };
    metric_fault(&c, &sb, "checkout", Some("kind=nan")).await;
    until(&mut rx, &mut state, &c, &sb, "a NaN data problem", |s| {
        problem(s).starts_with("5xx counter is NaN")
    })
    .await;
    assert!(
        state
            .service("checkout")
            .is_some_and(|c| c.error_ratio().is_nan())
    );

    metric_fault(&c, &sb, "checkout", Some("kind=dip")).await;
    until(&mut rx, &mut state, &c, &sb, "a dip data problem", |s| {
        problem(s).contains("went down from")
    })
    .await;

    metric_fault(&c, &sb, "checkout", Some("kind=duplicate")).await;
    until(&mut rx, &mut state, &c, &sb, "duplicate series", |s| {
        s.service("checkout")
            .and_then(|c| c.failing.as_ref())
            .is_some_and(|f| f.error.contains("duplicate series http_requests_total{"))
    })
    .await;

    metric_fault(&c, &sb, "checkout", Some("kind=pad&bytes=5000000")).await;
    until(&mut rx, &mut state, &c, &sb, "the page limit", |s| {
        s.service("checkout")
            .and_then(|c| c.failing.as_ref())
            .is_some_and(|f| {
                f.error
                    .ends_with("page over 4 MiB limit; raise [metrics] max_page_bytes")
            })
    })
    .await;

    metric_fault(&c, &sb, "checkout", None).await;
    until(&mut rx, &mut state, &c, &sb, "sound again", |s| {
        s.service("checkout")
            .is_some_and(|c| c.failing.is_none() && c.data_problem.is_none())
    })
    .await;
    drop(rx);
    task.await.expect("task ends");
}
