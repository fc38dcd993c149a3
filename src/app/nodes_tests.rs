//! The Nodes view through `update`: what `:nodes` shows, the keys on a node row, read-only,
//! a drain's progress and its cancel, and the link from a GPU host to its node.
use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;

use crate::action::Action;
use crate::app::event::Effect;
use crate::app::panes::nodes::{node_of_host, on_drain, on_msg};
use crate::app::state::State;
use crate::app::state::{Overlay, Scope, StartOptions};
use crate::app::update::{apply, run_command, settle};
use crate::config::Config;
use crate::ops::{DrainOptions, DrainProgress, NodeOp, Operation};
use crate::sources::kube::model::{NodeRow, NodesMsg};
use crate::sources::kube::model::{ObjKey, PodReason, PodRow};

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

fn node(name: &str, gpus: u32, cordoned: bool) -> NodeRow {
    NodeRow {
        name: name.into(),
        ready: Some(true),
        unschedulable: cordoned,
        roles: vec!["worker".into()],
        taints: if cordoned {
            vec!["node.kubernetes.io/unschedulable:NoSchedule".into()]
        } else {
            vec![]
        },
        version: "v1.32.0".into(),
        gpu_capacity: gpus,
        gpu_allocatable: gpus,
        ..NodeRow::default()
    }
}

fn pod(name: &str, node: &str, phase: &str, gpus: u32) -> PodRow {
    PodRow {
        key: ObjKey::new("ml", name),
        labels: Arc::new(BTreeMap::new()),
        owner: None,
        controller: None,
        template_hash: None,
        phase: phase.into(),
        ready: 1,
        containers_total: 1,
        status: phase.into(),
        note: None,
        reason: PodReason::Running,
        restarts: 0,
        last_restart: None,
        node: Some(node.into()),
        created: None,
        containers: Vec::new(),
        gpus,
    }
}

/// Nodes node-1 (cordoned) and dgx-01 (8 GPUs), with pods on them, and `:nodes` open.
fn with_nodes() -> State {
    let mut s = state();
    on_msg(
        &mut s,
        NodesMsg::Nodes(vec![node("node-1", 0, true), node("dgx-01", 8, false)]),
    );
    for p in [
        pod("a", "node-1", "Running", 0),
        pod("b", "node-1", "Pending", 0),
        pod("done", "node-1", "Succeeded", 0),
        pod("train-0", "dgx-01", "Running", 4),
        pod("train-old", "dgx-01", "Failed", 2),
    ] {
        s.cluster.pods.insert(p.key.clone(), p);
    }
    run_command(&mut s, "nodes");
    settle(&mut s);
    s
}

fn planned(effects: &[Effect]) -> Option<(String, NodeOp)> {
    effects.iter().find_map(|e| match e {
        Effect::PlanOperation(Operation::Node { target, op, .. }) => {
            Some((target.name.clone(), op.clone()))
        }
        _ => None,
    })
}

#[test]
fn the_view_shows_status_pods_and_gpus_allocated_of_non_terminated_pods() {
    let s = with_nodes();
    assert!(s.nodes.shown);
    type Line<'a> = (&'a str, &'a str, usize, Option<(u32, u32)>);
    let got: Vec<Line> = s
        .nodes
        .lines
        .iter()
        .map(|l| (l.name.as_str(), l.status.as_str(), l.pods, l.gpus))
        .collect();
    assert_eq!(
        got,
        [
            ("node-1", "Ready,SchedulingDisabled", 2, None),
            ("dgx-01", "Ready", 1, Some((4, 8))),
        ]
    );
    assert_eq!(s.nodes.lines[0].roles, "worker");
    assert_eq!(
        s.nodes.lines[0].taints,
        ["node.kubernetes.io/unschedulable:NoSchedule"]
    );
}

#[test]
fn c_u_and_r_on_a_node_row_plan_cordon_uncordon_and_drain_of_that_node() {
    let mut s = with_nodes();
    apply(&mut s, Action::SelectDown);
    let e = apply(&mut s, Action::NodeCordon);
    assert_eq!(planned(&e), Some(("dgx-01".into(), NodeOp::Cordon)));
    s.overlay = Overlay::None;
    let e = apply(&mut s, Action::NodeUncordon);
    assert_eq!(planned(&e), Some(("dgx-01".into(), NodeOp::Uncordon)));
    s.overlay = Overlay::None;
    // r, the restart key, drains here (k9s), with the configured timeout
    let e = apply(&mut s, Action::Restart);
    assert_eq!(
        planned(&e),
        Some((
            "dgx-01".into(),
            NodeOp::Drain(DrainOptions {
                force: false,
                delete_emptydir_data: false,
                timeout_secs: 300
            })
        ))
    );
    s.overlay = Overlay::None;
    // esc leaves the view; a node key then has no node to act on
    apply(&mut s, Action::Back);
    assert!(!s.nodes.shown);
    let e = apply(&mut s, Action::NodeCordon);
    assert_eq!(planned(&e), None);
    assert!(
        s.flash
            .as_ref()
            .is_some_and(|f| f.text.contains("open :nodes")),
        "{:?}",
        s.flash
    );
}

#[test]
fn read_only_refuses_a_drain_before_any_dialog_and_audits_it() {
    let mut s = with_nodes();
    s.scope.read_only = true;
    let e = apply(&mut s, Action::Restart);
    assert_eq!(planned(&e), None);
    assert!(
        e.iter().any(|e| matches!(e, Effect::RecordRefusal(p)
            if matches!(&p.op, Operation::Node { op: NodeOp::Drain(_), target, .. } if target.name == "node-1"))),
        "{e:?}"
    );
}

#[test]
fn a_drain_shows_its_progress_on_the_nodes_row_and_x_cancels_it() {
    let mut s = with_nodes();
    on_drain(
        &mut s,
        DrainProgress {
            context: "(current)".into(),
            node: "node-1".into(),
            total: 3,
            evicted: 1,
            gone: 1,
            waiting: vec![(
                "shop/web-1".into(),
                "PodDisruptionBudget web needs 2 healthy pods and has 1 currently".into(),
            )],
            done: None,
        },
    );
    settle(&mut s);
    assert_eq!(
        s.nodes.lines[0].drain.as_deref(),
        Some(
            "draining: 1 of 3 evicted · shop/web-1 waits: PodDisruptionBudget web needs 2 healthy pods and has 1 currently"
        )
    );
    let e = apply(&mut s, Action::NodeCancelDrain);
    assert!(
        e.iter()
            .any(|e| matches!(e, Effect::CancelDrain { node, .. } if node == "node-1")),
        "{e:?}"
    );
}

#[test]
fn a_gpu_host_links_to_its_node_by_name_or_hostname_label() {
    let mut s = state();
    let mut labelled = node("ip-10-1-0-12", 8, false);
    labelled.hostname = Some("dgx-07".into());
    on_msg(
        &mut s,
        NodesMsg::Nodes(vec![node("dgx-01", 8, false), labelled]),
    );
    assert_eq!(
        node_of_host(&s, "dgx-01").map(|n| n.name.as_str()),
        Some("dgx-01")
    );
    assert_eq!(
        node_of_host(&s, "dgx-07").map(|n| n.name.as_str()),
        Some("ip-10-1-0-12")
    );
    assert!(node_of_host(&s, "dgx-09").is_none());
}

#[test]
fn d_on_a_node_row_describes_that_node_and_r_there_refreshes_instead_of_draining() {
    let mut s = with_nodes();
    apply(&mut s, Action::SelectDown);
    let described = |e: &[Effect]| {
        e.iter().find_map(|e| match e {
            Effect::FetchDescribe(r) => {
                Some((r.resource.as_ref().map(|r| r.plural.clone()), r.key.clone()))
            }
            _ => None,
        })
    };
    let want = Some((Some("nodes".to_owned()), ObjKey::new("", "dgx-01")));
    let e = apply(&mut s, Action::WorkloadsDescribe);
    assert_eq!(described(&e), want, "{e:?}");
    assert!(s.workloads.yaml.as_ref().is_some_and(|v| v.describe));
    // the page has the keys: r reads it again, no drain is planned
    let e = apply(&mut s, Action::Restart);
    assert_eq!(described(&e), want, "{e:?}");
    assert_eq!(planned(&e), None);
    assert_eq!(s.overlay, Overlay::None);
    // esc closes the page, back on the nodes view
    apply(&mut s, Action::Back);
    assert!(s.workloads.yaml.is_none());
    assert!(s.nodes.shown);
}
