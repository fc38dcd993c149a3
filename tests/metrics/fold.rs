//! Direct-scrape math on handwritten pages, and the pane's state fold.

use std::time::Duration;

use flightdeck::app::panes::errors::ErrorRateState;
use flightdeck::sources::exposition::parse;
use flightdeck::sources::metrics::fold::DirectFold;
use flightdeck::sources::metrics::{
    Alert, AlertState, AlertsUpdate, Health, MetricsUpdate, Point, ServiceHealth, ServicePoints,
    StatusLabel,
};
use jiff::Timestamp;

/// A page for service `checkout`: requests by status and method, and a latency histogram.
fn page(ok_get: f64, ok_post: f64, err: f64, buckets: [f64; 4]) -> String {
    format!(
        "# HELP http_requests_total Requests.\n\
         # TYPE http_requests_total counter\n\
         http_requests_total{{service=\"checkout\",status=\"200\",method=\"GET\"}} {ok_get}\n\
         http_requests_total{{method=\"POST\",service=\"checkout\",status=\"200\"}} {ok_post}\n\
         http_requests_total{{service=\"checkout\",status=\"503\",method=\"GET\"}} {err}\n\
         # TYPE http_request_duration_seconds histogram\n\
         http_request_duration_seconds_bucket{{service=\"checkout\",le=\"0.1\"}} {}\n\
         http_request_duration_seconds_bucket{{service=\"checkout\",le=\"0.5\"}} {}\n\
         http_request_duration_seconds_bucket{{service=\"checkout\",le=\"1\"}} {}\n\
         http_request_duration_seconds_bucket{{service=\"checkout\",le=\"+Inf\"}} {}\n\
         http_request_duration_seconds_sum{{service=\"checkout\"}} 1\n\
         http_request_duration_seconds_count{{service=\"checkout\"}} {}\n",
        buckets[0], buckets[1], buckets[2], buckets[3], buckets[3]
    )
}

fn fold(fold: &mut DirectFold, text: &str, at_ms: i64) -> Option<Point> {
    let scrape = parse(text).expect("test page parses");
    let folded = fold
        .fold(&scrape, "fallback", at_ms)
        .expect("no duplicate series");
    assert!(folded.problems.is_empty(), "sound numbers: {folded:?}");
    let out = folded.points;
    assert!(out.len() <= 1, "one service expected: {out:?}");
    out.into_iter().next().map(|s| {
        assert_eq!(s.service, "checkout");
        s.points[0]
    })
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn ratio_and_rate_from_counter_deltas() {
    let mut f = DirectFold::default();
    assert_eq!(
        fold(&mut f, &page(100.0, 50.0, 10.0, [0.0; 4]), 0),
        None,
        "first page is the baseline"
    );
    // +60 GET ok, +30 POST ok, +10 errors over 10 s: 10% errors, 10 req/s.
    let p = fold(&mut f, &page(160.0, 80.0, 20.0, [0.0; 4]), 10_000).expect("a point");
    assert!(close(p.error_ratio, 0.1), "{p:?}");
    assert!(close(p.request_rate, 10.0), "{p:?}");
    assert_eq!(p.at_ms, 10_000);
}

#[test]
fn counter_reset_mid_window_counts_the_new_value() {
    let mut f = DirectFold::default();
    fold(&mut f, &page(1000.0, 0.0, 100.0, [0.0; 4]), 0);
    fold(&mut f, &page(1090.0, 0.0, 110.0, [0.0; 4]), 10_000);
    // The process restarted: every counter starts again. Increase = new value: 18 ok, 2 errors.
    let p = fold(&mut f, &page(18.0, 0.0, 2.0, [0.0; 4]), 20_000).expect("a point");
    assert!(close(p.error_ratio, 0.1), "{p:?}");
    assert!(close(p.request_rate, 2.0), "{p:?}");
    // And after the reset, ordinary deltas again: +40 ok, +0 errors.
    let p = fold(&mut f, &page(58.0, 0.0, 2.0, [0.0; 4]), 30_000).expect("a point");
    assert!(close(p.error_ratio, 0.0), "{p:?}");
    assert!(close(p.request_rate, 4.0), "{p:?}");
}

#[test]
fn only_one_series_resetting_is_handled_per_series() {
    let mut f = DirectFold::default();
    fold(&mut f, &page(500.0, 500.0, 50.0, [0.0; 4]), 0);
    // POST series reset to 5, the others grew: Δ = 50 + 5 + 5 = 60, errors 5.
    let p = fold(&mut f, &page(550.0, 5.0, 55.0, [0.0; 4]), 6_000).expect("a point");
    assert!(close(p.error_ratio, 5.0 / 60.0), "{p:?}");
    assert!(close(p.request_rate, 10.0), "{p:?}");
}

#[test]
fn p95_from_bucket_deltas_interpolates() {
    let mut f = DirectFold::default();
    // Old observations must not count: only the increase between pages.
    fold(
        &mut f,
        &page(0.0, 0.0, 0.0, [1000.0, 1000.0, 1000.0, 1000.0]),
        0,
    );
    // 100 new requests: 50 ≤ 0.1 s, 40 in (0.1, 0.5], 10 in (0.5, 1].
    let p = fold(
        &mut f,
        &page(100.0, 0.0, 0.0, [1050.0, 1090.0, 1100.0, 1100.0]),
        10_000,
    )
    .expect("a point");
    // rank 95 is in (0.5, 1]: 0.5 + 0.5 * (95 - 90) / 10 = 0.75
    assert!(close(p.p95_seconds, 0.75), "{p:?}");
}

#[test]
fn zero_traffic_is_nan_not_zero() {
    let mut f = DirectFold::default();
    let text = page(10.0, 10.0, 1.0, [5.0, 5.0, 5.0, 5.0]);
    fold(&mut f, &text, 0);
    let p = fold(&mut f, &text, 10_000).expect("a point");
    assert!(p.error_ratio.is_nan());
    assert!(p.p95_seconds.is_nan());
    assert_eq!(p.request_rate, 0.0);
}

#[test]
fn code_label_accepted_and_status_label_configurable() {
    let text = |ok: u32, bad: u32| {
        format!(
            "http_requests_total{{code=\"200\"}} {ok}\nhttp_requests_total{{code=\"500\"}} {bad}\n"
        )
    };
    let mut f = DirectFold::default();
    let scrape = |t: String| parse(&t).expect("parses");
    assert_eq!(
        f.fold(&scrape(text(0, 0)), "api", 0),
        Ok(Default::default())
    );
    let out = f
        .fold(&scrape(text(75, 25)), "api", 1_000)
        .expect("folds")
        .points;
    assert_eq!(
        out[0].service, "api",
        "no service label: the target's service"
    );
    assert!(close(out[0].points[0].error_ratio, 0.25));

    let custom = |ok: u32, bad: u32| {
        format!(
            "http_requests_total{{http_status=\"204\"}} {ok}\nhttp_requests_total{{http_status=\"502\"}} {bad}\n"
        )
    };
    let mut f = DirectFold::new(StatusLabel("http_status".to_owned()));
    f.fold(&scrape(custom(0, 0)), "api", 0).expect("folds");
    let out = f
        .fold(&scrape(custom(90, 10)), "api", 1_000)
        .expect("folds")
        .points;
    assert!(close(out[0].points[0].error_ratio, 0.1));
}

#[test]
fn several_services_on_one_page_and_new_series_skipped() {
    let mut f = DirectFold::default();
    let a = "http_requests_total{service=\"a\",status=\"200\"} 10\n\
             http_requests_total{service=\"b\",status=\"200\"} 10\n";
    let b = "http_requests_total{service=\"a\",status=\"200\"} 20\n\
             http_requests_total{service=\"b\",status=\"200\"} 30\n\
             http_requests_total{service=\"b\",status=\"500\"} 1000\n";
    f.fold(&parse(a).expect("parses"), "x", 0).expect("folds");
    let out = f
        .fold(&parse(b).expect("parses"), "x", 10_000)
        .expect("folds")
        .points;
    let names: Vec<&str> = out.iter().map(|s| s.service.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    // b's 500 series is new: no increase known yet, so not counted.
    assert!(close(out[1].points[0].error_ratio, 0.0));
    assert!(close(out[1].points[0].request_rate, 2.0));
}

// ---- numbers that cannot be right ----

/// Folds `text` and gives the one data problem it must have (for service `checkout`).
fn problem(f: &mut DirectFold, text: &str, at_ms: i64) -> String {
    let folded = f
        .fold(&parse(text).expect("test page parses"), "fallback", at_ms)
        .expect("no duplicate series");
    assert!(
        folded.points.is_empty(),
        "no point from unsound numbers: {folded:?}"
    );
    assert_eq!(folded.problems.len(), 1, "{folded:?}");
    assert_eq!(folded.problems[0].service, "checkout");
    folded.problems[0].problem.clone()
}

#[test]
fn a_nan_5xx_counter_is_a_data_problem_not_zero_percent() {
    let mut f = DirectFold::default();
    fold(&mut f, &page(100.0, 50.0, 10.0, [0.0; 4]), 0);
    let text = problem(&mut f, &page(160.0, 80.0, f64::NAN, [0.0; 4]), 10_000);
    assert!(text.starts_with("5xx counter is NaN: "), "{text}");
    assert!(text.contains(r#"status="503""#), "names the series: {text}");
    // Even on the first page (the baseline), a NaN is reported at once.
    let mut fresh = DirectFold::default();
    let text = problem(&mut fresh, &page(1.0, 1.0, f64::NAN, [0.0; 4]), 0);
    assert!(text.starts_with("5xx counter is NaN"), "{text}");
    // Sound again: a point. The NaN series deltas from its last sound reading (10 → 20),
    // the others from the NaN page's (+60, +30): 10 errors of 100.
    let p = fold(&mut f, &page(220.0, 110.0, 20.0, [0.0; 4]), 20_000).expect("a point");
    assert!(close(p.error_ratio, 0.1), "{p:?}");
}

#[test]
fn an_infinite_counter_is_a_data_problem() {
    let mut f = DirectFold::default();
    fold(&mut f, &page(100.0, 50.0, 10.0, [0.0; 4]), 0);
    let text = problem(&mut f, &page(f64::INFINITY, 80.0, 20.0, [0.0; 4]), 10_000);
    assert!(text.starts_with("request counter is +Inf: "), "{text}");
    assert!(text.contains(r#"method="GET""#), "{text}");
}

#[test]
fn a_negative_counter_never_gives_a_negative_rate() {
    let mut f = DirectFold::default();
    fold(&mut f, &page(100.0, 50.0, 10.0, [0.0; 4]), 0);
    // What users saw as "-52319.3/s": the counter read below zero.
    let text = problem(&mut f, &page(-523_093.0, 80.0, 20.0, [0.0; 4]), 10_000);
    assert!(
        text.starts_with("request counter is negative (-523093)"),
        "{text}"
    );
}

#[test]
fn a_small_decrease_is_a_glitch_a_big_one_a_reset() {
    let mut f = DirectFold::default();
    fold(&mut f, &page(1000.0, 0.0, 100.0, [0.0; 4]), 0);
    // 1000 → 990: not a restart (it would have counted 990 in 10 s). Prometheus would add
    // 990 requests; we report it and count nothing.
    let text = problem(&mut f, &page(990.0, 0.0, 110.0, [0.0; 4]), 10_000);
    assert!(
        text.starts_with("request counter went down from 1000 to 990 (not a reset): "),
        "{text}"
    );
    // The new value is the baseline: +10 ok, +0 errors over 10 s.
    let p = fold(&mut f, &page(1000.0, 0.0, 110.0, [0.0; 4]), 20_000).expect("a point");
    assert!(close(p.request_rate, 1.0), "{p:?}");
    assert!(close(p.error_ratio, 0.0), "{p:?}");
    // A drop to at most half is a reset: the new value counts from 0 (3 ok, 1 error).
    let p = fold(&mut f, &page(3.0, 0.0, 1.0, [0.0; 4]), 30_000).expect("a point");
    assert!(close(p.error_ratio, 0.25), "{p:?}");
    assert!(p.request_rate >= 0.0);
}

#[test]
fn a_decreasing_latency_bucket_is_a_data_problem() {
    let mut f = DirectFold::default();
    fold(
        &mut f,
        &page(10.0, 0.0, 0.0, [100.0, 200.0, 300.0, 300.0]),
        0,
    );
    let text = problem(
        &mut f,
        &page(20.0, 0.0, 0.0, [100.0, 190.0, 310.0, 310.0]),
        10_000,
    );
    assert!(
        text.starts_with("latency bucket went down from 200 to 190"),
        "{text}"
    );
    assert!(text.contains(r#"le="0.5""#), "{text}");
}

#[test]
fn several_problems_name_the_first_and_count_the_rest() {
    let mut f = DirectFold::default();
    let text = problem(&mut f, &page(f64::NAN, f64::NAN, f64::NAN, [0.0; 4]), 0);
    assert!(text.ends_with("(and 2 more)"), "{text}");
}

#[test]
fn duplicate_series_are_an_error_naming_the_series_not_a_sum() {
    let mut f = DirectFold::default();
    let sound = "http_requests_total{service=\"a\",status=\"200\"} 10\n\
                 http_requests_total{service=\"a\",status=\"500\"} 1\n";
    f.fold(&parse(sound).expect("parses"), "x", 0)
        .expect("folds");
    // The same label set, in another order, twice on the page.
    let twice = "http_requests_total{service=\"a\",status=\"200\"} 20\n\
                 http_requests_total{service=\"a\",status=\"500\"} 2\n\
                 http_requests_total{status=\"500\",service=\"a\"} 3\n";
    let error = f
        .fold(&parse(twice).expect("parses"), "x", 10_000)
        .expect_err("a duplicate is an error");
    assert_eq!(
        error,
        r#"duplicate series http_requests_total{status="500",service="a"} on the page (not summed)"#
    );
    // The baseline is untouched: the next sound page folds against the first one.
    let next = "http_requests_total{service=\"a\",status=\"200\"} 30\n\
                http_requests_total{service=\"a\",status=\"500\"} 11\n";
    let out = f
        .fold(&parse(next).expect("parses"), "x", 20_000)
        .expect("folds");
    // +20 ok, +10 errors against the first page, not +3 + 2 summed
    assert!(
        close(out.points[0].points[0].error_ratio, 10.0 / 30.0),
        "{out:?}"
    );
}

// ---- ErrorRateState ----

fn at(s: i64) -> Timestamp {
    Timestamp::from_second(1_700_000_000 + s).expect("valid")
}

fn point(s: i64, ratio: f64) -> Point {
    Point {
        at_ms: at(s).as_millisecond(),
        error_ratio: ratio,
        request_rate: 10.0,
        p95_seconds: 0.2,
    }
}

fn points_update(s: i64, ratio: f64) -> MetricsUpdate {
    let mut u = MetricsUpdate::new(at(s));
    u.points.push(ServicePoints {
        service: "checkout".into(),
        by_revision: Vec::new(),
        points: vec![point(s, ratio)],
    });
    u.health.push(ServiceHealth {
        service: "checkout".into(),
        source: "http://x/metrics".into(),
        health: Health::Up,
        at: at(s),
    });
    u
}

#[test]
fn history_is_bounded_by_the_window() {
    let mut state = ErrorRateState::new(Duration::from_secs(60), Duration::from_secs(10));
    assert_eq!(state.capacity(), 7);
    for s in (0..300).step_by(10) {
        state.apply(points_update(s, s as f64 / 1000.0));
    }
    let series = state.service("checkout").expect("present");
    assert_eq!(series.history.len(), 7);
    assert_eq!(series.history[0].at_ms, at(230).as_millisecond());
    assert!(close(series.error_ratio(), 0.29));
    // A repeated step (API mode overlap) is not stored twice.
    state.apply(points_update(290, 0.5));
    assert_eq!(state.service("checkout").map(|s| s.history.len()), Some(7));
}

#[test]
fn failing_keeps_history_and_records_the_error() {
    let mut state = ErrorRateState::default();
    state.apply(points_update(0, 0.01));
    state.apply(points_update(15, 0.02));
    for s in [30, 45] {
        let mut u = MetricsUpdate::new(at(s));
        u.health.push(ServiceHealth {
            service: "checkout".into(),
            source: "http://x/metrics".into(),
            health: Health::Failing {
                error: "GET http://x/metrics: connection refused".into(),
            },
            at: at(s),
        });
        state.apply(u);
    }
    let series = state.service("checkout").expect("present");
    assert_eq!(series.history.len(), 2);
    let failing = series.failing.as_ref().expect("failing");
    assert_eq!(failing.since, at(30), "since the first failure");
    assert_eq!(failing.last_attempt, at(45));
    assert_eq!(series.stale_for(at(60)), Some(Duration::from_secs(45)));
    assert_eq!(
        series.max_ratio_since(at(0).as_millisecond()),
        Some(0.02f32 as f64)
    );

    state.apply(points_update(60, 0.03));
    assert!(
        state
            .service("checkout")
            .is_some_and(|s| s.failing.is_none())
    );
}

#[test]
fn alerts_replaced_when_read_and_kept_when_not() {
    let alert = Alert {
        name: "HighErrorRate".into(),
        state: AlertState::Firing,
        severity: Some("critical".into()),
        summary: Some("5xx above 5%".into()),
        service: Some("checkout".into()),
        active_at: Some(at(0)),
        value: 0.14,
        labels: Default::default(),
        silenced: false,
    };
    let mut state = ErrorRateState::default();
    let mut u = MetricsUpdate::new(at(0));
    u.alerts = Some(AlertsUpdate {
        alerts: vec![alert.clone()],
        error: None,
        alertmanager_error: None,
    });
    state.apply(u);
    assert_eq!(state.firing(Some("checkout")).count(), 1);
    assert_eq!(state.firing(Some("cart")).count(), 0);

    let mut u = MetricsUpdate::new(at(15));
    u.alerts = Some(AlertsUpdate {
        alerts: vec![],
        error: Some("Prometheus at http://p: connection refused".into()),
        alertmanager_error: None,
    });
    state.apply(u);
    assert_eq!(state.alerts, vec![alert]);
    assert!(state.alerts_failing.is_some());
}
