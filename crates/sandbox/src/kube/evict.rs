//! `POST /api/v1/namespaces/NS/pods/NAME/eviction` (`policy/v1` Eviction): the pod goes
//! unless its PodDisruptionBudget is spent, which is kube-apiserver's 429 with the budget
//! named in the cause.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::request::{Target, dry_run};
use super::status::{bad_request, json_resp, not_found, status_err};
use crate::Shared;
use crate::store::Kind;
use crate::world::EvictRefusal;

pub(super) fn evict(
    shared: &Shared,
    t: &Target,
    q: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    let name = t.name.clone().unwrap_or_default();
    let json_body = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|ct| ct.starts_with("application/json"));
    let mut dry = dry_run(q);
    if json_body && !body.is_empty() {
        let ev: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => return bad_request(&format!("invalid Eviction: {e}")),
        };
        let named = ev
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !named.is_empty() && named != name {
            return bad_request("name in URL does not match name in Eviction object");
        }
        dry |= ev
            .pointer("/deleteOptions/dryRun")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|v| v == "All"));
    }
    let mut w = shared.lock();
    match w.evict(&t.ns, &name, dry) {
        Ok(()) => json_resp(
            StatusCode::CREATED,
            &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
        ),
        Err(EvictRefusal::NotFound) => not_found(Kind::Pod, &name),
        Err(EvictRefusal::Several) => status_err(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
            None,
        ),
        Err(EvictRefusal::Budget {
            pdb,
            desired,
            healthy,
        }) => status_err(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "Cannot evict pod as it would violate the pod's disruption budget.",
            Some(json!({"causes": [{"reason": "DisruptionBudget",
                "message": format!("The disruption budget {pdb} needs {desired} healthy pods and has {healthy} currently")}]})),
        ),
    }
}
