//! The Workloads pane's kept lists follow the store as the feed fills it: a restart count re-sorts a list sorted by restarts.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;

use crate::app::cluster::WorkloadRef;
use crate::app::state::{Scope, StartOptions, State};
use crate::config::Config;
use crate::sources::kube::model::PodReason;
use crate::sources::kube::{ObjKey, PodRow, ReplicaSetRow, Rows, WorkloadKind, WorkloadsMsg};

use crate::app::panes::workloads::{Section, SortKey, pod_keys, refresh_view};

fn state() -> State {
    let (assets, _, _) = crate::config::load_assets(None);
    let opts = StartOptions {
        theme: None,
        keymap: None,
        scope: Scope::default(),
        no_color: true,
    };
    let now = Timestamp::from_second(1_700_000_000).unwrap_or(Timestamp::UNIX_EPOCH);
    State::new(Config::default(), assets, Vec::new(), opts, now)
}

fn pod(name: &str, restarts: i32) -> PodRow {
    PodRow {
        key: ObjKey::new("shop", name),
        labels: Arc::new(BTreeMap::new()),
        owner: Some("checkout-1".into()),
        controller: Some(("ReplicaSet".into(), "checkout-1".into())),
        template_hash: None,
        phase: "Running".into(),
        ready: 1,
        containers_total: 1,
        status: "Running".into(),
        note: None,
        reason: PodReason::Running,
        restarts,
        last_restart: None,
        node: None,
        created: None,
        containers: Vec::new(),
        gpus: 0,
    }
}

/// What `update` does with a message of the cluster source, and `settle` after it.
fn feed(s: &mut State, msg: WorkloadsMsg) {
    super::on_msg(s, msg);
    refresh_view(s);
}

#[test]
fn a_restart_re_sorts_a_list_sorted_by_restarts() {
    let mut s = state();
    feed(
        &mut s,
        WorkloadsMsg::Snapshot(Rows::ReplicaSets(vec![ReplicaSetRow {
            key: ObjKey::new("shop", "checkout-1"),
            owner: Some("checkout".into()),
            rollout: None,
            rollout_hash: None,
            revision: Some(1),
            images: Vec::new(),
            change_cause: None,
            desired: 2,
            ready: 2,
            created: None,
        }])),
    );
    feed(
        &mut s,
        WorkloadsMsg::Snapshot(Rows::Pods(vec![pod("checkout-a", 1), pod("checkout-b", 0)])),
    );
    let checkout = WorkloadRef::new(WorkloadKind::Deployment, ObjKey::new("shop", "checkout"));
    s.workloads.sort = SortKey::Restarts;
    s.workloads.section = Section::Pods {
        workload: checkout.clone(),
        table_selected: 0,
    };
    refresh_view(&mut s);
    let names = |s: &State| -> Vec<String> {
        pod_keys(s, &checkout)
            .iter()
            .map(|k| k.name.clone())
            .collect()
    };
    assert_eq!(names(&s), ["checkout-a", "checkout-b"]);
    feed(
        &mut s,
        WorkloadsMsg::Applied(Rows::Pods(vec![pod("checkout-b", 5)])),
    );
    assert_eq!(names(&s), ["checkout-b", "checkout-a"]);
}
