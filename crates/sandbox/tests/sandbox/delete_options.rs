//! DELETE reads its DeleteOptions body as kube-apiserver does: `dryRun: ["All"]` deletes
//! nothing, and `preconditions` (uid, resourceVersion) refuse with 409 when the object by
//! that name is not the one meant.

use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, Preconditions};

async fn start() -> (Sandbox, Api<Pod>) {
    let sb = Sandbox::start(SandboxOptions::scenario(Scenario::Steady))
        .await
        .unwrap();
    let kc = kube::config::Kubeconfig::from_yaml(&sb.kubeconfig_yaml()).unwrap();
    let cfg = kube::Config::from_custom_kubeconfig(kc, &kube::config::KubeConfigOptions::default())
        .await
        .unwrap();
    let c = kube::Client::try_from(cfg).unwrap();
    (sb, Api::namespaced(c, "shop"))
}

fn with(uid: Option<&str>, rv: Option<&str>) -> DeleteParams {
    DeleteParams {
        preconditions: Some(Preconditions {
            uid: uid.map(str::to_owned),
            resource_version: rv.map(str::to_owned),
        }),
        ..DeleteParams::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_in_the_body_deletes_nothing() {
    let (_sb, pods) = start().await;
    let dry = DeleteParams {
        dry_run: true,
        ..DeleteParams::default()
    };
    pods.delete("debug-shell", &dry).await.unwrap();
    assert!(pods.get_opt("debug-shell").await.unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preconditions_refuse_another_object_by_the_same_name() {
    let (_sb, pods) = start().await;
    let pod = pods.get("debug-shell").await.unwrap();
    let uid = pod.metadata.uid.clone().unwrap();
    let rv = pod.metadata.resource_version.clone().unwrap();
    for (dp, field) in [
        (with(Some("not-this-one"), None), "UID"),
        (with(Some(&uid), Some("1")), "ResourceVersion"),
    ] {
        match pods.delete("debug-shell", &dp).await {
            Err(kube::Error::Api(s)) => {
                assert_eq!(s.code, 409, "{s:?}");
                assert!(
                    s.message
                        .starts_with(&format!("Precondition failed: {field} in precondition")),
                    "{s:?}"
                );
            }
            other => panic!("not refused: {other:?}"),
        }
        assert!(pods.get_opt("debug-shell").await.unwrap().is_some());
    }
    pods.delete("debug-shell", &with(Some(&uid), Some(&rv)))
        .await
        .unwrap();
    assert!(pods.get_opt("debug-shell").await.unwrap().is_none());
}
