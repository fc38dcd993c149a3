//! Lists: selectors, paging with continue tokens, and the Table form that `kubectl get`
//! asks for.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::request::Filter;
use super::status::{bad_request, bytes_resp};
use crate::Shared;
use crate::select::{decode_continue, encode_continue};
use crate::store::{Key, Kind, Obj};
use crate::table::{IncludeObject, age_of, columns, human_age, row};

/// A list's metadata: its resourceVersion, and where a page ends, the continue token and
/// how many items remain.
fn list_meta(rv: &str, cont: Option<String>, remaining: Option<usize>) -> Value {
    let mut meta = json!({"resourceVersion": rv});
    if let Some(c) = cont {
        meta["continue"] = json!(c);
    }
    if let Some(r) = remaining {
        meta["remainingItemCount"] = json!(r);
    }
    meta
}

#[allow(clippy::too_many_arguments)]
pub(super) fn table_of(
    kind: Kind,
    items: &[Arc<Obj>],
    now: i64,
    q: &HashMap<String, String>,
    version: &str,
    rv: &str,
    cont: Option<String>,
    remaining: Option<usize>,
) -> Value {
    let inc = match q.get("includeObject").map(String::as_str) {
        Some("None") => IncludeObject::None,
        Some("Object") => IncludeObject::Object,
        _ => IncludeObject::Metadata,
    };
    let meta = list_meta(rv, cont, remaining);
    json!({
        "kind": "Table",
        "apiVersion": format!("meta.k8s.io/{version}"),
        "metadata": meta,
        "columnDefinitions": columns(kind),
        "rows": items.iter().map(|o| row(kind, &o.value(), now, inc, version)).collect::<Vec<_>>(),
    })
}

/// The Table form as bytes; pods (the big lists) are written from precomputed cells and
/// metadata without parsing the objects.
#[allow(clippy::too_many_arguments)]
fn table_bytes(
    kind: Kind,
    items: &[Arc<Obj>],
    now: i64,
    q: &HashMap<String, String>,
    version: &str,
    rv: &str,
    cont: Option<String>,
    remaining: Option<usize>,
) -> Vec<u8> {
    let include_object = q.get("includeObject").map(String::as_str) == Some("Object");
    if kind != Kind::Pod || include_object || items.iter().any(|o| o.pod.is_none()) {
        return table_of(kind, items, now, q, version, rv, cont, remaining)
            .to_string()
            .into_bytes();
    }
    let no_object = q.get("includeObject").map(String::as_str) == Some("None");
    let meta = list_meta(rv, cont, remaining);
    let mut out: Vec<u8> =
        Vec::with_capacity(items.iter().map(|o| o.meta_json.len() + 200).sum::<usize>() + 4096);
    out.extend_from_slice(
        format!(
            "{{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/{version}\",\"metadata\":{meta},\"columnDefinitions\":{},\"rows\":[",
            Value::Array(columns(kind))
        )
        .as_bytes(),
    );
    for (i, o) in items.iter().enumerate() {
        let Some(p) = o.pod.as_deref() else { continue };
        if i > 0 {
            out.push(b',');
        }
        let restarts = match p.last_restart_ms {
            Some(t) if p.restarts != 0 => format!("{} ({} ago)", p.restarts, human_age(now - t)),
            _ => p.restarts.to_string(),
        };
        let or_none = |s: &str| {
            if s.is_empty() {
                "<none>".to_string()
            } else {
                s.to_string()
            }
        };
        let cells = json!([
            o.name,
            p.ready,
            p.status,
            restarts,
            age_of(&o.created, now),
            or_none(&p.ip),
            or_none(&o.node),
            "<none>",
            "<none>"
        ]);
        out.extend_from_slice(b"{\"cells\":");
        out.extend_from_slice(cells.to_string().as_bytes());
        if !no_object {
            out.extend_from_slice(format!(",\"object\":{{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":\"meta.k8s.io/{version}\",\"metadata\":").as_bytes());
            out.extend_from_slice(&o.meta_json);
            out.push(b'}');
        }
        out.push(b'}');
    }
    out.extend_from_slice(b"]}");
    out
}

pub(super) fn list(
    shared: &Shared,
    f: Filter,
    q: &HashMap<String, String>,
    table: Option<String>,
) -> Response {
    let limit = q
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(0);
    let start = match q.get("continue").filter(|c| !c.is_empty()) {
        Some(c) => match decode_continue(c) {
            Some(k) => Some(k),
            None => {
                return bad_request(
                    "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
                );
            }
        },
        None => None,
    };
    // kube-apiserver leaves remainingItemCount out of a list with selectors
    let selected = !f.labels.is_empty() || !f.fields.is_empty();
    let (items, cont, remaining, rv, now) = {
        let w = shared.lock();
        let map = w.store.map(f.kind);
        let served_before = start.as_ref().map_or(0, |(_, n)| *n);
        let iter: Box<dyn Iterator<Item = (&Key, &Arc<Obj>)>> = match &start {
            Some((k, _)) => Box::new(map.range::<Key, _>((
                std::ops::Bound::Excluded(k.clone()),
                std::ops::Bound::Unbounded,
            ))),
            None if !f.ns.is_empty() => {
                Box::new(map.range::<Key, _>((f.ns.clone(), String::new())..))
            }
            None => Box::new(map.iter()),
        };
        let mut items: Vec<Arc<Obj>> = Vec::new();
        let mut cont = None;
        let mut more = false;
        for (k, o) in iter {
            if !f.ns.is_empty() && k.0 != f.ns {
                break;
            }
            if !f.matches(o) {
                continue;
            }
            if limit > 0 && items.len() >= limit {
                // one more item exists: the page ends here, without walking the rest
                more = true;
                break;
            }
            items.push(o.clone());
        }
        if more && let Some(last) = items.last() {
            cont = Some(encode_continue(
                &last.ns,
                &last.name,
                served_before + items.len(),
            ));
        }
        // how many are left: the scope's size less what was sent (a count of one
        // namespace's objects, or the kind's total for all namespaces)
        let remaining = (cont.is_some() && !selected).then(|| {
            let total = if f.ns.is_empty() {
                map.len()
            } else {
                w.store.in_ns(f.kind, &f.ns).count()
            };
            total.saturating_sub(served_before + items.len())
        });
        (items, cont, remaining, w.store.rv.to_string(), w.now_ms)
    };
    let rem = remaining;
    if let Some(v) = table {
        return bytes_resp(
            StatusCode::OK,
            Bytes::from(table_bytes(f.kind, &items, now, q, &v, &rv, cont, rem)),
        );
    }
    let info = f.kind.info();
    let meta = list_meta(&rv, cont, rem);
    let mut out: Vec<u8> =
        Vec::with_capacity(items.iter().map(|o| o.json.len() + 1).sum::<usize>() + 256);
    out.extend_from_slice(
        format!(
            "{{\"kind\":\"{}List\",\"apiVersion\":\"{}\",\"metadata\":{},\"items\":[",
            info.name,
            f.kind.api_version(),
            meta
        )
        .as_bytes(),
    );
    for (i, o) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&o.json);
    }
    out.extend_from_slice(b"]}");
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        out,
    )
        .into_response()
}
