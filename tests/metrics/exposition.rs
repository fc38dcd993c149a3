//! The text-format parser: the cases `prometheus-parse` 0.2.5 gets wrong (shown here, so the
//! decision to write our own is documented by a test), real DCGM exporter output, and
//! malformed input that must give a line:column error and never a panic.

use flightdeck::sources::exposition::{MetricType, ParseError, Scrape, parse};

fn ok(text: &str) -> Scrape {
    match parse(text) {
        Ok(scrape) => scrape,
        Err(e) => panic!("expected {text:?} to parse, got {e}"),
    }
}

fn err(text: &str) -> ParseError {
    match parse(text) {
        Ok(scrape) => panic!("expected {text:?} to fail, got {scrape:?}"),
        Err(e) => e,
    }
}

fn theirs(text: &str) -> prometheus_parse::Scrape {
    prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
        .expect("prometheus-parse never returns an error for in-memory lines")
}

// ---- what prometheus-parse 0.2.5 gets wrong, and we get right ----

#[test]
fn colon_in_metric_name() {
    let text = "job:http_requests:rate5m 3\n";
    assert!(
        theirs(text).samples.is_empty(),
        "prometheus-parse drops names with ':'"
    );
    let ours = ok(text);
    assert_eq!(ours.samples[0].name, "job:http_requests:rate5m");
    assert_eq!(ours.samples[0].value, 3.0);
}

#[test]
fn comma_in_label_value() {
    let text = "foo{path=\"/a,b\"} 1\n";
    let them = theirs(text);
    assert_eq!(
        them.samples[0].labels.get("path"),
        Some("/a"),
        "prometheus-parse cuts at the comma"
    );
    assert_eq!(ok(text).samples[0].label("path"), Some("/a,b"));
}

#[test]
fn equals_in_label_value() {
    let text = "foo{q=\"a=b\"} 1\n";
    let them = theirs(text);
    assert_eq!(
        them.samples[0].labels.get("q"),
        None,
        "prometheus-parse drops the label"
    );
    assert_eq!(ok(text).samples[0].label("q"), Some("a=b"));
}

#[test]
fn brace_in_label_value() {
    let text = "foo{q=\"x}y\"} 1\n";
    assert!(
        theirs(text).samples.is_empty(),
        "prometheus-parse drops the line"
    );
    assert_eq!(ok(text).samples[0].label("q"), Some("x}y"));
}

#[test]
fn escaped_quotes_and_backslashes() {
    let text = r#"foo{msg="say \"hi\"",path="C:\\tmp",multi="a\nb"} 1"#;
    let them = theirs(text);
    assert_ne!(
        them.samples[0].labels.get("msg"),
        Some("say \"hi\""),
        "prometheus-parse leaves escapes in (and trims the last quote)"
    );
    let ours = ok(text);
    assert_eq!(ours.samples[0].label("msg"), Some("say \"hi\""));
    assert_eq!(ours.samples[0].label("path"), Some("C:\\tmp"));
    assert_eq!(ours.samples[0].label("multi"), Some("a\nb"));
}

#[test]
fn openmetrics_counter_total_suffix_resolves_to_family() {
    let text = "# TYPE reqs counter\nreqs_total 5\n";
    assert!(matches!(
        theirs(text).samples[0].value,
        prometheus_parse::Value::Untyped(_)
    ));
    assert_eq!(ok(text).metric_type("reqs_total"), MetricType::Counter);
}

#[test]
fn prometheus_parse_never_reports_malformed_lines() {
    // It skips what it cannot read; we name the line and column.
    let text = "good 1\nthis is { not a metric\n";
    assert_eq!(theirs(text).samples.len(), 1);
    let e = err(text);
    assert_eq!((e.line, e.column), (2, 6));
}

// ---- the format ----

#[test]
fn values_nan_and_infinities() {
    let s = ok("a NaN\nb +Inf\nc -Inf\nd 1.5e-3\ne -0\nf 9223372036854775794\n");
    assert!(s.samples[0].value.is_nan());
    assert_eq!(s.samples[1].value, f64::INFINITY);
    assert_eq!(s.samples[2].value, f64::NEG_INFINITY);
    assert_eq!(s.samples[3].value, 0.0015);
    assert_eq!(s.samples[4].value, 0.0);
    assert_eq!(s.samples[5].value, 9_223_372_036_854_775_794.0);
}

#[test]
fn timestamps_optional() {
    let s = ok("a 1 1700000000123\nb 2\nc{x=\"y\"} 3 -5\n");
    assert_eq!(s.samples[0].timestamp_ms, Some(1_700_000_000_123));
    assert_eq!(s.samples[1].timestamp_ms, None);
    assert_eq!(s.samples[2].timestamp_ms, Some(-5));
}

#[test]
fn help_and_type() {
    let s = ok(
        "# HELP http_requests_total Requests\\nserved, with a \\\\ backslash\n\
         # TYPE http_requests_total counter\n\
         # TYPE lat histogram\n\
         # TYPE rpc summary\n\
         # just a comment\n\
         #no space either\n\
         lat_bucket{le=\"0.1\"} 1\nlat_sum 0.3\nlat_count 2\nrpc_count 1\nrpc{quantile=\"0.5\"} 1\n",
    );
    assert_eq!(
        s.help["http_requests_total"],
        "Requests\nserved, with a \\ backslash"
    );
    assert_eq!(s.metric_type("http_requests_total"), MetricType::Counter);
    assert_eq!(s.metric_type("lat_bucket"), MetricType::Histogram);
    assert_eq!(s.metric_type("lat_sum"), MetricType::Histogram);
    assert_eq!(s.metric_type("lat_count"), MetricType::Histogram);
    assert_eq!(s.metric_type("rpc_count"), MetricType::Summary);
    assert_eq!(s.metric_type("rpc"), MetricType::Summary);
    assert_eq!(s.metric_type("rpc_bucket"), MetricType::Untyped);
    assert_eq!(s.metric_type("nothing"), MetricType::Untyped);
}

#[test]
fn exemplars_crlf_blank_lines_and_trailing_comma() {
    let s = ok(
        "\r\n  \r\nreqs_total{code=\"200\",} 7 # {trace_id=\"abc\"} 1 1700000000.1\r\n\
         lat_bucket{le=\"0.5\"} 3 1700000000000 # {trace_id=\"x\"} 0.4\r\n\t\n# EOF\r\n",
    );
    assert_eq!(s.samples.len(), 2);
    assert_eq!(s.samples[0].label("code"), Some("200"));
    assert_eq!(s.samples[0].value, 7.0);
    assert_eq!(s.samples[1].timestamp_ms, Some(1_700_000_000_000));
    assert_eq!(s.samples[1].label("le"), Some("0.5"));
}

#[test]
fn empty_label_set_and_blanks_inside_braces() {
    let s = ok("a{} 1\nb{ x = \"1\" , y=\"2\" } 2\n");
    assert!(s.samples[0].labels.is_empty());
    assert_eq!(
        s.samples[1].labels,
        vec![("x".into(), "1".into()), ("y".into(), "2".into())]
    );
}

#[test]
fn utf8_label_values_and_columns_count_characters() {
    let s = ok("a{city=\"Zürich\"} 1\n");
    assert_eq!(s.samples[0].label("city"), Some("Zürich"));
    // The bad value starts at character 19, byte 20.
    let e = err("a{city=\"Zürich\"} x1\n");
    assert_eq!((e.line, e.column), (1, 18));
}

/// DCGM exporter output as it comes off a node (dcgm-exporter 3.x: ", " between labels,
/// `pci_bus_id` with ':', a huge sentinel value, a counter, fractional watts).
const DCGM: &str = "\
# HELP DCGM_FI_DEV_SM_CLOCK SM clock frequency (in MHz).
# TYPE DCGM_FI_DEV_SM_CLOCK gauge
# HELP DCGM_FI_DEV_MEMORY_TEMP Memory temperature (in C).
# TYPE DCGM_FI_DEV_MEMORY_TEMP gauge
# HELP DCGM_FI_DEV_GPU_TEMP GPU temperature (in C).
# TYPE DCGM_FI_DEV_GPU_TEMP gauge
# HELP DCGM_FI_DEV_POWER_USAGE Power draw (in W).
# TYPE DCGM_FI_DEV_POWER_USAGE gauge
# HELP DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION Total energy consumption since boot (in mJ).
# TYPE DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION counter
# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).
# TYPE DCGM_FI_DEV_GPU_UTIL gauge
# HELP DCGM_FI_DEV_XID_ERRORS Value of the last XID error encountered.
# TYPE DCGM_FI_DEV_XID_ERRORS gauge
DCGM_FI_DEV_SM_CLOCK{gpu=\"0\",UUID=\"GPU-1f3a9c2e-5b7d-4e11-9a0c-3d2e6f8b1a47\",pci_bus_id=\"00000000:18:00.0\",device=\"nvidia0\",modelName=\"NVIDIA H100 80GB HBM3\",Hostname=\"dgx-01\",DCGM_FI_DRIVER_VERSION=\"550.90.07\",container=\"\",namespace=\"\",pod=\"\"} 1980
DCGM_FI_DEV_SM_CLOCK{gpu=\"1\",UUID=\"GPU-8e02b6d4-77c1-4a9f-b3e5-0c9d1f2a6b38\",pci_bus_id=\"00000000:2A:00.0\",device=\"nvidia1\",modelName=\"NVIDIA H100 80GB HBM3\",Hostname=\"dgx-01\",DCGM_FI_DRIVER_VERSION=\"550.90.07\",container=\"trainer\",namespace=\"ml\",pod=\"trainer-0\"} 1755
DCGM_FI_DEV_MEMORY_TEMP{gpu=\"0\", UUID=\"GPU-1f3a9c2e-5b7d-4e11-9a0c-3d2e6f8b1a47\", device=\"nvidia0\"} 9223372036854775794
DCGM_FI_DEV_GPU_TEMP{gpu=\"0\", UUID=\"GPU-1f3a9c2e-5b7d-4e11-9a0c-3d2e6f8b1a47\", device=\"nvidia0\"} 71
DCGM_FI_DEV_POWER_USAGE{gpu=\"0\", UUID=\"GPU-1f3a9c2e-5b7d-4e11-9a0c-3d2e6f8b1a47\", device=\"nvidia0\"} 412.581000
DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{gpu=\"0\", UUID=\"GPU-1f3a9c2e-5b7d-4e11-9a0c-3d2e6f8b1a47\", device=\"nvidia0\"} 31035686671
DCGM_FI_DEV_GPU_UTIL{gpu=\"0\", UUID=\"GPU-1f3a9c2e-5b7d-4e11-9a0c-3d2e6f8b1a47\", device=\"nvidia0\"} 81
DCGM_FI_DEV_XID_ERRORS{gpu=\"0\", UUID=\"GPU-1f3a9c2e-5b7d-4e11-9a0c-3d2e6f8b1a47\", device=\"nvidia0\",err_code=\"0\",err_msg=\"No Error\"} 0
";

#[test]
fn dcgm_exporter_output() {
    let s = ok(DCGM);
    assert_eq!(s.samples.len(), 8);
    let clock = &s.samples[0];
    assert_eq!(clock.name, "DCGM_FI_DEV_SM_CLOCK");
    assert_eq!(clock.label("pci_bus_id"), Some("00000000:18:00.0"));
    assert_eq!(clock.label("modelName"), Some("NVIDIA H100 80GB HBM3"));
    assert_eq!(clock.label("pod"), Some(""));
    assert_eq!(clock.labels.len(), 10);
    assert_eq!(s.samples[1].label("pod"), Some("trainer-0"));
    assert_eq!(s.samples[4].value, 412.581);
    assert_eq!(s.samples[4].label("device"), Some("nvidia0"));
    assert_eq!(
        s.metric_type("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION"),
        MetricType::Counter
    );
    assert_eq!(s.metric_type("DCGM_FI_DEV_GPU_UTIL"), MetricType::Gauge);
    assert_eq!(s.help["DCGM_FI_DEV_GPU_TEMP"], "GPU temperature (in C).");
    assert_eq!(s.samples[7].label("err_msg"), Some("No Error"));
}

// ---- malformed input ----

#[test]
fn malformed_lines_name_line_and_column() {
    let cases: &[(&str, usize, usize, &str)] = &[
        ("a 1\n9bad 1\n", 2, 1, "expected a metric name"),
        ("a{x=\"1\" 1\n", 1, 9, "expected ',' or '}'"),
        ("a{x=1} 1\n", 1, 5, "'\"' to open"),
        ("a{x=\"1} 1\n", 1, 10, "not closed"),
        ("a{x=\"\\t\"} 1\n", 1, 6, "invalid escape"),
        ("a{1x=\"1\"} 1\n", 1, 3, "label name"),
        ("a{x=\"1\",x=\"2\"} 1\n", 1, 9, "duplicate label x"),
        ("a\n", 1, 2, "space before the value"),
        ("a \n", 1, 3, "invalid value"),
        ("a one\n", 1, 3, "invalid value \"one\""),
        ("a 1 2.5\n", 1, 5, "invalid timestamp"),
        ("a 1 2 3\n", 1, 7, "unexpected '3'"),
        ("a 1#x\n", 1, 3, "invalid value"),
        ("a{x=\"1\"}1\n", 1, 9, "space before the value"),
        ("# TYPE a countr\n", 1, 10, "unknown metric type \"countr\""),
        ("# TYPE a\n", 1, 9, "expected a type"),
        ("# TYPE a gauge extra\n", 1, 16, "after the metric type"),
        (
            "# TYPE a gauge\n# TYPE a counter\n",
            2,
            8,
            "second TYPE line for a",
        ),
        ("# HELP\n", 1, 7, "expected a metric name"),
        ("a{x=\"1\"\u{0} 1\n", 1, 8, "expected ',' or '}'"),
        ("a 0x10\n", 1, 3, "invalid value"),
    ];
    for (text, line, column, needle) in cases {
        let e = err(text);
        assert!(
            e.message.contains(needle),
            "{text:?}: message {:?} should contain {needle:?}",
            e.message
        );
        assert_eq!((e.line, e.column), (*line, *column), "{text:?}: {e}");
    }
}

#[test]
fn error_display_is_line_colon_column() {
    let e = err("ok 1\nbad{\n");
    assert_eq!(e.to_string(), format!("line 2:5: {}", e.message));
}

/// A tiny xorshift PRNG: no dev-dependency needed for a property-style loop.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

#[test]
fn random_input_never_panics() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    // Bytes biased towards the format's own punctuation, so the parser gets deep.
    let alphabet: &[u8] = b"ab_:{}=\",\\n# \t\r\n0123456789.+-eEInfNaTYPEHELP\x00\xff";
    for _ in 0..20_000 {
        let len = (rng.next() % 64) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                if rng.next().is_multiple_of(8) {
                    rng.next() as u8
                } else {
                    alphabet[(rng.next() % alphabet.len() as u64) as usize]
                }
            })
            .collect();
        let text = String::from_utf8_lossy(&bytes);
        if let Err(e) = parse(&text) {
            assert!(e.line >= 1 && e.column >= 1);
        }
    }
}

#[test]
fn mutated_valid_pages_never_panic() {
    let mut rng = XorShift(42);
    let base = DCGM.as_bytes();
    for _ in 0..2_000 {
        let mut bytes = base.to_vec();
        for _ in 0..(rng.next() % 6 + 1) {
            let at = (rng.next() % bytes.len() as u64) as usize;
            match rng.next() % 3 {
                0 => bytes[at] = rng.next() as u8,
                1 => {
                    bytes.remove(at);
                }
                _ => bytes.insert(at, b"\"{},=\\ #\n"[(rng.next() % 9) as usize]),
            }
        }
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse(&text);
    }
}
