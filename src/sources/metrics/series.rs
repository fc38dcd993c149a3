//! What a Prometheus answer is made of, read the same way by the Prometheus client, the
//! Alertmanager client and the per-revision split: a series, a sample value, an alert's
//! state and summary, and what makes a point impossible.

use std::collections::BTreeMap;

use super::model::AlertState;

/// One series of a query answer: its labels and `(unix ms, value)` pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub metric: BTreeMap<String, String>,
    pub values: Vec<(i64, f64)>,
}

/// Prometheus writes sample values as strings: Go floats, `NaN`, `+Inf`, `-Inf`. Anything
/// unreadable is NaN (shown as "—").
pub fn parse_value(text: &str) -> f64 {
    text.trim().parse::<f64>().unwrap_or(f64::NAN)
}

/// `alerts[].value` is a number in older Prometheus and a string (`"1e+00"`) in newer.
pub fn lenient_value(value: &serde_json::Value) -> f64 {
    match value {
        serde_json::Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        serde_json::Value::String(s) => parse_value(s),
        _ => f64::NAN,
    }
}

pub(crate) fn alert_state(text: &str) -> AlertState {
    match text {
        "firing" | "active" => AlertState::Firing,
        "pending" => AlertState::Pending,
        _ => AlertState::Inactive,
    }
}

pub(crate) fn summary_of(annotations: &BTreeMap<String, String>) -> Option<String> {
    annotations
        .get("summary")
        .or_else(|| annotations.get("description"))
        .cloned()
}

/// Why a ratio and rate Prometheus computed cannot be right, if they cannot (`None`: the
/// query gave no value then). `rate()` over sound counters is finite and never negative,
/// and NaN only as 0/0, no traffic; a NaN, ±Inf or negative counter shows through as one
/// of these. Prometheus counts any counter decrease as a reset, so a glitch that is not
/// one shows here only when it makes a rate negative (see `fold` for direct mode).
pub fn point_problem(ratio: Option<f64>, rate: Option<f64>) -> Option<String> {
    if let Some(r) = rate {
        if r.is_nan() {
            return Some("request rate is NaN: a request counter is NaN or ±Inf".to_owned());
        }
        if r.is_infinite() {
            return Some(format!(
                "request rate is {}: a request counter is ±Inf",
                inf(r)
            ));
        }
        if r < 0.0 {
            return Some(format!(
                "request rate is negative ({r:.1}/s): a request counter went below zero"
            ));
        }
    }
    let x = ratio?;
    if x.is_infinite() {
        return Some(format!("5xx ratio is {}", inf(x)));
    }
    if !x.is_nan() && !(0.0..=1.0).contains(&x) {
        return Some(format!("5xx ratio {x} is outside 0..1"));
    }
    match rate {
        Some(r) if x.is_nan() && r > 0.0 => Some(format!(
            "5xx ratio is NaN with {r:.1}/s of traffic: a 5xx counter is NaN or ±Inf"
        )),
        _ => None,
    }
}

fn inf(v: f64) -> &'static str {
    if v > 0.0 { "+Inf" } else { "-Inf" }
}
