//! Cordon, uncordon and drain of a node against twin sandboxes: one changed by the real
//! kubectl, the other by the executor. The nodes, the pods and the budgets end the same, and
//! the requests that should be equal are (kubectl's patch and Eviction bodies; ours adds
//! the resourceVersion precondition). A budget that blocks once makes both retry a 429.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support;
use crate::support::tools;

use flightdeck::ops::{DrainOptions, DrainProgress, Executor, NodeOp, Operation, Target};
use flightdeck_sandbox::{Sandbox, ServedRequest};
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::{Api, ListParams, PostParams};
use serde_json::{Value, json};
use support::ops::executor;
use support::ops_kinds::{admin, advance, audit_lines, kubectl, start};

/// A client as the console gives operations: kube's own retry of a 429 is off.
async fn client(sb: &Sandbox) -> kube::Client {
    let kc = kube::config::Kubeconfig::from_yaml(&sb.kubeconfig_yaml()).expect("kubeconfig");
    flightdeck::sources::kube::client::operations_client_from_kubeconfig(kc, None)
        .await
        .expect("client")
}

fn node_op(node: &str, op: NodeOp) -> Operation {
    Operation::Node {
        target: Target {
            context: "sandbox".into(),
            namespace: String::new(),
            name: node.into(),
        },
        op,
        resource_version: None,
    }
}

fn drain(force: bool, timeout_secs: u64) -> NodeOp {
    NodeOp::Drain(DrainOptions {
        force,
        delete_emptydir_data: force,
        timeout_secs,
    })
}

/// The node's spec as both tools should leave it: unschedulable and the taints (without
/// the controller's `timeAdded`).
async fn node_spec(c: &kube::Client, name: &str) -> (Option<bool>, Vec<(String, String)>) {
    let n = Api::<Node>::all(c.clone()).get(name).await.unwrap();
    let spec = n.spec.unwrap_or_default();
    let taints = spec
        .taints
        .unwrap_or_default()
        .into_iter()
        .map(|t| (t.key, t.effect))
        .collect();
    (spec.unschedulable.filter(|u| *u), taints)
}

/// The writes (not dry runs) to `path`.
fn writes_to(sb: &Sandbox, method: &str, path: &str) -> Vec<ServedRequest> {
    sb.requests()
        .into_iter()
        .filter(|r| r.method == method && r.path == path)
        .filter(|r| !r.query.as_deref().unwrap_or("").contains("dryRun"))
        .collect()
}

fn body(r: &ServedRequest) -> Value {
    serde_json::from_str(r.body.as_deref().unwrap_or("null")).unwrap_or(Value::Null)
}

/// Our patch without the resourceVersion precondition kubectl does not send (which must be
/// there).
fn without_precondition(mut v: Value) -> Value {
    let meta = v
        .as_object_mut()
        .and_then(|o| o.remove("metadata"))
        .unwrap_or(Value::Null);
    assert!(
        meta["resourceVersion"]
            .as_str()
            .is_some_and(|rv| !rv.is_empty()),
        "the patch carries the node's resourceVersion: {meta}"
    );
    v
}

async fn plan_and_run(ex: &Executor, op: Operation) -> flightdeck::ops::Plan {
    let plan = ex.plan(op).await.unwrap();
    assert_eq!(plan.refused, None, "{plan:?}");
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("dry run") && n.contains(": ok")),
        "{plan:?}"
    );
    let out = ex.execute(&plan.op, &plan.before, &plan.after).await;
    assert!(out.ok, "{out:?}");
    plan
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cordon_and_uncordon_send_kubectls_patch_with_a_precondition() {
    let Some(bin) = tools::require("kubectl") else {
        return;
    };
    let ours = start().await;
    let theirs = start().await;
    let (co, ct) = (client(&ours).await, client(&theirs).await);
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let ex = executor(&co, &audit, false);
    let path = "/api/v1/nodes/node-2";
    for (verb, op) in [("cordon", NodeOp::Cordon), ("uncordon", NodeOp::Uncordon)] {
        kubectl(&bin, &theirs, dir.path(), &[verb, "node-2"]).await;
        let plan = plan_and_run(&ex, node_op("node-2", op.clone())).await;
        assert!(
            plan.before.starts_with("spec.unschedulable: ")
                && plan.after.contains("spec.unschedulable: "),
            "{plan:?}"
        );
        for sb in [&ours, &theirs] {
            advance(sb, 1).await;
        }
        assert_eq!(
            node_spec(&co, "node-2").await,
            node_spec(&ct, "node-2").await,
            "after {verb}"
        );
        let (a, b) = (
            writes_to(&ours, "PATCH", path),
            writes_to(&theirs, "PATCH", path),
        );
        let (a, b) = (a.last().unwrap(), b.last().unwrap());
        assert_eq!(a.content_type, b.content_type, "{verb}");
        assert_eq!(
            without_precondition(body(a)),
            body(b),
            "{verb}: the patch bodies"
        );
        // again: nothing to do, and the confirmation says so
        let again = ex.plan(node_op("node-2", op)).await.unwrap();
        assert!(
            again
                .refused
                .as_deref()
                .is_some_and(|r| r.contains("already")),
            "{again:?}"
        );
    }
    assert_eq!(node_spec(&co, "node-2").await, (None, vec![]));
    // cordoned, the node carries the controller's taint
    plan_and_run(&ex, node_op("node-2", NodeOp::Cordon)).await;
    advance(&ours, 1).await;
    assert_eq!(
        node_spec(&co, "node-2").await,
        (
            Some(true),
            vec![(
                "node.kubernetes.io/unschedulable".into(),
                "NoSchedule".into()
            )]
        )
    );
    let lines = audit_lines(&audit);
    let ops: Vec<(&str, &str, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["operation"].as_str().unwrap(),
                l["object"].as_str().unwrap(),
                l["phase"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ops,
        [
            ("cordon", "node/node-2", "intent"),
            ("cordon", "node/node-2", "outcome"),
            ("uncordon", "node/node-2", "intent"),
            ("uncordon", "node/node-2", "outcome"),
            ("cordon", "node/node-2", "intent"),
            ("cordon", "node/node-2", "outcome"),
        ]
    );

    // read-only: the executor itself refuses, and nothing is sent
    let ro = executor(&co, &audit, true);
    let sent = ours.requests().len();
    let out = ro
        .execute(&node_op("node-2", NodeOp::Uncordon), "", "")
        .await;
    assert!(!out.ok && out.message.contains("read-only"), "{out:?}");
    let out = ro
        .execute(&node_op("node-3", drain(true, 60)), "", "")
        .await;
    assert!(!out.ok && out.message.contains("read-only"), "{out:?}");
    assert!(
        ours.requests()[sent..]
            .iter()
            .all(|r| r.method == "GET" || r.path.contains("selfsubjectreview")),
        "read-only sent a write"
    );
    assert_eq!(node_spec(&co, "node-3").await, (None, vec![]));
}

/// A node and an app of shop with at least two of its pods on the node (the same on both
/// sandboxes: one seed).
async fn node_with_two_of_an_app(c: &kube::Client) -> (String, String) {
    let pods = Api::<Pod>::namespaced(c.clone(), "shop")
        .list(&ListParams::default())
        .await
        .unwrap();
    let mut count: BTreeMap<(String, String), usize> = BTreeMap::new();
    for p in &pods.items {
        let rs = p
            .metadata
            .owner_references
            .iter()
            .flatten()
            .any(|o| o.kind == "ReplicaSet");
        let app = p
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("app"))
            .cloned();
        let node = p.spec.as_ref().and_then(|s| s.node_name.clone());
        if let (true, Some(app), Some(node)) = (rs, app, node) {
            *count.entry((node, app)).or_default() += 1;
        }
    }
    let ((node, app), _) = count
        .into_iter()
        .filter(|(_, n)| *n >= 2)
        .max_by_key(|(_, n)| *n)
        .expect("an app with two pods on one node");
    (node, app)
}

async fn budget(c: &kube::Client, app: &str, spec: Value) {
    let mut spec = spec;
    spec["selector"] = json!({"matchLabels": {"app": app}});
    let pdb: PodDisruptionBudget = serde_json::from_value(json!({
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
        "metadata": {"name": app, "namespace": "shop"},
        "spec": spec,
    }))
    .unwrap();
    Api::<PodDisruptionBudget>::namespaced(c.clone(), "shop")
        .create(&PostParams::default(), &pdb)
        .await
        .unwrap();
}

async fn pods_on(c: &kube::Client, node: &str) -> BTreeSet<String> {
    Api::<Pod>::all(c.clone())
        .list(&ListParams::default().fields(&format!("spec.nodeName={node}")))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|p| {
            format!(
                "{}/{}",
                p.metadata.namespace.unwrap_or_default(),
                p.metadata.name.unwrap_or_default()
            )
        })
        .collect()
}

async fn budget_status(
    c: &kube::Client,
    app: &str,
) -> (Option<i32>, Option<i32>, Option<i32>, Option<i32>) {
    let s = Api::<PodDisruptionBudget>::namespaced(c.clone(), "shop")
        .get(app)
        .await
        .unwrap()
        .status
        .unwrap();
    (
        s.expected_pods,
        s.current_healthy,
        s.desired_healthy,
        s.disruptions_allowed,
    )
}

fn progress_sink(ex: Executor) -> (Executor, Arc<Mutex<Vec<DrainProgress>>>) {
    let seen: Arc<Mutex<Vec<DrainProgress>>> = Arc::default();
    let s = seen.clone();
    let ex = ex.with_drain_progress(Arc::new(move |p| s.lock().unwrap().push(p)));
    (ex, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_leaves_what_kubectl_drain_leaves_with_a_budget_that_blocks_once() {
    let Some(bin) = tools::require("kubectl") else {
        return;
    };
    let ours = start().await;
    let theirs = start().await;
    let (co, ct) = (client(&ours).await, client(&theirs).await);
    let (node, app) = node_with_two_of_an_app(&co).await;
    assert_eq!(
        node_with_two_of_an_app(&ct).await,
        (node.clone(), app.clone())
    );
    for (sb, c) in [(&ours, &co), (&theirs, &ct)] {
        budget(c, &app, json!({"maxUnavailable": 1})).await;
        advance(sb, 2).await;
        // time runs: the replacement of the first pod evicted becomes ready
        admin(sb, "time/speed?factor=5").await;
        admin(sb, "time/resume").await;
    }
    let before = pods_on(&co, &node).await;
    assert_eq!(before, pods_on(&ct, &node).await);

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("kubeconfig"), theirs.kubeconfig_yaml()).unwrap();
    let out = tokio::process::Command::new(&bin)
        .arg("--kubeconfig")
        .arg(dir.path().join("kubeconfig"))
        .args(["--cache-dir"])
        .arg(dir.path().join("cache"))
        .args([
            "drain",
            &node,
            "--ignore-daemonsets",
            "--delete-emptydir-data",
            "--force",
            "--timeout=120s",
        ])
        .env_remove("KUBECONFIG")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "kubectl drain: {said}");
    assert!(
        said.contains("disruption budget"),
        "kubectl met the budget: {said}"
    );

    let audit = dir.path().join("audit.jsonl");
    let (ex, seen) = progress_sink(executor(&co, &audit, false));
    // without --force / --delete-emptydir-data a bare pod or emptyDir data refuses the
    // drain where kubectl would; the confirmation offers the flags
    let plain = ex.plan(node_op(&node, drain(false, 120))).await.unwrap();
    if let Some(why) = &plain.refused {
        assert!(
            why.contains("--force") || why.contains("--delete-emptydir-data"),
            "{why}"
        );
        assert!(plain.alternative.is_some(), "{plain:?}");
    }
    let plan = plan_and_run(&ex, node_op(&node, drain(true, 120))).await;
    assert!(plan.title.starts_with("Drain node/"), "{plan:?}");
    assert!(
        plan.notes.iter().any(|n| n.starts_with(&format!(
            "PodDisruptionBudget shop/{app} allows 1 disruption"
        ))),
        "{plan:?}"
    );
    let progress = seen.lock().unwrap().clone();
    assert!(
        progress.iter().any(|p| p
            .waiting
            .iter()
            .any(|(_, why)| why.starts_with(&format!("PodDisruptionBudget {app} needs")))),
        "the progress names the budget that blocks: {progress:?}"
    );
    let last = progress.last().unwrap();
    assert_eq!(last.done.as_ref().map(|d| d.0), Some(true), "{last:?}");
    assert_eq!(last.evicted, last.total);

    for sb in [&ours, &theirs] {
        admin(sb, "time/pause").await;
        advance(sb, 120).await;
    }
    assert_eq!(node_spec(&co, &node).await, node_spec(&ct, &node).await);
    assert_eq!(node_spec(&co, &node).await.0, Some(true));
    let (left_o, left_t) = (pods_on(&co, &node).await, pods_on(&ct, &node).await);
    assert_eq!(left_o, left_t, "what stays on the node (DaemonSet pods)");
    assert!(left_o.len() < before.len());
    assert_eq!(
        budget_status(&co, &app).await,
        budget_status(&ct, &app).await
    );

    // the same evictions, with kubectl's bodies
    let evictions = |sb: &Sandbox| -> BTreeMap<String, Value> {
        sb.requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/eviction"))
            .map(|r| (r.path.clone(), body(&r)))
            .collect()
    };
    let (eo, et) = (evictions(&ours), evictions(&theirs));
    assert_eq!(
        eo.keys().collect::<Vec<_>>(),
        et.keys().collect::<Vec<_>>(),
        "the pods evicted"
    );
    let evicted: BTreeSet<String> = before.difference(&left_o).cloned().collect();
    assert_eq!(eo.len(), evicted.len());
    for (path, theirs_body) in &et {
        let mut t = theirs_body.clone();
        if let Some(m) = t.pointer_mut("/metadata").and_then(Value::as_object_mut) {
            // Go's zero time
            m.retain(|_, v| !v.is_null());
        }
        assert_eq!(eo[path], t, "the Eviction body of {path}");
    }
    let cordon = format!("/api/v1/nodes/{node}");
    let (a, b) = (
        writes_to(&ours, "PATCH", &cordon),
        writes_to(&theirs, "PATCH", &cordon),
    );
    assert_eq!(without_precondition(body(&a[0])), body(&b[0]));

    // the audit: the drain, and each eviction with its intent and outcome
    let lines = audit_lines(&audit);
    let evict_outcomes: BTreeSet<String> = lines
        .iter()
        .filter(|l| l["operation"] == "evict" && l["phase"] == "outcome")
        .map(|l| {
            assert_eq!(l["status"], "ok", "{l}");
            format!(
                "{}/{}",
                l["namespace"].as_str().unwrap(),
                l["target"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(evict_outcomes, evicted);
    let intents = lines
        .iter()
        .filter(|l| l["operation"] == "evict" && l["phase"] == "intent")
        .count();
    assert_eq!(intents, evicted.len());
    let drain_out = lines
        .iter()
        .find(|l| l["operation"] == "drain" && l["phase"] == "outcome")
        .unwrap();
    assert_eq!(drain_out["status"], "ok", "{drain_out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_drain_names_its_budget_and_ends_at_its_timeout_or_when_cancelled() {
    let sb = start().await;
    let c = client(&sb).await;
    let (node, app) = node_with_two_of_an_app(&c).await;
    // a budget that never allows a disruption (time is paused: nothing gets ready)
    budget(&c, &app, json!({"minAvailable": "100%"})).await;
    advance(&sb, 2).await;
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let (ex, seen) = progress_sink(executor(&c, &audit, false));

    let plan = ex.plan(node_op(&node, drain(true, 2))).await.unwrap();
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("allows 0 disruptions") && n.contains("waits")),
        "{plan:?}"
    );
    let out = ex.execute(&plan.op, &plan.before, &plan.after).await;
    assert!(!out.ok, "{out:?}");
    assert!(
        out.message.contains("timed out after 2 s")
            && out
                .message
                .contains(&format!("PodDisruptionBudget {app} needs"))
            && out.message.contains("stays cordoned"),
        "{out:?}"
    );
    assert_eq!(node_spec(&c, &node).await.0, Some(true));
    let failed = audit_lines(&audit)
        .into_iter()
        .filter(|l| l["operation"] == "evict" && l["status"] == "failed")
        .count();
    assert!(failed >= 2, "the blocked evictions' outcomes are audited");

    // cancelled while it waits on the budget
    let running = {
        let ex = ex.clone();
        let op = node_op(&node, drain(true, 300));
        tokio::spawn(async move { ex.execute(&op, "", "").await })
    };
    let waited = async {
        loop {
            let waiting = seen.lock().unwrap().iter().any(|p| {
                p.done.is_none() && p.total > 0 && !p.waiting.is_empty() && p.evicted == 0
            });
            if waiting {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), waited)
        .await
        .expect("the drain waits on the budget");
    assert!(ex.cancel_drain("sandbox", &node));
    let out = tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .expect("the drain ends once cancelled")
        .unwrap();
    assert!(!out.ok && out.message.contains("cancelled"), "{out:?}");
    assert!(!ex.cancel_drain("sandbox", &node), "no drain runs any more");
}
