//! The simulated GitHub Actions repository: one repository with a `deploy` workflow whose
//! runs go lint → test → build → deploy-dev → deploy-staging → (approval) →
//! deploy-production, its deployments, and the users and environments as GitHub writes
//! them. Served over HTTP by `crate::github`.

use serde_json::{Value, json};

use super::cast::{ENVS, IMAGE_REPO};
use crate::rng::{Rng, fnv64};

pub const REPO: &str = "acme/checkout";
pub const WORKFLOW_ID: u64 = 4_242_001;
pub const ENV_IDS: [u64; 3] = [161_001, 161_002, 161_003];
pub const RATE_LIMIT: u64 = 5000;
/// The `staging` environment's wait timer, in minutes: a deploy there waits this long,
/// with nobody to approve, then goes on by itself.
pub const STAGING_WAIT_MINUTES: i64 = 1;

/// (job name, duration in ms, environment index, main step name)
pub const JOBS: [(&str, i64, Option<usize>, &str); 6] = [
    ("lint", 40_000, None, "Run cargo clippy"),
    ("test", 180_000, None, "Run tests"),
    ("build", 240_000, None, "Build and push image"),
    ("deploy-dev", 60_000, Some(0), "Deploy to development"),
    ("deploy-staging", 60_000, Some(1), "Deploy to staging"),
    ("deploy-production", 90_000, Some(2), "Deploy to production"),
];

#[derive(Debug, Clone)]
pub struct Job {
    pub idx: usize,
    pub status: String,
    pub conclusion: Option<String>,
    pub started_ms: Option<i64>,
    pub completed_ms: Option<i64>,
    pub approved: bool,
    /// When its environment's wait timer started, while it waits for one.
    pub wait_from_ms: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Run {
    pub id: u64,
    pub number: u64,
    pub branch: String,
    pub sha: String,
    pub title: String,
    pub event: String,
    pub tag: String,
    pub attempt: u64,
    pub created_ms: i64,
    pub started_ms: i64,
    pub updated_ms: i64,
    pub status: String,
    pub conclusion: Option<String>,
    pub jobs: Vec<Job>,
    pub deploys: bool,
    pub fail_job: Option<usize>,
    pub approvals: Vec<Value>,
}

#[derive(Debug, Clone)]
pub struct GhDeployment {
    pub id: u64,
    pub env: usize,
    pub sha: String,
    pub branch: String,
    pub created_ms: i64,
    pub run_id: u64,
    pub statuses: Vec<(u64, String, i64)>,
}

pub struct DeployAction {
    pub namespace: &'static str,
    pub image: String,
    pub cause: String,
}

pub struct GitHub {
    pub runs: Vec<Run>,
    pub deployments: Vec<GhDeployment>,
    pub api_base: String,
    pub remaining: u64,
    pub window_start_ms: i64,
    /// Whether the caller of the request being answered is a required reviewer: a token
    /// that starts with `viewer` is someone who may read but not approve.
    pub caller_reviews: bool,
    /// Requests answered so far, and how many of them were `304 Not Modified` (what a
    /// test counts on the server's side, not with the client's own counters).
    pub served: u64,
    pub not_modified: u64,
    rng: Rng,
    next_id: u64,
}

pub fn user_json(login: &str) -> Value {
    let id = fnv64(login.as_bytes()) % 10_000_000;
    json!({
        "login": login, "id": id, "node_id": format!("U_{id}"), "type": "User", "site_admin": false,
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{id}?v=4"),
        "html_url": format!("https://github.com/{login}"),
    })
}

pub fn env_json(api: &str, e: usize) -> Value {
    let name = ENVS[e].github_environment;
    json!({
        "id": ENV_IDS[e],
        "node_id": format!("EN_kwDO{}", ENV_IDS[e]),
        "name": name,
        "url": format!("{api}/repos/{REPO}/environments/{name}"),
        "html_url": format!("https://github.com/{REPO}/deployments/activity_log?environments_filter={name}"),
    })
}

fn fresh_jobs() -> Vec<Job> {
    (0..JOBS.len())
        .map(|idx| Job {
            idx,
            status: "queued".into(),
            conclusion: None,
            started_ms: None,
            completed_ms: None,
            approved: false,
            wait_from_ms: None,
        })
        .collect()
}

impl GitHub {
    pub fn new(seed: u64) -> GitHub {
        GitHub {
            runs: Vec::new(),
            deployments: Vec::new(),
            api_base: String::new(),
            remaining: RATE_LIMIT,
            window_start_ms: 0,
            caller_reviews: true,
            served: 0,
            not_modified: 0,
            rng: Rng::new(seed ^ 0x617),
            next_id: 1,
        }
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        1_900_000_000 + self.next_id * 7
    }

    fn new_run(&mut self, number: u64, tag: &str, branch: &str, event: &str, created: i64) -> Run {
        let sha = self.rng.hex(40);
        let title = if event == "pull_request" {
            format!("Add gift cards ({})", &sha[..7])
        } else {
            format!("Release {tag}")
        };
        Run {
            id: 9_100_000_000 + number * 1013,
            number,
            branch: branch.into(),
            sha,
            title,
            event: event.into(),
            tag: tag.into(),
            attempt: 1,
            created_ms: created,
            started_ms: created,
            updated_ms: created,
            status: "queued".into(),
            conclusion: None,
            jobs: fresh_jobs(),
            deploys: event == "push" && branch == "main",
            fail_job: None,
            approvals: Vec::new(),
        }
    }

    /// Past runs, all finished.
    pub fn seed_history(&mut self, now: i64) {
        let hist: [(u64, &str, &str, &str, Option<usize>); 6] = [
            (121, "1.7.0", "main", "push", None),
            (122, "", "feat/gift-cards", "pull_request", None),
            (123, "1.7.1", "main", "push", None),
            (124, "1.7.2-rc1", "main", "push", Some(1)),
            (125, "", "feat/gift-cards", "pull_request", Some(0)),
            (126, "1.7.2", "main", "push", None),
        ];
        for (i, (num, tag, branch, event, fail)) in hist.into_iter().enumerate() {
            let created = now - (6 - i as i64) * 10 * 3_600_000 - 86_400_000;
            let mut run = self.new_run(num, tag, branch, event, created);
            run.fail_job = fail;
            for j in run.jobs.iter_mut() {
                j.approved = true;
            }
            self.runs.push(run);
            // run it to completion
            let mut t = created;
            while self
                .runs
                .last()
                .map(|r| r.status != "completed")
                .unwrap_or(false)
                && t < now
            {
                t += 10_000;
                self.step(t);
            }
            // GitHub touches a run long after it ended (a check suite re-requested, logs
            // expiring): `updated_at` is no end time
            if let Some(r) = self.runs.last_mut() {
                r.updated_ms = r.updated_ms.max(now - 2 * 3_600_000);
            }
        }
    }

    /// Start a release run of `tag` at `start_ms`; production waits for approval unless
    /// `needs_approval` is false (then it was approved by someone already).
    pub fn start_release(&mut self, start_ms: i64, tag: &str, number: u64, needs_approval: bool) {
        let mut run = self.new_run(number, tag, "main", "push", start_ms);
        if !needs_approval {
            for j in run.jobs.iter_mut() {
                j.approved = true;
            }
            run.approvals.push(json!({
                "environments": [env_json(&self.api_base, 2)],
                "state": "approved",
                "comment": "ship it",
                "user": user_json("oncall-lead"),
            }));
        }
        self.runs.push(run);
    }

    #[allow(clippy::needless_range_loop)]
    pub fn step(&mut self, now: i64) -> Vec<DeployAction> {
        let mut actions = Vec::new();
        for ri in 0..self.runs.len() {
            if self.runs[ri].status == "completed" || self.runs[ri].created_ms > now {
                continue;
            }
            let mut t = self.runs[ri].created_ms.max(self.runs[ri].started_ms);
            let mut finished = true;
            for ji in 0..JOBS.len() {
                let (_, dur, env, _) = JOBS[ji];
                let run = &self.runs[ri];
                let job = run.jobs[ji].clone();
                if job.status == "completed" {
                    t = job.completed_ms.unwrap_or(t);
                    continue;
                }
                if env.is_some() && !run.deploys {
                    let j = &mut self.runs[ri].jobs[ji];
                    j.status = "completed".into();
                    j.conclusion = Some("skipped".into());
                    j.started_ms = Some(t);
                    j.completed_ms = Some(t);
                    continue;
                }
                if job.status == "queued" || job.status == "waiting" {
                    if env == Some(2) && !job.approved {
                        if job.status != "waiting" {
                            self.runs[ri].jobs[ji].status = "waiting".into();
                            self.runs[ri].status = "waiting".into();
                            self.runs[ri].updated_ms = t;
                            let dep = self.new_deployment(ri, 2, t, "waiting");
                            self.deployments.push(dep);
                        }
                        finished = false;
                        break;
                    }
                    if env == Some(1) && !job.approved {
                        // staging's wait timer: nobody approves, it ends by itself
                        let from = job.wait_from_ms.unwrap_or(t);
                        let end = from + STAGING_WAIT_MINUTES * 60_000;
                        if job.status != "waiting" {
                            let j = &mut self.runs[ri].jobs[ji];
                            j.status = "waiting".into();
                            j.wait_from_ms = Some(from);
                            self.runs[ri].status = "waiting".into();
                            self.runs[ri].updated_ms = from;
                            let dep = self.new_deployment(ri, 1, from, "waiting");
                            self.deployments.push(dep);
                        }
                        if now < end {
                            finished = false;
                            break;
                        }
                        self.runs[ri].jobs[ji].approved = true;
                        t = end;
                    }
                    let start = t.max(job.started_ms.unwrap_or(0));
                    let j = &mut self.runs[ri].jobs[ji];
                    j.status = "in_progress".into();
                    j.started_ms = Some(start);
                    self.runs[ri].status = "in_progress".into();
                    self.runs[ri].updated_ms = start;
                    if let Some(e) = env {
                        let tag = self.runs[ri].tag.clone();
                        let number = self.runs[ri].number;
                        let sha = self.runs[ri].sha.clone();
                        // a waiting deployment is reused; otherwise a new one
                        let existing = self
                            .deployments
                            .iter_mut()
                            .rev()
                            .find(|d| d.run_id == self.runs[ri].id && d.env == e);
                        let sid = 7_000_000_000 + self.next_id;
                        self.next_id += 1;
                        match existing {
                            Some(d) => d.statuses.push((sid, "in_progress".into(), start)),
                            None => {
                                let dep = self.new_deployment(ri, e, start, "in_progress");
                                self.deployments.push(dep);
                            }
                        }
                        actions.push(DeployAction {
                            namespace: ENVS[e].namespace,
                            image: format!("{IMAGE_REPO}:{tag}"),
                            cause: format!("deploy run #{number} ({})", &sha[..7]),
                        });
                    }
                }
                let started = self.runs[ri].jobs[ji].started_ms.unwrap_or(t);
                if now >= started + dur {
                    let fail = self.runs[ri].fail_job == Some(ji);
                    let end = started + dur;
                    let j = &mut self.runs[ri].jobs[ji];
                    j.status = "completed".into();
                    j.conclusion = Some(if fail { "failure" } else { "success" }.into());
                    j.completed_ms = Some(end);
                    self.runs[ri].updated_ms = end;
                    if let Some(e) = env {
                        self.finish_deployment(
                            self.runs[ri].id,
                            e,
                            end,
                            if fail { "failure" } else { "success" },
                        );
                    }
                    t = end;
                    if fail {
                        for k in ji + 1..JOBS.len() {
                            let j = &mut self.runs[ri].jobs[k];
                            j.status = "completed".into();
                            j.conclusion = Some("skipped".into());
                            j.started_ms = Some(end);
                            j.completed_ms = Some(end);
                        }
                        break;
                    }
                } else {
                    finished = false;
                    break;
                }
            }
            if finished {
                let run = &mut self.runs[ri];
                let failed = run
                    .jobs
                    .iter()
                    .any(|j| j.conclusion.as_deref() == Some("failure"));
                run.status = "completed".into();
                run.conclusion = Some(if failed { "failure" } else { "success" }.into());
            }
        }
        actions
    }

    fn new_deployment(&mut self, ri: usize, env: usize, t: i64, state: &str) -> GhDeployment {
        let id = self.id();
        let sid = self.id();
        GhDeployment {
            id,
            env,
            sha: self.runs[ri].sha.clone(),
            branch: self.runs[ri].branch.clone(),
            created_ms: t,
            run_id: self.runs[ri].id,
            statuses: vec![(sid, state.to_string(), t)],
        }
    }

    pub fn finish_deployment(&mut self, run_id: u64, env: usize, t: i64, state: &str) {
        let sid = self.id();
        let mut prev_ids = Vec::new();
        if let Some(d) = self
            .deployments
            .iter_mut()
            .rev()
            .find(|d| d.run_id == run_id && d.env == env)
        {
            d.statuses.push((sid, state.to_string(), t));
            prev_ids.push(d.id);
        }
        if state == "success" {
            let sid2 = self.id();
            for d in self
                .deployments
                .iter_mut()
                .filter(|d| d.env == env && !prev_ids.contains(&d.id))
            {
                if d.statuses.last().map(|s| s.1 == "success").unwrap_or(false) {
                    d.statuses.push((sid2, "inactive".into(), t));
                }
            }
        }
    }

    pub fn summary(&self) -> Value {
        json!(self.runs.iter().rev().take(3).map(|r| json!({
            "id": r.id, "run_number": r.number, "status": r.status, "conclusion": r.conclusion, "title": r.title,
            "jobs": r.jobs.iter().map(|j| format!("{}:{}", JOBS[j.idx].0, j.conclusion.clone().unwrap_or(j.status.clone()))).collect::<Vec<_>>(),
        })).collect::<Vec<_>>())
    }
}
