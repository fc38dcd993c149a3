//! Operations on StatefulSets, DaemonSets, CronJobs and pods against the sandbox: each
//! leaves the cluster as the real kubectl does (two identical sandboxes, one changed by
//! the executor and one by kubectl), through the same plan → execute → audit path as the
//! Deployment operations.

use crate::support;
use crate::support::tools;

use flightdeck::ops::Operation;
use flightdeck::ops::model::{WorkloadKind, WorkloadOp};
use k8s_openapi::api::apps::v1::{DaemonSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};
use support::ops::{client, executor, target};
use support::ops_kinds::{
    SetSnapshot, advance, audit_lines, comparable, kubectl, manual_job, op, plan_and_run,
    set_state, start, third_revision,
};

async fn rollback_same_as_kubectl(kind: WorkloadKind, name: &str, image: &str) {
    let Some(bin) = tools::require("kubectl") else {
        return;
    };
    for to in [None, Some(1)] {
        let ours = start().await;
        let theirs = start().await;
        let (co, ct) = (client(&ours).await, client(&theirs).await);
        for (sb, c) in [(&ours, &co), (&theirs, &ct)] {
            third_revision(c, kind, name, image).await;
            advance(sb, 600).await;
        }
        let (_, revs) = set_state(&co, kind, name).await;
        assert_eq!(
            revs.iter().map(|r| r.1).max(),
            Some(3),
            "a third revision: {revs:?}"
        );
        let dir = tempfile::tempdir().unwrap();
        let resource = format!("{}/{name}", kind.short());
        let mut args = vec!["rollout".to_owned(), "undo".into(), resource];
        if let Some(n) = to {
            args.push(format!("--to-revision={n}"));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        kubectl(&bin, &theirs, dir.path(), &args).await;

        let ex = executor(&co, &dir.path().join("audit.jsonl"), false);
        // the picker's list: newest first, the running one marked
        let choices = ex.workload_revisions(&target(name), kind).await.unwrap();
        assert_eq!(
            choices
                .iter()
                .map(|c| (c.revision, c.current))
                .collect::<Vec<_>>(),
            vec![(3, true), (2, false), (1, false)]
        );
        assert!(choices[0].images.iter().any(|i| i == image), "{choices:?}");
        let plan = plan_and_run(
            &ex,
            op(name, kind, WorkloadOp::Rollback { to_revision: to }),
        )
        .await;
        let want = to.unwrap_or(2);
        assert!(
            plan.before.starts_with("revision 3 ") && plan.before.contains(image),
            "{plan:?}"
        );
        assert!(
            plan.after.starts_with(&format!("revision {want} ")),
            "{plan:?}"
        );
        for sb in [&ours, &theirs] {
            advance(sb, 600).await;
        }
        let a = set_state(&co, kind, name).await;
        let b = set_state(&ct, kind, name).await;
        assert_eq!(a.0, b.0, "spec.template after rollback to {to:?}");
        assert_eq!(a.1, b.1, "ControllerRevisions after rollback to {to:?}");
        assert_ne!(a.0["spec"]["containers"][0]["image"], json!(image));
        // the template that came back runs as the next revision number
        let now = ex.workload_revisions(&target(name), kind).await.unwrap();
        assert_eq!(now.iter().find(|c| c.current).map(|c| c.revision), Some(4));

        // rolling back to what runs now sends nothing and says so
        let again = ex
            .plan(op(
                name,
                kind,
                WorkloadOp::Rollback {
                    to_revision: Some(4),
                },
            ))
            .await
            .unwrap();
        assert!(
            again
                .refused
                .as_deref()
                .is_some_and(|r| r
                    .starts_with("skipped rollback (current template already matches revision 4")),
            "{again:?}"
        );
        let out = ex.execute(&again.op, &again.before, &again.after).await;
        assert!(
            out.ok && out.message.contains("skipped rollback"),
            "{out:?}"
        );
        assert_eq!(set_state(&co, kind, name).await, a);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statefulset_rollback_equals_kubectl_rollout_undo() {
    rollback_same_as_kubectl(WorkloadKind::StatefulSet, "orders-db", "postgres:16.6").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemonset_rollback_equals_kubectl_rollout_undo() {
    rollback_same_as_kubectl(
        WorkloadKind::DaemonSet,
        "node-agent",
        "ghcr.io/acme/node-agent:9.9.9",
    )
    .await;
}

fn restarted_at(template: &Value) -> Option<String> {
    template["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
        .as_str()
        .map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_sets_the_annotation_as_kubectl_does() {
    let Some(bin) = tools::require("kubectl") else {
        return;
    };
    let ours = start().await;
    let theirs = start().await;
    let (co, ct) = (client(&ours).await, client(&theirs).await);
    let dir = tempfile::tempdir().unwrap();
    let ex = executor(&co, &dir.path().join("audit.jsonl"), false);
    for (kind, name) in [
        (WorkloadKind::StatefulSet, "orders-db"),
        (WorkloadKind::DaemonSet, "node-agent"),
    ] {
        let (before, revs_before) = set_state(&co, kind, name).await;
        assert_eq!(restarted_at(&before), None);
        let resource = format!("{}/{name}", kind.short());
        kubectl(
            &bin,
            &theirs,
            dir.path(),
            &["rollout", "restart", &resource],
        )
        .await;
        let plan = plan_and_run(&ex, op(name, kind, WorkloadOp::Restart)).await;
        assert!(plan.before.starts_with("revision 2 "), "{plan:?}");
        let (mut a, revs_a) = set_state(&co, kind, name).await;
        let (mut b, _) = set_state(&ct, kind, name).await;
        let (at_a, at_b) = (restarted_at(&a).unwrap(), restarted_at(&b).unwrap());
        // the same form as kubectl's (RFC 3339, UTC, seconds): only the time differs
        assert_eq!(at_a.len(), at_b.len(), "{at_a} vs {at_b}");
        assert!(
            at_a.ends_with('Z') && at_a.parse::<jiff::Timestamp>().is_ok(),
            "{at_a}"
        );
        for t in [&mut a, &mut b] {
            t["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"] = json!("T");
        }
        assert_eq!(a, b, "templates after restart");
        // a new revision: the pods roll
        assert_eq!(revs_a.len(), revs_before.len() + 1, "{revs_a:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statefulset_scale_through_scale_and_hpa_aware() {
    let sb = start().await;
    let c = client(&sb).await;
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let ex = executor(&c, &audit, false);
    let sts = Api::<StatefulSet>::namespaced(c.clone(), "shop");
    let pods = Api::<Pod>::namespaced(c.clone(), "shop");

    let plan = plan_and_run(
        &ex,
        op(
            "orders-db",
            WorkloadKind::StatefulSet,
            WorkloadOp::Scale { replicas: 1 },
        ),
    )
    .await;
    assert_eq!(
        (plan.before.as_str(), plan.after.as_str()),
        ("replicas 3", "replicas 1")
    );
    assert!(
        plan.notes
            .iter()
            .any(|n| n.starts_with("removes orders-db-2, orders-db-1")),
        "{plan:?}"
    );
    assert!(plan.alternative.is_none() && plan.type_to_confirm.is_none());
    assert_eq!(sts.get("orders-db").await.unwrap().spec.replicas, Some(1));
    advance(&sb, 300).await;
    assert!(pods.get_opt("orders-db-2").await.unwrap().is_none());
    assert!(pods.get_opt("orders-db-0").await.unwrap().is_some());

    let zero = ex
        .plan(op(
            "orders-db",
            WorkloadKind::StatefulSet,
            WorkloadOp::Scale { replicas: 0 },
        ))
        .await
        .unwrap();
    assert_eq!(zero.type_to_confirm.as_deref(), Some("orders-db"));

    // an HPA on the set: the plan warns and offers its bounds instead
    let hpa = json!({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "orders-db", "namespace": "shop"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "orders-db"},
                 "minReplicas": 2, "maxReplicas": 4}
    });
    Api::<k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler>::namespaced(
        c.clone(),
        "shop",
    )
    .create(
        &PostParams::default(),
        &serde_json::from_value(hpa).unwrap(),
    )
    .await
    .unwrap();
    let plan = ex
        .plan(op(
            "orders-db",
            WorkloadKind::StatefulSet,
            WorkloadOp::Scale { replicas: 6 },
        ))
        .await
        .unwrap();
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("HPA orders-db") && n.contains("override")),
        "{plan:?}"
    );
    match &plan.alternative {
        Some(Operation::ScaleHpa {
            target, min, max, ..
        }) => {
            assert_eq!((target.name.as_str(), *min, *max), ("orders-db", 4, 6));
        }
        other => panic!("no HPA alternative: {other:?}"),
    }
    let lines = audit_lines(&audit);
    assert_eq!(lines.len(), 2, "one operation, intent and outcome");
    assert_eq!(lines[1]["object"], "statefulset/orders-db");
    assert_eq!(lines[1]["operation"], "scale");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trigger_makes_the_job_kubectl_create_job_from_cronjob_makes() {
    let Some(bin) = tools::require("kubectl") else {
        return;
    };
    let ours = start().await;
    let theirs = start().await;
    let (co, ct) = (client(&ours).await, client(&theirs).await);
    // annotations on the job template are copied too
    for c in [&co, &ct] {
        Api::<CronJob>::namespaced(c.clone(), "shop")
            .patch(
                "nightly-report",
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"jobTemplate": {"metadata": {
                    "annotations": {"team": "data"}, "labels": {"tier": "batch"}}}}})),
            )
            .await
            .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    kubectl(
        &bin,
        &theirs,
        dir.path(),
        &["create", "job", "by-hand", "--from=cronjob/nightly-report"],
    )
    .await;
    let ex = executor(&co, &dir.path().join("audit.jsonl"), false);
    let plan = plan_and_run(
        &ex,
        op("nightly-report", WorkloadKind::CronJob, WorkloadOp::Trigger),
    )
    .await;
    assert!(
        plan.after
            .starts_with("new job nightly-report-manual-XXXXX ghcr.io/acme/reports:1.7.2"),
        "{plan:?}"
    );
    let (a, uid_a) = manual_job(&co).await;
    let (b, uid_b) = manual_job(&ct).await;
    let name = a.metadata.name.clone().unwrap();
    assert!(
        name.starts_with("nightly-report-manual-")
            && name.len() == "nightly-report-manual-".len() + 5,
        "{name}"
    );
    assert_eq!(b.metadata.name.as_deref(), Some("by-hand"));
    assert_eq!(comparable(&a, &uid_a), comparable(&b, &uid_b));
    assert_eq!(a.metadata.labels.as_ref().unwrap()["tier"], "batch");
    assert_eq!(a.metadata.annotations.as_ref().unwrap()["team"], "data");
    // and it runs
    advance(&ours, 60).await;
    let done = Api::<Job>::namespaced(co.clone(), "shop")
        .get(&name)
        .await
        .unwrap();
    assert_eq!(done.status.and_then(|s| s.succeeded), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suspend_and_resume_a_cronjob() {
    let sb = start().await;
    let c = client(&sb).await;
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let ex = executor(&c, &audit, false);
    let cj = Api::<CronJob>::namespaced(c.clone(), "shop");
    let suspended = || async { cj.get("nightly-report").await.unwrap().spec.suspend };

    let resume = op(
        "nightly-report",
        WorkloadKind::CronJob,
        WorkloadOp::Suspend { suspend: false },
    );
    let noop = ex.plan(resume.clone()).await.unwrap();
    assert_eq!(
        noop.refused.as_deref(),
        Some("cronjob/nightly-report is not suspended")
    );

    let plan = plan_and_run(
        &ex,
        op(
            "nightly-report",
            WorkloadKind::CronJob,
            WorkloadOp::Suspend { suspend: true },
        ),
    )
    .await;
    assert!(
        plan.before.starts_with("suspend false") && plan.after == "suspend true",
        "{plan:?}"
    );
    assert_eq!(suspended().await, Some(true));
    let again = ex
        .plan(op(
            "nightly-report",
            WorkloadKind::CronJob,
            WorkloadOp::Suspend { suspend: true },
        ))
        .await
        .unwrap();
    assert_eq!(
        again.refused.as_deref(),
        Some("cronjob/nightly-report is already suspended")
    );
    ex.record_refusal(&again).await.unwrap();

    plan_and_run(&ex, resume).await;
    assert_eq!(suspended().await, Some(false));
    let lines = audit_lines(&audit);
    let ops: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["operation"].as_str().unwrap(),
                l["phase"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ops,
        [
            ("suspend", "intent"),
            ("suspend", "outcome"),
            ("suspend", "refusal"),
            ("resume", "intent"),
            ("resume", "outcome"),
        ]
    );
    assert_eq!(lines[0]["object"], "cronjob/nightly-report");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_pod_equals_kubectl_delete_pod() {
    let Some(bin) = tools::require("kubectl") else {
        return;
    };
    let ours = start().await;
    let theirs = start().await;
    let (co, ct) = (client(&ours).await, client(&theirs).await);
    let dir = tempfile::tempdir().unwrap();
    let ex = executor(&co, &dir.path().join("audit.jsonl"), false);
    let uid = |c: &kube::Client, name: &'static str| {
        let api = Api::<Pod>::namespaced(c.clone(), "shop");
        async move {
            api.get_opt(name)
                .await
                .unwrap()
                .and_then(|p| p.metadata.uid)
        }
    };
    let old = uid(&co, "orders-db-1").await.expect("orders-db-1");
    for name in ["orders-db-1", "debug-shell"] {
        kubectl(&bin, &theirs, dir.path(), &["delete", "pod", name]).await;
    }
    let plan = plan_and_run(
        &ex,
        op(
            "orders-db-1",
            WorkloadKind::Pod,
            WorkloadOp::Delete {
                grace_period_secs: None,
            },
        ),
    )
    .await;
    assert!(
        plan.notes
            .iter()
            .any(|n| n == "StatefulSet orders-db recreates it under the same name orders-db-1"),
        "{plan:?}"
    );
    assert!(plan.after.contains("grace period 30 s"), "{plan:?}");
    assert_eq!(plan.type_to_confirm, None);
    let bare = ex
        .plan(op(
            "debug-shell",
            WorkloadKind::Pod,
            WorkloadOp::Delete {
                grace_period_secs: Some(0),
            },
        ))
        .await
        .unwrap();
    assert!(
        bare.notes
            .iter()
            .any(|n| n == "bare pod: nothing recreates it"),
        "{bare:?}"
    );
    assert_eq!(bare.type_to_confirm.as_deref(), Some("debug-shell"));
    assert!(bare.after.contains("grace period 0 s (given)"), "{bare:?}");
    let out = ex.execute(&bare.op, &bare.before, &bare.after).await;
    assert!(out.ok, "{out:?}");

    for (sb, c) in [(&ours, &co), (&theirs, &ct)] {
        assert_eq!(uid(c, "debug-shell").await, None);
        advance(sb, 300).await;
        let new = uid(c, "orders-db-1").await.expect("recreated");
        assert_ne!(new, old, "a new pod under the old name");
        assert_eq!(uid(c, "debug-shell").await, None, "a bare pod stays gone");
    }

    // confirmed for one pod, then that pod is replaced under the same name: the delete
    // is refused as a conflict and the new pod lives on
    let plan = ex
        .plan(op(
            "orders-db-0",
            WorkloadKind::Pod,
            WorkloadOp::Delete {
                grace_period_secs: None,
            },
        ))
        .await
        .unwrap();
    kubectl(&bin, &ours, dir.path(), &["delete", "pod", "orders-db-0"]).await;
    advance(&ours, 300).await;
    let replaced = uid(&co, "orders-db-0").await.expect("recreated");
    let out = ex.execute(&plan.op, &plan.before, &plan.after).await;
    assert!(!out.ok && out.message.starts_with("conflict: "), "{out:?}");
    assert_eq!(uid(&co, "orders-db-0").await, Some(replaced));
}

/// One operation of each kind the workload operations offer, on the scenario's objects.
fn one_of_each() -> [Operation; 6] {
    [
        op(
            "orders-db",
            WorkloadKind::StatefulSet,
            WorkloadOp::Rollback { to_revision: None },
        ),
        op("node-agent", WorkloadKind::DaemonSet, WorkloadOp::Restart),
        op(
            "orders-db",
            WorkloadKind::StatefulSet,
            WorkloadOp::Scale { replicas: 1 },
        ),
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
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_refuses_each_and_audits_the_refusal() {
    let sb = start().await;
    let c = client(&sb).await;
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let ex = executor(&c, &audit, true);
    let ops = one_of_each();
    let before = (
        set_state(&c, WorkloadKind::StatefulSet, "orders-db").await,
        set_state(&c, WorkloadKind::DaemonSet, "node-agent").await,
    );
    for o in &ops {
        let plan = ex.plan(o.clone()).await.unwrap();
        assert!(
            plan.refused
                .as_deref()
                .is_some_and(|r| r.contains("read-only")),
            "{plan:?}"
        );
        let out = ex.execute(o, &plan.before, &plan.after).await;
        assert!(!out.ok && out.message.contains("read-only"), "{out:?}");
    }
    let lines = audit_lines(&audit);
    assert_eq!(lines.len(), ops.len());
    assert!(
        lines
            .iter()
            .all(|l| l["phase"] == "refusal" && l["error"].as_str().unwrap().contains("read-only"))
    );
    assert_eq!(
        lines
            .iter()
            .map(|l| l["object"].as_str().unwrap())
            .collect::<Vec<_>>(),
        [
            "statefulset/orders-db",
            "daemonset/node-agent",
            "statefulset/orders-db",
            "cronjob/nightly-report",
            "cronjob/nightly-report",
            "pod/debug-shell",
        ]
    );
    // nothing changed
    let after = (
        set_state(&c, WorkloadKind::StatefulSet, "orders-db").await,
        set_state(&c, WorkloadKind::DaemonSet, "node-agent").await,
    );
    assert_eq!(before, after);
    let sts = Api::<StatefulSet>::namespaced(c.clone(), "shop")
        .get("orders-db")
        .await
        .unwrap();
    assert_eq!(sts.spec.replicas, Some(3));
    let cj = Api::<CronJob>::namespaced(c.clone(), "shop")
        .get("nightly-report")
        .await
        .unwrap();
    assert!(!cj.spec.suspend.unwrap_or(false));
    assert!(
        Api::<Pod>::namespaced(c.clone(), "shop")
            .get_opt("debug-shell")
            .await
            .unwrap()
            .is_some()
    );
    let jobs = Api::<Job>::namespaced(c.clone(), "shop")
        .list(&ListParams::default())
        .await
        .unwrap();
    assert!(jobs.items.iter().all(|j| {
        j.metadata.annotations.is_none()
            || !j
                .metadata
                .annotations
                .as_ref()
                .unwrap()
                .contains_key("cronjob.kubernetes.io/instantiate")
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_underneath_gives_a_conflict() {
    let sb = start().await;
    let c = client(&sb).await;
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let ex = executor(&c, &audit, false);
    let ops = one_of_each();
    let mut plans = Vec::new();
    for o in &ops {
        plans.push(ex.plan(o.clone()).await.unwrap());
    }
    let before = (
        set_state(&c, WorkloadKind::StatefulSet, "orders-db").await,
        set_state(&c, WorkloadKind::DaemonSet, "node-agent").await,
    );
    // someone else touches every object after the confirmations were shown
    let touch = json!({"metadata": {"labels": {"touched": "yes"}}});
    let pp = PatchParams::default();
    Api::<StatefulSet>::namespaced(c.clone(), "shop")
        .patch("orders-db", &pp, &Patch::Merge(&touch))
        .await
        .unwrap();
    Api::<DaemonSet>::namespaced(c.clone(), "shop")
        .patch("node-agent", &pp, &Patch::Merge(&touch))
        .await
        .unwrap();
    Api::<CronJob>::namespaced(c.clone(), "shop")
        .patch("nightly-report", &pp, &Patch::Merge(&touch))
        .await
        .unwrap();
    Api::<Pod>::namespaced(c.clone(), "shop")
        .patch("debug-shell", &pp, &Patch::Merge(&touch))
        .await
        .unwrap();
    for plan in &plans {
        let out = ex.execute(&plan.op, &plan.before, &plan.after).await;
        assert!(!out.ok && out.message.starts_with("conflict: "), "{out:?}");
    }
    let lines: Vec<Value> = audit_lines(&audit)
        .into_iter()
        .filter(|l| l["phase"] == "outcome")
        .collect();
    assert_eq!(lines.len(), ops.len());
    assert!(lines.iter().all(|l| l["status"] == "conflict"), "{lines:?}");
    // nothing changed but the labels
    let strip = |mut s: (SetSnapshot, SetSnapshot)| {
        for t in [&mut s.0.0, &mut s.1.0] {
            if let Some(m) = t
                .pointer_mut("/metadata/labels")
                .and_then(Value::as_object_mut)
            {
                m.remove("touched");
            }
        }
        s
    };
    let after = (
        set_state(&c, WorkloadKind::StatefulSet, "orders-db").await,
        set_state(&c, WorkloadKind::DaemonSet, "node-agent").await,
    );
    assert_eq!(strip(before), strip(after));
    let sts = Api::<StatefulSet>::namespaced(c.clone(), "shop")
        .get("orders-db")
        .await
        .unwrap();
    assert_eq!(sts.spec.replicas, Some(3));
    let cj = Api::<CronJob>::namespaced(c.clone(), "shop")
        .get("nightly-report")
        .await
        .unwrap();
    assert!(!cj.spec.suspend.unwrap_or(false));
    assert!(
        Api::<Pod>::namespaced(c.clone(), "shop")
            .get_opt("debug-shell")
            .await
            .unwrap()
            .is_some()
    );
}
