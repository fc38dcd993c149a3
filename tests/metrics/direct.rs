//! Direct-scrape mode end to end: the real task and HTTP client against a tiny axum server on
//! loopback whose counters move on every scrape.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use flightdeck::app::panes::errors::ErrorRateState;
use flightdeck::config::Config;
use flightdeck::sources::metrics::direct::{MAX_PAGE_BYTES, fetch, spawn_direct};
use flightdeck::sources::metrics::{Health, MetricsUpdate, Target};
use futures::StreamExt;
use tokio::sync::mpsc;

#[derive(Clone, Copy, PartialEq, Debug)]
enum Mode {
    /// Each scrape: +90 ok, +10 errors.
    Bad,
    /// Each scrape: +100 ok.
    Healthy,
    /// The process restarted: counters start over from small values.
    Restarted,
    Garbage,
}

#[derive(Default)]
struct Counters {
    ok: u64,
    errors: u64,
    fast: u64,
    slow: u64,
    mode: Option<Mode>,
}

type Shared = Arc<Mutex<Counters>>;

async fn metrics(State(shared): State<Shared>) -> String {
    let Ok(mut c) = shared.lock() else {
        return String::new();
    };
    match c.mode.unwrap_or(Mode::Bad) {
        Mode::Bad => {
            c.ok += 90;
            c.errors += 10;
            c.fast += 90;
            c.slow += 10;
        }
        Mode::Healthy => {
            c.ok += 100;
            c.fast += 100;
        }
        Mode::Restarted => {
            (c.ok, c.errors, c.fast, c.slow) = (5, 0, 5, 0);
            c.mode = Some(Mode::Healthy);
        }
        Mode::Garbage => return "http_requests_total{status=\"200\" 12\n".to_owned(),
    }
    let fast_total = c.fast;
    let all = c.fast + c.slow;
    format!(
        "# TYPE http_requests_total counter\n\
         http_requests_total{{status=\"200\",method=\"GET\"}} {}\n\
         http_requests_total{{status=\"500\",method=\"GET\"}} {}\n\
         # TYPE http_request_duration_seconds histogram\n\
         http_request_duration_seconds_bucket{{le=\"0.05\"}} {fast_total}\n\
         http_request_duration_seconds_bucket{{le=\"2\"}} {all}\n\
         http_request_duration_seconds_bucket{{le=\"+Inf\"}} {all}\n\
         http_request_duration_seconds_count {all}\n",
        c.ok, c.errors
    )
}

async fn serve(shared: Shared) -> String {
    let app = Router::new()
        .route("/metrics/checkout", get(metrics))
        .with_state(shared);
    let addr = serve_app(app).await;
    format!("http://{addr}")
}

async fn closed_port() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    drop(listener);
    format!("http://{addr}/metrics")
}

fn set_mode(shared: &Shared, mode: Mode) {
    if let Ok(mut c) = shared.lock() {
        c.mode = Some(mode);
    }
}

/// Applies updates until `done` holds; bounded by a count of updates, not by time.
async fn until(
    rx: &mut mpsc::UnboundedReceiver<MetricsUpdate>,
    state: &mut ErrorRateState,
    what: &str,
    done: impl Fn(&ErrorRateState) -> bool,
) {
    for _ in 0..200 {
        let update = rx.recv().await.expect("the source task is running");
        state.apply(update);
        if done(state) {
            return;
        }
    }
    panic!("never reached: {what}; state: {state:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_mode_end_to_end() {
    let shared: Shared = Arc::default();
    let base = serve(shared.clone()).await;
    let dead = closed_port().await;
    let targets = vec![
        Target {
            service: "checkout".into(),
            url: format!("{base}/metrics/checkout"),
        },
        Target {
            service: "ghost".into(),
            url: dead.clone(),
        },
    ];
    let (tx, mut rx) = mpsc::unbounded_channel();
    let task = spawn_direct(targets, Duration::from_millis(100), move |u| {
        tx.send(u).is_ok()
    });
    let mut state = ErrorRateState::new(Duration::from_secs(60), Duration::from_millis(100));

    // A bad release: 10% errors on every scrape, p95 in the (0.05, 2] bucket.
    until(&mut rx, &mut state, "ratio 0.1", |s| {
        s.service("checkout")
            .is_some_and(|c| (c.error_ratio() - 0.1).abs() < 1e-9)
    })
    .await;
    let checkout = state.service("checkout").expect("checkout");
    let latest = checkout.latest.expect("a point");
    assert!(latest.request_rate > 0.0);
    // rank 95 of 100: 0.05 + 1.95 * (95 - 90) / 10
    assert!((latest.p95_seconds - 1.025).abs() < 1e-9, "{latest:?}");

    // The dead target fails with the connection error, the other is unaffected.
    until(&mut rx, &mut state, "ghost failing", |s| {
        s.service("ghost").is_some_and(|g| g.failing.is_some())
    })
    .await;
    let ghost = state.service("ghost").expect("ghost");
    let error = &ghost.failing.as_ref().expect("failing").error;
    assert!(error.contains(&dead), "{error}");
    assert!(ghost.history.is_empty());

    // Rollback: the ratio falls to 0.
    set_mode(&shared, Mode::Healthy);
    until(&mut rx, &mut state, "ratio 0", |s| {
        s.service("checkout")
            .is_some_and(|c| c.error_ratio() == 0.0)
    })
    .await;

    // A restart resets the counters: no negative or huge spike, still 0 errors.
    set_mode(&shared, Mode::Restarted);
    let before = state.service("checkout").map_or(0, |c| c.history.len());
    until(&mut rx, &mut state, "points after reset", |s| {
        s.service("checkout")
            .is_some_and(|c| c.history.len() >= before + 3)
    })
    .await;
    let checkout = state.service("checkout").expect("checkout");
    for p in checkout.history.iter().skip(before) {
        assert_eq!(p.error_ratio, 0.0, "{p:?}");
        assert!(p.request_rate >= 0.0, "{p:?}");
    }

    // Malformed text: failing with the parse error and its position, history kept.
    set_mode(&shared, Mode::Garbage);
    until(&mut rx, &mut state, "parse failure", |s| {
        s.service("checkout").is_some_and(|c| c.failing.is_some())
    })
    .await;
    let checkout = state.service("checkout").expect("checkout");
    let error = &checkout.failing.as_ref().expect("failing").error;
    assert!(error.contains("malformed metrics text: line 1:"), "{error}");
    assert!(!checkout.history.is_empty());

    set_mode(&shared, Mode::Healthy);
    until(&mut rx, &mut state, "recovered", |s| {
        s.service("checkout").is_some_and(|c| c.failing.is_none())
    })
    .await;

    // The receiver goes away: the task ends on its next send.
    drop(rx);
    task.await.expect("the task ends cleanly");
}

#[tokio::test]
async fn http_errors_mark_the_target_failing() {
    let app = Router::new()
        .route(
            "/metrics",
            get(|| async { (axum::http::StatusCode::SERVICE_UNAVAILABLE, "down") }),
        )
        .route("/binary", get(|| async { b"up 1\n\xff\xfe 2\n".to_vec() }));
    let addr = serve_app(app).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let task = spawn_direct(
        vec![
            Target {
                service: "api".into(),
                url: format!("http://{addr}/metrics"),
            },
            Target {
                service: "blob".into(),
                url: format!("http://{addr}/binary"),
            },
        ],
        Duration::from_millis(50),
        move |u| tx.send(u).is_ok(),
    );
    let update = rx.recv().await.expect("an update");
    match &update.health[0].health {
        Health::Failing { error } => assert!(error.contains("HTTP 503"), "{error}"),
        Health::Up => panic!("expected failing: {update:?}"),
    }
    match &update.health[1].health {
        Health::Failing { error } => assert!(error.contains("not UTF-8 (byte 5)"), "{error}"),
        Health::Up => panic!("expected failing: {update:?}"),
    }
    drop(rx);
    task.await.expect("ends");
}

/// A page of `bytes` of valid exposition text, counters only.
fn big_page(bytes: usize) -> String {
    let line = "http_requests_total{service=\"big\",status=\"200\",method=\"GET\"} 1\n";
    let mut page = String::with_capacity(bytes + line.len());
    let mut n = 0u64;
    while page.len() < bytes {
        page.push_str(&format!(
            "http_requests_total{{service=\"big\",status=\"200\",path=\"/p{n}\"}} 1\n"
        ));
        n += 1;
    }
    page
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_over_the_limit_fails_with_the_setting_to_raise() {
    let five_mb = big_page(5_000_000);
    let app = Router::new()
        // declared length: refused before reading
        .route("/big", get(move || async move { five_mb }))
        // no length, and no end: only a reader that stops at the limit gets an answer
        .route(
            "/endless",
            get(|| async {
                let chunk = big_page(64 << 10).into_bytes();
                let chunks = futures::stream::repeat(chunk).map(Ok::<_, std::io::Error>);
                axum::body::Body::from_stream(chunks)
            }),
        );
    let addr = serve_app(app).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let task = spawn_direct(
        vec![
            Target {
                service: "big".into(),
                url: format!("http://{addr}/big"),
            },
            Target {
                service: "endless".into(),
                url: format!("http://{addr}/endless"),
            },
        ],
        // the client's timeout is this interval: reading on past the limit would end in a
        // timeout error, not the limit's message
        Duration::from_secs(2),
        move |u| tx.send(u).is_ok(),
    );
    let update = tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("an update within 30 s")
        .expect("an update");
    assert_eq!(update.health.len(), 2, "{update:?}");
    for h in &update.health {
        match &h.health {
            Health::Failing { error } => assert!(
                error.ends_with("page over 4 MiB limit; raise [metrics] max_page_bytes"),
                "{}: {error}",
                h.service
            ),
            Health::Up => panic!("{} read past the limit: {update:?}", h.service),
        }
    }
    drop(rx);
    task.await.expect("ends");
}

#[tokio::test]
async fn the_limit_is_configurable() {
    let page = big_page(200_000);
    let app = Router::new().route("/metrics", get(move || async move { page }));
    let addr = serve_app(app).await;
    let url = format!("http://{addr}/metrics");
    let client = flightdeck::sources::metrics::http_client(Duration::from_secs(2)).expect("client");
    let small = fetch(&client, &url, 100 << 10)
        .await
        .expect_err("over 100 KiB");
    assert!(
        small.ends_with("page over 100 KiB limit; raise [metrics] max_page_bytes"),
        "{small}"
    );
    let body = fetch(&client, &url, MAX_PAGE_BYTES)
        .await
        .expect("under 4 MiB");
    assert!(body.len() >= 200_000);
}

#[test]
fn max_page_bytes_is_read_from_the_config_and_must_be_positive() {
    let config = Config::parse_strict("c.toml", "[metrics]\nmax_page_bytes = 1048576\n")
        .expect("an integer is accepted");
    let metrics = config.metrics.expect("metrics section");
    assert_eq!(metrics.max_page_bytes, 1 << 20);
    let default = Config::parse_strict("c.toml", "[metrics]\n").expect("parses");
    assert_eq!(
        default.metrics.expect("metrics").max_page_bytes,
        MAX_PAGE_BYTES as u64,
        "default 4 MiB"
    );
    let zero = Config::parse_strict("c.toml", "[metrics]\nmax_page_bytes = 0\n")
        .expect_err("0 is refused");
    let text = format!("{zero:?}");
    assert!(text.contains("max_page_bytes must be above 0"), "{text}");
    let text_value = Config::parse_strict("c.toml", "[metrics]\nmax_page_bytes = \"4MiB\"\n")
        .expect_err("a string is refused");
    assert_eq!(text_value.len(), 1, "{text_value:?}");
    assert_eq!(text_value[0].line, 2, "{text_value:?}");
    assert!(
        text_value[0].message.contains("expected u64"),
        "{text_value:?}"
    );
}

/// Serves `app` on a loopback port of its own, in the background; its address.
async fn serve_app(app: axum::Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}
