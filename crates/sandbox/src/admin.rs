//! The admin endpoint, `/_sandbox/...` (documented in ADMIN.md).

// handlers return a ready `Response` as their error value
#![allow(clippy::result_large_err)]

use std::collections::HashMap;

use axum::body::Bytes;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::Shared;
use super::json::{at, i64_at, set, str_at};
use super::kube::json_resp;
use super::store::{Kind, meta_str};
use super::world::{MAIN_NS, World, first_image, revision_of, ts};

fn err(code: StatusCode, msg: &str) -> Response {
    json_resp(code, &json!({"error": msg}))
}

pub fn state(w: &World) -> Value {
    let counts: serde_json::Map<String, Value> = super::store::KINDS
        .iter()
        .map(|k| (k.plural.to_string(), json!(w.store.map(k.kind).len())))
        .collect();
    let deployments: Vec<Value> = super::world::ENVS
        .iter()
        .flat_map(|e| {
            w.store
                .in_ns(Kind::Deployment, e.namespace)
                .map(|o| o.value())
                .collect::<Vec<_>>()
        })
        .map(|d| {
            json!({
                "namespace": meta_str(&d, "namespace"),
                "name": meta_str(&d, "name"),
                "replicas": i64_at(&d, &["spec", "replicas"]),
                "ready": i64_at(&d, &["status", "readyReplicas"]).unwrap_or(0),
                "updated": i64_at(&d, &["status", "updatedReplicas"]).unwrap_or(0),
                "revision": revision_of(&d),
                "image": first_image(at(&d, &["spec", "template"]).unwrap_or(&Value::Null)),
            })
        })
        .collect();
    let traffic: serde_json::Map<String, Value> = w
        .traffic
        .iter()
        .map(|(k, t)| {
            (
                k.clone(),
                json!({"error_ratio": t.last_ratio, "requests_total": t.total.floor()}),
            )
        })
        .collect();
    json!({
        "scenario": w.scenario.name(),
        "seed": w.seed,
        "now": ts(w.now_ms),
        "now_ms": w.now_ms,
        "paused": w.paused,
        "speed": w.speed,
        "resource_version": w.store.rv.to_string(),
        "oldest_watchable_resource_version": w.store.compacted_rv.to_string(),
        "objects": counts,
        "load_pods": w.load_pods,
        "main_namespace": MAIN_NS,
        "deployments": deployments,
        "traffic": traffic,
        "crashing_pods": w.active_pods.values().filter(|p| p.crash).count(),
        "gpu_hot": w.gpu_hot,
        "gpu": w.gpu.summary(),
        "rollouts": rollouts_summary(w),
        "github_runs": w.github.summary(),
        "github_requests": {"served": w.github.served, "not_modified": w.github.not_modified},
        "faults": w.faults,
    })
}

/// Whether Argo Rollouts is served, and each Rollout's phase, step and weight.
fn rollouts_summary(w: &World) -> Value {
    let items: Vec<Value> = w
        .store
        .map(Kind::Rollout)
        .values()
        .map(|o| o.value())
        .map(|r| {
            json!({
                "namespace": meta_str(&r, "namespace"),
                "name": meta_str(&r, "name"),
                "phase": str_at(&r, &["status", "phase"]),
                "message": str_at(&r, &["status", "message"]),
                "step": i64_at(&r, &["status", "currentStepIndex"]),
                "weight": i64_at(&r, &["status", "canary", "weights", "canary", "weight"]),
                "stable": str_at(&r, &["status", "stableRS"]),
                "current": str_at(&r, &["status", "currentPodHash"]),
            })
        })
        .collect();
    json!({"served": w.rollouts, "status_subresource": w.rollouts_status_subresource, "items": items})
}

fn body_json(body: &[u8]) -> Result<Value, Response> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(json!({}));
    }
    serde_json::from_slice(body)
        .map_err(|e| err(StatusCode::BAD_REQUEST, &format!("invalid JSON body: {e}")))
}

fn num(q: &HashMap<String, String>, body: &Value, key: &str) -> Option<f64> {
    q.get(key)
        .and_then(|s| s.parse::<f64>().ok())
        .or_else(|| body.get(key).and_then(Value::as_f64))
}

/// The active faults, with the message the injected 500s carry.
fn faults_json(shared: &Shared, w: &World) -> Response {
    let mut v = json!(w.faults);
    v["error_message"] = json!(
        *shared
            .fault_message
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    );
    json_resp(StatusCode::OK, &v)
}

/// `POST /_sandbox/objects`: the object stored as it is given, its name and labels not
/// validated, as a server that does not check them would hand it out.
fn unvalidated_create(shared: &Shared, mut obj: Value) -> Response {
    let kind_name = str_at(&obj, &["kind"]).to_string();
    let Some(info) = super::store::KINDS.iter().find(|k| k.name == kind_name) else {
        return err(
            StatusCode::BAD_REQUEST,
            &format!("unknown kind {kind_name:?}"),
        );
    };
    let kind = info.kind;
    let name = str_at(&obj, &["metadata", "name"]).to_string();
    let ns = str_at(&obj, &["metadata", "namespace"]).to_string();
    if name.is_empty() || (info.namespaced && ns.is_empty()) {
        return err(
            StatusCode::BAD_REQUEST,
            "the object needs metadata.name (and metadata.namespace for a namespaced kind)",
        );
    }
    let mut w = shared.lock();
    if w.store.get(kind, &ns, &name).is_some() {
        return err(
            StatusCode::CONFLICT,
            &format!("{kind_name} {name:?} exists"),
        );
    }
    obj["apiVersion"] = json!(kind.api_version());
    let created = w.create(kind, obj);
    w.after_write(kind, &ns, &name);
    json_resp(StatusCode::CREATED, &created.value())
}

/// `POST /_sandbox/github/names`: the workflow's name, the actor's login and a suffix of
/// every job's name from now on; `title` and `branch` rename every run so far.
fn github_names(shared: &Shared, b: &Value) -> Response {
    let text = |key: &str| b.get(key).and_then(Value::as_str).map(str::to_owned);
    let mut names = shared
        .github_names
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(v) = text("workflow") {
        names.workflow = Some(v);
    }
    if let Some(v) = text("actor") {
        names.actor = Some(v);
    }
    if let Some(v) = text("job_suffix") {
        names.job_suffix = Some(v);
    }
    let mut w = shared.lock();
    for run in &mut w.github.runs {
        if let Some(v) = text("title") {
            run.title = v;
        }
        if let Some(v) = text("branch") {
            run.branch = v;
        }
    }
    json_resp(StatusCode::OK, &json!(*names))
}

pub fn handle(
    shared: &Shared,
    method: &Method,
    path: &str,
    q: &HashMap<String, String>,
    body: &Bytes,
) -> Response {
    let segs: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    match (method.clone(), segs.as_slice()) {
        (Method::GET, []) | (Method::GET, ["state"]) => {
            json_resp(StatusCode::OK, &state(&shared.lock()))
        }
        (Method::POST, ["time", "advance"]) => {
            let b = match body_json(body) {
                Ok(b) => b,
                Err(r) => return r,
            };
            let Some(secs) =
                num(q, &b, "seconds").filter(|s| s.is_finite() && *s >= 0.0 && *s <= 7.0 * 86400.0)
            else {
                return err(
                    StatusCode::BAD_REQUEST,
                    "need \"seconds\" (0 to 604800), as a query parameter or in a JSON body",
                );
            };
            let mut w = shared.lock();
            w.advance((secs * 1000.0) as i64);
            json_resp(StatusCode::OK, &state(&w))
        }
        (Method::POST, ["time", "pause"]) => {
            let mut w = shared.lock();
            w.paused = true;
            json_resp(StatusCode::OK, &state(&w))
        }
        (Method::POST, ["time", "resume"]) => {
            let mut w = shared.lock();
            w.paused = false;
            json_resp(StatusCode::OK, &state(&w))
        }
        (Method::POST, ["time", "speed"]) => {
            let b = match body_json(body) {
                Ok(b) => b,
                Err(r) => return r,
            };
            let Some(f) =
                num(q, &b, "factor").filter(|f| f.is_finite() && *f >= 0.0 && *f <= 1000.0)
            else {
                return err(StatusCode::BAD_REQUEST, "need \"factor\" (0 to 1000)");
            };
            let mut w = shared.lock();
            w.speed = f;
            json_resp(StatusCode::OK, &state(&w))
        }
        (Method::GET, ["requests"]) => {
            json_resp(StatusCode::OK, &json!({"requests": shared.requests()}))
        }
        (Method::GET, ["watches"]) => {
            json_resp(StatusCode::OK, &json!({"watches": shared.open_watches()}))
        }
        (Method::DELETE, ["requests"]) => {
            shared.clear_requests();
            json_resp(StatusCode::OK, &json!({"requests": []}))
        }
        (Method::GET, ["faults"]) => faults_json(shared, &shared.lock()),
        (Method::DELETE, ["faults"]) => {
            let mut w = shared.lock();
            let keep = (w.faults.restarts, w.faults.watch_drops);
            w.faults = Default::default();
            (w.faults.restarts, w.faults.watch_drops) = keep;
            *shared
                .fault_message
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = None;
            faults_json(shared, &w)
        }
        (Method::POST, ["faults"]) => {
            let b = match body_json(body) {
                Ok(b) => b,
                Err(r) => return r,
            };
            let mut w = shared.lock();
            if let Some(l) = num(q, &b, "latency_ms") {
                if !(0.0..=60_000.0).contains(&l) {
                    return err(StatusCode::BAD_REQUEST, "latency_ms must be 0..=60000");
                }
                w.faults.latency_ms = l as u64;
            }
            if let Some(r) = num(q, &b, "error_rate") {
                if !(0.0..=1.0).contains(&r) {
                    return err(
                        StatusCode::BAD_REQUEST,
                        "error_rate must be between 0 and 1",
                    );
                }
                w.faults.error_rate = r;
            }
            if let Some(p) = q
                .get("error_path_prefix")
                .map(String::as_str)
                .or_else(|| b.get("error_path_prefix").and_then(Value::as_str))
            {
                w.faults.error_path_prefix = p.to_string();
            }
            if let Some(f) = b.get("forbid") {
                let Some(list) = f.as_array() else {
                    return err(
                        StatusCode::BAD_REQUEST,
                        "forbid must be a list of {\"verb\", \"namespace\"}",
                    );
                };
                let mut out = Vec::new();
                for item in list {
                    let verb = str_at(item, &["verb"]);
                    let Some(ns) = item.get("namespace").and_then(Value::as_str) else {
                        return err(
                            StatusCode::BAD_REQUEST,
                            "each forbid entry needs \"verb\" and \"namespace\" (\"*\" for any)",
                        );
                    };
                    if verb.is_empty() {
                        return err(
                            StatusCode::BAD_REQUEST,
                            "each forbid entry needs \"verb\" and \"namespace\" (\"*\" for any)",
                        );
                    }
                    out.push((verb.to_string(), ns.to_string()));
                }
                w.faults.forbid = out;
            }
            if let Some(m) = q
                .get("error_message")
                .map(String::as_str)
                .or_else(|| b.get("error_message").and_then(Value::as_str))
            {
                *shared
                    .fault_message
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()) = Some(m.to_owned());
            }
            faults_json(shared, &w)
        }
        (Method::POST, ["faults", "drop-watches"]) => {
            let mut w = shared.lock();
            w.faults.watch_drops += 1;
            shared.drop_streams();
            json_resp(StatusCode::OK, &json!(w.faults))
        }
        (Method::POST, ["restart"]) => {
            let b = match body_json(body) {
                Ok(b) => b,
                Err(r) => return r,
            };
            let fresh = match q.get("fresh_store").map(String::as_str) {
                Some("true" | "1") => true,
                Some("false" | "0") => false,
                Some(other) => {
                    return err(
                        StatusCode::BAD_REQUEST,
                        &format!("fresh_store must be true or false, not {other:?}"),
                    );
                }
                None => b
                    .get("fresh_store")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            };
            let mut w = shared.lock();
            w.faults.restarts += 1;
            if fresh {
                // an etcd restore behind the same address: resourceVersions go backwards
                w.store.fresh();
            } else {
                // a restarted API server: every stream ends and old resourceVersions are gone
                w.store.rv += 1000;
                w.store.compact_all();
            }
            shared.drop_streams();
            json_resp(StatusCode::OK, &state(&w))
        }
        (Method::POST, ["objects"]) => {
            let b = match body_json(body) {
                Ok(b) => b,
                Err(r) => return r,
            };
            unvalidated_create(shared, b)
        }
        (Method::POST, ["github", "names"]) => {
            let b = match body_json(body) {
                Ok(b) => b,
                Err(r) => return r,
            };
            github_names(shared, &b)
        }
        (Method::POST, ["pods", ns, name, "log"]) => {
            // `split=true`: each line of the body is a log line of its own (a flood of many
            // lines in one request, for load measurements)
            let split = match q.get("split").map(String::as_str) {
                None | Some("false" | "0") => false,
                Some("true" | "1") => true,
                Some(other) => {
                    return err(
                        StatusCode::BAD_REQUEST,
                        &format!("split must be true or false, not {other:?}"),
                    );
                }
            };
            let mut bytes = body.clone();
            if bytes.last() == Some(&b'\n') {
                bytes.truncate(bytes.len() - 1);
            }
            let lines: Vec<Bytes> = if split {
                bytes
                    .split(|b| *b == b'\n')
                    .map(|l| bytes.slice_ref(l))
                    .collect()
            } else {
                vec![bytes]
            };
            let key = (ns.to_string(), name.to_string());
            let mut w = shared.lock();
            let mut appended = 0;
            for line in lines {
                if !w.append_log(&key, line) {
                    return err(StatusCode::NOT_FOUND, &format!("pod {ns}/{name} not found"));
                }
                appended += 1;
            }
            json_resp(
                StatusCode::OK,
                &json!({"appended": body.len(), "lines": appended}),
            )
        }
        (Method::POST, ["churn"]) => {
            let b = match body_json(body) {
                Ok(b) => b,
                Err(r) => return r,
            };
            let n = num(q, &b, "n").unwrap_or(1000.0).clamp(0.0, 1_000_000.0) as usize;
            let ns = q.get("namespace").cloned().unwrap_or_default();
            let kind = match q.get("kind").map(String::as_str) {
                None | Some("pods") => Kind::Pod,
                Some("deployments") => Kind::Deployment,
                Some(other) => {
                    return err(
                        StatusCode::BAD_REQUEST,
                        &format!("kind={other}: expected pods or deployments"),
                    );
                }
            };
            // what each event changes: an annotation (nothing a console shows), or a
            // pod's restart count (what the pods table shows and sorts by)
            let restarts = match q.get("change").map(String::as_str) {
                None | Some("annotation") => false,
                Some("restarts") if kind == Kind::Pod => true,
                Some(other) => {
                    return err(
                        StatusCode::BAD_REQUEST,
                        &format!("change={other}: expected annotation, or restarts for pods"),
                    );
                }
            };
            let mut w = shared.lock();
            let objects: Vec<_> = w.store.in_ns(kind, &ns).cloned().collect();
            if objects.is_empty() {
                return err(StatusCode::NOT_FOUND, "nothing of that kind to touch");
            }
            let now = w.now_ms;
            let start = w.churned;
            for i in 0..n {
                // on through the pods from where the last churn stopped
                let mut p = objects[(start + i) % objects.len()].value();
                if restarts {
                    if let Some(c) = p
                        .pointer_mut("/status/containerStatuses/0/restartCount")
                        .filter(|c| c.is_i64())
                    {
                        *c = json!(c.as_i64().unwrap_or(0) + 1);
                    }
                } else {
                    set(
                        &mut p,
                        &["metadata", "annotations", "sandbox.flightdeck.dev/touched"],
                        json!(format!("{now}-{i}")),
                    );
                }
                w.store.put(kind, p);
            }
            w.churned = start.wrapping_add(n);
            json_resp(
                StatusCode::OK,
                &json!({"modified": n, "resource_version": w.store.rv.to_string()}),
            )
        }
        (Method::POST, ["rollouts"]) => {
            let b = match body_json(body) {
                Ok(b) => b,
                Err(r) => return r,
            };
            let flag = |key: &str| -> Result<Option<bool>, Response> {
                match q.get(key).map(String::as_str) {
                    Some("true" | "1") => Ok(Some(true)),
                    Some("false" | "0") => Ok(Some(false)),
                    Some(other) => Err(err(
                        StatusCode::BAD_REQUEST,
                        &format!("{key} must be true or false, not {other:?}"),
                    )),
                    None => Ok(b.get(key).and_then(Value::as_bool)),
                }
            };
            let (served, sub) = match (flag("served"), flag("status_subresource")) {
                (Ok(a), Ok(b)) => (a, b),
                (Err(r), _) | (_, Err(r)) => return r,
            };
            let mut w = shared.lock();
            if let Some(v) = served {
                w.rollouts = v;
            }
            if let Some(v) = sub {
                w.rollouts_status_subresource = v;
            }
            json_resp(StatusCode::OK, &rollouts_summary(&w))
        }
        (Method::POST | Method::DELETE, ["metrics", service, "fault"]) => {
            metric_fault(shared, method, service, q)
        }
        (Method::GET, ["gpu"]) => json_resp(StatusCode::OK, &shared.lock().gpu.summary()),
        (Method::POST, ["gpu", "labels"]) => {
            let mut w = shared.lock();
            match q.get("style").map(String::as_str) {
                Some("old") => w.gpu.old_pod_labels = true,
                Some("new") => w.gpu.old_pod_labels = false,
                _ => return err(StatusCode::BAD_REQUEST, "need style=old or style=new"),
            }
            json_resp(StatusCode::OK, &w.gpu.summary())
        }
        (Method::POST, ["gpu", host, "replace"]) => {
            let mut w = shared.lock();
            let Some(h) = super::world::gpus::host_number(host, w.gpu.hosts) else {
                return err(
                    StatusCode::NOT_FOUND,
                    &format!("no DGX host `{host}` (dgx-01 … {})", w.gpu.hosts),
                );
            };
            let generation = w.gpu.replace(h);
            json_resp(
                StatusCode::OK,
                &json!({"host": host, "generation": generation}),
            )
        }
        (_, ["gpu", host, gpu, rest @ ..]) => gpu_fault(shared, method, host, gpu, rest, q),
        _ => err(
            StatusCode::NOT_FOUND,
            &format!("no admin route {method} /_sandbox{path}; see ADMIN.md"),
        ),
    }
}

/// `/_sandbox/metrics/{service}/fault`: a broken exporter for one service (metrics.rs).
fn metric_fault(
    shared: &Shared,
    method: &Method,
    service: &str,
    q: &HashMap<String, String>,
) -> Response {
    let mut w = shared.lock();
    let kind = q.get("kind").map(String::as_str);
    let bytes = q.get("bytes").map(String::as_str);
    match super::metrics::fault_route(
        &mut w.traffic,
        method == Method::DELETE,
        service,
        kind,
        bytes,
    ) {
        Ok(v) => json_resp(StatusCode::OK, &v),
        Err((code, msg)) => err(
            StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST),
            &msg,
        ),
    }
}

/// `/_sandbox/gpu/{host}/{gpu}/xid?code=N`, `.../dbe?count=N`, `.../throttle?reasons=B`,
/// `DELETE /_sandbox/gpu/{host}/{gpu}` (see ADMIN.md).
fn gpu_fault(
    shared: &Shared,
    method: &Method,
    host: &str,
    gpu: &str,
    rest: &[&str],
    q: &HashMap<String, String>,
) -> Response {
    use super::world::gpus::{GPUS_PER_HOST, host_number};
    let mut w = shared.lock();
    let Some(h) = host_number(host, w.gpu.hosts) else {
        return err(
            StatusCode::NOT_FOUND,
            &format!("no DGX host `{host}` (dgx-01 … {})", w.gpu.hosts),
        );
    };
    let Some(g) = gpu.parse::<usize>().ok().filter(|g| *g < GPUS_PER_HOST) else {
        return err(StatusCode::NOT_FOUND, &format!("no GPU `{gpu}` (0 to 7)"));
    };
    // a count or code: decimal, or hexadecimal with 0x
    let number = |key: &str| -> Result<Option<u64>, Response> {
        let Some(v) = q.get(key) else {
            return Ok(None);
        };
        let parsed = match v.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).ok(),
            None => v.parse().ok(),
        };
        parsed.map(Some).ok_or_else(|| {
            err(
                StatusCode::BAD_REQUEST,
                &format!("{key} `{v}` is not a number"),
            )
        })
    };
    let now = w.now_ms;
    match (method.clone(), rest) {
        (Method::DELETE, []) => w.gpu.clear(h, g),
        (Method::POST, ["xid"]) => match number("code") {
            Ok(Some(code)) if (1..=999).contains(&code) => w.gpu.xid(h, g, code as u32, now),
            Ok(_) => return err(StatusCode::BAD_REQUEST, "need code=N (an XID, 1 to 999)"),
            Err(r) => return r,
        },
        (Method::POST, ["dbe"]) => match number("count") {
            Ok(n) => {
                let f = w.gpu.fault_mut(h, g);
                f.dbe = f.dbe.saturating_add(n.unwrap_or(1));
            }
            Err(r) => return r,
        },
        (Method::POST, ["throttle"]) => match number("reasons") {
            Ok(Some(bits)) => {
                let f = w.gpu.fault_mut(h, g);
                f.throttle = (bits != 0).then_some(bits);
                f.temp_c = (bits & 0x60 != 0).then_some(88.0);
            }
            Ok(None) => return err(StatusCode::BAD_REQUEST, "need reasons=BITS (0 clears)"),
            Err(r) => return r,
        },
        _ => {
            return err(
                StatusCode::NOT_FOUND,
                &format!(
                    "no admin route {method} /_sandbox/gpu/{host}/{gpu}/{}; see ADMIN.md",
                    rest.join("/")
                ),
            );
        }
    }
    let fault = w.gpu.faults.get(&(h, g)).cloned().unwrap_or_default();
    json_resp(
        StatusCode::OK,
        &json!({"host": host, "gpu": g, "fault": fault}),
    )
}
