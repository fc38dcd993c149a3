//! #28 item 8: an empty Workloads table says why, against the sandbox with the real
//! watchers: a namespace holding only a StatefulSet names it and the command that shows it,
//! a namespace the cluster does not have is said to be missing, and a kind whose CRD the
//! cluster does not serve (Argo Rollouts) says so.

use crate::support::common;
use crate::support::workloads::{Harness, synced};

use std::sync::Arc;
use std::time::Duration;

use flightdeck::app::state::State;
use flightdeck::app::{Event, update};
use flightdeck::pane::PaneId;
use flightdeck::sources::kube::{NamespacesMsg, namespaces};
use flightdeck_sandbox::Scenario;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

fn screen(s: &State) -> String {
    let mut s = s.clone();
    s.size = (120, 30);
    s.zoomed = true;
    s.focus = PaneId::Workloads;
    let mut t = Terminal::new(TestBackend::new(120, 30)).expect("terminal");
    t.draw(|f| flightdeck::ui::render(&s, f)).expect("draw");
    common::cells(t.backend().buffer())
}

#[tokio::test]
async fn a_namespace_with_only_a_statefulset_names_it() {
    // the sandbox's `ml` namespace holds the training StatefulSet and nothing else
    let mut h = Harness::start(Scenario::Steady, Some("ml")).await;
    h.until("all kinds listed", synced).await;
    h.until("the training set", |s| !s.cluster.statefulsets.is_empty())
        .await;
    update::settle(&mut h.state);
    let shown = screen(&h.state);
    assert!(
        shown.contains("no Deployments in ml — 1 StatefulSet: :sts"),
        "{shown}"
    );
    // the command it names shows the row
    update::run_command(&mut h.state, "sts");
    update::settle(&mut h.state);
    let shown = screen(&h.state);
    assert!(shown.contains("train-llama"), "{shown}");
    assert!(!shown.contains("no StatefulSets"), "{shown}");
}

#[tokio::test]
async fn a_namespace_that_does_not_exist_is_said_to_be_missing() {
    let mut h = Harness::start(Scenario::Steady, Some("nosuchns")).await;
    h.until("all kinds listed", synced).await;
    // the namespaces source, as the console runs it for the scope
    let (tx, mut rx) = mpsc::unbounded_channel();
    let sink: namespaces::Sink = Arc::new(move |m| tx.send(m).is_ok());
    let task = tokio::spawn(namespaces::follow(h.client().await, sink));
    let msg = tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("namespaces in time")
        .expect("a message");
    task.abort();
    assert!(matches!(msg, NamespacesMsg::Names(_)), "{msg:?}");
    let generation = h.state.generation;
    update(&mut h.state, Event::Namespaces { generation, msg });
    update::settle(&mut h.state);
    let said = "namespace nosuchns not found in context";
    assert!(
        h.state
            .flash
            .as_ref()
            .is_some_and(|f| f.text.contains(said)),
        "no warning: {:?}",
        h.state.flash
    );
    let shown = screen(&h.state);
    assert!(shown.contains(said), "{shown}");
    assert!(!shown.contains("no Deployments"), "{shown}");
}

#[tokio::test]
async fn rollouts_on_a_cluster_without_the_crd_say_so() {
    // the steady sandbox does not serve argoproj.io
    let mut h = Harness::start(Scenario::Steady, Some("shop")).await;
    h.until("all kinds listed", synced).await;
    assert_eq!(h.state.cluster.rollouts_served, Some(false));
    update::run_command(&mut h.state, "ro");
    update::settle(&mut h.state);
    let shown = screen(&h.state);
    assert!(
        shown
            .contains("Argo Rollouts are not served by this cluster (no rollouts.argoproj.io CRD)"),
        "{shown}"
    );
    // and where the rows are
    assert!(shown.contains("Deployments: :deploy"), "{shown}");
}
