//! What a container is declared as, made into the text the detail view shows: from the
//! slim containers of pods and templates (shared per thread, [`super::intern`]) and from
//! an Argo Rollout's fully decoded template.

use std::sync::Arc;

use k8s_openapi::api::core::v1::{Container, Probe, ResourceRequirements};

use super::model::{ContainerSpec, GPU_RESOURCE};
use super::slim;

/// A container's `nvidia.com/gpu` (limits, else requests; an extended resource is a whole
/// number, anything else counts 0).
fn gpu_request(r: Option<&ResourceRequirements>) -> u32 {
    r.and_then(|r| r.limits.as_ref())
        .and_then(|l| l.get(GPU_RESOURCE))
        .or_else(|| {
            r.and_then(|r| r.requests.as_ref())
                .and_then(|q| q.get(GPU_RESOURCE))
        })
        .and_then(|q| q.0.trim().parse().ok())
        .unwrap_or(0)
}

/// The spec of a container as a pod or a template declares it, and the GPUs it asks for:
/// made once per thread for containers declared alike ([`super::intern::container`]).
pub(super) fn declared(c: &slim::Container) -> (Arc<ContainerSpec>, u32) {
    super::intern::container(c, |c| {
        let resources = c.resources();
        let spec = spec_of(
            &c.name,
            c.image.as_deref(),
            resources.as_ref(),
            c.liveness().as_ref(),
            c.readiness().as_ref(),
        );
        (spec, gpu_request(resources.as_ref()))
    })
}

/// The specs of a template's containers, for a workload's detail view.
pub(super) fn declared_specs(cs: &[slim::Container]) -> Vec<ContainerSpec> {
    cs.iter()
        .map(|c| ContainerSpec::clone(&declared(c).0))
        .collect()
}

/// The spec of a container of an Argo Rollout's template (decoded in full by `argo.rs`).
pub(super) fn container_spec(c: &Container) -> ContainerSpec {
    spec_of(
        &c.name,
        c.image.as_deref(),
        c.resources.as_ref(),
        c.liveness_probe.as_ref(),
        c.readiness_probe.as_ref(),
    )
}

fn spec_of(
    name: &str,
    image: Option<&str>,
    resources: Option<&ResourceRequirements>,
    liveness: Option<&Probe>,
    readiness: Option<&Probe>,
) -> ContainerSpec {
    let resources = resources
        .map(|r| {
            let mut parts = Vec::new();
            for res in ["cpu", "memory"] {
                let req = r.requests.as_ref().and_then(|m| m.get(res)).map(|q| &q.0);
                let lim = r.limits.as_ref().and_then(|m| m.get(res)).map(|q| &q.0);
                if req.is_some() || lim.is_some() {
                    parts.push(format!(
                        "{res} {}/{}",
                        req.map_or("-", |s| s.as_str()),
                        lim.map_or("-", |s| s.as_str())
                    ));
                }
            }
            parts.join(", ")
        })
        .unwrap_or_default();
    ContainerSpec {
        name: name.to_owned(),
        image: image.unwrap_or_default().to_owned(),
        resources,
        liveness: liveness.map(probe),
        readiness: readiness.map(probe),
    }
}

fn probe(p: &Probe) -> String {
    let how = if let Some(h) = &p.http_get {
        let port = match &h.port {
            k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(i) => i.to_string(),
            k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(s) => s.clone(),
        };
        format!("http-get :{port}{}", h.path.as_deref().unwrap_or("/"))
    } else if let Some(t) = &p.tcp_socket {
        let port = match &t.port {
            k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(i) => i.to_string(),
            k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(s) => s.clone(),
        };
        format!("tcp :{port}")
    } else if let Some(e) = &p.exec {
        format!(
            "exec {}",
            e.command.as_ref().map(|c| c.join(" ")).unwrap_or_default()
        )
    } else if p.grpc.is_some() {
        "grpc".to_owned()
    } else {
        "-".to_owned()
    };
    format!(
        "{how} delay={}s timeout={}s period={}s #failure={}",
        p.initial_delay_seconds.unwrap_or(0),
        p.timeout_seconds.unwrap_or(1),
        p.period_seconds.unwrap_or(10),
        p.failure_threshold.unwrap_or(3)
    )
}
