//! The workloads source against the sandbox with the real kube client: the pane's data
//! follows scale, rollouts, crash loops, dropped watches, 410s and RBAC refusals.

use crate::support;

use flightdeck::app::state::{SourceId, SourceStatus};
use flightdeck::sources::kube::{ObjKey, PodReason};
use flightdeck_sandbox::Scenario;
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, Patch, PatchParams};
use support::workloads::{Harness, synced};

fn key(name: &str) -> ObjKey {
    ObjKey::new("shop", name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_the_namespace() {
    let mut h = Harness::start(Scenario::Steady, Some("shop")).await;
    h.until("all kinds listed", synced).await;
    let w = &h.state.cluster;
    let names: Vec<&str> = w.deployments.keys().map(|k| k.name.as_str()).collect();
    eprintln!(
        "deployments {names:?}, pods {}, rs {}, hpas {}, events {}",
        w.pods.len(),
        w.replicasets.len(),
        w.hpas.len(),
        w.events.len()
    );
    assert!(w.deployments.contains_key(&key("checkout")));
    assert_eq!(w.pods_of(&key("checkout")).len(), 4);
    assert!(matches!(
        h.state.source(SourceId::Kube),
        Some(SourceStatus::Live { .. })
    ));
    assert!(w.deployments.keys().all(|k| k.namespace == "shop"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_a_scale_and_a_rollout() {
    let mut h = Harness::start(Scenario::Steady, Some("shop")).await;
    h.until("all kinds listed", synced).await;
    let deps: Api<Deployment> = Api::namespaced(h.client().await, "shop");
    deps.patch_scale(
        "cart",
        &PatchParams::default(),
        &Patch::Merge(serde_json::json!({"spec": {"replicas": 5}})),
    )
    .await
    .expect("scale");
    h.until("desired 5", |s| {
        s.cluster
            .deployments
            .get(&key("cart"))
            .is_some_and(|d| d.desired == 5)
    })
    .await;
    h.admin("time/advance?seconds=20", "").await;
    h.until("5 ready cart pods", |s| {
        let w = &s.cluster;
        w.deployments
            .get(&key("cart"))
            .is_some_and(|d| d.ready == 5)
            && w.pods_of(&key("cart")).len() == 5
    })
    .await;

    // a rollout: a new image makes a new revision; old and new pods are told apart
    let before = h.state.cluster.deployments[&key("checkout")].revision;
    let d = deps.get("checkout").await.expect("get");
    let container = d
        .spec
        .template
        .spec
        .as_ref()
        .map(|p| p.containers[0].name.clone())
        .expect("container");
    deps.patch(
        "checkout",
        &PatchParams::default(),
        &Patch::Strategic(serde_json::json!({
            "metadata": {"annotations": {"kubernetes.io/change-cause": "release 9.9.9"}},
            "spec": {"template": {"spec": {"containers": [{"name": container, "image": "ghcr.io/acme/checkout:9.9.9"}]}}}
        })),
    )
    .await
    .expect("rollout");
    h.until("a new revision", |s| {
        s.cluster.deployments[&key("checkout")].revision > before
    })
    .await;
    let rev = h.state.cluster.deployments[&key("checkout")].revision;
    h.admin("time/advance?seconds=2", "").await;
    h.until("pods of the new revision next to old ones", |s| {
        let w = &s.cluster;
        let revs: std::collections::BTreeSet<Option<i64>> = w
            .pods_of(&key("checkout"))
            .iter()
            .map(|p| w.pod_revision(p))
            .collect();
        revs.contains(&rev) && revs.len() > 1
    })
    .await;
    h.admin("time/advance?seconds=120", "").await;
    h.until("the rollout completes", |s| {
        let w = &s.cluster;
        let d = &w.deployments[&key("checkout")];
        d.rollout() == flightdeck::sources::kube::Rollout::Complete
            && w.pods_of(&key("checkout"))
                .iter()
                .all(|p| w.pod_revision(p) == rev)
    })
    .await;
    let w = &h.state.cluster;
    let d = &w.deployments[&key("checkout")];
    assert_eq!(d.images(), vec!["ghcr.io/acme/checkout:9.9.9"]);
    let history = w.replicasets_of(&key("checkout"));
    assert_eq!(history[0].revision, rev);
    assert_eq!(history[0].change_cause.as_deref(), Some("release 9.9.9"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_release_shows_crash_loop_and_oom() {
    let mut h = Harness::start(Scenario::BadRelease, Some("shop")).await;
    h.until("all kinds listed", synced).await;
    h.until("a CrashLoopBackOff and an OOMKilled pod", |s| {
        let pods = &s.cluster.pods;
        pods.values()
            .any(|p| p.reason == PodReason::CrashLoopBackOff)
            && pods.values().any(|p| p.status_text().contains("OOMKilled"))
    })
    .await;
    let w = &h.state.cluster;
    let oom = w
        .pods
        .values()
        .find(|p| p.status_text().contains("OOMKilled"))
        .expect("oom");
    assert!(
        oom.containers.iter().any(|c| c
            .last_termination
            .as_ref()
            .is_some_and(|(r, code)| r == "OOMKilled" && *code == 137)),
        "{oom:?}"
    );
    let crash = w
        .pods
        .values()
        .find(|p| p.reason == PodReason::CrashLoopBackOff)
        .expect("crash");
    assert!(crash.restarts > 0);
    assert!(crash.last_restart.is_some());
    // trouble first: the crash-looping deployment heads the table
    let top = flightdeck::app::panes::workloads::visible_deployments(&h.state)[0]
        .key
        .clone();
    assert_eq!(Some(&top), w.deployment_of(crash).map(|d| &d.key));
}

/// The pods the API server has, by name.
async fn api_pods(h: &Harness) -> std::collections::BTreeSet<String> {
    let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(h.client().await, "shop");
    pods.list(&Default::default())
        .await
        .expect("list")
        .items
        .into_iter()
        .filter_map(|p| p.metadata.name)
        .collect()
}

fn state_pods(h: &Harness) -> std::collections::BTreeSet<String> {
    h.state
        .cluster
        .pods
        .keys()
        .map(|k| k.name.clone())
        .collect()
}

async fn scale(h: &Harness, name: &str, replicas: i32) {
    let deps: Api<Deployment> = Api::namespaced(h.client().await, "shop");
    deps.patch_scale(
        name,
        &PatchParams::default(),
        &Patch::Merge(serde_json::json!({"spec": {"replicas": replicas}})),
    )
    .await
    .expect("scale");
}

/// Waits until the pane holds exactly the API server's pods (no lost, no duplicated rows).
async fn converge(h: &mut Harness, what: &str) {
    for _ in 0..100 {
        let want = api_pods(h).await;
        h.drain().await;
        if state_pods(h) == want {
            return;
        }
    }
    let want = api_pods(h).await;
    assert_eq!(
        state_pods(h),
        want,
        "{what}: rows differ from the API server"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_watch_resumes_without_lost_or_duplicated_rows() {
    let mut h = Harness::start(Scenario::Steady, Some("shop")).await;
    h.until("all kinds listed", synced).await;
    let pods_before = h.state.cluster.pods.len();
    h.admin("faults/drop-watches", "").await;
    scale(&h, "cart", 4).await;
    h.admin("time/advance?seconds=20", "").await;
    h.until("cart at 4 ready", |s| {
        s.cluster
            .deployments
            .get(&key("cart"))
            .is_some_and(|d| d.ready == 4)
    })
    .await;
    converge(&mut h, "after a dropped watch").await;
    assert_eq!(h.state.cluster.pods.len(), pods_before + 2);
    assert_eq!(h.state.cluster.pods_of(&key("cart")).len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gone_410_relists_without_lost_or_duplicated_rows() {
    let mut h = Harness::start(Scenario::Steady, Some("shop")).await;
    h.until("all kinds listed", synced).await;
    let snapshots = h.snapshots;
    // the API server restarts: streams end and old resourceVersions answer 410 Gone
    h.admin("restart", "").await;
    scale(&h, "cart", 1).await;
    h.admin("time/advance?seconds=10", "").await;
    h.until("cart scaled down to 1 pod", |s| {
        s.cluster.pods_of(&key("cart")).len() == 1
    })
    .await;
    converge(&mut h, "after 410 Gone").await;
    assert!(
        h.snapshots > snapshots,
        "no re-list after 410 ({} snapshots)",
        h.snapshots
    );
    // every kind re-lists (after its backoff) and the source is live again
    h.until("live after the re-lists", |s| {
        s.cluster.failures.is_empty()
            && matches!(s.source(SourceId::Kube), Some(SourceStatus::Live { .. }))
    })
    .await;
    converge(&mut h, "after the re-lists").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbidden_names_verb_resource_and_namespace() {
    let sb = support::workloads::sandbox(Scenario::Steady).await;
    support::workloads::admin(
        &sb,
        "faults",
        r#"{"forbid": [{"verb": "list", "namespace": "shop"}]}"#,
    )
    .await;
    let mut h = Harness::on(sb, Some("shop")).await;
    h.until("an RBAC failure for pods", |s| {
        s.cluster
            .failures
            .contains_key(&flightdeck::sources::kube::Kind::Pods)
    })
    .await;
    let Some(SourceStatus::Failing { error, .. }) = h.state.source(SourceId::Kube).cloned() else {
        panic!("not failing: {:?}", h.state.source(SourceId::Kube));
    };
    assert!(
        error.contains("forbidden (403): cannot list pods in namespace shop"),
        "{error}"
    );
    // the other sources are untouched
    assert!(matches!(
        h.state.source(SourceId::Gpu),
        Some(SourceStatus::Connecting { .. })
    ));
    // the refusal lifted, the watchers recover on their own (backoff retry)
    h.admin("faults", r#"{"forbid": []}"#).await;
    h.until("recovered", |s| {
        synced(s) && matches!(s.source(SourceId::Kube), Some(SourceStatus::Live { .. }))
    })
    .await;
    assert!(h.state.cluster.failures.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_keeps_rows_marked_stale() {
    let mut h = Harness::start(Scenario::Steady, Some("shop")).await;
    h.until("all kinds listed", synced).await;
    let pods = h.state.cluster.pods.len();
    h.admin("faults", r#"{"error_rate": 1.0}"#).await;
    h.admin("restart", "").await;
    h.until("failing", |s| {
        matches!(s.source(SourceId::Kube), Some(SourceStatus::Failing { .. }))
    })
    .await;
    let Some(SourceStatus::Failing { last_ok, .. }) = h.state.source(SourceId::Kube).cloned()
    else {
        panic!("not failing");
    };
    assert!(last_ok.is_some(), "the last good data's age is kept");
    assert_eq!(h.state.cluster.pods.len(), pods, "rows are kept");
    // and drawn so: the rows stay on screen, the pane says they are stale
    let buf = support::common::draw_at(&h.state, 160, 45);
    let pane = support::common::pane_text(&h.state, &buf, flightdeck::pane::PaneId::Workloads);
    assert!(pane.contains("checkout"), "rows kept on screen:\n{pane}");
    let title = pane.lines().next().unwrap_or_default();
    assert!(
        title.contains("stale"),
        "the pane says stale: {title:?}\n{pane}"
    );
    assert!(!title.contains("live"), "{title:?}");
    h.admin("faults", r#"{"error_rate": 0.0}"#).await;
    h.until("live again", |s| {
        matches!(s.source(SourceId::Kube), Some(SourceStatus::Live { .. }))
            && s.cluster.failures.is_empty()
    })
    .await;
}

/// The error-rate pane's deploy marks come from the Workloads source: every revision at
/// its ReplicaSet's creation, and a rollback seen live (it re-uses an old ReplicaSet).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revision_changes_become_deploy_marks_for_the_error_pane() {
    let mut h = Harness::start(Scenario::BadRelease, Some("shop")).await;
    h.until("all kinds listed", synced).await;
    h.until("checkout's revisions marked", |s| {
        s.deploys
            .for_service("checkout")
            .iter()
            .any(|m| m.revision == "4")
    })
    .await;
    let before = h.state.deploys.for_service("checkout").len();
    assert!(before >= 2, "{:?}", h.state.deploys.for_service("checkout"));
    // roll back the way `kubectl rollout undo` does: the old ReplicaSet becomes revision 5
    let client = support::workloads::kube_client(&h.sb).await;
    let api: Api<Deployment> = Api::namespaced(client.clone(), "shop");
    let rs_api: Api<k8s_openapi::api::apps::v1::ReplicaSet> = Api::namespaced(client, "shop");
    let rs = rs_api.list(&Default::default()).await.expect("rs");
    let old = rs
        .items
        .iter()
        .find(|r| {
            r.metadata
                .name
                .as_deref()
                .is_some_and(|n| n.starts_with("checkout-"))
                && r.metadata
                    .annotations
                    .as_ref()
                    .and_then(|a| a.get("deployment.kubernetes.io/revision"))
                    .map(String::as_str)
                    == Some("3")
        })
        .expect("revision 3");
    let mut template = old.spec.template.clone().expect("template");
    if let Some(labels) = template.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
        labels.remove("pod-template-hash");
    }
    let patch =
        serde_json::json!([{ "op": "replace", "path": "/spec/template", "value": template }]);
    api.patch(
        "checkout",
        &PatchParams::default(),
        &Patch::Json::<()>(serde_json::from_value(patch).expect("patch")),
    )
    .await
    .expect("rollback");
    h.until("the rollback marked as revision 5", |s| {
        s.deploys
            .for_service("checkout")
            .iter()
            .any(|m| m.revision == "5")
    })
    .await;
    assert!(h.state.deploys.for_service("checkout").len() > before);
}

/// Item 5: a watch that failed and came back is proved recovered by a list that answers,
/// not by the next object change: with the clock paused and nothing written, the error
/// still clears.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recovered_watch_clears_its_error_without_any_object_change() {
    let mut h = Harness::start(Scenario::Steady, Some("shop")).await;
    h.until("all kinds listed", synced).await;
    // the streams end and every request fails for a while; the resourceVersion stays
    h.admin("faults", r#"{"error_rate": 1.0}"#).await;
    h.admin("faults/drop-watches", "").await;
    h.until("failing", |s| {
        matches!(s.source(SourceId::Kube), Some(SourceStatus::Failing { .. }))
    })
    .await;
    let rv = |sb: &flightdeck_sandbox::Sandbox| {
        let url = format!("{}/state", sb.admin_url());
        async move {
            let v: serde_json::Value = reqwest::get(url)
                .await
                .expect("state")
                .json()
                .await
                .expect("json");
            v["resource_version"].clone()
        }
    };
    let rv_before = rv(&h.sb).await;
    h.admin("faults", r#"{"error_rate": 0.0}"#).await;
    h.until("live again with no object changed", |s| {
        s.cluster.failures.is_empty()
            && matches!(s.source(SourceId::Kube), Some(SourceStatus::Live { .. }))
    })
    .await;
    assert_eq!(
        rv_before,
        rv(&h.sb).await,
        "nothing changed in the cluster: the recovery was proved by contact"
    );
    assert_eq!(
        flightdeck::ui::panes::staleness_tag(&h.state, SourceId::Kube),
        None
    );
}

/// Item 6: the API server comes back with a fresh store (resourceVersions went
/// backwards) and changes were made meanwhile: the rows converge to the cluster's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_converge_after_a_fresh_store_with_changes_made_meanwhile() {
    use k8s_openapi::api::core::v1::Pod;
    use kube::api::{DeleteParams, ListParams, PostParams};
    use std::collections::BTreeSet;

    let mut h = Harness::start(Scenario::Steady, Some("shop")).await;
    h.until("all kinds listed", synced).await;
    let c = h.client().await;

    let deps: Api<Deployment> = Api::namespaced(c.clone(), "shop");
    let pods: Api<Pod> = Api::namespaced(c.clone(), "shop");
    // watches are refused while the store is swapped and changed (lists still answer)
    h.admin(
        "faults",
        r#"{"forbid": [{"verb": "watch", "namespace": "shop"}]}"#,
    )
    .await;
    h.admin("restart?fresh_store=true", "").await;
    deps.delete("cart", &DeleteParams::default())
        .await
        .expect("delete deployment");
    let victim = h
        .state
        .cluster
        .pods_of(&key("checkout"))
        .first()
        .map(|p| p.key.name.clone())
        .expect("a checkout pod");
    pods.delete(&victim, &DeleteParams::default())
        .await
        .expect("delete pod");
    let extra: Pod = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "extra", "labels": {"app": "extra"}},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]}
    }))
    .expect("pod");
    pods.create(&PostParams::default(), &extra)
        .await
        .expect("create pod");
    h.admin("faults", r#"{"forbid": []}"#).await;

    let want_deps: BTreeSet<String> = deps
        .list(&ListParams::default())
        .await
        .expect("list")
        .items
        .into_iter()
        .filter_map(|d| d.metadata.name)
        .collect();
    let want_pods: BTreeSet<(String, i64)> = pods
        .list(&ListParams::default())
        .await
        .expect("list")
        .items
        .into_iter()
        .map(|p| {
            let restarts = p
                .status
                .and_then(|s| s.container_statuses)
                .map(|cs| cs.iter().map(|c| i64::from(c.restart_count)).sum())
                .unwrap_or(0);
            (p.metadata.name.unwrap_or_default(), restarts)
        })
        .collect();
    assert!(!want_deps.contains("cart") && want_pods.iter().any(|(n, _)| n == "extra"));
    assert!(!want_pods.iter().any(|(n, _)| *n == victim));
    let snapshots = h.snapshots;
    h.until("rows equal to the cluster's", |s| {
        let w = &s.cluster;
        let have_deps: BTreeSet<String> = w.deployments.keys().map(|k| k.name.clone()).collect();
        let have_pods: BTreeSet<(String, i64)> = w
            .pods
            .values()
            .map(|p| (p.key.name.clone(), i64::from(p.restarts)))
            .collect();
        have_deps == want_deps && have_pods == want_pods && w.failures.is_empty()
    })
    .await;
    assert!(
        h.snapshots > snapshots,
        "the rows came back through a re-list"
    );
    assert!(matches!(
        h.state.source(SourceId::Kube),
        Some(SourceStatus::Live { .. })
    ));
}

/// A list of many pages streams: the first page's rows are in the state before the rest
/// is asked for, the pane's title says how far the list has got against the size the API
/// server gives (`remainingItemCount`), and the kind counts as listed only at the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_list_streams_page_by_page_and_says_how_far_it_has_got() {
    use flightdeck::sources::kube::Kind;
    use flightdeck::ui::panes::workloads::listing_text;
    let (sb, total) = paused_with_pods(1800).await;
    assert!(total > 1000, "{total} pods: not enough for three pages");
    let mut h = Harness::on(sb, None).await;

    h.until("the first page of pods", |s| !s.cluster.pods.is_empty())
        .await;
    assert_eq!(h.state.cluster.pods.len(), 500, "one page of 500");
    assert!(!h.state.cluster.synced.contains(&Kind::Pods));
    let expected = format!("listing pods 500 of {},{:03}", total / 1000, total % 1000);
    assert_eq!(listing_text(&h.state).as_deref(), Some(expected.as_str()));

    h.until("pods listed", |s| s.cluster.synced.contains(&Kind::Pods))
        .await;
    assert_eq!(h.state.cluster.pods.len(), total);
    assert!(!h.state.cluster.listing.contains_key(&Kind::Pods));
}

/// A server that fails some list pages: a failed page is asked for again from its
/// continue token, keeping the pages already listed. Starting the whole list over after
/// every failure would, at this failure rate and this many pages, practically never
/// finish.
#[tokio::test]
async fn a_failed_page_is_asked_again_and_the_list_still_ends() {
    use flightdeck::sources::kube::Kind;
    let (sb, total) = paused_with_pods(6000).await;
    assert!(total > 5500, "{total} pods: not enough pages");
    // four in ten pod list requests fail: 12 pages in a row succeed once in 500 tries
    support::workloads::admin(
        &sb,
        "faults",
        r#"{"error_rate": 0.4, "error_path_prefix": "/api/v1/pods"}"#,
    )
    .await;
    let mut h = Harness::on(sb, None).await;
    h.until("pods listed despite failing pages", |s| {
        s.cluster.synced.contains(&Kind::Pods)
    })
    .await;
    assert_eq!(h.state.cluster.pods.len(), total);
    // some page was asked for twice with the same continue token
    let mut tokens: Vec<String> =
        h.sb.requests()
            .into_iter()
            .filter(|r| r.path == "/api/v1/pods")
            .filter_map(|r| r.query)
            .filter(|q| q.contains("continue=") && !q.contains("watch="))
            .collect();
    let asked = tokens.len();
    tokens.sort();
    tokens.dedup();
    assert!(
        tokens.len() < asked,
        "no page was asked again: {asked} requests, {} tokens",
        tokens.len()
    );
}

/// A paused steady sandbox with about `pods` pods, and how many it holds.
async fn paused_with_pods(pods: usize) -> (flightdeck_sandbox::Sandbox, usize) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sb = flightdeck_sandbox::Sandbox::start(flightdeck_sandbox::SandboxOptions {
        pods: Some(pods),
        ..flightdeck_sandbox::SandboxOptions::scenario(Scenario::Steady)
    })
    .await
    .expect("sandbox");
    support::workloads::admin(&sb, "time/pause", "").await;
    let client = support::workloads::kube_client(&sb).await;
    let total = Api::<k8s_openapi::api::core::v1::Pod>::all(client)
        .list(&kube::api::ListParams::default())
        .await
        .expect("list pods")
        .items
        .len();
    (sb, total)
}

/// The console's READY, STATUS and RESTARTS of the pods with init containers and a native
/// sidecar are what kubectl prints for them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_containers_and_a_native_sidecar_read_as_kubectl_prints_them() {
    let mut h = Harness::start(Scenario::Steady, Some("kube-system")).await;
    h.until("all kinds listed", synced).await;
    h.until("the sidecar's pod", |s| {
        s.cluster
            .pods
            .values()
            .any(|p| p.key.name.starts_with("log-shipper-"))
    })
    .await;
    let now = h.state.now;
    let pod = |prefix: &str| {
        h.state
            .cluster
            .pods
            .values()
            .find(|p| p.key.name.starts_with(prefix))
            .cloned()
            .unwrap_or_else(|| panic!("no {prefix} pod"))
    };
    let sync = pod("cert-sync-");
    assert_eq!(
        (sync.ready, sync.containers_total, sync.status_text()),
        (1, 1, "Running".to_owned())
    );
    let shipper = pod("log-shipper-");
    assert_eq!(
        (
            shipper.ready,
            shipper.containers_total,
            shipper.status_text()
        ),
        (2, 2, "Running".to_owned())
    );
    let restarts = shipper.restarts_text(now);
    assert!(
        restarts.starts_with("2 (") && restarts.ends_with(" ago)"),
        "{restarts}"
    );
    assert_eq!(shipper.reason, PodReason::Running);

    // the detail lists them as `kubectl describe pod` does: Init Containers (the sidecar
    // marked, with its restarts) before Containers
    let describe = |h: &mut Harness, key: ObjKey| {
        h.state.workloads.detail = Some(flightdeck::app::panes::workloads::Detail {
            target: flightdeck::app::panes::workloads::DetailTarget::Pod(key),
            scroll: 0,
        });
        h.state.focus = flightdeck::app::PaneId::Workloads;
        h.state.zoomed = true;
        h.state.size = (140, 60);
        support::common::screen(&h.state)
    };
    // the line a text is on; "Containers" alone is the section's title
    let line = |text: &str, needle: &str| {
        text.lines()
            .position(|l| {
                let l = l.trim_matches(|c: char| c == '┃' || c == '│' || c.is_whitespace());
                if needle == "Containers" {
                    l == needle
                } else {
                    l.contains(needle)
                }
            })
            .unwrap_or_else(|| panic!("no {needle:?} in\n{text}"))
    };
    let text = describe(&mut h, shipper.key.clone());
    let order = [
        "Init Containers",
        "fluent-bit fluent/fluent-bit:3.1",
        "Containers",
        "shipper ghcr.io/acme/log-shipper:0.4.1",
    ];
    let at: Vec<usize> = order.iter().map(|n| line(&text, n)).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}\n{text}");
    assert_eq!(line(&text, "restartPolicy: Always"), at[1] + 1, "{text}");
    assert!(text.contains("running  ready true  restarts 2"), "{text}");
    let text = describe(&mut h, sync.key.clone());
    let order = [
        "Init Containers",
        "wait-for-api busybox:1.36",
        "fetch-certs ghcr.io/acme/cert-sync:1.2.0",
        "Containers",
        "sync ghcr.io/acme/cert-sync:1.2.0",
    ];
    let at: Vec<usize> = order.iter().map(|n| line(&text, n)).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}\n{text}");
    assert_eq!(
        text.matches("terminated: Completed (exit 0)  ready true  restarts 0")
            .count(),
        2,
        "{text}"
    );
    assert!(!text.contains("restartPolicy: Always"), "{text}");
}
