//! Unit tests of `prometheus.rs`.

use super::*;

#[test]
fn values_as_strings() {
    assert!(parse_value("NaN").is_nan());
    assert_eq!(parse_value("+Inf"), f64::INFINITY);
    assert_eq!(parse_value("-Inf"), f64::NEG_INFINITY);
    assert_eq!(parse_value("1e+00"), 1.0);
    assert!(parse_value("garbage").is_nan());
}

#[test]
fn alert_value_number_or_string() {
    assert_eq!(lenient_value(&serde_json::json!(0.25)), 0.25);
    assert_eq!(lenient_value(&serde_json::json!("2.5e-01")), 0.25);
    assert!(lenient_value(&serde_json::json!(null)).is_nan());
}

#[test]
fn unsound_results_are_problems_no_traffic_is_not() {
    assert_eq!(
        point_problem(Some(f64::NAN), Some(0.0)),
        None,
        "0/0: no traffic"
    );
    assert_eq!(point_problem(None, Some(12.0)), None, "no 5xx series");
    assert_eq!(point_problem(Some(0.1), Some(12.0)), None);
    let nan_rate = point_problem(Some(f64::NAN), Some(f64::NAN));
    assert!(nan_rate.is_some_and(|p| p.contains("request rate is NaN")));
    let negative = point_problem(Some(0.0), Some(-52319.3));
    assert!(negative.is_some_and(|p| p.contains("negative (-52319.3/s)")));
    let nan_ratio = point_problem(Some(f64::NAN), Some(3.0));
    assert!(nan_ratio.is_some_and(|p| p.contains("5xx ratio is NaN")));
    let inf = point_problem(Some(f64::INFINITY), Some(3.0));
    assert!(inf.is_some_and(|p| p.contains("+Inf")));
    assert!(point_problem(Some(1.5), Some(3.0)).is_some());
}

#[test]
fn service_is_quoted() {
    assert_eq!(
        Queries::for_service(r#"x{service="$service"}"#, r#"a"b"#),
        r#"x{service="a\"b"}"#
    );
}

#[test]
fn unix_seconds_keep_milliseconds() {
    assert_eq!(unix_seconds(1_700_000_000_123), "1700000000.123");
    assert_eq!(unix_seconds(1_700_000_000_000), "1700000000.000");
}

#[test]
fn the_rate_window_is_substituted_into_every_default_template() {
    let q = Queries {
        window: "90s".into(),
        ..Queries::default()
    };
    for template in [&q.error_ratio, &q.request_rate, &q.latency_p95] {
        assert!(template.contains("[$window]"), "{template}");
        let expanded = q.expand(template, "checkout");
        assert!(expanded.contains("[90s]"), "{expanded}");
        assert!(!expanded.contains('$'), "{expanded}");
        assert!(expanded.contains(r#"service="checkout""#), "{expanded}");
    }
    assert_eq!(q.window_ms(), 90_000);
    assert_eq!(Queries::default().window_ms(), 300_000);
}

#[test]
fn the_console_config_keeps_every_metrics_key() {
    let (config, diags) = crate::config::Config::parse_lenient(
        "c.toml",
        r#"
[metrics]
prometheus = "http://prometheus:9090"
alertmanager = "http://alertmanager:9093"
window = "2m"
status_label = "code"
revision_label = "version"
max_page_bytes = 1000
error_ratio = 'sum(rate(errors{service="$service"}[$window]))'
[[metrics.target]]
service = "checkout"
url = "http://checkout/metrics"
[[metrics.target]]
service = "cart"
url = "http://cart/metrics"
"#,
    );
    assert!(diags.is_empty(), "{diags:?}");
    let m = config.metrics.expect("metrics");
    let pc = PrometheusConfig::from_metrics("http://prometheus:9090", &m, 1000);
    assert_eq!(pc.url, "http://prometheus:9090");
    assert_eq!(pc.alertmanager.as_deref(), Some("http://alertmanager:9093"));
    assert_eq!(pc.services, ["checkout", "cart"]);
    assert_eq!(pc.queries.window, "2m");
    assert_eq!(
        pc.queries.error_ratio,
        r#"sum(rate(errors{service="$service"}[$window]))"#
    );
    assert_eq!(pc.status_label.0, "code");
    assert_eq!(pc.revision_label.0, "version");
    assert_eq!(pc.max_page_bytes, 1000);
    assert_eq!(pc.window, std::time::Duration::from_secs(30 * 60));
}

#[test]
fn an_environments_matchers_go_beside_every_service_matcher() {
    let q = Queries {
        matchers: vec![("namespace".into(), r#"shop"x"#.into())],
        ..Queries::default()
    };
    for template in [&q.error_ratio, &q.request_rate, &q.latency_p95] {
        let expanded = q.expand(template, "checkout");
        let services = expanded.matches(r#"service="checkout""#).count();
        assert!(services > 0, "{expanded}");
        assert_eq!(
            expanded
                .matches(r#"service="checkout",namespace="shop\"x""#)
                .count(),
            services,
            "{expanded}"
        );
    }
    let revisions = revision_query_in(
        &["checkout".into()],
        &Default::default(),
        &Default::default(),
        "5m",
        &q.extra_matchers(),
    );
    assert!(
        revisions.contains(r#"!="",namespace="shop\"x"}[5m]"#),
        "{revisions}"
    );
    // without an environment's matchers the queries are the templates'
    assert_eq!(
        Queries::default().expand(&q.error_ratio, "checkout"),
        Queries::for_service(&q.error_ratio.replace("$window", "5m"), "checkout")
    );
}
