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
