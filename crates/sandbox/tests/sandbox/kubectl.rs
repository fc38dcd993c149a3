//! The real `kubectl` against the sandbox. Where kubectl is absent these tests fail (see
//! `tests/support/tools.rs`: only `FLIGHTDECK_ALLOW_SKIPS=1` outside CI turns that into a skip).

use crate::kubectl_support;

use std::process::Stdio;
use std::time::Duration;

use flightdeck_sandbox::Scenario;
use kubectl_support::Kubectl;
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_pods_all_namespaces_and_deployments() {
    let Some(k) = Kubectl::start(Scenario::Steady).await else {
        return;
    };
    let out = k.run(&["get", "pods", "-A"]).await;
    let header = out.lines().next().unwrap();
    for col in ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"] {
        assert!(header.contains(col), "missing column {col} in {header}");
    }
    for ns in ["shop", "shop-dev", "shop-staging"] {
        assert!(
            out.lines().any(|l| l.starts_with(&format!("{ns} "))),
            "no pods of {ns} in\n{out}"
        );
    }
    // every pod runs, except the nightly report's Job pods, which ran to completion
    assert!(
        out.lines().skip(1).all(|l| l.contains("Running")
            || (l.contains(" nightly-report-") && l.contains("Completed"))),
        "{out}"
    );
    assert!(out.contains("Completed"), "{out}");
    let deploy = k.run(&["get", "deploy"]).await;
    let line = deploy.lines().find(|l| l.starts_with("checkout ")).unwrap();
    assert!(line.contains("4/4"), "{line}");
    let wide = k.run(&["get", "deploy", "checkout", "-o", "wide"]).await;
    assert!(wide.contains("ghcr.io/acme/checkout:1.7.2"), "{wide}");
    let json = k
        .run(&["get", "pods", "-n", "shop", "-l", "app=cart", "-o", "json"])
        .await;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["items"].as_array().unwrap().len(), 2);
    let missing = k.cmd(&["get", "pod", "nope"]).output().await.unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("NotFound"));
    let other = k.run(&["get", "svc,hpa,rs,events,ns"]).await;
    assert!(
        other.contains("service/checkout")
            && other.contains("horizontalpodautoscaler.autoscaling/frontend"),
        "{other}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_changes_replicas_and_pods() {
    let Some(k) = Kubectl::start(Scenario::Steady).await else {
        return;
    };
    let out = k.run(&["scale", "deploy/cart", "--replicas=3"]).await;
    assert!(out.contains("scaled"), "{out}");
    assert_eq!(
        k.run(&["get", "deploy", "cart", "-o", "jsonpath={.spec.replicas}"])
            .await,
        "3"
    );
    k.admin("time/advance?seconds=20").await;
    let pods = k
        .run(&["get", "pods", "-l", "app=cart", "--no-headers"])
        .await;
    assert_eq!(pods.lines().count(), 3, "{pods}");
    assert_eq!(
        k.run(&[
            "get",
            "deploy",
            "cart",
            "-o",
            "jsonpath={.status.readyReplicas}"
        ])
        .await,
        "3"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_history_and_undo_restore_the_old_release() {
    let Some(k) = Kubectl::start(Scenario::BadRelease).await else {
        return;
    };
    let hist = k.run(&["rollout", "history", "deploy/checkout"]).await;
    assert!(hist.contains("REVISION"), "{hist}");
    assert!(
        hist.lines()
            .any(|l| l.starts_with("4 ") && l.contains("deploy run #127")),
        "{hist}"
    );
    assert!(
        hist.lines()
            .any(|l| l.starts_with("3 ") && l.contains("deploy run #126")),
        "{hist}"
    );
    let pods = k.run(&["get", "pods", "-l", "app=checkout"]).await;
    assert!(pods.contains("CrashLoopBackOff"), "{pods}");
    let image = "jsonpath={.spec.template.spec.containers[0].image}";
    assert_eq!(
        k.run(&["get", "deploy", "checkout", "-o", image]).await,
        "ghcr.io/acme/checkout:1.8.0"
    );

    // the bad rollout never finishes: after the progress deadline, rollout status says so
    k.admin("time/advance?seconds=400").await;
    let st = k
        .cmd(&["rollout", "status", "deploy/checkout", "--timeout=10s"])
        .output()
        .await
        .unwrap();
    assert!(!st.status.success());
    assert!(
        String::from_utf8_lossy(&st.stderr).contains("exceeded its progress deadline"),
        "{st:?}"
    );

    let out = k.run(&["rollout", "undo", "deploy/checkout"]).await;
    assert!(out.contains("rolled back"), "{out}");
    assert_eq!(
        k.run(&["get", "deploy", "checkout", "-o", image]).await,
        "ghcr.io/acme/checkout:1.7.2"
    );
    // the old replica set is current again, with the next revision number
    let rs = k
        .run(&["get", "rs", "-l", "app=checkout", "-o", "jsonpath={range .items[*]}{.metadata.annotations.deployment\\.kubernetes\\.io/revision} {.spec.template.spec.containers[0].image} {.spec.replicas}{\"\\n\"}{end}"])
        .await;
    let current: Vec<&str> = rs.lines().filter(|l| l.starts_with("5 ")).collect();
    assert_eq!(current.len(), 1, "{rs}");
    assert!(current[0].contains(":1.7.2"), "{rs}");
    assert!(
        !rs.lines().any(|l| l.starts_with("3 ")),
        "revision 3 should have become 5: {rs}"
    );
    assert_eq!(
        k.run(&[
            "get",
            "deploy",
            "checkout",
            "-o",
            "jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}"
        ])
        .await,
        "5"
    );
    let hist = k.run(&["rollout", "history", "deploy/checkout"]).await;
    assert!(
        hist.lines()
            .any(|l| l.starts_with("5 ") && l.contains("deploy run #126")),
        "change-cause not carried: {hist}"
    );
    k.admin("time/advance?seconds=60").await;
    let pods = k
        .run(&["get", "pods", "-l", "app=checkout", "--no-headers"])
        .await;
    assert!(!pods.contains("CrashLoopBackOff"), "{pods}");
    assert_eq!(pods.lines().count(), 4, "{pods}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_restart_sets_restarted_at() {
    let Some(k) = Kubectl::start(Scenario::Steady).await else {
        return;
    };
    let before = k
        .run(&["get", "rs", "-l", "app=frontend", "--no-headers"])
        .await
        .lines()
        .count();
    let out = k.run(&["rollout", "restart", "deploy/frontend"]).await;
    assert!(out.contains("restarted"), "{out}");
    let at = k
        .run(&[
            "get",
            "deploy",
            "frontend",
            "-o",
            "jsonpath={.spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}",
        ])
        .await;
    assert!(
        at.parse::<jiff::Timestamp>().is_ok(),
        "restartedAt not set: {at:?}"
    );
    let after = k
        .run(&["get", "rs", "-l", "app=frontend", "--no-headers"])
        .await
        .lines()
        .count();
    assert_eq!(after, before + 1);
    k.admin("time/advance?seconds=60").await;
    let st = k
        .run(&["rollout", "status", "deploy/frontend", "--timeout=10s"])
        .await;
    assert!(st.contains("successfully rolled out"), "{st}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_and_follow() {
    let Some(k) = Kubectl::start(Scenario::Steady).await else {
        return;
    };
    let pod = k
        .run(&[
            "get",
            "pods",
            "-l",
            "app=payments",
            "-o",
            "jsonpath={.items[0].metadata.name}",
        ])
        .await;
    let out = k.run(&["logs", &pod, "--tail=3"]).await;
    assert_eq!(out.lines().count(), 3, "{out}");
    let out = k.run(&["logs", &pod, "--tail=2", "--timestamps"]).await;
    assert!(
        out.lines().all(|l| l
            .split(' ')
            .next()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .is_ok()),
        "{out}"
    );

    let mut child = k
        .cmd(&["logs", "-f", &pod, "--tail=2"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut got = Vec::new();
    for _ in 0..2 {
        got.push(
            tokio::time::timeout(Duration::from_secs(20), lines.next_line())
                .await
                .unwrap()
                .unwrap()
                .unwrap(),
        );
    }
    let r = reqwest::Client::new()
        .post(format!("{}/pods/shop/{pod}/log", k.sb.admin_url()))
        .body("followed line 42")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let mut found = false;
    for _ in 0..50 {
        match tokio::time::timeout(Duration::from_secs(20), lines.next_line()).await {
            Ok(Ok(Some(l))) if l == "followed line 42" => {
                found = true;
                break;
            }
            Ok(Ok(Some(_))) => {}
            _ => break,
        }
    }
    child.kill().await.unwrap();
    assert_eq!(got.len(), 2);
    assert!(found, "kubectl logs -f did not print the appended line");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_after_a_fresh_store_and_invalid_names() {
    let Some(k) = Kubectl::start(Scenario::Steady).await else {
        return;
    };
    let list_rv = |out: String| -> u64 {
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    let old = list_rv(
        k.run(&["get", "--raw", "/api/v1/namespaces/shop/pods"])
            .await,
    );
    k.admin("restart?fresh_store=true").await;
    // kubectl lists without a resourceVersion: a fresh store is just a cluster to it
    let pods = k.run(&["get", "pods", "--no-headers"]).await;
    assert!(pods.lines().any(|l| l.starts_with("checkout-")), "{pods}");
    let new = list_rv(
        k.run(&["get", "--raw", "/api/v1/namespaces/shop/pods"])
            .await,
    );
    assert!(new < old, "{new} is not below {old}");
    // asking for the old version is asking for the future
    let raw = k
        .cmd(&[
            "get",
            "--raw",
            &format!("/api/v1/namespaces/shop/pods?resourceVersion={old}"),
        ])
        .output()
        .await
        .unwrap();
    assert!(!raw.status.success());
    let err = String::from_utf8_lossy(&raw.stderr);
    assert!(
        err.contains(&format!(
            "Too large resource version: {old}, current: {new}"
        )),
        "{err}"
    );

    let file = k.dir.path().join("bad.json");
    std::fs::write(
        &file,
        r#"{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "Bad_Name"}}"#,
    )
    .unwrap();
    let bad = k
        .cmd(&["create", "--validate=false", "-f", file.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("The Namespace \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 label must consist of"),
        "{err}"
    );
}

/// Init containers and a native sidecar, as kubectl prints them: the sidecar counts in
/// READY and its restarts in RESTARTS, with the last one's age.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_containers_and_a_native_sidecar() {
    let Some(k) = Kubectl::start(Scenario::Steady).await else {
        return;
    };
    let out = k
        .run(&["get", "pods", "-n", "kube-system", "--no-headers"])
        .await;
    let line = |name: &str| {
        out.lines()
            .find(|l| l.starts_with(name))
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .unwrap_or_else(|| panic!("no {name} in\n{out}"))
    };
    let sync = line("cert-sync-");
    assert_eq!(&sync[1..4], ["1/1", "Running", "0"], "{out}");
    let shipper = line("log-shipper-");
    assert_eq!(&shipper[1..4], ["2/2", "Running", "2"], "{out}");
    assert_eq!(shipper[4..6], ["(5h", "ago)"], "{out}");
}
