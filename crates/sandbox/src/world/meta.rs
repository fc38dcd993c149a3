//! Reading and writing an object's metadata: its owner, its generation.

use serde_json::{Value, json};

use crate::json::{at, i64_at, set};
use crate::store::Kind;

/// The kind and name of an object's first owner.
pub(super) fn owner_name_kind(v: &Value) -> Option<(&str, &str)> {
    let o = at(v, &["metadata", "ownerReferences"])?
        .as_array()?
        .first()?;
    Some((o.get("kind")?.as_str()?, o.get("name")?.as_str()?))
}

/// Kinds whose `metadata.generation` counts spec changes.
pub fn has_generation(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Deployment
            | Kind::ReplicaSet
            | Kind::Hpa
            | Kind::StatefulSet
            | Kind::DaemonSet
            | Kind::Job
            | Kind::CronJob
            | Kind::Rollout
            | Kind::AnalysisRun
            | Kind::AnalysisTemplate
    )
}

pub fn at_mut<'a>(v: &'a mut Value, path: &[&str]) -> Option<&'a mut Value> {
    let mut cur = v;
    for p in path {
        cur = cur.get_mut(*p)?;
    }
    Some(cur)
}

pub fn bump_generation(d: &mut Value) {
    let g = i64_at(d, &["metadata", "generation"]).unwrap_or(1);
    set(d, &["metadata", "generation"], json!(g + 1));
}
