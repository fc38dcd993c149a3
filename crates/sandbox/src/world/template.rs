//! Pod-template identity, as the deployment controller sees it: the `pod-template-hash`
//! that names a replica set, and the revision and image read back from one.

use serde_json::Value;

use crate::json::{at, canonical, remove, str_at};
use crate::rng::safe_hash;

pub fn template_without_hash(t: &Value) -> Value {
    let mut t = t.clone();
    remove(&mut t, &["metadata", "labels", "pod-template-hash"]);
    normalize(&mut t);
    t
}

/// Drop nulls and empty objects/lists, as Go clients add them (`creationTimestamp: null`).
fn normalize(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for x in m.values_mut() {
                normalize(x);
            }
            m.retain(|_, x| {
                !(x.is_null()
                    || x.as_object().map(|o| o.is_empty()).unwrap_or(false)
                    || x.as_array().map(|a| a.is_empty()).unwrap_or(false))
            });
        }
        Value::Array(a) => a.iter_mut().for_each(normalize),
        _ => {}
    }
}

pub fn template_hash(t: &Value) -> String {
    let mut s = String::new();
    canonical(&template_without_hash(t), &mut s);
    safe_hash(s.as_bytes())
}

pub fn revision_of(v: &Value) -> i64 {
    str_at(
        v,
        &[
            "metadata",
            "annotations",
            "deployment.kubernetes.io/revision",
        ],
    )
    .parse()
    .unwrap_or(0)
}

/// (name, image) of each container in a `containers` array.
pub(super) fn names_and_images(containers: Option<&Value>) -> Vec<(String, String)> {
    containers
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|c| {
                    (
                        str_at(c, &["name"]).to_string(),
                        str_at(c, &["image"]).to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

pub fn first_image(template_or_pod_spec_holder: &Value) -> String {
    at(template_or_pod_spec_holder, &["spec", "containers"])
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .map(|c| str_at(c, &["image"]).to_string())
        .unwrap_or_default()
}
