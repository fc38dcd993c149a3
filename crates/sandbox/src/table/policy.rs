//! The Table form of `policy/v1` PodDisruptionBudgets, as kube-apiserver prints them:
//! NAME, MIN AVAILABLE, MAX UNAVAILABLE, ALLOWED DISRUPTIONS, AGE.

use serde_json::{Value, json};

use super::print::{age, col};
use crate::json::{at, i64_at, str_at};

pub(super) fn columns(name: Value, age_col: Value) -> Vec<Value> {
    vec![
        name,
        col(
            "Min Available",
            "string",
            "",
            0,
            "The minimum number or percentage of available pods this budget requires.",
        ),
        col(
            "Max Unavailable",
            "string",
            "",
            0,
            "The maximum number or percentage of unavailable pods this budget requires.",
        ),
        col(
            "Allowed Disruptions",
            "integer",
            "",
            0,
            "Calculated number of pods that may be disrupted at this time.",
        ),
        age_col,
    ]
}

fn int_or_string(v: Option<&Value>) -> String {
    match v {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => "N/A".into(),
    }
}

pub(super) fn cells(o: &Value, now: i64) -> Vec<Value> {
    vec![
        json!(str_at(o, &["metadata", "name"])),
        json!(int_or_string(at(o, &["spec", "minAvailable"]))),
        json!(int_or_string(at(o, &["spec", "maxUnavailable"]))),
        json!(i64_at(o, &["status", "disruptionsAllowed"]).unwrap_or(0)),
        json!(age(o, &["metadata", "creationTimestamp"], now)),
    ]
}
