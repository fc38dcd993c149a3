//! What the operations tests share: a cluster client and an executor for a sandbox, the
//! target and the deployment of `shop`.

use std::path::Path;

use flightdeck::ops::{AuditLog, Executor, Target};
use flightdeck_sandbox::Sandbox;
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::Api;

pub async fn client(sb: &Sandbox) -> kube::Client {
    let kc = kube::config::Kubeconfig::from_yaml(&sb.kubeconfig_yaml()).expect("kubeconfig");
    flightdeck::sources::kube::client::client_from_kubeconfig(kc, None)
        .await
        .expect("client")
}

pub fn executor(c: &kube::Client, audit: &Path, read_only: bool) -> Executor {
    Executor::new(Ok(c.clone()), read_only, AuditLog::at(audit))
}

pub fn target(name: &str) -> Target {
    Target {
        context: "sandbox".into(),
        namespace: "shop".into(),
        name: name.into(),
    }
}

pub async fn deployment(c: &kube::Client, name: &str) -> Deployment {
    Api::<Deployment>::namespaced(c.clone(), "shop")
        .get(name)
        .await
        .expect("deployment")
}
