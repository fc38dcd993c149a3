//! `GET /_sandbox/requests`: the sandbox remembers what it served (method, path, query),
//! bounded, without its own admin routes, so tests can check which endpoint a client used.

use flightdeck_sandbox::{REQUEST_LOG, Sandbox, SandboxOptions, Scenario};
use serde_json::Value;

async fn requests(http: &reqwest::Client, sb: &Sandbox) -> Vec<Value> {
    let r = http
        .get(format!("{}/requests", sb.admin_url()))
        .send()
        .await
        .expect("admin requests");
    assert!(r.status().is_success(), "{}", r.status());
    let v: Value = r.json().await.expect("json");
    v["requests"].as_array().expect("a list").clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_requests_are_listed_bounded_and_can_be_cleared() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sb = Sandbox::start(SandboxOptions::scenario(Scenario::Steady))
        .await
        .expect("sandbox");
    let http = reqwest::Client::new();
    let base = sb.base_url();
    http.get(format!(
        "{base}/apis/apps/v1/namespaces/shop/deployments?limit=2"
    ))
    .send()
    .await
    .expect("list");
    http.patch(format!(
        "{base}/apis/apps/v1/namespaces/shop/deployments/cart/scale"
    ))
    .header("content-type", "application/merge-patch+json")
    .body(r#"{"spec":{"replicas":3}}"#)
    .send()
    .await
    .expect("patch");
    // an admin call in between is not recorded
    http.get(format!("{}/state", sb.admin_url()))
        .send()
        .await
        .expect("state");

    let seen = requests(&http, &sb).await;
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0]["method"], "GET");
    assert_eq!(seen[0]["path"], "/apis/apps/v1/namespaces/shop/deployments");
    assert_eq!(seen[0]["query"], "limit=2");
    assert_eq!(seen[1]["method"], "PATCH");
    assert_eq!(
        seen[1]["path"],
        "/apis/apps/v1/namespaces/shop/deployments/cart/scale"
    );
    assert_eq!(seen[1]["query"], Value::Null);
    assert_eq!(sb.requests().len(), 2, "the in-process list is the same");

    // bounded: the oldest are forgotten first
    for i in 0..REQUEST_LOG + 5 {
        http.get(format!("{base}/version?n={i}"))
            .send()
            .await
            .expect("version");
    }
    let seen = requests(&http, &sb).await;
    assert_eq!(seen.len(), REQUEST_LOG);
    assert_eq!(seen[0]["query"], "n=5");
    assert_eq!(
        seen[REQUEST_LOG - 1]["query"],
        format!("n={}", REQUEST_LOG + 4)
    );

    let r = http
        .delete(format!("{}/requests", sb.admin_url()))
        .send()
        .await
        .expect("clear");
    assert!(r.status().is_success());
    assert!(requests(&http, &sb).await.is_empty());
}

/// `GET /_sandbox/watches`: the watch streams open now, by resource, so a test can check
/// that a client ended a watch it no longer needs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_watch_streams_are_counted_until_the_client_goes() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sb = Sandbox::start(SandboxOptions::scenario(Scenario::Steady))
        .await
        .expect("sandbox");
    let http = reqwest::Client::new();
    let watches = |http: reqwest::Client, url: String| async move {
        let v: Value = http
            .get(format!("{url}/watches"))
            .send()
            .await
            .expect("admin watches")
            .json()
            .await
            .expect("json");
        v["watches"].clone()
    };
    assert_eq!(
        watches(http.clone(), sb.admin_url()).await,
        serde_json::json!({})
    );
    let stream = http
        .get(format!(
            "{}/api/v1/namespaces/shop/services?watch=true",
            sb.base_url()
        ))
        .send()
        .await
        .expect("watch");
    assert!(stream.status().is_success());
    assert_eq!(
        watches(http.clone(), sb.admin_url()).await,
        serde_json::json!({"services": 1})
    );
    assert_eq!(sb.open_watches().get("services"), Some(&1));
    drop(stream);
    // the server notices the client gone at its next write or check: wait (bounded)
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while sb.open_watches().contains_key("services") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the watch is still counted: {:?}",
            sb.open_watches()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        watches(http.clone(), sb.admin_url()).await,
        serde_json::json!({})
    );
}
