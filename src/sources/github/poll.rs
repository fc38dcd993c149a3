//! The poller: one task per repository. Conditional requests throughout; with nothing
//! running and nothing changed, one poll is one request (the run list), answered 304.

use std::collections::HashMap;
use std::time::Duration;

use jiff::Timestamp;

use super::client::{GhError, GithubClient, Token, TokenSource, resolve_token};
use super::model::{
    Deployment, DeploymentStatus, EnvironmentList, Job, JobList, PendingDeployment, RunList,
    WorkflowRun,
};
use super::snapshot::{PipelineSnapshot, PipelineUpdate, RunEntry, deploy_stats, environment_rows};

/// How to get the token.
#[derive(Debug, Clone)]
pub enum TokenSetting {
    /// The env var named in config, else `gh auth token`.
    Resolve {
        env_var: String,
    },
    Given(Option<Token>),
}

impl TokenSetting {
    /// Where the pipeline source and the executor get the token for `[github]`.
    pub fn for_config(gh: &crate::config::GithubConfig) -> TokenSetting {
        match &gh.token {
            Some(t) => TokenSetting::Given(Some(t.clone())),
            None => TokenSetting::Resolve {
                env_var: gh.token_env.clone(),
            },
        }
    }
}

#[derive(Debug, Clone)]
pub struct PollConfig {
    pub api_url: String,
    pub repo: String,
    pub token: TokenSetting,
    /// (config name, GitHub environment name), in display order; empty = GitHub's list.
    pub environments: Vec<(String, String)>,
    /// Interval while a run is active.
    pub fast: Duration,
    /// Interval while everything is finished.
    pub slow: Duration,
    /// Longest wait after repeated failures.
    pub max_backoff: Duration,
    pub runs_per_page: u32,
    /// Poked after an action (approve, re-run, cancel) to poll at once instead of waiting.
    pub refresh: Option<std::sync::Arc<tokio::sync::Notify>>,
}

impl PollConfig {
    pub fn new(api_url: &str, repo: &str, token: TokenSetting) -> PollConfig {
        PollConfig {
            api_url: api_url.to_owned(),
            repo: repo.to_owned(),
            token,
            environments: Vec::new(),
            fast: Duration::from_secs(5),
            slow: Duration::from_secs(30),
            max_backoff: Duration::from_secs(300),
            runs_per_page: 20,
            refresh: None,
        }
    }
}

struct CachedJobs {
    key: (Option<Timestamp>, Option<u64>),
    jobs: Vec<Job>,
}

pub struct Poller {
    pub client: GithubClient,
    cfg: PollConfig,
    env_ids: HashMap<String, u64>,
    env_order: Vec<(String, String)>,
    envs_loaded: bool,
    runs: Vec<WorkflowRun>,
    jobs: HashMap<u64, CachedJobs>,
    pending: HashMap<u64, Vec<PendingDeployment>>,
    deployments: Vec<Deployment>,
    statuses: HashMap<u64, Vec<DeploymentStatus>>,
    initialized: bool,
    warnings: Vec<String>,
}

/// What one poll found.
#[derive(Debug)]
pub enum PollOutcome {
    Changed(Box<PipelineSnapshot>),
    Unchanged,
}

impl Poller {
    pub fn new(cfg: PollConfig, token: Option<Token>) -> Result<Poller, GhError> {
        let client = GithubClient::new(&cfg.api_url, &cfg.repo, token)?;
        Ok(Poller {
            client,
            env_order: cfg.environments.clone(),
            cfg,
            env_ids: HashMap::new(),
            envs_loaded: false,
            runs: Vec::new(),
            jobs: HashMap::new(),
            pending: HashMap::new(),
            deployments: Vec::new(),
            statuses: HashMap::new(),
            initialized: false,
            warnings: Vec::new(),
        })
    }

    /// Some run moves on its own (queued, in progress): poll fast.
    pub fn any_active(&self) -> bool {
        self.runs.iter().any(|r| r.status.is_running())
    }

    /// One poll. Public so tests can drive it without timers.
    pub async fn poll(&mut self) -> Result<PollOutcome, GhError> {
        // anonymous means 60 requests an hour, and each new run costs a jobs request
        let per_page = if self.client.has_token() {
            self.cfg.runs_per_page
        } else {
            self.cfg.runs_per_page.min(10)
        };
        let url = self.client.repo_url(&format!(
            "/actions/runs?per_page={}",
            per_page.clamp(1, 100)
        ));
        let runs = self
            .client
            .get_pages(&url, 1, |p: RunList| p.workflow_runs)
            .await?;
        let was_active = self.any_active();
        let mut changed = runs.changed || !self.initialized;
        self.runs = runs.value;
        let active = self.any_active();
        if !changed && !active && !was_active {
            return Ok(PollOutcome::Unchanged);
        }

        if !self.envs_loaded {
            self.load_environments().await?;
        }

        // jobs: once per run and attempt, again while the run is active
        let ids: Vec<u64> = self.runs.iter().map(|r| r.id).collect();
        self.jobs.retain(|id, _| ids.contains(id));
        self.pending.retain(|id, _| ids.contains(id));
        for i in 0..self.runs.len() {
            let run = &self.runs[i];
            let key = (run.updated_at, run.run_attempt);
            let fresh = self
                .jobs
                .get(&run.id)
                .is_some_and(|c| c.key == key && !run.status.is_running());
            if fresh {
                continue;
            }
            let id = run.id;
            let url = self
                .client
                .repo_url(&format!("/actions/runs/{id}/jobs?per_page=100"));
            let jobs = self.client.get_pages(&url, 5, |p: JobList| p.jobs).await?;
            changed |= jobs.changed;
            self.jobs.insert(
                id,
                CachedJobs {
                    key,
                    jobs: jobs.value,
                },
            );
        }

        // pending reviews of waiting runs
        let mut warnings = Vec::new();
        for i in 0..self.runs.len() {
            let run = &self.runs[i];
            let id = run.id;
            if run.status != super::model::RunStatus::Waiting {
                changed |= self.pending.remove(&id).is_some();
                continue;
            }
            let url = self
                .client
                .repo_url(&format!("/actions/runs/{id}/pending_deployments"));
            match self.client.get::<Vec<PendingDeployment>>(&url).await {
                Ok(p) => {
                    changed |= p.changed;
                    self.pending.insert(id, p.value);
                }
                // the run still shows as waiting; only who may approve is unknown
                Err(e @ (GhError::Forbidden { .. } | GhError::NotFound { .. })) => {
                    warnings.push(format!("pending reviews: {e}"));
                }
                Err(e) => return Err(e),
            }
        }

        match self.load_deployments().await {
            Ok(c) => changed |= c,
            Err(e @ (GhError::Forbidden { .. } | GhError::NotFound { .. })) => {
                warnings.push(format!("deployments: {e}"));
            }
            Err(e) => return Err(e),
        }
        if warnings != self.warnings {
            self.warnings = warnings;
            changed = true;
        }
        self.initialized = true;
        self.prune_cache();
        if changed {
            Ok(PollOutcome::Changed(Box::new(self.snapshot())))
        } else {
            Ok(PollOutcome::Unchanged)
        }
    }

    fn prune_cache(&mut self) {
        let runs: Vec<u64> = self.runs.iter().map(|r| r.id).collect();
        let deps: Vec<u64> = self.deployments.iter().map(|d| d.id).collect();
        let id_after = |url: &str, marker: &str| -> Option<u64> {
            let rest = url.split(marker).nth(1)?;
            rest.split(['/', '?']).next()?.parse().ok()
        };
        self.client.retain_cache(|url| {
            if let Some(id) = id_after(url, "/actions/runs/") {
                return runs.contains(&id);
            }
            if let Some(id) = id_after(url, "/deployments/") {
                return deps.contains(&id);
            }
            true
        });
    }

    async fn load_environments(&mut self) -> Result<(), GhError> {
        let url = self.client.repo_url("/environments?per_page=100");
        match self
            .client
            .get_pages(&url, 3, |p: EnvironmentList| p.environments)
            .await
        {
            Ok(list) => {
                for e in &list.value {
                    self.env_ids.insert(e.name.clone(), e.id);
                }
                if self.env_order.is_empty() {
                    self.env_order = list
                        .value
                        .iter()
                        .map(|e| (e.name.clone(), e.name.clone()))
                        .collect();
                }
            }
            // environments need admin read on some plans; the rest works without them
            Err(GhError::Forbidden { .. }) | Err(GhError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
        self.envs_loaded = true;
        Ok(())
    }

    /// Deployments and, for the newest few per environment, their statuses. Final statuses
    /// are kept and never asked again.
    async fn load_deployments(&mut self) -> Result<bool, GhError> {
        let url = self.client.repo_url("/deployments?per_page=50");
        let deps = self.client.get::<Vec<Deployment>>(&url).await?;
        let mut changed = deps.changed;
        self.deployments = deps.value;
        let mut per_env: HashMap<String, usize> = HashMap::new();
        let mut wanted = Vec::new();
        let mut sorted: Vec<&Deployment> = self.deployments.iter().collect();
        sorted.sort_by_key(|d| std::cmp::Reverse((d.created_at, d.id)));
        for d in sorted {
            let n = per_env
                .entry(d.environment.clone().unwrap_or_default())
                .or_default();
            if *n >= 3 {
                continue;
            }
            *n += 1;
            let done = self
                .statuses
                .get(&d.id)
                .and_then(|s| s.first())
                .is_some_and(|s| s.is_final());
            if !done {
                wanted.push(d.id);
            }
            // stop at the first success: older ones are not shown
            if self
                .statuses
                .get(&d.id)
                .and_then(|s| s.first())
                .is_some_and(|s| s.state == "success")
            {
                per_env.insert(d.environment.clone().unwrap_or_default(), 3);
            }
        }
        for id in wanted {
            let url = self
                .client
                .repo_url(&format!("/deployments/{id}/statuses?per_page=10"));
            let s = self.client.get::<Vec<DeploymentStatus>>(&url).await?;
            changed |= s.changed;
            self.statuses.insert(id, s.value);
        }
        let ids: Vec<u64> = self.deployments.iter().map(|d| d.id).collect();
        self.statuses.retain(|id, _| ids.contains(id));
        Ok(changed)
    }

    pub fn snapshot(&self) -> PipelineSnapshot {
        let runs: Vec<RunEntry> = self
            .runs
            .iter()
            .map(|r| RunEntry {
                run: r.clone(),
                jobs: self
                    .jobs
                    .get(&r.id)
                    .map(|c| c.jobs.clone())
                    .unwrap_or_default(),
                pending: self.pending.get(&r.id).cloned().unwrap_or_default(),
            })
            .collect();
        let environments = environment_rows(
            &self.env_order,
            &self.env_ids,
            &runs,
            &self.deployments,
            &self.statuses,
        );
        PipelineSnapshot {
            repo: self.cfg.repo.clone(),
            stats: deploy_stats(&runs, &self.deployments),
            runs,
            environments,
            fetched_at: Timestamp::now(),
            rate: self.client.rate,
            requests: self.client.counts,
            anonymous: !self.client.has_token(),
            warnings: self.warnings.clone(),
        }
    }
}

/// How long to wait before the next poll.
fn next_delay(cfg: &PollConfig, active: bool, anonymous: bool, failures: u32) -> Duration {
    let base = if active { cfg.fast } else { cfg.slow };
    // 60 requests an hour without a token: never faster than a minute when idle
    let base = if anonymous && !active {
        base.max(Duration::from_secs(60))
    } else {
        base
    };
    if failures == 0 {
        return base;
    }
    let factor = 1u32 << failures.min(8);
    (cfg.fast.max(Duration::from_millis(1)) * factor)
        .max(base)
        .min(cfg.max_backoff.max(base))
}

/// Starts the poller task; it ends when `sink` answers false (the ui task is gone).
pub fn spawn_poller(
    cfg: PollConfig,
    sink: impl Fn(PipelineUpdate) -> bool + Send + Sync + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let (token, source) = match &cfg.token {
            TokenSetting::Given(t) => (t.clone(), TokenSource::None),
            TokenSetting::Resolve { env_var } => {
                // bounded, its process group killed at the bound or when abandoned
                resolve_token(env_var).await
            }
        };
        if token.is_none() && matches!(cfg.token, TokenSetting::Resolve { .. }) {
            let var = match &cfg.token {
                TokenSetting::Resolve { env_var } => env_var.clone(),
                TokenSetting::Given(_) => String::new(),
            };
            let note = format!(
                "no GitHub token: set {var} or run `gh auth login` (anonymous: public repos, 60 requests/h, no approvals)"
            );
            if !sink(PipelineUpdate::Notice(note)) {
                return;
            }
        }
        match &source {
            TokenSource::Env(var) => log::info!("GitHub: token from ${var}"),
            TokenSource::GhCli => log::info!("GitHub: token from `gh auth token`"),
            TokenSource::None => {}
        }
        let mut poller = match Poller::new(cfg.clone(), token) {
            Ok(p) => p,
            Err(e) => {
                sink(PipelineUpdate::Failing {
                    error: e.to_string(),
                    at: Timestamp::now(),
                    rate_limited_until: None,
                });
                return;
            }
        };
        let anonymous = !poller.client.has_token();
        let mut failures = 0u32;
        loop {
            let outcome = poller.poll().await;
            let now = Timestamp::now();
            let delay = match outcome {
                Ok(PollOutcome::Changed(snap)) => {
                    failures = 0;
                    if !sink(PipelineUpdate::Snapshot(snap)) {
                        return;
                    }
                    next_delay(&cfg, poller.any_active(), anonymous, 0)
                }
                Ok(PollOutcome::Unchanged) => {
                    failures = 0;
                    let requests = poller.client.counts;
                    if !sink(PipelineUpdate::Unchanged { at: now, requests }) {
                        return;
                    }
                    next_delay(&cfg, poller.any_active(), anonymous, 0)
                }
                Err(GhError::RateLimited { until }) => {
                    let error = format!("rate limited until {}", crate::text::hh_mm(until));
                    log::warn!("GitHub {}: {error}", cfg.repo);
                    if !sink(PipelineUpdate::Failing {
                        error,
                        at: now,
                        rate_limited_until: Some(until),
                    }) {
                        return;
                    }
                    let wait = until.duration_since(now).as_secs().max(1) as u64;
                    Duration::from_secs(wait)
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    log::warn!("GitHub poll of {} failed: {e}", cfg.repo);
                    if !sink(PipelineUpdate::Failing {
                        error: e.to_string(),
                        at: now,
                        rate_limited_until: None,
                    }) {
                        return;
                    }
                    next_delay(&cfg, poller.any_active(), anonymous, failures)
                }
            };
            match &cfg.refresh {
                // a rate limit is waited out whatever the poke
                Some(poke) if poller.client.blocked_until().is_none() => {
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = poke.notified() => {}
                    }
                }
                _ => tokio::time::sleep(delay).await,
            }
        }
    })
}
