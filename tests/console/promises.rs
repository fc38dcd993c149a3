//! Promises the README makes that had no test: scale goes through the `/scale`
//! subresource, GitHub rate limits (429 and 403 at zero remaining) are waited out and shown,
//! the GitHub token reaches neither the screen, the console log nor the audit log, and
//! `NO_COLOR` in the environment selects the mono theme.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use flightdeck::app::state::{Overlay, Scope, StartOptions, State};
use flightdeck::app::{Event, update};
use flightdeck::ops::{AuditLog, Executor, Operation, Target};
use flightdeck::sources::github::snapshot::PipelineUpdate;
use flightdeck::sources::github::{PollConfig, Token, TokenSetting, spawn_poller};
use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};

// ---------------------------------------------------------------------------------------
// helpers

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// A State as the console builds it for a config wired to GitHub at `api_url`.
fn github_state(api_url: &str) -> State {
    let toml = format!("[github]\nrepo = \"o/r\"\napi_url = \"{api_url}\"\n");
    let cfg = flightdeck::config::Config::parse_strict("config.toml", &toml).expect("config");
    let (assets, _, _) = flightdeck::config::load_assets(None);
    let opts = StartOptions {
        theme: None,
        keymap: None,
        scope: Scope::default(),
        no_color: false,
    };
    let mut s = State::new(cfg, assets, Vec::new(), opts, jiff::Timestamp::now());
    update(&mut s, Event::Resize(160, 40));
    s
}

fn pipeline(s: &mut State, u: PipelineUpdate) {
    let generation = s.generation;
    update(s, Event::Pipeline { generation, msg: u });
}

fn screen(s: &State, w: u16, h: u16) -> String {
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).expect("term");
    t.draw(|f| flightdeck::ui::render(s, f)).expect("draw");
    let buf = t.backend().buffer().clone();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
                + "\n"
        })
        .collect()
}

type Handler = Arc<dyn Fn(&Method, &Uri, &HeaderMap) -> Response + Send + Sync>;

/// A loopback HTTP server answering with `handler`; counts the requests it saw.
async fn serve(handler: Handler) -> (String, Arc<Mutex<usize>>) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let hits: Arc<Mutex<usize>> = Arc::default();
    let hits2 = hits.clone();
    let app = Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap| {
        let hits = hits2.clone();
        let handler = handler.clone();
        async move {
            *hits.lock().expect("lock") += 1;
            handler(&method, &uri, &headers)
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), hits)
}

/// The first `Failing` update the poller sends (bounded wait).
async fn first_failing(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<PipelineUpdate>,
) -> PipelineUpdate {
    let wait = async {
        loop {
            match rx.recv().await {
                Some(u @ PipelineUpdate::Failing { .. }) => return u,
                Some(_) => {}
                None => panic!("the poller stopped"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), wait)
        .await
        .expect("a Failing update within 30 s")
}

// ---------------------------------------------------------------------------------------
// 3. scale goes through the /scale subresource

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_writes_the_scale_subresource_and_never_the_deployment() {
    let sb = Sandbox::start(SandboxOptions::scenario(Scenario::Steady))
        .await
        .expect("sandbox");
    let kc = kube::config::Kubeconfig::from_yaml(&sb.kubeconfig_yaml()).expect("kubeconfig");
    let client = flightdeck::sources::kube::client::client_from_kubeconfig(kc, None)
        .await
        .expect("client");
    let dir = tempfile::tempdir().expect("tempdir");
    let ex = Executor::new(
        Ok(client),
        false,
        AuditLog::at(dir.path().join("audit.jsonl")),
    );
    let plan = ex
        .plan(Operation::Scale {
            target: Target {
                context: "sandbox".into(),
                namespace: "shop".into(),
                name: "cart".into(),
            },
            replicas: 3,
            resource_version: None,
        })
        .await
        .expect("plan");
    assert_eq!(plan.refused, None, "{plan:?}");
    let out = ex.execute(&plan.op, &plan.before, &plan.after).await;
    assert!(out.ok, "{out:?}");

    let deployment = "/apis/apps/v1/namespaces/shop/deployments/cart";
    let scale = format!("{deployment}/scale");
    let served = sb.requests();
    // the audit's "who am I" (a SelfSubjectReview POST) writes nothing to the cluster
    let writes: Vec<_> = served
        .iter()
        .filter(|r| matches!(r.method.as_str(), "PATCH" | "PUT" | "POST" | "DELETE"))
        .filter(|r| !r.path.ends_with("/selfsubjectreviews"))
        .collect();
    assert!(
        writes
            .iter()
            .any(|r| matches!(r.method.as_str(), "PATCH" | "PUT") && r.path == scale),
        "no PATCH/PUT to {scale}: {served:?}"
    );
    assert!(
        writes.iter().all(|r| r.path == scale),
        "a write other than to {scale}: {writes:?}"
    );
    assert!(
        !writes.iter().any(|r| r.path == deployment),
        "the deployment itself was written: {writes:?}"
    );
    // and it took effect
    let st = sb.state();
    let cart = st["deployments"]
        .as_array()
        .expect("deployments")
        .iter()
        .find(|d| d["namespace"] == "shop" && d["name"] == "cart")
        .cloned()
        .expect("shop/cart");
    assert_eq!(cart["replicas"], 3, "{cart}");
}

// ---------------------------------------------------------------------------------------
// 4. GitHub rate limits are waited out and shown

/// Polls `url` with a 5 ms interval: a source that ignored the limit would send hundreds of
/// requests in the half second this waits.
async fn limited_poller(url: &str) -> (tokio::task::JoinHandle<()>, PipelineUpdate) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    // the poller goes on after the first update (its updates are dropped from then on)
    let task = spawn_poller(fast_config(url), move |u| {
        let _ = tx.send(u);
        true
    });
    let failing = first_failing(&mut rx).await;
    (task, failing)
}

/// Every interval and the backoff's cap at 5 ms, with a token (an anonymous poller never
/// asks more than once a minute when idle, which would hide what the rate limit does).
fn fast_config(url: &str) -> PollConfig {
    let mut cfg = PollConfig::new(url, "o/r", TokenSetting::Given(Token::new("ghp_limited")));
    cfg.fast = Duration::from_millis(5);
    cfg.slow = Duration::from_millis(5);
    cfg.max_backoff = Duration::from_millis(5);
    cfg
}

/// Returns once a poller with `limited_poller`'s settings has asked a server that only fails
/// (502, no rate limit) `n` times: the time a limited poller had to send more requests, on
/// this machine, whatever its load (a fixed sleep passes when the poller is merely slow).
async fn same_settings_ask_a_failing_server(n: usize) {
    let (url, hits) = serve(Arc::new(|_: &Method, _: &Uri, _: &HeaderMap| {
        (StatusCode::BAD_GATEWAY, r#"{"message": "Server Error"}"#).into_response()
    }))
    .await;
    let (task, _) = limited_poller(&url).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while *hits.lock().expect("lock") < n {
        assert!(
            std::time::Instant::now() < deadline,
            "the control poller never asked {n} times"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    task.abort();
}

fn assert_pane_shows_wait(failing: PipelineUpdate, url: &str, until: jiff::Timestamp) {
    let mut s = github_state(url);
    pipeline(&mut s, failing);
    let text = screen(&s, 160, 40);
    let expected = format!("rate limited until {}", flightdeck::text::hh_mm(until));
    assert!(text.contains(&expected), "`{expected}` not shown:\n{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_with_retry_after_is_waited_out_and_the_pane_says_until_when() {
    let (url, hits) = serve(Arc::new(|_: &Method, _: &Uri, _: &HeaderMap| {
        let mut r = (
            StatusCode::TOO_MANY_REQUESTS,
            r#"{"message": "Too many requests"}"#,
        )
            .into_response();
        r.headers_mut()
            .insert("retry-after", "600".parse().expect("header"));
        r
    }))
    .await;
    let before = now_secs() as i64;
    let (task, failing) = limited_poller(&url).await;
    let PipelineUpdate::Failing {
        rate_limited_until: Some(until),
        ref error,
        ..
    } = failing
    else {
        panic!("not a rate limit: {failing:?}")
    };
    assert!(error.starts_with("rate limited until "), "{error}");
    // retry-after: 600 s from when it was answered
    assert!(
        until.as_second() >= before + 600 && until.as_second() <= now_secs() as i64 + 600,
        "until {until}, asked at {before}"
    );
    // as long as a poller with the same settings takes to ask a failing server ten times
    same_settings_ask_a_failing_server(10).await;
    task.abort();
    assert_eq!(
        *hits.lock().expect("lock"),
        1,
        "requests sent while limited"
    );
    assert_pane_shows_wait(failing, &url, until);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_403_at_zero_remaining_waits_until_the_reset_and_the_pane_says_until_when() {
    let reset = now_secs() + 1800;
    let (url, hits) = serve(Arc::new(move |_: &Method, _: &Uri, _: &HeaderMap| {
        let mut r = (
            StatusCode::FORBIDDEN,
            r#"{"message": "API rate limit exceeded for 127.0.0.1."}"#,
        )
            .into_response();
        let h = r.headers_mut();
        h.insert("x-ratelimit-limit", "60".parse().expect("header"));
        h.insert("x-ratelimit-remaining", "0".parse().expect("header"));
        h.insert(
            "x-ratelimit-reset",
            reset.to_string().parse().expect("header"),
        );
        r
    }))
    .await;
    let (task, failing) = limited_poller(&url).await;
    let PipelineUpdate::Failing {
        rate_limited_until: Some(until),
        ref error,
        ..
    } = failing
    else {
        panic!("not a rate limit: {failing:?}")
    };
    assert!(error.starts_with("rate limited until "), "{error}");
    assert_eq!(until.as_second(), reset as i64, "waits until the reset");
    // as long as a poller with the same settings takes to ask a failing server ten times
    same_settings_ask_a_failing_server(10).await;
    task.abort();
    assert_eq!(
        *hits.lock().expect("lock"),
        1,
        "requests sent while limited"
    );
    assert_pane_shows_wait(failing, &url, until);
}

// ---------------------------------------------------------------------------------------
// 4. the token is never shown, logged or audited

const CANARY: &str = "ghp_FDcanaryQ7zX9wLk2mTr";

fn leaks(text: &str) -> bool {
    // a truncated or wrapped token is a leak too: look for its distinctive middle
    text.contains(CANARY) || text.contains("canaryQ7zX") || text.contains("Q7zX9wLk")
}

/// A careless server: every answer echoes the request's Authorization header back, in the
/// body's message, in plain-text bodies and in headers; some are errors, one a rate limit.
fn echoing(method: &Method, uri: &Uri, h: &HeaderMap) -> Response {
    let auth = h
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let json_msg =
        format!(r#"{{"message": "Bad credentials: {auth}", "documentation_url": "{auth}"}}"#);
    let path = uri.path();
    let mut r = if *method != Method::GET {
        (StatusCode::UNPROCESSABLE_ENTITY, json_msg).into_response()
    } else if path.ends_with("/actions/runs") {
        (StatusCode::UNAUTHORIZED, json_msg).into_response()
    } else if path.contains("/deployments") {
        (StatusCode::FORBIDDEN, json_msg).into_response()
    } else if path.contains("/jobs") {
        (StatusCode::BAD_GATEWAY, format!("upstream said {auth}")).into_response()
    } else {
        (StatusCode::NOT_FOUND, json_msg).into_response()
    };
    if let Ok(v) = auth.parse() {
        r.headers_mut().insert("x-echo", v);
    }
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_never_reaches_the_screen_the_console_log_or_the_audit_log() {
    use flightdeck::ops::{GithubSetup, Review, RunAction};
    flightdeck::applog::init(log::LevelFilter::Trace).expect("the only logger in this binary");
    // every Authorization header the server received: the token must reach it (so that its
    // absence everywhere below is redaction, not a token that was never sent)
    let received: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = received.clone();
    let (url, _hits) = serve(Arc::new(move |m: &Method, u: &Uri, h: &HeaderMap| {
        let auth = h.get("authorization").and_then(|v| v.to_str().ok());
        seen.lock()
            .expect("lock")
            .push(auth.unwrap_or("").to_owned());
        echoing(m, u, h)
    }))
    .await;
    let token = || TokenSetting::Given(Token::new(CANARY));
    let mut s = github_state(&url);

    // the pipeline source: its errors go to the pane and to the console log
    let mut cfg = PollConfig::new(&url, "o/r", token());
    cfg.fast = Duration::from_millis(5);
    cfg.slow = Duration::from_millis(5);
    cfg.max_backoff = Duration::from_millis(5);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let task = spawn_poller(cfg, move |u| tx.send(u).is_ok());
    let failing = first_failing(&mut rx).await;
    task.abort();
    assert!(!leaks(&format!("{failing:?}")), "{failing:?}");
    pipeline(&mut s, failing);

    // operations: their outcome goes to the status bar, the console log and the audit log
    let dir = tempfile::tempdir().expect("tempdir");
    let audit = dir.path().join("audit.jsonl");
    let ex = Executor::new(Err("no cluster".into()), false, AuditLog::at(&audit)).with_github(
        Some(GithubSetup {
            api_url: url.clone(),
            repo: "o/r".into(),
            token: token(),
        }),
    );
    let ops = [
        Operation::ReviewDeployment {
            review: Review::Approve,
            environment: "production".into(),
            run_id: 7,
            run_number: 7,
            sha: "0123456789abcdef".into(),
            environment_ids: vec![1],
        },
        Operation::Run {
            action: RunAction::Cancel,
            run_id: 7,
            run_number: 7,
            workflow: "release".into(),
        },
        Operation::Run {
            action: RunAction::RerunFailed,
            run_id: 7,
            run_number: 7,
            workflow: "release".into(),
        },
    ];
    for op in ops {
        if let Ok(plan) = ex.plan(op.clone()).await {
            assert!(!leaks(&format!("{plan:?}")), "{plan:?}");
        }
        let out = ex.execute(&op, "before", "after").await;
        assert!(!out.ok, "the echoing server refuses: {out:?}");
        assert!(!leaks(&format!("{out:?}")), "{out:?}");
        update(&mut s, Event::OpResult(Box::new(out)));
        let text = screen(&s, 200, 40);
        assert!(!leaks(&text), "on screen:\n{text}");
    }

    let got = received.lock().expect("lock").clone();
    let with_token = got.iter().filter(|a| a.contains(CANARY)).count();
    // the poller's GETs and the three operations' requests all carried it
    assert!(
        with_token >= 4,
        "{with_token} of {} requests carried the token",
        got.len()
    );
    assert!(
        got.iter().all(|a| a.contains(CANARY)),
        "a request went without it: {got:?}"
    );

    let audited = std::fs::read_to_string(&audit).expect("audit.jsonl written");
    // three operations: an intent before each request and an outcome after it
    assert_eq!(audited.lines().count(), 6, "{audited}");
    assert!(!leaks(&audited), "in audit.jsonl:\n{audited}");

    let text = screen(&s, 200, 40);
    assert!(text.contains("Pipeline"), "{text}");
    assert!(!leaks(&text), "on screen:\n{text}");

    // the console log (`!`), wide enough that no line is cut
    flightdeck::applog::collect();
    s.overlay = Overlay::ConsoleLog;
    let text = screen(&s, 400, 120);
    assert!(
        text.contains("GitHub") || text.contains("operation"),
        "the console log shows the errors:\n{text}"
    );
    assert!(!leaks(&text), "in the console log:\n{text}");
}

// ---------------------------------------------------------------------------------------
// 2. NO_COLOR

/// Run in a child process of this test binary (see below), with NO_COLOR as the parent set
/// it: builds the State as the console does at start-up and prints its theme.
#[test]
fn child_print_the_start_up_theme() {
    let Some(dir) = std::env::var_os("FLIGHTDECK_TEST_CHILD_CONFIG_DIR") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let global = flightdeck::cli::GlobalArgs {
        config: Some(dir.join("config.toml")),
        ..Default::default()
    };
    let s = flightdeck::console::initial_state(&global, None);
    // every cell of a whole frame: foreground and background colours
    let mut t =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).expect("terminal");
    t.draw(|f| flightdeck::ui::render(&s, f)).expect("draw");
    let buf = t.backend().buffer();
    let coloured = buf
        .content()
        .iter()
        .filter(|c| {
            use ratatui::style::Color;
            c.fg != Color::Reset || c.bg != Color::Reset
        })
        .count();
    println!("THEME={} COLOURED_CELLS={coloured}", s.theme.name);
}

fn start_up_theme(no_color: Option<&str>) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("config.toml"), "").expect("write config");
    let mut cmd = std::process::Command::new(std::env::current_exe().expect("test binary"));
    cmd.args([
        "--exact",
        "promises::child_print_the_start_up_theme",
        "--nocapture",
    ])
    .env("FLIGHTDECK_TEST_CHILD_CONFIG_DIR", dir.path())
    .env("HOME", dir.path())
    .env("XDG_CONFIG_HOME", dir.path().join("cfg"))
    .env("XDG_DATA_HOME", dir.path().join("data"))
    .env("KUBECONFIG", dir.path().join("no-kubeconfig"))
    .env_remove("NO_COLOR");
    if let Some(v) = no_color {
        cmd.env("NO_COLOR", v);
    }
    let out = cmd.output().expect("run the child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "child failed: {stdout}");
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("THEME="))
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no THEME line: {stdout}"))
}

#[test]
fn no_color_in_the_environment_selects_the_mono_theme() {
    assert_eq!(start_up_theme(Some("1")), "mono COLOURED_CELLS=0");
    // any non-empty value counts (no-color.org); an empty one does not
    assert_eq!(start_up_theme(Some("yes please")), "mono COLOURED_CELLS=0");
    let dark = start_up_theme(Some(""));
    assert!(dark.starts_with("dark "), "{dark}");
    assert_ne!(
        dark, "dark COLOURED_CELLS=0",
        "the default theme has colour"
    );
    let unset = start_up_theme(None);
    assert_eq!(unset, dark);
}
