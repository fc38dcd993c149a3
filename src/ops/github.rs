//! GitHub operations: approve or reject an environment's pending deployment, and re-run,
//! re-run the failed jobs of, or cancel an Actions run.

use crate::sources::github::GithubClient;
use crate::sources::github::actions::{self, Review, RunAction};

use super::{Done, Executor, Plan, audit};

impl Executor {
    pub(super) fn plan_review(
        &self,
        plan: &mut Plan,
        review: Review,
        environment: &str,
        run_number: u64,
        sha: &str,
    ) {
        let short: String = sha.chars().take(7).collect();
        plan.before = format!("run #{run_number} ({short}) waiting for review");
        match review {
            Review::Approve => {
                plan.title = format!("Approve the pending deployment to {environment}");
                plan.after = format!("approved: deploys {short} to {environment}");
            }
            Review::Reject => {
                plan.title = format!("Reject the pending deployment to {environment}");
                plan.after = format!("rejected: {short} does not deploy; run #{run_number} fails");
            }
        }
        if self.github.is_none() {
            plan.refused = plan
                .refused
                .take()
                .or(Some("no [github] source configured".into()));
        }
    }

    pub(super) async fn run_review(
        &self,
        review: Review,
        environment: &str,
        run_id: u64,
        environment_ids: &[u64],
    ) -> Result<Done, String> {
        let mut client = self.github_client().await?;
        actions::review_pending_deployments(
            &mut client,
            run_id,
            environment_ids,
            review,
            &audit::local_user(),
        )
        .await
        .map_err(|e| e.to_string())?;
        Ok(Done {
            message: match review {
                Review::Approve => format!("approved the deployment to {environment}"),
                Review::Reject => format!("rejected the deployment to {environment}"),
            },
            run_state: run_state_after(&mut client, run_id).await,
            ..Done::default()
        })
    }

    pub(super) async fn plan_run_action(
        &self,
        plan: &mut Plan,
        action: RunAction,
        run_id: u64,
        run_number: u64,
        workflow: &str,
    ) -> Result<(), String> {
        plan.title = format!("{} {workflow} run #{run_number}", action.describe());
        // what the screen showed may be a poll old: ask GitHub now
        let mut client = self.github_client().await?;
        let (run, jobs) = actions::run_now(&mut client, run_id)
            .await
            .map_err(|e| e.to_string())?;
        let failed: Vec<&str> = jobs
            .iter()
            .filter(|j| j.conclusion.as_ref().is_some_and(|c| c.is_failure()))
            .map(|j| j.name.as_str())
            .collect();
        let state = match &run.conclusion {
            Some(c) => format!("{} ({c})", run.status),
            None => run.status.to_string(),
        };
        plan.before = format!(
            "run #{run_number} {state}, attempt {}, {}{}",
            run.run_attempt.unwrap_or(1),
            crate::text::count(jobs.len() as u64, "job", "jobs"),
            if failed.is_empty() {
                String::new()
            } else {
                format!(", failed: {}", failed.join(", "))
            }
        );
        let active = run.status.is_active();
        let (after, refused) = match action {
            RunAction::Cancel => (
                "cancelled: jobs still running are stopped".to_owned(),
                (!active).then(|| format!("run #{run_number} is not running")),
            ),
            RunAction::Rerun => (
                format!(
                    "attempt {}: every job runs again",
                    run.run_attempt.unwrap_or(1) + 1
                ),
                active.then(|| format!("run #{run_number} is still running; cancel it first")),
            ),
            RunAction::RerunFailed => (
                format!(
                    "attempt {}: {} and the jobs that need them run again",
                    run.run_attempt.unwrap_or(1) + 1,
                    failed.join(", ")
                ),
                if active {
                    Some(format!(
                        "run #{run_number} is still running; cancel it first"
                    ))
                } else if failed.is_empty() {
                    Some(format!("run #{run_number} has no failed jobs"))
                } else {
                    None
                },
            ),
        };
        plan.after = after;
        plan.refused = plan.refused.take().or(refused);
        Ok(())
    }

    pub(super) async fn run_run_action(
        &self,
        action: RunAction,
        run_id: u64,
        run_number: u64,
    ) -> Result<Done, String> {
        let mut client = self.github_client().await?;
        actions::run_action(&mut client, run_id, action)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Done {
            message: match action {
                RunAction::Rerun => format!("run #{run_number} re-runs"),
                RunAction::RerunFailed => format!("run #{run_number} re-runs its failed jobs"),
                RunAction::Cancel => format!("run #{run_number} is being cancelled"),
            },
            run_state: run_state_after(&mut client, run_id).await,
            ..Done::default()
        })
    }

    /// A GitHub client for an operation; the token is resolved now and never logged.
    pub(super) async fn github_client(&self) -> Result<GithubClient, String> {
        use crate::sources::github::TokenSetting;
        let gh = self
            .github
            .clone()
            .ok_or_else(|| "no [github] source configured".to_owned())?;
        let token = match gh.token {
            TokenSetting::Given(t) => t,
            TokenSetting::Resolve { env_var } => {
                crate::sources::github::client::resolve_token(&env_var)
                    .await
                    .0
            }
        };
        if token.is_none() {
            return Err(
                "no GitHub token: this needs one with actions and deployments write".into(),
            );
        }
        GithubClient::new(&gh.api_url, &gh.repo, token).map_err(|e| e.to_string())
    }
}

/// The run's state right after the request, for the outcome line; a failed read says why
/// (the request itself went through).
async fn run_state_after(client: &mut GithubClient, run_id: u64) -> Option<String> {
    Some(
        actions::run_state(client, run_id)
            .await
            .unwrap_or_else(|e| format!("unknown ({e})")),
    )
}
