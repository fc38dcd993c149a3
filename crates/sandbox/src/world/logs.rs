//! Simulated container logs: a buffer per pod, filled lazily with history on the first
//! request and then as simulated time passes, with a stack trace when a container crashes.

use std::collections::VecDeque;
use std::sync::Arc;

use axum::body::Bytes;
use serde_json::Value;

use super::state::{LogBuf, LogEvt, LogLine};
use super::{MAIN_NS, World, first_image, ts_nanos};
use crate::json::{at, str_at};
use crate::rng::{Rng, fnv64};
use crate::store::{Key, Kind};

const LOG_CAP: usize = 5_000;
/// pods with a log buffer at once (the least recently created is dropped)
const LOG_PODS_CAP: usize = 1_000;

impl World {
    fn new_logbuf(&self, key: &Key, pod: &Value) -> LogBuf {
        let app = str_at(pod, &["metadata", "labels", "app"]).to_string();
        let image = first_image(pod);
        let bad = self.bad_images.contains(&image) && key.0 == MAIN_NS;
        LogBuf {
            current: VecDeque::new(),
            previous: Vec::new(),
            next_ms: 0,
            rng: Rng::new(self.seed ^ fnv64(format!("{}/{}", key.0, key.1).as_bytes())),
            app,
            bad,
        }
    }

    /// Make sure a pod has a log buffer (created lazily on the first request, with history).
    pub fn ensure_logs(&mut self, key: &Key) -> bool {
        if self.logs.contains_key(key) {
            return true;
        }
        let Some(pod) = self.store.get(Kind::Pod, &key.0, &key.1) else {
            return false;
        };
        let mut buf = self.new_logbuf(key, &pod);
        let started = at(&pod, &["status", "containerStatuses"])
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(|c| {
                at(c, &["state", "running", "startedAt"])
                    .or(at(c, &["lastState", "terminated", "startedAt"]))
            })
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<jiff::Timestamp>().ok())
            .map(|t| t.as_millisecond())
            .unwrap_or(self.now_ms);
        let sim = self.active_pods.get(key).cloned();
        let restarts = at(&pod, &["status", "containerStatuses"])
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(|c| c.get("restartCount"))
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let now = self.now_ms;
        if buf.bad {
            // previous instance: start-up, then the crash
            if restarts > 0 {
                let t0 = now - 15_000;
                buf.previous = startup_lines(&buf.app, t0, &mut buf.rng);
                buf.previous.extend(stack_trace(t0 + 2500));
            }
            buf.current
                .extend(startup_lines(&buf.app, now - 1500, &mut buf.rng));
            if sim.map(|s| s.stage == 2).unwrap_or(false) {
                buf.current.extend(stack_trace(now - 1000));
            }
            buf.next_ms = now + 1000;
        } else {
            let t0 = started.max(now - 600_000);
            buf.current
                .extend(startup_lines(&buf.app, t0, &mut buf.rng));
            let mut t = t0 + 1000;
            while t <= now {
                let line = app_line(&buf.app, t, &mut buf.rng);
                buf.current.push_back(line);
                t += 500 + buf.rng.below(3500) as i64;
            }
            buf.next_ms = t;
            if restarts > 0 {
                buf.previous = startup_lines(&buf.app, started - 3_600_000, &mut buf.rng);
                buf.previous.push(LogLine {
                    ms: started - 60_000,
                    bytes: Bytes::from("fatal error: runtime: out of memory"),
                });
            }
        }
        while buf.current.len() > LOG_CAP {
            buf.current.pop_front();
        }
        self.logs.insert(key.clone(), buf);
        self.log_order.push_back(key.clone());
        while self.logs.len() > LOG_PODS_CAP {
            match self.log_order.pop_front() {
                Some(k) if k != *key => {
                    self.logs.remove(&k);
                }
                Some(_) => {}
                None => break,
            }
        }
        self.log_order.retain(|k| self.logs.contains_key(k));
        true
    }

    pub fn append_log(&mut self, key: &Key, bytes: Bytes) -> bool {
        if !self.ensure_logs(key) {
            return false;
        }
        let line = LogLine {
            ms: self.now_ms,
            bytes,
        };
        if let Some(b) = self.logs.get_mut(key) {
            b.current.push_back(line.clone());
            while b.current.len() > LOG_CAP {
                b.current.pop_front();
            }
        }
        let _ = self.log_tx.send(Arc::new(LogEvt {
            key: key.clone(),
            line: Some(line),
        }));
        true
    }

    pub(super) fn step_logs(&mut self) {
        let now = self.now_ms;
        let keys: Vec<Key> = self.logs.keys().cloned().collect();
        for key in keys {
            let crashed = self
                .active_pods
                .get(&key)
                .map(|s| s.stage == 2 || s.stage == 0)
                .unwrap_or(false);
            let finished = self
                .store
                .obj(Kind::Pod, &key.0, &key.1)
                .is_some_and(|p| p.phase == "Succeeded" || p.phase == "Failed");
            let Some(b) = self.logs.get_mut(&key) else {
                continue;
            };
            if b.bad || crashed || finished {
                continue;
            }
            let mut out = Vec::new();
            while b.next_ms <= now {
                let l = app_line(&b.app, b.next_ms, &mut b.rng);
                b.next_ms += 500 + b.rng.below(3500) as i64;
                b.current.push_back(l.clone());
                out.push(l);
            }
            while b.current.len() > LOG_CAP {
                b.current.pop_front();
            }
            for l in out {
                let _ = self.log_tx.send(Arc::new(LogEvt {
                    key: key.clone(),
                    line: Some(l),
                }));
            }
        }
    }

    /// A crash-looping container died: its log becomes `previous`, followers are cut off.
    pub(super) fn crash_logs(&mut self, key: &Key) {
        let now = self.now_ms;
        let Some(b) = self.logs.get_mut(key) else {
            return;
        };
        for l in stack_trace(now) {
            let _ = self.log_tx.send(Arc::new(LogEvt {
                key: key.clone(),
                line: Some(l.clone()),
            }));
            b.current.push_back(l);
        }
        b.previous = b.current.drain(..).collect();
        let app = b.app.clone();
        b.current.extend(startup_lines(&app, now + 500, &mut b.rng));
        let _ = self.log_tx.send(Arc::new(LogEvt {
            key: key.clone(),
            line: None,
        }));
    }
}

fn startup_lines(app: &str, t0: i64, rng: &mut Rng) -> Vec<LogLine> {
    let ts0 = ts_nanos(t0);
    let build = rng.hex(7);
    vec![
        LogLine {
            ms: t0,
            bytes: Bytes::from(format!("{ts0} INFO  starting {app} (build {build})")),
        },
        LogLine {
            ms: t0 + 120,
            bytes: Bytes::from(format!(
                "{{\"timestamp\":\"{}\",\"level\":\"info\",\"requestId\":null,\"component\":\"config\",\"message\":\"loaded configuration\",\"metadata\":{{\"env\":\"production\",\"featureFlags\":3}}}}",
                ts_nanos(t0 + 120)
            )),
        },
        LogLine {
            ms: t0 + 300,
            bytes: Bytes::from(format!(
                "{{\"timestamp\":\"{}\",\"level\":\"info\",\"requestId\":null,\"component\":\"http\",\"message\":\"listening on :8080\",\"metadata\":{{\"port\":8080}}}}",
                ts_nanos(t0 + 300)
            )),
        },
    ]
}

fn stack_trace(t: i64) -> Vec<LogLine> {
    let head = format!(
        "{{\"timestamp\":\"{}\",\"level\":\"error\",\"requestId\":\"req-7f3a9c21\",\"component\":\"payments-client\",\"message\":\"unhandled error in charge handler\",\"metadata\":{{\"provider\":\"stripe\",\"attempt\":1}}}}",
        ts_nanos(t)
    );
    let mut out = vec![LogLine {
        ms: t,
        bytes: Bytes::from(head),
    }];
    for l in [
        "panic: runtime error: invalid memory address or nil pointer dereference",
        "[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x8a4f21]",
        "",
        "goroutine 87 [running]:",
        "github.com/acme/checkout/internal/payments.(*Client).Charge(0x0, {0xc0001a2000, 0x24}, 0x1f4)",
        "\t/src/internal/payments/client.go:142 +0x41",
        "github.com/acme/checkout/internal/api.(*Server).handleCheckout(0xc000214000, {0xb4c1e0, 0xc0003a6000}, 0xc0002f2100)",
        "\t/src/internal/api/checkout.go:88 +0x2d5",
        "net/http.HandlerFunc.ServeHTTP(0xc000120a80, {0xb4c1e0, 0xc0003a6000}, 0xc0002f2100)",
        "\t/usr/local/go/src/net/http/server.go:2220 +0x29",
        "created by net/http.(*Server).Serve in goroutine 1",
        "\t/usr/local/go/src/net/http/server.go:3360 +0x485",
    ] {
        out.push(LogLine {
            ms: t,
            bytes: Bytes::from(l.to_string()),
        });
    }
    out
}

fn app_line(app: &str, t: i64, rng: &mut Rng) -> LogLine {
    let r = rng.f64();
    let stamp = ts_nanos(t);
    let req = rng.hex(8);
    let paths = [
        "/api/cart",
        "/api/checkout",
        "/api/items",
        "/healthz",
        "/api/orders",
    ];
    let path = paths[rng.below(paths.len() as u64) as usize];
    let bytes = if r < 0.12 {
        let msgs = [
            "GC forced",
            "cache refreshed 132 keys",
            "connection pool: 12 idle, 3 active",
            "reloading TLS certificates",
        ];
        format!(
            "{stamp} INFO  [{app}] {}",
            msgs[rng.below(msgs.len() as u64) as usize]
        )
    } else if r < 0.18 {
        format!(
            "{{\"timestamp\":\"{stamp}\",\"level\":\"warn\",\"requestId\":\"req-{req}\",\"component\":\"db\",\"message\":\"slow query\",\"metadata\":{{\"durationMs\":{},\"table\":\"orders\"}}}}",
            300 + rng.below(900)
        )
    } else if r < 0.20 {
        format!(
            "{{\"timestamp\":\"{stamp}\",\"level\":\"error\",\"requestId\":\"req-{req}\",\"component\":\"http\",\"message\":\"upstream timeout\",\"metadata\":{{\"path\":\"{path}\",\"status\":504}}}}"
        )
    } else {
        let method = if rng.below(4) == 0 { "POST" } else { "GET" };
        format!(
            "{{\"timestamp\":\"{stamp}\",\"level\":\"info\",\"requestId\":\"req-{req}\",\"component\":\"http\",\"message\":\"{method} {path} 200\",\"metadata\":{{\"latencyMs\":{},\"status\":200,\"path\":\"{path}\",\"method\":\"{method}\"}}}}",
            3 + rng.below(80)
        )
    };
    LogLine {
        ms: t,
        bytes: Bytes::from(bytes),
    }
}
