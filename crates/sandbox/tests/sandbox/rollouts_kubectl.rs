//! The real `kubectl` against the sandbox's Argo Rollouts: `get rollouts`, `get ro`,
//! `-o yaml`, and merge patches on the object and on its status subresource.

use crate::kubectl_support;

use flightdeck_sandbox::Scenario;
use kubectl_support::Kubectl;

#[tokio::test]
async fn kubectl_gets_and_patches_rollouts() {
    let Some(k) = Kubectl::start(Scenario::CanaryPaused).await else {
        return;
    };
    let table = k.run(&["get", "rollouts"]).await;
    let header = table.lines().next().unwrap_or("");
    for c in [
        "NAME",
        "DESIRED",
        "CURRENT",
        "UP-TO-DATE",
        "AVAILABLE",
        "AGE",
    ] {
        assert!(header.contains(c), "{c} in {header:?}");
    }
    assert!(
        table.contains("checkout") && table.contains("search"),
        "{table}"
    );
    let short = k.run(&["get", "ro", "checkout"]).await;
    assert!(
        short.lines().nth(1).unwrap_or("").starts_with("checkout "),
        "{short}"
    );
    let yaml = k.run(&["get", "rollout", "checkout", "-o", "yaml"]).await;
    assert!(yaml.contains("apiVersion: argoproj.io/v1alpha1"), "{yaml}");
    assert!(yaml.contains("reason: CanaryPauseStep"), "{yaml}");
    assert!(yaml.contains("kind: Rollout"));

    k.run(&[
        "patch",
        "rollout",
        "checkout",
        "--type=merge",
        "-p",
        r#"{"spec":{"paused":true}}"#,
    ])
    .await;
    let ro = k.json(&["get", "rollout", "checkout"]).await;
    assert_eq!(ro["spec"]["paused"], true);
    assert_eq!(ro["status"]["message"], "manually paused");
    k.run(&[
        "patch",
        "rollout",
        "checkout",
        "--type=merge",
        "-p",
        r#"{"spec":{"paused":false}}"#,
    ])
    .await;
    k.run(&[
        "patch",
        "rollout",
        "checkout",
        "--subresource=status",
        "--type=merge",
        "-p",
        r#"{"status":{"pauseConditions":null}}"#,
    ])
    .await;
    let ro = k.json(&["get", "rollout", "checkout"]).await;
    assert_eq!(ro["status"]["currentStepIndex"], 5, "{}", ro["status"]);
    let served = k.sb.requests();
    assert!(
        served.iter().any(|r| r.method == "PATCH"
            && r.path == "/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts/checkout/status"
            && r.content_type.as_deref() == Some("application/merge-patch+json")),
        "{served:?}"
    );
}
