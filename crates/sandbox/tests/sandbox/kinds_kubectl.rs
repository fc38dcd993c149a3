//! The real `kubectl` against the sandbox's StatefulSets, DaemonSets, ControllerRevisions,
//! Jobs, CronJobs, Nodes and bare pods. Where kubectl is absent these tests fail (see
//! `tests/support/tools.rs`: only `FLIGHTDECK_ALLOW_SKIPS=1` outside CI turns that into a skip).

use crate::kubectl_support;

use flightdeck_sandbox::Scenario;
use kubectl_support::Kubectl;
use serde_json::Value;

/// A pod template as the controllers compare them: without `$patch` and Go's empty values.
fn normalized(t: &Value) -> Value {
    match t {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, v)| {
                    !k.starts_with('$')
                        && !v.is_null()
                        && v.as_object().is_none_or(|o| !o.is_empty())
                        && v.as_array().is_none_or(|a| !a.is_empty())
                })
                .map(|(k, v)| (k.clone(), normalized(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(normalized).collect()),
        v => v.clone(),
    }
}

/// The ControllerRevision of `owner` with revision number `n`.
async fn revision(k: &Kubectl, selector: &str, owner: &str, n: i64) -> Value {
    let revs = k
        .json(&["get", "controllerrevisions", "-l", selector])
        .await;
    revs["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["revision"] == n && r["metadata"]["ownerReferences"][0]["name"] == owner)
        .unwrap_or_else(|| panic!("no revision {n} of {owner} in {revs}"))
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_all_and_every_kind() {
    let Some(k) = Kubectl::start(Scenario::Steady).await else {
        return;
    };
    let all = k.run(&["get", "all", "-n", "shop"]).await;
    for want in [
        "pod/orders-db-0",
        "pod/debug-shell",
        "deployment.apps/checkout",
        "statefulset.apps/orders-db",
        "daemonset.apps/node-agent",
        "cronjob.batch/nightly-report",
        "job.batch/nightly-report-",
        "service/orders-db",
    ] {
        assert!(all.contains(want), "{want} missing from get all:\n{all}");
    }
    let kinds = k
        .run(&["get", "sts,ds,jobs,cronjobs,controllerrevisions,nodes"])
        .await;
    let sts = kinds
        .lines()
        .find(|l| l.starts_with("statefulset.apps/orders-db "))
        .unwrap_or_else(|| panic!("{kinds}"));
    assert!(sts.contains("3/3"), "{sts}");
    let ds = kinds
        .lines()
        .find(|l| l.starts_with("daemonset.apps/node-agent "))
        .unwrap_or_else(|| panic!("{kinds}"));
    let nodes = k.run(&["get", "nodes", "--no-headers"]).await;
    let n = nodes.lines().count().to_string();
    assert_eq!(
        ds.split_whitespace().take(6).collect::<Vec<_>>(),
        ["daemonset.apps/node-agent", &n, &n, &n, &n, &n],
        "{ds}"
    );
    assert!(
        kinds.contains("controllerrevision.apps/orders-db-"),
        "{kinds}"
    );
    assert!(kinds.contains("statefulset.apps/orders-db"), "{kinds}");
    assert!(kinds.contains("node/node-1"), "{kinds}");
    let cj = kinds
        .lines()
        .find(|l| l.starts_with("cronjob.batch/nightly-report "))
        .unwrap_or_else(|| panic!("{kinds}"));
    let schedule = k
        .run(&[
            "get",
            "cronjob",
            "nightly-report",
            "-o",
            "jsonpath={.spec.schedule}",
        ])
        .await;
    assert!(schedule.ends_with(" * * *"), "{schedule}");
    assert!(cj.contains(&schedule) && cj.contains("False"), "{cj}");
    assert!(
        kinds
            .lines()
            .any(|l| l.starts_with("job.batch/nightly-report-") && l.contains("Complete")),
        "{kinds}"
    );
    assert!(nodes.lines().all(|l| l.contains(" Ready ")), "{nodes}");
    let gpu = k
        .run(&[
            "get",
            "nodes",
            "-l",
            "nvidia.com/gpu.present=true",
            "--no-headers",
        ])
        .await;
    assert!(gpu.lines().count() >= 1 && gpu.lines().count() < nodes.lines().count());
    // short names
    let short = k.run(&["get", "cj,sts,ds", "--no-headers"]).await;
    assert_eq!(short.lines().count(), 3, "{short}");
    // a bare pod: no owner; it runs, and deleting it deletes it
    let yaml = k.run(&["get", "pod", "debug-shell", "-o", "yaml"]).await;
    assert!(
        yaml.contains("name: debug-shell") && yaml.contains("phase: Running"),
        "{yaml}"
    );
    assert!(!yaml.contains("ownerReferences"), "{yaml}");
    let out = k
        .run(&["delete", "pod", "debug-shell", "--wait=false"])
        .await;
    assert!(out.contains("deleted"), "{out}");
    k.advance(5).await;
    let gone = k
        .cmd(&["get", "pod", "debug-shell"])
        .output()
        .await
        .unwrap();
    assert!(!gone.status.success());
    assert!(String::from_utf8_lossy(&gone.stderr).contains("NotFound"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statefulset_history_undo_restart_scale_and_status() {
    let Some(k) = Kubectl::start(Scenario::Steady).await else {
        return;
    };
    let hist = k.run(&["rollout", "history", "sts/orders-db"]).await;
    assert!(hist.contains("minor upgrade to 16.4"), "{hist}");
    let revs: Vec<&str> = hist
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.parse::<i64>().is_ok())
        .collect();
    assert_eq!(revs, ["1", "2"], "{hist}");
    let rev1 = revision(&k, "app=orders-db", "orders-db", 1).await;
    let out = k
        .run(&["rollout", "undo", "sts/orders-db", "--to-revision=1"])
        .await;
    assert!(out.contains("rolled back"), "{out}");
    let set = k.json(&["get", "sts", "orders-db"]).await;
    assert_eq!(
        normalized(&set["spec"]["template"]),
        normalized(&rev1["data"]["spec"]["template"]),
        "the set's template is revision 1's"
    );
    assert_eq!(
        set["spec"]["template"]["spec"]["containers"][0]["image"],
        "postgres:16.3"
    );
    k.advance(60).await;
    let st = k
        .run(&["rollout", "status", "sts/orders-db", "--timeout=10s"])
        .await;
    assert!(
        st.contains("roll out complete") || st.contains("rolling update complete"),
        "{st}"
    );
    let pods = k.json(&["get", "pods", "-l", "app=orders-db"]).await;
    for p in pods["items"].as_array().unwrap() {
        assert_eq!(p["spec"]["containers"][0]["image"], "postgres:16.3");
    }
    // the old revision came back as revision 3
    let hist = k.run(&["rollout", "history", "sts/orders-db"]).await;
    assert!(hist.lines().any(|l| l.starts_with("3 ")), "{hist}");
    assert!(!hist.lines().any(|l| l.starts_with("1 ")), "{hist}");
    // undo without a revision: back to the previous one
    let out = k.run(&["rollout", "undo", "sts/orders-db"]).await;
    assert!(out.contains("rolled back"), "{out}");
    assert_eq!(
        k.run(&[
            "get",
            "sts",
            "orders-db",
            "-o",
            "jsonpath={.spec.template.spec.containers[0].image}"
        ])
        .await,
        "postgres:16.4"
    );
    k.advance(60).await;
    // restart: a new revision and new pods
    let out = k.run(&["rollout", "restart", "sts/orders-db"]).await;
    assert!(out.contains("restarted"), "{out}");
    let at = k
        .run(&[
            "get",
            "sts",
            "orders-db",
            "-o",
            "jsonpath={.spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}",
        ])
        .await;
    assert!(at.parse::<jiff::Timestamp>().is_ok(), "restartedAt: {at:?}");
    k.advance(60).await;
    let st = k
        .run(&["rollout", "status", "sts/orders-db", "--timeout=10s"])
        .await;
    assert!(st.contains("complete"), "{st}");
    let set = k.json(&["get", "sts", "orders-db"]).await;
    let update = set["status"]["updateRevision"]
        .as_str()
        .unwrap()
        .to_string();
    let pods = k.json(&["get", "pods", "-l", "app=orders-db"]).await;
    for p in pods["items"].as_array().unwrap() {
        assert_eq!(
            p["metadata"]["labels"]["controller-revision-hash"],
            update.as_str()
        );
    }
    // scale through /scale
    let out = k.run(&["scale", "sts/orders-db", "--replicas=5"]).await;
    assert!(out.contains("scaled"), "{out}");
    k.advance(60).await;
    let names = k
        .run(&["get", "pods", "-l", "app=orders-db", "-o", "name"])
        .await;
    assert_eq!(names.lines().count(), 5, "{names}");
    assert!(names.contains("pod/orders-db-4"), "{names}");
    let st = k
        .run(&["rollout", "status", "sts/orders-db", "--timeout=10s"])
        .await;
    assert!(st.contains("complete"), "{st}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemonset_history_undo_restart_and_status() {
    let Some(k) = Kubectl::start(Scenario::Steady).await else {
        return;
    };
    let hist = k.run(&["rollout", "history", "ds/node-agent"]).await;
    assert!(hist.contains("agent 0.9.2"), "{hist}");
    let rev1 = revision(&k, "app=node-agent", "node-agent", 1).await;
    let out = k
        .run(&["rollout", "undo", "ds/node-agent", "--to-revision=1"])
        .await;
    assert!(out.contains("rolled back"), "{out}");
    let ds = k.json(&["get", "ds", "node-agent"]).await;
    assert_eq!(
        normalized(&ds["spec"]["template"]),
        normalized(&rev1["data"]["spec"]["template"])
    );
    k.advance(120).await;
    let st = k
        .run(&["rollout", "status", "ds/node-agent", "--timeout=10s"])
        .await;
    assert!(st.contains("successfully rolled out"), "{st}");
    let pods = k.json(&["get", "pods", "-l", "app=node-agent"]).await;
    let items = pods["items"].as_array().unwrap();
    assert!(!items.is_empty());
    for p in items {
        assert_eq!(
            p["spec"]["containers"][0]["image"],
            "ghcr.io/acme/node-agent:0.9.1"
        );
    }
    let out = k.run(&["rollout", "restart", "ds/node-agent"]).await;
    assert!(out.contains("restarted"), "{out}");
    let hist = k.run(&["rollout", "history", "ds/node-agent"]).await;
    assert!(hist.lines().any(|l| l.starts_with("4 ")), "{hist}");
    k.advance(120).await;
    let st = k
        .run(&["rollout", "status", "ds/node-agent", "--timeout=10s"])
        .await;
    assert!(st.contains("successfully rolled out"), "{st}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cronjob_manual_run_suspend_and_failures() {
    let Some(k) = Kubectl::start(Scenario::BadRelease).await else {
        return;
    };
    let out = k
        .run(&["create", "job", "manual-1", "--from=cronjob/nightly-report"])
        .await;
    assert!(out.contains("created"), "{out}");
    let cj = k.json(&["get", "cronjob", "nightly-report"]).await;
    let job = k.json(&["get", "job", "manual-1"]).await;
    assert_eq!(
        job["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"],
        "manual"
    );
    let owner = &job["metadata"]["ownerReferences"][0];
    assert_eq!(owner["kind"], "CronJob");
    assert_eq!(owner["uid"], cj["metadata"]["uid"]);
    // in bad-release the report's pods exit non-zero: the Job fails after its back-off limit
    k.advance(300).await;
    let job = k.json(&["get", "job", "manual-1"]).await;
    let failed = job["status"]["conditions"].as_array().is_some_and(|c| {
        c.iter()
            .any(|c| c["type"] == "Failed" && c["status"] == "True")
    });
    assert!(failed, "{job}");
    let jobs = k.run(&["get", "jobs"]).await;
    let line = jobs.lines().find(|l| l.starts_with("manual-1 ")).unwrap();
    assert!(line.contains("Failed"), "{line}");
    let pods = k
        .run(&["get", "pods", "-l", "job-name=manual-1", "--no-headers"])
        .await;
    assert!(
        !pods.is_empty() && pods.lines().all(|l| l.contains("Error")),
        "{pods}"
    );
    // every five minutes instead of nightly, so that simulated minutes show it
    k.run(&[
        "patch",
        "cronjob",
        "nightly-report",
        "--type=merge",
        "-p",
        r#"{"spec":{"schedule":"*/5 * * * *"}}"#,
    ])
    .await;
    let before = k.run(&["get", "jobs", "-o", "name"]).await;
    k.advance(600).await;
    let after = k.run(&["get", "jobs", "-o", "name"]).await;
    assert!(
        after.lines().any(|l| !before.contains(l)),
        "no scheduled Job in ten minutes:\n{after}"
    );
    let out = k
        .run(&[
            "patch",
            "cronjob",
            "nightly-report",
            "-p",
            r#"{"spec":{"suspend":true}}"#,
        ])
        .await;
    assert!(out.contains("patched"), "{out}");
    assert_eq!(
        k.run(&[
            "get",
            "cj",
            "nightly-report",
            "-o",
            "jsonpath={.spec.suspend}"
        ])
        .await,
        "true"
    );
    let before = k.run(&["get", "jobs", "-o", "name"]).await;
    k.advance(900).await;
    let after = k.run(&["get", "jobs", "-o", "name"]).await;
    assert!(
        after.lines().all(|l| before.contains(l)),
        "a suspended CronJob started a Job:\n{before}\n{after}"
    );
}
