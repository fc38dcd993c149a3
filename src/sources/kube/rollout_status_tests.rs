//! Rollout state as `kubectl rollout status` judges it: kubectl's
//! `pkg/polymorphichelpers/rollout_status.go` and the cases of its `rollout_status_test.go`
//! (kubernetes/kubectl at commit 53ef3abb02e5148346e12c14e6fa0f20d5712176, the viewers of
//! kubectl 1.2x–1.32 unchanged), then the shapes issue #37 found. Each object goes through
//! the watchers' decode and row, as a real one does.

use serde_json::{Value, json};

use super::super::model::{DeploymentRow, Rollout};
use super::super::slim_kinds::{DaemonSet, Deployment, StatefulSet};
use super::{DaemonSetRow, StatefulSetRow};

fn deployment(generation: i64, replicas: i32, paused: bool, status: Value) -> Rollout {
    let d: Deployment = serde_json::from_value(json!({
        "metadata": {"name": "foo", "namespace": "bar", "generation": generation},
        "spec": {"replicas": replicas, "paused": paused},
        "status": status,
    }))
    .expect("a deployment");
    DeploymentRow::from_object(&d).rollout()
}

fn progressing(reason: &str) -> Value {
    json!([{"type": "Progressing", "status": if reason == "ProgressDeadlineExceeded" { "False" } else { "True" },
        "reason": reason, "lastUpdateTime": "2026-01-01T00:00:00Z", "lastTransitionTime": "2026-01-01T00:00:00Z"}])
}

#[test]
fn deployments() {
    use Rollout::*;
    let st = |observed: i64, replicas: i32, updated: i32, available: i32| {
        json!({"observedGeneration": observed, "replicas": replicas, "updatedReplicas": updated,
            "availableReplicas": available, "readyReplicas": available})
    };
    let with = |mut s: Value, conditions: Value| {
        s["conditions"] = conditions;
        s
    };
    let cases: Vec<(&str, Rollout, Rollout)> = vec![
        // TestDeploymentStatusViewerStatus
        (
            "test1: 0 of 1 updated",
            deployment(0, 1, false, st(1, 1, 0, 1)),
            Progressing,
        ),
        (
            "test2: 1 old replica pending termination",
            deployment(1, 1, false, st(1, 2, 1, 2)),
            Progressing,
        ),
        (
            "test3: 1 of 2 updated available",
            deployment(1, 2, false, st(1, 2, 2, 1)),
            Progressing,
        ),
        (
            "test4: successfully rolled out",
            deployment(1, 2, false, st(1, 2, 2, 2)),
            Complete,
        ),
        (
            "test5: spec update not observed",
            deployment(2, 2, false, st(1, 2, 2, 2)),
            Progressing,
        ),
        // the progress deadline, once the spec is observed
        (
            "deadline exceeded",
            deployment(
                2,
                2,
                false,
                with(st(2, 2, 1, 1), progressing("ProgressDeadlineExceeded")),
            ),
            Stalled("ProgressDeadlineExceeded".into()),
        ),
        (
            "an unobserved new spec with an old deadline condition waits for the controller",
            deployment(
                3,
                2,
                false,
                with(st(2, 2, 1, 1), progressing("ProgressDeadlineExceeded")),
            ),
            Progressing,
        ),
        (
            "paused, and the deadline exceeded: both",
            deployment(
                2,
                2,
                true,
                with(st(2, 2, 1, 1), progressing("ProgressDeadlineExceeded")),
            ),
            PausedStalled("ProgressDeadlineExceeded".into()),
        ),
        ("paused", deployment(2, 2, true, st(2, 2, 1, 1)), Paused),
        (
            "ReplicaFailure on a complete deployment: kubectl does not read it",
            deployment(
                1,
                2,
                false,
                with(
                    st(1, 2, 2, 2),
                    json!([{"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate"},
                        {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]),
                ),
            ),
            Complete,
        ),
        (
            "ready is not available",
            deployment(
                1,
                2,
                false,
                json!({"observedGeneration": 1, "replicas": 2,
            "updatedReplicas": 2, "readyReplicas": 2, "availableReplicas": 1}),
            ),
            Progressing,
        ),
    ];
    let wrong: Vec<String> = cases
        .into_iter()
        .filter(|(_, got, want)| got != want)
        .map(|(name, got, want)| format!("{name}: got {got:?}, kubectl {want:?}"))
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

fn daemonset(generation: i64, strategy: &str, status: Value) -> Rollout {
    let d: DaemonSet = serde_json::from_value(json!({
        "metadata": {"name": "foo", "namespace": "bar", "generation": generation},
        "spec": {"updateStrategy": {"type": strategy}},
        "status": status,
    }))
    .expect("a daemonset");
    DaemonSetRow::from_object(&d).rollout()
}

#[test]
fn daemonsets() {
    use Rollout::*;
    let st = |observed: i64, updated: i32, desired: i32, available: i32| {
        json!({"observedGeneration": observed, "updatedNumberScheduled": updated,
            "desiredNumberScheduled": desired, "numberAvailable": available,
            "numberReady": desired, "currentNumberScheduled": desired})
    };
    let cases: Vec<(&str, Rollout, Rollout)> = vec![
        // TestDaemonSetStatusViewerStatus
        (
            "test1: 0 of 1 updated",
            daemonset(0, "RollingUpdate", st(1, 0, 1, 0)),
            Progressing,
        ),
        (
            "test2: 1 of 2 available",
            daemonset(1, "RollingUpdate", st(1, 2, 2, 1)),
            Progressing,
        ),
        (
            "test3: successfully rolled out",
            daemonset(1, "RollingUpdate", st(1, 2, 2, 2)),
            Complete,
        ),
        (
            "test4: spec update not observed",
            daemonset(2, "RollingUpdate", st(1, 2, 2, 2)),
            Progressing,
        ),
        // TestDaemonSetStatusViewerStatusWithWrongUpdateStrategyType
        (
            "OnDelete: kubectl cannot report",
            daemonset(1, "OnDelete", st(1, 2, 2, 2)),
            Unreported,
        ),
        // issue #37
        (
            "3 of 5 available, all updated",
            daemonset(1, "RollingUpdate", st(1, 5, 5, 3)),
            Progressing,
        ),
        (
            "one unavailable",
            daemonset(1, "RollingUpdate", {
                let mut s = st(1, 5, 5, 5);
                s["numberUnavailable"] = json!(1);
                s
            }),
            Progressing,
        ),
        (
            "generation 3 > observed 2",
            daemonset(3, "RollingUpdate", st(2, 5, 5, 5)),
            Progressing,
        ),
    ];
    let wrong: Vec<String> = cases
        .into_iter()
        .filter(|(_, got, want)| got != want)
        .map(|(name, got, want)| format!("{name}: got {got:?}, kubectl {want:?}"))
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

fn statefulset(generation: i64, strategy: Value, status: Value) -> Rollout {
    let s: StatefulSet = serde_json::from_value(json!({
        "metadata": {"name": "foo", "namespace": "default", "generation": generation},
        "spec": {"replicas": 3, "updateStrategy": strategy},
        "status": status,
    }))
    .expect("a statefulset");
    StatefulSetRow::from_object(&s).rollout()
}

#[test]
fn statefulsets() {
    use Rollout::*;
    let rolling = json!({"type": "RollingUpdate"});
    let partition = |p: i32| json!({"type": "RollingUpdate", "rollingUpdate": {"partition": p}});
    let st = |observed: i64, ready: i32, current: i32, updated: i32| {
        json!({"observedGeneration": observed, "replicas": 3, "readyReplicas": ready,
            "currentReplicas": current, "updatedReplicas": updated})
    };
    let revisions = |mut s: Value, current: &str, update: &str| {
        s["currentRevision"] = json!(current);
        s["updateRevision"] = json!(update);
        s
    };
    let cases: Vec<(&str, Rollout, Rollout)> = vec![
        // TestStatefulSetStatusViewerStatus
        (
            "on delete returns an error",
            statefulset(1, json!({"type": "OnDelete"}), st(1, 1, 0, 0)),
            Unreported,
        ),
        (
            "unobserved update is not complete",
            statefulset(2, rolling.clone(), st(1, 3, 3, 0)),
            Progressing,
        ),
        (
            "if all pods are not ready the update is not complete",
            statefulset(1, rolling.clone(), st(2, 2, 3, 0)),
            Progressing,
        ),
        (
            "partition update completes when all replicas above the partition are updated",
            statefulset(1, partition(2), st(2, 3, 2, 1)),
            Complete,
        ),
        (
            "partition update is in progress if all pods above the partition have not been updated",
            statefulset(1, partition(2), st(2, 3, 3, 0)),
            Progressing,
        ),
        (
            "update completes when all replicas are current",
            statefulset(1, rolling.clone(), revisions(st(2, 3, 3, 3), "foo", "foo")),
            Complete,
        ),
        // issue #37
        (
            "generation > observed, equal revisions",
            statefulset(3, rolling.clone(), revisions(st(2, 3, 3, 3), "foo", "foo")),
            Progressing,
        ),
        (
            "never observed",
            statefulset(1, rolling.clone(), revisions(st(0, 3, 3, 3), "foo", "foo")),
            Progressing,
        ),
        (
            "partitioned, everything above the partition rolled, revisions differ",
            statefulset(4, partition(1), revisions(st(4, 3, 1, 2), "a", "b")),
            Complete,
        ),
        (
            "revisions differ, no rolling update given",
            statefulset(1, rolling.clone(), revisions(st(1, 3, 2, 1), "a", "b")),
            Progressing,
        ),
    ];
    let wrong: Vec<String> = cases
        .into_iter()
        .filter(|(_, got, want)| got != want)
        .map(|(name, got, want)| format!("{name}: got {got:?}, kubectl {want:?}"))
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
