//! PodDisruptionBudgets (`policy/v1`), the `pods/eviction` subresource and cordoned nodes,
//! through the real kubectl and plain requests: the budget's status as the disruption
//! controller keeps it, its Table as kube-apiserver prints it, an eviction refused with 429
//! while the budget is spent, and a scheduler that passes over cordoned nodes.

use std::process::Stdio;

use crate::kubectl_support::Kubectl;
use flightdeck_sandbox::Scenario;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

async fn client(k: &Kubectl) -> kube::Client {
    let kc = kube::config::Kubeconfig::from_yaml(&k.sb.kubeconfig_yaml()).unwrap();
    let mut cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .unwrap();
    // the 429 is what is tested: kube's client would retry it for minutes
    cfg.default_retry = false;
    kube::Client::try_from(cfg).unwrap()
}

async fn apply(k: &Kubectl, manifest: &str) {
    let mut child = k
        .cmd(&["apply", "--validate=false", "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(manifest.as_bytes())
        .await
        .unwrap();
    let out = child.wait_with_output().await.unwrap();
    assert!(
        out.status.success(),
        "apply: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// POST an Eviction for `pod` in shop: the status code and the answer.
async fn evict(c: &kube::Client, pod: &str) -> (u16, Value) {
    let body = json!({"apiVersion": "policy/v1", "kind": "Eviction",
                      "metadata": {"name": pod, "namespace": "shop"}});
    let req = http::Request::post(format!("/api/v1/namespaces/shop/pods/{pod}/eviction"))
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&body).unwrap())
        .unwrap();
    match c.request::<Value>(req).await {
        Ok(v) => (v["code"].as_u64().unwrap_or(201) as u16, v),
        Err(kube::Error::Api(s)) => (s.code, serde_json::to_value(&*s).unwrap()),
        Err(e) => panic!("eviction of {pod}: {e}"),
    }
}

async fn pods(k: &Kubectl, selector: &str) -> Vec<(String, String)> {
    let v = k.json(&["get", "pods", "-n", "shop", "-l", selector]).await;
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["metadata"]["name"].as_str().unwrap().to_owned(),
                p["spec"]["nodeName"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

const PDB: &str = "apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: checkout
  namespace: shop
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      app: checkout
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spent_budget_refuses_evictions_with_429_until_a_replacement_is_ready() {
    let Some(k) = Kubectl::start(Scenario::Steady).await else {
        return;
    };
    let resources = k.run(&["api-resources", "--api-group=policy"]).await;
    assert!(
        resources.contains("poddisruptionbudgets") && resources.contains("pdb"),
        "{resources}"
    );
    apply(&k, PDB).await;
    k.advance(2).await;
    let table = k.run(&["get", "pdb", "-n", "shop"]).await;
    let head: Vec<&str> = table
        .lines()
        .next()
        .unwrap()
        .split("  ")
        .filter(|s| !s.is_empty())
        .map(str::trim)
        .collect();
    assert_eq!(
        head,
        [
            "NAME",
            "MIN AVAILABLE",
            "MAX UNAVAILABLE",
            "ALLOWED DISRUPTIONS",
            "AGE"
        ]
    );
    let row: Vec<&str> = table.lines().nth(1).unwrap().split_whitespace().collect();
    assert_eq!(&row[..4], ["checkout", "N/A", "1", "1"], "{table}");
    let status = |v: &Value| {
        let s = &v["status"];
        (
            s["expectedPods"].as_i64(),
            s["currentHealthy"].as_i64(),
            s["desiredHealthy"].as_i64(),
            s["disruptionsAllowed"].as_i64(),
        )
    };
    let pdb = k.json(&["get", "pdb", "checkout", "-n", "shop"]).await;
    assert_eq!(status(&pdb), (Some(4), Some(4), Some(3), Some(1)), "{pdb}");

    let c = client(&k).await;
    let before = pods(&k, "app=checkout").await;
    let (code, _) = evict(&c, &before[0].0).await;
    assert_eq!(code, 201);
    // the budget is spent at once; the second eviction is refused and names it
    let (code, answer) = evict(&c, &before[1].0).await;
    assert_eq!(code, 429, "{answer}");
    assert_eq!(answer["reason"], "TooManyRequests");
    assert_eq!(
        answer["message"],
        "Cannot evict pod as it would violate the pod's disruption budget."
    );
    assert_eq!(
        answer["details"]["causes"][0]["message"],
        "The disruption budget checkout needs 3 healthy pods and has 3 currently"
    );
    let now = pods(&k, "app=checkout").await;
    assert!(
        now.iter().any(|p| p.0 == before[1].0),
        "the refused pod stays"
    );
    assert!(
        !now.iter().any(|p| p.0 == before[0].0),
        "the evicted pod is gone"
    );
    // the ReplicaSet's replacement becomes ready: the budget allows one again
    k.advance(60).await;
    let pdb = k.json(&["get", "pdb", "checkout", "-n", "shop"]).await;
    assert_eq!(status(&pdb), (Some(4), Some(4), Some(3), Some(1)), "{pdb}");
    let (code, answer) = evict(&c, &before[1].0).await;
    assert_eq!(code, 201, "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduler_passes_over_cordoned_nodes_and_they_are_tainted() {
    let Some(k) = Kubectl::start(Scenario::Steady).await else {
        return;
    };
    for n in ["node-1", "node-2", "node-3", "node-4", "node-5"] {
        k.run(&["cordon", n]).await;
    }
    k.advance(1).await;
    let node = k.json(&["get", "node", "node-1"]).await;
    assert_eq!(node["spec"]["unschedulable"], true);
    let taints = node["spec"]["taints"].as_array().unwrap();
    assert_eq!(taints.len(), 1, "{taints:?}");
    assert_eq!(taints[0]["key"], "node.kubernetes.io/unschedulable");
    assert_eq!(taints[0]["effect"], "NoSchedule");
    let status = k.run(&["get", "node", "node-1", "--no-headers"]).await;
    assert!(status.contains("Ready,SchedulingDisabled"), "{status}");

    let old: Vec<String> = pods(&k, "app=checkout")
        .await
        .into_iter()
        .map(|p| p.0)
        .collect();
    k.run(&[
        "scale",
        "deployment/checkout",
        "-n",
        "shop",
        "--replicas=12",
    ])
    .await;
    k.advance(30).await;
    let new: Vec<(String, String)> = pods(&k, "app=checkout")
        .await
        .into_iter()
        .filter(|p| !old.contains(&p.0))
        .collect();
    assert_eq!(new.len(), 8, "{new:?}");
    assert!(new.iter().all(|p| p.1 == "node-6"), "{new:?}");

    // uncordoned, the taint goes
    k.run(&["uncordon", "node-1"]).await;
    k.advance(1).await;
    let node = k.json(&["get", "node", "node-1"]).await;
    assert!(
        node["spec"].get("unschedulable").is_none_or(|u| u == false),
        "{node}"
    );
    assert!(node["spec"].get("taints").is_none(), "{node}");
}
