//! The kube crate's client against the sandbox's Kubernetes API, over loopback.

use std::time::Duration;

use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};
use futures::{AsyncBufReadExt, StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{
    Api, ListParams, LogParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams,
};

async fn start(scenario: Scenario) -> Sandbox {
    let sb = Sandbox::start(SandboxOptions::scenario(scenario))
        .await
        .unwrap();
    // tests drive simulated time themselves
    admin(&sb, "time/pause", "").await;
    sb
}

async fn client(sb: &Sandbox) -> kube::Client {
    let kc = kube::config::Kubeconfig::from_yaml(&sb.kubeconfig_yaml()).unwrap();
    let cfg = kube::Config::from_custom_kubeconfig(kc, &kube::config::KubeConfigOptions::default())
        .await
        .unwrap();
    assert_eq!(cfg.default_namespace, "shop");
    kube::Client::try_from(cfg).unwrap()
}

async fn admin(sb: &Sandbox, route: &str, body: &str) -> serde_json::Value {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let r = reqwest::Client::new()
        .post(format!("{}/{route}", sb.admin_url()))
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "admin {route}: {}", r.status());
    r.json().await.unwrap()
}

fn api_status(e: kube::Error) -> kube::core::Status {
    match e {
        kube::Error::Api(s) => *s,
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_with_selectors_and_paging() {
    let sb = start(Scenario::Steady).await;
    let c = client(&sb).await;
    let pods: Api<Pod> = Api::default_namespaced(c.clone());
    let checkout = pods
        .list(&ListParams::default().labels("app=checkout"))
        .await
        .unwrap();
    assert_eq!(checkout.items.len(), 4);
    assert!(
        checkout
            .items
            .iter()
            .all(|p| p.metadata.labels.as_ref().unwrap()["app"] == "checkout")
    );
    let set = pods
        .list(&ListParams::default().labels("app in (cart,payments),app!=payments"))
        .await
        .unwrap();
    assert_eq!(set.items.len(), 2);
    let running = pods
        .list(&ListParams::default().fields("status.phase=Running"))
        .await
        .unwrap();
    let all = pods.list(&ListParams::default()).await.unwrap();
    // every pod runs, except the nightly report's Job pods, which ran to completion
    let succeeded = pods
        .list(&ListParams::default().fields("status.phase=Succeeded"))
        .await
        .unwrap();
    assert!(!succeeded.items.is_empty());
    assert!(
        succeeded
            .items
            .iter()
            .all(|p| p.metadata.labels.as_ref().unwrap()["app"] == "nightly-report")
    );
    assert_eq!(running.items.len() + succeeded.items.len(), all.items.len());
    assert!(
        pods.list(&ListParams::default().fields("status.phase=Pending"))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let first = all.items[0].metadata.name.clone().unwrap();
    let one = pods
        .list(&ListParams::default().fields(&format!("metadata.name={first}")))
        .await
        .unwrap();
    assert_eq!(one.items.len(), 1);

    // paging over every namespace gives the same set as one list
    let everywhere: Api<Pod> = Api::all(c.clone());
    let full = everywhere.list(&ListParams::default()).await.unwrap();
    let mut paged = Vec::new();
    let mut lp = ListParams::default().limit(4);
    loop {
        let page = everywhere.list(&lp).await.unwrap();
        assert!(page.items.len() <= 4);
        paged.extend(page.items.into_iter().map(|p| p.metadata.name.unwrap()));
        match page.metadata.continue_ {
            Some(t) if !t.is_empty() => lp = ListParams::default().limit(4).continue_token(&t),
            _ => break,
        }
    }
    let full_names: Vec<String> = full
        .items
        .into_iter()
        .map(|p| p.metadata.name.unwrap())
        .collect();
    assert!(full_names.len() > 8);
    assert_eq!(paged, full_names);

    // a bad selector is a 400, a missing object a 404 Status
    let bad = pods
        .list(&ListParams::default().fields("spec.bogus=1"))
        .await
        .unwrap_err();
    assert_eq!(api_status(bad).code, 400);
    let missing = api_status(pods.get("no-such-pod").await.unwrap_err());
    assert_eq!(missing.code, 404);
    assert_eq!(missing.reason, "NotFound");
    assert!(missing.message.contains("no-such-pod"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_sees_a_change_and_old_versions_are_gone() {
    let sb = start(Scenario::Steady).await;
    let c = client(&sb).await;
    let deps: Api<Deployment> = Api::default_namespaced(c.clone());
    let list = deps.list(&ListParams::default()).await.unwrap();
    let rv = list.metadata.resource_version.unwrap();
    let mut stream = deps
        .watch(&WatchParams::default().timeout(30), &rv)
        .await
        .unwrap()
        .boxed();
    deps.patch(
        "cart",
        &PatchParams::default(),
        &Patch::Merge(serde_json::json!({"metadata": {"labels": {"watched": "yes"}}})),
    )
    .await
    .unwrap();
    let seen = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(ev) = stream.try_next().await.unwrap() {
            if let WatchEvent::Modified(d) = ev
                && d.metadata.name.as_deref() == Some("cart")
                && d.metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get("watched"))
                    .is_some()
            {
                return true;
            }
        }
        false
    })
    .await
    .unwrap_or(false);
    assert!(seen, "the watch never delivered the change");

    // a resourceVersion older than the kept history: 410 Gone in the stream
    let mut old = deps
        .watch(&WatchParams::default().timeout(10), "1")
        .await
        .unwrap()
        .boxed();
    match old.try_next().await.unwrap() {
        Some(WatchEvent::Error(s)) => {
            assert_eq!(s.code, 410);
            assert_eq!(s.reason, "Expired");
        }
        other => panic!("expected a 410 error event, got {other:?}"),
    }
    // after an API restart the version we had is gone too
    admin(&sb, "restart", "").await;
    let mut after = deps
        .watch(&WatchParams::default().timeout(10), &rv)
        .await
        .unwrap()
        .boxed();
    assert!(matches!(after.try_next().await.unwrap(), Some(WatchEvent::Error(s)) if s.code == 410));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patches_json_merge_strategic_and_dry_run() {
    let sb = start(Scenario::Steady).await;
    let c = client(&sb).await;
    let deps: Api<Deployment> = Api::default_namespaced(c.clone());

    // JSON patch
    let p: json_patch::Patch = serde_json::from_value(serde_json::json!([
        {"op": "add", "path": "/metadata/annotations/team", "value": "payments"}
    ]))
    .unwrap();
    let d = deps
        .patch("payments", &PatchParams::default(), &Patch::Json::<()>(p))
        .await
        .unwrap();
    assert_eq!(d.metadata.annotations.as_ref().unwrap()["team"], "payments");

    // merge patch: a list is replaced wholesale
    let d = deps
        .patch(
            "payments",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"metadata": {"labels": {"tier": "backend"}}})),
        )
        .await
        .unwrap();
    assert_eq!(d.metadata.labels.as_ref().unwrap()["tier"], "backend");
    assert_eq!(d.metadata.labels.as_ref().unwrap()["app"], "payments");

    // strategic merge: containers merged by name, other fields kept
    let gen_before = d.metadata.generation.unwrap();
    let d = deps
        .patch(
            "payments",
            &PatchParams::default(),
            &Patch::Strategic(
                serde_json::json!({"spec": {"template": {"spec": {"containers": [
                    {"name": "payments", "image": "ghcr.io/acme/payments:9.9.9"}
                ]}}}}),
            ),
        )
        .await
        .unwrap();
    let ctr = &d.spec.template.spec.as_ref().unwrap().containers[0];
    assert_eq!(ctr.image.as_deref(), Some("ghcr.io/acme/payments:9.9.9"));
    assert!(
        ctr.ports
            .as_ref()
            .is_some_and(|p| p[0].container_port == 8080),
        "strategic merge lost the ports"
    );
    assert!(d.metadata.generation.unwrap() > gen_before);
    // the template change made a new replica set with the next revision
    let rss: Api<ReplicaSet> = Api::default_namespaced(c.clone());
    let mine = rss
        .list(&ListParams::default().labels("app=payments"))
        .await
        .unwrap();
    let newest = mine
        .items
        .iter()
        .max_by_key(|r| {
            r.metadata.annotations.as_ref().unwrap()["deployment.kubernetes.io/revision"]
                .parse::<i64>()
                .unwrap()
        })
        .unwrap();
    let img = newest
        .spec
        .template
        .as_ref()
        .unwrap()
        .spec
        .as_ref()
        .unwrap()
        .containers[0]
        .image
        .clone();
    assert_eq!(img.as_deref(), Some("ghcr.io/acme/payments:9.9.9"));
    assert!(
        newest
            .metadata
            .labels
            .as_ref()
            .unwrap()
            .contains_key("pod-template-hash")
    );

    // dryRun=All answers with the result and changes nothing
    let dry = deps
        .patch(
            "payments",
            &PatchParams::default().dry_run(),
            &Patch::Merge(serde_json::json!({"spec": {"replicas": 9}})),
        )
        .await
        .unwrap();
    assert_eq!(dry.spec.replicas, Some(9));
    assert_eq!(deps.get("payments").await.unwrap().spec.replicas, Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_subresource_changes_pods() {
    let sb = start(Scenario::Steady).await;
    let c = client(&sb).await;
    let deps: Api<Deployment> = Api::default_namespaced(c.clone());
    let pods: Api<Pod> = Api::default_namespaced(c.clone());
    let s = deps.get_scale("cart").await.unwrap();
    assert_eq!(s.spec.unwrap().replicas, Some(2));
    assert_eq!(s.status.unwrap().selector.as_deref(), Some("app=cart"));
    let s = deps
        .patch_scale(
            "cart",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"spec": {"replicas": 5}})),
        )
        .await
        .unwrap();
    assert_eq!(s.spec.unwrap().replicas, Some(5));
    assert_eq!(deps.get("cart").await.unwrap().spec.replicas, Some(5));
    admin(&sb, "time/advance?seconds=20", "").await;
    let n = pods
        .list(&ListParams::default().labels("app=cart"))
        .await
        .unwrap()
        .items
        .len();
    assert_eq!(n, 5);
    let d = deps.get("cart").await.unwrap();
    assert_eq!(d.status.unwrap().ready_replicas, Some(5));
    deps.patch_scale(
        "cart",
        &PatchParams::default(),
        &Patch::Merge(serde_json::json!({"spec": {"replicas": 1}})),
    )
    .await
    .unwrap();
    admin(&sb, "time/advance?seconds=5", "").await;
    assert_eq!(
        pods.list(&ListParams::default().labels("app=cart"))
            .await
            .unwrap()
            .items
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_resource_version_is_a_conflict() {
    let sb = start(Scenario::Steady).await;
    let c = client(&sb).await;
    let deps: Api<Deployment> = Api::default_namespaced(c.clone());
    let d = deps.get("frontend").await.unwrap();
    let mut first = d.clone();
    first
        .metadata
        .labels
        .get_or_insert_default()
        .insert("edited".into(), "1".into());
    let updated = deps
        .replace("frontend", &PostParams::default(), &first)
        .await
        .unwrap();
    assert_ne!(
        updated.metadata.resource_version,
        d.metadata.resource_version
    );
    let mut stale = d.clone();
    stale
        .metadata
        .labels
        .get_or_insert_default()
        .insert("edited".into(), "2".into());
    let err = api_status(
        deps.replace("frontend", &PostParams::default(), &stale)
            .await
            .unwrap_err(),
    );
    assert_eq!(err.code, 409);
    assert_eq!(err.reason, "Conflict");
    assert_eq!(
        deps.get("frontend").await.unwrap().metadata.labels.unwrap()["edited"],
        "1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_tail_since_and_follow() {
    let sb = start(Scenario::BadRelease).await;
    let c = client(&sb).await;
    let pods: Api<Pod> = Api::default_namespaced(c.clone());
    let cart = pods
        .list(&ListParams::default().labels("app=cart"))
        .await
        .unwrap()
        .items[0]
        .metadata
        .name
        .clone()
        .unwrap();
    let tail = pods
        .logs(
            &cart,
            &LogParams {
                tail_lines: Some(5),
                ..LogParams::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(tail.lines().count(), 5);
    let stamped = pods
        .logs(
            &cart,
            &LogParams {
                tail_lines: Some(3),
                timestamps: true,
                ..LogParams::default()
            },
        )
        .await
        .unwrap();
    for l in stamped.lines() {
        let (ts, _) = l.split_once(' ').unwrap();
        assert!(
            ts.parse::<jiff::Timestamp>().is_ok(),
            "no timestamp prefix on {l:?}"
        );
    }
    let all = pods.logs(&cart, &LogParams::default()).await.unwrap();
    assert!(
        all.lines().any(|l| l.starts_with("{\"timestamp\"")),
        "no JSON lines"
    );
    assert!(all.lines().any(|l| !l.starts_with('{')), "no plain lines");
    let json_line = all.lines().find(|l| l.starts_with('{')).unwrap();
    let v: serde_json::Value = serde_json::from_str(json_line).unwrap();
    for k in [
        "timestamp",
        "level",
        "requestId",
        "component",
        "message",
        "metadata",
    ] {
        assert!(v.get(k).is_some(), "log JSON lacks {k}");
    }
    let recent = pods
        .logs(
            &cart,
            &LogParams {
                since_seconds: Some(1),
                ..LogParams::default()
            },
        )
        .await
        .unwrap();
    assert!(recent.lines().count() < all.lines().count());
    // a wrong container is a 400
    let e = api_status(
        pods.logs(
            &cart,
            &LogParams {
                container: Some("nope".into()),
                ..LogParams::default()
            },
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(e.code, 400);

    // the crash-looping pods of the bad release: a stack trace in the previous container's log
    let bad = pods
        .list(&ListParams::default().labels("app=checkout"))
        .await
        .unwrap();
    let crashing = bad
        .items
        .iter()
        .find(|p| {
            p.status
                .as_ref()
                .unwrap()
                .container_statuses
                .as_ref()
                .unwrap()[0]
                .state
                .as_ref()
                .and_then(|s| s.waiting.as_ref())
                .and_then(|w| w.reason.as_deref())
                == Some("CrashLoopBackOff")
        })
        .expect("no crash-looping pod in bad-release");
    let cs = &crashing
        .status
        .as_ref()
        .unwrap()
        .container_statuses
        .as_ref()
        .unwrap()[0];
    assert!(cs.restart_count > 0);
    assert_eq!(
        cs.last_state
            .as_ref()
            .unwrap()
            .terminated
            .as_ref()
            .unwrap()
            .exit_code,
        1
    );
    let prev = pods
        .logs(
            crashing.metadata.name.as_ref().unwrap(),
            &LogParams {
                previous: true,
                ..LogParams::default()
            },
        )
        .await
        .unwrap();
    assert!(
        prev.contains("panic: runtime error"),
        "no stack trace in {prev}"
    );
    assert!(prev.contains("goroutine"));

    // follow: a line appended through the admin endpoint arrives on the stream
    let stream = pods
        .log_stream(
            &cart,
            &LogParams {
                follow: true,
                tail_lines: Some(1),
                ..LogParams::default()
            },
        )
        .await
        .unwrap();
    let mut lines = stream.lines();
    let _first = lines.try_next().await.unwrap();
    let url = format!("{}/pods/shop/{cart}/log", sb.admin_url());
    let r = reqwest::Client::new()
        .post(url)
        .body("drill marker 7f3a".to_string())
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let found = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(l) = lines.try_next().await.unwrap() {
            if l.contains("drill marker 7f3a") {
                return true;
            }
        }
        false
    })
    .await
    .unwrap_or(false);
    assert!(
        found,
        "the appended line never arrived on the followed stream"
    );

    // split=true: each line of the body is a log line of its own, in order
    let r = reqwest::Client::new()
        .post(format!(
            "{}/pods/shop/{cart}/log?split=true",
            sb.admin_url()
        ))
        .body("flood 1\nflood 2\nflood 3\n".to_string())
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let answer: serde_json::Value = r.json().await.unwrap();
    assert_eq!(answer["lines"], 3, "{answer}");
    let got = tokio::time::timeout(Duration::from_secs(20), async {
        let mut got = Vec::new();
        while got.len() < 3 {
            match lines.try_next().await.unwrap() {
                Some(l) if l.contains("flood") => got.push(l),
                Some(_) => {}
                None => break,
            }
        }
        got
    })
    .await
    .unwrap_or_default();
    assert_eq!(got.len(), 3, "three lines, not one: {got:?}");
    for (i, l) in got.iter().enumerate() {
        assert!(l.ends_with(&format!("flood {}", i + 1)), "{got:?}");
    }
    let bad = reqwest::Client::new()
        .post(format!(
            "{}/pods/shop/{cart}/log?split=maybe",
            sb.admin_url()
        ))
        .body("x".to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_seed_same_world() {
    let names = |sb: &Sandbox| {
        let kc = sb.kubeconfig_yaml();
        async move {
            let kc = kube::config::Kubeconfig::from_yaml(&kc).unwrap();
            let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default())
                .await
                .unwrap();
            let pods: Api<Pod> = Api::all(kube::Client::try_from(cfg).unwrap());
            let mut n: Vec<String> = pods
                .list(&ListParams::default())
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|p| p.metadata.name.unwrap())
                .collect();
            n.sort();
            n
        }
    };
    let a = Sandbox::start(SandboxOptions {
        seed: 7,
        pods: Some(50),
        ..SandboxOptions::scenario(Scenario::BadRelease)
    })
    .await
    .unwrap();
    let b = Sandbox::start(SandboxOptions {
        seed: 7,
        pods: Some(50),
        ..SandboxOptions::scenario(Scenario::BadRelease)
    })
    .await
    .unwrap();
    let c = Sandbox::start(SandboxOptions {
        seed: 8,
        pods: Some(50),
        ..SandboxOptions::scenario(Scenario::BadRelease)
    })
    .await
    .unwrap();
    let (na, nb, nc) = (names(&a).await, names(&b).await, names(&c).await);
    assert!(na.len() > 50);
    assert_eq!(na, nb);
    assert_ne!(na, nc);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_faults_forbid_and_errors() {
    let sb = start(Scenario::Steady).await;
    let c = client(&sb).await;
    let pods: Api<Pod> = Api::namespaced(c.clone(), "shop-dev");
    admin(
        &sb,
        "faults",
        r#"{"forbid": [{"verb": "list", "namespace": "shop-dev"}]}"#,
    )
    .await;
    let e = api_status(pods.list(&ListParams::default()).await.unwrap_err());
    assert_eq!(e.code, 403);
    assert_eq!(e.reason, "Forbidden");
    // other namespaces still work
    let shop: Api<Pod> = Api::default_namespaced(c.clone());
    assert!(
        !shop
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    admin(&sb, "faults", r#"{"forbid": [], "error_rate": 1.0}"#).await;
    let e = api_status(shop.list(&ListParams::default()).await.unwrap_err());
    assert_eq!(e.code, 500);
    let r = reqwest::Client::new()
        .delete(format!("{}/faults", sb.admin_url()))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    assert!(shop.list(&ListParams::default()).await.is_ok());
    let st = admin(&sb, "time/advance?seconds=3", "").await;
    assert_eq!(st["scenario"], "steady");
    assert!(st["objects"]["pods"].as_u64().unwrap() > 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_toml_and_kubeconfig_wire_everything() {
    let sb = start(Scenario::Steady).await;
    let kc = sb.kubeconfig_yaml();
    for needle in [
        "name: sandbox",
        "current-context: sandbox",
        "namespace: shop",
        "token:",
        &format!("server: {}", sb.kube_url()),
    ] {
        assert!(kc.contains(needle), "kubeconfig lacks {needle}:\n{kc}");
    }
    let path = std::path::Path::new("/some dir/with \"quotes\"/kubeconfig");
    let cfg: toml::Value = toml::from_str(&sb.config_toml(path)).unwrap();
    assert_eq!(
        cfg["kube"]["kubeconfig"].as_str(),
        Some(path.to_str().unwrap())
    );
    let envs = cfg["environment"].as_array().unwrap();
    let names: Vec<&str> = envs.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["dev", "staging", "prod"]);
    for e in envs {
        assert_eq!(e["context"].as_str(), Some("sandbox"));
        assert!(e["namespace"].as_str().unwrap().starts_with("shop"));
    }
    assert_eq!(envs[2]["namespace"].as_str(), Some("shop"));
    assert_eq!(envs[2]["github_environment"].as_str(), Some("production"));
    assert_eq!(
        cfg["github"]["repo"].as_str(),
        Some(sb.github_repo().as_str())
    );
    assert_eq!(
        cfg["github"]["api_url"].as_str(),
        Some(sb.github_api_url().as_str())
    );
    assert_eq!(cfg["metrics"]["threshold"].as_float(), Some(0.05));
    // API mode against the sandbox's own Prometheus API: history from the first frame
    assert_eq!(
        cfg["metrics"]["prometheus"].as_str(),
        Some(sb.prometheus_url().as_str())
    );
    let targets = cfg["metrics"]["target"].as_array().unwrap();
    assert_eq!(targets.len(), sb.metrics_targets().len());
    assert!(
        targets
            .iter()
            .any(|t| t["service"].as_str() == Some("checkout"))
    );
    // the simulated traffic is production's: every target says so
    assert!(
        targets
            .iter()
            .all(|t| t["environment"].as_str() == Some("prod")),
        "{targets:?}"
    );
    let hosts = cfg["gpu"]["host"].as_array().unwrap();
    assert_eq!(hosts[0]["name"].as_str(), Some("dgx-01"));
    assert_eq!(
        hosts[0]["scrape"].as_str(),
        Some(sb.gpu_hosts()[0].1.as_str())
    );
    // and every URL in it answers
    let c = reqwest::Client::new();
    for t in targets {
        assert!(
            c.get(t["url"].as_str().unwrap())
                .send()
                .await
                .unwrap()
                .status()
                .is_success()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blue_green_service_selects_a_colour() {
    let sb = start(Scenario::BlueGreen).await;
    let c = client(&sb).await;
    let deps: Api<Deployment> = Api::default_namespaced(c.clone());
    for colour in ["blue", "green"] {
        let d = deps.get(&format!("checkout-{colour}")).await.unwrap();
        assert_eq!(
            d.spec.selector.match_labels.as_ref().unwrap()["color"],
            colour
        );
    }
    let svcs: Api<k8s_openapi::api::core::v1::Service> = Api::default_namespaced(c.clone());
    let svc = svcs.get("checkout").await.unwrap();
    let sel = svc.spec.unwrap().selector.unwrap();
    assert_eq!(sel["app"], "checkout");
    assert_eq!(sel["color"], "blue");
    // promote: switch the selector
    let svc = svcs
        .patch(
            "checkout",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"spec": {"selector": {"color": "green"}}})),
        )
        .await
        .unwrap();
    assert_eq!(svc.spec.unwrap().selector.unwrap()["color"], "green");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_watches_end_and_latency_still_answers() {
    let sb = start(Scenario::Steady).await;
    let c = client(&sb).await;
    let pods: Api<Pod> = Api::default_namespaced(c.clone());
    let rv = pods
        .list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    let mut stream = pods
        .watch(&WatchParams::default().timeout(60), &rv)
        .await
        .unwrap()
        .boxed();
    admin(&sb, "faults/drop-watches", "").await;
    let ended = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match stream.next().await {
                None => return true,
                Some(Err(_)) => return true,
                Some(Ok(WatchEvent::Bookmark(_))) | Some(Ok(_)) => {}
            }
        }
    })
    .await
    .unwrap_or(false);
    assert!(ended, "the watch stream did not end");
    let st = admin(&sb, "faults", r#"{"latency_ms": 50}"#).await;
    assert_eq!(st["latency_ms"], 50);
    assert!(
        !pods
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runtime_watcher_lists_then_sees_changes() {
    use kube::runtime::watcher::{self, Event};
    let sb = start(Scenario::Steady).await;
    let c = client(&sb).await;
    let pods: Api<Pod> = Api::namespaced(c.clone(), "shop-dev");
    let mut stream = watcher::watcher(pods, watcher::Config::default().page_size(2)).boxed();
    let mut initial = Vec::new();
    loop {
        match tokio::time::timeout(Duration::from_secs(20), stream.try_next())
            .await
            .unwrap()
            .unwrap()
        {
            Some(Event::Init) => {}
            Some(Event::InitApply(p)) => initial.push(p.metadata.name.unwrap()),
            Some(Event::InitDone) => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(initial.len(), 5, "{initial:?}");
    // a scale-up in shop-dev makes a new pod the watcher must see
    let deps: Api<Deployment> = Api::namespaced(c.clone(), "shop-dev");
    deps.patch_scale(
        "cart",
        &PatchParams::default(),
        &Patch::Merge(serde_json::json!({"spec": {"replicas": 2}})),
    )
    .await
    .unwrap();
    let seen = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(ev) = stream.try_next().await.unwrap() {
            if let Event::Apply(p) = ev
                && !initial.contains(p.metadata.name.as_ref().unwrap())
            {
                return true;
            }
        }
        false
    })
    .await
    .unwrap_or(false);
    assert!(seen, "the watcher never saw the new pod");
}

/// `/_sandbox/churn` touches pods (by default) or deployments, going on where it stopped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn churn_touches_pods_or_deployments() {
    let sb = start(Scenario::Steady).await;
    let c = client(&sb).await;
    let deps: Api<Deployment> = Api::namespaced(c.clone(), "shop");
    let touched = |list: &[Deployment]| {
        list.iter()
            .filter(|d| {
                d.metadata
                    .annotations
                    .as_ref()
                    .is_some_and(|a| a.contains_key("sandbox.flightdeck.dev/touched"))
            })
            .count()
    };
    let before = deps.list(&ListParams::default()).await.unwrap().items;
    assert_eq!(touched(&before), 0);
    let r = admin(&sb, "churn?kind=deployments&n=2&namespace=shop", "").await;
    assert_eq!(r["modified"], 2);
    let after = deps.list(&ListParams::default()).await.unwrap().items;
    assert_eq!(touched(&after), 2.min(after.len()));
    // pods by default; a change that only pods have is refused for deployments
    let pods: Api<Pod> = Api::namespaced(c.clone(), "shop");
    let restarts = || async {
        (pods
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .iter())
        .filter_map(|p| p.status.as_ref()?.container_statuses.as_ref()?.first())
        .map(|s| s.restart_count)
        .sum::<i32>()
    };
    let was = restarts().await;
    admin(&sb, "churn?n=1&namespace=shop&change=restarts", "").await;
    assert_eq!(restarts().await, was + 1, "one pod's restart count went up");
    for bad in ["churn?kind=nodes", "churn?kind=deployments&change=restarts"] {
        let r = reqwest::Client::new()
            .post(format!("{}/{bad}", sb.admin_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{bad}");
    }
}

/// The admin routes that hand a client hostile text: an object stored without the name
/// validation kube-apiserver does, a fault whose 500 says what the test wants (kube and
/// GitHub alike), and GitHub names renamed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_hostile_text_routes() {
    let sb = start(Scenario::Steady).await;
    let c = client(&sb).await;
    let hostile = "evil\u{1b}]0;title\u{7}";
    // kube-apiserver refuses such a name: the admin route stores it anyway
    let pods: Api<Pod> = Api::default_namespaced(c.clone());
    let mut pod: Pod = serde_json::from_value(serde_json::json!({
        "metadata": {"name": hostile, "labels": {"l": hostile}},
        "spec": {"containers": [{"name": "main", "image": "busybox:1.36"}]}
    }))
    .unwrap();
    let e = api_status(pods.create(&PostParams::default(), &pod).await.unwrap_err());
    assert_eq!(e.code, 422);
    pod.metadata.namespace = Some("shop".into());
    let mut body = serde_json::to_value(&pod).unwrap();
    body["kind"] = "Pod".into();
    let created = admin(&sb, "objects", &body.to_string()).await;
    assert_eq!(created["metadata"]["name"], hostile);
    assert!(created["metadata"]["uid"].is_string());
    let listed = pods.list(&ListParams::default()).await.unwrap();
    let found = listed
        .items
        .iter()
        .find(|p| p.metadata.name.as_deref() == Some(hostile))
        .expect("the hostile pod is listed");
    assert_eq!(found.metadata.labels.as_ref().unwrap()["l"], hostile);

    // the 500s carry the given message
    let faults = admin(
        &sb,
        "faults",
        &serde_json::json!({"error_rate": 1.0, "error_message": hostile}).to_string(),
    )
    .await;
    assert_eq!(faults["error_message"], hostile);
    let e = api_status(pods.list(&ListParams::default()).await.unwrap_err());
    assert_eq!(e.code, 500);
    assert!(e.message.contains(hostile), "{}", e.message);
    let gh = reqwest::Client::new()
        .get(format!(
            "{}/repos/{}/actions/runs",
            sb.github_api_url(),
            sb.github_repo()
        ))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    assert_eq!(gh.status().as_u16(), 500);
    let v: serde_json::Value = gh.json().await.unwrap();
    assert_eq!(v["message"], hostile);
    let r = reqwest::Client::new()
        .delete(format!("{}/faults", sb.admin_url()))
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert!(v["error_message"].is_null(), "{v}");

    // GitHub's names
    admin(
        &sb,
        "github/names",
        &serde_json::json!({"workflow": hostile, "actor": hostile, "job_suffix": "!", "title": hostile, "branch": hostile}).to_string(),
    )
    .await;
    let runs: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "{}/repos/{}/actions/runs",
            sb.github_api_url(),
            sb.github_repo()
        ))
        .bearer_auth("t")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let run = &runs["workflow_runs"][0];
    for field in [
        &run["name"],
        &run["head_branch"],
        &run["display_title"],
        &run["actor"]["login"],
    ] {
        assert_eq!(*field, hostile, "{run}");
    }
    let jobs: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "{}/repos/{}/actions/runs/{}/jobs",
            sb.github_api_url(),
            sb.github_repo(),
            run["id"]
        ))
        .bearer_auth("t")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let job = &jobs["jobs"][0];
    assert!(job["name"].as_str().unwrap().ends_with('!'), "{job}");
    assert_eq!(job["workflow_name"], hostile);
}
