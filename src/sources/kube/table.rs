//! Any resource's rows as the API server prints them: the server-side Table that
//! `kubectl get` asks for (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), with
//! each row's metadata (`includeObject=Metadata`: uid, namespace, resourceVersion for the
//! actions on a row), listed in pages and kept live by a Table watch (what `kubectl get -w`
//! does). One task per table shown; it ends when the view is left. I/O and the decoding
//! of the Table; what is shown is decided in `app`.

use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use kube::core::WatchEvent;
use serde_json::Value;

use super::model::{ApiResource, TableColumn, TableMsg, TableRequest, TableRow};

pub type Sink = Arc<dyn Fn(TableMsg) -> bool + Send + Sync>;

/// What `kubectl get` sends: a Table, else the plain list.
pub const TABLE_ACCEPT: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
/// Rows per list page (kubectl's `--chunk-size`).
const PAGE: usize = 500;
const LIST_TIMEOUT: Duration = Duration::from_secs(30);
/// The server ends a watch after this; it is then resumed from the last version.
const WATCH_SECONDS: u64 = 290;

/// A cell as kubectl prints it: a string up to its first line break (`...` marking the
/// cut), numbers and booleans as written, nothing for null.
pub fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => match s.find(['\n', '\r', '\x0c']) {
            Some(i) => format!("{}...", &s[..i]),
            None => s.clone(),
        },
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(cell_text).collect::<Vec<_>>().join(" ")
        ),
        Value::Object(o) => format!(
            "map[{}]",
            o.iter()
                .map(|(k, v)| format!("{k}:{}", cell_text(v)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    }
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    let mut cur = v;
    for p in path {
        match cur.get(p) {
            Some(x) => cur = x,
            None => return "",
        }
    }
    cur.as_str().unwrap_or("")
}

/// A decoded Table (or a plain list where the server prints no Table): its columns, rows,
/// and the list's resourceVersion and continue token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decoded {
    pub columns: Vec<TableColumn>,
    pub rows: Vec<TableRow>,
    pub resource_version: String,
    pub next: Option<String>,
}

/// Decodes a Table (`kind: Table`) or, from a server that gives none, a plain list, whose
/// rows are then NAME and the creation time (kubectl's own default columns).
pub fn decode(v: &Value) -> Result<Decoded, String> {
    let resource_version = str_at(v, &["metadata", "resourceVersion"]).to_owned();
    let next = Some(str_at(v, &["metadata", "continue"]))
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    if v.get("kind").and_then(Value::as_str) == Some("Table") {
        let columns = v
            .get("columnDefinitions")
            .and_then(Value::as_array)
            .map(|cols| {
                cols.iter()
                    .map(|c| TableColumn {
                        name: str_at(c, &["name"]).to_owned(),
                        priority: c.get("priority").and_then(Value::as_i64).unwrap_or(0) as i32,
                        kind: str_at(c, &["type"]).to_owned(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let rows = v
            .get("rows")
            .and_then(Value::as_array)
            .map(|rows| rows.iter().map(row_of).collect())
            .unwrap_or_default();
        return Ok(Decoded {
            columns,
            rows,
            resource_version,
            next,
        });
    }
    let Some(items) = v.get("items").and_then(Value::as_array) else {
        return Err("the API's answer is neither a Table nor a list".into());
    };
    let columns = vec![
        TableColumn {
            name: "Name".into(),
            priority: 0,
            kind: "string".into(),
        },
        TableColumn {
            name: "Created At".into(),
            priority: 0,
            kind: "date".into(),
        },
    ];
    let rows = items
        .iter()
        .map(|o| {
            let meta = |k: &str| str_at(o, &["metadata", k]).to_owned();
            TableRow {
                uid: meta("uid"),
                namespace: meta("namespace"),
                name: meta("name"),
                resource_version: meta("resourceVersion"),
                cells: vec![meta("name"), meta("creationTimestamp")],
            }
        })
        .collect();
    Ok(Decoded {
        columns,
        rows,
        resource_version,
        next,
    })
}

fn row_of(r: &Value) -> TableRow {
    let meta = |k: &str| str_at(r, &["object", "metadata", k]).to_owned();
    let cells: Vec<String> = r
        .get("cells")
        .and_then(Value::as_array)
        .map(|c| c.iter().map(cell_text).collect())
        .unwrap_or_default();
    let mut name = meta("name");
    if name.is_empty() {
        name = cells.first().cloned().unwrap_or_default();
    }
    TableRow {
        uid: meta("uid"),
        namespace: meta("namespace"),
        name,
        resource_version: meta("resourceVersion"),
        cells,
    }
}

fn request(path: String) -> Result<http::Request<Vec<u8>>, String> {
    http::Request::get(path)
        .header(http::header::ACCEPT, TABLE_ACCEPT)
        .body(Vec::new())
        .map_err(|e| format!("cannot ask for the table: {e}"))
}

/// Why a request failed, in one line naming the verb and resource (a 403 as kubectl's
/// `forbidden: list configmaps in namespace shop`); and whether it was refused.
pub fn describe_error(
    verb: &str,
    resource: &ApiResource,
    namespace: Option<&str>,
    e: &kube::Error,
) -> (String, bool) {
    let wher = match namespace.filter(|_| resource.namespaced) {
        Some(ns) => format!(" in namespace {ns}"),
        None if resource.namespaced => " across all namespaces".to_owned(),
        None => String::new(),
    };
    let what = resource.label();
    let (text, refused) = match e {
        kube::Error::Api(s) if s.code == 403 => (
            format!(
                "forbidden: {verb} {what}{wher} (403): {}; ask for RBAC access",
                s.message
            ),
            true,
        ),
        kube::Error::Api(s) if s.code == 401 => (
            format!(
                "unauthorized (401): {verb} {what}{wher}; refresh the kubeconfig's credentials"
            ),
            true,
        ),
        kube::Error::Api(s) if s.code == 404 => (
            format!("{what} is not served here (404): it may have been removed"),
            true,
        ),
        kube::Error::Api(s) => (
            format!("cannot {verb} {what}{wher}: {} ({})", s.message, s.code),
            false,
        ),
        other => (
            format!(
                "cannot {verb} {what}{wher}: {}",
                crate::sources::http::error_chain(other)
            ),
            false,
        ),
    };
    (crate::secret::redact(&text).into_owned(), refused)
}

enum Stop {
    /// The view is gone (the sink said so).
    Gone,
    /// Refused: retrying will not help.
    Refused,
    /// List again after a pause.
    Again,
}

/// Lists every page; sends the whole table once.
async fn list(
    client: &kube::Client,
    req: &TableRequest,
    sink: &Sink,
) -> Result<String, Option<(String, bool)>> {
    let r = &req.resource;
    let base = r.list_path(req.namespace.as_deref());
    let mut columns = Vec::new();
    let mut rows = Vec::new();
    let mut next: Option<String> = None;
    let mut rv;
    loop {
        let mut path = format!("{base}?includeObject=Metadata&limit={PAGE}");
        if let Some(c) = &next {
            path.push_str("&continue=");
            path.push_str(&url_escape(c));
        }
        let http_req = request(path).map_err(|e| Some((e, false)))?;
        let text = match tokio::time::timeout(LIST_TIMEOUT, client.request_text(http_req)).await {
            Err(_) => {
                return Err(Some((
                    format!(
                        "cannot list {}: no answer within {} s",
                        r.label(),
                        LIST_TIMEOUT.as_secs()
                    ),
                    false,
                )));
            }
            Ok(Err(e)) => {
                return Err(Some(describe_error(
                    "list",
                    r,
                    req.namespace.as_deref(),
                    &e,
                )));
            }
            Ok(Ok(t)) => t,
        };
        let value: Value = serde_json::from_str(&text).map_err(|e| {
            Some((
                format!("{}: the API's answer is not JSON ({e})", r.label()),
                false,
            ))
        })?;
        let d = decode(&value).map_err(|e| Some((format!("{}: {e}", r.label()), false)))?;
        if columns.is_empty() {
            columns = d.columns;
        }
        rows.extend(d.rows);
        rv = d.resource_version;
        next = d.next;
        if next.is_none() {
            break;
        }
    }
    if !sink(TableMsg::Listed {
        view: req.view,
        columns,
        rows,
    }) {
        return Err(None);
    }
    Ok(rv)
}

fn url_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Watches from `rv` until the server ends the stream (resumed with the newest version)
/// or the watch expires (410: list again).
async fn watch(client: &kube::Client, req: &TableRequest, mut rv: String, sink: &Sink) -> Stop {
    let r = &req.resource;
    let base = r.list_path(req.namespace.as_deref());
    loop {
        let path = format!(
            "{base}?watch=true&includeObject=Metadata&resourceVersion={}&timeoutSeconds={WATCH_SECONDS}",
            url_escape(&rv)
        );
        let Ok(http_req) = request(path) else {
            return Stop::Again;
        };
        let stream = match client.request_events::<Value>(http_req).await {
            Ok(s) => s,
            Err(e) => {
                let (error, forbidden) = describe_error("watch", r, req.namespace.as_deref(), &e);
                if !sink(TableMsg::Failed {
                    view: req.view,
                    error,
                    forbidden,
                }) {
                    return Stop::Gone;
                }
                return if forbidden {
                    Stop::Refused
                } else {
                    Stop::Again
                };
            }
        };
        futures::pin_mut!(stream);
        loop {
            let event = match stream.try_next().await {
                Ok(Some(e)) => e,
                // the server ended the stream: resume
                Ok(None) => break,
                Err(kube::Error::Api(s)) if s.code == 410 => return Stop::Again,
                Err(e) => {
                    log::info!(
                        "table watch of {}: {}",
                        r.label(),
                        crate::sources::http::error_chain(&e)
                    );
                    return Stop::Again;
                }
            };
            let (table, deleted) = match event {
                WatchEvent::Added(t) | WatchEvent::Modified(t) => (t, false),
                WatchEvent::Deleted(t) => (t, true),
                WatchEvent::Bookmark(b) => {
                    rv = b.metadata.resource_version;
                    continue;
                }
                WatchEvent::Error(s) if s.code == 410 => return Stop::Again,
                WatchEvent::Error(s) => {
                    log::info!("table watch of {}: {} ({})", r.label(), s.message, s.code);
                    return Stop::Again;
                }
            };
            let Ok(d) = decode(&table) else {
                continue;
            };
            if let Some(last) = d.rows.iter().rev().find(|r| !r.resource_version.is_empty()) {
                rv = last.resource_version.clone();
            }
            let ok = if deleted {
                sink(TableMsg::Deleted {
                    view: req.view,
                    ids: d.rows.iter().map(TableRow::id).collect(),
                })
            } else {
                sink(TableMsg::Applied {
                    view: req.view,
                    rows: d.rows,
                })
            };
            if !ok {
                return Stop::Gone;
            }
        }
    }
}

/// Lists and watches one table until the sink says nobody listens (or the task is
/// aborted); failures are sent and retried with backoff, a refusal is not retried.
pub async fn run(client: kube::Client, req: TableRequest, sink: Sink) {
    let mut backoff = Duration::from_secs(1);
    loop {
        let stop = match list(&client, &req, &sink).await {
            Ok(rv) => {
                backoff = Duration::from_secs(1);
                if req.resource.watchable() {
                    watch(&client, &req, rv, &sink).await
                } else {
                    // nothing to watch: list again now and then
                    tokio::time::sleep(Duration::from_secs(10)).await;
                    Stop::Again
                }
            }
            Err(None) => Stop::Gone,
            Err(Some((error, forbidden))) => {
                if !sink(TableMsg::Failed {
                    view: req.view,
                    error,
                    forbidden,
                }) {
                    Stop::Gone
                } else if forbidden {
                    Stop::Refused
                } else {
                    Stop::Again
                }
            }
        };
        match stop {
            Stop::Gone | Stop::Refused => return,
            Stop::Again => {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(30));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells_read_as_kubectl_prints_them() {
        assert_eq!(cell_text(&json!("Running")), "Running");
        assert_eq!(cell_text(&json!("first\nsecond")), "first...");
        assert_eq!(cell_text(&json!(3)), "3");
        assert_eq!(cell_text(&json!(0.5)), "0.5");
        assert_eq!(cell_text(&json!(true)), "true");
        assert_eq!(cell_text(&json!(null)), "");
    }

    #[test]
    fn a_table_keeps_each_rows_identity_and_a_plain_list_gets_kubectls_columns() {
        let t = json!({"kind": "Table", "metadata": {"resourceVersion": "7", "continue": "abc"},
            "columnDefinitions": [{"name": "Name", "type": "string", "priority": 0},
                                  {"name": "Selector", "type": "string", "priority": 1}],
            "rows": [{"cells": ["cart", "app=cart"], "object": {"kind": "PartialObjectMetadata",
                "metadata": {"name": "cart", "namespace": "shop", "uid": "u1", "resourceVersion": "5"}}}]});
        let d = decode(&t).unwrap();
        assert_eq!(d.resource_version, "7");
        assert_eq!(d.next.as_deref(), Some("abc"));
        assert_eq!(d.columns[1].priority, 1);
        assert_eq!(d.rows[0].id(), "u1");
        assert_eq!(d.rows[0].namespace, "shop");
        assert_eq!(d.rows[0].cells, vec!["cart", "app=cart"]);
        let list = json!({"kind": "WidgetList", "metadata": {"resourceVersion": "9"},
            "items": [{"metadata": {"name": "w", "uid": "u2", "creationTimestamp": "2026-01-01T00:00:00Z"}}]});
        let d = decode(&list).unwrap();
        assert_eq!(d.columns.len(), 2);
        assert_eq!(d.rows[0].cells[0], "w");
        assert!(decode(&json!({"kind": "Status"})).is_err());
    }
}
