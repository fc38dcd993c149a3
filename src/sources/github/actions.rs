//! The mutating GitHub calls behind promote, reject, re-run and cancel. The confirmation
//! dialog, the audit line and the read-only refusal belong to the operations layer, which
//! calls these only after the user confirmed.

use serde_json::json;

use super::client::{GhError, GithubClient};
use super::model::{Deployment, Job, JobList, WorkflowRun};
pub use super::model::{Review, RunAction};

/// The review comment GitHub records: names flightdeck and the user who confirmed.
pub fn review_comment(review: Review, user: &str) -> String {
    let verb = match review {
        Review::Approve => "Approved",
        Review::Reject => "Rejected",
    };
    format!("{verb} from flightdeck by {user}")
}

/// Approve or reject the pending deployments of `run_id` for `environment_ids`
/// (`POST …/actions/runs/{id}/pending_deployments`; not `…/approve`, which is for fork PRs).
/// A refusal (403, 422) comes back as GitHub's own message.
pub async fn review_pending_deployments(
    client: &mut GithubClient,
    run_id: u64,
    environment_ids: &[u64],
    review: Review,
    user: &str,
) -> Result<Vec<Deployment>, GhError> {
    let url = client.repo_url(&format!("/actions/runs/{run_id}/pending_deployments"));
    let body = json!({
        "environment_ids": environment_ids,
        "state": review.state(),
        "comment": review_comment(review, user),
    });
    let bytes = client.post(&url, Some(&body)).await?;
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_slice(&bytes).map_err(|e| GhError::Decode {
        path: format!("/actions/runs/{run_id}/pending_deployments"),
        error: e.to_string(),
    })
}

/// Re-run the whole run (`POST …/rerun`).
pub async fn rerun(client: &mut GithubClient, run_id: u64) -> Result<(), GhError> {
    let url = client.repo_url(&format!("/actions/runs/{run_id}/rerun"));
    client.post(&url, None).await.map(|_| ())
}

/// Re-run the failed jobs and those that depend on them (`POST …/rerun-failed-jobs`).
pub async fn rerun_failed_jobs(client: &mut GithubClient, run_id: u64) -> Result<(), GhError> {
    let url = client.repo_url(&format!("/actions/runs/{run_id}/rerun-failed-jobs"));
    client.post(&url, None).await.map(|_| ())
}

/// Cancel a run that is still going (`POST …/cancel`).
pub async fn cancel(client: &mut GithubClient, run_id: u64) -> Result<(), GhError> {
    let url = client.repo_url(&format!("/actions/runs/{run_id}/cancel"));
    client.post(&url, None).await.map(|_| ())
}

/// Carries out a run action.
pub async fn run_action(
    client: &mut GithubClient,
    run_id: u64,
    action: RunAction,
) -> Result<(), GhError> {
    match action {
        RunAction::Rerun => rerun(client, run_id).await,
        RunAction::RerunFailed => rerun_failed_jobs(client, run_id).await,
        RunAction::Cancel => cancel(client, run_id).await,
    }
}

/// A run and its jobs as GitHub has them now, for the confirmation (what the screen
/// showed may be a poll old).
pub async fn run_now(
    client: &mut GithubClient,
    run_id: u64,
) -> Result<(WorkflowRun, Vec<Job>), GhError> {
    let url = client.repo_url(&format!("/actions/runs/{run_id}"));
    let run = client.get::<WorkflowRun>(&url).await?.value;
    let url = client.repo_url(&format!("/actions/runs/{run_id}/jobs?per_page=100"));
    let jobs = client.get_pages(&url, 5, |p: JobList| p.jobs).await?.value;
    Ok((run, jobs))
}

/// A run's state as GitHub has it now, in a few words (`queued, attempt 2`,
/// `completed (cancelled), attempt 1`), for the audit log.
pub async fn run_state(client: &mut GithubClient, run_id: u64) -> Result<String, GhError> {
    let url = client.repo_url(&format!("/actions/runs/{run_id}"));
    let run = client.get::<WorkflowRun>(&url).await?.value;
    let state = match &run.conclusion {
        Some(c) => format!("{} ({c})", run.status),
        None => run.status.to_string(),
    };
    Ok(format!("{state}, attempt {}", run.run_attempt.unwrap_or(1)))
}
