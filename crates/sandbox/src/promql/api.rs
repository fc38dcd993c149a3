//! `/prometheus/api/v1/{query,query_range,alerts}`: Prometheus's HTTP API envelope
//! (`status`, `data`, `errorType`, `error`), values as strings, times as unix seconds.
//! Parameters come from the query string or, for `POST`, a form body.

use std::collections::{BTreeMap, HashMap};

use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value as Json, json};

use super::ast::{Expr, Type};
use super::eval::{Evaluator, Value, eval};
use super::parse::{parse, type_of};
use crate::history::{Labels, SCRAPE_MS, Tsdb};

/// The most points per series a range query may ask for (Prometheus's limit).
pub const MAX_POINTS: i64 = 11_000;

/// The `HighErrorRate` rule the sandbox's Prometheus evaluates: a service's 5xx ratio over
/// 5 minutes above 5 %, firing once it has held for 5 minutes.
pub const ALERT_EXPR: &str = r#"sum by (service) (rate(http_requests_total{status=~"5.."}[5m])) / sum by (service) (rate(http_requests_total[5m])) > 0.05"#;
pub const ALERT_FOR_MS: i64 = 5 * 60_000;

fn answer(status: StatusCode, body: Json) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn error(status: StatusCode, kind: &str, message: impl Into<String>) -> Response {
    answer(
        status,
        json!({"status": "error", "errorType": kind, "error": message.into()}),
    )
}

fn bad_data(message: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, "bad_data", message)
}

/// A sample value as Prometheus writes it.
pub fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{v}")
    }
}

fn point(t_ms: i64, v: f64) -> Json {
    json!([t_ms as f64 / 1000.0, format_value(v)])
}

/// Times as far as Prometheus takes them (about ±292 million years), in ms.
const TIME_LIMIT_MS: f64 = 9.2e18 / 1000.0;

/// A time parameter: unix seconds (fractions allowed) or RFC 3339.
fn parse_time(s: &str) -> Result<i64, String> {
    if let Ok(secs) = s.trim().parse::<f64>()
        && (secs * 1000.0).abs() < TIME_LIMIT_MS
    {
        return Ok((secs * 1000.0).round() as i64);
    }
    s.trim()
        .parse::<jiff::Timestamp>()
        .map(|t| t.as_millisecond())
        .map_err(|_| format!("cannot parse {s:?} to a valid timestamp"))
}

/// A step or timeout: seconds (fractions allowed) or a Prometheus duration.
fn parse_step(s: &str) -> Result<i64, String> {
    if let Ok(secs) = s.trim().parse::<f64>()
        && secs.is_finite()
    {
        return Ok((secs * 1000.0).round() as i64);
    }
    super::parse::parse_duration(s.trim())
        .map_err(|_| format!("cannot parse {s:?} to a valid duration"))
}

/// The request's parameters: the query string, then (POST) a form body over it.
pub fn params(
    method: &Method,
    query: &HashMap<String, String>,
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> HashMap<String, String> {
    let mut p = query.clone();
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if *method == Method::POST && form {
        let text = String::from_utf8_lossy(body).replace('+', " ");
        p.extend(crate::select::parse_query(Some(&text)));
    }
    p
}

/// Serves `path` (after `/prometheus`) over `db`; `now_ms` is the simulated now.
pub fn handle(
    method: &Method,
    path: &str,
    p: &HashMap<String, String>,
    db: &Tsdb,
    now_ms: i64,
) -> Response {
    if *method != Method::GET && *method != Method::POST {
        return error(
            StatusCode::METHOD_NOT_ALLOWED,
            "bad_data",
            "method not allowed",
        );
    }
    match path.trim_end_matches('/') {
        "/api/v1/query" => query(p, db, now_ms),
        "/api/v1/query_range" => query_range(p, db),
        "/api/v1/alerts" => alerts(db, now_ms),
        "/api/v1/rules" => rules(db, now_ms),
        "/-/healthy" | "/-/ready" => {
            (StatusCode::OK, "Prometheus Server is Ready.\n").into_response()
        }
        _ => (StatusCode::NOT_FOUND, "404 page not found\n").into_response(),
    }
}

/// The `query` parameter parsed; the error is the `bad_data` message.
fn parsed(p: &HashMap<String, String>) -> Result<Expr, String> {
    let Some(q) = p.get("query") else {
        return Err("invalid parameter \"query\": no expression found in input".into());
    };
    parse(q).map_err(|e| format!("invalid parameter \"query\": {e}"))
}

fn query(p: &HashMap<String, String>, db: &Tsdb, now_ms: i64) -> Response {
    let expr = match parsed(p) {
        Ok(e) => e,
        Err(e) => return bad_data(e),
    };
    let t = match p.get("time").map(|s| parse_time(s)) {
        None => now_ms,
        Some(Ok(t)) => t,
        Some(Err(e)) => return bad_data(format!("invalid parameter \"time\": {e}")),
    };
    let data = match eval(&expr, db, t) {
        Err(e) => return error(StatusCode::UNPROCESSABLE_ENTITY, "execution", e),
        Ok(Value::Scalar(v)) => json!({"resultType": "scalar", "result": point(t, v)}),
        Ok(Value::Str(s)) => json!({"resultType": "string", "result": [t as f64 / 1000.0, s]}),
        Ok(Value::Vector(v)) => {
            json!({"resultType": "vector", "result": v.into_iter().map(|s| json!({
            "metric": s.labels, "value": point(t, s.value)})).collect::<Vec<_>>()})
        }
        Ok(Value::Matrix(m)) => {
            json!({"resultType": "matrix", "result": m.into_iter().map(|(l, pts)| json!({
            "metric": l, "values": pts.into_iter().map(|(t, v)| point(t, v)).collect::<Vec<_>>()})).collect::<Vec<_>>()})
        }
    };
    answer(StatusCode::OK, json!({"status": "success", "data": data}))
}

fn query_range(p: &HashMap<String, String>, db: &Tsdb) -> Response {
    let expr = match parsed(p) {
        Ok(e) => e,
        Err(e) => return bad_data(e),
    };
    let get_time = |name: &str| -> Result<i64, String> {
        let Some(s) = p.get(name) else {
            return Err(format!("invalid parameter \"{name}\": missing"));
        };
        parse_time(s).map_err(|e| format!("invalid parameter \"{name}\": {e}"))
    };
    let (start, end) = match (get_time("start"), get_time("end")) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(e), _) | (_, Err(e)) => return bad_data(e),
    };
    if end < start {
        return bad_data("invalid parameter \"end\": end timestamp must not be before start time");
    }
    let step = match p.get("step").map(|s| parse_step(s)) {
        None => return bad_data("invalid parameter \"step\": missing"),
        Some(Err(e)) => return bad_data(format!("invalid parameter \"step\": {e}")),
        Some(Ok(s)) => s,
    };
    if step <= 0 {
        return bad_data(
            "invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer",
        );
    }
    if end.saturating_sub(start) / step > MAX_POINTS {
        return bad_data(
            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
        );
    }
    if type_of(&expr).is_ok_and(|t| !matches!(t, Type::Scalar | Type::Vector)) {
        return bad_data(format!(
            "invalid parameter \"query\": invalid expression type \"{}\" for range query, must be Scalar or instant Vector",
            type_of(&expr).map(|t| t.name()).unwrap_or("?")
        ));
    }
    let mut series: BTreeMap<Labels, Vec<(i64, f64)>> = BTreeMap::new();
    let evaluator = Evaluator::new(db);
    let mut t = start;
    while t <= end {
        match evaluator.eval(&expr, t) {
            Ok(Value::Scalar(v)) => series.entry(Labels::new()).or_default().push((t, v)),
            Ok(Value::Vector(v)) => {
                for s in v {
                    series.entry(s.labels).or_default().push((t, s.value));
                }
            }
            Ok(_) => return bad_data("range query result must be a scalar or instant vector"),
            Err(e) => return error(StatusCode::UNPROCESSABLE_ENTITY, "execution", e),
        }
        match t.checked_add(step) {
            Some(next) => t = next,
            None => break,
        }
    }
    let result: Vec<Json> = series
        .into_iter()
        .map(|(l, pts)| {
            json!({"metric": l, "values": pts.into_iter().map(|(t, v)| point(t, v)).collect::<Vec<_>>()})
        })
        .collect();
    answer(
        StatusCode::OK,
        json!({"status": "success", "data": {"resultType": "matrix", "result": result}}),
    )
}

/// One alert of the `HighErrorRate` rule: its labels, value, state and since when.
struct Active {
    service: String,
    value: f64,
    active_at: i64,
    firing: bool,
}

/// The rule evaluated at `now`; each service above the threshold is active since the
/// earliest scrape step from which it has been above without a break.
fn active_alerts(db: &Tsdb, now_ms: i64) -> Vec<Active> {
    let Ok(expr) = parse(ALERT_EXPR) else {
        return Vec::new();
    };
    let evaluator = Evaluator::new(db);
    let at = |t: i64| -> BTreeMap<String, f64> {
        match evaluator.eval(&expr, t) {
            Ok(Value::Vector(v)) => v
                .into_iter()
                .filter_map(|s| Some((s.labels.get("service")?.clone(), s.value)))
                .collect(),
            _ => BTreeMap::new(),
        }
    };
    let now = at(now_ms);
    let mut out = Vec::new();
    for (service, value) in now {
        let mut since = now_ms;
        let mut t = now_ms - SCRAPE_MS;
        while t > now_ms - crate::history::KEEP_MS && at(t).contains_key(&service) {
            since = t;
            t -= SCRAPE_MS;
        }
        out.push(Active {
            service,
            value,
            active_at: since,
            firing: now_ms - since >= ALERT_FOR_MS,
        });
    }
    out
}

fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

fn alert_json(a: &Active) -> Json {
    json!({
        "labels": {"alertname": "HighErrorRate", "service": a.service, "severity": "critical"},
        "annotations": {"summary": format!("{}: 5xx ratio {:.1} % above 5 %", a.service, a.value * 100.0)},
        "state": if a.firing { "firing" } else { "pending" },
        "activeAt": rfc3339(a.active_at),
        "value": format!("{:e}", a.value),
    })
}

fn alerts(db: &Tsdb, now_ms: i64) -> Response {
    let alerts: Vec<Json> = active_alerts(db, now_ms).iter().map(alert_json).collect();
    answer(
        StatusCode::OK,
        json!({"status": "success", "data": {"alerts": alerts}}),
    )
}

fn rules(db: &Tsdb, now_ms: i64) -> Response {
    let active = active_alerts(db, now_ms);
    let state = if active.iter().any(|a| a.firing) {
        "firing"
    } else if active.is_empty() {
        "inactive"
    } else {
        "pending"
    };
    let rule = json!({
        "name": "HighErrorRate", "query": ALERT_EXPR, "duration": ALERT_FOR_MS / 1000,
        "labels": {"severity": "critical"}, "annotations": {}, "type": "alerting",
        "state": state, "health": "ok",
        "alerts": active.iter().map(alert_json).collect::<Vec<_>>(),
    });
    answer(
        StatusCode::OK,
        json!({"status": "success", "data": {"groups": [{"name": "sandbox", "file": "sandbox", "interval": SCRAPE_MS / 1000, "rules": [rule]}]}}),
    )
}
