//! Deployment stats over loaded runs and deployments: median deploy duration, success rate,
//! rollback frequency.

use flightdeck::sources::github::model::{Deployment, Job, WorkflowRun};
use flightdeck::sources::github::snapshot::{RunEntry, deploy_stats};
use serde_json::json;

fn run(id: u64, status: &str, conclusion: Option<&str>, deploy_secs: &[i64]) -> RunEntry {
    let run: WorkflowRun = serde_json::from_value(json!({
        "id": id, "run_number": id, "head_sha": format!("{id:07}"), "status": status,
        "conclusion": conclusion,
    }))
    .unwrap();
    let jobs: Vec<Job> = deploy_secs
        .iter()
        .enumerate()
        .map(|(i, secs)| {
            serde_json::from_value(json!({
                "id": id * 10 + i as u64, "name": format!("deploy-{i}"), "status": "completed",
                "conclusion": "success", "started_at": "2026-11-23T10:00:00Z",
                "completed_at": jiff::Timestamp::from_second(1_795_428_000 + secs).unwrap().to_string(),
            }))
            .unwrap()
        })
        .collect();
    RunEntry::new(run, jobs)
}

fn dep(id: u64, env: &str, sha: &str, minute: u32) -> Deployment {
    serde_json::from_value(json!({
        "id": id, "sha": sha, "environment": env,
        "created_at": format!("2026-11-23T10:{minute:02}:00Z"),
    }))
    .unwrap()
}

#[test]
fn stats_over_loaded_runs() {
    // 2026-11-23T10:00:00Z is 1_795_428_000
    let runs = vec![
        run(1, "completed", Some("success"), &[60, 120]),
        run(2, "completed", Some("failure"), &[]),
        run(3, "completed", Some("cancelled"), &[]),
        run(4, "in_progress", None, &[90]),
        run(5, "completed", Some("success"), &[]),
    ];
    let deps = vec![
        dep(1, "production", "aaa", 1),
        dep(2, "production", "bbb", 2),
        dep(3, "production", "aaa", 3), // back to aaa: a rollback
        dep(4, "production", "aaa", 4), // same again: not another rollback
        dep(5, "staging", "bbb", 5),
    ];
    let s = deploy_stats(&runs, &deps);
    assert_eq!(s.median_deploy_secs, Some(90));
    assert_eq!(s.deploy_jobs, 3);
    assert_eq!((s.succeeded_runs, s.finished_runs), (2, 3));
    assert_eq!(s.rollbacks, 1);
    assert_eq!(s.deployments, 5);
    assert!((s.success_rate().unwrap() - 2.0 / 3.0).abs() < 1e-9);
    assert_eq!(deploy_stats(&[], &[]).success_rate(), None);
}

#[test]
fn only_successes_and_failures_count_toward_the_rate() {
    let runs = vec![
        run(1, "completed", Some("success"), &[]),
        run(2, "completed", Some("failure"), &[]),
        run(3, "completed", Some("action_required"), &[]),
        run(4, "completed", Some("neutral"), &[]),
        run(5, "completed", Some("stale"), &[]),
        run(6, "completed", Some("skipped"), &[]),
        run(7, "completed", Some("timed_out"), &[]),
    ];
    let s = deploy_stats(&runs, &[]);
    assert_eq!((s.succeeded_runs, s.finished_runs), (1, 3));
}
