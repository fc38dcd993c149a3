//! What the workload-kind operation tests share: sandboxes paused in time, kubectl
//! against one, and reading back sets, revisions and manual Jobs.

use std::path::Path;
use std::process::Stdio;

use flightdeck::ops::model::{WorkloadKind, WorkloadOp};
use flightdeck::ops::{Executor, Operation, Plan};
use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};
use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use kube::api::{Api, ListParams, Patch, PatchParams};
use serde_json::{Value, json};

use super::ops::target;

pub async fn start() -> Sandbox {
    let sb = Sandbox::start(SandboxOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        scenario: Scenario::Steady,
        pods: None,
        seed: 1,
        ..SandboxOptions::default()
    })
    .await
    .unwrap();
    admin(&sb, "time/pause").await;
    sb
}

pub async fn admin(sb: &Sandbox, route: &str) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let r = reqwest::Client::new()
        .post(format!("{}/{route}", sb.admin_url()))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "admin {route}: {}", r.status());
}

pub async fn advance(sb: &Sandbox, seconds: u64) {
    admin(sb, &format!("time/advance?seconds={seconds}")).await;
}

pub async fn kubectl(bin: &Path, sb: &Sandbox, dir: &Path, args: &[&str]) -> String {
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(&kubeconfig, sb.kubeconfig_yaml()).expect("write kubeconfig");
    let out = tokio::process::Command::new(bin)
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .arg("--request-timeout=20s")
        .args(args)
        .env_remove("KUBECONFIG")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .expect("run kubectl");
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn audit_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

pub fn op(name: &str, kind: WorkloadKind, op: WorkloadOp) -> Operation {
    Operation::Workload {
        target: target(name),
        kind,
        op,
        resource_version: None,
    }
}

pub async fn plan_and_run(ex: &Executor, o: Operation) -> Plan {
    let plan = ex.plan(o).await.unwrap();
    assert_eq!(plan.refused, None, "{plan:?}");
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("dry run") && n.ends_with("ok")),
        "{plan:?}"
    );
    let out = ex.execute(&plan.op, &plan.before, &plan.after).await;
    assert!(out.ok, "{out:?}");
    plan
}

/// A set's pod template as JSON, and its ControllerRevisions as (name, revision).
pub type SetSnapshot = (Value, Vec<(String, i64)>);

/// The [`SetSnapshot`] of a StatefulSet or DaemonSet in `shop`.
pub async fn set_state(c: &kube::Client, kind: WorkloadKind, name: &str) -> SetSnapshot {
    let template = match kind {
        WorkloadKind::StatefulSet => {
            let s = Api::<StatefulSet>::namespaced(c.clone(), "shop")
                .get(name)
                .await
                .unwrap();
            serde_json::to_value(s.spec.template).unwrap()
        }
        _ => {
            let d = Api::<DaemonSet>::namespaced(c.clone(), "shop")
                .get(name)
                .await
                .unwrap();
            serde_json::to_value(d.spec.template).unwrap()
        }
    };
    let mut revs: Vec<(String, i64)> = Api::<ControllerRevision>::namespaced(c.clone(), "shop")
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|r| {
            r.metadata
                .owner_references
                .iter()
                .flatten()
                .any(|o| o.name == name)
        })
        .map(|r| (r.metadata.name.unwrap(), r.revision.unwrap_or(0)))
        .collect();
    revs.sort();
    (template, revs)
}

/// A third revision on both sandboxes: a new image for the set's first container.
pub async fn third_revision(c: &kube::Client, kind: WorkloadKind, name: &str, image: &str) {
    let (template, _) = set_state(c, kind, name).await;
    let container = template["spec"]["containers"][0]["name"].clone();
    let body = json!({"spec": {"template": {"spec": {"containers": [
        {"name": container, "image": image}
    ]}}}});
    let pp = PatchParams::default();
    match kind {
        WorkloadKind::StatefulSet => {
            Api::<StatefulSet>::namespaced(c.clone(), "shop")
                .patch(name, &pp, &Patch::Strategic(&body))
                .await
                .unwrap();
        }
        _ => {
            Api::<DaemonSet>::namespaced(c.clone(), "shop")
                .patch(name, &pp, &Patch::Strategic(&body))
                .await
                .unwrap();
        }
    }
}

/// A Job as created, without what differs by design between two manual runs: the name,
/// the uid, the API defaults that carry them (job-name and controller-uid labels and
/// selector), server metadata and status.
pub fn comparable(job: &Job, cronjob_uid: &str) -> Value {
    let mut v = serde_json::to_value(job).unwrap();
    for ptr in [
        "/metadata/labels",
        "/spec/selector/matchLabels",
        "/spec/template/metadata/labels",
    ] {
        if let Some(m) = v.pointer_mut(ptr).and_then(Value::as_object_mut) {
            for k in [
                "batch.kubernetes.io/controller-uid",
                "batch.kubernetes.io/job-name",
                "controller-uid",
                "job-name",
            ] {
                m.remove(k);
            }
        }
    }
    let meta = v["metadata"].as_object_mut().unwrap();
    // (the sandbox's protobuf reader keeps kubectl's empty generateName)
    if meta.get("generateName") == Some(&json!("")) {
        meta.remove("generateName");
    }
    for k in [
        "name",
        "uid",
        "resourceVersion",
        "creationTimestamp",
        "generation",
    ] {
        meta.remove(k);
    }
    // who wrote it differs by design: `flightdeck` here, `kubectl-create` there
    let managers: Vec<Value> = meta
        .remove("managedFields")
        .and_then(|m| m.as_array().cloned())
        .unwrap_or_default();
    assert_eq!(managers.len(), 1, "{managers:?}");
    let owners = meta.get_mut("ownerReferences").unwrap();
    assert_eq!(owners[0]["uid"], json!(cronjob_uid), "{owners}");
    owners[0]["uid"] = json!("UID");
    v.as_object_mut().unwrap().remove("status");
    v
}

pub async fn manual_job(c: &kube::Client) -> (Job, String) {
    let uid = Api::<CronJob>::namespaced(c.clone(), "shop")
        .get("nightly-report")
        .await
        .unwrap()
        .metadata
        .uid
        .unwrap();
    let jobs = Api::<Job>::namespaced(c.clone(), "shop")
        .list(&ListParams::default())
        .await
        .unwrap()
        .items;
    let manual: Vec<Job> = jobs
        .into_iter()
        .filter(|j| {
            j.metadata.annotations.as_ref().is_some_and(|a| {
                a.get("cronjob.kubernetes.io/instantiate")
                    .map(String::as_str)
                    == Some("manual")
            })
        })
        .collect();
    assert_eq!(manual.len(), 1, "one manual job: {manual:?}");
    (manual[0].clone(), uid)
}
