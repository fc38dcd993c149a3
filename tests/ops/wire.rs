//! What every operation puts on the wire to the API server: each write (PATCH of the
//! object, of `/scale` and `/status`, POST) names `fieldManager=flightdeck`, so the
//! object's `managedFields` say who changed it, and every query string is well formed
//! (`?dryRun=All&fieldManager=flightdeck`, never `?&dryRun=All` or a bare `?`).

use crate::support;

use flightdeck::ops::model::{WorkloadKind, WorkloadOp};
use flightdeck::ops::{Executor, Operation};
use flightdeck_sandbox::{Sandbox, Scenario, ServedRequest};
use k8s_openapi::api::apps::v1::StatefulSet;
use kube::api::Api;
use support::ops::{client, executor, target};
use support::ops_kinds::{op, start};

/// Plans (with its dry run) and runs `o`.
async fn plan_and_run(ex: &Executor, o: Operation) {
    let plan = ex.plan(o).await.expect("plan");
    assert_eq!(plan.refused, None, "{plan:?}");
    let out = ex.execute(&plan.op, &plan.before, &plan.after).await;
    assert!(out.ok, "{out:?}");
}

/// The requests to the Kubernetes API (discovery and GitHub left out).
fn kube_requests(sb: &Sandbox) -> Vec<ServedRequest> {
    sb.requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/") || r.path.starts_with("/apis/"))
        .collect()
}

fn pairs(r: &ServedRequest) -> Vec<&str> {
    r.query.as_deref().unwrap_or("").split('&').collect()
}

/// Every query well formed; every write with the field manager; every dry run a dry run
/// of the same request. Returns the writes seen, as `METHOD kind-of-path`.
fn check(requests: &[ServedRequest]) -> Vec<String> {
    let mut kinds = Vec::new();
    for r in requests {
        if let Some(q) = &r.query {
            assert!(
                !q.is_empty() && !q.split('&').any(str::is_empty),
                "a malformed query string: {} {}?{q}",
                r.method,
                r.path
            );
        }
        // a SelfSubjectReview (who am I, for the audit line) is a question, not a write:
        // nothing is stored, as with `kubectl auth whoami`
        let review = r.path.ends_with("/selfsubjectreviews");
        if matches!(r.method.as_str(), "PATCH" | "POST" | "PUT") && !review {
            assert!(
                pairs(r).contains(&"fieldManager=flightdeck"),
                "a write without fieldManager=flightdeck: {r:?}"
            );
            let sub = if r.path.ends_with("/status") {
                "status"
            } else if r.path.ends_with("/scale") {
                "scale"
            } else {
                "object"
            };
            let dry = pairs(r).contains(&"dryRun=All");
            kinds.push(format!(
                "{} {sub}{}",
                r.method,
                if dry { " dry run" } else { "" }
            ));
        }
    }
    kinds.sort();
    kinds.dedup();
    kinds
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_names_the_field_manager_and_every_query_is_well_formed() {
    let sb = start().await;
    let c = client(&sb).await;
    let dir = tempfile::tempdir().unwrap();
    let ex = executor(&c, &dir.path().join("audit.jsonl"), false);
    let ops = [
        Operation::Scale {
            target: target("cart"),
            replicas: 5,
            resource_version: None,
        },
        Operation::Restart {
            target: target("cart"),
            resource_version: None,
        },
        op(
            "orders-db",
            WorkloadKind::StatefulSet,
            WorkloadOp::Scale { replicas: 1 },
        ),
        op("node-agent", WorkloadKind::DaemonSet, WorkloadOp::Restart),
        op("nightly-report", WorkloadKind::CronJob, WorkloadOp::Trigger),
        op(
            "nightly-report",
            WorkloadKind::CronJob,
            WorkloadOp::Suspend { suspend: true },
        ),
        op(
            "debug-shell",
            WorkloadKind::Pod,
            WorkloadOp::Delete {
                grace_period_secs: None,
            },
        ),
    ];
    for o in ops {
        plan_and_run(&ex, o).await;
    }
    // the dry run's query, exactly (kube-core alone sends `?&dryRun=All&…`)
    let requests = kube_requests(&sb);
    let dry = requests
        .iter()
        .find(|r| r.method == "PATCH" && r.query.as_deref().unwrap_or("").contains("dryRun"))
        .expect("a dry run");
    assert_eq!(
        dry.query.as_deref(),
        Some("dryRun=All&fieldManager=flightdeck"),
        "{dry:?}"
    );
    let kinds = check(&requests);
    for want in [
        "PATCH object",
        "PATCH object dry run",
        "PATCH scale",
        "PATCH scale dry run",
        "POST object",
        "POST object dry run",
    ] {
        assert!(kinds.iter().any(|k| k == want), "no {want}: {kinds:?}");
    }
    // the server records who changed what
    let set = Api::<StatefulSet>::namespaced(c.clone(), "shop")
        .get("orders-db")
        .await
        .expect("orders-db");
    let managers = set.metadata.managed_fields.unwrap_or_default();
    assert!(
        managers
            .iter()
            .any(|m| m.manager.as_deref() == Some("flightdeck")
                && m.subresource.as_deref() == Some("scale")),
        "{managers:?}"
    );

    // the Rollouts' status subresource too
    let sb = support::workloads::sandbox(Scenario::CanaryPaused).await;
    let c = client(&sb).await;
    let ex = executor(&c, &dir.path().join("audit2.jsonl"), false);
    for o in [
        op(
            "checkout",
            WorkloadKind::Rollout,
            WorkloadOp::Promote { full: false },
        ),
        op("checkout", WorkloadKind::Rollout, WorkloadOp::Restart),
    ] {
        plan_and_run(&ex, o).await;
    }
    let kinds = check(&kube_requests(&sb));
    for want in ["PATCH status", "PATCH object"] {
        assert!(kinds.iter().any(|k| k == want), "no {want}: {kinds:?}");
    }
}

/// The mechanism, kept: every write's parameters come from `ops::patch_params` or
/// `ops::post_params` (which name the field manager); no operation builds its own.
#[test]
fn operations_take_write_parameters_from_one_place() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ops");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("src/ops") {
        let path = entry.expect("entry").path();
        let Ok(src) = std::fs::read_to_string(&path) else {
            continue;
        };
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        for pattern in [
            "PatchParams::default()",
            "PostParams::default()",
            "PatchParams::apply(",
        ] {
            for _ in src.matches(pattern) {
                found.push(format!("{file}: {pattern}"));
            }
        }
    }
    found.sort();
    assert_eq!(
        found,
        [
            "kube_write.rs: PatchParams::default()",
            "kube_write.rs: PostParams::default()",
        ],
        "a write builds its own parameters (use patch_params / post_params)"
    );
}
