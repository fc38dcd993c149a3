//! Keys on a StatefulSet, DaemonSet, CronJob or pod selection build the right
//! `Operation::Workload` through the plan → confirm path (asserted on the plan request,
//! the executor half lives in ops/workload.rs), and a key the kind has no operation for
//! says so in the status line. Against the sandbox's `shop` namespace.

use crate::support;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flightdeck::app::dialog::Dialog;
use flightdeck::app::panes::workloads::{WorkloadRef, table_keys};
use flightdeck::app::state::{Overlay, State};
use flightdeck::app::{Effect, Event, update};
use flightdeck::ops::model::WorkloadOp;
use flightdeck::ops::{Operation, Target};
use flightdeck::pane::PaneId;
use flightdeck::sources::kube::{ObjKey, WorkloadKind};
use flightdeck_sandbox::Scenario;
use support::workloads::{Harness, synced};

fn key(name: &str) -> ObjKey {
    ObjKey::new("shop", name)
}

fn press(s: &mut State, code: KeyCode) -> Vec<Effect> {
    update(s, Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn char_key(s: &mut State, c: char) -> Vec<Effect> {
    press(s, KeyCode::Char(c))
}

fn show(s: &mut State, cmd: &str, kind: WorkloadKind, name: &str) {
    update::run_command(s, cmd);
    update::settle(s);
    s.overlay = Overlay::None;
    s.focus = PaneId::Workloads;
    let w = WorkloadRef::new(kind, key(name));
    let i = table_keys(s)
        .iter()
        .position(|x| *x == w)
        .unwrap_or_else(|| panic!("{name} shown"));
    s.pane_mut(PaneId::Workloads).selected = i;
    update::settle(s);
}

fn planned(effects: &[Effect]) -> Option<&Operation> {
    effects.iter().find_map(|e| match e {
        Effect::PlanOperation(op) => Some(op),
        _ => None,
    })
}

fn workload(kind: WorkloadKind, name: &str, op: WorkloadOp) -> Operation {
    Operation::Workload {
        target: Target {
            context: "(current context)".into(),
            namespace: "shop".into(),
            name: name.into(),
        },
        kind,
        op,
        resource_version: None,
    }
}

fn flash(s: &State) -> String {
    s.flash.as_ref().map(|f| f.text.clone()).unwrap_or_default()
}

async fn listed() -> Harness {
    let mut h = Harness::start(Scenario::Steady, Some("shop")).await;
    h.until("all kinds listed", synced).await;
    h.until("sets, revisions and the cronjob", |s| {
        let w = &s.cluster;
        w.statefulsets.contains_key(&key("orders-db"))
            && w.daemonsets.contains_key(&key("node-agent"))
            && w.cronjobs.contains_key(&key("nightly-report"))
            && w.pods.contains_key(&key("debug-shell"))
            && w.revisions
                .values()
                .filter(|r| r.key.name.starts_with("orders-db-"))
                .count()
                >= 2
    })
    .await;
    h
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statefulset_keys() {
    let mut h = listed().await;
    let s = &mut h.state;
    show(s, "sts", WorkloadKind::StatefulSet, "orders-db");

    let e = char_key(s, 'r');
    assert_eq!(
        planned(&e),
        Some(&workload(
            WorkloadKind::StatefulSet,
            "orders-db",
            WorkloadOp::Restart
        ))
    );

    // scale: the replicas prompt, then enter plans a StatefulSet scale
    s.overlay = Overlay::None;
    char_key(s, 's');
    assert!(matches!(
        &s.overlay,
        Overlay::Dialog(d) if matches!(**d, Dialog::Replicas { current: 3, kind: WorkloadKind::StatefulSet, .. })
    ));
    char_key(s, '5');
    let e = press(s, KeyCode::Enter);
    assert_eq!(
        planned(&e),
        Some(&workload(
            WorkloadKind::StatefulSet,
            "orders-db",
            WorkloadOp::Scale { replicas: 5 }
        ))
    );

    // rollback: the picker lists its ControllerRevisions, newest first, with images
    s.overlay = Overlay::None;
    char_key(s, 'R');
    let Overlay::Dialog(d) = &s.overlay else {
        panic!("a picker: {:?}", s.overlay);
    };
    let Dialog::Revisions { rows, kind, .. } = &**d else {
        panic!("a revision picker: {d:?}");
    };
    assert_eq!(*kind, WorkloadKind::StatefulSet);
    assert!(rows.len() >= 2, "{rows:?}");
    assert!(
        rows.windows(2).all(|w| w[0].revision > w[1].revision),
        "{rows:?}"
    );
    assert!(rows[0].current, "{rows:?}");
    assert!(rows.iter().all(|r| !r.image.is_empty()), "{rows:?}");
    let oldest = rows[rows.len() - 1].revision;
    let picks = rows.len() - 1;
    for _ in 1..picks {
        char_key(s, 'j');
    }
    let e = press(s, KeyCode::Enter);
    let want_rev = if picks == 1 { None } else { Some(oldest) };
    assert_eq!(
        planned(&e),
        Some(&workload(
            WorkloadKind::StatefulSet,
            "orders-db",
            WorkloadOp::Rollback {
                to_revision: want_rev
            }
        ))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemonset_cronjob_and_pod_keys() {
    let mut h = listed().await;
    let s = &mut h.state;
    show(s, "ds", WorkloadKind::DaemonSet, "node-agent");
    let e = char_key(s, 'r');
    assert_eq!(
        planned(&e),
        Some(&workload(
            WorkloadKind::DaemonSet,
            "node-agent",
            WorkloadOp::Restart
        ))
    );
    s.overlay = Overlay::None;
    let e = char_key(s, 's');
    assert!(planned(&e).is_none());
    assert_eq!(s.overlay, Overlay::None);
    assert!(
        flash(s).contains("a DaemonSet runs one pod per node; nothing to scale"),
        "{}",
        flash(s)
    );
    let e = char_key(s, 't');
    assert!(planned(&e).is_none());
    assert!(flash(s).contains("only a CronJob"), "{}", flash(s));

    show(s, "cj", WorkloadKind::CronJob, "nightly-report");
    let e = char_key(s, 't');
    assert_eq!(
        planned(&e),
        Some(&workload(
            WorkloadKind::CronJob,
            "nightly-report",
            WorkloadOp::Trigger
        ))
    );
    s.overlay = Overlay::None;
    let e = char_key(s, 'S');
    assert_eq!(
        planned(&e),
        Some(&workload(
            WorkloadKind::CronJob,
            "nightly-report",
            WorkloadOp::Suspend { suspend: true }
        ))
    );
    s.overlay = Overlay::None;
    let e = char_key(s, 's');
    assert!(planned(&e).is_none());
    assert!(flash(s).contains("scale: a CronJob"), "{}", flash(s));

    // a pod: in :pods, and in the pods list of a StatefulSet
    show(s, "pods", WorkloadKind::Pod, "debug-shell");
    let e = char_key(s, 'D');
    let delete = WorkloadOp::Delete {
        grace_period_secs: None,
    };
    assert_eq!(
        planned(&e),
        Some(&workload(WorkloadKind::Pod, "debug-shell", delete.clone()))
    );
    s.overlay = Overlay::None;
    show(s, "sts", WorkloadKind::StatefulSet, "orders-db");
    // on a StatefulSet, D deletes the set itself (kubectl delete statefulset)
    let e = char_key(s, 'D');
    assert_eq!(
        planned(&e),
        Some(&Operation::Delete {
            context: "(current context)".into(),
            object: flightdeck::ops::ObjectRef::of_workload(
                WorkloadKind::StatefulSet,
                &key("orders-db")
            ),
            propagation: flightdeck::ops::Propagation::Background,
        })
    );
    s.overlay = Overlay::None;
    char_key(s, 'p');
    update::settle(s);
    let first = flightdeck::app::panes::workloads::visible_pods(s)[0]
        .key
        .name
        .clone();
    assert!(first.starts_with("orders-db-"));
    let e = char_key(s, 'D');
    assert_eq!(
        planned(&e),
        Some(&workload(WorkloadKind::Pod, &first, delete))
    );
}
