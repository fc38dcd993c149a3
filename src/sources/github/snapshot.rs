//! What the poller hands the ui task: owned, complete, and cheap to render.

use std::collections::HashMap;

use jiff::Timestamp;

use super::model::{
    Conclusion, Deployment, DeploymentStatus, Gate, Job, PendingDeployment, RateInfo,
    RequestCounts, RunStatus, WorkflowRun,
};

#[derive(Debug, Clone, PartialEq)]
pub struct RunEntry {
    pub run: WorkflowRun,
    pub jobs: Vec<Job>,
    /// Pending deployment reviews of a `waiting` run.
    pub pending: Vec<PendingDeployment>,
    /// Why this run's jobs could not be read (the rest of the pane is unaffected).
    pub jobs_error: Option<String>,
}

impl RunEntry {
    pub fn new(run: WorkflowRun, jobs: Vec<Job>) -> RunEntry {
        RunEntry {
            run,
            jobs,
            pending: Vec::new(),
            jobs_error: None,
        }
    }

    /// How long the run has taken: from `run_started_at` (this attempt's start) to now while
    /// it is unfinished, to its last job's `completed_at` once finished. Never `updated_at`:
    /// GitHub moves it long after a run ends. `None` when no end is known.
    pub fn elapsed_secs(&self, now: Timestamp) -> Option<i64> {
        let start = self.run.run_started_at.or(self.run.created_at)?;
        let end = if self.run.status.is_active() {
            now
        } else {
            self.jobs
                .iter()
                .filter_map(|j| j.completed_at)
                .filter(|t| *t >= start)
                .max()?
        };
        Some(end.duration_since(start).as_secs().max(0))
    }

    /// The stage line of a run without jobs to show: why they are missing, else its
    /// conclusion or status in GitHub's words (`action required`, never `completed`).
    pub fn no_jobs_text(&self) -> String {
        if let Some(e) = &self.jobs_error {
            return format!("jobs not read: {e}");
        }
        match &self.run.conclusion {
            Some(Conclusion::ActionRequired) => {
                "action required: approve the run on GitHub before its jobs start".into()
            }
            Some(c) => c.to_string().replace('_', " "),
            None => self.run.status.to_string().replace('_', " "),
        }
    }
}

/// A deployment to one environment, resolved to the run that made it where possible.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvDeployment {
    pub deployment_id: u64,
    pub sha: String,
    pub git_ref: Option<String>,
    pub at: Option<Timestamp>,
    pub run_id: Option<u64>,
    pub run_number: Option<u64>,
    /// The latest deployment status (`success`, `in_progress`, `failure`, …).
    pub state: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PendingApproval {
    pub run_id: u64,
    pub run_number: u64,
    pub sha: String,
    pub environment_id: u64,
    pub can_approve: bool,
    /// Who may approve (logins or team slugs), for when the current user may not.
    pub reviewers: Vec<String>,
    /// Reviewers, a wait timer, or a custom protection rule.
    pub gate: Gate,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnvRow {
    /// The config's environment name (`prod`).
    pub name: String,
    /// GitHub's environment name (`production`).
    pub github_environment: String,
    pub environment_id: Option<u64>,
    /// The newest deployment whose latest status is `success`.
    pub deployed: Option<EnvDeployment>,
    /// A newer deployment still going (or failed) after the deployed one.
    pub latest: Option<EnvDeployment>,
    /// Deployments newer than the deployed one (the latest included): attempts that did
    /// not (yet) succeed.
    pub attempts: usize,
    pub pending: Option<PendingApproval>,
    /// Why this environment's deployments could not be read, when they could not.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeployStats {
    /// Median duration in seconds of the successful deploy jobs loaded.
    pub median_deploy_secs: Option<i64>,
    pub deploy_jobs: usize,
    /// Completed runs with a verdict (success or failure: cancelled, skipped, neutral,
    /// stale and action_required left out) and how many succeeded.
    pub finished_runs: usize,
    pub succeeded_runs: usize,
    /// Deployments that put back a sha the environment had run before (a rollback), out of
    /// all deployments loaded.
    pub rollbacks: usize,
    pub deployments: usize,
}

impl DeployStats {
    pub fn success_rate(&self) -> Option<f64> {
        (self.finished_runs > 0).then(|| self.succeeded_runs as f64 / self.finished_runs as f64)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PipelineSnapshot {
    pub repo: String,
    /// Newest first.
    pub runs: Vec<RunEntry>,
    pub environments: Vec<EnvRow>,
    pub stats: DeployStats,
    pub fetched_at: Timestamp,
    pub rate: RateInfo,
    pub requests: RequestCounts,
    /// No token: anonymous requests (60/h, public repos only, no approvals).
    pub anonymous: bool,
    /// Parts that could not be read (deployments without `deployments:read`, …); the rest
    /// is shown.
    pub warnings: Vec<String>,
}

/// Messages from the GitHub poller to the ui task.
#[derive(Debug, Clone, PartialEq)]
pub enum PipelineUpdate {
    Snapshot(Box<PipelineSnapshot>),
    /// A poll found nothing new (every answer a 304): the data is current as of `at`.
    Unchanged {
        at: Timestamp,
        requests: RequestCounts,
    },
    /// The last poll failed; the last good snapshot stays, shown stale.
    Failing {
        error: String,
        at: Timestamp,
        rate_limited_until: Option<Timestamp>,
    },
    /// Something the user should know that is not a failure (no token, …).
    Notice(String),
}

fn median(mut v: Vec<i64>) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2
    })
}

/// Deployment stats over the runs and deployments loaded.
pub fn deploy_stats(runs: &[RunEntry], deployments: &[Deployment]) -> DeployStats {
    let durations: Vec<i64> = runs
        .iter()
        .flat_map(|r| &r.jobs)
        .filter(|j| j.name.starts_with("deploy") && j.conclusion == Some(Conclusion::Success))
        .filter_map(|j| {
            let secs = j.completed_at?.duration_since(j.started_at?).as_secs();
            (secs >= 0).then_some(secs)
        })
        .collect();
    let finished: Vec<&WorkflowRun> = runs
        .iter()
        .map(|r| &r.run)
        .filter(|r| r.status == RunStatus::Completed)
        .filter(|r| r.conclusion.as_ref().is_some_and(Conclusion::is_verdict))
        .collect();
    let succeeded = finished
        .iter()
        .filter(|r| r.conclusion == Some(Conclusion::Success))
        .count();
    // oldest first, per environment
    let mut by_env: HashMap<&str, Vec<&Deployment>> = HashMap::new();
    for d in deployments {
        by_env
            .entry(d.environment.as_deref().unwrap_or(""))
            .or_default()
            .push(d);
    }
    let mut rollbacks = 0;
    for list in by_env.values_mut() {
        list.sort_by_key(|d| (d.created_at, d.id));
        for (i, d) in list.iter().enumerate() {
            let prev = i.checked_sub(1).map(|p| list[p].sha.as_str());
            if prev != Some(d.sha.as_str()) && list[..i].iter().any(|e| e.sha == d.sha) {
                rollbacks += 1;
            }
        }
    }
    DeployStats {
        deploy_jobs: durations.len(),
        median_deploy_secs: median(durations),
        finished_runs: finished.len(),
        succeeded_runs: succeeded,
        rollbacks,
        deployments: deployments.len(),
    }
}

/// The deployments read for one GitHub environment, newest first: down to its latest
/// success (or as far as paging went), or why they could not be read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnvDeployments {
    pub deployments: Vec<Deployment>,
    /// How many of `deployments` (from the newest) matter for what runs: down to the
    /// latest success. The rest of its page is kept for the rollback count only.
    pub watched: usize,
    pub error: Option<String>,
}

/// One row per environment: the deployed sha, newer attempts, a pending approval.
/// `deployments` holds each GitHub environment's own list; the deployer of a deployment is
/// the run its status names (`log_url`/`target_url`), looked up in `runs` or
/// `run_numbers`, never another run of the same commit.
pub fn environment_rows(
    envs: &[(String, String)],
    env_ids: &HashMap<String, u64>,
    runs: &[RunEntry],
    deployments: &HashMap<String, EnvDeployments>,
    statuses: &HashMap<u64, Vec<DeploymentStatus>>,
    run_numbers: &HashMap<u64, u64>,
) -> Vec<EnvRow> {
    let resolve = |d: &Deployment, s: Option<&DeploymentStatus>| {
        let run_id = s.and_then(|s| s.run_id());
        let run_number = run_id.and_then(|id| {
            runs.iter()
                .find(|r| r.run.id == id)
                .map(|r| r.run.run_number)
                .or_else(|| run_numbers.get(&id).copied())
        });
        EnvDeployment {
            deployment_id: d.id,
            sha: d.sha.clone(),
            git_ref: d.git_ref.clone(),
            at: s.and_then(|s| s.created_at).or(d.created_at),
            run_id,
            run_number,
            state: s
                .map(|s| s.state.clone())
                .unwrap_or_else(|| "unknown".into()),
        }
    };
    envs.iter()
        .map(|(name, gh_env)| {
            let list = deployments.get(gh_env);
            let mut mine: Vec<&Deployment> = list.iter().flat_map(|l| &l.deployments).collect();
            mine.sort_by_key(|d| std::cmp::Reverse((d.created_at, d.id)));
            let mut deployed = None;
            let mut latest = None;
            let mut attempts = 0;
            for d in mine {
                // statuses come newest first
                let s = statuses.get(&d.id).and_then(|v| v.first());
                let e = resolve(d, s);
                if e.state == "success" {
                    deployed = Some(e);
                    break;
                }
                if e.state == "inactive" {
                    continue;
                }
                attempts += 1;
                if latest.is_none() {
                    latest = Some(e);
                }
            }
            let pending = runs.iter().find_map(|r| {
                let p = r.pending.iter().find(|p| p.environment.name == *gh_env)?;
                Some(PendingApproval {
                    run_id: r.run.id,
                    run_number: r.run.run_number,
                    sha: r.run.head_sha.clone(),
                    environment_id: p.environment.id,
                    can_approve: p.current_user_can_approve,
                    reviewers: p.reviewers.iter().map(|r| r.label()).collect(),
                    gate: p.gate(),
                })
            });
            EnvRow {
                name: name.clone(),
                github_environment: gh_env.clone(),
                environment_id: env_ids
                    .get(gh_env)
                    .copied()
                    .or(pending.as_ref().map(|p| p.environment_id)),
                deployed,
                latest,
                attempts,
                pending,
                error: list.and_then(|l| l.error.clone()),
            }
        })
        .collect()
}
