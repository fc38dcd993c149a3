//! The text of Table cells and the shape of a column: ages as kubectl prints them, a
//! pod template's containers, a label selector.

use serde_json::{Value, json};

use crate::json::{at, str_at};

pub fn human_age(ms: i64) -> String {
    let s = (ms / 1000).max(0);
    if s < 120 {
        format!("{s}s")
    } else if s < 600 {
        format!("{}m{}s", s / 60, s % 60)
    } else if s < 3 * 3600 {
        format!("{}m", s / 60)
    } else if s < 8 * 3600 {
        let m = (s % 3600) / 60;
        if m == 0 {
            format!("{}h", s / 3600)
        } else {
            format!("{}h{}m", s / 3600, m)
        }
    } else if s < 48 * 3600 {
        format!("{}h", s / 3600)
    } else if s < 8 * 86400 {
        let h = (s % 86400) / 3600;
        if h == 0 {
            format!("{}d", s / 86400)
        } else {
            format!("{}d{}h", s / 86400, h)
        }
    } else if s < 2 * 365 * 86400 {
        format!("{}d", s / 86400)
    } else {
        format!("{}y", s / (365 * 86400))
    }
}

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
