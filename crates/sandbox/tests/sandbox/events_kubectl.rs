//! The events the sandbox's controllers record, as `kubectl get events` and a watch see them:
//! the scheduler's, the kubelet's (per container), the ReplicaSet's and Deployment's, repeats
//! folded into `count`, and the field selectors on `involvedObject` and `type`.

use crate::kubectl_support;

use flightdeck_sandbox::Scenario;
use kubectl_support::Kubectl;
use serde_json::Value;

fn reasons(events: &Value) -> Vec<String> {
    events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["reason"].as_str().unwrap_or("").to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn controller_actions_are_events_selected_by_involved_object() {
    let Some(k) = Kubectl::start(Scenario::Steady).await else {
        return;
    };
    let before = k
        .json(&["get", "pods", "-n", "shop", "-l", "app=cart"])
        .await;
    let old: Vec<String> = before["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    k.run(&[
        "scale",
        "deploy/cart",
        "-n",
        "shop",
        &format!("--replicas={}", old.len() + 1),
    ])
    .await;
    k.advance(10).await;
    let after = k
        .json(&["get", "pods", "-n", "shop", "-l", "app=cart"])
        .await;
    let pod = after["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| !old.iter().any(|o| p["metadata"]["name"] == *o.as_str()))
        .expect("a new cart pod")
        .clone();
    let name = pod["metadata"]["name"].as_str().unwrap();
    let uid = pod["metadata"]["uid"].as_str().unwrap();
    let sel = format!("involvedObject.name={name}");
    let evs = k
        .json(&["get", "events", "-n", "shop", "--field-selector", &sel])
        .await;
    assert_eq!(
        reasons(&evs),
        ["Scheduled", "Pulling", "Pulled", "Created", "Started"],
        "{evs}"
    );
    for e in evs["items"].as_array().unwrap() {
        let io = &e["involvedObject"];
        assert_eq!(io["uid"], uid, "{e}");
        assert_eq!(io["kind"], "Pod");
        assert_eq!(io["namespace"], "shop");
        assert!(
            !io["resourceVersion"].as_str().unwrap_or("").is_empty(),
            "{e}"
        );
        assert_eq!(e["type"], "Normal");
        assert_eq!(e["count"], 1);
        if e["reason"] == "Scheduled" {
            assert_eq!(e["source"]["component"], "default-scheduler");
        } else {
            assert_eq!(io["fieldPath"], "spec.containers{cart}", "{e}");
            assert_eq!(e["source"]["component"], "kubelet");
            assert_eq!(e["source"]["host"], pod["spec"]["nodeName"], "{e}");
            assert_eq!(e["reportingComponent"], "kubelet");
        }
    }
    let started = evs["items"].as_array().unwrap().last().unwrap();
    assert_eq!(started["message"], "Started container cart");
    // the same events by uid, and the table kubectl prints
    let by_uid = k
        .json(&[
            "get",
            "events",
            "-n",
            "shop",
            "--field-selector",
            &format!("involvedObject.uid={uid}"),
        ])
        .await;
    assert_eq!(reasons(&by_uid), reasons(&evs));
    let table = k
        .run(&["get", "events", "-n", "shop", "--field-selector", &sel])
        .await;
    assert!(
        table.starts_with("LAST SEEN") && table.contains(&format!("pod/{name}")),
        "{table}"
    );
    let wide = k
        .run(&[
            "get",
            "events",
            "-n",
            "shop",
            "--field-selector",
            &sel,
            "-o",
            "wide",
        ])
        .await;
    let head: Vec<&str> = wide
        .lines()
        .next()
        .unwrap_or("")
        .split("  ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(
        head,
        [
            "LAST SEEN",
            "TYPE",
            "REASON",
            "OBJECT",
            "SUBOBJECT",
            "SOURCE",
            "MESSAGE",
            "FIRST SEEN",
            "COUNT",
            "NAME"
        ],
        "{wide}"
    );
    let node = pod["spec"]["nodeName"].as_str().unwrap();
    let started = wide
        .lines()
        .find(|l| l.contains("Started container cart"))
        .unwrap_or_else(|| panic!("{wide}"));
    assert!(
        started.contains("spec.containers{cart}") && started.contains(&format!("kubelet, {node}")),
        "{started}"
    );
    // the ReplicaSet's and the Deployment's
    let rs = k
        .json(&[
            "get",
            "events",
            "-n",
            "shop",
            "--field-selector",
            "involvedObject.kind=ReplicaSet,reason=SuccessfulCreate",
        ])
        .await;
    assert!(
        rs["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["message"] == format!("Created pod: {name}")
                && e["source"]["component"] == "replicaset-controller"),
        "{rs}"
    );
    let deploy = k
        .json(&[
            "get",
            "events",
            "-n",
            "shop",
            "--field-selector",
            "involvedObject.kind=Deployment,involvedObject.name=cart",
        ])
        .await;
    assert!(
        deploy["items"].as_array().unwrap().iter().any(|e| {
            e["reason"] == "ScalingReplicaSet"
                && e["message"]
                    .as_str()
                    .unwrap_or("")
                    .starts_with("Scaled up replica set cart-")
        }),
        "{deploy}"
    );
    // kubectl describe finds them by its own field selector
    let described = k.run(&["describe", "pod", "-n", "shop", name]).await;
    let events = described
        .split("Events:")
        .nth(1)
        .unwrap_or_else(|| panic!("{described}"));
    for want in [
        "Scheduled",
        &format!("Successfully assigned shop/{name} to"),
        "Started container cart",
        "kubelet",
    ] {
        assert!(events.contains(want), "{want} missing:\n{events}");
    }
    // deleting the pod: the kubelet stops its container
    k.run(&["delete", "pod", "-n", "shop", name, "--wait=false"])
        .await;
    let evs = k
        .json(&["get", "events", "-n", "shop", "--field-selector", &sel])
        .await;
    let killing = evs["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["reason"] == "Killing")
        .unwrap_or_else(|| panic!("no Killing in {evs}"));
    assert_eq!(killing["message"], "Stopping container cart");
    assert_eq!(killing["involvedObject"]["uid"], uid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warnings_fold_repeats_and_are_watched_by_type() {
    let Some(k) = Kubectl::start(Scenario::BadRelease).await else {
        return;
    };
    k.advance(120).await;
    let warnings = k
        .json(&[
            "get",
            "events",
            "-n",
            "shop",
            "--field-selector",
            "type=Warning",
        ])
        .await;
    let items = warnings["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|e| e["type"] == "Warning"), "{warnings}");
    let backoff = items
        .iter()
        .filter(|e| e["reason"] == "BackOff")
        .max_by_key(|e| e["count"].as_i64().unwrap_or(0))
        .unwrap_or_else(|| panic!("no BackOff in {warnings}"));
    assert!(backoff["count"].as_i64().unwrap() > 1, "{backoff}");
    assert!(
        backoff["firstTimestamp"].as_str() < backoff["lastTimestamp"].as_str(),
        "{backoff}"
    );
    let pod = backoff["involvedObject"]["name"].as_str().unwrap();
    assert!(
        backoff["message"].as_str().unwrap().starts_with(&format!(
            "Back-off restarting failed container checkout in pod {pod}_shop("
        )),
        "{backoff}"
    );
    assert!(
        items.iter().any(|e| e["reason"] == "Unhealthy"
            && e["involvedObject"]["fieldPath"] == "spec.containers{checkout}"),
        "{warnings}"
    );
    let normal = k
        .json(&[
            "get",
            "events",
            "-n",
            "shop",
            "--field-selector",
            "type=Normal",
        ])
        .await;
    assert!(
        normal["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["type"] == "Normal")
    );

    // a watch with the same selector sees the next repeat, and no Normal event
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rv = k.sb.state()["resource_version"]
        .as_str()
        .unwrap()
        .to_string();
    let url = format!(
        "{}/api/v1/namespaces/shop/events?watch=true&fieldSelector=type%3DWarning&resourceVersion={rv}&timeoutSeconds=8",
        k.sb.kube_url()
    );
    let watch = tokio::spawn(async move {
        reqwest::Client::new()
            .get(url)
            .bearer_auth("sandbox")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // the crash loop's back-off has reached its five minutes
    k.advance(320).await;
    let body = watch.await.unwrap();
    let events: Vec<Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!events.is_empty(), "nothing watched");
    assert!(
        events.iter().all(|e| e["object"]["type"] == "Warning"),
        "{body}"
    );
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "MODIFIED" && e["object"]["count"].as_i64() > Some(1)),
        "a repeat is the same event, modified: {body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_expire_an_hour_after_they_last_happened() {
    let Some(k) = Kubectl::start(Scenario::Steady).await else {
        return;
    };
    let names = |evs: &Value| -> Vec<String> {
        evs["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["metadata"]["name"].as_str().unwrap().to_string())
            .collect()
    };
    k.run(&["scale", "deploy/cart", "-n", "shop", "--replicas=5"])
        .await;
    k.advance(10).await;
    let before = names(&k.json(&["get", "events", "-n", "shop"]).await);
    assert!(!before.is_empty());
    k.advance(59 * 60).await;
    let kept = names(&k.json(&["get", "events", "-n", "shop"]).await);
    assert!(
        before.iter().any(|n| kept.contains(n)),
        "an event from the last hour is kept"
    );
    k.advance(20 * 60).await;
    let after = names(&k.json(&["get", "events", "-n", "shop"]).await);
    let stale: Vec<&String> = before.iter().filter(|n| after.contains(n)).collect();
    assert!(stale.is_empty(), "older than an hour: {stale:?}");
}
