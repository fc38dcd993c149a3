//! Keys that forgive muscle memory, against the sandbox: a double `enter` in the rollback
//! picker plans the rollback with the real executor but sends no PATCH; only `y` does.

use crate::support;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flightdeck::app::dialog::Dialog;
use flightdeck::app::state::Overlay;
use flightdeck::app::{Effect, Event, PaneId, State, update};
use flightdeck::ops::{AuditLog, Executor};
use flightdeck_sandbox::Scenario;
use support::workloads::{Harness, synced};

fn key(s: &mut State, code: KeyCode) -> Vec<Effect> {
    update(s, Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

async fn resource_version(h: &Harness) -> String {
    let api: kube::Api<k8s_openapi::api::apps::v1::Deployment> =
        kube::Api::namespaced(h.client().await, "shop");
    api.get("checkout")
        .await
        .expect("checkout")
        .metadata
        .resource_version
        .expect("a resourceVersion")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_double_enter_in_the_rollback_picker_sends_no_patch() {
    let mut h = Harness::start(Scenario::BadRelease, Some("shop")).await;
    h.until("all kinds listed", synced).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let ex = Executor::new(
        Ok(h.client().await),
        false,
        AuditLog::at(dir.path().join("audit.jsonl")),
    );
    let s = &mut h.state;
    flightdeck::app::update::apply(s, flightdeck::app::Action::FocusPane(PaneId::Workloads));
    let row = flightdeck::app::panes::workloads::visible_deployments(s)
        .iter()
        .position(|d| d.key.name == "checkout")
        .expect("checkout row");
    s.pane_mut(PaneId::Workloads).selected = row;
    let before = resource_version(&h).await;

    let s = &mut h.state;
    assert!(key(s, KeyCode::Char('R')).is_empty(), "the picker opens");
    let fx = key(s, KeyCode::Enter);
    let [Effect::PlanOperation(op)] = fx.as_slice() else {
        panic!("enter on the picker plans: {fx:?}")
    };
    // the real executor plans against the sandbox (reads and a server dry run only)
    let plan = ex.plan(op.clone()).await.expect("a plan");
    assert!(plan.refused.is_none(), "{plan:?}");
    update(s, Event::OpPlanned(Ok(Box::new(plan))));
    assert!(matches!(&s.overlay, Overlay::Dialog(d) if matches!(**d, Dialog::Confirm { .. })));

    // the second enter of a double enter: nothing goes out
    let fx = key(s, KeyCode::Enter);
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::Operation { .. })),
        "{fx:?}"
    );
    assert!(s.ops.in_flight.is_none());
    assert_eq!(
        resource_version(&h).await,
        before,
        "no PATCH reached the server"
    );

    // y does: the operation is confirmed and, run, changes the deployment
    let s = &mut h.state;
    let fx = key(s, KeyCode::Char('y'));
    let [
        Effect::Operation {
            op,
            before: b,
            after: a,
        },
    ] = fx.as_slice()
    else {
        panic!("y confirms: {fx:?}")
    };
    let outcome = ex.execute(op, b, a).await;
    assert!(outcome.ok, "{outcome:?}");
    assert_ne!(resource_version(&h).await, before);
}
