//! An operation planned against a frozen API server (the sandbox process stopped with
//! SIGSTOP: connections accepted, nothing answered) says so within the plan's short bound,
//! and no confirmation is offered on what could not be read.

use crate::support::common;
use crate::support::ops::{executor, target};
use crate::support::sandbox_process::SandboxProcess;

use std::time::Duration;

use flightdeck::app::state::{Overlay, SourceId, SourceStatus};
use flightdeck::app::{Event, update};
use flightdeck::ops::Operation;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_against_a_frozen_server_says_so_and_offers_nothing_to_confirm() {
    let sb = SandboxProcess::start("steady");
    let client = sb.client().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let audit = dir.path().join("audit.jsonl");
    // the executor as the console builds it: its own bounds
    let ex = executor(&client, &audit, false);
    let op = Operation::Restart {
        target: target("checkout"),
        resource_version: None,
    };
    // answered while the server runs
    let plan = ex
        .plan(op.clone())
        .await
        .expect("a plan while the server answers");
    assert!(plan.refused.is_none(), "{plan:?}");

    sb.freeze();
    // a guard against a hang far beyond the plan's bound, not a timing
    let planned = tokio::time::timeout(Duration::from_secs(40), ex.plan(op.clone()))
        .await
        .expect("the plan ends within its bound, well before the cap");
    let err = planned.expect_err("no plan without an answer");
    assert!(err.contains("the API server"), "{err}");
    assert!(
        err.contains("could not be read to plan restart checkout"),
        "{err}"
    );
    assert!(err.contains("nothing to confirm"), "{err}");

    // the console: while it waits, the dialog says the cluster has not answered lately
    // (here the k8s source as the frozen server leaves it), then gives way to the message,
    // never to a confirmation
    let mut s = common::state();
    s.sources.insert(
        SourceId::Kube,
        SourceStatus::Failing {
            error: "no answer from the API server to GET /version within 10 s (timed out)".into(),
            since: s.now,
            last_ok: Some(s.now),
        },
    );
    let effects = flightdeck::app::dialog::plan(&mut s, op);
    assert_eq!(effects.len(), 1);
    let screen = common::text(&common::render(&mut s, 160, 40));
    assert!(
        screen.contains("⚠ k8s stale 0s (timed out): no plan without the API server's answer"),
        "{screen}"
    );
    update(&mut s, Event::OpPlanned(Err(err.clone())));
    assert!(matches!(s.overlay, Overlay::None), "{:?}", s.overlay);
    let flash = s.flash.as_ref().expect("a message");
    assert!(flash.text.contains("nothing to confirm"), "{}", flash.text);
    sb.thaw();
}
