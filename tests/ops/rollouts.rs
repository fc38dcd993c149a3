//! Argo Rollouts operations against the sandbox's Rollouts controller: each request is the
//! one the kubectl plugin sends (method, path with the subresource, patch type, body — ours
//! adds only the resourceVersion precondition), each has the plugin's effect, and each goes
//! through the same plan → execute → audit path as every other operation.

use crate::support;

use flightdeck::ops::model::{WorkloadKind, WorkloadOp};
use flightdeck::ops::{Executor, Operation};
use flightdeck_sandbox::{Sandbox, Scenario, ServedRequest};
use serde_json::{Value, json};
use support::ops::{executor, target};
use support::workloads::{admin, kube_client, sandbox};

const RO: &str = "/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts";

fn op(name: &str, op: WorkloadOp) -> Operation {
    Operation::Workload {
        target: target(name),
        kind: WorkloadKind::Rollout,
        op,
        resource_version: None,
    }
}

/// Plans, checks the plan is not refused, executes what the confirmation was shown for.
async fn run(ex: &Executor, o: Operation) -> flightdeck::ops::model::Plan {
    let plan = ex.plan(o).await.expect("plan");
    assert!(plan.refused.is_none(), "refused: {plan:?}");
    let outcome = ex.execute(&plan.op, &plan.before, &plan.after).await;
    assert!(outcome.ok, "{outcome:?}");
    plan
}

/// The writes to the Rollout since the log was cleared, dry runs left out.
fn writes(sb: &Sandbox) -> Vec<ServedRequest> {
    sb.requests()
        .into_iter()
        .filter(|r| r.method == "PATCH" && r.path.starts_with(RO))
        .filter(|r| !r.query.as_deref().unwrap_or("").contains("dryRun"))
        .collect()
}

/// A request's body without our resourceVersion precondition: what the plugin sends.
fn plugin_body(r: &ServedRequest) -> Value {
    let mut v: Value =
        serde_json::from_str(r.body.as_deref().unwrap_or("null")).expect("json body");
    if let Some(o) = v.as_object_mut() {
        let meta = o.get("metadata").cloned();
        assert!(
            meta.as_ref()
                .is_some_and(|m| m["resourceVersion"].is_string()),
            "the first request carries the resourceVersion precondition: {v}"
        );
        o.remove("metadata");
    }
    v
}

async fn rollout(sb: &Sandbox, name: &str) -> Value {
    let c = kube_client(sb).await;
    let api: kube::Api<kube::api::DynamicObject> = kube::Api::namespaced_with(
        c,
        "shop",
        &kube::discovery::ApiResource {
            group: "argoproj.io".into(),
            version: "v1alpha1".into(),
            api_version: "argoproj.io/v1alpha1".into(),
            kind: "Rollout".into(),
            plural: "rollouts".into(),
        },
    );
    let o = api.get(name).await.expect("rollout");
    serde_json::to_value(o).expect("json")
}

async fn advance(sb: &Sandbox, seconds: u64) {
    admin(sb, &format!("time/advance?seconds={seconds}"), "").await;
}

async fn clear(sb: &Sandbox) {
    let r = reqwest::Client::new()
        .delete(format!("{}/requests", sb.admin_url()))
        .send()
        .await
        .expect("clear requests");
    assert!(r.status().is_success());
}

#[tokio::test]
async fn promote_sends_the_plugins_status_patch_and_the_canary_moves_on() {
    let sb = sandbox(Scenario::CanaryPaused).await;
    let c = kube_client(&sb).await;
    let dir = tempfile::tempdir().unwrap();
    let ex = executor(&c, &dir.path().join("audit.jsonl"), false);
    clear(&sb).await;
    let plan = run(&ex, op("checkout", WorkloadOp::Promote { full: false })).await;
    assert_eq!(
        plan.before, "step 4/6 · weight 50% · Paused (CanaryPauseStep)",
        "{plan:?}"
    );
    assert!(plan.after.starts_with("step 5/6 · weight 100%"), "{plan:?}");
    let w = writes(&sb);
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].path, format!("{RO}/checkout/status"));
    assert_eq!(
        w[0].content_type.as_deref(),
        Some("application/merge-patch+json")
    );
    assert_eq!(
        plugin_body(&w[0]),
        json!({"status": {"pauseConditions": null}})
    );
    advance(&sb, 120).await;
    let r = rollout(&sb, "checkout").await;
    assert_eq!(r["status"]["phase"], "Healthy", "{}", r["status"]);
    assert_eq!(r["status"]["stableRS"], r["status"]["currentPodHash"]);
    let audit = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
    assert!(
        audit.contains("\"promote\"") && audit.contains("rollout/checkout"),
        "{audit}"
    );
}

#[tokio::test]
async fn abort_then_retry_and_promote_full_are_the_plugins_requests() {
    let sb = sandbox(Scenario::Canary).await;
    let c = kube_client(&sb).await;
    let dir = tempfile::tempdir().unwrap();
    let ex = executor(&c, &dir.path().join("audit.jsonl"), false);

    clear(&sb).await;
    let plan = run(&ex, op("checkout", WorkloadOp::Abort)).await;
    assert!(plan.before.contains("weight 10%"), "{plan:?}");
    assert!(plan.after.starts_with("aborted · weight 0%"), "{plan:?}");
    let w = writes(&sb);
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].path, format!("{RO}/checkout/status"));
    assert_eq!(plugin_body(&w[0]), json!({"status": {"abort": true}}));
    advance(&sb, 5).await;
    let r = rollout(&sb, "checkout").await;
    assert_eq!(r["status"]["abort"], true);
    assert_eq!(r["status"]["canary"]["weights"]["canary"]["weight"], 0);

    // a second abort is refused at the confirmation
    let again = ex
        .plan(op("checkout", WorkloadOp::Abort))
        .await
        .expect("plan");
    assert!(
        again
            .refused
            .as_deref()
            .is_some_and(|r| r.contains("already aborted")),
        "{again:?}"
    );

    clear(&sb).await;
    run(&ex, op("checkout", WorkloadOp::Retry)).await;
    let w = writes(&sb);
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].path, format!("{RO}/checkout/status"));
    assert_eq!(plugin_body(&w[0]), json!({"status": {"abort": false}}));
    advance(&sb, 2).await;
    let r = rollout(&sb, "checkout").await;
    assert_ne!(r["status"]["abort"], true, "{}", r["status"]);

    clear(&sb).await;
    run(&ex, op("checkout", WorkloadOp::Promote { full: true })).await;
    let w = writes(&sb);
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].path, format!("{RO}/checkout/status"));
    assert_eq!(plugin_body(&w[0]), json!({"status": {"promoteFull": true}}));
    advance(&sb, 120).await;
    let r = rollout(&sb, "checkout").await;
    assert_eq!(
        r["status"]["stableRS"], r["status"]["currentPodHash"],
        "{}",
        r["status"]
    );
}

#[tokio::test]
async fn without_the_status_subresource_promote_sends_one_unified_patch() {
    let sb = sandbox(Scenario::CanaryPaused).await;
    admin(&sb, "rollouts?status_subresource=false", "").await;
    let c = kube_client(&sb).await;
    let dir = tempfile::tempdir().unwrap();
    let ex = executor(&c, &dir.path().join("audit.jsonl"), false);
    clear(&sb).await;
    run(&ex, op("checkout", WorkloadOp::Promote { full: false })).await;
    let w = writes(&sb);
    assert_eq!(
        w.len(),
        2,
        "the status patch (404), then the unified one: {w:?}"
    );
    assert_eq!(w[0].path, format!("{RO}/checkout/status"));
    assert_eq!(w[1].path, format!("{RO}/checkout"));
    assert_eq!(
        plugin_body(&w[1]),
        json!({"spec": {"paused": false}, "status": {"pauseConditions": null}})
    );
    advance(&sb, 120).await;
    let r = rollout(&sb, "checkout").await;
    assert_eq!(r["status"]["phase"], "Healthy", "{}", r["status"]);
}

#[tokio::test]
async fn undo_and_restart_are_the_plugins_patches() {
    let sb = sandbox(Scenario::Canary).await;
    let c = kube_client(&sb).await;
    let dir = tempfile::tempdir().unwrap();
    let ex = executor(&c, &dir.path().join("audit.jsonl"), false);
    let before = rollout(&sb, "checkout").await;
    let stable = before["status"]["stableRS"]
        .as_str()
        .expect("stableRS")
        .to_owned();

    clear(&sb).await;
    let plan = run(
        &ex,
        op("checkout", WorkloadOp::Rollback { to_revision: None }),
    )
    .await;
    assert!(plan.after.starts_with("revision 2 · "), "{plan:?}");
    let w = writes(&sb);
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].path, format!("{RO}/checkout"));
    assert_eq!(
        w[0].content_type.as_deref(),
        Some("application/json-patch+json")
    );
    let ops: Value = serde_json::from_str(w[0].body.as_deref().unwrap()).unwrap();
    assert_eq!(ops[0]["op"], "replace");
    assert_eq!(ops[0]["path"], "/spec/template");
    assert_eq!(ops[1]["path"], "/metadata/annotations");
    assert_eq!(
        ops[2]["path"], "/metadata/resourceVersion",
        "our precondition"
    );
    assert!(
        ops[0]["value"]["metadata"]["labels"]
            .get("rollouts-pod-template-hash")
            .is_none(),
        "the plugin removes the hash label: {}",
        ops[0]["value"]
    );
    advance(&sb, 60).await;
    let r = rollout(&sb, "checkout").await;
    assert_eq!(
        r["status"]["currentPodHash"],
        stable.as_str(),
        "{}",
        r["status"]
    );

    clear(&sb).await;
    run(&ex, op("checkout", WorkloadOp::Restart)).await;
    let w = writes(&sb);
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].path, format!("{RO}/checkout"));
    let body = plugin_body(&w[0]);
    let at = body["spec"]["restartAt"].as_str().expect("restartAt");
    assert!(at.parse::<jiff::Timestamp>().is_ok(), "{body}");
    assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{body}");
}

#[tokio::test]
async fn rollout_operations_are_refused_read_only_and_off_other_kinds() {
    let sb = sandbox(Scenario::CanaryPaused).await;
    let c = kube_client(&sb).await;
    let dir = tempfile::tempdir().unwrap();
    let ro = executor(&c, &dir.path().join("audit.jsonl"), true);
    clear(&sb).await;
    let o = op("checkout", WorkloadOp::Promote { full: false });
    let outcome = ro.execute(&o, "", "").await;
    assert!(
        !outcome.ok && outcome.message.contains("read-only"),
        "{outcome:?}"
    );
    assert!(writes(&sb).is_empty());
    let ex = executor(&c, &dir.path().join("audit2.jsonl"), false);
    let wrong = Operation::Workload {
        target: target("orders-db"),
        kind: WorkloadKind::StatefulSet,
        op: WorkloadOp::Abort,
        resource_version: None,
    };
    let err = ex.plan(wrong).await.expect_err("abort of a statefulset");
    assert!(err.contains("not an operation on a statefulset"), "{err}");
}

/// `kubectl argo rollouts pause`: `spec.paused: true` on the Rollout itself.
async fn pause_spec(sb: &Sandbox, name: &str) {
    let c = kube_client(sb).await;
    let api: kube::Api<kube::api::DynamicObject> = kube::Api::namespaced_with(
        c,
        "shop",
        &kube::discovery::ApiResource {
            group: "argoproj.io".into(),
            version: "v1alpha1".into(),
            api_version: "argoproj.io/v1alpha1".into(),
            kind: "Rollout".into(),
            plural: "rollouts".into(),
        },
    );
    api.patch(
        name,
        &kube::api::PatchParams::default(),
        &kube::api::Patch::Merge(json!({"spec": {"paused": true}})),
    )
    .await
    .expect("pause");
}

#[tokio::test]
async fn promote_full_also_unpauses_a_spec_paused_rollout() {
    let sb = sandbox(Scenario::CanaryPaused).await;
    pause_spec(&sb, "checkout").await;
    let c = kube_client(&sb).await;
    let dir = tempfile::tempdir().unwrap();
    let ex = executor(&c, &dir.path().join("audit.jsonl"), false);
    clear(&sb).await;
    run(&ex, op("checkout", WorkloadOp::Promote { full: true })).await;
    // the plugin since v1.9.0 (argo-rollouts #4265): promoteFull, then the un-pause
    let w = writes(&sb);
    assert_eq!(w.len(), 2, "{w:?}");
    assert_eq!(w[0].path, format!("{RO}/checkout/status"));
    assert_eq!(plugin_body(&w[0]), json!({"status": {"promoteFull": true}}));
    assert_eq!(w[1].path, format!("{RO}/checkout"));
    let spec: Value = serde_json::from_str(w[1].body.as_deref().unwrap()).unwrap();
    assert_eq!(spec["spec"], json!({"paused": false}), "{spec}");
    advance(&sb, 120).await;
    let r = rollout(&sb, "checkout").await;
    assert_ne!(r["spec"]["paused"], true);
    assert_eq!(r["status"]["phase"], "Healthy", "{}", r["status"]);
    assert_eq!(r["status"]["stableRS"], r["status"]["currentPodHash"]);
}

#[tokio::test]
async fn promote_full_without_the_status_subresource_unpauses_in_the_unified_patch() {
    let sb = sandbox(Scenario::CanaryPaused).await;
    pause_spec(&sb, "checkout").await;
    admin(&sb, "rollouts?status_subresource=false", "").await;
    let c = kube_client(&sb).await;
    let dir = tempfile::tempdir().unwrap();
    let ex = executor(&c, &dir.path().join("audit.jsonl"), false);
    clear(&sb).await;
    run(&ex, op("checkout", WorkloadOp::Promote { full: true })).await;
    let w = writes(&sb);
    assert_eq!(
        w.len(),
        2,
        "the status patch (404), then the unified one: {w:?}"
    );
    assert_eq!(w[1].path, format!("{RO}/checkout"));
    assert_eq!(
        plugin_body(&w[1]),
        json!({"spec": {"paused": false}, "status": {"promoteFull": true}})
    );
    advance(&sb, 120).await;
    let r = rollout(&sb, "checkout").await;
    assert_eq!(r["status"]["phase"], "Healthy", "{}", r["status"]);
}

#[tokio::test]
async fn promote_after_an_inconclusive_analysis_clears_controller_pause_and_moves_on() {
    let sb = sandbox(Scenario::Canary).await;
    let c = kube_client(&sb).await;
    // a failure condition beside the success one: the bad canary's ~18 % 5xx meets
    // neither, so the analysis is Inconclusive and the controller pauses on it
    let at: kube::Api<kube::api::DynamicObject> = kube::Api::namespaced_with(
        c.clone(),
        "shop",
        &kube::discovery::ApiResource {
            group: "argoproj.io".into(),
            version: "v1alpha1".into(),
            api_version: "argoproj.io/v1alpha1".into(),
            kind: "AnalysisTemplate".into(),
            plural: "analysistemplates".into(),
        },
    );
    let add = json!([{"op": "add", "path": "/spec/metrics/0/failureCondition", "value": "result[0] > 0.5"}]);
    at.patch(
        "error-rate",
        &kube::api::PatchParams::default(),
        &kube::api::Patch::<()>::Json(serde_json::from_value(add).unwrap()),
    )
    .await
    .expect("failure condition");
    advance(&sb, 120).await;
    let r = rollout(&sb, "checkout").await;
    let st = &r["status"];
    assert_eq!(
        st["pauseConditions"][0]["reason"], "InconclusiveAnalysisRun",
        "{st}"
    );
    assert_eq!(st["controllerPause"], true, "{st}");
    assert_eq!(st["currentStepIndex"], 2, "{st}");
    assert_eq!(
        st["canary"]["currentStepAnalysisRunStatus"]["status"], "Inconclusive",
        "{st}"
    );

    let dir = tempfile::tempdir().unwrap();
    let ex = executor(&c, &dir.path().join("audit.jsonl"), false);
    clear(&sb).await;
    run(&ex, op("checkout", WorkloadOp::Promote { full: false })).await;
    // what the plugin sends (promote.go `clearPauseConditionsAndControllerPausePatch`)
    let w = writes(&sb);
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].path, format!("{RO}/checkout/status"));
    assert_eq!(
        plugin_body(&w[0]),
        json!({"status": {"pauseConditions": null, "controllerPause": false, "currentStepIndex": 3}})
    );
    // past the analysis: 50 %, then the pause step waits for the next promotion
    advance(&sb, 120).await;
    let r = rollout(&sb, "checkout").await;
    let st = &r["status"];
    assert_eq!(st["currentStepIndex"], 4, "{st}");
    assert_eq!(
        st["pauseConditions"][0]["reason"], "CanaryPauseStep",
        "{st}"
    );
}
