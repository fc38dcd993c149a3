//! The text of Table cells and the shape of a column: ages as kubectl prints them, a
//! pod template's containers, a label selector.

use serde_json::{Value, json};

use crate::json::{at, str_at};

pub use crate::podprint::human_age;

pub fn age_of(ts: &str, now: i64) -> String {
    match ts.parse::<jiff::Timestamp>() {
        Ok(t) => human_age(now - t.as_millisecond()),
        Err(_) => "<unknown>".into(),
    }
}

pub(super) fn age(obj: &Value, path: &[&str], now: i64) -> String {
    let t = str_at(obj, path);
    match t.parse::<jiff::Timestamp>() {
        Ok(t) => human_age(now - t.as_millisecond()),
        Err(_) => "<unknown>".into(),
    }
}

pub(super) fn col(name: &str, typ: &str, format: &str, priority: i64, desc: &str) -> Value {
    json!({"name": name, "type": typ, "format": format, "description": desc, "priority": priority})
}

pub(super) fn containers_of(tmpl: &Value, field: &str) -> String {
    at(tmpl, &["spec", "containers"])
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|c| str_at(c, &[field]).to_string())
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

pub(super) fn selector_str(sel: Option<&Value>) -> String {
    let Some(m) = sel.and_then(Value::as_object) else {
        return "<none>".into();
    };
    let mut parts: Vec<String> = m
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
        .collect();
    parts.sort();
    if parts.is_empty() {
        "<none>".into()
    } else {
        parts.join(",")
    }
}
