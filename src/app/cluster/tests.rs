//! The store on its own: what a batch changes, and which generation it moves.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;

use super::ClusterStore;
use crate::sources::kube::model::PodReason;
use crate::sources::kube::{Kind, ObjKey, PodRow, ReplicaSetRow, Rows, WorkloadsMsg};

fn rs(name: &str, deployment: &str, revision: i64) -> ReplicaSetRow {
    ReplicaSetRow {
        key: ObjKey::new("shop", name),
        owner: Some(deployment.into()),
        rollout: None,
        rollout_hash: None,
        revision: Some(revision),
        images: vec![format!("shop/{deployment}:{revision}")],
        change_cause: None,
        desired: 1,
        ready: 1,
        created: None,
    }
}

fn pod(name: &str, replicaset: &str, restarts: i32, reason: PodReason) -> PodRow {
    PodRow {
        key: ObjKey::new("shop", name),
        labels: Arc::new(BTreeMap::new()),
        owner: Some(replicaset.into()),
        controller: Some(("ReplicaSet".into(), replicaset.into())),
        template_hash: None,
        phase: "Running".into(),
        ready: 1,
        containers_total: 1,
        status: "Running".into(),
        note: None,
        reason,
        restarts,
        last_restart: None,
        node: None,
        created: None,
        containers: Vec::new(),
        gpus: 0,
    }
}

fn now() -> Timestamp {
    Timestamp::from_second(1_700_000_000).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn store() -> ClusterStore {
    let mut s = ClusterStore::default();
    s.apply(
        WorkloadsMsg::Snapshot(Rows::ReplicaSets(vec![
            rs("checkout-1", "checkout", 1),
            rs("checkout-2", "checkout", 2),
        ])),
        now(),
    );
    s.apply(
        WorkloadsMsg::Snapshot(Rows::Pods(vec![
            pod("checkout-1-a", "checkout-1", 0, PodReason::Running),
            pod("checkout-2-a", "checkout-2", 0, PodReason::Running),
            pod("checkout-2-b", "checkout-2", 0, PodReason::Running),
        ])),
        now(),
    );
    s
}

#[test]
fn pods_of_a_deployment_come_through_its_replicasets_newest_first() {
    let s = store();
    let names: Vec<&str> = s
        .pods_of(&ObjKey::new("shop", "checkout"))
        .iter()
        .map(|p| p.key.name.as_str())
        .collect();
    assert_eq!(names, ["checkout-2-a", "checkout-2-b", "checkout-1-a"]);
    assert!(s.synced.contains(&Kind::Pods));
}

#[test]
fn a_restart_moves_only_the_restarts_generation() {
    let mut s = store();
    let (shape, restarts) = (s.generation(), s.restarts_generation());
    let changed = s.apply(
        WorkloadsMsg::Applied(Rows::Pods(vec![pod(
            "checkout-2-a",
            "checkout-2",
            1,
            PodReason::Running,
        )])),
        now(),
    );
    assert!(changed, "a restart count is drawn");
    assert_eq!(s.generation(), shape);
    assert_eq!(s.restarts_generation(), restarts + 1);
}

#[test]
fn trouble_moves_the_generation_and_the_count_by_replicaset() {
    let mut s = store();
    let shape = s.generation();
    let checkout = ObjKey::new("shop", "checkout");
    assert_eq!(s.troubled_pods(&checkout), 0);
    s.apply(
        WorkloadsMsg::Applied(Rows::Pods(vec![pod(
            "checkout-2-b",
            "checkout-2",
            3,
            PodReason::CrashLoopBackOff,
        )])),
        now(),
    );
    assert!(s.generation() > shape);
    assert_eq!(s.troubled_pods(&checkout), 1);
    s.apply(
        WorkloadsMsg::Deleted {
            kind: Kind::Pods,
            keys: vec![ObjKey::new("shop", "checkout-2-b")],
        },
        now(),
    );
    assert_eq!(s.troubled_pods(&checkout), 0);
    assert_eq!(s.pods_of(&checkout).len(), 2);
}

#[test]
fn an_unchanged_row_changes_nothing() {
    let mut s = store();
    let shape = s.generation();
    let changed = s.apply(
        WorkloadsMsg::Applied(Rows::Pods(vec![pod(
            "checkout-1-a",
            "checkout-1",
            0,
            PodReason::Running,
        )])),
        now(),
    );
    assert!(!changed);
    assert_eq!(s.generation(), shape);
}
