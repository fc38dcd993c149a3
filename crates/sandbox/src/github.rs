//! The simulated GitHub Actions API: one repository with a `deploy` workflow whose runs go
//! lint → test → build → deploy-dev → deploy-staging → (approval) → deploy-production.

use std::collections::HashMap;

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::rng::{Rng, fnv64};
use super::world::{ENVS, IMAGE_REPO, World, ts};

pub const REPO: &str = "acme/checkout";
pub const WORKFLOW_ID: u64 = 4_242_001;
pub const ENV_IDS: [u64; 3] = [161_001, 161_002, 161_003];
const RATE_LIMIT: u64 = 5000;

/// (job name, duration in ms, environment index, main step name)
const JOBS: [(&str, i64, Option<usize>, &str); 6] = [
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
    caller_reviews: bool,
    rng: Rng,
    next_id: u64,
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

    fn finish_deployment(&mut self, run_id: u64, env: usize, t: i64, state: &str) {
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

fn user_json(login: &str) -> Value {
    let id = fnv64(login.as_bytes()) % 10_000_000;
    json!({
        "login": login, "id": id, "node_id": format!("U_{id}"), "type": "User", "site_admin": false,
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{id}?v=4"),
        "html_url": format!("https://github.com/{login}"),
    })
}

fn env_json(api: &str, e: usize) -> Value {
    let name = ENVS[e].github_environment;
    json!({
        "id": ENV_IDS[e],
        "node_id": format!("EN_kwDO{}", ENV_IDS[e]),
        "name": name,
        "url": format!("{api}/repos/{REPO}/environments/{name}"),
        "html_url": format!("https://github.com/{REPO}/deployments/activity_log?environments_filter={name}"),
    })
}

fn run_json(api: &str, r: &Run) -> Value {
    let url = format!("{api}/repos/{REPO}/actions/runs/{}", r.id);
    let (owner, name) = REPO.split_once('/').unwrap_or(("acme", "checkout"));
    json!({
        "id": r.id,
        "name": "deploy",
        "node_id": format!("WFR_kwLO{}", r.id),
        "head_branch": r.branch,
        "head_sha": r.sha,
        "path": ".github/workflows/deploy.yml",
        "display_title": r.title,
        "run_number": r.number,
        "event": r.event,
        "status": r.status,
        "conclusion": r.conclusion,
        "workflow_id": WORKFLOW_ID,
        "check_suite_id": r.id + 17,
        "url": url,
        "html_url": format!("https://github.com/{REPO}/actions/runs/{}", r.id),
        "jobs_url": format!("{url}/jobs"),
        "logs_url": format!("{url}/logs"),
        "check_suite_url": format!("{api}/repos/{REPO}/check-suites/{}", r.id + 17),
        "artifacts_url": format!("{url}/artifacts"),
        "cancel_url": format!("{url}/cancel"),
        "rerun_url": format!("{url}/rerun"),
        "workflow_url": format!("{api}/repos/{REPO}/actions/workflows/{WORKFLOW_ID}"),
        "pull_requests": [],
        "created_at": ts(r.created_ms),
        "updated_at": ts(r.updated_ms),
        "run_started_at": ts(r.started_ms),
        "run_attempt": r.attempt,
        "actor": user_json("release-bot"),
        "triggering_actor": user_json("release-bot"),
        "head_commit": {
            "id": r.sha, "tree_id": r.sha.chars().rev().collect::<String>(),
            "message": r.title, "timestamp": ts(r.created_ms),
            "author": {"name": "Dana Dev", "email": "dana@acme.test"},
            "committer": {"name": "Dana Dev", "email": "dana@acme.test"},
        },
        "repository": {"id": 55_501, "node_id": "R_kgDO55501", "name": name, "full_name": REPO, "private": true, "owner": user_json(owner)},
    })
}

fn jobs_json(api: &str, r: &Run, now: i64) -> Vec<Value> {
    r.jobs
        .iter()
        .map(|j| {
            let (name, dur, _, main_step) = JOBS[j.idx];
            let id = r.id * 100 + r.attempt * 10 + j.idx as u64;
            let steps_def = [("Set up job", 0.05), ("Checkout", 0.1), (main_step, 0.75), ("Post Checkout", 0.05), ("Complete job", 0.05)];
            let mut acc = 0.0;
            let steps: Vec<Value> = steps_def
                .iter()
                .enumerate()
                .map(|(i, (sname, frac))| {
                    let (status, conclusion, st, ct) = match (j.started_ms, j.status.as_str()) {
                        (Some(s), "in_progress") | (Some(s), "completed") => {
                            let st = s + (dur as f64 * acc) as i64;
                            let ct = s + (dur as f64 * (acc + frac)) as i64;
                            let end = j.completed_ms.unwrap_or(i64::MAX);
                            if j.conclusion.as_deref() == Some("skipped") || (j.conclusion.as_deref() == Some("failure") && i > 2) {
                                ("completed", Some("skipped"), None, None)
                            } else if j.conclusion.as_deref() == Some("failure") && i == 2 {
                                ("completed", Some("failure"), Some(st), Some(end))
                            } else if j.conclusion.as_deref() == Some("cancelled") && ct > end {
                                ("completed", Some("cancelled"), Some(st), Some(end))
                            } else if ct <= now.min(end) || (j.status == "completed" && ct <= end + 1) {
                                ("completed", Some("success"), Some(st), Some(ct))
                            } else if st <= now {
                                ("in_progress", None, Some(st), None)
                            } else {
                                ("queued", None, None, None)
                            }
                        }
                        _ => ("queued", None, None, None),
                    };
                    acc += frac;
                    json!({
                        "name": sname, "status": status, "conclusion": conclusion, "number": i + 1,
                        "started_at": st.map(ts), "completed_at": ct.map(ts),
                    })
                })
                .collect();
            json!({
                "id": id,
                "run_id": r.id,
                "run_url": format!("{api}/repos/{REPO}/actions/runs/{}", r.id),
                "node_id": format!("CR_kwDO{id}"),
                "head_sha": r.sha,
                "head_branch": r.branch,
                "url": format!("{api}/repos/{REPO}/actions/jobs/{id}"),
                "html_url": format!("https://github.com/{REPO}/actions/runs/{}/job/{id}", r.id),
                "status": j.status,
                "conclusion": j.conclusion,
                "created_at": ts(r.created_ms),
                "started_at": ts(j.started_ms.unwrap_or(r.created_ms)),
                "completed_at": j.completed_ms.map(ts),
                "name": name,
                "workflow_name": "deploy",
                "run_attempt": r.attempt,
                "steps": if j.status == "queued" || j.status == "waiting" { json!([]) } else { json!(steps) },
                "labels": ["ubuntu-latest"],
                "runner_name": if j.started_ms.is_some() { json!(format!("GitHub Actions {}", j.idx + 2)) } else { Value::Null },
                "runner_group_name": if j.started_ms.is_some() { json!("GitHub Actions") } else { Value::Null },
            })
        })
        .collect()
}

fn deployment_json(api: &str, d: &GhDeployment) -> Value {
    let env = ENVS[d.env].github_environment;
    json!({
        "id": d.id,
        "node_id": format!("DE_kwDO{}", d.id),
        "url": format!("{api}/repos/{REPO}/deployments/{}", d.id),
        "statuses_url": format!("{api}/repos/{REPO}/deployments/{}/statuses", d.id),
        "repository_url": format!("{api}/repos/{REPO}"),
        "sha": d.sha,
        "ref": d.branch,
        "task": "deploy",
        "payload": {},
        "original_environment": env,
        "environment": env,
        "description": null,
        "creator": user_json("github-actions[bot]"),
        "created_at": ts(d.created_ms),
        "updated_at": ts(d.statuses.last().map(|s| s.2).unwrap_or(d.created_ms)),
        "transient_environment": false,
        "production_environment": d.env == 2,
    })
}

fn status_json(api: &str, d: &GhDeployment, s: &(u64, String, i64)) -> Value {
    json!({
        "id": s.0,
        "node_id": format!("DES_kwDO{}", s.0),
        "url": format!("{api}/repos/{REPO}/deployments/{}/statuses/{}", d.id, s.0),
        "state": s.1,
        "description": format!("Deployment {}", s.1),
        "environment": ENVS[d.env].github_environment,
        "target_url": format!("https://github.com/{REPO}/actions/runs/{}", d.run_id),
        "log_url": format!("https://github.com/{REPO}/actions/runs/{}", d.run_id),
        "environment_url": "",
        "created_at": ts(s.2),
        "updated_at": ts(s.2),
        "deployment_url": format!("{api}/repos/{REPO}/deployments/{}", d.id),
        "repository_url": format!("{api}/repos/{REPO}"),
        "creator": user_json("github-actions[bot]"),
    })
}

fn gh_error(status: StatusCode, msg: &str) -> (StatusCode, Value) {
    (
        status,
        json!({"message": msg, "documentation_url": "https://docs.github.com/rest", "status": status.as_u16().to_string()}),
    )
}

fn paginate(
    items: Vec<Value>,
    q: &HashMap<String, String>,
    url: &str,
) -> (Vec<Value>, Option<String>, usize) {
    let total = items.len();
    let per_page = q
        .get("per_page")
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(30)
        .clamp(1, 100);
    let page = q
        .get("page")
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let last = total.div_ceil(per_page).max(1);
    let out: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    let mut other: Vec<String> = q
        .iter()
        .filter(|(k, _)| *k != "page" && *k != "per_page")
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    other.sort();
    let mk = |p: usize, rel: &str| {
        let mut qs = other.clone();
        qs.push(format!("per_page={per_page}"));
        qs.push(format!("page={p}"));
        format!("<{url}?{}>; rel=\"{rel}\"", qs.join("&"))
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(mk(page - 1, "prev"));
    }
    if page < last {
        links.push(mk(page + 1, "next"));
        links.push(mk(last, "last"));
    }
    if page > 1 {
        links.push(mk(1, "first"));
    }
    (
        out,
        if links.is_empty() {
            None
        } else {
            Some(links.join(", "))
        },
        total,
    )
}

/// Answer one request under `/github`.
pub fn handle(
    w: &mut World,
    method: &Method,
    path: &str,
    q: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let now = w.now_ms;
    if now - w.github.window_start_ms >= 3_600_000 {
        w.github.window_start_ms = now;
        w.github.remaining = RATE_LIMIT;
    }
    let api = w.github.api_base.clone();
    w.github.caller_reviews = !headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_whitespace().nth(1))
        .is_some_and(|t| t.starts_with("viewer"));
    let segs: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let mut link = None;
    let (status, body_json): (StatusCode, Value) = if w.github.remaining == 0 {
        gh_error(
            StatusCode::FORBIDDEN,
            "API rate limit exceeded for user. (But here's the good news: authenticated requests get a higher rate limit.)",
        )
    } else {
        route(w, method, &segs, q, body, &api, now, &mut link)
    };
    let reset_s = (w.github.window_start_ms + 3_600_000) / 1000;
    let text = if status == StatusCode::NO_CONTENT {
        String::new()
    } else {
        body_json.to_string()
    };
    let etag = format!("W/\"{:016x}\"", fnv64(text.as_bytes()));
    let not_modified = *method == Method::GET
        && status == StatusCode::OK
        && headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(',')
                    .any(|t| t.trim() == etag || t.trim() == etag.trim_start_matches("W/"))
            })
            .unwrap_or(false);
    if !not_modified {
        w.github.remaining = w.github.remaining.saturating_sub(1);
    }
    let mut resp = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else if text.is_empty() {
        status.into_response()
    } else {
        (
            status,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            text,
        )
            .into_response()
    };
    let h = resp.headers_mut();
    let put = |h: &mut HeaderMap, k: &'static str, v: String| {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    };
    if *method == Method::GET && (status == StatusCode::OK || not_modified) {
        put(h, "etag", etag);
    }
    put(h, "x-ratelimit-limit", RATE_LIMIT.to_string());
    put(h, "x-ratelimit-remaining", w.github.remaining.to_string());
    put(
        h,
        "x-ratelimit-used",
        (RATE_LIMIT - w.github.remaining).to_string(),
    );
    put(h, "x-ratelimit-reset", reset_s.to_string());
    put(h, "x-ratelimit-resource", "core".to_string());
    put(h, "x-github-api-version-selected", "2022-11-28".to_string());
    if let Some(l) = link {
        put(h, "link", l);
    }
    resp
}

#[allow(clippy::too_many_arguments)]
fn route(
    w: &mut World,
    method: &Method,
    segs: &[&str],
    q: &HashMap<String, String>,
    body: &[u8],
    api: &str,
    now: i64,
    link: &mut Option<String>,
) -> (StatusCode, Value) {
    let not_found = || gh_error(StatusCode::NOT_FOUND, "Not Found");
    if segs == ["rate_limit"] {
        let core = json!({"limit": RATE_LIMIT, "remaining": w.github.remaining, "used": RATE_LIMIT - w.github.remaining, "reset": (w.github.window_start_ms + 3_600_000) / 1000, "resource": "core"});
        return (
            StatusCode::OK,
            json!({"resources": {"core": core}, "rate": core}),
        );
    }
    if segs.len() < 3 || segs[0] != "repos" || format!("{}/{}", segs[1], segs[2]) != REPO {
        return not_found();
    }
    let rest = &segs[3..];
    let gh = &mut w.github;
    match (method.clone(), rest) {
        (Method::GET, []) => (
            StatusCode::OK,
            json!({"id": 55_501, "name": "checkout", "full_name": REPO, "private": true, "default_branch": "main"}),
        ),
        (Method::GET, ["environments"]) => {
            let envs: Vec<Value> = (0..3)
                .map(|e| {
                    let mut v = env_json(api, e);
                    v["created_at"] = json!(ts(now - 400 * 86_400_000));
                    v["updated_at"] = json!(ts(now - 30 * 86_400_000));
                    v["protection_rules"] = if e == 2 {
                        json!([{"id": 3_001, "node_id": "GA_kwDO3001", "type": "required_reviewers", "prevent_self_review": false,
                                "reviewers": [{"type": "User", "reviewer": user_json("oncall-lead")}]}])
                    } else {
                        json!([])
                    };
                    v["deployment_branch_policy"] = Value::Null;
                    v
                })
                .collect();
            (
                StatusCode::OK,
                json!({"total_count": 3, "environments": envs}),
            )
        }
        (Method::GET, ["actions", "runs"]) | (Method::GET, ["actions", "workflows", _, "runs"]) => {
            if let ["actions", "workflows", wf, "runs"] = rest
                && *wf != WORKFLOW_ID.to_string()
                && *wf != "deploy.yml"
            {
                return not_found();
            }
            let items: Vec<Value> = gh
                .runs
                .iter()
                .rev()
                .filter(|r| r.created_ms <= now)
                .filter(|r| q.get("branch").map(|b| *b == r.branch).unwrap_or(true))
                .filter(|r| q.get("event").map(|b| *b == r.event).unwrap_or(true))
                .filter(|r| {
                    q.get("status")
                        .map(|s| *s == r.status || Some(s.as_str()) == r.conclusion.as_deref())
                        .unwrap_or(true)
                })
                .filter(|r| q.get("head_sha").map(|s| *s == r.sha).unwrap_or(true))
                .map(|r| run_json(api, r))
                .collect();
            let (page, l, total) = paginate(items, q, &format!("{api}/repos/{REPO}/actions/runs"));
            *link = l;
            (
                StatusCode::OK,
                json!({"total_count": total, "workflow_runs": page}),
            )
        }
        (m, ["actions", "runs", id, tail @ ..]) => {
            let Some(ri) = id
                .parse::<u64>()
                .ok()
                .and_then(|id| gh.runs.iter().position(|r| r.id == id))
            else {
                return not_found();
            };
            match (m, tail) {
                (Method::GET, []) => (StatusCode::OK, run_json(api, &gh.runs[ri])),
                (Method::GET, ["jobs"]) => {
                    let items = jobs_json(api, &gh.runs[ri], now);
                    let (page, l, total) = paginate(
                        items,
                        q,
                        &format!("{api}/repos/{REPO}/actions/runs/{id}/jobs"),
                    );
                    *link = l;
                    (StatusCode::OK, json!({"total_count": total, "jobs": page}))
                }
                (Method::GET, ["approvals"]) => (StatusCode::OK, json!(gh.runs[ri].approvals)),
                (Method::GET, ["pending_deployments"]) => {
                    let can_approve = gh.caller_reviews;
                    let run = &gh.runs[ri];
                    let items: Vec<Value> = run
                        .jobs
                        .iter()
                        .filter(|j| j.status == "waiting")
                        .filter_map(|j| JOBS[j.idx].2)
                        .map(|e| {
                            let started = run.jobs[..].iter().rev().find_map(|j| j.completed_ms).unwrap_or(run.created_ms);
                            json!({
                                "environment": env_json(api, e),
                                "wait_timer": 0,
                                "wait_timer_started_at": ts(started),
                                "current_user_can_approve": can_approve,
                                "reviewers": [{"type": "User", "reviewer": user_json("oncall-lead")}],
                            })
                        })
                        .collect();
                    (StatusCode::OK, json!(items))
                }
                (Method::POST, ["pending_deployments"]) => review(w, ri, body, api),
                (Method::POST, ["cancel"]) | (Method::POST, ["force-cancel"]) => {
                    let run = &mut gh.runs[ri];
                    if run.status == "completed" {
                        return gh_error(
                            StatusCode::CONFLICT,
                            "Cannot cancel a workflow run that is completed.",
                        );
                    }
                    run.status = "completed".into();
                    run.conclusion = Some("cancelled".into());
                    run.updated_ms = now;
                    for j in run.jobs.iter_mut().filter(|j| j.status != "completed") {
                        j.status = "completed".into();
                        j.conclusion = Some("cancelled".into());
                        j.completed_ms = Some(now);
                    }
                    (StatusCode::ACCEPTED, json!({}))
                }
                (Method::POST, ["rerun"]) | (Method::POST, ["rerun-failed-jobs"]) => {
                    let only_failed = tail == ["rerun-failed-jobs"];
                    let run = &mut gh.runs[ri];
                    if run.status != "completed" {
                        return gh_error(StatusCode::FORBIDDEN, "This workflow is already running");
                    }
                    let from = if only_failed {
                        match run.jobs.iter().position(|j| {
                            matches!(j.conclusion.as_deref(), Some("failure") | Some("cancelled"))
                        }) {
                            Some(i) => i,
                            None => {
                                return gh_error(
                                    StatusCode::FORBIDDEN,
                                    "This workflow run cannot be retried: it has no failed jobs",
                                );
                            }
                        }
                    } else {
                        0
                    };
                    run.attempt += 1;
                    run.status = "queued".into();
                    run.conclusion = None;
                    run.fail_job = None;
                    run.started_ms = now;
                    run.updated_ms = now;
                    for j in run.jobs.iter_mut().skip(from) {
                        *j = Job {
                            idx: j.idx,
                            status: "queued".into(),
                            conclusion: None,
                            started_ms: None,
                            completed_ms: None,
                            approved: false,
                        };
                    }
                    (StatusCode::CREATED, json!({}))
                }
                _ => not_found(),
            }
        }
        (Method::GET, ["deployments"]) => {
            let items: Vec<Value> = gh
                .deployments
                .iter()
                .rev()
                .filter(|d| {
                    q.get("environment")
                        .map(|e| e == ENVS[d.env].github_environment)
                        .unwrap_or(true)
                })
                .filter(|d| q.get("sha").map(|s| *s == d.sha).unwrap_or(true))
                .filter(|d| q.get("ref").map(|s| *s == d.branch).unwrap_or(true))
                .map(|d| deployment_json(api, d))
                .collect();
            let (page, l, _) = paginate(items, q, &format!("{api}/repos/{REPO}/deployments"));
            *link = l;
            (StatusCode::OK, json!(page))
        }
        (Method::GET, ["deployments", id]) => {
            match gh
                .deployments
                .iter()
                .find(|d| id.parse::<u64>().ok() == Some(d.id))
            {
                Some(d) => (StatusCode::OK, deployment_json(api, d)),
                None => not_found(),
            }
        }
        (Method::GET, ["deployments", id, "statuses"]) => {
            match gh
                .deployments
                .iter()
                .find(|d| id.parse::<u64>().ok() == Some(d.id))
            {
                Some(d) => {
                    let items: Vec<Value> = d
                        .statuses
                        .iter()
                        .rev()
                        .map(|s| status_json(api, d, s))
                        .collect();
                    let (page, l, _) = paginate(
                        items,
                        q,
                        &format!("{api}/repos/{REPO}/deployments/{id}/statuses"),
                    );
                    *link = l;
                    (StatusCode::OK, json!(page))
                }
                None => not_found(),
            }
        }
        _ => not_found(),
    }
}

fn review(w: &mut World, ri: usize, body: &[u8], api: &str) -> (StatusCode, Value) {
    let invalid = |m: &str| {
        gh_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("Invalid request.\n\n{m}"),
        )
    };
    if !w.github.caller_reviews {
        // the sandbox's own wording; GitHub refuses a non-reviewer with a 4xx too
        return gh_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "You are not a required reviewer of these environments.",
        );
    }
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return gh_error(StatusCode::BAD_REQUEST, "Problems parsing JSON");
    };
    let Some(ids) = v.get("environment_ids").and_then(Value::as_array) else {
        return invalid("\"environment_ids\" wasn't supplied.");
    };
    let ids: Option<Vec<u64>> = ids.iter().map(Value::as_u64).collect();
    let Some(ids) = ids.filter(|i| !i.is_empty()) else {
        return invalid("For 'properties/environment_ids', the items must be integers.");
    };
    let Some(state) = v.get("state").and_then(Value::as_str) else {
        return invalid("\"state\" wasn't supplied.");
    };
    if state != "approved" && state != "rejected" {
        return invalid(
            "For 'properties/state', it is not one of the allowed values: approved, rejected.",
        );
    }
    let Some(comment) = v.get("comment").and_then(Value::as_str) else {
        return invalid("\"comment\" wasn't supplied.");
    };
    let now = w.now_ms;
    let run = &mut w.github.runs[ri];
    let mut hits = Vec::new();
    for j in run.jobs.iter_mut().filter(|j| j.status == "waiting") {
        if let Some(e) = JOBS[j.idx].2
            && ids.contains(&ENV_IDS[e])
        {
            hits.push(e);
            if state == "approved" {
                j.approved = true;
                j.status = "queued".into();
            } else {
                j.status = "completed".into();
                j.conclusion = Some("failure".into());
                j.started_ms = Some(now);
                j.completed_ms = Some(now);
            }
        }
    }
    if hits.is_empty() {
        return invalid(
            "No pending deployment requests to approve or reject for the given environment_ids.",
        );
    }
    run.approvals.push(json!({
        "environments": hits.iter().map(|e| env_json(api, *e)).collect::<Vec<_>>(),
        "state": state, "comment": comment, "user": user_json("oncall-lead"),
    }));
    if state == "rejected" {
        let run_id = run.id;
        for k in 0..run.jobs.len() {
            if run.jobs[k].status != "completed" {
                run.jobs[k].status = "completed".into();
                run.jobs[k].conclusion = Some("skipped".into());
            }
        }
        run.status = "completed".into();
        run.conclusion = Some("failure".into());
        run.updated_ms = now;
        for e in &hits {
            w.github.finish_deployment(run_id, *e, now, "failure");
        }
    }
    let run_id = w.github.runs[ri].id;
    // the deploy job starts right away
    w.step(0);
    let deps: Vec<Value> = w
        .github
        .deployments
        .iter()
        .filter(|d| d.run_id == run_id && hits.contains(&d.env))
        .map(|d| deployment_json(api, d))
        .collect();
    (StatusCode::OK, json!(deps))
}
