//! Pod logs: a snapshot with tailLines, sinceSeconds, sinceTime and limitBytes, or a
//! follow stream that ends when the container dies.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde_json::Value;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;

use super::request::Target;
use super::status::{bad_request, not_found};
use crate::Shared;
use crate::json::{at, str_at};
use crate::store::{Key, Kind};
use crate::world::{LogLine, ts_nanos};

fn format_line(l: &LogLine, timestamps: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(l.bytes.len() + 40);
    if timestamps {
        out.extend_from_slice(ts_nanos(l.ms).as_bytes());
        out.push(b' ');
    }
    out.extend_from_slice(&l.bytes);
    out.push(b'\n');
    out
}

pub(super) async fn logs(shared: Arc<Shared>, t: &Target, q: &HashMap<String, String>) -> Response {
    let name = t.name.clone().unwrap_or_default();
    let key: Key = (t.ns.clone(), name.clone());
    let follow = matches!(q.get("follow").map(String::as_str), Some("true" | "1"));
    let previous = matches!(q.get("previous").map(String::as_str), Some("true" | "1"));
    let timestamps = matches!(q.get("timestamps").map(String::as_str), Some("true" | "1"));
    let tail: Option<usize> = match q.get("tailLines") {
        Some(s) => match s.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n as usize),
            _ => return bad_request(&format!("invalid tailLines: {s}")),
        },
        None => None,
    };
    let limit_bytes: Option<usize> = q.get("limitBytes").and_then(|s| s.parse().ok());
    let (lines, rx) = {
        let mut w = shared.lock();
        let Some(pod) = w.store.get(Kind::Pod, &t.ns, &name) else {
            return not_found(Kind::Pod, &name);
        };
        let containers: Vec<String> = at(&pod, &["spec", "containers"])
            .and_then(Value::as_array)
            .map(|a| a.iter().map(|c| str_at(c, &["name"]).to_string()).collect())
            .unwrap_or_default();
        let container = match q.get("container").filter(|c| !c.is_empty()) {
            Some(c) if containers.contains(c) => c.clone(),
            Some(c) => return bad_request(&format!("container {c} is not valid for pod {name}")),
            None if containers.len() == 1 => containers[0].clone(),
            None => {
                return bad_request(&format!(
                    "a container name must be specified for pod {name}, choose one of: [{}]",
                    containers.join(" ")
                ));
            }
        };
        let cs = at(&pod, &["status", "containerStatuses"])
            .and_then(Value::as_array)
            .and_then(|a| a.iter().find(|c| str_at(c, &["name"]) == container))
            .cloned()
            .unwrap_or(Value::Null);
        if let Some(reason) = at(&cs, &["state", "waiting", "reason"]).and_then(Value::as_str)
            && reason == "ContainerCreating"
            && !previous
        {
            return bad_request(&format!(
                "container \"{container}\" in pod \"{name}\" is waiting to start: {reason}"
            ));
        }
        if !w.ensure_logs(&key) {
            return not_found(Kind::Pod, &name);
        }
        let since_ms: Option<i64> = if let Some(s) = q.get("sinceSeconds") {
            match s.parse::<i64>() {
                Ok(n) if n > 0 => Some(w.now_ms - n * 1000),
                _ => return bad_request(&format!("invalid sinceSeconds: {s}")),
            }
        } else if let Some(s) = q.get("sinceTime") {
            match s.parse::<jiff::Timestamp>() {
                Ok(t) => Some(t.as_millisecond()),
                Err(_) => return bad_request(&format!("invalid sinceTime: {s}")),
            }
        } else {
            None
        };
        let Some(buf) = w.logs.get(&key) else {
            return not_found(Kind::Pod, &name);
        };
        let src: Vec<LogLine> = if previous {
            if buf.previous.is_empty() {
                return bad_request(&format!(
                    "previous terminated container \"{container}\" in pod \"{name}\" not found"
                ));
            }
            buf.previous.clone()
        } else {
            buf.current.iter().cloned().collect()
        };
        let mut lines: Vec<LogLine> = src
            .into_iter()
            .filter(|l| since_ms.map(|s| l.ms >= s).unwrap_or(true))
            .collect();
        if let Some(n) = tail
            && lines.len() > n
        {
            lines.drain(..lines.len() - n);
        }
        let rx = if follow && !previous {
            Some(w.log_tx.subscribe())
        } else {
            None
        };
        (lines, rx)
    };
    let mut out: Vec<u8> = Vec::new();
    for l in &lines {
        out.extend_from_slice(&format_line(l, timestamps));
    }
    if let Some(lb) = limit_bytes {
        out.truncate(lb);
    }
    let Some(mut rx) = rx else {
        return (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain")], out).into_response();
    };
    let (tx, brx) = mpsc::channel::<Bytes>(64);
    let mut drop_rx = shared.drop_tx.subscribe();
    drop_rx.mark_unchanged();
    tokio::spawn(async move {
        let mut sent = out.len();
        if !out.is_empty() && tx.send(Bytes::from(out)).await.is_err() {
            return;
        }
        loop {
            tokio::select! {
                r = rx.recv() => match r {
                    Ok(e) if e.key == key => match &e.line {
                        Some(l) => {
                            let mut b = format_line(l, timestamps);
                            if let Some(lb) = limit_bytes {
                                if sent >= lb { return; }
                                b.truncate(lb - sent);
                            }
                            sent += b.len();
                            if tx.send(Bytes::from(b)).await.is_err() { return; }
                        }
                        None => return,
                    },
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                _ = drop_rx.changed() => return,
                _ = tx.closed() => return,
            }
        }
    });
    let stream = ReceiverStream::new(brx).map(Ok::<Bytes, Infallible>);
    let mut resp = Response::new(Body::from_stream(stream));
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    resp
}
