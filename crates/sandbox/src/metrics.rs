//! Prometheus text exposition (format 0.0.4) for the simulated services (the DGX hosts'
//! pages are in `dcgm.rs`).

use std::collections::BTreeMap;
use std::fmt::Write;

use super::rng::{Rng, fnv64};

pub const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const CDF_OK: [f64; 11] = [
    0.02, 0.08, 0.30, 0.62, 0.85, 0.96, 0.99, 0.997, 0.999, 1.0, 1.0,
];
const CDF_SLOW: [f64; 11] = [
    0.01, 0.04, 0.15, 0.35, 0.55, 0.75, 0.88, 0.95, 0.99, 0.998, 1.0,
];

/// Simulated traffic of one service: counters kept as float accumulators, exposed floored
/// (so they stay monotonic and the histogram stays cumulative).
#[derive(Debug, Clone)]
pub struct Traffic {
    pub service: String,
    pub rps: f64,
    rng: Rng,
    /// request counters by (revision, status, method); the revision is the
    /// `rollouts_pod_template_hash` label, empty for a service no Rollout serves
    pub counts: BTreeMap<(String, u16, &'static str), f64>,
    pub cum: [f64; 11],
    pub total: f64,
    pub sum: f64,
    pub elapsed_ms: i64,
    /// (total, errors) of the last step, for the admin summary
    pub last_ratio: f64,
    /// A broken exporter, set through `/_sandbox/metrics/{service}/fault`.
    pub fault: Option<MetricFault>,
}

/// How a service's page can be broken, to drill a client's handling of bad numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricFault {
    /// The `500 GET` counter reads `NaN`.
    Nan,
    /// The `500 GET` counter reads `+Inf`.
    Inf,
    /// The `200 GET` counter reads below zero (its value, negated).
    Negative,
    /// The `200 GET` counter reads 1 % below its value: from the scrape after the fault is
    /// set it went down without going anywhere near zero (not a restart).
    Dip,
    /// The `500 GET` line is written twice.
    Duplicate,
    /// The page is padded with comment lines to at least this many bytes.
    Pad(usize),
}

impl MetricFault {
    /// `nan`, `inf`, `negative`, `dip`, `duplicate`, or `pad` with `bytes`.
    pub fn parse(kind: &str, bytes: Option<usize>) -> Result<MetricFault, String> {
        Ok(match kind {
            "nan" => MetricFault::Nan,
            "inf" => MetricFault::Inf,
            "negative" => MetricFault::Negative,
            "dip" => MetricFault::Dip,
            "duplicate" => MetricFault::Duplicate,
            "pad" => MetricFault::Pad(
                bytes
                    .filter(|b| *b <= 256 << 20)
                    .ok_or("pad needs bytes=N (at most 256 MiB)")?,
            ),
            other => {
                return Err(format!(
                    "unknown metric fault `{other}` (nan, inf, negative, dip, duplicate, pad)"
                ));
            }
        })
    }

    pub fn name(self) -> String {
        match self {
            MetricFault::Nan => "nan".into(),
            MetricFault::Inf => "inf".into(),
            MetricFault::Negative => "negative".into(),
            MetricFault::Dip => "dip".into(),
            MetricFault::Duplicate => "duplicate".into(),
            MetricFault::Pad(n) => format!("pad {n} bytes"),
        }
    }
}

/// `POST /_sandbox/metrics/{service}/fault?kind=K[&bytes=N]` sets a service's fault,
/// `DELETE` clears it (see ADMIN.md): the answer as JSON, or a status and message.
pub fn fault_route(
    traffic: &mut BTreeMap<String, Traffic>,
    delete: bool,
    service: &str,
    kind: Option<&str>,
    bytes: Option<&str>,
) -> Result<serde_json::Value, (u16, String)> {
    let t = traffic
        .get_mut(service)
        .ok_or((404, format!("no service `{service}` with metrics")))?;
    if delete {
        t.fault = None;
    } else {
        let kind = kind.ok_or((400, "kind=... is required".to_owned()))?;
        let bytes = match bytes {
            Some(b) => Some(
                b.parse::<usize>()
                    .map_err(|_| (400, format!("bytes `{b}` is not a count")))?,
            ),
            None => None,
        };
        t.fault = Some(MetricFault::parse(kind, bytes).map_err(|e| (400, e))?);
    }
    Ok(serde_json::json!({"service": service, "fault": t.fault.map(MetricFault::name)}))
}

impl Traffic {
    pub fn new(service: &str, seed: u64) -> Traffic {
        let rps = match service {
            "frontend" => 300.0,
            "checkout" => 80.0,
            "cart" => 120.0,
            "payments" => 40.0,
            _ => 50.0,
        };
        Traffic {
            service: service.to_string(),
            rps,
            rng: Rng::new(seed ^ fnv64(service.as_bytes())),
            counts: BTreeMap::new(),
            cum: [0.0; 11],
            total: 0.0,
            sum: 0.0,
            elapsed_ms: 0,
            last_ratio: 0.0,
            fault: None,
        }
    }

    /// Traffic split over revisions: (revision hash, share of the requests, its error
    /// ratio) each, shares summing to 1.
    pub fn add_split(&mut self, dt_ms: i64, split: &[(String, f64, f64)], slow: bool) {
        self.elapsed_ms += dt_ms;
        let wave = 1.0 + 0.2 * ((self.elapsed_ms as f64) / 300_000.0).sin();
        let jitter = 0.9 + 0.2 * self.rng.f64();
        let n = self.rps * dt_ms as f64 / 1000.0 * wave * jitter;
        let mut err_total = 0.0;
        for (rev, share, err_ratio) in split {
            let n = n * share;
            let err = n * err_ratio;
            err_total += err;
            let ok = n - err;
            let parts: [((u16, &'static str), f64); 6] = [
                ((200, "GET"), ok * 0.74),
                ((201, "POST"), ok * 0.25),
                ((404, "GET"), ok * 0.01),
                ((500, "GET"), err * 0.4),
                ((500, "POST"), err * 0.3),
                ((503, "GET"), err * 0.3),
            ];
            for ((status, method), v) in parts {
                *self
                    .counts
                    .entry((rev.clone(), status, method))
                    .or_insert(0.0) += v;
            }
        }
        let err_ratio = if n > 0.0 { err_total / n } else { 0.0 };
        let cdf = if slow { &CDF_SLOW } else { &CDF_OK };
        for (c, f) in self.cum.iter_mut().zip(cdf.iter()) {
            *c += n * f;
        }
        self.total += n;
        self.sum += n * if slow { 0.21 } else { 0.045 };
        self.last_ratio = err_ratio;
    }

    /// (requests, 5xx) counted so far for one revision.
    pub fn revision_totals(&self, rev: &str) -> (f64, f64) {
        let mut t = (0.0, 0.0);
        for ((r, status, _), v) in &self.counts {
            if r == rev {
                t.0 += v;
                if *status >= 500 {
                    t.1 += v;
                }
            }
        }
        t
    }

    /// The page's samples as a Prometheus scraping it stores them (`__name__` a label;
    /// a fault's bad values included, a duplicate line and padding not).
    pub fn samples(&self) -> Vec<(crate::history::Labels, f64)> {
        let s = &self.service;
        let mut out = Vec::with_capacity(self.counts.len() + BUCKETS.len() + 3);
        let labels = |name: &str, pairs: &[(&str, &str)]| {
            let mut l = crate::history::Labels::new();
            l.insert("__name__".to_owned(), name.to_owned());
            l.insert("service".to_owned(), s.clone());
            for (k, v) in pairs {
                l.insert((*k).to_owned(), (*v).to_owned());
            }
            l
        };
        for ((rev, status, method), v) in &self.counts {
            let value = match (self.fault, *status, *method) {
                (Some(MetricFault::Nan), 500, "GET") => f64::NAN,
                (Some(MetricFault::Inf), 500, "GET") => f64::INFINITY,
                (Some(MetricFault::Negative), 200, "GET") => -v.floor(),
                (Some(MetricFault::Dip), 200, "GET") => (v * 0.99).floor(),
                _ => v.floor(),
            };
            let status = status.to_string();
            let mut pairs = vec![("status", status.as_str()), ("method", *method)];
            if !rev.is_empty() {
                pairs.push(("rollouts_pod_template_hash", rev.as_str()));
            }
            out.push((labels("http_requests_total", &pairs), value));
        }
        for (le, c) in BUCKETS.iter().zip(self.cum.iter()) {
            let le = le.to_string();
            out.push((
                labels("http_request_duration_seconds_bucket", &[("le", &le)]),
                c.floor(),
            ));
        }
        out.push((
            labels("http_request_duration_seconds_bucket", &[("le", "+Inf")]),
            self.total.floor(),
        ));
        out.push((
            labels("http_request_duration_seconds_sum", &[]),
            (self.sum * 1000.0).round() / 1000.0,
        ));
        out.push((
            labels("http_request_duration_seconds_count", &[]),
            self.total.floor(),
        ));
        out
    }

    pub fn render(&self, out: &mut String) {
        let s = &self.service;
        out.push_str("# HELP http_requests_total Total number of HTTP requests handled, by status code and method.\n");
        out.push_str("# TYPE http_requests_total counter\n");
        for ((rev, status, method), v) in &self.counts {
            let value = match (self.fault, *status, *method) {
                (Some(MetricFault::Nan), 500, "GET") => "NaN".to_owned(),
                (Some(MetricFault::Inf), 500, "GET") => "+Inf".to_owned(),
                (Some(MetricFault::Negative), 200, "GET") => format!("{}", -v.floor()),
                (Some(MetricFault::Dip), 200, "GET") => format!("{}", (v * 0.99).floor()),
                _ => format!("{}", v.floor()),
            };
            let rev_label = if rev.is_empty() {
                String::new()
            } else {
                format!(",rollouts_pod_template_hash=\"{rev}\"")
            };
            let line = format!(
                "http_requests_total{{service=\"{s}\",status=\"{status}\",method=\"{method}\"{rev_label}}} {value}\n"
            );
            out.push_str(&line);
            if self.fault == Some(MetricFault::Duplicate) && (*status, *method) == (500, "GET") {
                out.push_str(&line);
            }
        }
        out.push_str("# HELP http_request_duration_seconds Latency of HTTP requests.\n");
        out.push_str("# TYPE http_request_duration_seconds histogram\n");
        for (le, c) in BUCKETS.iter().zip(self.cum.iter()) {
            let _ = writeln!(
                out,
                "http_request_duration_seconds_bucket{{service=\"{s}\",le=\"{le}\"}} {}",
                c.floor()
            );
        }
        let _ = writeln!(
            out,
            "http_request_duration_seconds_bucket{{service=\"{s}\",le=\"+Inf\"}} {}",
            self.total.floor()
        );
        let _ = writeln!(
            out,
            "http_request_duration_seconds_sum{{service=\"{s}\"}} {:.3}",
            self.sum
        );
        let _ = writeln!(
            out,
            "http_request_duration_seconds_count{{service=\"{s}\"}} {}",
            self.total.floor()
        );
        if let Some(MetricFault::Pad(bytes)) = self.fault {
            let pad = format!("# pad {}\n", "x".repeat(1000));
            while out.len() < bytes {
                out.push_str(&pad);
            }
        }
    }
}
