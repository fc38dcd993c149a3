//! The simulated GitHub Actions API over HTTP: runs, jobs, environments and deployments of
//! the repository `world::github` simulates, as GitHub's REST answers them, with its paging
//! (Link headers), rate-limit headers, ETags and the approval review.

use std::collections::HashMap;

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::rng::fnv64;
use crate::world::github::{
    ENV_IDS, GhDeployment, JOBS, Job, RATE_LIMIT, REPO, Run, STAGING_WAIT_MINUTES, WORKFLOW_ID,
    env_json, user_json,
};
use crate::world::{ENVS, World, ts};

/// The login of every token but `viewer…` ones: the production environment's required
/// reviewer.
pub const REVIEWER_LOGIN: &str = "oncall-lead";
/// The login of a `viewer…` token: may read, may not review.
pub const VIEWER_LOGIN: &str = "release-viewer";

/// Names a test gives the workflow, the actor and the jobs in place of the simulated ones
/// (`POST /_sandbox/github/names`): how a client treats whatever text GitHub hands it.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Names {
    /// The workflow's name (`deploy` otherwise).
    pub workflow: Option<String>,
    /// The login of the run's actor (`release-bot` otherwise).
    pub actor: Option<String>,
    /// Appended to every job's and its main step's name.
    pub job_suffix: Option<String>,
}

fn run_json(api: &str, r: &Run, names: &Names) -> Value {
    let url = format!("{api}/repos/{REPO}/actions/runs/{}", r.id);
    let (owner, name) = REPO.split_once('/').unwrap_or(("acme", "checkout"));
    json!({
        "id": r.id,
        "name": names.workflow.as_deref().unwrap_or("deploy"),
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
        "actor": user_json(names.actor.as_deref().unwrap_or("release-bot")),
        "triggering_actor": user_json(names.actor.as_deref().unwrap_or("release-bot")),
        "head_commit": {
            "id": r.sha, "tree_id": r.sha.chars().rev().collect::<String>(),
            "message": r.title, "timestamp": ts(r.created_ms),
            "author": {"name": "Dana Dev", "email": "dana@acme.test"},
            "committer": {"name": "Dana Dev", "email": "dana@acme.test"},
        },
        "repository": {"id": 55_501, "node_id": "R_kgDO55501", "name": name, "full_name": REPO, "private": true, "owner": user_json(owner)},
    })
}

fn jobs_json(api: &str, r: &Run, now: i64, names: &Names) -> Vec<Value> {
    let suffix = names.job_suffix.as_deref().unwrap_or("");
    r.jobs
        .iter()
        .map(|j| {
            let (name, dur, _, main_step) = JOBS[j.idx];
            let name = format!("{name}{suffix}");
            let main_step = format!("{main_step}{suffix}");
            let main_step = main_step.as_str();
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
                "workflow_name": names.workflow.as_deref().unwrap_or("deploy"),
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
    names: &Names,
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
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_whitespace().nth(1))
        .map(str::to_owned);
    w.github.caller_reviews = !token.as_deref().is_some_and(|t| t.starts_with("viewer"));
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
    } else if segs == ["user"] && *method == Method::GET {
        // who the token is: the reviewer, or the viewer for `viewer…` tokens
        match token {
            None => gh_error(StatusCode::UNAUTHORIZED, "Requires authentication"),
            Some(_) if !w.github.caller_reviews => (StatusCode::OK, user_json(VIEWER_LOGIN)),
            Some(_) => (StatusCode::OK, user_json(REVIEWER_LOGIN)),
        }
    } else {
        route(w, names, method, &segs, q, body, &api, now, &mut link)
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
    w.github.served += 1;
    if not_modified {
        w.github.not_modified += 1;
    } else {
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
    names: &Names,
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
                                "reviewers": [{"type": "User", "reviewer": user_json(REVIEWER_LOGIN)}]}])
                    } else if e == 1 {
                        json!([{"id": 3_002, "node_id": "GA_kwDO3002", "type": "wait_timer", "wait_timer": STAGING_WAIT_MINUTES}])
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
                .map(|r| run_json(api, r, names))
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
                (Method::GET, []) => (StatusCode::OK, run_json(api, &gh.runs[ri], names)),
                (Method::GET, ["jobs"]) => {
                    let items = jobs_json(api, &gh.runs[ri], now, names);
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
                        .filter_map(|j| Some((JOBS[j.idx].2?, j.wait_from_ms)))
                        .map(|(e, wait_from)| {
                            let started = run.jobs[..].iter().rev().find_map(|j| j.completed_ms).unwrap_or(run.created_ms);
                            if e == 1 {
                                // staging: a wait timer and no reviewers
                                return json!({
                                    "environment": env_json(api, e),
                                    "wait_timer": STAGING_WAIT_MINUTES,
                                    "wait_timer_started_at": ts(wait_from.unwrap_or(started)),
                                    "current_user_can_approve": false,
                                    "reviewers": [],
                                });
                            }
                            json!({
                                "environment": env_json(api, e),
                                "wait_timer": 0,
                                "wait_timer_started_at": ts(started),
                                "current_user_can_approve": can_approve,
                                "reviewers": [{"type": "User", "reviewer": user_json(REVIEWER_LOGIN)}],
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
                            wait_from_ms: None,
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
        "state": state, "comment": comment, "user": user_json(REVIEWER_LOGIN),
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
