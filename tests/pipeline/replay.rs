//! The GitHub Actions source and the Pipeline pane against GitHub's own response shapes
//! (`fixtures/`, each named in its README), replayed over loopback the way GitHub serves
//! them: `per_page`/`page` with a `Link` header, the `status=` and `environment=` filters,
//! ETags answered 304, and GitHub's error bodies.

use crate::support::common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use flightdeck::app::state::State;
use flightdeck::app::{Event, update};
use flightdeck::sources::github::poll::PollOutcome;
use flightdeck::sources::github::snapshot::{PipelineSnapshot, PipelineUpdate};
use flightdeck::sources::github::{PollConfig, Poller, Token, TokenSetting};
use serde_json::{Value, json};

const REPO: &str = "octo-org/octo-repo";
const TOKEN: &str = "ghp_replay";

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/pipeline/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn error_body(which: &str) -> Value {
    fixture("errors.json")[which].clone()
}

/// What one route answers: a body (paged and filtered where GitHub pages and filters it),
/// or an error status with GitHub's error body.
#[derive(Clone)]
enum Answer {
    Json(Value),
    Error(u16, Value),
}

#[derive(Clone, Default)]
struct Routes {
    /// `GET path` or `POST path` (path under `/repos/{REPO}`, no query) → answer.
    map: Arc<Mutex<HashMap<String, Answer>>>,
    /// Every request: method, path and query.
    seen: Arc<Mutex<Vec<String>>>,
}

impl Routes {
    fn set(&self, key: &str, a: Answer) {
        self.map.lock().unwrap().insert(key.to_owned(), a);
    }

    fn json(&self, key: &str, v: Value) {
        self.set(key, Answer::Json(v));
    }

    fn hits(&self, needle: &str) -> usize {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.contains(needle))
            .count()
    }
}

struct Replay {
    url: String,
    routes: Routes,
}

fn weak_etag(text: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    format!("W/\"{:016x}\"", h.finish())
}

fn query_map(uri: &Uri) -> Vec<(String, String)> {
    uri.query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_owned(), v.replace("%20", " "))
        })
        .collect()
}

/// GitHub's answer to `uri` from `answer`: the `status=`/`environment=` filters, then
/// paging with a `Link` header, then an ETag (304 when it matches `If-None-Match`).
fn answer(base: &str, uri: &Uri, h: &HeaderMap, a: Answer) -> Response {
    let body = match a {
        Answer::Error(status, body) => {
            return (
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                body.to_string(),
            )
                .into_response();
        }
        Answer::Json(v) => v,
    };
    let q = query_map(uri);
    let get = |k: &str| q.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
    // the list inside the answer, if it is a list GitHub pages
    let (mut items, field) = match &body {
        Value::Array(a) => (a.clone(), None),
        Value::Object(o) => {
            match ["workflow_runs", "jobs", "environments"]
                .into_iter()
                .find(|f| o.get(*f).is_some_and(Value::is_array))
            {
                Some(f) => (o[f].as_array().cloned().unwrap_or_default(), Some(f)),
                None => (Vec::new(), Some("")),
            }
        }
        _ => (Vec::new(), Some("")),
    };
    let mut link = None;
    let out = if field == Some("") {
        body
    } else {
        if let Some(s) = get("status") {
            items.retain(|r| r["status"] == s.as_str() || r["conclusion"] == s.as_str());
        }
        if let Some(e) = get("environment") {
            items.retain(|d| d["environment"] == e.as_str());
        }
        let total = items.len();
        let per_page: usize = get("per_page")
            .and_then(|v| v.parse().ok())
            .unwrap_or(30usize)
            .clamp(1, 100);
        let page: usize = get("page").and_then(|v| v.parse().ok()).unwrap_or(1);
        let last = total.div_ceil(per_page).max(1);
        let rest: Vec<String> = q
            .iter()
            .filter(|(k, _)| k != "page" && k != "per_page")
            .map(|(k, v)| format!("{k}={}", v.replace(' ', "%20")))
            .collect();
        let mk = |p: usize, rel: &str| {
            let mut qs = rest.clone();
            qs.push(format!("per_page={per_page}"));
            qs.push(format!("page={p}"));
            format!("<{base}{}?{}>; rel=\"{rel}\"", uri.path(), qs.join("&"))
        };
        if page < last {
            link = Some(format!("{}, {}", mk(page + 1, "next"), mk(last, "last")));
        }
        let slice: Vec<Value> = items
            .into_iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .collect();
        match field {
            None => Value::Array(slice),
            Some(f) => {
                let mut o = body.clone();
                o[f] = Value::Array(slice);
                o["total_count"] = json!(total);
                o
            }
        }
    };
    let text = out.to_string();
    let etag = weak_etag(&text);
    let matches = h
        .get("if-none-match")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag);
    let mut r = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, text).into_response()
    };
    r.headers_mut()
        .insert("etag", etag.parse().expect("etag header"));
    if let Some(l) = link {
        r.headers_mut()
            .insert("link", l.parse().expect("link header"));
    }
    r
}

async fn replay(routes: Routes) -> Replay {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let r2 = routes.clone();
    let base2 = base.clone();
    let app = Router::new().fallback(move |method: Method, uri: Uri, h: HeaderMap| {
        let routes = r2.clone();
        let base = base2.clone();
        async move {
            routes.seen.lock().unwrap().push(format!("{method} {uri}"));
            let prefix = format!("/repos/{REPO}");
            let path = uri.path().strip_prefix(&prefix).unwrap_or(uri.path());
            let key = format!("{method} {path}");
            let a = routes.map.lock().unwrap().get(&key).cloned();
            match a {
                Some(a) => answer(&base, &uri, &h, a),
                None => {
                    (StatusCode::NOT_FOUND, error_body("not_found").to_string()).into_response()
                }
            }
        }
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Replay { url: base, routes }
}

fn ts(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

fn sha(n: u64) -> String {
    // the number first, so short shas differ
    format!("{n:07x}{}", "c".repeat(33))
}

/// The OpenAPI example run with the fields of a case set.
fn run(id: u64, number: u64, status: &str, conclusion: Option<&str>, started: &str) -> Value {
    let mut r = fixture("workflow_run.json");
    r["id"] = json!(id);
    r["run_number"] = json!(number);
    r["head_sha"] = json!(sha(id));
    r["status"] = json!(status);
    r["conclusion"] = json!(conclusion);
    r["created_at"] = json!(started);
    r["run_started_at"] = json!(started);
    r["updated_at"] = json!(started);
    r["url"] = json!(format!(
        "https://api.github.com/repos/{REPO}/actions/runs/{id}"
    ));
    r["html_url"] = json!(format!("https://github.com/{REPO}/actions/runs/{id}"));
    r
}

fn job(id: u64, run_id: u64, name: &str, started: &str, completed: Option<&str>) -> Value {
    let mut j = fixture("job.json");
    j["id"] = json!(id);
    j["run_id"] = json!(run_id);
    j["name"] = json!(name);
    j["started_at"] = json!(started);
    j["completed_at"] = json!(completed);
    if completed.is_none() {
        j["status"] = json!("in_progress");
        j["conclusion"] = Value::Null;
    }
    j
}

fn jobs(list: Vec<Value>) -> Value {
    json!({"total_count": list.len(), "jobs": list})
}

fn runs(list: Vec<Value>) -> Value {
    json!({"total_count": list.len(), "workflow_runs": list})
}

fn deployment(id: u64, env: &str, sha: &str, created: &str) -> Value {
    let mut d = fixture("deployment.json");
    d["id"] = json!(id);
    d["environment"] = json!(env);
    d["original_environment"] = json!(env);
    d["sha"] = json!(sha);
    d["created_at"] = json!(created);
    d["updated_at"] = json!(created);
    d["production_environment"] = json!(env == "production");
    d
}

/// A status; `run` names the Actions run in `log_url`/`target_url` as GitHub Actions
/// writes them, `None` keeps the example's own (an outside deploy tool's page).
fn status(id: u64, state: &str, created: &str, run: Option<u64>) -> Value {
    let mut s = fixture("deployment_status.json");
    s["id"] = json!(id);
    s["state"] = json!(state);
    s["created_at"] = json!(created);
    s["updated_at"] = json!(created);
    if let Some(r) = run {
        let url = format!("https://github.com/{REPO}/actions/runs/{r}/job/{}", r * 10);
        s["log_url"] = json!(url);
        s["target_url"] = json!(url);
    }
    s
}

fn poller(r: &Replay, envs: &[(&str, &str)]) -> Poller {
    let mut cfg = PollConfig::new(&r.url, REPO, TokenSetting::Given(Token::new(TOKEN)));
    cfg.environments = envs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    Poller::new(cfg, Token::new(TOKEN)).unwrap()
}

fn poller_with(r: &Replay, envs: &[(&str, &str)], f: impl FnOnce(&mut PollConfig)) -> Poller {
    let mut cfg = PollConfig::new(&r.url, REPO, TokenSetting::Given(Token::new(TOKEN)));
    cfg.environments = envs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    f(&mut cfg);
    Poller::new(cfg, Token::new(TOKEN)).unwrap()
}

async fn snapshot(p: &mut Poller) -> Box<PipelineSnapshot> {
    match p.poll().await.expect("the poll succeeds") {
        PollOutcome::Changed(s) => s,
        PollOutcome::Unchanged => panic!("the poll found nothing new"),
    }
}

fn state(now: &str) -> State {
    let toml = format!("[github]\nrepo = \"{REPO}\"\napi_url = \"http://127.0.0.1:9\"\n");
    let cfg = flightdeck::config::Config::parse_strict("config.toml", &toml).unwrap();
    let mut s = common::state_builder().config(cfg).at(ts(now)).build();
    update(&mut s, Event::Resize(200, 60));
    update(&mut s, Event::Key(key('1')));
    s
}

fn key(c: char) -> crossterm::event::KeyEvent {
    crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char(c),
        crossterm::event::KeyModifiers::NONE,
    )
}

fn feed(s: &mut State, snap: Box<PipelineSnapshot>) {
    let generation = s.generation;
    update(
        s,
        Event::Pipeline {
            generation,
            msg: PipelineUpdate::Snapshot(snap),
        },
    );
}

/// The Pipeline pane's cells, rows trimmed.
fn pane(s: &State) -> String {
    let l = flightdeck::app::layout::compute(s.size, s);
    let rect = l
        .panes
        .iter()
        .find(|(p, _)| *p == flightdeck::pane::PaneId::Pipeline)
        .map(|(_, r)| *r)
        .unwrap();
    common::cells(&common::draw_at(s, s.size.0, s.size.1))
        .lines()
        .skip(rect.y as usize)
        .take(rect.height as usize)
        .map(|l| {
            l.chars()
                .skip(rect.x as usize)
                .take(rect.width as usize)
                .collect::<String>()
                .trim_end()
                .to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The pane's line that holds `needle`, without the frame.
fn line_with<'a>(text: &'a str, needle: &str) -> &'a str {
    text.lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in\n{text}"))
        .trim_matches(|c: char| c == '┃' || c.is_whitespace())
}

fn flash(s: &State) -> String {
    s.flash.as_ref().map(|f| f.text.clone()).unwrap_or_default()
}

/// A run that took 2 minutes, whose `updated_at` GitHub moved over a year later: its
/// duration ends at its last job's `completed_at` (a job's own from its `started_at` and
/// `completed_at`), never at `updated_at`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_runs_duration_ends_with_its_last_job() {
    let routes = Routes::default();
    let mut r = run(
        30433642,
        562,
        "completed",
        Some("success"),
        "2020-01-22T19:33:08Z",
    );
    r["updated_at"] = json!("2021-03-01T10:00:00Z");
    routes.json("GET /actions/runs", runs(vec![r]));
    routes.json(
        "GET /actions/runs/30433642/jobs",
        jobs(vec![
            job(
                1,
                30433642,
                "lint",
                "2020-01-22T19:33:08Z",
                Some("2020-01-22T19:34:00Z"),
            ),
            job(
                2,
                30433642,
                "build",
                "2020-01-22T19:33:10Z",
                Some("2020-01-22T19:35:08Z"),
            ),
        ]),
    );
    let srv = replay(routes).await;
    let mut p = poller(&srv, &[]);
    let snap = snapshot(&mut p).await;
    let mut s = state("2021-03-02T10:00:00Z");
    feed(&mut s, snap);
    let text = pane(&s);
    let head = line_with(&text, "#562");
    assert!(head.ends_with("  2m00s"), "{head}");
    // and a job's own time from its started_at and completed_at
    update::apply(&mut s, flightdeck::action::Action::Open);
    let text = pane(&s);
    assert!(line_with(&text, "build").ends_with("1m58s"), "{text}");
}

/// `queued`, `pending`, `requested` and `waiting` runs have not started their work: each
/// says its own state, never `running`. A completed `action_required` run without jobs
/// says so, not `completed`. `action_required`, `neutral`, `stale` and `skipped` are not
/// failures: the success rate counts successes and failures only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn states_in_githubs_words_and_a_rate_of_verdicts() {
    let routes = Routes::default();
    let at = "2026-11-23T10:00:00Z";
    let list = vec![
        run(9, 9, "queued", None, at),
        run(8, 8, "pending", None, at),
        run(7, 7, "requested", None, at),
        run(6, 6, "completed", Some("action_required"), at),
        run(5, 5, "completed", Some("neutral"), at),
        run(4, 4, "completed", Some("stale"), at),
        run(3, 3, "completed", Some("skipped"), at),
        run(2, 2, "completed", Some("failure"), at),
        run(1, 1, "completed", Some("success"), at),
    ];
    routes.json("GET /actions/runs", runs(list));
    for id in 1..=9 {
        routes.json(&format!("GET /actions/runs/{id}/jobs"), jobs(Vec::new()));
    }
    let srv = replay(routes).await;
    let mut p = poller(&srv, &[]);
    let snap = snapshot(&mut p).await;
    assert_eq!(
        (snap.stats.succeeded_runs, snap.stats.finished_runs),
        (1, 2),
        "only success and failure are verdicts"
    );
    let mut s = state("2026-11-23T10:03:00Z");
    feed(&mut s, snap);
    let text = pane(&s);
    assert!(!text.contains("running"), "{text}");
    for (n, word) in [(9, "queued"), (8, "pending"), (7, "requested")] {
        let head = line_with(&text, &format!("#{n} "));
        assert!(head.ends_with(&format!("{word} 3m00s")), "{head}");
    }
    // the line under #6's head is its stage line
    let lines: Vec<&str> = text.lines().collect();
    let i = lines.iter().position(|l| l.contains("#6 ")).unwrap();
    assert!(lines[i + 1].contains("action required"), "{text}");
    assert!(!lines[i + 1].contains("completed"), "{text}");
    assert!(text.contains("success 50% (1/2 runs)"), "{text}");
}

/// 26 runs, the one waiting for a review the oldest: page 1 (20 runs) does not hold it,
/// the `status=waiting` query does; the environment row shows it and `P` acts on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_run_past_page_one_is_found() {
    let routes = Routes::default();
    let mut list: Vec<Value> = (0..25)
        .map(|i| {
            let id = 2000 - i;
            run(
                id,
                id - 1000,
                "completed",
                Some("success"),
                "2026-11-23T10:00:00Z",
            )
        })
        .collect();
    list.push(run(900, 900, "waiting", None, "2026-11-20T10:00:00Z"));
    routes.json("GET /actions/runs", runs(list));
    for id in (1976..=2000).chain([900]) {
        routes.json(&format!("GET /actions/runs/{id}/jobs"), jobs(Vec::new()));
    }
    let mut pending = fixture("pending_deployments.json");
    pending[0]["environment"]["name"] = json!("production");
    pending[0]["wait_timer"] = json!(0);
    routes.json("GET /actions/runs/900/pending_deployments", pending);
    routes.json("GET /deployments", json!([]));
    let srv = replay(routes).await;
    let mut p = poller(&srv, &[("prod", "production")]);
    let snap = snapshot(&mut p).await;
    assert_eq!(srv.routes.hits("status=waiting"), 1);
    let prod = &snap.environments[0];
    let pending = prod.pending.as_ref().expect("the waiting run is found");
    assert_eq!(pending.run_number, 900);
    let mut s = state("2026-11-23T10:03:00Z");
    feed(&mut s, snap);
    assert!(pane(&s).contains("⏸ #900"), "{}", pane(&s));
    let fx = update(&mut s, Event::Key(key('P')));
    assert!(
        matches!(
            fx.as_slice(),
            [flightdeck::app::event::Effect::PlanOperation(
                flightdeck::ops::Operation::ReviewDeployment { run_id: 900, .. }
            )]
        ),
        "{fx:?} {}",
        flash(&s)
    );
}

/// Each environment's deployments are read with `environment=`, page after page until its
/// latest success: 55 newer `Preview` deployments do not hide production's, and a success
/// followed by failed attempts is what runs, the attempts shown as attempts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployments_per_environment_until_the_latest_success() {
    let routes = Routes::default();
    routes.json("GET /actions/runs", runs(Vec::new()));
    let mut deps = Vec::new();
    // newest first, as GitHub lists them
    for i in 0..55u64 {
        let id = 1000 - i;
        deps.push(deployment(id, "Preview", &sha(id), "2026-11-23T12:00:00Z"));
        routes.json(
            &format!("GET /deployments/{id}/statuses"),
            json!([status(id * 10, "success", "2026-11-23T12:00:00Z", None)]),
        );
    }
    // staging: its success behind twelve failed attempts (two pages of ten)
    for i in 0..12u64 {
        let id = 600 - i;
        deps.push(deployment(id, "staging", &sha(id), "2026-11-23T11:00:00Z"));
        routes.json(
            &format!("GET /deployments/{id}/statuses"),
            json!([status(id * 10, "failure", "2026-11-23T11:00:00Z", Some(77))]),
        );
    }
    deps.push(deployment(
        500,
        "staging",
        &sha(500),
        "2026-11-23T10:30:00Z",
    ));
    routes.json(
        "GET /deployments/500/statuses",
        json!([status(5000, "success", "2026-11-23T10:30:00Z", Some(70))]),
    );
    // production: three failed attempts after its success
    for (id, minute) in [(13u64, 40), (12, 30), (11, 20)] {
        deps.push(deployment(
            id,
            "production",
            &sha(id),
            &format!("2026-11-23T10:{minute}:00Z"),
        ));
        routes.json(
            &format!("GET /deployments/{id}/statuses"),
            json!([
                status(
                    id * 10 + 1,
                    "failure",
                    &format!("2026-11-23T10:{minute}:30Z"),
                    Some(77)
                ),
                status(
                    id * 10,
                    "in_progress",
                    &format!("2026-11-23T10:{minute}:00Z"),
                    Some(77)
                ),
            ]),
        );
    }
    deps.push(deployment(
        10,
        "production",
        &sha(10),
        "2026-11-23T10:00:00Z",
    ));
    routes.json(
        "GET /deployments/10/statuses",
        json!([status(100, "success", "2026-11-23T10:05:00Z", Some(70))]),
    );
    routes.json("GET /deployments", Value::Array(deps));
    for id in [70u64, 77] {
        routes.json(
            &format!("GET /actions/runs/{id}"),
            run(id, id, "completed", Some("success"), "2026-11-23T09:00:00Z"),
        );
    }
    let srv = replay(routes).await;
    let mut p = poller_with(
        &srv,
        &[("prod", "production"), ("staging", "staging")],
        |c| c.deployments_per_page = 10,
    );
    let snap = snapshot(&mut p).await;
    let prod = &snap.environments[0];
    assert_eq!(
        prod.deployed.as_ref().map(|d| d.sha.as_str()),
        Some(sha(10).as_str())
    );
    let latest = prod.latest.as_ref().expect("the failed attempts");
    assert_eq!(
        (latest.sha.as_str(), latest.state.as_str()),
        (sha(13).as_str(), "failure")
    );
    assert_eq!(prod.attempts, 3);
    let staging = &snap.environments[1];
    assert_eq!(
        staging.deployed.as_ref().map(|d| d.sha.as_str()),
        Some(sha(500).as_str()),
        "found on page 2"
    );
    assert_eq!(staging.attempts, 12);
    assert!(srv.routes.hits("environment=staging") >= 2, "paged");
    assert_eq!(srv.routes.hits("environment=Preview"), 0);
    let mut s = state("2026-11-23T12:00:00Z");
    feed(&mut s, snap);
    let text = pane(&s);
    let row = line_with(&text, "prod ");
    assert!(
        row.contains(&sha(10)[..7]) && row.contains("(3 attempts)"),
        "{row}"
    );
    assert!(!row.contains("nothing deployed"), "{row}");
}

/// A deployment status that moves on its own (`in_progress` → `success`) is read again on
/// the next poll although the run list is unchanged (304).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moving_status_shows_on_the_next_poll() {
    let routes = Routes::default();
    routes.json(
        "GET /actions/runs",
        runs(vec![run(
            70,
            70,
            "completed",
            Some("success"),
            "2026-11-23T10:00:00Z",
        )]),
    );
    routes.json("GET /actions/runs/70/jobs", jobs(Vec::new()));
    routes.json(
        "GET /deployments",
        json!([deployment(
            10,
            "production",
            &sha(70),
            "2026-11-23T10:01:00Z"
        )]),
    );
    routes.json(
        "GET /deployments/10/statuses",
        json!([status(101, "in_progress", "2026-11-23T10:01:00Z", Some(70))]),
    );
    let mut envs = fixture("environments.json");
    envs["environments"][0]["name"] = json!("production");
    routes.json("GET /environments", envs);
    let srv = replay(routes).await;
    let mut p = poller(&srv, &[("prod", "production")]);
    let snap = snapshot(&mut p).await;
    assert!(snap.environments[0].deployed.is_none());
    let lists = srv.routes.hits("environment=production");
    srv.routes.json(
        "GET /deployments/10/statuses",
        json!([
            status(102, "success", "2026-11-23T10:02:00Z", Some(70)),
            status(101, "in_progress", "2026-11-23T10:01:00Z", Some(70)),
        ]),
    );
    let snap = snapshot(&mut p).await;
    let prod = &snap.environments[0];
    assert_eq!(prod.deployed.as_ref().map(|d| d.deployment_id), Some(10));
    assert!(prod.latest.is_none());
    assert_eq!(
        srv.routes.hits("environment=production"),
        lists,
        "the status alone was asked again, not the list"
    );
}

/// The deployer is the run the status's `log_url` names — read by id when it is not on
/// page 1 — never another run of the same commit; a status naming no run says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deployer_is_the_run_its_status_names() {
    let routes = Routes::default();
    let mut listed = run(
        501,
        77,
        "completed",
        Some("success"),
        "2026-11-23T10:00:00Z",
    );
    listed["head_sha"] = json!(sha(1));
    routes.json("GET /actions/runs", runs(vec![listed]));
    routes.json("GET /actions/runs/501/jobs", jobs(Vec::new()));
    let mut older = run(
        400,
        70,
        "completed",
        Some("success"),
        "2026-11-20T10:00:00Z",
    );
    older["head_sha"] = json!(sha(1));
    routes.json("GET /actions/runs/400", older);
    routes.json(
        "GET /deployments",
        json!([
            deployment(10, "production", &sha(1), "2026-11-23T10:01:00Z"),
            deployment(20, "staging", &sha(1), "2026-11-23T10:01:00Z"),
        ]),
    );
    routes.json(
        "GET /deployments/10/statuses",
        json!([status(101, "success", "2026-11-23T10:02:00Z", Some(400))]),
    );
    routes.json(
        "GET /deployments/20/statuses",
        json!([status(201, "success", "2026-11-23T10:02:00Z", None)]),
    );
    let srv = replay(routes).await;
    let mut p = poller(&srv, &[("prod", "production"), ("staging", "staging")]);
    let snap = snapshot(&mut p).await;
    let prod = snap.environments[0].deployed.clone().unwrap();
    assert_eq!((prod.run_id, prod.run_number), (Some(400), Some(70)));
    let staging = snap.environments[1].deployed.clone().unwrap();
    assert_eq!((staging.run_id, staging.run_number), (None, None));
    let mut s = state("2026-11-23T12:00:00Z");
    feed(&mut s, snap);
    let text = pane(&s);
    assert!(line_with(&text, "prod ").contains("by #70"), "{text}");
    assert!(
        line_with(&text, "staging ").contains("by unknown run"),
        "{text}"
    );
}

/// A 403 on `/environments` is said and asked again on the next poll; one run's jobs
/// answering 404 marks that run, not the pane, and blames neither the repo nor `api_url`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_failed_request_marks_only_what_it_feeds() {
    let routes = Routes::default();
    routes.json(
        "GET /actions/runs",
        runs(vec![
            run(8, 8, "completed", Some("success"), "2026-11-23T10:00:00Z"),
            run(7, 7, "completed", Some("success"), "2026-11-23T09:00:00Z"),
        ]),
    );
    routes.json(
        "GET /actions/runs/8/jobs",
        jobs(vec![job(
            81,
            8,
            "build",
            "2026-11-23T10:00:00Z",
            Some("2026-11-23T10:01:00Z"),
        )]),
    );
    routes.set(
        "GET /actions/runs/7/jobs",
        Answer::Error(404, error_body("not_found")),
    );
    routes.set(
        "GET /environments",
        Answer::Error(403, error_body("not_accessible")),
    );
    routes.json("GET /deployments", json!([]));
    let srv = replay(routes).await;
    let mut p = poller(&srv, &[("prod", "production")]);
    let snap = snapshot(&mut p).await;
    assert!(
        snap.warnings
            .iter()
            .any(|w| w.contains("environments") && w.contains("403")),
        "{:?}",
        snap.warnings
    );
    let seven = snap.runs.iter().find(|r| r.run.id == 7).unwrap();
    let err = seven.jobs_error.clone().expect("run 7 is marked");
    assert!(
        !err.contains("api_url") && !err.contains("[github] repo"),
        "{err}"
    );
    let eight = snap.runs.iter().find(|r| r.run.id == 8).unwrap();
    assert_eq!(eight.jobs.len(), 1);
    assert!(eight.jobs_error.is_none());
    let mut s = state("2026-11-23T12:00:00Z");
    feed(&mut s, snap);
    let text = pane(&s);
    assert!(text.contains("jobs not read"), "{text}");
    assert!(text.contains("build ✓"), "{text}");

    // the environments answer now: asked again, and the warning goes
    srv.routes
        .json("GET /environments", fixture("environments.json"));
    let snap = snapshot(&mut p).await;
    assert_eq!(srv.routes.hits("/environments"), 2);
    assert!(
        !snap.warnings.iter().any(|w| w.contains("environments")),
        "{:?}",
        snap.warnings
    );
}

/// A run waiting on a wait timer with no reviewers is named as a wait timer with its end;
/// one with neither timer nor reviewers as a custom protection rule; `P` says so instead
/// of asking for a reviewer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_timers_and_custom_rules_are_named() {
    let routes = Routes::default();
    routes.json(
        "GET /actions/runs",
        runs(vec![
            run(2, 2, "waiting", None, "2026-11-23T10:00:00Z"),
            run(1, 1, "waiting", None, "2026-11-23T09:00:00Z"),
        ]),
    );
    for id in [1, 2] {
        routes.json(&format!("GET /actions/runs/{id}/jobs"), jobs(Vec::new()));
    }
    let mut timer = fixture("pending_deployments.json");
    timer[0]["reviewers"] = json!([]);
    timer[0]["current_user_can_approve"] = json!(false);
    timer[0]["wait_timer_started_at"] = json!("2026-11-23T10:05:00Z");
    routes.json("GET /actions/runs/2/pending_deployments", timer);
    let mut custom = fixture("pending_deployments.json");
    custom[0]["environment"]["name"] = json!("production");
    custom[0]["environment"]["id"] = json!(161088069);
    custom[0]["wait_timer"] = json!(0);
    custom[0]["reviewers"] = json!([]);
    custom[0]["current_user_can_approve"] = json!(false);
    routes.json("GET /actions/runs/1/pending_deployments", custom);
    routes.json("GET /deployments", json!([]));
    let srv = replay(routes).await;
    let mut p = poller(&srv, &[("staging", "staging"), ("prod", "production")]);
    let snap = snapshot(&mut p).await;
    let mut s = state("2026-11-23T10:10:00Z");
    feed(&mut s, snap);
    let text = pane(&s);
    let ends = flightdeck::text::hh_mm(ts("2026-11-23T10:35:00Z"));
    let row = line_with(&text, "staging ");
    assert!(
        row.contains(&format!("waits for a 30m wait timer, ends {ends}")),
        "{row}"
    );
    let row = line_with(&text, "prod ");
    assert!(
        row.contains("waits for a custom deployment protection rule"),
        "{row}"
    );
    assert!(!text.contains("required reviewer"), "{text}");
    let fx = update(&mut s, Event::Key(key('P')));
    assert!(fx.is_empty(), "{fx:?}");
    assert!(flash(&s).contains("wait timer"), "{}", flash(&s));
    assert!(!flash(&s).contains("reviewer"), "{}", flash(&s));
}

/// A 403 `Must have admin rights` on re-run or cancel is a write permission the token
/// lacks, not a read one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_write_is_a_missing_write_permission() {
    use flightdeck::sources::github::actions;
    use flightdeck::sources::github::client::GithubClient;
    let routes = Routes::default();
    for what in ["rerun", "cancel"] {
        routes.set(
            &format!("POST /actions/runs/7/{what}"),
            Answer::Error(403, error_body("admin_rights")),
        );
    }
    let srv = replay(routes).await;
    let mut c = GithubClient::new(&srv.url, REPO, Token::new(TOKEN)).unwrap();
    for e in [
        actions::rerun(&mut c, 7).await.unwrap_err(),
        actions::cancel(&mut c, 7).await.unwrap_err(),
    ] {
        let text = e.to_string();
        assert!(text.contains("Must have admin rights"), "{text}");
        assert!(text.contains("write permission"), "{text}");
        assert!(!text.contains("read access"), "{text}");
    }
}
