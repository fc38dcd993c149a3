//! The API server's answers as JSON: a `Status` for each error it gives, and any value.

use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::store::Kind;

pub fn status_err(
    code: StatusCode,
    reason: &str,
    message: &str,
    details: Option<Value>,
) -> Response {
    let mut v = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code.as_u16(),
    });
    if let Some(d) = details {
        v["details"] = d;
    }
    json_resp(code, &v)
}

pub fn bytes_resp(code: StatusCode, b: Bytes) -> Response {
    (code, [(header::CONTENT_TYPE, "application/json")], b).into_response()
}

pub fn json_resp(code: StatusCode, v: &Value) -> Response {
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

pub(super) fn not_found(kind: Kind, name: &str) -> Response {
    status_err(
        StatusCode::NOT_FOUND,
        "NotFound",
        &format!("{} \"{name}\" not found", kind.resource_ref()),
        Some(json!({"name": name, "group": kind.info().group, "kind": kind.info().plural})),
    )
}

/// kube-apiserver's answer to a list or watch from a resourceVersion newer than its own
/// (`storage.NewTooLargeResourceVersionError`): 504 Timeout, retry after 1 s.
pub(super) fn too_large_status(wanted: u64, current: u64) -> Value {
    json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": format!("Timeout: Too large resource version: {wanted}, current: {current}"),
        "reason": "Timeout",
        "details": {
            "causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
            "retryAfterSeconds": 1,
        },
        "code": 504,
    })
}

pub(super) fn bad_request(msg: &str) -> Response {
    status_err(StatusCode::BAD_REQUEST, "BadRequest", msg, None)
}

pub(super) fn conflict(kind: Kind, name: &str) -> Response {
    status_err(
        StatusCode::CONFLICT,
        "Conflict",
        &format!(
            "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
            kind.resource_ref()
        ),
        Some(json!({"name": name, "group": kind.info().group, "kind": kind.info().plural})),
    )
}
