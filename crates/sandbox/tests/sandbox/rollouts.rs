//! Argo Rollouts in the sandbox, over loopback HTTP: CRD discovery only when enabled, the
//! status subresource, the controller's answer to each request the kubectl plugin sends,
//! the `canary` scenario aborting on its own and traffic following the weights.

use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};
use serde_json::{Value, json};

const RO: &str = "/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts";
const MERGE: &str = "application/merge-patch+json";

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
    async fn start(opts: SandboxOptions) -> Api {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sb = Sandbox::start(opts).await.unwrap();
        let a = Api {
            sb,
            http: reqwest::Client::new(),
        };
        a.admin("time/pause").await;
        a
    }

    async fn scenario(s: Scenario) -> Api {
        Api::start(SandboxOptions::scenario(s)).await
    }

    async fn admin(&self, route: &str) -> Value {
        let r = self
            .http
            .post(format!("{}/{route}", self.sb.admin_url()))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "admin {route}: {}", r.status());
        r.json().await.unwrap()
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
        assert_eq!(code, 200, "GET {path}: {v}");
        v
    }

    async fn code(&self, path: &str) -> u16 {
        self.send(reqwest::Method::GET, path, "", None).await.0
    }

    async fn patch(&self, path: &str, ct: &str, body: Value) -> Value {
        let (code, v) = self
            .send(reqwest::Method::PATCH, path, ct, Some(body))
            .await;
        assert_eq!(code, 200, "PATCH {path}: {v}");
        v
    }

    async fn rollout(&self, name: &str) -> Value {
        self.get(&format!("{RO}/{name}")).await
    }

    async fn status(&self, name: &str, body: Value) -> Value {
        self.patch(&format!("{RO}/{name}/status"), MERGE, body)
            .await
    }

    /// The ReplicaSets of a Rollout, by hash: (revision, spec replicas).
    async fn replica_sets(&self, name: &str) -> Vec<(String, String, i64)> {
        let v = self.get("/apis/apps/v1/namespaces/shop/replicasets").await;
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| {
                r["metadata"]["ownerReferences"][0]["name"] == name
                    && r["metadata"]["ownerReferences"][0]["kind"] == "Rollout"
            })
            .map(|r| {
                (
                    r["metadata"]["labels"]["rollouts-pod-template-hash"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    r["metadata"]["annotations"]["rollout.argoproj.io/revision"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    r["spec"]["replicas"].as_i64().unwrap(),
                )
            })
            .collect()
    }

    /// `http_requests_total` of a service per revision: (requests, 5xx).
    async fn per_revision(&self, svc: &str) -> std::collections::BTreeMap<String, (f64, f64)> {
        let page = self
            .http
            .get(format!("{}/metrics/{svc}", self.sb.base_url()))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let mut m = std::collections::BTreeMap::new();
        for line in page
            .lines()
            .filter(|l| l.starts_with("http_requests_total{"))
        {
            let (labels, value) = line.rsplit_once(' ').unwrap();
            let rev = labels
                .split("rollouts_pod_template_hash=\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .unwrap_or("")
                .to_string();
            let v: f64 = value.parse().unwrap();
            let e = m.entry(rev).or_insert((0.0, 0.0));
            e.0 += v;
            if labels.contains("status=\"5") {
                e.1 += v;
            }
        }
        m
    }
}

fn st<'a>(ro: &'a Value, f: &str) -> &'a Value {
    &ro["status"][f]
}

#[tokio::test]
async fn discovery_lists_argo_only_when_rollouts_are_served() {
    let plain = Api::scenario(Scenario::Steady).await;
    let groups = plain.get("/apis").await;
    assert!(!groups.to_string().contains("argoproj.io"), "{groups}");
    for p in ["/apis/argoproj.io", "/apis/argoproj.io/v1alpha1", RO] {
        assert_eq!(plain.code(p).await, 404, "{p} without the CRD");
    }

    let on = Api::start(SandboxOptions {
        rollouts: true,
        ..SandboxOptions::scenario(Scenario::Steady)
    })
    .await;
    let groups = on.get("/apis").await;
    let argo = groups["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "argoproj.io")
        .cloned()
        .unwrap();
    assert_eq!(
        argo["preferredVersion"]["groupVersion"],
        "argoproj.io/v1alpha1"
    );
    assert_eq!(on.get("/apis/argoproj.io").await["name"], "argoproj.io");
    let res = on.get("/apis/argoproj.io/v1alpha1").await;
    let by = |n: &str| {
        res["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == n)
            .cloned()
    };
    assert_eq!(by("rollouts").unwrap()["shortNames"], json!(["ro"]));
    assert_eq!(by("rollouts").unwrap()["kind"], "Rollout");
    assert!(by("rollouts/status").is_some());
    assert_eq!(by("rollouts/scale").unwrap()["kind"], "Scale");
    assert_eq!(by("analysisruns").unwrap()["shortNames"], json!(["ar"]));
    assert_eq!(
        by("analysistemplates").unwrap()["shortNames"],
        json!(["at"])
    );
    assert_eq!(on.get(RO).await["items"], json!([]));

    // the canary scenarios imply it
    let canary = Api::scenario(Scenario::Canary).await;
    assert!(
        canary
            .get("/apis")
            .await
            .to_string()
            .contains("argoproj.io")
    );
}

#[tokio::test]
async fn canary_paused_waits_at_fifty_percent_and_status_patch_changes_only_status() {
    let a = Api::scenario(Scenario::CanaryPaused).await;
    let ro = a.rollout("checkout").await;
    assert_eq!(st(&ro, "phase"), "Paused", "{}", ro["status"]);
    assert_eq!(st(&ro, "message"), "CanaryPauseStep");
    assert_eq!(st(&ro, "currentStepIndex"), 4);
    assert_eq!(st(&ro, "controllerPause"), true);
    assert_eq!(
        ro["status"]["pauseConditions"][0]["reason"],
        "CanaryPauseStep"
    );
    assert_eq!(ro["status"]["canary"]["weights"]["canary"]["weight"], 50);
    assert_eq!(ro["status"]["canary"]["weights"]["stable"]["weight"], 50);
    assert_ne!(st(&ro, "stableRS"), st(&ro, "currentPodHash"));
    assert_eq!(
        ro["status"]["canary"]["currentStepAnalysisRunStatus"]["status"],
        "Successful"
    );

    // through /status, spec changes are ignored
    let after = a
        .status(
            "checkout",
            json!({"spec": {"replicas": 9}, "status": {"message": "edited"}}),
        )
        .await;
    assert_eq!(after["spec"]["replicas"], 4);
    // through the main resource, status changes are ignored
    let after = a
        .patch(
            &format!("{RO}/checkout"),
            MERGE,
            json!({"status": {"abort": true}}),
        )
        .await;
    assert!(
        after["status"].get("abort").is_none(),
        "{}",
        after["status"]
    );
    // the request log has the subresource and the patch type
    let log = a.sb.requests();
    let status_patch = log
        .iter()
        .find(|r| r.path.ends_with("/rollouts/checkout/status"))
        .unwrap();
    assert_eq!(status_patch.method, "PATCH");
    assert_eq!(status_patch.content_type.as_deref(), Some(MERGE));
}

#[tokio::test]
async fn promote_clears_the_pause_and_the_canary_completes() {
    let a = Api::scenario(Scenario::CanaryPaused).await;
    let ro = a
        .status("checkout", json!({"status": {"pauseConditions": null}}))
        .await;
    assert_eq!(
        st(&ro, "currentStepIndex"),
        5,
        "one step on: {}",
        ro["status"]
    );
    let cur = st(&ro, "currentPodHash").as_str().unwrap().to_string();
    wait_for!(a, "Healthy", 120, {
        let ro = a.rollout("checkout").await;
        st(&ro, "phase") == "Healthy"
    });
    let ro = a.rollout("checkout").await;
    assert_eq!(st(&ro, "stableRS"), cur.as_str());
    assert_eq!(st(&ro, "currentStepIndex"), 6);
    for (hash, _, replicas) in a.replica_sets("checkout").await {
        assert_eq!(replicas, if hash == cur { 4 } else { 0 }, "{hash}");
    }
}

#[tokio::test]
async fn advancing_current_step_index_skips_the_analysis() {
    let a = Api::scenario(Scenario::Canary).await;
    let ro = a.rollout("checkout").await;
    assert_eq!(
        st(&ro, "currentStepIndex"),
        1,
        "in the timed pause: {}",
        ro["status"]
    );
    assert_eq!(st(&ro, "phase"), "Paused");
    a.status(
        "checkout",
        json!({"status": {"pauseConditions": null, "currentStepIndex": 3}}),
    )
    .await;
    wait_for!(a, "paused at 50 %", 60, {
        let ro = a.rollout("checkout").await;
        st(&ro, "currentStepIndex") == 4 && st(&ro, "phase") == "Paused"
    });
    let runs = a
        .get("/apis/argoproj.io/v1alpha1/namespaces/shop/analysisruns")
        .await;
    assert_eq!(runs["items"], json!([]), "no analysis ran");
}

#[tokio::test]
async fn spec_paused_holds_the_canary_until_unpaused() {
    let a = Api::scenario(Scenario::CanaryPaused).await;
    a.patch(
        &format!("{RO}/checkout"),
        MERGE,
        json!({"spec": {"paused": true}}),
    )
    .await;
    a.status("checkout", json!({"status": {"pauseConditions": null}}))
        .await;
    a.advance(20).await;
    let ro = a.rollout("checkout").await;
    assert_eq!(st(&ro, "phase"), "Paused");
    assert_eq!(st(&ro, "message"), "manually paused");
    assert_eq!(st(&ro, "currentStepIndex"), 4);
    a.patch(
        &format!("{RO}/checkout"),
        MERGE,
        json!({"spec": {"paused": false}}),
    )
    .await;
    wait_for!(a, "Healthy after unpausing", 120, {
        st(&a.rollout("checkout").await, "phase") == "Healthy"
    });
}

#[tokio::test]
async fn promote_full_makes_the_canary_stable() {
    let a = Api::scenario(Scenario::CanaryPaused).await;
    let cur = st(&a.rollout("checkout").await, "currentPodHash").clone();
    a.status("checkout", json!({"status": {"promoteFull": true}}))
        .await;
    wait_for!(a, "Healthy", 120, {
        st(&a.rollout("checkout").await, "phase") == "Healthy"
    });
    let ro = a.rollout("checkout").await;
    assert_eq!(st(&ro, "stableRS"), &cur);
    assert!(ro["status"].get("promoteFull").is_none());
}

#[tokio::test]
async fn abort_returns_to_stable_and_retry_starts_over() {
    let a = Api::scenario(Scenario::CanaryPaused).await;
    let before = a.rollout("checkout").await;
    let cur = st(&before, "currentPodHash").as_str().unwrap().to_string();
    let stable = st(&before, "stableRS").as_str().unwrap().to_string();
    let ro = a
        .status("checkout", json!({"status": {"abort": true}}))
        .await;
    assert_eq!(st(&ro, "phase"), "Degraded");
    assert_eq!(
        st(&ro, "message"),
        "RolloutAborted: Rollout aborted update to revision 3"
    );
    assert!(st(&ro, "abortedAt").is_string());
    assert_eq!(ro["status"]["canary"]["weights"]["canary"]["weight"], 0);
    for (hash, _, replicas) in a.replica_sets("checkout").await {
        let want = if hash == stable { 4 } else { 0 };
        assert_eq!(replicas, want, "{hash} (canary {cur})");
    }
    let ro = a
        .status("checkout", json!({"status": {"abort": false}}))
        .await;
    assert_eq!(st(&ro, "currentStepIndex"), 0, "{}", ro["status"]);
    assert!(ro["status"].get("abortedAt").is_none());
    assert_ne!(st(&ro, "phase"), "Degraded");
    wait_for!(a, "back at the pause", 180, {
        let ro = a.rollout("checkout").await;
        st(&ro, "currentStepIndex") == 4 && st(&ro, "phase") == "Paused"
    });
}

#[tokio::test]
async fn restart_at_recreates_older_pods() {
    let a = Api::scenario(Scenario::CanaryPaused).await;
    let now = a.admin("time/advance?seconds=0").await["now"]
        .as_str()
        .unwrap()
        .to_string();
    a.advance(1).await;
    a.patch(
        &format!("{RO}/search"),
        MERGE,
        json!({"spec": {"restartAt": now}}),
    )
    .await;
    wait_for!(a, "restartedAt", 120, {
        st(&a.rollout("search").await, "restartedAt") == now.as_str()
    });
    let pods = a
        .get("/api/v1/namespaces/shop/pods?labelSelector=app%3Dsearch")
        .await;
    let items = pods["items"].as_array().unwrap();
    assert!(!items.is_empty());
    for p in items {
        assert!(
            p["metadata"]["creationTimestamp"].as_str().unwrap() >= now.as_str(),
            "{}",
            p["metadata"]["name"]
        );
    }
}

#[tokio::test]
async fn undo_to_the_stable_revision_reuses_its_replica_set() {
    let a = Api::scenario(Scenario::CanaryPaused).await;
    let ro = a.rollout("checkout").await;
    let stable = st(&ro, "stableRS").as_str().unwrap().to_string();
    // what the plugin does: the template of revision 2's ReplicaSet, without its hash label
    let rs = a
        .get(&format!(
            "/apis/apps/v1/namespaces/shop/replicasets/checkout-{stable}"
        ))
        .await;
    assert_eq!(
        rs["metadata"]["annotations"]["rollout.argoproj.io/revision"],
        "2"
    );
    let mut tmpl = rs["spec"]["template"].clone();
    tmpl["metadata"]["labels"]
        .as_object_mut()
        .unwrap()
        .remove("rollouts-pod-template-hash");
    a.patch(
        &format!("{RO}/checkout"),
        "application/json-patch+json",
        json!([{"op": "replace", "path": "/spec/template", "value": tmpl}]),
    )
    .await;
    wait_for!(a, "Healthy on the old revision", 60, {
        st(&a.rollout("checkout").await, "phase") == "Healthy"
    });
    let ro = a.rollout("checkout").await;
    assert_eq!(st(&ro, "currentPodHash"), stable.as_str());
    assert_eq!(
        ro["metadata"]["annotations"]["rollout.argoproj.io/revision"],
        "4"
    );
    for (hash, rev, replicas) in a.replica_sets("checkout").await {
        if hash == stable {
            assert_eq!((rev.as_str(), replicas), ("4", 4));
        } else {
            assert_eq!(replicas, 0, "{hash}");
        }
    }
}

#[tokio::test]
async fn canary_scenario_aborts_on_its_own_and_traffic_returns_to_stable() {
    let a = Api::scenario(Scenario::Canary).await;
    let ro = a.rollout("checkout").await;
    let cur = st(&ro, "currentPodHash").as_str().unwrap().to_string();
    let stable = st(&ro, "stableRS").as_str().unwrap().to_string();
    assert_eq!(ro["status"]["canary"]["weights"]["canary"]["weight"], 10);
    a.advance(10).await;
    let during = a.per_revision("checkout").await;
    let (n, e) = during[&cur];
    assert!(
        n > 0.0 && e / n > 0.1,
        "the canary answers with errors: {during:?}"
    );
    let (sn, se) = during[&stable];
    assert!(se / sn < 0.02, "the stable does not: {during:?}");
    a.sb.requests();
    wait_for!(a, "aborted", 150, {
        st(&a.rollout("checkout").await, "phase") == "Degraded"
    });
    let ro = a.rollout("checkout").await;
    assert_eq!(st(&ro, "abort"), true);
    assert_eq!(st(&ro, "currentStepIndex"), 2);
    assert_eq!(
        st(&ro, "message"),
        "RolloutAborted: Rollout aborted update to revision 3: Metric \"error-rate\" assessed Failed due to failed (1) > failureLimit (0)"
    );
    assert_eq!(ro["status"]["canary"]["weights"]["canary"]["weight"], 0);
    assert_eq!(
        ro["status"]["canary"]["currentStepAnalysisRunStatus"]["status"],
        "Failed"
    );
    let name = ro["status"]["canary"]["currentStepAnalysisRunStatus"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(name, format!("checkout-{cur}-2"));
    let ar = a
        .get(&format!(
            "/apis/argoproj.io/v1alpha1/namespaces/shop/analysisruns/{name}"
        ))
        .await;
    assert_eq!(ar["status"]["phase"], "Failed");
    let m = &ar["status"]["metricResults"][0];
    assert_eq!(
        (m["name"].as_str(), m["failed"].as_i64()),
        (Some("error-rate"), Some(1))
    );
    assert_eq!(m["measurements"][0]["phase"], "Failed");
    assert!(
        a.sb.requests().iter().all(|r| r.method == "GET"),
        "nobody wrote"
    );
    // traffic is back on stable: the canary's counters stand still
    let at_abort = a.per_revision("checkout").await;
    a.advance(30).await;
    let later = a.per_revision("checkout").await;
    assert_eq!(later[&cur], at_abort[&cur]);
    assert!(later[&stable].0 > at_abort[&stable].0);
}

#[tokio::test]
async fn blue_green_promote_switches_the_active_service() {
    let a = Api::scenario(Scenario::CanaryPaused).await;
    let ro = a.rollout("search").await;
    assert_eq!(st(&ro, "phase"), "Paused");
    assert_eq!(
        ro["status"]["pauseConditions"][0]["reason"],
        "BlueGreenPause"
    );
    let cur = st(&ro, "currentPodHash").as_str().unwrap().to_string();
    let old = st(&ro, "stableRS").as_str().unwrap().to_string();
    assert_ne!(cur, old);
    assert_eq!(ro["status"]["blueGreen"]["previewSelector"], cur.as_str());
    assert_eq!(ro["status"]["blueGreen"]["activeSelector"], old.as_str());
    let a = &a;
    let svc = |n: &'static str| async move {
        a.get(&format!("/api/v1/namespaces/shop/services/{n}"))
            .await["spec"]["selector"]["rollouts-pod-template-hash"]
            .clone()
    };
    assert_eq!(svc("search-preview").await, cur.as_str());
    assert_eq!(svc("search-active").await, old.as_str());
    a.status("search", json!({"status": {"pauseConditions": null}}))
        .await;
    wait_for!(a, "Healthy", 30, {
        st(&a.rollout("search").await, "phase") == "Healthy"
    });
    assert_eq!(svc("search-active").await, cur.as_str());
    assert_eq!(
        a.rollout("search").await["status"]["blueGreen"]["activeSelector"],
        cur.as_str()
    );
}

#[tokio::test]
async fn without_the_status_subresource_status_goes_with_the_object() {
    let a = Api::start(SandboxOptions {
        rollouts_status_subresource: false,
        ..SandboxOptions::scenario(Scenario::CanaryPaused)
    })
    .await;
    let res = a.get("/apis/argoproj.io/v1alpha1").await;
    assert!(!res.to_string().contains("rollouts/status"), "{res}");
    let (code, _) = a
        .send(
            reqwest::Method::PATCH,
            &format!("{RO}/checkout/status"),
            MERGE,
            Some(json!({"status": {"pauseConditions": null}})),
        )
        .await;
    assert_eq!(code, 404);
    // the plugin's unified fallback
    let ro = a
        .patch(
            &format!("{RO}/checkout"),
            MERGE,
            json!({"spec": {"paused": false}, "status": {"pauseConditions": null}}),
        )
        .await;
    assert_eq!(st(&ro, "currentStepIndex"), 5, "{}", ro["status"]);
    // the admin switch serves it again
    let summary = a.admin("rollouts?status_subresource=true").await;
    assert_eq!(summary["status_subresource"], true);
    let ro = a
        .status("checkout", json!({"status": {"abort": true}}))
        .await;
    assert_eq!(st(&ro, "phase"), "Degraded");
}
