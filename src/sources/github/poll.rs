//! The poller: one task per repository. Conditional requests throughout; with nothing
//! running and nothing changed, one poll is one request (the run list), answered 304 —
//! plus the `status=waiting` runs when the run list has more than one page, and the
//! deployment lists every `deployments_every`.

use std::collections::HashMap;
use std::time::Duration;

use jiff::Timestamp;

use super::client::{GhError, GithubClient, Token, TokenSource, resolve_token};
use super::model::{
    Deployment, DeploymentStatus, EnvironmentList, Job, JobList, PendingDeployment, RunList,
    RunStatus, WorkflowRun,
};
use super::snapshot::{
    EnvDeployments, PipelineSnapshot, PipelineUpdate, RunEntry, deploy_stats, environment_rows,
};

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
    /// Deployments asked per page (GitHub's most is 100).
    pub deployments_per_page: u32,
    /// How often the deployment lists are re-read when no run moves (statuses that can
    /// still move are re-read every poll).
    pub deployments_every: Duration,
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
            deployments_per_page: 100,
            deployments_every: Duration::from_secs(120),
            refresh: None,
        }
    }
}

struct CachedJobs {
    key: (Option<Timestamp>, Option<u64>),
    jobs: Vec<Job>,
}

/// At most this many pages of one environment's deployments are read looking for its
/// latest success (100 a page).
const DEPLOYMENT_PAGES: usize = 5;
/// At most this many pages of `status=waiting` runs.
const WAITING_PAGES: usize = 3;

pub struct Poller {
    pub client: GithubClient,
    cfg: PollConfig,
    env_ids: HashMap<String, u64>,
    env_order: Vec<(String, String)>,
    envs_loaded: bool,
    runs: Vec<WorkflowRun>,
    jobs: HashMap<u64, CachedJobs>,
    jobs_errors: HashMap<u64, String>,
    pending: HashMap<u64, Vec<PendingDeployment>>,
    /// Per GitHub environment, newest first, down to its latest success.
    deployments: HashMap<String, EnvDeployments>,
    statuses: HashMap<u64, Vec<DeploymentStatus>>,
    /// Run numbers of deployers not among the runs listed (read once by id).
    run_numbers: HashMap<u64, u64>,
    /// When the deployment lists were last read.
    deployments_read: Option<std::time::Instant>,
    initialized: bool,
    warnings: Vec<String>,
}

/// What one poll found.
#[derive(Debug)]
pub enum PollOutcome {
    Changed(Box<PipelineSnapshot>),
    Unchanged,
}

/// A failure that stops the whole poll (the rest would fail the same way); anything else
/// marks only the part its request feeds.
fn stops_the_poll(e: &GhError) -> bool {
    matches!(
        e,
        GhError::RateLimited { .. } | GhError::Unauthorized { .. }
    )
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
            jobs_errors: HashMap::new(),
            pending: HashMap::new(),
            deployments: HashMap::new(),
            statuses: HashMap::new(),
            run_numbers: HashMap::new(),
            deployments_read: None,
            initialized: false,
            warnings: Vec::new(),
        })
    }

    /// Some run moves on its own (queued, in progress): poll fast.
    pub fn any_active(&self) -> bool {
        self.runs.iter().any(|r| r.status.is_running())
    }

    /// A deployment whose latest status moves on its own (queued, in progress): its
    /// statuses are re-read every poll. `waiting` moves only when someone reviews, which
    /// changes the run list.
    fn any_status_moving(&self) -> bool {
        self.deployments
            .values()
            .flat_map(|l| l.deployments.iter().take(l.watched))
            .filter_map(|d| self.statuses.get(&d.id)?.first())
            .any(|s| !s.is_final() && s.state != "waiting")
    }

    /// One poll. Public so tests can drive it without timers.
    pub async fn poll(&mut self) -> Result<PollOutcome, GhError> {
        // anonymous means 60 requests an hour, and each new run costs a jobs request
        let per_page = if self.client.has_token() {
            self.cfg.runs_per_page
        } else {
            self.cfg.runs_per_page.min(10)
        };
        let per_page = per_page.clamp(1, 100);
        let url = self
            .client
            .repo_url(&format!("/actions/runs?per_page={per_page}"));
        let page = self.client.get::<RunList>(&url).await?;
        let mut warnings = Vec::new();
        let mut runs = page.value.workflow_runs;
        let mut runs_changed = page.changed;
        // runs waiting for a review or a timer, however old: not only those on page 1
        if page.value.total_count > runs.len() as u64 {
            let url = self
                .client
                .repo_url("/actions/runs?status=waiting&per_page=100");
            match self
                .client
                .get_pages(&url, WAITING_PAGES, |p: RunList| p.workflow_runs)
                .await
            {
                Ok(w) => {
                    runs_changed |= w.changed;
                    for r in w.value {
                        if !runs.iter().any(|x| x.id == r.id) {
                            runs.push(r);
                        }
                    }
                }
                Err(e) if stops_the_poll(&e) => return Err(e),
                Err(e) => {
                    // keep the waiting runs known from before
                    runs.extend(
                        self.runs
                            .iter()
                            .filter(|r| r.status == RunStatus::Waiting)
                            .filter(|r| !page_has(&runs, r.id))
                            .cloned()
                            .collect::<Vec<_>>(),
                    );
                    warnings.push(format!("waiting runs: {e}"));
                }
            }
        }
        let was_active = self.any_active();
        let mut changed = runs_changed || !self.initialized || runs.len() != self.runs.len();
        self.runs = runs;
        let active = self.any_active();
        let deployments_due = self
            .deployments_read
            .is_none_or(|t| t.elapsed() >= self.cfg.deployments_every);
        let envs_due = !self.envs_loaded;
        if !changed
            && !active
            && !was_active
            && !deployments_due
            && !envs_due
            && !self.any_status_moving()
        {
            return Ok(PollOutcome::Unchanged);
        }

        if !self.envs_loaded {
            match self.load_environments().await {
                Ok(()) => {}
                Err(e) if stops_the_poll(&e) => return Err(e),
                // said, and asked again next poll
                Err(e) => warnings.push(format!("environments: {e}")),
            }
        }

        // jobs: once per run and attempt, again while the run is active; a failure marks
        // that run only
        let ids: Vec<u64> = self.runs.iter().map(|r| r.id).collect();
        self.jobs.retain(|id, _| ids.contains(id));
        self.jobs_errors.retain(|id, _| ids.contains(id));
        self.pending.retain(|id, _| ids.contains(id));
        for i in 0..self.runs.len() {
            let run = &self.runs[i];
            let key = (run.updated_at, run.run_attempt);
            let fresh = self
                .jobs
                .get(&run.id)
                .is_some_and(|c| c.key == key && !run.status.is_running())
                && !self.jobs_errors.contains_key(&run.id);
            if fresh {
                continue;
            }
            let id = run.id;
            let url = self
                .client
                .repo_url(&format!("/actions/runs/{id}/jobs?per_page=100"));
            match self.client.get_pages(&url, 5, |p: JobList| p.jobs).await {
                Ok(jobs) => {
                    changed |= jobs.changed || self.jobs_errors.remove(&id).is_some();
                    self.jobs.insert(
                        id,
                        CachedJobs {
                            key,
                            jobs: jobs.value,
                        },
                    );
                }
                Err(e) if stops_the_poll(&e) => return Err(e),
                Err(e) => {
                    let text = e.to_string();
                    changed |= self.jobs_errors.get(&id) != Some(&text);
                    self.jobs_errors.insert(id, text);
                }
            }
        }

        // pending reviews of waiting runs
        for i in 0..self.runs.len() {
            let run = &self.runs[i];
            let id = run.id;
            if run.status != RunStatus::Waiting {
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
                Err(e) if stops_the_poll(&e) => return Err(e),
                // the run still shows as waiting; only who may approve is unknown
                Err(e) => warnings.push(format!("pending reviews of run {id}: {e}")),
            }
        }

        let reread_lists = deployments_due || runs_changed || active || was_active;
        match self.load_deployments(reread_lists, runs_changed).await {
            Ok(c) => changed |= c,
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
        let deps: Vec<u64> = self
            .deployments
            .values()
            .flat_map(|l| &l.deployments)
            .map(|d| d.id)
            .collect();
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
        let list = self
            .client
            .get_pages(&url, 3, |p: EnvironmentList| p.environments)
            .await?;
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
        self.envs_loaded = true;
        Ok(())
    }

    /// Each environment's deployments (`environment=` filter), newest first, paged until
    /// its latest success is found, with the latest status of each. A status that can
    /// still move on its own is asked again every poll (conditionally); final ones are
    /// kept. `lists`: re-read the lists too (else only the moving statuses).
    async fn load_deployments(&mut self, lists: bool, runs_changed: bool) -> Result<bool, GhError> {
        let mut changed = false;
        let envs: Vec<String> = self.env_order.iter().map(|(_, g)| g.clone()).collect();
        if lists {
            self.deployments_read = Some(std::time::Instant::now());
        }
        let mut read_now = Vec::new();
        for env in envs {
            if lists {
                let before = self.deployments.get(&env).cloned();
                let fresh = match self.read_env_deployments(&env, &mut read_now).await {
                    Ok(list) => list,
                    Err(e) if stops_the_poll(&e) => return Err(e),
                    Err(e) => EnvDeployments {
                        // what was read before stays, marked
                        error: Some(e.to_string()),
                        ..before.clone().unwrap_or_default()
                    },
                };
                changed |= before.as_ref() != Some(&fresh);
                self.deployments.insert(env.clone(), fresh);
            }
            // statuses of the deployments kept that can still move
            let ids: Vec<u64> = self
                .deployments
                .get(&env)
                .map(|l| l.deployments.iter().take(l.watched).map(|d| d.id).collect())
                .unwrap_or_default();
            for id in ids.into_iter().filter(|id| !read_now.contains(id)) {
                let moving = match self.statuses.get(&id).and_then(|s| s.first()) {
                    None => !self.statuses.contains_key(&id),
                    Some(s) => !s.is_final() && (s.state != "waiting" || runs_changed),
                };
                if !moving {
                    continue;
                }
                match self.read_statuses(id).await {
                    Ok(c) => changed |= c,
                    Err(e) if stops_the_poll(&e) => return Err(e),
                    Err(e) => {
                        if let Some(l) = self.deployments.get_mut(&env) {
                            let text = format!("statuses of deployment {id}: {e}");
                            changed |= l.error.as_deref() != Some(text.as_str());
                            l.error = Some(text);
                        }
                    }
                }
            }
        }
        let ids: Vec<u64> = self
            .deployments
            .values()
            .flat_map(|l| &l.deployments)
            .map(|d| d.id)
            .collect();
        self.statuses.retain(|id, _| ids.contains(id));
        // the run of each deployer not listed, read once by id for its number
        let wanted: Vec<u64> = self
            .statuses
            .values()
            .filter_map(|s| s.first()?.run_id())
            .filter(|id| !self.runs.iter().any(|r| r.id == *id))
            .filter(|id| !self.run_numbers.contains_key(id))
            .collect();
        for id in wanted {
            let url = self.client.repo_url(&format!("/actions/runs/{id}"));
            match self.client.get::<WorkflowRun>(&url).await {
                Ok(r) => {
                    self.run_numbers.insert(id, r.value.run_number);
                    changed = true;
                }
                Err(e) if stops_the_poll(&e) => return Err(e),
                // a deleted run: the deployer stays "run {id}"
                Err(_) => {}
            }
        }
        Ok(changed)
    }

    /// One environment's deployments, newest first, page after page until one whose
    /// latest status is `success` (what runs there) has been seen.
    async fn read_env_deployments(
        &mut self,
        env: &str,
        read_now: &mut Vec<u64>,
    ) -> Result<EnvDeployments, GhError> {
        let mut out = Vec::new();
        let mut next = Some(self.client.repo_url(&format!(
            "/deployments?environment={}&per_page={}",
            query_escape(env),
            self.cfg.deployments_per_page.clamp(1, 100)
        )));
        let mut pages = 0;
        let mut watched = 0;
        while let Some(url) = next.take() {
            let (page, link_next) = self.client.get_page::<Vec<Deployment>>(&url).await?;
            pages += 1;
            let mut found = false;
            for d in page {
                if found {
                    // the rest of the page: for the rollback count, no statuses needed
                    out.push(d);
                    continue;
                }
                let known_final = self
                    .statuses
                    .get(&d.id)
                    .and_then(|s| s.first())
                    .is_some_and(|s| s.is_final());
                if !known_final {
                    self.read_statuses(d.id).await?;
                    read_now.push(d.id);
                }
                let success = self
                    .statuses
                    .get(&d.id)
                    .and_then(|s| s.first())
                    .is_some_and(|s| s.state == "success");
                out.push(d);
                watched = out.len();
                if success {
                    found = true;
                }
            }
            if !found && pages < DEPLOYMENT_PAGES {
                next = link_next;
            }
        }
        Ok(EnvDeployments {
            deployments: out,
            watched,
            error: None,
        })
    }

    /// A deployment's statuses (newest first); whether they changed.
    async fn read_statuses(&mut self, id: u64) -> Result<bool, GhError> {
        let url = self
            .client
            .repo_url(&format!("/deployments/{id}/statuses?per_page=10"));
        let s = self.client.get::<Vec<DeploymentStatus>>(&url).await?;
        let changed = self.statuses.get(&id) != Some(&s.value);
        self.statuses.insert(id, s.value);
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
                jobs_error: self.jobs_errors.get(&r.id).cloned(),
            })
            .collect();
        let environments = environment_rows(
            &self.env_order,
            &self.env_ids,
            &runs,
            &self.deployments,
            &self.statuses,
            &self.run_numbers,
        );
        let all: Vec<Deployment> = self
            .deployments
            .values()
            .flat_map(|l| l.deployments.iter().cloned())
            .collect();
        PipelineSnapshot {
            repo: self.cfg.repo.clone(),
            stats: deploy_stats(&runs, &all),
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

fn page_has(runs: &[WorkflowRun], id: u64) -> bool {
    runs.iter().any(|r| r.id == id)
}

/// `s` as a query value (environment names may hold spaces and other characters).
fn query_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
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
