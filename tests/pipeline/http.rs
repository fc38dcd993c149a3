//! The GitHub client against a tiny local server that can answer what the sandbox cannot
//! force: rate limits at 0, retry-after, 401/403/404/500, malformed JSON; and the token's
//! redaction.

use crate::support::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use flightdeck::sources::github::client::{GhError, GithubClient, Token};
use flightdeck::sources::github::model::{Conclusion, RunList, RunStatus};
use flightdeck::sources::github::snapshot::PipelineUpdate;
use flightdeck::sources::github::{PollConfig, TokenSetting, spawn_poller};

const SECRET: &str = "ghp_s3cr3tTOKENvalue";

type Handler = Arc<dyn Fn(&Uri, &HeaderMap) -> Response + Send + Sync>;

struct Server {
    url: String,
    seen: Arc<Mutex<Vec<(String, HeaderMap)>>>,
}

impl Server {
    fn hits(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

impl Server {
    /// Waits (bounded) until the server has answered `n` requests.
    async fn until_hits(&self, n: usize) {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while self.hits() < n {
            assert!(
                std::time::Instant::now() < deadline,
                "only {} of {n} requests",
                self.hits()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// A server that answers every request with 502.
async fn failing_server() -> Server {
    serve(Arc::new(|_: &Uri, _: &HeaderMap| {
        (StatusCode::BAD_GATEWAY, r#"{"message": "Server Error"}"#).into_response()
    }))
    .await
}

/// A poll configuration with every interval, the backoff's cap included, at `every`.
fn fast_config(url: &str, every: Duration) -> PollConfig {
    // with a token: an anonymous poller never asks more than once a minute when idle
    let mut cfg = PollConfig::new(url, "o/r", TokenSetting::Given(Token::new("ghp_control")));
    cfg.fast = every;
    cfg.slow = every;
    cfg.max_backoff = every;
    cfg
}

async fn serve(handler: Handler) -> Server {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let seen: Arc<Mutex<Vec<(String, HeaderMap)>>> = Arc::default();
    let seen2 = seen.clone();
    let app = Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
        let seen = seen2.clone();
        let handler = handler.clone();
        async move {
            seen.lock()
                .unwrap()
                .push((uri.to_string(), headers.clone()));
            handler(&uri, &headers)
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Server {
        url: format!("http://{addr}"),
        seen,
    }
}

fn runs_body(n: u64) -> String {
    format!(
        r#"{{"total_count": 1, "workflow_runs": [{{"id": {n}, "name": "deploy", "head_branch": "main",
        "head_sha": "0123456789abcdef", "display_title": "Ship it", "run_number": {n}, "event": "push",
        "status": "brand_new_status", "conclusion": null, "created_at": "2026-11-23T10:00:00Z",
        "updated_at": null, "run_started_at": null, "actor": {{"login": "dana"}}}}]}}"#
    )
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn required_headers_paging_and_lenient_models() {
    let srv = serve(Arc::new(|uri: &Uri, _h: &HeaderMap| {
        let page2 = uri.query().is_some_and(|q| q.contains("page=2"));
        let mut r = (StatusCode::OK, runs_body(if page2 { 2 } else { 1 })).into_response();
        r.headers_mut().insert("etag", "\"v1\"".parse().unwrap());
        r
    }))
    .await;
    // the server's own link header points back at itself
    let srv_url = srv.url.clone();
    let srv2 = serve(Arc::new(move |uri: &Uri, _h: &HeaderMap| {
        let page2 = uri.query().is_some_and(|q| q.contains("page=2"));
        let mut r = (StatusCode::OK, runs_body(if page2 { 2 } else { 1 })).into_response();
        if !page2 {
            let link = format!(
                "<{srv_url}/repos/o/r/actions/runs?page=2>; rel=\"next\", <{srv_url}/repos/o/r/actions/runs?page=2>; rel=\"last\""
            );
            r.headers_mut().insert("link", link.parse().unwrap());
        }
        r
    }))
    .await;
    let mut c = GithubClient::new(&srv2.url, "o/r", Token::new(SECRET)).unwrap();
    let url = c.repo_url("/actions/runs?per_page=1");
    let runs = c
        .get_pages(&url, 5, |p: RunList| p.workflow_runs)
        .await
        .unwrap();
    // page 1 from srv2, page 2 (followed through `link`) from srv
    assert_eq!(runs.value.iter().map(|r| r.id).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(srv2.hits(), 1);
    assert_eq!(srv.hits(), 1);
    let run = &runs.value[0];
    assert_eq!(run.status, RunStatus::Unknown("brand_new_status".into()));
    assert_eq!(run.conclusion, None);
    assert_eq!(run.updated_at, None);
    assert_eq!(
        Conclusion::parse("startup_failure"),
        Conclusion::StartupFailure
    );

    let seen = srv2.seen.lock().unwrap().clone();
    let h = &seen[0].1;
    assert_eq!(h["accept"], "application/vnd.github+json");
    assert_eq!(h["x-github-api-version"], "2022-11-28");
    assert!(h["user-agent"].to_str().unwrap().starts_with("flightdeck/"));
    assert_eq!(h["authorization"], format!("Bearer {SECRET}").as_str());

    // conditional: the ETag goes back as If-None-Match
    let mut c = GithubClient::new(&srv.url, "o/r", None).unwrap();
    let url = c.repo_url("/actions/runs");
    c.get::<RunList>(&url).await.unwrap();
    c.get::<RunList>(&url).await.unwrap();
    let seen = srv.seen.lock().unwrap().clone();
    assert_eq!(seen.last().unwrap().1["if-none-match"], "\"v1\"");
    // anonymous: no Authorization header at all
    assert!(seen.last().unwrap().1.get("authorization").is_none());
}

#[tokio::test]
async fn token_is_redacted_everywhere() {
    let t = Token::new(SECRET).unwrap();
    assert!(!format!("{t:?}").contains(SECRET));
    assert!(!format!("{t}").contains(SECRET));
    assert!(!format!("{:?}", Some(t.clone())).contains(SECRET));
    let c = GithubClient::new("http://127.0.0.1:9", "o/r", Some(t.clone())).unwrap();
    assert!(!format!("{c:?}").contains(SECRET));
    assert!(format!("{c:?}").contains("redacted"));
    let cfg = PollConfig::new("http://127.0.0.1:9", "o/r", TokenSetting::Given(Some(t)));
    assert!(!format!("{cfg:?}").contains(SECRET));
    // a token a header cannot carry is an error, never a silent fall back to anonymous
    let bad = Token::new("ghp_abc\u{7}def").unwrap();
    let e = GithubClient::new("http://127.0.0.1:9", "o/r", Some(bad)).unwrap_err();
    assert!(!e.to_string().contains("abc"), "{e}");

    // errors: refused, server, transport
    for status in [401u16, 403, 404, 422, 500] {
        let received = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let seen = received.clone();
        let srv = serve(Arc::new(move |_: &Uri, h: &HeaderMap| {
            // echo what a careless server might: the auth header inside the message
            let auth = h
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            let body =
                format!(r#"{{"message": "Bad credentials for {auth}", "documentation_url": "x"}}"#);
            seen.lock().expect("lock").push(auth.clone());
            (StatusCode::from_u16(status).unwrap(), body).into_response()
        }))
        .await;
        let mut c = GithubClient::new(&srv.url, "o/r", Token::new(SECRET)).unwrap();
        let url = c.repo_url("/actions/runs");
        let e = c.get::<RunList>(&url).await.unwrap_err();
        let text = format!("{e} {e:?}");
        // the server did get the token (and echoed it), so its absence below is redaction
        let got = received.lock().expect("lock").clone();
        assert!(got.iter().any(|a| a.contains(SECRET)), "{got:?}");
        assert!(!text.contains(SECRET), "{text}");
        match status {
            401 => {
                assert!(matches!(e, GhError::Unauthorized { .. }));
                assert!(
                    text.contains("o/r") && text.contains("gh auth login"),
                    "{text}"
                );
            }
            403 => {
                assert!(matches!(e, GhError::Forbidden { .. }));
                assert!(
                    text.contains("o/r") && text.contains("actions:read"),
                    "{text}"
                );
            }
            404 => {
                assert!(matches!(e, GhError::NotFound { .. }));
                assert!(
                    text.contains("o/r") && text.contains("`repo` scope"),
                    "{text}"
                );
            }
            422 => assert!(
                text.contains("Bad credentials"),
                "GitHub's own message: {text}"
            ),
            _ => assert!(e.is_transient(), "{text}"),
        }
    }
    let mut c = GithubClient::new("http://127.0.0.1:9", "o/r", Token::new(SECRET)).unwrap();
    let url = c.repo_url("/actions/runs");
    let e = c.get::<RunList>(&url).await.unwrap_err();
    assert!(e.is_transient());
    assert!(!format!("{e} {e:?}").contains(SECRET));
}

#[tokio::test]
async fn malformed_json_is_an_error_not_a_panic() {
    let srv = serve(Arc::new(|_: &Uri, _: &HeaderMap| {
        (StatusCode::OK, "{\"workflow_runs\": [{\"id\": \"x\"").into_response()
    }))
    .await;
    let mut c = GithubClient::new(&srv.url, "o/r", None).unwrap();
    let url = c.repo_url("/actions/runs");
    let e = c.get::<RunList>(&url).await.unwrap_err();
    assert!(matches!(e, GhError::Decode { .. }), "{e:?}");
    assert!(e.to_string().contains("malformed JSON"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_at_zero_makes_the_source_wait_until_reset() {
    let reset = now_secs() + 3600;
    let srv = serve(Arc::new(move |_: &Uri, _: &HeaderMap| {
        let mut r = (StatusCode::OK, runs_body(1)).into_response();
        let h = r.headers_mut();
        h.insert("x-ratelimit-limit", "60".parse().unwrap());
        h.insert("x-ratelimit-remaining", "0".parse().unwrap());
        h.insert("x-ratelimit-reset", reset.to_string().parse().unwrap());
        r
    }))
    .await;
    // with a token: anonymous, the 60 s floor of an idle poller would hide the wait
    let mut cfg = PollConfig::new(&srv.url, "o/r", TokenSetting::Given(Token::new(SECRET)));
    cfg.fast = Duration::from_millis(5);
    cfg.slow = Duration::from_millis(5);
    cfg.max_backoff = Duration::from_millis(5);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let task = spawn_poller(cfg, move |u| tx.send(u).is_ok());
    let until = loop {
        match rx.recv().await.unwrap() {
            PipelineUpdate::Failing {
                rate_limited_until: Some(until),
                error,
                ..
            } => {
                assert!(error.starts_with("rate limited until "), "{error}");
                break until;
            }
            PipelineUpdate::Failing { error, .. } => panic!("{error}"),
            _ => {}
        }
    };
    assert_eq!(until.as_second(), reset as i64);
    // many poll intervals later (as long as the same settings take to ask a failing server
    // ten times), still only the one request that saw remaining = 0
    let control = failing_server().await;
    let control_task = spawn_poller(fast_config(&control.url, Duration::from_millis(5)), |_| {
        true
    });
    control.until_hits(10).await;
    control_task.abort();
    assert_eq!(srv.hits(), 1);
    task.abort();

    // retry-after on a 403 is honoured the same way
    let srv = serve(Arc::new(|_: &Uri, _: &HeaderMap| {
        let mut r = (
            StatusCode::FORBIDDEN,
            r#"{"message": "You have exceeded a secondary rate limit."}"#,
        )
            .into_response();
        r.headers_mut()
            .insert("retry-after", "120".parse().unwrap());
        r
    }))
    .await;
    let mut c = GithubClient::new(&srv.url, "o/r", None).unwrap();
    let url = c.repo_url("/actions/runs");
    let GhError::RateLimited { until } = c.get::<RunList>(&url).await.unwrap_err() else {
        panic!("a rate limit")
    };
    assert!(until.as_second() >= now_secs() as i64 + 60);
    assert!(matches!(
        c.get::<RunList>(&url).await,
        Err(GhError::RateLimited { .. })
    ));
    assert_eq!(srv.hits(), 1, "nothing sent while limited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_back_off_and_report_failing() {
    let srv = serve(Arc::new(|_: &Uri, _: &HeaderMap| {
        (StatusCode::BAD_GATEWAY, r#"{"message": "Server Error"}"#).into_response()
    }))
    .await;
    // with a token: anonymous, the 60 s floor of an idle poller would hide the backoff
    let mut cfg = PollConfig::new(&srv.url, "o/r", TokenSetting::Given(Token::new(SECRET)));
    cfg.fast = Duration::from_millis(1);
    cfg.slow = Duration::from_millis(1);
    cfg.max_backoff = Duration::from_secs(3600);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let task = spawn_poller(cfg, move |u| tx.send(u).is_ok());
    match rx.recv().await.unwrap() {
        PipelineUpdate::Failing { error, .. } => assert!(error.contains("502"), "{error}"),
        other => panic!("{other:?}"),
    }
    // backoff doubles from 1 ms: a handful of tries while a poller that does not back off
    // (capped at 1 ms) asks its failing server forty times
    let control = failing_server().await;
    let control_task = spawn_poller(fast_config(&control.url, Duration::from_millis(1)), |_| {
        true
    });
    control.until_hits(40).await;
    control_task.abort();
    task.abort();
    assert!(srv.hits() < 20, "{} requests", srv.hits());
}

#[test]
fn pane_shows_rate_limit_notice_and_stale_marker() {
    use flightdeck::app::state::State;
    use flightdeck::app::{Event, update};
    use flightdeck::sources::github::snapshot::{DeployStats, PipelineSnapshot};
    let toml = "[github]\nrepo = \"o/r\"\napi_url = \"http://127.0.0.1:9\"\n";
    let cfg = flightdeck::config::Config::parse_strict("config.toml", toml).unwrap();
    let now = jiff::Timestamp::from_second(1_800_000_000).unwrap();
    let mut s = common::state_builder().config(cfg).at(now).build();
    update(&mut s, Event::Resize(160, 40));
    let send = |s: &mut State, u: PipelineUpdate| {
        let generation = s.generation;
        update(s, Event::Pipeline { generation, msg: u });
    };
    send(
        &mut s,
        PipelineUpdate::Notice("no GitHub token: set GITHUB_TOKEN or run `gh auth login`".into()),
    );
    send(
        &mut s,
        PipelineUpdate::Snapshot(Box::new(PipelineSnapshot {
            repo: "o/r".into(),
            runs: Vec::new(),
            environments: Vec::new(),
            stats: DeployStats::default(),
            fetched_at: now,
            rate: Default::default(),
            requests: Default::default(),
            anonymous: true,
            warnings: vec!["deployments: o/r: forbidden (403)".into()],
        })),
    );
    s.now = now + Duration::from_secs(120);
    send(
        &mut s,
        PipelineUpdate::Failing {
            error: "rate limited until 10:42".into(),
            at: now + Duration::from_secs(120),
            rate_limited_until: Some(now + Duration::from_secs(3600)),
        },
    );
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 40)).unwrap();
    t.draw(|f| flightdeck::ui::render(&s, f)).unwrap();
    let buf = t.backend().buffer().clone();
    let text: String = (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
                + "\n"
        })
        .collect();
    assert!(text.contains("rate limited until "), "{text}");
    assert!(text.contains("no GitHub token: set GITHUB_TOKEN"), "{text}");
    assert!(text.contains("stale 2m"), "{text}");
    assert!(text.contains("no workflow runs"), "{text}");
    assert!(text.contains("deployments: o/r: forbidden (403)"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poke_polls_at_once_and_anonymous_reads_fewer_runs() {
    let srv = serve(Arc::new(|uri: &Uri, h: &HeaderMap| {
        if h.get("if-none-match").is_some_and(|v| v == "\"same\"") {
            return StatusCode::NOT_MODIFIED.into_response();
        }
        let path = uri.path();
        let body = if path.ends_with("/actions/runs") {
            runs_body(7)
        } else if path.ends_with("/jobs") {
            r#"{"total_count": 0, "jobs": []}"#.to_string()
        } else if path.ends_with("/environments") {
            r#"{"total_count": 0, "environments": []}"#.to_string()
        } else if path.ends_with("/deployments") {
            "[]".to_string()
        } else {
            return (StatusCode::NOT_FOUND, r#"{"message": "Not Found"}"#).into_response();
        };
        let mut r = (StatusCode::OK, body).into_response();
        r.headers_mut().insert("etag", "\"same\"".parse().unwrap());
        r
    }))
    .await;
    let poke = Arc::new(tokio::sync::Notify::new());
    let mut cfg = PollConfig::new(&srv.url, "o/r", TokenSetting::Given(None));
    cfg.fast = Duration::from_secs(3600);
    cfg.slow = Duration::from_secs(3600);
    cfg.refresh = Some(poke.clone());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let task = spawn_poller(cfg, move |u| tx.send(u).is_ok());
    assert!(matches!(
        rx.recv().await.unwrap(),
        PipelineUpdate::Snapshot(_)
    ));
    let first = srv.hits();
    poke.notify_one();
    assert!(matches!(
        rx.recv().await.unwrap(),
        PipelineUpdate::Unchanged { .. }
    ));
    assert_eq!(
        srv.hits(),
        first + 1,
        "one conditional request, answered 304"
    );
    let seen = srv.seen.lock().unwrap().clone();
    assert!(seen[0].0.contains("per_page=10"), "{}", seen[0].0);
    task.abort();
}

#[tokio::test]
async fn a_forbidden_deployments_list_keeps_the_runs() {
    use flightdeck::sources::github::Poller;
    use flightdeck::sources::github::poll::PollOutcome;
    let srv = serve(Arc::new(|uri: &Uri, _: &HeaderMap| {
        let path = uri.path();
        if path.ends_with("/actions/runs") {
            (StatusCode::OK, runs_body(3)).into_response()
        } else if path.ends_with("/jobs") {
            (StatusCode::OK, r#"{"total_count": 0, "jobs": []}"#).into_response()
        } else {
            (
                StatusCode::FORBIDDEN,
                r#"{"message": "Resource not accessible by personal access token"}"#,
            )
                .into_response()
        }
    }))
    .await;
    let cfg = PollConfig::new(&srv.url, "o/r", TokenSetting::Given(Token::new(SECRET)));
    let mut p = Poller::new(cfg, Token::new(SECRET)).unwrap();
    let PollOutcome::Changed(snap) = p.poll().await.unwrap() else {
        panic!("first poll has data")
    };
    assert_eq!(snap.runs.len(), 1);
    assert_eq!(snap.warnings.len(), 1, "{:?}", snap.warnings);
    assert!(
        snap.warnings[0].contains("Resource not accessible")
            && snap.warnings[0].contains("o/r")
            && !snap.warnings[0].contains(SECRET),
        "{:?}",
        snap.warnings
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_from_the_configured_env_var_else_anonymous_with_a_hint() {
    use flightdeck::sources::github::client::{TokenSource, resolve_token};
    // SAFETY: a variable only this test reads, set before anything reads it
    unsafe { std::env::set_var("FLIGHTDECK_TEST_GH_TOKEN_SET", " tok-123\n") };
    let (t, src) = resolve_token("FLIGHTDECK_TEST_GH_TOKEN_SET").await;
    assert_eq!(t, Token::new("tok-123"));
    assert_eq!(src, TokenSource::Env("FLIGHTDECK_TEST_GH_TOKEN_SET".into()));

    let unset = "FLIGHTDECK_TEST_GH_TOKEN_UNSET";
    let srv = serve(Arc::new(|_: &Uri, _: &HeaderMap| {
        (StatusCode::NOT_FOUND, r#"{"message": "Not Found"}"#).into_response()
    }))
    .await;
    let cfg = PollConfig::new(
        &srv.url,
        "o/private",
        TokenSetting::Resolve {
            env_var: unset.into(),
        },
    );
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let task = spawn_poller(cfg, move |u| tx.send(u).is_ok());
    let first = rx.recv().await.unwrap();
    let (gh_token, gh_source) = resolve_token(unset).await;
    if gh_token.is_some() {
        // a developer's logged-in `gh` supplies the token: no hint, and the poll uses it
        assert_eq!(gh_source, TokenSource::GhCli);
        assert!(
            !matches!(first, PipelineUpdate::Notice(_)),
            "no token hint when `gh` has one: {first:?}"
        );
    } else {
        // no env var and no logged-in `gh` (CI): say how to provide one, then go on
        // anonymously
        assert_eq!(gh_source, TokenSource::None);
        let PipelineUpdate::Notice(text) = first else {
            panic!("{first:?}")
        };
        assert!(
            text.contains(unset) && text.contains("gh auth login"),
            "{text}"
        );
        let PipelineUpdate::Failing { error, .. } = rx.recv().await.unwrap() else {
            panic!("a 404 fails the poll")
        };
        assert!(
            error.contains("o/private") && error.contains("`repo` scope"),
            "{error}"
        );
        assert!(srv.hits() >= 1, "anonymous requests were made");
    }
    task.abort();
}
