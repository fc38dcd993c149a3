//! A fixed little cluster (a rollout gone bad in `shop`) as Kubernetes objects, fed through
//! the same conversions the watchers use. Times are relative to the test clock
//! 2026-01-01T00:00:00Z so snapshots are stable.

use flightdeck::sources::kube::model::{DeploymentRow, EventRow, HpaRow, PodRow, ReplicaSetRow};
use flightdeck::sources::kube::{Rows, WorkloadsMsg};
use serde_json::{Value, json};

fn meta(name: &str, created: &str, extra: Value) -> Value {
    let mut m =
        json!({"name": name, "namespace": "shop", "creationTimestamp": created, "uid": name});
    if let (Some(m), Some(e)) = (m.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            m.insert(k.clone(), v.clone());
        }
    }
    m
}

fn deployment(
    name: &str,
    desired: i32,
    ready: i32,
    updated: i32,
    rev: i64,
    image: &str,
    progressing: &str,
) -> DeploymentRow {
    let d: flightdeck::sources::kube::slim_kinds::Deployment = serde_json::from_value(json!({
        "metadata": meta(name, "2025-12-20T00:00:00Z", json!({
            "labels": {"app": name, "tier": if name == "frontend" {"web"} else {"api"}},
            "annotations": {"deployment.kubernetes.io/revision": rev.to_string()},
            "generation": 3
        })),
        "spec": {
            "replicas": desired,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{
                "name": name, "image": image,
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
                "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 5}
            }]}}
        },
        "status": {
            "observedGeneration": 3, "replicas": desired.max(updated + (desired - updated)),
            "readyReplicas": ready, "updatedReplicas": updated, "availableReplicas": ready,
            "conditions": [
                {"type": "Available", "status": if ready == desired {"True"} else {"False"}, "reason": "MinimumReplicasAvailable", "message": "Deployment has minimum availability."},
                {"type": "Progressing", "status": "True", "reason": progressing, "message": "ReplicaSet is progressing."}
            ]
        }
    })).expect("deployment");
    DeploymentRow::from_object(&d)
}

fn replicaset(
    name: &str,
    owner: &str,
    rev: i64,
    image: &str,
    cause: &str,
    replicas: i32,
    created: &str,
) -> ReplicaSetRow {
    let rs: flightdeck::sources::kube::slim::ReplicaSet = serde_json::from_value(json!({
        "metadata": meta(name, created, json!({
            "annotations": {"deployment.kubernetes.io/revision": rev.to_string(), "kubernetes.io/change-cause": cause},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": owner, "uid": owner, "controller": true}]
        })),
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": owner}},
                 "template": {"spec": {"containers": [{"name": owner, "image": image}]}}},
        "status": {"replicas": replicas, "readyReplicas": replicas}
    })).expect("replicaset");
    ReplicaSetRow::from_object(&rs)
}

fn pod(name: &str, rs: &str, app: &str, status: Value) -> PodRow {
    let hash = rs.rsplit('-').next().unwrap_or_default();
    let p: flightdeck::sources::kube::slim::Pod = serde_json::from_value(json!({
        "metadata": meta(name, "2025-12-31T23:50:00Z", json!({
            "labels": {"app": app, "pod-template-hash": hash},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs, "uid": rs, "controller": true}]
        })),
        "spec": {"nodeName": "node-a", "containers": [{"name": app, "image": format!("ghcr.io/acme/{app}")}]},
        "status": status
    })).expect("pod");
    PodRow::from_object(&p)
}

fn running(app: &str) -> Value {
    json!({"phase": "Running", "containerStatuses": [{"name": app, "ready": true, "restartCount": 0, "image": "x", "imageID": "x",
        "state": {"running": {"startedAt": "2025-12-31T23:51:00Z"}}}]})
}

fn crashing(app: &str, restarts: i32) -> Value {
    json!({"phase": "Running", "containerStatuses": [{"name": app, "ready": false, "restartCount": restarts, "image": "x", "imageID": "x",
        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s"}},
        "lastState": {"terminated": {"reason": "Error", "exitCode": 1, "finishedAt": "2025-12-31T23:58:00Z"}}}]})
}

fn oom_restarted(app: &str) -> Value {
    json!({"phase": "Running", "containerStatuses": [{"name": app, "ready": true, "restartCount": 1, "image": "x", "imageID": "x",
        "state": {"running": {"startedAt": "2025-12-31T23:57:00Z"}},
        "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137, "finishedAt": "2025-12-31T23:56:50Z"}}}]})
}

/// The messages the watchers would send for the fixture cluster.
pub fn messages() -> Vec<WorkloadsMsg> {
    let deployments = vec![
        deployment(
            "checkout",
            4,
            2,
            2,
            7,
            "ghcr.io/acme/checkout:1.8.3",
            "ReplicaSetUpdated",
        ),
        deployment(
            "cart",
            2,
            2,
            2,
            3,
            "ghcr.io/acme/cart:2.4.1",
            "NewReplicaSetAvailable",
        ),
        deployment(
            "frontend",
            3,
            3,
            3,
            5,
            "ghcr.io/acme/frontend:2.4.1",
            "NewReplicaSetAvailable",
        ),
    ];
    let rs = vec![
        replicaset(
            "checkout-7f9c",
            "checkout",
            7,
            "ghcr.io/acme/checkout:1.8.3",
            "release 1.8.3",
            2,
            "2025-12-31T23:56:00Z",
        ),
        replicaset(
            "checkout-6b2a",
            "checkout",
            6,
            "ghcr.io/acme/checkout:1.8.2",
            "release 1.8.2",
            2,
            "2025-12-30T00:00:00Z",
        ),
        replicaset(
            "cart-5d4",
            "cart",
            3,
            "ghcr.io/acme/cart:2.4.1",
            "release 2.4.1",
            2,
            "2025-12-20T00:00:00Z",
        ),
        replicaset(
            "frontend-88a",
            "frontend",
            5,
            "ghcr.io/acme/frontend:2.4.1",
            "release 2.4.1",
            3,
            "2025-12-20T00:00:00Z",
        ),
    ];
    let pods = vec![
        pod(
            "checkout-7f9c-x2",
            "checkout-7f9c",
            "checkout",
            crashing("checkout", 9),
        ),
        pod(
            "checkout-7f9c-k1",
            "checkout-7f9c",
            "checkout",
            crashing("checkout", 8),
        ),
        pod(
            "checkout-6b2a-a1",
            "checkout-6b2a",
            "checkout",
            running("checkout"),
        ),
        pod(
            "checkout-6b2a-a2",
            "checkout-6b2a",
            "checkout",
            running("checkout"),
        ),
        pod("cart-5d4-m1", "cart-5d4", "cart", oom_restarted("cart")),
        pod("cart-5d4-m2", "cart-5d4", "cart", running("cart")),
        pod(
            "frontend-88a-f1",
            "frontend-88a",
            "frontend",
            running("frontend"),
        ),
        pod(
            "frontend-88a-f2",
            "frontend-88a",
            "frontend",
            running("frontend"),
        ),
        pod(
            "frontend-88a-f3",
            "frontend-88a",
            "frontend",
            running("frontend"),
        ),
    ];
    let hpa: flightdeck::sources::kube::slim_kinds::HorizontalPodAutoscaler = serde_json::from_value(json!({
        "metadata": meta("cart", "2025-12-20T00:00:00Z", json!({})),
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "cart"}, "minReplicas": 2, "maxReplicas": 6},
        "status": {"currentReplicas": 2, "desiredReplicas": 2}
    })).expect("hpa");
    let event: flightdeck::sources::kube::slim_kinds::Event = serde_json::from_value(json!({
        "metadata": meta("checkout-7f9c-x2.1", "2025-12-31T23:58:00Z", json!({})),
        "involvedObject": {"kind": "Pod", "name": "checkout-7f9c-x2", "namespace": "shop"},
        "reason": "BackOff", "message": "Back-off restarting failed container checkout", "type": "Warning",
        "count": 9, "lastTimestamp": "2025-12-31T23:58:00Z"
    })).expect("event");
    vec![
        WorkloadsMsg::Snapshot(Rows::Deployments(deployments)),
        WorkloadsMsg::Snapshot(Rows::ReplicaSets(rs)),
        WorkloadsMsg::Snapshot(Rows::Pods(pods)),
        WorkloadsMsg::Snapshot(Rows::Hpas(vec![HpaRow::from_object(&hpa)])),
        WorkloadsMsg::Snapshot(Rows::Events(vec![EventRow::from_object(&event)])),
    ]
}

/// A watch event: `name` (of ReplicaSet `rs`, deployment `app`) now crash-loops.
pub fn now_crashing(name: &str, rs: &str, app: &str) -> WorkloadsMsg {
    WorkloadsMsg::Applied(Rows::Pods(vec![pod(name, rs, app, crashing(app, 3))]))
}

/// The same cluster with pod names as Kubernetes generates them: the two crash-looping
/// pods share everything but the random suffix at the end.
pub fn messages_long_names() -> Vec<WorkloadsMsg> {
    let rename = |name: &str| match name {
        "checkout-7f9c-x2" => "checkout-6d4cf56db6-nlgpp".to_owned(),
        "checkout-7f9c-k1" => "checkout-6d4cf56db6-x2kqw".to_owned(),
        "checkout-6b2a-a1" => "checkout-58b9c7f4d5-a1zzr".to_owned(),
        "checkout-6b2a-a2" => "checkout-58b9c7f4d5-hq7mc".to_owned(),
        other => other.to_owned(),
    };
    messages()
        .into_iter()
        .map(|m| match m {
            WorkloadsMsg::Snapshot(Rows::Pods(mut pods)) => {
                for p in &mut pods {
                    p.key.name = rename(&p.key.name);
                }
                WorkloadsMsg::Snapshot(Rows::Pods(pods))
            }
            other => other,
        })
        .collect()
}
