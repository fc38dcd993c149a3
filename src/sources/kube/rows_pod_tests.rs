//! `printPod`'s cases, as a table: each pod of Kubernetes' `printers_test.go`
//! (`TestPrintPod`, `TestPrintPodWithRestartableInitContainer`, `TestPrintPodConditions`)
//! and the shapes issue #37 found, with kubectl's READY, STATUS and RESTARTS. The table
//! is `tests/support/workloads/printpod_cases.json`, shared with the sandbox's own
//! Table printing.
//!
//! Read from kubernetes/kubernetes `pkg/printers/internalversion/printers.go` and
//! `printers_test.go` on master (the text with native sidecars — `restartableInitContainer`,
//! the `Started` gate and the `PodInitialized` condition, Kubernetes ≥ 1.29 — and the
//! "statuses for non-existent init containers" case); the corpus it was read from does not
//! record the commit. Go's `time.Now()` offsets are fixed timestamps before `now`.

use jiff::Timestamp;
use serde_json::Value;

use super::super::model::{PodReason, PodRow};
use super::super::slim::Pod;
use super::print_pod;

const CASES: &str = include_str!("../../../tests/support/workloads/printpod_cases.json");

fn cases() -> (Timestamp, Vec<Value>) {
    let all: Value = serde_json::from_str(CASES).expect("the cases parse");
    let now = all["now"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("now");
    let cases = all["cases"].as_array().cloned().expect("cases");
    (now, cases)
}

#[test]
fn ready_status_and_restarts_are_kubectls() {
    let (now, cases) = cases();
    assert!(cases.len() >= 45, "{} cases", cases.len());
    let mut wrong = Vec::new();
    for c in &cases {
        let pod: Pod = serde_json::from_value(c["pod"].clone()).expect("a pod");
        let printed = print_pod(&pod);
        let row = PodRow::from_object(&pod);
        let got = (
            format!("{}/{}", row.ready, row.containers_total),
            row.status.clone(),
            row.restarts_text(now),
        );
        let want = (
            c["ready"].as_str().unwrap_or_default().to_owned(),
            c["status"].as_str().unwrap_or_default().to_owned(),
            c["restarts"].as_str().unwrap_or_default().to_owned(),
        );
        assert_eq!(printed.status, row.status);
        if got != want {
            wrong.push(format!("{}: got {got:?}, kubectl {want:?}", c["source"]));
        }
        // the console's STATUS starts with kubectl's word and adds beside it
        let console = c["console"].as_str().unwrap_or(&want.1);
        if row.status_text() != console {
            wrong.push(format!(
                "{}: shows {:?}, want {console:?}",
                c["source"],
                row.status_text()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn trouble_is_judged_from_kubectls_word() {
    let (_, cases) = cases();
    let reason = |name: &str| {
        let c = cases
            .iter()
            .find(|c| c["pod"]["metadata"]["name"] == name)
            .expect(name);
        let pod: Pod = serde_json::from_value(c["pod"].clone()).expect("a pod");
        PodRow::from_object(&pod).reason
    };
    assert_eq!(reason("init-crash"), PodReason::CrashLoopBackOff);
    assert_eq!(reason("oom-loop"), PodReason::OomKilled);
    assert_eq!(reason("oom-restarted"), PodReason::Restarted);
    assert_eq!(reason("unschedulable"), PodReason::Unschedulable);
    assert_eq!(reason("half-ready"), PodReason::NotReady);
    assert_eq!(reason("init-error"), PodReason::Other);
    assert_eq!(reason("exit2"), PodReason::Other);
    assert_eq!(reason("test8"), PodReason::Pending);
    assert_eq!(reason("creating"), PodReason::Pending);
    assert_eq!(reason("test15"), PodReason::Pending);
    assert_eq!(reason("test19"), PodReason::Terminating);
    assert_eq!(reason("done-deleted"), PodReason::Succeeded);
    assert_eq!(reason("sidecar-ready"), PodReason::Running);
}

#[test]
fn human_durations_are_kubectls() {
    use crate::text::human_duration;
    for (secs, want) in [
        (0, "0s"),
        (119, "119s"),
        (120, "2m"),
        (200, "3m20s"),
        (600, "10m"),
        (3 * 3600 - 1, "179m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 300, "3h5m"),
        (8 * 3600 + 300, "8h"),
        (47 * 3600, "47h"),
        (50 * 3600, "2d2h"),
        (10 * 86_400, "10d"),
        (800 * 86_400, "2y70d"),
        (9 * 365 * 86_400, "9y"),
    ] {
        assert_eq!(human_duration(secs), want, "{secs}s");
    }
}
