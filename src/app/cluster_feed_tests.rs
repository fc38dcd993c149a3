//! The Workloads pane's kept lists follow the store as the feed fills it: a restart count re-sorts a list sorted by restarts. The Kube source's contact comes from answers.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;

use crate::app::cluster::WorkloadRef;
use crate::app::state::{Scope, StartOptions, State};
use crate::config::Config;
use crate::sources::kube::model::PodReason;
use crate::sources::kube::{ObjKey, PodRow, ReplicaSetRow, Rows, WorkloadKind, WorkloadsMsg};

use crate::app::panes::workloads::{Section, TableId, pod_keys, refresh_view};
use crate::app::table_sort::ColumnSort;

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
    s.workloads
        .sorts
        .insert(TableId::Pods, ColumnSort::by("RESTARTS", true));
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

/// The Kube source's contact comes from answers (a page, a bookmark, the probe, a
/// refusal), never from a stream being open: an unanswered probe makes it stale aged from
/// the last answer, the next answer makes it live, and without any answer past
/// `[kube] stale_after_secs` the face is stale on its own.
#[test]
fn contact_comes_from_answers_and_an_unanswered_probe_ages_from_the_last_one() {
    use crate::app::state::{FaceKind, SourceId, SourceStatus};
    use jiff::SignedDuration;
    let mut s = state();
    let t0 = s.now;
    let at = |secs: i64| {
        t0.checked_add(SignedDuration::from_secs(secs))
            .unwrap_or(t0)
    };
    feed(
        &mut s,
        WorkloadsMsg::Snapshot(Rows::Pods(vec![pod("a", 0)])),
    );
    s.now = at(8);
    feed(&mut s, WorkloadsMsg::Contact);
    assert_eq!(
        s.source(SourceId::Kube),
        Some(&SourceStatus::Live {
            updated: at(8),
            changed: t0,
            open: true
        })
    );
    // the probe goes unanswered: stale, aged from the contact before it
    s.now = at(20);
    feed(
        &mut s,
        WorkloadsMsg::Unanswered("no answer from the API server to GET /version".into()),
    );
    let face = s.face(SourceId::Kube).expect("a face");
    assert_eq!(face.kind, FaceKind::Stale);
    assert_eq!(face.text, "stale 12s (timed out)");
    // an answer: live again
    s.now = at(21);
    feed(&mut s, WorkloadsMsg::Contact);
    assert_eq!(s.face(SourceId::Kube).map(|f| f.kind), Some(FaceKind::Live));
    // and no answer at all for the bound (30 s by default): stale on its own
    s.now = at(21 + 30);
    let face = s.face(SourceId::Kube).expect("a face");
    assert_eq!(face.text, "stale 30s (no contact)");
}
