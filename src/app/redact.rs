//! Credentials never reach State. Sources redact the errors they write, but a URL from the
//! config (`http://user:password@prometheus:9090`, `…/metrics?token=…`) or a body a server
//! echoes (`Authorization: Basic …` in a 502 page) can still ride along in a message; this
//! is the one pass every message of the metrics, GPU and health sources goes through before
//! `update` stores any of it, so no pane, hint or copy can show it.

use crate::secret::redact;
use crate::sources::gpu::model::{GpuUpdate, HostSample};
use crate::sources::health::model::{HealthFailure, HealthSample};
use crate::sources::metrics::model::{Health, MetricsUpdate};

fn clean(text: &mut String) {
    if let std::borrow::Cow::Owned(r) = redact(text) {
        *text = r;
    }
}

pub fn metrics(update: &mut MetricsUpdate) {
    for h in &mut update.health {
        clean(&mut h.source);
        if let Health::Failing { error } = &mut h.health {
            clean(error);
        }
    }
    for p in &mut update.problems {
        clean(&mut p.problem);
    }
    if let Some(a) = &mut update.alerts {
        for e in a.error.iter_mut().chain(a.alertmanager_error.iter_mut()) {
            clean(e);
        }
    }
}

fn host(h: &mut HostSample) {
    clean(&mut h.host);
    if let Some(e) = &mut h.error {
        clean(e);
    }
    // a host may come to be named by its target or a label (app::panes::gpu::nodes)
    for g in &mut h.gpus {
        let o = &mut g.origin;
        for text in o.host_label.iter_mut().chain(o.instance.iter_mut()) {
            clean(text);
        }
    }
}

pub fn gpu(update: &mut GpuUpdate) {
    match update {
        GpuUpdate::Host(h) => host(h),
        GpuUpdate::Round(hosts) => hosts.iter_mut().for_each(host),
        GpuUpdate::NvmlUnavailable(e) | GpuUpdate::Failed(e) => clean(e),
    }
}

pub fn health(sample: &mut HealthSample) {
    if let Err(f) = &mut sample.result {
        match f {
            HealthFailure::Redirect { location, .. } => clean(location),
            HealthFailure::Body { missing, .. } => clean(missing),
            HealthFailure::Tls(e) | HealthFailure::Connect(e) | HealthFailure::Other(e) => clean(e),
            HealthFailure::Status { .. } | HealthFailure::Timeout { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;
    use crate::sources::metrics::model::{AlertsUpdate, ServiceHealth};

    const URL: &str = "https://ops:pa55w0rdz@h.example:9400/metrics?token=t0k3nzz";
    const SECRETS: [&str; 2] = ["pa55w0rdz", "t0k3nzz"];

    fn assert_clean(what: &str, debug: String) {
        for s in SECRETS {
            assert!(!debug.contains(s), "{what} keeps {s}: {debug}");
        }
        assert!(debug.contains("<redacted>"), "{what}: {debug}");
    }

    /// Every kind of message that can quote a configured URL: the metrics targets and
    /// Prometheus, Alertmanager, the GPU hosts, the health checks.
    #[test]
    fn every_message_that_quotes_a_url_is_redacted() {
        let at = Timestamp::UNIX_EPOCH;
        let mut m = MetricsUpdate::new(at);
        m.health.push(ServiceHealth {
            service: "checkout".into(),
            source: URL.into(),
            health: Health::Failing {
                error: format!("GET {URL}: HTTP 502"),
            },
            at,
        });
        m.alerts = Some(AlertsUpdate {
            alerts: Vec::new(),
            error: Some(format!("GET {URL}: timed out")),
            alertmanager_error: Some(format!("GET {URL}: connection refused")),
        });
        metrics(&mut m);
        assert_clean("metrics", format!("{m:?}"));

        for mut g in [
            GpuUpdate::Host(HostSample::failed(URL, at, format!("{URL}: refused"))),
            GpuUpdate::Round(vec![HostSample::failed(
                "dgx-01",
                at,
                format!("{URL}: gone"),
            )]),
            GpuUpdate::Failed(format!("GET {URL}: 500")),
            GpuUpdate::Round(vec![HostSample {
                host: "dgx-01".into(),
                time: at,
                gpus: vec![{
                    let mut g =
                        crate::sources::gpu::model::GpuSample::empty("dgx-01", 0, "GPU-a".into());
                    // what may come to name the host
                    g.origin.host_label = Some(URL.into());
                    g.origin.instance = Some(URL.into());
                    g
                }],
                error: None,
                driver_version: None,
            }]),
        ] {
            gpu(&mut g);
            assert_clean("gpu", format!("{g:?}"));
        }

        for failure in [
            HealthFailure::Connect(format!("{URL}: refused")),
            HealthFailure::Tls(format!("{URL}: unknown issuer")),
            HealthFailure::Other(format!("{URL}: reset")),
            HealthFailure::Redirect {
                status: 302,
                location: URL.into(),
            },
        ] {
            let mut h = HealthSample {
                name: "api".into(),
                at,
                latency: None,
                result: Err(failure),
            };
            health(&mut h);
            assert_clean("health", format!("{h:?}"));
        }
    }
}
