//! StatefulSets, DaemonSets, ControllerRevisions, Jobs, CronJobs, Nodes and bare pods in the
//! sandbox's Kubernetes API, over loopback HTTP, with simulated time driven by the test. (Over
//! 700 lines only because rustfmt spreads the JSON bodies; one harness, so one file.)

use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};
use serde_json::{Value, json};

/// Advance simulated time one second at a time until the block is true (at most `max`
/// simulated seconds).
macro_rules! wait_for {
    ($a:expr, $what:expr, $max:expr, $cond:block) => {{
        let mut ok = false;
        for _ in 0..=$max {
            if $cond {
                ok = true;
                break;
            }
            $a.advance(1).await;
        }
        assert!(ok, "{}: not within {} simulated seconds", $what, $max);
    }};
}

struct Api {
    sb: Sandbox,
    http: reqwest::Client,
}

impl Api {
    async fn start(scenario: Scenario) -> Api {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sb = Sandbox::start(SandboxOptions::scenario(scenario))
            .await
            .unwrap();
        let a = Api {
            sb,
            http: reqwest::Client::new(),
        };
        a.admin("time/pause").await;
        a
    }

    async fn admin(&self, route: &str) {
        let r = self
            .http
            .post(format!("{}/{route}", self.sb.admin_url()))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "admin {route}: {}", r.status());
    }

    async fn advance(&self, seconds: u64) {
        self.admin(&format!("time/advance?seconds={seconds}")).await;
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        ct: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut rq = self
            .http
            .request(method, format!("{}{path}", self.sb.kube_url()))
            .bearer_auth("sandbox-token");
        if let Some(b) = body {
            rq = rq.header("content-type", ct).body(b.to_string());
        }
        let r = rq.send().await.unwrap();
        let code = r.status().as_u16();
        (code, r.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> Value {
        let (code, v) = self.send(reqwest::Method::GET, path, "", None).await;
        assert_eq!(code, 200, "GET {path}: {v} {:?}", self.sb.requests().last());
        v
    }

    async fn create(&self, path: &str, body: Value) -> Value {
        let (code, v) = self
            .send(reqwest::Method::POST, path, "application/json", Some(body))
            .await;
        assert_eq!(code, 201, "POST {path}: {v}");
        v
    }

    async fn merge(&self, path: &str, body: Value) -> Value {
        let (code, v) = self
            .send(
                reqwest::Method::PATCH,
                path,
                "application/merge-patch+json",
                Some(body),
            )
            .await;
        assert_eq!(code, 200, "PATCH {path}: {v}");
        v
    }

    async fn items(&self, path: &str) -> Vec<Value> {
        self.get(path)
            .await
            .get("items")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    }

    /// Pods of the main namespace with this label selector.
    async fn pods(&self, selector: &str) -> Vec<Value> {
        self.items(&format!(
            "/api/v1/namespaces/shop/pods?labelSelector={selector}"
        ))
        .await
    }
}

fn name(v: &Value) -> String {
    v["metadata"]["name"].as_str().unwrap_or("").to_string()
}

fn ready(p: &Value) -> bool {
    p["status"]["phase"] == "Running"
        && p["status"]["conditions"].as_array().is_some_and(|a| {
            a.iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
        })
}

fn image(p: &Value) -> String {
    p["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

fn template(app: &str, image: &str) -> Value {
    json!({"metadata": {"labels": {"app": app}},
           "spec": {"containers": [{"name": "main", "image": image}], "restartPolicy": "Always"}})
}

const STS: &str = "/apis/apps/v1/namespaces/shop/statefulsets";
const DS: &str = "/apis/apps/v1/namespaces/shop/daemonsets";
const REVS: &str = "/apis/apps/v1/namespaces/shop/controllerrevisions";
const JOBS: &str = "/apis/batch/v1/namespaces/shop/jobs";
const CJS: &str = "/apis/batch/v1/namespaces/shop/cronjobs";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statefulset_ordered_creation_rolling_update_partition_and_scale() {
    let a = Api::start(Scenario::Steady).await;
    a.create(
        STS,
        json!({"metadata": {"name": "web"}, "spec": {
            "replicas": 3, "serviceName": "web",
            "selector": {"matchLabels": {"app": "web"}},
            "template": template("web", "nginx:1.26")}}),
    )
    .await;
    // ordered: each pod appears only once the one before it is ready
    let mut seen_out_of_order = false;
    wait_for!(a, "three ready pods", 60, {
        let pods = a.pods("app=web").await;
        for p in &pods {
            let ord: usize = name(p).trim_start_matches("web-").parse().unwrap();
            for before in 0..ord {
                let prev = pods.iter().find(|q| name(q) == format!("web-{before}"));
                if !prev.is_some_and(ready) {
                    seen_out_of_order = true;
                }
            }
        }
        pods.len() == 3 && pods.iter().all(ready)
    });
    assert!(
        !seen_out_of_order,
        "a pod started before the one before it was ready"
    );
    let set = a.get(&format!("{STS}/web")).await;
    let rev1 = set["status"]["updateRevision"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(set["status"]["currentRevision"], rev1.as_str());
    assert_eq!(set["status"]["readyReplicas"], 3);
    assert_eq!(set["status"]["currentReplicas"], 3);
    assert_eq!(set["status"]["updatedReplicas"], 3);
    assert_eq!(
        set["status"]["observedGeneration"],
        set["metadata"]["generation"]
    );
    assert_eq!(
        set["spec"]["updateStrategy"]["rollingUpdate"]["partition"],
        0
    );
    for p in a.pods("app=web").await {
        assert_eq!(
            p["metadata"]["labels"]["controller-revision-hash"],
            rev1.as_str()
        );
        assert_eq!(p["metadata"]["ownerReferences"][0]["kind"], "StatefulSet");
        assert_eq!(p["spec"]["hostname"], name(&p).as_str());
    }
    // the revision: the template patch as the controller stores it, numbered, owned
    let rev = a.get(&format!("{REVS}/{rev1}")).await;
    assert_eq!(rev["revision"], 1);
    assert_eq!(rev["data"]["spec"]["template"]["$patch"], "replace");
    assert_eq!(
        rev["data"]["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx:1.26"
    );
    assert_eq!(
        rev["metadata"]["ownerReferences"][0]["uid"],
        set["metadata"]["uid"]
    );
    assert_eq!(rev["metadata"]["ownerReferences"][0]["controller"], true);
    assert_eq!(rev["metadata"]["labels"]["app"], "web");

    // a partitioned update: only ordinals >= 2 move
    a.merge(
        &format!("{STS}/web"),
        json!({"spec": {"updateStrategy": {"rollingUpdate": {"partition": 2}},
                         "template": {"spec": {"containers": [{"name": "main", "image": "nginx:1.27"}]}}}}),
    )
    .await;
    wait_for!(a, "web-2 updated", 30, {
        a.pods("app=web")
            .await
            .iter()
            .any(|p| name(p) == "web-2" && image(p) == "nginx:1.27" && ready(p))
    });
    a.advance(20).await;
    let pods = a.pods("app=web").await;
    for p in &pods {
        let want = if name(p) == "web-2" {
            "nginx:1.27"
        } else {
            "nginx:1.26"
        };
        assert_eq!(image(p), want, "{}", name(p));
    }
    let set = a.get(&format!("{STS}/web")).await;
    let rev2 = set["status"]["updateRevision"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(rev1, rev2);
    assert_eq!(set["status"]["currentRevision"], rev1.as_str());
    assert_eq!(set["status"]["updatedReplicas"], 1);
    assert_eq!(set["status"]["currentReplicas"], 2);
    assert_eq!(a.get(&format!("{REVS}/{rev2}")).await["revision"], 2);

    // partition 0: the rest roll, highest ordinal first
    a.merge(
        &format!("{STS}/web"),
        json!({"spec": {"updateStrategy": {"rollingUpdate": {"partition": 0}}}}),
    )
    .await;
    let mut zero_before_one = false;
    wait_for!(a, "all updated", 60, {
        let pods = a.pods("app=web").await;
        let new = |n: &str| {
            pods.iter()
                .any(|p| name(p) == n && image(p) == "nginx:1.27")
        };
        if new("web-0") && !new("web-1") {
            zero_before_one = true;
        }
        let s = a.get(&format!("{STS}/web")).await;
        s["status"]["currentRevision"] == rev2.as_str() && s["status"]["readyReplicas"] == 3
    });
    assert!(!zero_before_one, "web-0 was replaced before web-1");

    // the scale subresource: the highest ordinals go
    let (code, sc) = a
        .send(
            reqwest::Method::PATCH,
            &format!("{STS}/web/scale"),
            "application/merge-patch+json",
            Some(json!({"spec": {"replicas": 1}})),
        )
        .await;
    assert_eq!(code, 200, "{sc}");
    assert_eq!(sc["kind"], "Scale");
    assert_eq!(sc["spec"]["replicas"], 1);
    wait_for!(a, "scaled to one", 30, {
        let pods = a.pods("app=web").await;
        pods.len() == 1 && name(&pods[0]) == "web-0"
    });
    // deleting the set takes its pods and revisions
    let (code, _) = a
        .send(reqwest::Method::DELETE, &format!("{STS}/web"), "", None)
        .await;
    assert_eq!(code, 200);
    assert!(a.pods("app=web").await.is_empty());
    assert!(
        a.items(&format!("{REVS}?labelSelector=app%3Dweb"))
            .await
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemonset_runs_one_pod_per_matching_node_and_rolls() {
    let a = Api::start(Scenario::Steady).await;
    let nodes = a.items("/api/v1/nodes").await;
    let gpu: Vec<String> = nodes
        .iter()
        .filter(|n| n["metadata"]["labels"]["nvidia.com/gpu.present"] == "true")
        .map(name)
        .collect();
    assert!(nodes.len() >= 3, "{nodes:?}");
    assert!(!gpu.is_empty() && gpu.len() < nodes.len(), "{gpu:?}");
    // the scenario's node-agent: one ready pod on every node
    let agents = a.pods("app=node-agent").await;
    let mut on: Vec<String> = agents
        .iter()
        .map(|p| p["spec"]["nodeName"].as_str().unwrap().to_string())
        .collect();
    on.sort();
    let mut all: Vec<String> = nodes.iter().map(name).collect();
    all.sort();
    assert_eq!(on, all);
    let ds = a.get(&format!("{DS}/node-agent")).await;
    assert_eq!(ds["status"]["desiredNumberScheduled"], nodes.len());
    assert_eq!(ds["status"]["numberReady"], nodes.len());
    assert_eq!(ds["status"]["updatedNumberScheduled"], nodes.len());

    // a nodeSelector: only GPU nodes, and it follows node labels and cordoning
    a.create(
        DS,
        json!({"metadata": {"name": "gpu-probe"}, "spec": {
            "selector": {"matchLabels": {"app": "gpu-probe"}},
            "template": {"metadata": {"labels": {"app": "gpu-probe"}}, "spec": {
                "nodeSelector": {"nvidia.com/gpu.present": "true"},
                "containers": [{"name": "probe", "image": "nvcr.io/nvidia/dcgm-exporter:3.3"}]}}}}),
    )
    .await;
    let mut probe_nodes: Vec<String> = a
        .pods("app=gpu-probe")
        .await
        .iter()
        .map(|p| p["spec"]["nodeName"].as_str().unwrap().to_string())
        .collect();
    probe_nodes.sort();
    assert_eq!(probe_nodes, gpu);
    a.merge(
        "/api/v1/nodes/node-1",
        json!({"metadata": {"labels": {"nvidia.com/gpu.present": "true"}}}),
    )
    .await;
    a.merge(
        &format!("/api/v1/nodes/{}", gpu[0]),
        json!({"metadata": {"labels": {"nvidia.com/gpu.present": null}}}),
    )
    .await;
    // cordoning does not move DaemonSet pods
    a.merge(
        &format!("/api/v1/nodes/{}", gpu[1 % gpu.len()]),
        json!({"spec": {"unschedulable": true}}),
    )
    .await;
    a.advance(1).await;
    let probe_nodes: Vec<String> = a
        .pods("app=gpu-probe")
        .await
        .iter()
        .map(|p| p["spec"]["nodeName"].as_str().unwrap().to_string())
        .collect();
    assert!(
        probe_nodes.contains(&"node-1".to_string()),
        "{probe_nodes:?}"
    );
    assert!(!probe_nodes.contains(&gpu[0]), "{probe_nodes:?}");
    assert_eq!(probe_nodes.len(), gpu.len());
    if gpu.len() > 1 {
        assert!(probe_nodes.contains(&gpu[1]), "{probe_nodes:?}");
    }

    // rolling update of node-agent: never more than one node without a ready pod
    let revs_before = a
        .items(&format!("{REVS}?labelSelector=app%3Dnode-agent"))
        .await
        .len();
    a.merge(
        &format!("{DS}/node-agent"),
        json!({"spec": {"template": {"spec": {"containers": [{"name": "agent", "image": "ghcr.io/acme/node-agent:1.0.0"}]}}}}),
    )
    .await;
    let want = nodes.len();
    let mut worst = want;
    wait_for!(a, "node-agent rolled", 120, {
        let pods = a.pods("app=node-agent").await;
        worst = worst.min(pods.iter().filter(|p| ready(p)).count());
        pods.len() == want
            && pods
                .iter()
                .all(|p| ready(p) && image(p) == "ghcr.io/acme/node-agent:1.0.0")
    });
    assert!(worst + 1 >= want, "{worst} of {want} ready at one point");
    let ds = a.get(&format!("{DS}/node-agent")).await;
    assert_eq!(ds["status"]["updatedNumberScheduled"], want);
    assert_eq!(ds["status"]["numberAvailable"], want);
    let revs = a
        .items(&format!("{REVS}?labelSelector=app%3Dnode-agent"))
        .await;
    assert_eq!(revs.len(), revs_before + 1);
    let hash =
        a.pods("app=node-agent").await[0]["metadata"]["labels"]["controller-revision-hash"].clone();
    let newest = revs.iter().max_by_key(|r| r["revision"].as_i64()).unwrap();
    assert_eq!(
        newest["metadata"]["labels"]["controller-revision-hash"],
        hash
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_complete_or_fail_with_backoff_limit() {
    let a = Api::start(Scenario::Steady).await;
    let job = a
        .create(
            JOBS,
            json!({"metadata": {"name": "batch"}, "spec": {
                "completions": 3, "parallelism": 2,
                "template": {"metadata": {"labels": {"app": "batch"}}, "spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "work", "image": "busybox:1.36", "command": ["sh", "-c", "echo done"]}]}}}}),
        )
        .await;
    let uid = job["metadata"]["uid"].as_str().unwrap().to_string();
    assert_eq!(job["spec"]["backoffLimit"], 6);
    assert_eq!(
        job["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"],
        uid.as_str()
    );
    let mut most_active = 0;
    wait_for!(a, "job complete", 60, {
        let pods = a.pods("job-name=batch").await;
        most_active = most_active.max(
            pods.iter()
                .filter(|p| p["status"]["phase"] == "Pending" || p["status"]["phase"] == "Running")
                .count(),
        );
        let j = a.get(&format!("{JOBS}/batch")).await;
        j["status"]["succeeded"] == 3
    });
    assert_eq!(most_active, 2, "parallelism");
    let j = a.get(&format!("{JOBS}/batch")).await;
    let conds = j["status"]["conditions"].as_array().unwrap();
    assert!(
        conds
            .iter()
            .any(|c| c["type"] == "Complete" && c["status"] == "True"),
        "{j}"
    );
    assert!(j["status"]["startTime"].is_string() && j["status"]["completionTime"].is_string());
    assert!(j["status"].get("active").is_none());
    let pods = a.pods("job-name=batch").await;
    assert_eq!(pods.len(), 3);
    for p in &pods {
        let l = &p["metadata"]["labels"];
        assert_eq!(l["batch.kubernetes.io/job-name"], "batch");
        assert_eq!(l["batch.kubernetes.io/controller-uid"], uid.as_str());
        assert_eq!(l["controller-uid"], uid.as_str());
        assert_eq!(p["status"]["phase"], "Succeeded");
        assert_eq!(
            p["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"],
            0
        );
        assert_eq!(p["metadata"]["ownerReferences"][0]["kind"], "Job");
    }

    a.create(
        JOBS,
        json!({"metadata": {"name": "broken"}, "spec": {
            "backoffLimit": 1,
            "template": {"spec": {"restartPolicy": "Never",
                "containers": [{"name": "work", "image": "busybox:1.36", "command": ["sh", "-c", "exit 3"]}]}}}}),
    )
    .await;
    wait_for!(a, "job failed", 120, {
        let j = a.get(&format!("{JOBS}/broken")).await;
        j["status"]["conditions"].as_array().is_some_and(|c| {
            c.iter()
                .any(|c| c["type"] == "Failed" && c["status"] == "True")
        })
    });
    let j = a.get(&format!("{JOBS}/broken")).await;
    assert_eq!(j["status"]["failed"], 2, "{j}");
    let failed = j["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Failed")
        .unwrap()
        .clone();
    assert_eq!(failed["reason"], "BackoffLimitExceeded");
    let pods = a.pods("job-name=broken").await;
    assert_eq!(pods.len(), 2);
    for p in &pods {
        assert_eq!(p["status"]["phase"], "Failed");
        assert_eq!(
            p["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"],
            3
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cronjobs_run_on_simulated_time_and_keep_history_limits() {
    let a = Api::start(Scenario::Steady).await;
    let job_template = |cmd: &str| {
        json!({"metadata": {"labels": {"app": "tick"}}, "spec": {"backoffLimit": 0, "template": {"spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "tick", "image": "busybox:1.36", "command": ["sh", "-c", cmd]}]}}}})
    };
    let cj = a
        .create(
            CJS,
            json!({"metadata": {"name": "tick"}, "spec": {
                "schedule": "*/5 * * * *", "successfulJobsHistoryLimit": 2,
                "jobTemplate": job_template("true")}}),
        )
        .await;
    assert_eq!(cj["spec"]["concurrencyPolicy"], "Allow");
    assert_eq!(cj["spec"]["failedJobsHistoryLimit"], 1);
    let cj_uid = cj["metadata"]["uid"].as_str().unwrap().to_string();
    let mine = |jobs: Vec<Value>| -> Vec<Value> {
        jobs.into_iter()
            .filter(|j| j["metadata"]["ownerReferences"][0]["uid"] == cj_uid.as_str())
            .collect()
    };
    // 21 simulated minutes: four or five scheduled times
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..21 {
        a.advance(60).await;
        for j in mine(a.items(JOBS).await) {
            seen.insert(name(&j));
        }
    }
    assert!(seen.len() >= 4, "{seen:?}");
    for n in &seen {
        let minutes: i64 = n.strip_prefix("tick-").unwrap().parse().unwrap();
        assert_eq!(minutes % 5, 0, "{n} is not at a */5 minute");
    }
    let jobs = mine(a.items(JOBS).await);
    assert_eq!(
        jobs.len(),
        2,
        "successfulJobsHistoryLimit: {:?}",
        jobs.iter().map(name).collect::<Vec<_>>()
    );
    let j = &jobs[0];
    assert_eq!(j["metadata"]["ownerReferences"][0]["kind"], "CronJob");
    assert_eq!(j["metadata"]["ownerReferences"][0]["controller"], true);
    let minutes: i64 = name(j).strip_prefix("tick-").unwrap().parse().unwrap();
    let stamp = j["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"]
        .as_str()
        .unwrap();
    assert_eq!(
        stamp.parse::<jiff::Timestamp>().unwrap().as_second(),
        minutes * 60
    );
    // the pods of deleted Jobs are gone too
    let pods: Vec<Value> = a
        .items("/api/v1/namespaces/shop/pods")
        .await
        .into_iter()
        .filter(|p| {
            p["metadata"]["labels"]["job-name"]
                .as_str()
                .is_some_and(|j| j.starts_with("tick-"))
        })
        .collect();
    assert_eq!(
        pods.len(),
        2,
        "{:?}",
        pods.iter().map(name).collect::<Vec<_>>()
    );
    let cj = a.get(&format!("{CJS}/tick")).await;
    let newest = seen.iter().max().unwrap();
    let newest_min: i64 = newest.strip_prefix("tick-").unwrap().parse().unwrap();
    assert_eq!(
        cj["status"]["lastScheduleTime"]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_second(),
        newest_min * 60
    );
    assert!(cj["status"]["lastSuccessfulTime"].is_string(), "{cj}");

    // suspended: nothing new
    a.merge(&format!("{CJS}/tick"), json!({"spec": {"suspend": true}}))
        .await;
    a.advance(600).await;
    let after: Vec<String> = mine(a.items(JOBS).await).iter().map(name).collect();
    assert!(
        after.iter().all(|n| seen.contains(n)),
        "{after:?} after suspend"
    );

    // a failing schedule keeps one failed Job
    a.create(
        CJS,
        json!({"metadata": {"name": "flaky"}, "spec": {
            "schedule": "* * * * *", "jobTemplate": job_template("exit 1")}}),
    )
    .await;
    a.advance(300).await;
    let flaky: Vec<Value> = a
        .items(JOBS)
        .await
        .into_iter()
        .filter(|j| name(j).starts_with("flaky-"))
        .collect();
    let failed: Vec<&Value> = flaky
        .iter()
        .filter(|j| {
            j["status"]["conditions"]
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c["type"] == "Failed"))
        })
        .collect();
    assert_eq!(
        failed.len(),
        1,
        "{:?}",
        flaky.iter().map(name).collect::<Vec<_>>()
    );
    let (code, _) = a
        .send(
            reqwest::Method::POST,
            CJS,
            "application/json",
            Some(json!({"metadata": {"name": "weekly"}, "spec": {"schedule": "@weekly", "jobTemplate": job_template("true")}})),
        )
        .await;
    assert_eq!(code, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenarios_have_every_kind_and_discovery_names_them() {
    let a = Api::start(Scenario::Steady).await;
    let db = a.pods("app=orders-db").await;
    let mut names: Vec<String> = db.iter().map(name).collect();
    names.sort();
    assert_eq!(names, ["orders-db-0", "orders-db-1", "orders-db-2"]);
    assert!(db.iter().all(ready));
    let set = a.get(&format!("{STS}/orders-db")).await;
    assert_eq!(set["status"]["readyReplicas"], 3);
    let revs = a
        .items(&format!("{REVS}?labelSelector=app%3Dorders-db"))
        .await;
    assert_eq!(revs.len(), 2, "orders-db has a history");
    let debug = a.get("/api/v1/namespaces/shop/pods/debug-shell").await;
    assert!(debug["metadata"].get("ownerReferences").is_none());
    assert!(ready(&debug));
    let cj = a.get(&format!("{CJS}/nightly-report")).await;
    let jobs: Vec<Value> = a
        .items(JOBS)
        .await
        .into_iter()
        .filter(|j| j["metadata"]["ownerReferences"][0]["uid"] == cj["metadata"]["uid"])
        .collect();
    assert!(!jobs.is_empty());
    assert!(
        jobs.iter().all(|j| j["status"]["succeeded"] == 1),
        "steady: reports succeed"
    );
    assert!(cj["status"]["lastSuccessfulTime"].is_string());
    // a deleted bare pod stays deleted
    let (code, _) = a
        .send(
            reqwest::Method::DELETE,
            "/api/v1/namespaces/shop/pods/debug-shell",
            "",
            None,
        )
        .await;
    assert_eq!(code, 200);
    a.advance(5).await;
    let (code, _) = a
        .send(
            reqwest::Method::GET,
            "/api/v1/namespaces/shop/pods/debug-shell",
            "",
            None,
        )
        .await;
    assert_eq!(code, 404);

    let apps = a.get("/apis/apps/v1").await;
    let res = apps["resources"].as_array().unwrap();
    let sts = res.iter().find(|r| r["name"] == "statefulsets").unwrap();
    assert_eq!(sts["shortNames"], json!(["sts"]));
    assert_eq!(sts["categories"], json!(["all"]));
    assert!(res.iter().any(|r| r["name"] == "statefulsets/scale"));
    assert!(
        res.iter()
            .any(|r| r["name"] == "daemonsets" && r["shortNames"] == json!(["ds"]))
    );
    assert!(res.iter().any(|r| r["name"] == "controllerrevisions"));
    let batch = a.get("/apis/batch/v1").await;
    let res = batch["resources"].as_array().unwrap();
    assert!(
        res.iter()
            .any(|r| r["name"] == "cronjobs" && r["shortNames"] == json!(["cj"]))
    );
    assert!(
        res.iter()
            .any(|r| r["name"] == "jobs" && r["categories"] == json!(["all"]))
    );
    let groups = a.get("/apis").await;
    assert!(
        groups["groups"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["name"] == "batch")
    );
    let core = a.get("/api/v1").await;
    assert!(
        core["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "nodes" && r["namespaced"] == false)
    );

    let bad = Api::start(Scenario::BadRelease).await;
    let cj = bad.get(&format!("{CJS}/nightly-report")).await;
    let jobs: Vec<Value> = bad
        .items(JOBS)
        .await
        .into_iter()
        .filter(|j| j["metadata"]["ownerReferences"][0]["uid"] == cj["metadata"]["uid"])
        .collect();
    let last = jobs.iter().max_by_key(|j| name(j)).unwrap();
    assert!(
        last["status"]["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["type"] == "Failed"),
        "bad-release: the last report failed: {last}"
    );
    let pods = bad.pods(&format!("job-name={}", name(last))).await;
    assert!(!pods.is_empty());
    assert!(pods.iter().all(|p| p["status"]["phase"] == "Failed"));
}
