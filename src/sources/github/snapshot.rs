//! What the poller hands the ui task: owned, complete, and cheap to render.

use std::collections::HashMap;

use jiff::Timestamp;

use super::model::{
    Conclusion, Deployment, DeploymentStatus, Job, PendingDeployment, RateInfo, RequestCounts,
    RunStatus, WorkflowRun,
};

#[derive(Debug, Clone, PartialEq)]
pub struct RunEntry {
    pub run: WorkflowRun,
    pub jobs: Vec<Job>,
    /// Pending deployment reviews of a `waiting` run.
    pub pending: Vec<PendingDeployment>,
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
    pub pending: Option<PendingApproval>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeployStats {
    /// Median duration in seconds of the successful deploy jobs loaded.
    pub median_deploy_secs: Option<i64>,
    pub deploy_jobs: usize,
    /// Completed runs (cancelled and skipped ones left out) and how many succeeded.
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
        .filter(|r| {
            !matches!(
                r.conclusion,
                Some(Conclusion::Cancelled) | Some(Conclusion::Skipped) | None
            )
        })
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

/// One row per environment: the deployed sha, a newer one in flight, a pending approval.
pub fn environment_rows(
    envs: &[(String, String)],
    env_ids: &HashMap<String, u64>,
    runs: &[RunEntry],
    deployments: &[Deployment],
    statuses: &HashMap<u64, Vec<DeploymentStatus>>,
) -> Vec<EnvRow> {
    let resolve = |d: &Deployment, s: Option<&DeploymentStatus>| {
        let run = s
            .and_then(|s| s.run_id())
            .and_then(|id| runs.iter().find(|r| r.run.id == id))
            .or_else(|| runs.iter().find(|r| r.run.head_sha == d.sha));
        EnvDeployment {
            deployment_id: d.id,
            sha: d.sha.clone(),
            git_ref: d.git_ref.clone(),
            at: s.and_then(|s| s.created_at).or(d.created_at),
            run_id: run.map(|r| r.run.id).or(s.and_then(|s| s.run_id())),
            run_number: run.map(|r| r.run.run_number),
            state: s
                .map(|s| s.state.clone())
                .unwrap_or_else(|| "unknown".into()),
        }
    };
    envs.iter()
        .map(|(name, gh_env)| {
            let mut mine: Vec<&Deployment> = deployments
                .iter()
                .filter(|d| d.environment.as_deref() == Some(gh_env.as_str()))
                .collect();
            mine.sort_by_key(|d| std::cmp::Reverse((d.created_at, d.id)));
            let mut deployed = None;
            let mut latest = None;
            for d in mine {
                // statuses come newest first
                let s = statuses.get(&d.id).and_then(|v| v.first());
                let e = resolve(d, s);
                if e.state == "success" {
                    deployed = Some(e);
                    break;
                }
                if latest.is_none() && e.state != "inactive" {
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
                pending,
            }
        })
        .collect()
}
