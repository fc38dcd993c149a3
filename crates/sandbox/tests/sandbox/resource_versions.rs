//! resourceVersions as kube-apiserver treats them: a list or watch from one newer than the
//! store's is `ResourceVersionTooLarge`, a fresh store (`POST /_sandbox/restart?fresh_store=true`)
//! makes them go backwards, and names are validated on create.

use std::time::Duration;

use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Pod, Service};
use kube::api::{Api, DeleteParams, ListParams, PostParams, WatchEvent, WatchParams};
use kube::core::Status;

async fn start() -> Sandbox {
    let sb = Sandbox::start(SandboxOptions::scenario(Scenario::Steady))
        .await
        .unwrap();
    admin(&sb, "time/pause").await;
    sb
}

async fn client(sb: &Sandbox) -> kube::Client {
    let kc = kube::config::Kubeconfig::from_yaml(&sb.kubeconfig_yaml()).unwrap();
    let mut cfg =
        kube::Config::from_custom_kubeconfig(kc, &kube::config::KubeConfigOptions::default())
            .await
            .unwrap();
    // kube retries a 504 (15 times by default); these tests look at the answer itself
    cfg.default_retry = false;
    kube::Client::try_from(cfg).unwrap()
}

async fn admin(sb: &Sandbox, route: &str) -> serde_json::Value {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let r = reqwest::Client::new()
        .post(format!("{}/{route}", sb.admin_url()))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "admin {route}: {}", r.status());
    r.json().await.unwrap()
}

fn api_status(e: kube::Error) -> Status {
    match e {
        kube::Error::Api(s) => *s,
        other => panic!("expected an API error, got {other:?}"),
    }
}

fn rv_of(v: &serde_json::Value) -> u64 {
    v["resource_version"].as_str().unwrap().parse().unwrap()
}

/// kube-apiserver's `storage.NewTooLargeResourceVersionError`.
fn assert_too_large(s: &Status, wanted: u64) {
    assert_eq!(s.code, 504, "{s:?}");
    assert_eq!(s.reason, "Timeout", "{s:?}");
    assert!(
        s.message.starts_with(&format!(
            "Timeout: Too large resource version: {wanted}, current: "
        )),
        "{}",
        s.message
    );
    let details = s.details.as_ref().expect("details");
    assert_eq!(details.retry_after_seconds, 1);
    assert!(
        details
            .causes
            .iter()
            .any(|c| c.reason == "ResourceVersionTooLarge"
                && c.message == "Too large resource version"),
        "{details:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_and_watch_from_a_future_resource_version_are_too_large() {
    let sb = start().await;
    let c = client(&sb).await;
    let pods: Api<Pod> = Api::default_namespaced(c);
    let list = pods.list(&ListParams::default()).await.unwrap();
    let current: u64 = list.metadata.resource_version.unwrap().parse().unwrap();

    // not older than the store's own version: answered
    let same = pods
        .list(&ListParams::default().at(&current.to_string()))
        .await
        .unwrap();
    assert_eq!(same.items.len(), list.items.len());

    let future = current + 5000;
    let err = pods
        .list(&ListParams::default().at(&future.to_string()))
        .await
        .unwrap_err();
    assert_too_large(&api_status(err), future);

    let mut stream = pods
        .watch(&WatchParams::default().timeout(30), &future.to_string())
        .await
        .unwrap()
        .boxed();
    let first = tokio::time::timeout(Duration::from_secs(20), stream.try_next())
        .await
        .expect("the watch answers within the bound")
        .unwrap();
    match first {
        Some(WatchEvent::Error(s)) => assert_too_large(&s, future),
        other => panic!("expected a TooLarge ERROR event, got {other:?}"),
    }
    let end = tokio::time::timeout(Duration::from_secs(20), stream.try_next())
        .await
        .expect("the stream ends after the error");
    assert!(matches!(end, Ok(None)), "{end:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fresh_store_ends_streams_and_resource_versions_go_backwards() {
    let sb = start().await;
    let c = client(&sb).await;
    let deps: Api<Deployment> = Api::default_namespaced(c.clone());
    let pods: Api<Pod> = Api::default_namespaced(c.clone());
    let before = deps.list(&ListParams::default()).await.unwrap();
    let old_rv: u64 = before
        .metadata
        .resource_version
        .clone()
        .unwrap()
        .parse()
        .unwrap();
    let mut stream = deps
        .watch(&WatchParams::default().timeout(60), &old_rv.to_string())
        .await
        .unwrap()
        .boxed();

    let state = admin(&sb, "restart?fresh_store=true").await;
    let new_rv = rv_of(&state);
    assert!(new_rv < old_rv, "{new_rv} is not below {old_rv}");
    assert_eq!(
        state["oldest_watchable_resource_version"].as_str().unwrap(),
        new_rv.to_string()
    );

    // every stream ends
    let end = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match stream.try_next().await {
                Ok(Some(WatchEvent::Bookmark(_))) => continue,
                other => return other.map(|o| o.is_none()),
            }
        }
    })
    .await
    .expect("the stream ends");
    assert!(matches!(end, Ok(true)), "{end:?}");

    // the same objects, each with a new, lower resourceVersion than anything before
    let after = deps.list(&ListParams::default()).await.unwrap();
    let names = |l: &kube::api::ObjectList<Deployment>| {
        l.items
            .iter()
            .map(|d| d.metadata.name.clone().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&after), names(&before));
    let list_rv: u64 = after.metadata.resource_version.unwrap().parse().unwrap();
    assert_eq!(list_rv, new_rv);
    for d in &after.items {
        let rv: u64 = d
            .metadata
            .resource_version
            .clone()
            .unwrap()
            .parse()
            .unwrap();
        assert!(rv <= new_rv, "{rv} > {new_rv}");
    }

    // the old version is now in the future: list and watch are refused as too large
    let err = deps
        .list(&ListParams::default().at(&old_rv.to_string()))
        .await
        .unwrap_err();
    assert_too_large(&api_status(err), old_rv);
    let mut old = deps
        .watch(&WatchParams::default().timeout(30), &old_rv.to_string())
        .await
        .unwrap()
        .boxed();
    match old.try_next().await.unwrap() {
        Some(WatchEvent::Error(s)) => assert_too_large(&s, old_rv),
        other => panic!("expected a TooLarge ERROR event, got {other:?}"),
    }

    // a watch from the new list's version sees what happens next
    let mut fresh = deps
        .watch(&WatchParams::default().timeout(30), &new_rv.to_string())
        .await
        .unwrap()
        .boxed();
    deps.delete("cart", &DeleteParams::default()).await.unwrap();
    let seen = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(ev) = fresh.try_next().await.unwrap() {
            if let WatchEvent::Deleted(d) = ev {
                return d.metadata.name.as_deref() == Some("cart");
            }
        }
        false
    })
    .await
    .unwrap_or(false);
    assert!(
        seen,
        "the watch from the fresh store's version missed the delete"
    );
    assert!(
        !pods
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_kubernetes_rejects_are_invalid() {
    let sb = start().await;
    let c = client(&sb).await;
    let pods: Api<Pod> = Api::default_namespaced(c.clone());
    let pod = |name: &str| -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]}
        }))
        .unwrap()
    };
    let err = pods
        .create(&PostParams::default(), &pod("Bad_Name"))
        .await
        .unwrap_err();
    let s = api_status(err);
    assert_eq!((s.code, s.reason.as_str()), (422, "Invalid"));
    assert!(
        s.message.starts_with(
            "Pod \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
        ),
        "{}",
        s.message
    );
    let cause = &s.details.as_ref().unwrap().causes[0];
    assert_eq!(cause.field, "metadata.name");
    assert_eq!(cause.reason, "FieldValueInvalid");
    assert!(pods.get_opt("Bad_Name").await.unwrap().is_none());

    for bad in ["-lead", "trail-", "a..b", &"x".repeat(254)] {
        let err = pods
            .create(&PostParams::default(), &pod(bad))
            .await
            .unwrap_err();
        assert_eq!(api_status(err).code, 422, "{bad} was accepted");
    }
    // dots are fine in a subdomain
    pods.create(&PostParams::default(), &pod("ok-1.example"))
        .await
        .unwrap();

    // namespaces are DNS-1123 labels (no dots), services DNS-1035 labels (a letter first)
    let nss: Api<Namespace> = Api::all(c.clone());
    let ns: Namespace =
        serde_json::from_value(serde_json::json!({"metadata": {"name": "a.b"}})).unwrap();
    let s = api_status(nss.create(&PostParams::default(), &ns).await.unwrap_err());
    assert!(
        s.message
            .contains("Invalid value: \"a.b\": a lowercase RFC 1123 label must consist of"),
        "{}",
        s.message
    );
    let svcs: Api<Service> = Api::default_namespaced(c);
    let svc: Service = serde_json::from_value(
        serde_json::json!({"metadata": {"name": "1abc"}, "spec": {"ports": [{"port": 80}]}}),
    )
    .unwrap();
    let s = api_status(svcs.create(&PostParams::default(), &svc).await.unwrap_err());
    assert!(
        s.message.contains("a DNS-1035 label must consist of"),
        "{}",
        s.message
    );
}
