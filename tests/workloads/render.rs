//! The workloads pane drawn from State fed through `update`: snapshots at two sizes,
//! explicit style checks on the cells that carry meaning, and the keys that drive it.

use crate::support;
use crate::support::common;

use flightdeck::app::state::{SourceId, SourceStatus, State};
use flightdeck::app::{Action, Event, update};
use flightdeck::config::theme::Health;
use flightdeck::sources::kube::{Failure, Kind, WorkloadsMsg};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use support::workloads::{fixture, state};

fn fed() -> State {
    let mut s = state(Some("shop"));
    for msg in fixture::messages() {
        let generation = s.generation;
        update(&mut s, Event::Kube { generation, msg });
    }
    // as the run loop does before a frame
    update::settle(&mut s);
    s
}

fn draw(state: &State, w: u16, h: u16) -> Buffer {
    let mut s = state.clone();
    s.size = (w, h);
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    t.draw(|f| flightdeck::ui::render(&s, f)).expect("draw");
    t.backend().buffer().clone()
}

/// (x, y) of the first cell where `needle` starts.
fn find(buf: &Buffer, needle: &str) -> Option<(u16, u16)> {
    for y in 0..buf.area.height {
        let row: Vec<&str> = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
        let line: String = row.concat();
        if let Some(byte) = line.find(needle) {
            // cells before the match: count symbols up to that byte
            let mut acc = 0;
            for (x, sym) in row.iter().enumerate() {
                if acc == byte {
                    return Some((x as u16, y));
                }
                acc += sym.len();
            }
        }
    }
    None
}

#[test]
fn pane_at_two_sizes() {
    let mut s = fed();
    s.zoomed = true;
    let big = draw(&s, 120, 30);
    insta::assert_snapshot!("workloads_zoomed_120x30", common::cells(&big));
    s.zoomed = false;
    let small = draw(&s, 80, 24);
    insta::assert_snapshot!("workloads_dashboard_80x24", common::cells(&small));

    for buf in [&big, &small] {
        let (x, y) = find(buf, "CrashLoopBackOff").expect("a CrashLoopBackOff cell");
        let error = s.theme.health(Health::Error);
        assert_eq!(
            buf[(x, y)].fg,
            error.fg.unwrap_or_default(),
            "CrashLoopBackOff in health.error"
        );
        assert_eq!(buf[(x + 15, y)].fg, error.fg.unwrap_or_default());
    }
    // trouble first: checkout (crash-looping) heads the table, and it is selected
    let (_, y_checkout) = find(&big, "checkout ").expect("checkout row");
    let (_, y_cart) = find(&big, "cart ").expect("cart row");
    assert!(y_checkout < y_cart);
    let (x, y) = find(&big, "2/4").expect("ready cell");
    assert_eq!(
        big[(x, y)].fg,
        s.theme.health(Health::Warn).fg.unwrap_or_default()
    );
}

#[test]
fn pods_section_and_detail_views() {
    let mut s = fed();
    s.zoomed = true;
    update::apply(&mut s, Action::WorkloadsPods);
    update::apply(&mut s, Action::Open);
    let detail = draw(&s, 120, 40);
    insta::assert_snapshot!("workloads_pod_detail_120x40", common::cells(&detail));
    let t = common::cells(&detail);
    assert!(t.contains("waiting: CrashLoopBackOff"));
    assert!(t.contains("terminated: Error (exit code 1)"));
    assert!(t.contains("BackOff"));
    // back to the deployments, then the deployment's detail with its revision history
    update::apply(&mut s, Action::Back);
    update::apply(&mut s, Action::Back);
    update::apply(&mut s, Action::Open);
    let t = common::cells(&draw(&s, 120, 40));
    insta::assert_snapshot!("workloads_deployment_detail_120x40", t);
    assert!(t.contains("7*"));
    assert!(t.contains("release 1.8.2"));
    assert!(t.contains("ghcr.io/acme/checkout:1.8.2"));
}

#[test]
fn filter_by_label_and_substring() {
    let mut s = fed();
    s.pane_mut(flightdeck::app::PaneId::Workloads).filter = "tier=web".into();
    let names: Vec<String> = flightdeck::app::panes::workloads::visible_deployments(&s)
        .iter()
        .map(|d| d.key.name.clone())
        .collect();
    assert_eq!(names, vec!["frontend"]);
    s.pane_mut(flightdeck::app::PaneId::Workloads).filter = "CAR".into();
    let names: Vec<String> = flightdeck::app::panes::workloads::visible_deployments(&s)
        .iter()
        .map(|d| d.key.name.clone())
        .collect();
    assert_eq!(names, vec!["cart"]);
    // a kept filter shows in the pane title with its match count
    let t = common::cells(&draw(&s, 120, 40));
    let title = t.lines().find(|l| l.contains("Workloads")).expect("title");
    assert!(title.contains("/CAR 1 of 3"), "{title}");
    // in the pods list the filter counts pods of the workload
    update::apply(&mut s, Action::WorkloadsPods);
    s.pane_mut(flightdeck::app::PaneId::Workloads).filter = "m1".into();
    let t = common::cells(&draw(&s, 120, 40));
    let title = t.lines().find(|l| l.contains("Workloads")).expect("title");
    assert!(title.contains("/m1 1 of 2"), "{title}");
    update::apply(&mut s, Action::Back);
    s.pane_mut(flightdeck::app::PaneId::Workloads)
        .filter
        .clear();
    // back from the pods list (the first esc cleared its filter), then sort the table by
    // name: the menu's first column (after the default order); each table has its own
    update::apply(&mut s, Action::Back);
    update::apply(&mut s, Action::WorkloadsSort);
    update::apply(&mut s, Action::SelectDown);
    update::apply(&mut s, Action::Open);
    let names: Vec<String> = flightdeck::app::panes::workloads::visible_deployments(&s)
        .iter()
        .map(|d| d.key.name.clone())
        .collect();
    assert_eq!(names, vec!["cart", "checkout", "frontend"]);
}

#[test]
fn stale_and_rbac_messages() {
    let mut s = fed();
    let generation = s.generation;
    update(
        &mut s,
        Event::Kube {
            generation,
            msg: WorkloadsMsg::Failed {
                kind: Kind::Pods,
                failure: Failure::Forbidden {
                    code: 403,
                    verb: "watch",
                    resource: "pods",
                    namespace: Some("shop".into()),
                    message: "forbidden".into(),
                },
            },
        },
    );
    s.now += jiff::SignedDuration::from_secs(120);
    s.zoomed = true;
    let t = common::cells(&draw(&s, 120, 30));
    assert!(
        t.contains("forbidden (403): cannot watch pods in namespace shop"),
        "{t}"
    );
    assert!(t.contains("stale 2m"), "{t}");
    assert!(t.contains("checkout"), "the last data stays on screen");
    // a message for a scope the user left is dropped
    update::run_command(&mut s, "ns other");
    update(
        &mut s,
        Event::Kube {
            generation,
            msg: fixture::messages().remove(0),
        },
    );
    assert!(s.cluster.deployments.is_empty());
    assert!(matches!(
        s.source(SourceId::Kube),
        Some(SourceStatus::Connecting { .. })
    ));
}

#[test]
fn no_kubeconfig_points_at_demo() {
    let mut s = state(Some("shop"));
    let generation = s.generation;
    let err = flightdeck::sources::kube::KubeError::NoKubeconfig {
        tried: vec!["/nonexistent/kubeconfig".into()],
    };
    update(
        &mut s,
        Event::Kube {
            generation,
            msg: WorkloadsMsg::NoClient(err.to_string()),
        },
    );
    s.zoomed = true;
    let t = common::cells(&draw(&s, 120, 30));
    assert!(t.contains("flightdeck demo"), "{t}");
    assert!(t.contains("/nonexistent/kubeconfig"), "{t}");
}

fn current(s: &State) -> Option<String> {
    flightdeck::app::panes::workloads::current_deployment(s).map(|d| d.key.name.clone())
}

/// Rows re-order under the cursor (trouble first) as watch events arrive: the cursor
/// stays on the object it was on, in the deployments table and in the pods list, so a
/// key pressed next acts on what the user was looking at.
#[test]
fn the_cursor_stays_on_its_row_when_rows_reorder() {
    let mut s = fed();
    s.focus = flightdeck::app::PaneId::Workloads;
    update::settle(&mut s);
    update::apply(&mut s, Action::SelectDown);
    assert_eq!(current(&s).as_deref(), Some("cart"));
    let before = s.pane(flightdeck::app::PaneId::Workloads).selected;

    let generation = s.generation;
    let msg = fixture::now_crashing("cart-5d4-m2", "cart-5d4", "cart");
    update(&mut s, Event::Kube { generation, msg });
    update::settle(&mut s);
    let names: Vec<String> = flightdeck::app::panes::workloads::visible_deployments(&s)
        .iter()
        .map(|d| d.key.name.clone())
        .collect();
    assert_eq!(
        names[0], "cart",
        "cart is in trouble now and moved up: {names:?}"
    );
    assert_ne!(s.pane(flightdeck::app::PaneId::Workloads).selected, before);
    assert_eq!(
        current(&s).as_deref(),
        Some("cart"),
        "the cursor moved with it"
    );
    let t = common::cells(&draw(&s, 120, 30));
    assert!(t.contains("pods of cart"), "{t}");

    // in the pods list: the cursor on the healthy pod follows it when it starts crashing
    update::apply(&mut s, Action::WorkloadsPods);
    let pod_names = |s: &State| -> Vec<String> {
        flightdeck::app::panes::workloads::visible_pods(s)
            .iter()
            .map(|p| p.key.name.clone())
            .collect()
    };
    let selected_pod = |s: &State| {
        let names = pod_names(s);
        let i = s.pane(flightdeck::app::PaneId::Workloads).selected;
        names.get(i.min(names.len().saturating_sub(1))).cloned()
    };
    let last = pod_names(&s).len() - 1;
    for _ in 0..last {
        update::apply(&mut s, Action::SelectDown);
    }
    let watched = selected_pod(&s).expect("a pod under the cursor");
    let generation = s.generation;
    let msg = fixture::now_crashing(&watched, "cart-5d4", "cart");
    update(&mut s, Event::Kube { generation, msg });
    update::settle(&mut s);
    assert_eq!(pod_names(&s)[0], watched, "the crashing pod sorts first");
    assert_eq!(
        selected_pod(&s),
        Some(watched),
        "and the cursor went with it"
    );
}

/// Two crash-looping pods whose generated names differ only in their last five characters
/// are told apart at 80x24 and 120x40: names are cut in the middle, not at the end.
#[test]
fn pods_differing_only_at_the_end_are_told_apart() {
    let mut s = state(Some("shop"));
    for msg in fixture::messages_long_names() {
        let generation = s.generation;
        update(&mut s, Event::Kube { generation, msg });
    }
    update::settle(&mut s);
    for (w, h, name) in [
        (80, 24, "workloads_long_names_80x24"),
        (120, 40, "workloads_long_names_120x40"),
    ] {
        let buf = draw(&s, w, h);
        let t = common::cells(&buf);
        insta::assert_snapshot!(name, t);
        for end in ["nlgpp", "x2kqw"] {
            let (x, y) = find(&buf, end).unwrap_or_else(|| panic!("{end} at {w}x{h}:\n{t}"));
            let row: String = (0..w).map(|x| buf[(x, y)].symbol()).collect();
            assert!(row.contains("CrashLoopBackOff"), "{end} on its row: {row}");
            assert!(row.contains("checkout-"), "the start survives too: {row}");
            assert!(x > 0);
        }
        // the incident hint wraps instead of losing the key that acts on it
        assert!(t.contains("R rolls back"), "{t}");
        // four pods, not all shown at 80x24: the list says so
        if h == 24 {
            assert!(t.contains("1–2 of 4 ↓"), "{t}");
        }
    }
}

/// A watch event that changed only what no row shows (an annotation, managedFields) sets
/// nothing dirty: no rebuild, no frame. One that changes a shown field draws, and one that
/// changes what the lists are ordered by moves the row.
#[test]
fn a_pod_event_that_changes_nothing_shown_draws_no_frame() {
    use flightdeck::sources::kube::{PodReason, Rows};
    let mut s = fed();
    s.dirty = false;
    let pod = s
        .cluster
        .pods
        .values()
        .find(|p| p.reason == PodReason::Running)
        .expect("a running pod")
        .clone();
    let feed = |s: &mut State, p| {
        let generation = s.generation;
        update(
            s,
            Event::Kube {
                generation,
                msg: WorkloadsMsg::Applied(Rows::Pods(vec![p])),
            },
        );
    };
    feed(&mut s, pod.clone());
    assert!(
        !s.dirty,
        "an event that changed nothing shown asked for a frame"
    );

    let mut moved = pod.clone();
    moved.node = Some("another-node".into());
    feed(&mut s, moved.clone());
    assert!(s.dirty, "a new node is shown in the pod's detail");
    assert_eq!(
        s.cluster.pods[&pod.key].node.as_deref(),
        Some("another-node")
    );

    s.dirty = false;
    let mut restarted = moved;
    restarted.restarts += 1;
    feed(&mut s, restarted);
    assert!(s.dirty);
    assert_eq!(s.cluster.pods[&pod.key].restarts, pod.restarts + 1);
}

/// The same through the decoder, from the API's JSON: two versions of one pod that differ
/// only in an annotation, a label no row shows and managedFields decode to rows that set
/// nothing dirty; a changed container state does.
#[test]
fn a_pod_whose_json_changed_only_in_metadata_draws_no_frame() {
    use flightdeck::sources::kube::slim::Pod;
    use flightdeck::sources::kube::{PodRow, Rows};
    let mut s = fed();
    let version = |annotation: &str, manager: &str, restarts: u32| {
        serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {
                "name": "checkout-7d9c-json", "namespace": "shop", "uid": "u-json-1",
                "resourceVersion": format!("{annotation}{manager}{restarts}"),
                "creationTimestamp": "2026-12-07T10:00:00Z",
                "labels": {"app": "checkout"},
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": annotation},
                "managedFields": [{"manager": manager, "operation": "Update", "apiVersion": "v1"}],
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                    "name": "checkout-7d9c", "uid": "rs-1", "controller": true}]
            },
            "spec": {"nodeName": "node-a", "containers": [{"name": "app", "image": "shop/checkout:1"}]},
            "status": {"phase": "Running", "podIP": "10.0.0.9",
                "containerStatuses": [{"name": "app", "ready": true, "restartCount": restarts,
                    "image": "shop/checkout:1", "imageID": "", "started": true,
                    "state": {"running": {"startedAt": "2026-12-07T10:00:05Z"}}}]}
        })
    };
    let row = |v: serde_json::Value| {
        let pod: Pod = serde_json::from_value(v).expect("a pod");
        PodRow::from_object(&pod)
    };
    let feed = |s: &mut State, p: PodRow| {
        let generation = s.generation;
        update(
            s,
            Event::Kube {
                generation,
                msg: WorkloadsMsg::Applied(Rows::Pods(vec![p])),
            },
        );
    };
    let first = version("{\"a\":1}", "kubectl", 0);
    let second = version("{\"a\":2}", "kube-controller-manager", 0);
    assert_ne!(first, second);
    feed(&mut s, row(first));
    assert!(s.dirty, "a new pod draws");
    s.dirty = false;
    feed(&mut s, row(second));
    assert!(
        !s.dirty,
        "only metadata no row shows changed, yet a frame was asked for"
    );
    feed(&mut s, row(version("{\"a\":2}", "kubelet", 1)));
    assert!(s.dirty, "a restart is shown");
}

#[test]
fn an_event_of_another_kind_that_changes_nothing_shown_draws_no_frame() {
    use flightdeck::sources::kube::Rows;
    let mut s = fed();
    s.dirty = false;
    let (dep, rs) = (
        s.cluster
            .deployments
            .values()
            .next()
            .expect("a deployment")
            .clone(),
        s.cluster
            .replicasets
            .values()
            .next()
            .expect("a replicaset")
            .clone(),
    );
    let feed = |s: &mut State, rows| {
        let generation = s.generation;
        update(
            s,
            Event::Kube {
                generation,
                msg: WorkloadsMsg::Applied(rows),
            },
        );
    };
    feed(&mut s, Rows::Deployments(vec![dep.clone()]));
    feed(&mut s, Rows::ReplicaSets(vec![rs]));
    assert!(
        !s.dirty,
        "events that changed nothing shown asked for a frame"
    );

    let mut scaled = dep.clone();
    scaled.desired += 1;
    feed(&mut s, Rows::Deployments(vec![scaled]));
    assert!(s.dirty, "a new desired count is shown");
    assert_eq!(s.cluster.deployments[&dep.key].desired, dep.desired + 1);
}
