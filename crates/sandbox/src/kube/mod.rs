//! The simulated Kubernetes API server: discovery, CRUD with selectors and paging, the Table
//! form, watch streams, patches, the scale subresource and pod logs. Here: routing, discovery,
//! the Status errors and the per-request checks (forbidden verbs, media types).

// handlers return a ready `Response` as their error value
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::Shared;
use super::store::{KINDS, Kind};

mod evict;
mod list;
mod logs;
mod proto;
mod request;
mod served;
mod status;
mod watch;
mod write;

use list::{list, table_of};
use logs::logs;
use request::{Target, build_filter};
use served::Served;
use status::{bad_request, not_found, too_large_status};
pub use status::{bytes_resp, json_resp, status_err};
use watch::watch;
use write::{create, delete, patch, scale, update};

/// Who every token of the sandbox's kubeconfig is: the answer to a SelfSubjectReview
/// (`kubectl auth whoami`) and the user named in a `Forbidden`.
pub const CLUSTER_USER: &str = "system:serviceaccount:kube-system:flightdeck-sandbox";

/// `POST /apis/authentication.k8s.io/v1/selfsubjectreviews`: a bearer token is
/// [`CLUSTER_USER`]; a request without one is `system:anonymous`.
fn self_subject_review(method: &Method, headers: &HeaderMap) -> Response {
    if *method != Method::POST {
        return status_err(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
            None,
        );
    }
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| !t.trim().is_empty());
    let user_info = if bearer {
        json!({"username": CLUSTER_USER, "uid": "5a4d0b0e-0000-4000-8000-f11e0dec0001",
               "groups": ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"]})
    } else {
        json!({"username": "system:anonymous", "groups": ["system:unauthenticated"]})
    };
    json_resp(
        StatusCode::CREATED,
        &json!({"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
                "metadata": {}, "status": {"userInfo": user_info}}),
    )
}

/// The resourceVersion a list or watch asks to be at least at (none for "any" or a
/// continued list); a malformed one is a 400 as kube-apiserver gives.
fn min_resource_version(q: &HashMap<String, String>) -> Result<Option<u64>, Response> {
    if q.get("continue").is_some_and(|c| !c.is_empty()) {
        return Ok(None);
    }
    match q.get("resourceVersion").map(String::as_str) {
        None | Some("") | Some("0") => Ok(None),
        Some(s) => s
            .parse::<u64>()
            .map(Some)
            .map_err(|_| bad_request(&format!("invalid resource version: {s}"))),
    }
}

/// Waits (at most `fresh_wait`, kube-apiserver's 3 s by default) until the store has
/// reached `wanted`; the store's
/// resourceVersion when it has not.
async fn wait_until_fresh(shared: &Shared, wanted: u64) -> Option<u64> {
    let deadline = tokio::time::Instant::now() + shared.fresh_wait;
    loop {
        let current = shared.lock().store.rv;
        if current >= wanted {
            return None;
        }
        if tokio::time::Instant::now() >= deadline {
            return Some(current);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn resource_entry(k: &super::store::KindInfo, rollout_status: bool) -> Vec<Value> {
    let mut v = vec![json!({
        "name": k.plural, "singularName": k.singular, "namespaced": k.namespaced, "kind": k.name,
        "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
        "shortNames": k.short_names, "categories": k.categories,
        "storageVersionHash": format!("{:x}", super::rng::fnv64(k.plural.as_bytes()) & 0xffff_ffff),
    })];
    if let Some(o) = v[0].as_object_mut() {
        if k.short_names.is_empty() {
            o.remove("shortNames");
        }
        if k.categories.is_empty() {
            o.remove("categories");
        }
    }
    let sub = |name: &str, kind: &str, verbs: Value| json!({"name": format!("{}/{name}", k.plural), "singularName": "", "namespaced": k.namespaced, "kind": kind, "verbs": verbs});
    match k.kind {
        Kind::Pod => {
            // what `kubectl drain` looks for before it evicts (else it deletes)
            let mut e = sub("eviction", "Eviction", json!(["create"]));
            e["group"] = json!("policy");
            e["version"] = json!("v1");
            v.push(e);
            v.push(sub("log", "Pod", json!(["get"])));
            v.push(sub("status", "Pod", json!(["get", "patch", "update"])));
        }
        Kind::Deployment | Kind::ReplicaSet | Kind::StatefulSet => {
            let mut s = sub("scale", "Scale", json!(["get", "patch", "update"]));
            s["group"] = json!("autoscaling");
            s["version"] = json!("v1");
            v.push(s);
            v.push(sub("status", k.name, json!(["get", "patch", "update"])));
        }
        Kind::Namespace
        | Kind::Service
        | Kind::Hpa
        | Kind::DaemonSet
        | Kind::Job
        | Kind::CronJob
        | Kind::Node
        | Kind::PodDisruptionBudget
        | Kind::Ingress
        | Kind::PersistentVolumeClaim
        | Kind::CustomResourceDefinition
        | Kind::Certificate => v.push(sub("status", k.name, json!(["get", "patch", "update"]))),
        Kind::Rollout => {
            let mut s = sub("scale", "Scale", json!(["get", "patch", "update"]));
            s["group"] = json!("autoscaling");
            s["version"] = json!("v1");
            v.push(s);
            if rollout_status {
                v.push(sub("status", k.name, json!(["get", "patch", "update"])));
            }
        }
        Kind::Event
        | Kind::ControllerRevision
        | Kind::AnalysisRun
        | Kind::AnalysisTemplate
        | Kind::ConfigMap
        | Kind::Secret
        | Kind::EndpointSlice => {}
    }
    v
}

/// The API groups served now, built-in ones first and custom resources' after (as
/// kube-apiserver lists them), each with its one version.
fn served_groups(served: Served) -> Vec<(&'static str, &'static str)> {
    let mut groups: Vec<(&str, &str, bool)> = Vec::new();
    for k in KINDS
        .iter()
        .filter(|k| !k.group.is_empty() && served.serves(k.kind))
    {
        if !groups.iter().any(|(g, _, _)| *g == k.group) {
            groups.push((k.group, k.version, k.kind.is_custom()));
        }
    }
    groups.sort_by_key(|g| g.2);
    groups.into_iter().map(|(g, v, _)| (g, v)).collect()
}

fn discovery(path: &str, base_host: &str, served: Served) -> Option<Value> {
    let gv = |g: &str, v: &str| json!({"groupVersion": format!("{g}/{v}"), "version": v});
    let group =
        |g: &str, v: &str| json!({"name": g, "versions": [gv(g, v)], "preferredVersion": gv(g, v)});
    let groups = served_groups(served);
    Some(match path {
        "/version" => json!({
            "major": "1", "minor": "32", "gitVersion": "v1.32.0-flightdeck-sandbox",
            "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
            "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23.4", "compiler": "gc", "platform": "linux/amd64",
        }),
        "/api" => json!({
            "kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": base_host}],
        }),
        "/apis" => {
            let groups: Vec<Value> = groups.iter().map(|(g, v)| group(g, v)).collect();
            json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
        }
        "/api/v1" => group_resources(path, served),
        _ => {
            let rest = path.strip_prefix("/apis/")?.trim_end_matches('/');
            let (g, v) = match rest.split_once('/') {
                Some((g, v)) => (g, Some(v)),
                None => (rest, None),
            };
            let (g, gv_served) = groups.iter().find(|(name, _)| *name == g)?;
            match v {
                None => {
                    let mut o = group(g, gv_served);
                    o["kind"] = json!("APIGroup");
                    o["apiVersion"] = json!("v1");
                    o
                }
                Some(v) if v == *gv_served => group_resources(path, served),
                Some(_) => return None,
            }
        }
    })
}

/// Which aggregated discovery version (`v2`, or `v2beta1`) the Accept header asks for
/// first, as kubectl since 1.26 and client-go's discovery ask: `application/json;
/// g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList, …, application/json`.
fn wants_aggregated(headers: &HeaderMap) -> Option<&'static str> {
    let accept = headers.get(header::ACCEPT)?.to_str().ok()?;
    for part in accept.split(',') {
        let params: Vec<&str> = part.split(';').map(str::trim).collect();
        if params.first() != Some(&"application/json")
            || !params.contains(&"g=apidiscovery.k8s.io")
            || !params.contains(&"as=APIGroupDiscoveryList")
        {
            continue;
        }
        if params.contains(&"v=v2") {
            return Some("v2");
        }
        if params.contains(&"v=v2beta1") {
            return Some("v2beta1");
        }
    }
    None
}

/// `/api` or `/apis` as one APIGroupDiscoveryList (aggregated discovery): every group
/// served, with each version's resources and their subresources in one answer.
fn aggregated_discovery(path: &str, served: Served, version: &str) -> Option<Value> {
    let groups: Vec<(&str, &str)> = match path.trim_end_matches('/') {
        "/api" => vec![("", "v1")],
        "/apis" => served_groups(served),
        _ => return None,
    };
    let items: Vec<Value> = groups
        .iter()
        .map(|(g, v)| {
            let resources: Vec<Value> = KINDS
                .iter()
                .filter(|k| k.group == *g && k.version == *v && served.serves(k.kind))
                .map(|k| {
                    let entries = resource_entry(k, served.rollout_status);
                    let mut r = json!({
                        "resource": k.plural,
                        "responseKind": {"group": g, "version": v, "kind": k.name},
                        "scope": if k.namespaced { "Namespaced" } else { "Cluster" },
                        "singularResource": k.singular,
                        "verbs": entries[0]["verbs"],
                    });
                    if !k.short_names.is_empty() {
                        r["shortNames"] = json!(k.short_names);
                    }
                    if !k.categories.is_empty() {
                        r["categories"] = json!(k.categories);
                    }
                    let subs: Vec<Value> = entries[1..]
                        .iter()
                        .map(|e| {
                            let name = e["name"].as_str().unwrap_or("");
                            let sub = name.split_once('/').map_or(name, |(_, s)| s);
                            json!({
                                "subresource": sub,
                                "responseKind": {
                                    "group": e.get("group").cloned().unwrap_or(json!(g)),
                                    "version": e.get("version").cloned().unwrap_or(json!(v)),
                                    "kind": e["kind"],
                                },
                                "verbs": e["verbs"],
                            })
                        })
                        .collect();
                    if !subs.is_empty() {
                        r["subresources"] = json!(subs);
                    }
                    r
                })
                .collect();
            let mut meta = json!({"creationTimestamp": null});
            if !g.is_empty() {
                meta["name"] = json!(g);
            }
            json!({"metadata": meta, "versions": [{"version": v, "resources": resources, "freshness": "Current"}]})
        })
        .collect();
    Some(json!({
        "kind": "APIGroupDiscoveryList",
        "apiVersion": format!("apidiscovery.k8s.io/{version}"),
        "metadata": {},
        "items": items,
    }))
}

/// The APIResourceList of one group version.
fn group_resources(path: &str, served: Served) -> Value {
    let gvs = path
        .trim_start_matches("/apis/")
        .trim_start_matches("/api/");
    let (g, v) = gvs.split_once('/').unwrap_or(("", gvs));
    let resources: Vec<Value> = KINDS
        .iter()
        .filter(|k| k.group == g && k.version == v && served.serves(k.kind))
        .flat_map(|k| resource_entry(k, served.rollout_status))
        .collect();
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": if g.is_empty() { v.to_string() } else { format!("{g}/{v}") }, "resources": resources})
}

fn parse_path(path: &str) -> Option<Target> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest) = match segs.as_slice() {
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return None,
    };
    let t = |kind, ns: &str, name: Option<&&str>, sub: Option<&&str>| Target {
        kind,
        ns: ns.to_string(),
        name: name.map(|s| s.to_string()),
        sub: sub.map(|s| s.to_string()),
    };
    match rest {
        ["namespaces", ns, res, tail @ ..] => {
            if let Some(k) = Kind::lookup(group, version, res).filter(|k| k.info().namespaced) {
                if tail.len() > 2 {
                    return None;
                }
                return Some(t(k, ns, tail.first(), tail.get(1)));
            }
            if group.is_empty() && rest.len() == 3 {
                // /api/v1/namespaces/{name}/status
                return Some(t(Kind::Namespace, "", Some(ns), Some(res)));
            }
            None
        }
        [res, tail @ ..] if tail.len() <= 2 => {
            let k = Kind::lookup(group, version, res)?;
            if k.info().namespaced && !tail.is_empty() {
                return None;
            }
            Some(t(k, "", tail.first(), tail.get(1)))
        }
        _ => None,
    }
}

fn verb_of(method: &Method, t: &Target, q: &HashMap<String, String>) -> &'static str {
    match *method {
        Method::GET if t.name.is_none() => {
            if matches!(q.get("watch").map(String::as_str), Some("1" | "true")) {
                "watch"
            } else {
                "list"
            }
        }
        Method::GET => "get",
        Method::POST => "create",
        Method::PUT => "update",
        Method::PATCH => "patch",
        Method::DELETE if t.name.is_none() => "deletecollection",
        Method::DELETE => "delete",
        _ => "unknown",
    }
}

/// Which Table version, if any, the Accept header asks for.
fn wants_table(headers: &HeaderMap) -> Option<String> {
    let accept = headers.get(header::ACCEPT)?.to_str().ok()?;
    for part in accept.split(',') {
        let params: Vec<&str> = part.split(';').map(str::trim).collect();
        if params.contains(&"as=Table") {
            let v = params
                .iter()
                .find_map(|p| p.strip_prefix("v="))
                .unwrap_or("v1");
            return Some(v.to_string());
        }
    }
    None
}

/// `kubectl create job --from=cronjob/X` posts its Job as protobuf: read its metadata and
/// take the spec from the CronJob it names as owner (see `proto.rs`). `kubectl create
/// configmap|secret|namespace` post theirs as protobuf too: decoded whole. Other bodies pass.
fn job_from_cronjob_proto(
    shared: &Shared,
    t: &Target,
    verb: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Option<Bytes>, Response> {
    let protobuf = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/vnd.kubernetes.protobuf"));
    if protobuf
        && matches!(t.kind, Kind::ConfigMap | Kind::Secret | Kind::Namespace)
        && matches!(verb, "create" | "update")
    {
        return match proto::config_object(body) {
            Some(o) => Ok(Some(Bytes::from(o.to_string()))),
            None => Err(status_err(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UnsupportedMediaType",
                "the body of the request was in an unknown format - accepted media types include: application/json",
                None,
            )),
        };
    }
    if !(protobuf && t.kind == Kind::Job && verb == "create") {
        return Ok(None);
    }
    let unsupported = || {
        status_err(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: application/json (a protobuf Job only when created from a CronJob)",
            None,
        )
    };
    let Some(meta) = proto::job_metadata(body) else {
        return Err(unsupported());
    };
    let owner = meta
        .get("ownerReferences")
        .and_then(Value::as_array)
        .and_then(|a| {
            a.iter()
                .find(|o| o.get("kind").and_then(Value::as_str) == Some("CronJob"))
        })
        .cloned();
    let Some(owner) = owner else {
        return Err(unsupported());
    };
    let cj_name = owner.get("name").and_then(Value::as_str).unwrap_or("");
    let w = shared.lock();
    let Some(cj) = w.store.get(Kind::CronJob, &t.ns, cj_name) else {
        return Err(not_found(Kind::CronJob, cj_name));
    };
    let spec = cj
        .get("spec")
        .and_then(|s| s.get("jobTemplate"))
        .and_then(|j| j.get("spec"))
        .cloned()
        .unwrap_or(json!({}));
    let job = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": spec});
    Ok(Some(Bytes::from(job.to_string())))
}

/// Entry point for every Kubernetes API request.
pub async fn handle(
    shared: Arc<Shared>,
    method: Method,
    path: &str,
    q: HashMap<String, String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let served = Served::of(&shared.lock());
    if method == Method::GET
        && let Some(version) = wants_aggregated(&headers)
        && let Some(d) = aggregated_discovery(path, served, version)
    {
        let ct =
            format!("application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList");
        let mut r = json_resp(StatusCode::OK, &d);
        if let Ok(v) = header::HeaderValue::from_str(&ct) {
            r.headers_mut().insert(header::CONTENT_TYPE, v);
        }
        return r;
    }
    if method == Method::GET
        && let Some(d) = discovery(path, &shared.host, served)
    {
        return json_resp(StatusCode::OK, &d);
    }
    if path.trim_end_matches('/') == "/apis/authentication.k8s.io/v1/selfsubjectreviews" {
        return self_subject_review(&method, &headers);
    }
    let Some(t) = parse_path(path).filter(|t| {
        // a cluster without the CRD (or without its status subresource) has no such path
        served.serves(t.kind)
            && (t.sub.as_deref() != Some("status") || served.status_subresource(t.kind))
    }) else {
        return status_err(
            StatusCode::NOT_FOUND,
            "NotFound",
            "the server could not find the requested resource",
            Some(json!({})),
        );
    };
    let verb = verb_of(&method, &t, &q);
    {
        let w = shared.lock();
        let ns_for = if t.kind == Kind::Namespace {
            t.name.clone().unwrap_or_default()
        } else {
            t.ns.clone()
        };
        if w.faults
            .forbid
            .iter()
            .any(|(v, n)| (v == verb || v == "*") && (n == "*" || *n == ns_for))
        {
            let info = t.kind.info();
            let scope = if ns_for.is_empty() {
                "at the cluster scope".to_string()
            } else {
                format!("in the namespace \"{ns_for}\"")
            };
            return status_err(
                StatusCode::FORBIDDEN,
                "Forbidden",
                &format!(
                    "{} is forbidden: User \"{CLUSTER_USER}\" cannot {verb} resource \"{}\" in API group \"{}\" {scope}",
                    info.plural, info.plural, info.group
                ),
                Some(json!({"kind": info.plural, "group": info.group})),
            );
        }
    }
    let table = wants_table(&headers);
    let (body, headers) = match job_from_cronjob_proto(&shared, &t, verb, &headers, &body) {
        Ok(None) => (body, headers),
        Ok(Some(json_body)) => {
            let mut h = headers;
            h.insert(
                header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/json"),
            );
            (json_body, h)
        }
        Err(r) => return r,
    };
    if verb == "create" && t.kind == Kind::Pod && t.sub.as_deref() == Some("eviction") {
        // the name is the path's; kubectl's typed client may post the Eviction as protobuf
        return evict::evict(&shared, &t, &q, &headers, &body);
    }
    if matches!(verb, "create" | "update") {
        let ct = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/json");
        let media = ct.split(';').next().unwrap_or("").trim();
        if media != "application/json" && media != "*/*" && !media.is_empty() {
            // protobuf and CBOR are not spoken here; clients fall back to JSON on a 415
            return status_err(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UnsupportedMediaType",
                &format!(
                    "the body of the request was in an unknown format - accepted media types include: application/json (got \"{media}\")"
                ),
                None,
            );
        }
    }
    match (verb, t.sub.as_deref()) {
        ("watch", _) => match build_filter(&t, &q) {
            Ok(f) => {
                let send_initial = q.get("sendInitialEvents").map(String::as_str) == Some("true");
                let too_large = match min_resource_version(&q) {
                    Err(r) => return r,
                    Ok(Some(wanted)) if !send_initial => wait_until_fresh(&shared, wanted)
                        .await
                        .map(|current| too_large_status(wanted, current)),
                    Ok(_) => None,
                };
                watch(shared, f, &q, table, too_large)
            }
            Err(r) => r,
        },
        ("list", _) => match build_filter(&t, &q) {
            Ok(f) => {
                match min_resource_version(&q) {
                    Err(r) => return r,
                    Ok(Some(wanted)) => {
                        if let Some(current) = wait_until_fresh(&shared, wanted).await {
                            // kube-apiserver says when to retry in a header as well
                            let mut r = json_resp(
                                StatusCode::GATEWAY_TIMEOUT,
                                &too_large_status(wanted, current),
                            );
                            r.headers_mut()
                                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
                            return r;
                        }
                    }
                    Ok(None) => {}
                }
                list(&shared, f, &q, table)
            }
            Err(r) => r,
        },
        ("get", Some("log")) if t.kind == Kind::Pod => logs(shared, &t, &q).await,
        ("get", Some("scale")) | ("patch", Some("scale")) | ("update", Some("scale"))
            if matches!(
                t.kind,
                Kind::Deployment | Kind::ReplicaSet | Kind::StatefulSet | Kind::Rollout
            ) =>
        {
            scale(&shared, &t, verb, &q, &headers, &body)
        }
        ("get", None) | ("get", Some("status")) => {
            let w = shared.lock();
            let name = t.name.clone().unwrap_or_default();
            match w.store.obj(t.kind, &t.ns, &name) {
                Some(o) => match table {
                    Some(v) => json_resp(
                        StatusCode::OK,
                        &table_of(
                            t.kind,
                            std::slice::from_ref(o),
                            w.now_ms,
                            &q,
                            &v,
                            &w.store.rv.to_string(),
                            None,
                            None,
                        ),
                    ),
                    None => bytes_resp(StatusCode::OK, o.json.clone()),
                },
                None => not_found(t.kind, &name),
            }
        }
        ("create", None) => create(&shared, &t, &q, &body),
        ("update", None) | ("update", Some("status")) => update(&shared, &t, &q, &body, served),
        ("patch", None) | ("patch", Some("status")) => {
            patch(&shared, &t, &q, &headers, &body, served)
        }
        ("delete", None) => delete(&shared, &t, &q, &body),
        _ => status_err(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            &format!("the server does not allow this method on the requested resource ({verb})"),
            None,
        ),
    }
}
