//! Writes: create, update, patch (JSON, merge and strategic merge), delete and the scale
//! subresource, each followed by the controllers' reaction.

use std::collections::HashMap;

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::request::{Target, dry_run};
use super::served::Served;
use super::status::{bad_request, bytes_resp, conflict, json_resp, not_found, status_err};
use crate::Shared;
use crate::json::{at, i64_at, set, str_at};
use crate::patch::strategic_merge;
use crate::store::{Kind, meta_str};
use crate::world::{World, bump_generation, ts};

fn clean_for_store(kind: Kind, o: &mut Value) {
    o["kind"] = json!(kind.info().name);
    o["apiVersion"] = json!(kind.api_version());
}

/// The `fieldManager` query parameter, validated as kube-apiserver does (at most 128
/// bytes, printable characters only): `Ok(None)` when none is given.
fn field_manager(q: &HashMap<String, String>, kind: Kind) -> Result<Option<String>, Response> {
    let Some(m) = q.get("fieldManager") else {
        return Ok(None);
    };
    let why = if m.len() > 128 {
        Some("Too long: may not be more than 128 bytes")
    } else if m.chars().any(char::is_control) {
        Some("Invalid value: must only contain printable characters")
    } else {
        None
    };
    match why {
        Some(why) => Err(status_err(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid",
            &format!("{} is invalid: fieldManager: {why}", kind.info().name),
            None,
        )),
        None => Ok(Some(m.clone())),
    }
}

/// Records a write's manager in `metadata.managedFields` as kube-apiserver does: one
/// entry per manager, operation and subresource, stamped with the last write's time
/// (the fields themselves are not tracked).
fn record_manager(obj: &mut Value, manager: &str, operation: &str, sub: Option<&str>, now: i64) {
    let api_version = str_at(obj, &["apiVersion"]).to_string();
    let mut entry = json!({
        "manager": manager,
        "operation": operation,
        "apiVersion": api_version,
        "time": ts(now),
        "fieldsType": "FieldsV1",
        "fieldsV1": {},
    });
    if let Some(sub) = sub {
        entry["subresource"] = json!(sub);
    }
    let mut fields: Vec<Value> = at(obj, &["metadata", "managedFields"])
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let same = |e: &Value| {
        str_at(e, &["manager"]) == manager
            && str_at(e, &["operation"]) == operation
            && e.get("subresource").and_then(Value::as_str) == sub
    };
    match fields.iter_mut().find(|e| same(e)) {
        Some(e) => *e = entry,
        None => fields.push(entry),
    }
    set(obj, &["metadata", "managedFields"], json!(fields));
}

pub(super) fn create(
    shared: &Shared,
    t: &Target,
    q: &HashMap<String, String>,
    body: &[u8],
) -> Response {
    let Ok(mut obj) = serde_json::from_slice::<Value>(body) else {
        return bad_request(
            "the body of the request was in an unknown format - accepted media types include: application/json",
        );
    };
    if !obj.is_object() {
        return bad_request("the body of the request must be an object");
    }
    let mut w = shared.lock();
    let mut name = str_at(&obj, &["metadata", "name"]).to_string();
    if name.is_empty() {
        let gen_name = str_at(&obj, &["metadata", "generateName"]).to_string();
        if gen_name.is_empty() {
            return status_err(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid",
                &format!(
                    "{} \"\" is invalid: metadata.name: Required value: name or generateName is required",
                    t.kind.info().name
                ),
                None,
            );
        }
        name = format!("{gen_name}{}", w.rng.name_suffix(5));
    }
    if t.kind.info().namespaced {
        let ns_body = str_at(&obj, &["metadata", "namespace"]);
        if !ns_body.is_empty() && ns_body != t.ns {
            return bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            );
        }
        if w.store.get(Kind::Namespace, "", &t.ns).is_none() {
            return not_found(Kind::Namespace, &t.ns);
        }
        set(&mut obj, &["metadata", "namespace"], json!(t.ns));
    }
    if let Some(why) = invalid_name(t.kind, &name) {
        let qualified = match t.kind.info().group {
            "" => t.kind.info().name.to_string(),
            g => format!("{}.{g}", t.kind.info().name),
        };
        let cause = format!("Invalid value: {}: {why}", json!(name));
        return status_err(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid",
            &format!(
                "{qualified} {} is invalid: metadata.name: {cause}",
                json!(name)
            ),
            Some(
                json!({"name": name, "group": t.kind.info().group, "kind": t.kind.info().name,
                "causes": [{"reason": "FieldValueInvalid", "message": cause, "field": "metadata.name"}]}),
            ),
        );
    }
    set(&mut obj, &["metadata", "name"], json!(name));
    if w.store.get(t.kind, &t.ns, &name).is_some() {
        return status_err(
            StatusCode::CONFLICT,
            "AlreadyExists",
            &format!("{} \"{name}\" already exists", t.kind.resource_ref()),
            Some(json!({"name": name, "group": t.kind.info().group, "kind": t.kind.info().plural})),
        );
    }
    if let Some(m) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("resourceVersion");
        m.remove("uid");
        m.remove("creationTimestamp");
    }
    clean_for_store(t.kind, &mut obj);
    let manager = match field_manager(q, t.kind) {
        Ok(m) => m,
        Err(r) => return r,
    };
    if let Some(m) = &manager {
        let now = w.now_ms;
        record_manager(&mut obj, m, "Update", None, now);
    }
    if dry_run(q) {
        return json_resp(StatusCode::CREATED, &obj);
    }
    let created = w.create(t.kind, obj);
    w.after_write(t.kind, &t.ns, &name);
    let out = w
        .store
        .obj(t.kind, &t.ns, &name)
        .cloned()
        .unwrap_or(created);
    bytes_resp(StatusCode::CREATED, out.json.clone())
}

/// What kube-apiserver's validation says of a name it refuses for this kind: a DNS-1123
/// label for namespaces, a DNS-1035 label for services, a DNS-1123 subdomain otherwise.
fn invalid_name(kind: Kind, name: &str) -> Option<String> {
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.chars().all(|c| alnum(c) || c == '-')
            && l.starts_with(alnum)
            && l.ends_with(alnum)
    };
    match kind {
        Kind::Namespace => {
            if name.len() > 63 {
                Some("must be no more than 63 characters".into())
            } else if !label_ok(name) {
                Some("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')".into())
            } else {
                None
            }
        }
        Kind::Service => {
            if name.len() > 63 {
                Some("must be no more than 63 characters".into())
            } else if !label_ok(name) || !name.starts_with(|c: char| c.is_ascii_lowercase()) {
                Some("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')".into())
            } else {
                None
            }
        }
        _ => {
            if name.len() > 253 {
                Some("must be no more than 253 characters".into())
            } else if !name.split('.').all(label_ok) {
                Some("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')".into())
            } else {
                None
            }
        }
    }
}

fn spec_changed(old: &Value, new: &Value) -> bool {
    old.get("spec") != new.get("spec")
}

/// Store an updated object (after PUT or PATCH); `old` is what was stored.
fn commit(
    w: &mut World,
    t: &Target,
    old: &Value,
    mut obj: Value,
    q: &HashMap<String, String>,
    served: Served,
) -> Response {
    let dry = dry_run(q);
    let manager = match field_manager(q, t.kind) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let name = t.name.clone().unwrap_or_default();
    if str_at(&obj, &["metadata", "name"]) != name {
        return bad_request(&format!(
            "the name of the object ({}) does not match the name on the URL ({name})",
            str_at(&obj, &["metadata", "name"])
        ));
    }
    let want_rv = str_at(&obj, &["metadata", "resourceVersion"]).to_string();
    if !want_rv.is_empty() && want_rv != meta_str(old, "resourceVersion") {
        return conflict(t.kind, &name);
    }
    // immutable metadata
    for f in [
        "uid",
        "creationTimestamp",
        "namespace",
        "ownerReferences",
        "generation",
    ] {
        match at(old, &["metadata", f]) {
            Some(v) if f != "ownerReferences" || at(&obj, &["metadata", f]).is_none() => {
                set(&mut obj, &["metadata", f], v.clone())
            }
            _ => {}
        }
    }
    // the controllers own status, except through the status subresource; a kind without
    // one (a CRD without `subresources.status`) takes status with the object
    if served.status_subresource(t.kind) {
        if t.sub.as_deref() != Some("status") {
            match old.get("status") {
                Some(s) => obj["status"] = s.clone(),
                None => {
                    if let Some(o) = obj.as_object_mut() {
                        o.remove("status");
                    }
                }
            }
        } else {
            // through `/status` only status changes
            let mut o2 = old.clone();
            match obj.get("status").cloned() {
                Some(s) => o2["status"] = s,
                None => {
                    if let Some(o) = o2.as_object_mut() {
                        o.remove("status");
                    }
                }
            }
            if let Some(rv) = at(&obj, &["metadata", "resourceVersion"]).cloned() {
                set(&mut o2, &["metadata", "resourceVersion"], rv);
            }
            obj = o2;
        }
    }
    clean_for_store(t.kind, &mut obj);
    if spec_changed(old, &obj) && crate::world::has_generation(t.kind) {
        bump_generation(&mut obj);
    }
    // a write that changes nothing leaves managedFields too
    let changed = obj != *old;
    if let Some(m) = manager.as_deref().filter(|_| changed) {
        let now = w.now_ms;
        record_manager(&mut obj, m, "Update", t.sub.as_deref(), now);
    }
    if dry {
        return json_resp(StatusCode::OK, &obj);
    }
    if !changed {
        return json_resp(StatusCode::OK, old);
    }
    w.store.put(t.kind, obj);
    w.after_write(t.kind, &t.ns, &name);
    match w.store.get(t.kind, &t.ns, &name) {
        Some(o) => json_resp(StatusCode::OK, &o),
        None => not_found(t.kind, &name),
    }
}

pub(super) fn update(
    shared: &Shared,
    t: &Target,
    q: &HashMap<String, String>,
    body: &[u8],
    served: Served,
) -> Response {
    let Ok(mut obj) = serde_json::from_slice::<Value>(body) else {
        return bad_request("the body of the request was in an unknown format");
    };
    let name = t.name.clone().unwrap_or_default();
    let mut w = shared.lock();
    let Some(old) = w.store.get(t.kind, &t.ns, &name) else {
        return not_found(t.kind, &name);
    };
    if str_at(&obj, &["metadata", "resourceVersion"]).is_empty() {
        return status_err(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid",
            &format!(
                "{} \"{name}\" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update",
                t.kind.resource_ref()
            ),
            None,
        );
    }
    if t.kind.info().namespaced {
        set(&mut obj, &["metadata", "namespace"], json!(t.ns));
    }
    commit(&mut w, t, &old, obj, q, served)
}

fn apply_patch(
    target: &mut Value,
    headers: &HeaderMap,
    body: &[u8],
    custom: bool,
) -> Result<(), Response> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    if custom && ct == "application/strategic-merge-patch+json" {
        // kube-apiserver has no strategic merge for custom resources
        return Err(status_err(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
            None,
        ));
    }
    match ct.as_str() {
        "application/json-patch+json" => {
            let p: json_patch::Patch = serde_json::from_slice(body)
                .map_err(|e| bad_request(&format!("invalid JSON patch: {e}")))?;
            json_patch::patch(target, &p).map_err(|e| {
                status_err(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Invalid",
                    &format!("the server rejected our request due to an error in our request: {e}"),
                    None,
                )
            })
        }
        "application/merge-patch+json" | "application/strategic-merge-patch+json" => {
            let p: Value = serde_json::from_slice(body)
                .map_err(|e| bad_request(&format!("invalid patch body: {e}")))?;
            if !p.is_object() {
                return Err(bad_request("patch body must be a JSON object"));
            }
            if ct == "application/merge-patch+json" {
                json_patch::merge(target, &p);
            } else {
                strategic_merge(target, &p);
            }
            Ok(())
        }
        other => Err(status_err(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            &format!(
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got \"{other}\")"
            ),
            None,
        )),
    }
}

pub(super) fn patch(
    shared: &Shared,
    t: &Target,
    q: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &[u8],
    served: Served,
) -> Response {
    let name = t.name.clone().unwrap_or_default();
    let mut w = shared.lock();
    let Some(old) = w.store.get(t.kind, &t.ns, &name) else {
        return not_found(t.kind, &name);
    };
    let mut obj = (*old).clone();
    if let Err(r) = apply_patch(&mut obj, headers, body, t.kind.is_custom()) {
        return r;
    }
    commit(&mut w, t, &old, obj, q, served)
}

/// DELETE, with the DeleteOptions body kube-apiserver reads: `dryRun: ["All"]` and
/// `preconditions` (uid, resourceVersion: 409 when the object is not that one).
pub(super) fn delete(
    shared: &Shared,
    t: &Target,
    q: &HashMap<String, String>,
    body: &[u8],
) -> Response {
    let name = t.name.clone().unwrap_or_default();
    let opts: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => return bad_request(&format!("invalid DeleteOptions: {e}")),
        }
    };
    let mut w = shared.lock();
    let Some(old) = w.store.get(t.kind, &t.ns, &name) else {
        return not_found(t.kind, &name);
    };
    for (field, what) in [("uid", "UID"), ("resourceVersion", "ResourceVersion")] {
        let want = str_at(&opts, &["preconditions", field]);
        let have = meta_str(&old, field);
        if !want.is_empty() && want != have {
            return status_err(
                StatusCode::CONFLICT,
                "Conflict",
                &format!(
                    "Precondition failed: {what} in precondition: {want}, {what} in object meta: {have}"
                ),
                Some(
                    json!({"name": name, "group": t.kind.info().group, "kind": t.kind.info().plural}),
                ),
            );
        }
    }
    let dry_body = opts["dryRun"]
        .as_array()
        .is_some_and(|a| a.iter().any(|v| v == "All"));
    if dry_run(q) || dry_body {
        return json_resp(StatusCode::OK, &old);
    }
    // `--cascade=orphan`: what the object owns loses its ownerReference and stays
    let orphan = opts["propagationPolicy"].as_str() == Some("Orphan")
        || q.get("propagationPolicy").map(String::as_str) == Some("Orphan")
        || opts["orphanDependents"].as_bool() == Some(true);
    if orphan {
        orphan_dependents(&mut w, &t.ns, meta_str(&old, "uid"));
    }
    if t.kind == Kind::Pod {
        w.delete_pod(&t.ns, &name);
        w.after_delete(Kind::Pod, &old);
    } else if let Some(gone) = w.store.delete(t.kind, &t.ns, &name) {
        w.after_delete(t.kind, &gone);
    }
    json_resp(StatusCode::OK, &old)
}

/// Removes the ownerReferences to `uid` from every object of `ns` that has one (the
/// garbage collector's orphaning, done at once).
fn orphan_dependents(w: &mut crate::world::World, ns: &str, uid: &str) {
    if uid.is_empty() {
        return;
    }
    for kind in [
        Kind::ReplicaSet,
        Kind::Pod,
        Kind::Job,
        Kind::ControllerRevision,
        Kind::AnalysisRun,
    ] {
        let owned: Vec<String> = w
            .store
            .in_ns(kind, ns)
            .filter(|o| o.owner_uid == uid)
            .map(|o| o.name.clone())
            .collect();
        for name in owned {
            let Some(obj) = w.store.get(kind, ns, &name) else {
                continue;
            };
            let mut obj = (*obj).clone();
            if let Some(refs) = obj
                .get_mut("metadata")
                .and_then(|m| m.get_mut("ownerReferences"))
                .and_then(Value::as_array_mut)
            {
                refs.retain(|r| r["uid"].as_str() != Some(uid));
                if refs.is_empty()
                    && let Some(m) = obj["metadata"].as_object_mut()
                {
                    m.remove("ownerReferences");
                }
            }
            w.store.put(kind, obj);
        }
    }
}

fn scale_of(o: &Value) -> Value {
    // a Rollout's scale reads its selector from `status.selector` (the CRD's labelSelectorPath)
    let sel = at(o, &["status", "selector"])
        .and_then(Value::as_str)
        .map(str::to_owned);
    let sel = sel.unwrap_or_else(|| scale_selector(o));
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": meta_str(o, "name"), "namespace": meta_str(o, "namespace"), "uid": meta_str(o, "uid"),
            "resourceVersion": meta_str(o, "resourceVersion"), "creationTimestamp": meta_str(o, "creationTimestamp"),
        },
        "spec": {"replicas": i64_at(o, &["spec", "replicas"]).unwrap_or(1)},
        "status": {"replicas": i64_at(o, &["status", "replicas"]).unwrap_or(0), "selector": sel},
    })
}

fn scale_selector(o: &Value) -> String {
    at(o, &["spec", "selector", "matchLabels"])
        .and_then(Value::as_object)
        .map(|m| {
            let mut v: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect();
            v.sort();
            v.join(",")
        })
        .unwrap_or_default()
}

pub(super) fn scale(
    shared: &Shared,
    t: &Target,
    verb: &str,
    q: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let name = t.name.clone().unwrap_or_default();
    let mut w = shared.lock();
    let Some(old) = w.store.get(t.kind, &t.ns, &name) else {
        return not_found(t.kind, &name);
    };
    let cur = scale_of(&old);
    let new_scale = match verb {
        "get" => return json_resp(StatusCode::OK, &cur),
        "patch" => {
            let mut s = cur;
            if let Err(r) = apply_patch(&mut s, headers, body, false) {
                return r;
            }
            s
        }
        _ => match serde_json::from_slice::<Value>(body) {
            Ok(v) => v,
            Err(_) => return bad_request("the body of the request was in an unknown format"),
        },
    };
    let want_rv = str_at(&new_scale, &["metadata", "resourceVersion"]);
    if !want_rv.is_empty() && want_rv != meta_str(&old, "resourceVersion") {
        return conflict(t.kind, &name);
    }
    let Some(replicas) = i64_at(&new_scale, &["spec", "replicas"]).filter(|r| *r >= 0) else {
        return status_err(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid",
            &format!(
                "Scale.autoscaling \"{name}\" is invalid: spec.replicas: Invalid value: must be greater than or equal to 0"
            ),
            None,
        );
    };
    let manager = match field_manager(q, t.kind) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let mut obj = (*old).clone();
    obj["spec"]["replicas"] = json!(replicas);
    if dry_run(q) {
        return json_resp(StatusCode::OK, &scale_of(&obj));
    }
    if obj != *old {
        if let Some(m) = &manager {
            let now = w.now_ms;
            record_manager(&mut obj, m, "Update", Some("scale"), now);
        }
        bump_generation(&mut obj);
        w.store.put(t.kind, obj);
        w.after_write(t.kind, &t.ns, &name);
    }
    match w.store.get(t.kind, &t.ns, &name) {
        Some(o) => json_resp(StatusCode::OK, &scale_of(&o)),
        None => not_found(t.kind, &name),
    }
}
