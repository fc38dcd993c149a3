//! The sandbox crate's tests: its Kubernetes API (lists, watches, writes, Table, discovery) as
//! kube-rs and the real kubectl see it, the GitHub Actions API, Prometheus pages and API, the
//! GPU fleet. One binary; the modules share `kubectl_support` and the root tests' `tools`.
#[path = "../../../../tests/support/tools.rs"]
#[allow(dead_code)] // the root tests use the rest of it
mod tools;

mod kubectl_support;

mod delete_options;
mod disruption;
mod events_kubectl;

mod github;
mod gpu_fleet;
mod kinds;
mod kinds_kubectl;
mod kube_api;
mod kubectl;
mod metrics;
mod prometheus;
mod requests;
mod resource_versions;
mod resources_kubectl;
mod rollouts;
mod rollouts_kubectl;
