//! Watch streams: the initial events or those since a resourceVersion, then live ones in
//! bounded chunks, with bookmarks, 410 Gone for a version too old and a `ResourceVersionTooLarge`
//! Status for one newer than the store's, until the client goes,
//! the timeout passes or the sandbox drops its streams.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;

use super::list::table_of;
use super::request::Filter;
use super::status::bad_request;
use crate::Shared;
use crate::store::WatchEvt;

fn watch_line_raw(etype: &str, json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len() + 32);
    out.extend_from_slice(b"{\"type\":\"");
    out.extend_from_slice(etype.as_bytes());
    out.extend_from_slice(b"\",\"object\":");
    out.extend_from_slice(json);
    out.extend_from_slice(b"}\n");
    out
}

fn watch_line(etype: &str, obj: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(2048);
    out.extend_from_slice(b"{\"type\":\"");
    out.extend_from_slice(etype.as_bytes());
    out.extend_from_slice(b"\",\"object\":");
    let _ = serde_json::to_writer(&mut out, obj);
    out.extend_from_slice(b"}\n");
    out
}

pub(super) fn watch(
    shared: Arc<Shared>,
    f: Filter,
    q: &HashMap<String, String>,
    table: Option<String>,
    too_large: Option<Value>,
) -> Response {
    let bookmarks = matches!(
        q.get("allowWatchBookmarks").map(String::as_str),
        Some("true" | "1")
    );
    let timeout = q
        .get("timeoutSeconds")
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(1800)
        .min(3600);
    let rv: Option<u64> = match q.get("resourceVersion").map(String::as_str) {
        None | Some("") | Some("0") => None,
        Some(s) => match s.parse() {
            Ok(v) => Some(v),
            Err(_) => return bad_request(&format!("invalid resource version: {s}")),
        },
    };
    let send_initial = matches!(q.get("sendInitialEvents").map(String::as_str), Some("true"));
    let (tx, rx) = mpsc::channel::<Bytes>(16);
    let (initial, live, start_rv, now, expired) = {
        let w = shared.lock();
        let live = w.store.tx.subscribe();
        let now = w.now_ms;
        match rv {
            Some(r) if !send_initial => match w.store.since(r) {
                Some(evts) => (evts, live, w.store.rv, now, None),
                None => (
                    Vec::new(),
                    live,
                    w.store.rv,
                    now,
                    Some((r, w.store.compacted_rv)),
                ),
            },
            _ => {
                let evts: Vec<Arc<WatchEvt>> = w
                    .store
                    .in_ns(f.kind, &f.ns)
                    .filter(|o| f.matches(o))
                    .map(|o| {
                        Arc::new(WatchEvt {
                            rv: 0,
                            kind: f.kind,
                            etype: "ADDED",
                            obj: o.clone(),
                        })
                    })
                    .collect();
                (evts, live, w.store.rv, now, None)
            }
        }
    };
    let mut drop_rx = shared.drop_tx.subscribe();
    drop_rx.mark_unchanged();
    let encode = move |e: &WatchEvt, now: i64| -> Vec<u8> {
        match &table {
            Some(v) => {
                let t = table_of(
                    e.kind,
                    std::slice::from_ref(&e.obj),
                    now,
                    &HashMap::new(),
                    v,
                    &e.obj.rv.to_string(),
                    None,
                    None,
                );
                watch_line(e.etype, &t)
            }
            None => watch_line_raw(e.etype, &e.obj.json),
        }
    };
    let guard = shared.watch_opened(f.kind.info().plural);
    tokio::spawn(async move {
        let _open = guard;
        if let Some(st) = too_large {
            // from a resourceVersion the store has not reached (a fresh store behind the
            // same address): kube-apiserver's one ERROR event
            let _ = tx.send(Bytes::from(watch_line("ERROR", &st))).await;
            return;
        }
        if let Some((r, oldest)) = expired {
            let st = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": format!("too old resource version: {r} ({oldest})"), "reason": "Expired", "code": 410});
            let _ = tx.send(Bytes::from(watch_line("ERROR", &st))).await;
            return;
        }
        let mut last = start_rv;
        let mut live = live;
        let mut buf: Vec<u8> = Vec::new();
        for e in initial
            .iter()
            .filter(|e| e.kind == f.kind && f.matches(&e.obj))
        {
            buf.extend_from_slice(&encode(e, now));
            if buf.len() > 256 * 1024
                && tx
                    .send(Bytes::from(std::mem::take(&mut buf)))
                    .await
                    .is_err()
            {
                return;
            }
        }
        if send_initial && bookmarks {
            let b = json!({"kind": f.kind.info().name, "apiVersion": f.kind.api_version(),
                "metadata": {"resourceVersion": last.to_string(), "annotations": {"k8s.io/initial-events-end": "true"}}});
            buf.extend_from_slice(&watch_line("BOOKMARK", &b));
        }
        if !buf.is_empty()
            && tx
                .send(Bytes::from(std::mem::take(&mut buf)))
                .await
                .is_err()
        {
            return;
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        tick.tick().await;
        loop {
            tokio::select! {
                r = live.recv() => {
                    let mut batch: Vec<Arc<WatchEvt>> = Vec::new();
                    let mut lagged = false;
                    match r {
                        Ok(e) => batch.push(e),
                        Err(broadcast::error::RecvError::Lagged(_)) => lagged = true,
                        Err(broadcast::error::RecvError::Closed) => return,
                    }
                    while batch.len() < 4096 {
                        match live.try_recv() {
                            Ok(e) => batch.push(e),
                            Err(broadcast::error::TryRecvError::Lagged(_)) => { lagged = true; }
                            Err(_) => break,
                        }
                    }
                    if lagged {
                        // fell behind the broadcast: catch up from the history
                        let caught = shared.lock().store.since(last);
                        match caught {
                            Some(evts) => { batch = evts; }
                            None => {
                                let st = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                    "message": format!("too old resource version: {last}"), "reason": "Expired", "code": 410});
                                let _ = tx.send(Bytes::from(watch_line("ERROR", &st))).await;
                                return;
                            }
                        }
                    }
                    let now = shared.lock().now_ms;
                    for e in batch {
                        if e.rv <= last { continue; }
                        last = e.rv;
                        if e.kind == f.kind && f.matches(&e.obj) {
                            buf.extend_from_slice(&encode(&e, now));
                            // bounded chunks keep a slow reader from piling up memory
                            if buf.len() > 256 * 1024 && tx.send(Bytes::from(std::mem::take(&mut buf))).await.is_err() {
                                return;
                            }
                        }
                    }
                    if !buf.is_empty() && tx.send(Bytes::from(std::mem::take(&mut buf))).await.is_err() {
                        return;
                    }
                }
                _ = tick.tick() => {
                    if bookmarks {
                        let b = json!({"kind": f.kind.info().name, "apiVersion": f.kind.api_version(), "metadata": {"resourceVersion": last.to_string()}});
                        if tx.send(Bytes::from(watch_line("BOOKMARK", &b))).await.is_err() { return; }
                    }
                }
                _ = drop_rx.changed() => return,
                _ = tokio::time::sleep_until(deadline) => return,
                _ = tx.closed() => return,
            }
        }
    });
    let stream = ReceiverStream::new(rx).map(Ok::<Bytes, Infallible>);
    let mut resp = Response::new(Body::from_stream(stream));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}
