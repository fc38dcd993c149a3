//! Workloads pane numbers (issue 4). Prints measurements, asserts nothing.
//!
//!   cargo bench --bench workloads                 # criterion: apply + render, in memory
//!   FLIGHTDECK_BENCH_KUBECONFIG=PATH cargo bench --bench workloads -- --live
//!       # against a running `flightdeck sandbox --pods 10000` (scripts/bench-workloads.sh):
//!       # time to the first complete frame, RSS, ui time for 10,000 watch events, idle CPU
//!
//! The in-memory part feeds `WorkloadsMsg`s through `flightdeck::app::update` exactly as the
//! ui task does, and draws with `flightdeck::ui::render` into a `TestBackend`.

#[path = "../tests/support/common.rs"]
#[allow(dead_code)] // a bench uses a part of what the tests share
mod common;

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion};
use flightdeck::app::state::State;
use flightdeck::app::{Action, Event, PaneId, update};
use flightdeck::console::run::DATA_FRAME;
use flightdeck::sources::kube::model::{DeploymentRow, PodRow, ReplicaSetRow};
use flightdeck::sources::kube::{ObjKey, Rows, WorkloadsMsg};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;

fn state(namespace: Option<&str>) -> State {
    common::state_builder()
        .theme("dark")
        .namespace(namespace)
        .at(jiff::Timestamp::now())
        .zoomed()
        .size(200, 60)
        .build()
}

fn feed(s: &mut State, msg: WorkloadsMsg) {
    let generation = s.generation;
    update(s, Event::Kube { generation, msg });
}

fn template_deployment(name: &str) -> DeploymentRow {
    let d: flightdeck::sources::kube::slim_kinds::Deployment = serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": "load-000", "creationTimestamp": "2026-01-01T00:00:00Z",
            "labels": {"app": name}, "annotations": {"deployment.kubernetes.io/revision": "1"}, "generation": 1},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
            "template": {"spec": {"containers": [{"name": "app", "image": "ghcr.io/acme/load:0"}]}}},
        "status": {"observedGeneration": 1, "replicas": 1, "readyReplicas": 1, "updatedReplicas": 1, "availableReplicas": 1}
    }))
    .expect("deployment");
    DeploymentRow::from_object(&d)
}

/// One deployment owning `n` pods (the worst case for the pods list).
fn one_big_deployment(n: usize) -> Vec<WorkloadsMsg> {
    let d = template_deployment("svc-00");
    let rs: flightdeck::sources::kube::slim::ReplicaSet = serde_json::from_value(json!({
        "metadata": {"name": "svc-00-abc", "namespace": "load-000",
            "annotations": {"deployment.kubernetes.io/revision": "1"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "svc-00", "uid": "d", "controller": true}]},
        "spec": {"replicas": n, "selector": {"matchLabels": {"app": "svc-00"}}}
    }))
    .expect("rs");
    let t = common::template_pod();
    let pods = (0..n)
        .map(|i| {
            let mut p = t.clone();
            p.key = ObjKey::new("load-000", &format!("svc-00-abc-{i:05}"));
            p
        })
        .collect();
    vec![
        WorkloadsMsg::Snapshot(Rows::Deployments(vec![d])),
        WorkloadsMsg::Snapshot(Rows::ReplicaSets(vec![ReplicaSetRow::from_object(&rs)])),
        WorkloadsMsg::Snapshot(Rows::Pods(pods)),
    ]
}

fn many_deployments(n: usize) -> Vec<WorkloadsMsg> {
    let t = template_deployment("svc");
    let ds = (0..n)
        .map(|i| {
            let mut d = t.clone();
            d.key = ObjKey::new("load-000", &format!("svc-{i:05}"));
            d
        })
        .collect();
    vec![WorkloadsMsg::Snapshot(Rows::Deployments(ds))]
}

/// 10,000 MODIFIED pod events, batched as the watcher batches them (1,024 per message).
fn pod_events(n: usize) -> Vec<WorkloadsMsg> {
    let t = common::template_pod();
    let rows: Vec<PodRow> = (0..n)
        .map(|i| {
            let mut p = t.clone();
            p.key = ObjKey::new("load-000", &format!("svc-00-abc-{i:05}"));
            p.restarts = 1;
            p
        })
        .collect();
    rows.chunks(1024)
        .map(|c| WorkloadsMsg::Applied(Rows::Pods(c.to_vec())))
        .collect()
}

fn draw(term: &mut Terminal<TestBackend>, s: &State) {
    term.draw(|f| flightdeck::ui::render(s, f)).expect("draw");
}

/// One whole frame: the buffer cleared first, so every iteration diffs and writes every
/// cell (without it, every frame after the first writes nothing and the bench measures
/// less than a frame costs).
fn frame(term: &mut Terminal<TestBackend>, s: &State) {
    term.clear().expect("clear");
    draw(term, s);
}

fn criterion_benches(c: &mut Criterion) {
    let mut base = state(Some("load-000"));
    for m in one_big_deployment(10_000) {
        feed(&mut base, m);
    }
    c.bench_function("apply 10,000 pod watch events (ui task)", |b| {
        b.iter_batched(
            || (base.clone(), pod_events(10_000)),
            |(mut s, msgs)| {
                for m in msgs {
                    feed(&mut s, m);
                }
                // the run loop settles once before the next frame
                update::settle(&mut s);
                s
            },
            BatchSize::LargeInput,
        )
    });

    // one pod watch event as the sandbox sends it (2.3 KB), decoded as the watcher does
    decode_pair::<flightdeck::sources::kube::slim::Pod, k8s_openapi::api::core::v1::Pod, _>(
        c,
        "pod",
        "Pod",
        &sample_pod_json(),
        PodRow::from_object,
    );
    // one deployment watch event as a real API server sends it (managedFields, the
    // last-applied annotation, a template with env and volumes), decoded as the watcher does
    decode_pair::<
        flightdeck::sources::kube::slim_kinds::Deployment,
        k8s_openapi::api::apps::v1::Deployment,
        _,
    >(
        c,
        "deployment",
        "Deployment",
        &sample_deployment_json(),
        DeploymentRow::from_object,
    );

    let mut term = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    // the pods list of a deployment with 10,000 pods
    let mut pods = base.clone();
    update::apply(&mut pods, Action::WorkloadsPods);
    c.bench_function("frame: 10,000 pod rows", |b| {
        b.iter(|| frame(&mut term, black_box(&pods)))
    });
    // the whole dashboard (five panes and the status bar) with the deployment's pods
    let mut dashboard = base.clone();
    dashboard.zoomed = false;
    update::settle(&mut dashboard);
    c.bench_function("frame: dashboard, 200x60, 10,000 pods", |b| {
        b.iter(|| frame(&mut term, black_box(&dashboard)))
    });
    let mut filtered = pods.clone();
    filtered.pane_mut(PaneId::Workloads).filter = "abc-09".into();
    update::settle(&mut filtered);
    c.bench_function("frame: 10,000 pod rows, filter active", |b| {
        b.iter(|| frame(&mut term, black_box(&filtered)))
    });
    // the pods list of a deployment with 150,000 pods (Kubernetes' own limit)
    let mut big = state(Some("load-000"));
    for m in one_big_deployment(150_000) {
        feed(&mut big, m);
    }
    update::apply(&mut big, Action::WorkloadsPods);
    c.bench_function("frame: 150,000 pod rows", |b| {
        b.iter(|| frame(&mut term, black_box(&big)))
    });
    drop(big);
    // a table of 10,000 deployments
    let mut deps = state(None);
    for m in many_deployments(10_000) {
        feed(&mut deps, m);
    }
    update::settle(&mut deps);
    c.bench_function("frame: 10,000 deployment rows", |b| {
        b.iter(|| frame(&mut term, black_box(&deps)))
    });
    let mut deps_f = deps.clone();
    deps_f.pane_mut(PaneId::Workloads).filter = "svc-09".into();
    update::settle(&mut deps_f);
    c.bench_function("frame: 10,000 deployment rows, filter active", |b| {
        b.iter(|| frame(&mut term, black_box(&deps_f)))
    });
    let mut deps_l = deps.clone();
    deps_l.pane_mut(PaneId::Workloads).filter = "app=svc-00042".into();
    update::settle(&mut deps_l);
    c.bench_function("frame: 10,000 deployment rows, label filter", |b| {
        b.iter(|| frame(&mut term, black_box(&deps_l)))
    });
}

/// One MODIFIED watch event of `object` decoded as the watcher does (slim, into a row),
/// and into `k8s-openapi`'s full type alone, for comparison.
fn decode_pair<Slim, Full, R>(
    c: &mut Criterion,
    what: &str,
    kind: &str,
    object: &str,
    row: fn(&Slim) -> R,
) where
    Slim: serde::de::DeserializeOwned + Clone,
    Full: serde::de::DeserializeOwned + Clone,
{
    let event = format!("{{\"type\":\"MODIFIED\",\"object\":{object}}}");
    c.bench_function(&format!("decode one {what} watch event into a row"), |b| {
        b.iter(|| {
            let e: kube::api::WatchEvent<Slim> =
                serde_json::from_str(black_box(&event)).expect("event");
            match e {
                kube::api::WatchEvent::Modified(o) => row(&o),
                _ => unreachable!(),
            }
        })
    });
    c.bench_function(
        &format!("decode one {what} watch event (full k8s-openapi {kind}, for comparison)"),
        |b| {
            b.iter(|| {
                let e: kube::api::WatchEvent<Full> =
                    serde_json::from_str(black_box(&event)).expect("event");
                black_box(e)
            })
        },
    );
}

fn sample_pod_json() -> String {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"creationTimestamp": "2026-11-23T23:22:31Z", "generateName": "svc-00-zdv97fn-", "labels": {"app": "svc-00", "pod-template-hash": "zdv97fn"}, "name": "svc-00-zdv97fn-4jcz4", "namespace": "load-000", "ownerReferences": [{"apiVersion": "apps/v1", "blockOwnerDeletion": true, "controller": true, "kind": "ReplicaSet", "name": "svc-00-zdv97fn", "uid": "eec22780-2503-47fc-8ac9-0fdb521e193d"}], "resourceVersion": "1274", "uid": "9b77e4b4-d582-4342-881d-edb1781297ef"},
        "spec": {"containers": [{"image": "ghcr.io/acme/load:0", "imagePullPolicy": "IfNotPresent", "name": "svc-00", "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}], "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"}, "periodSeconds": 5}, "resources": {"limits": {"memory": "256Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}}, "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}], "dnsPolicy": "ClusterFirst", "nodeName": "load-node-092", "restartPolicy": "Always", "schedulerName": "default-scheduler", "securityContext": {}, "terminationGracePeriodSeconds": 30},
        "status": {"conditions": [{"lastProbeTime": null, "lastTransitionTime": "2026-11-23T23:22:31Z", "status": "True", "type": "PodReadyToStartContainers"}, {"lastProbeTime": null, "lastTransitionTime": "2026-11-23T23:22:31Z", "status": "True", "type": "Initialized"}, {"lastProbeTime": null, "lastTransitionTime": "2026-11-23T23:22:31Z", "status": "True", "type": "Ready"}, {"lastProbeTime": null, "lastTransitionTime": "2026-11-23T23:22:31Z", "status": "True", "type": "ContainersReady"}, {"lastProbeTime": null, "lastTransitionTime": "2026-11-23T23:22:31Z", "status": "True", "type": "PodScheduled"}], "containerStatuses": [{"containerID": "containerd://3f67618637c2e28f0000000000000000", "image": "ghcr.io/acme/load:0", "imageID": "ghcr.io/acme/load@sha256:b3a8976249f8cae14043fc03b1c08440", "lastState": {}, "name": "svc-00", "ready": true, "restartCount": 0, "started": true, "state": {"running": {"startedAt": "2026-11-23T23:22:31Z"}}}], "hostIP": "10.0.0.28", "phase": "Running", "podIP": "10.244.225.240", "podIPs": [{"ip": "10.244.225.240"}], "qosClass": "Burstable", "startTime": "2026-11-23T23:22:31Z"}}).to_string()
}

/// A Deployment as `kubectl apply` leaves it and the API server sends it (6.1 KB): the
/// last-applied annotation, two managers' managedFields, a template with env, volumes and
/// probes, and the status the deployment controller writes.
fn sample_deployment_json() -> String {
    let template = json!({"metadata": {"labels": {"app": "checkout", "tier": "api"}}, "spec": {
        "containers": [{"name": "checkout", "image": "ghcr.io/acme/checkout:1.8.3", "imagePullPolicy": "IfNotPresent",
            "args": ["--listen=:8080", "--db=postgres://checkout-db:5432/checkout"],
            "env": [{"name": "RUST_LOG", "value": "info"}, {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"key": "password", "name": "checkout-db"}}},
                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}}],
            "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}, {"containerPort": 9090, "name": "metrics", "protocol": "TCP"}],
            "readinessProbe": {"failureThreshold": 3, "httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"}, "periodSeconds": 5, "successThreshold": 1, "timeoutSeconds": 1},
            "livenessProbe": {"failureThreshold": 3, "httpGet": {"path": "/livez", "port": 8080, "scheme": "HTTP"}, "initialDelaySeconds": 10, "periodSeconds": 10, "successThreshold": 1, "timeoutSeconds": 1},
            "resources": {"limits": {"memory": "256Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}},
            "volumeMounts": [{"mountPath": "/etc/checkout", "name": "config", "readOnly": true}],
            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}],
        "volumes": [{"configMap": {"defaultMode": 420, "name": "checkout-config"}, "name": "config"}],
        "dnsPolicy": "ClusterFirst", "restartPolicy": "Always", "schedulerName": "default-scheduler",
        "securityContext": {"runAsNonRoot": true}, "serviceAccountName": "checkout", "terminationGracePeriodSeconds": 30}});
    let applied = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"annotations": {}, "labels": {"app": "checkout"}, "name": "checkout", "namespace": "shop"},
        "spec": {"replicas": 4, "selector": {"matchLabels": {"app": "checkout"}}, "template": template}});
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {
        "annotations": {"deployment.kubernetes.io/revision": "7", "kubernetes.io/change-cause": "release 1.8.3",
            "kubectl.kubernetes.io/last-applied-configuration": applied.to_string()},
        "creationTimestamp": "2026-11-20T09:12:03Z", "generation": 9, "labels": {"app": "checkout"},
        "managedFields": [
            {"apiVersion": "apps/v1", "fieldsType": "FieldsV1", "manager": "kubectl-client-side-apply", "operation": "Update", "time": "2026-11-23T23:20:00Z",
             "fieldsV1": {"f:metadata": {"f:annotations": {".": {}, "f:kubectl.kubernetes.io/last-applied-configuration": {}, "f:kubernetes.io/change-cause": {}}, "f:labels": {".": {}, "f:app": {}}},
                "f:spec": {"f:progressDeadlineSeconds": {}, "f:replicas": {}, "f:revisionHistoryLimit": {}, "f:selector": {}, "f:strategy": {"f:rollingUpdate": {".": {}, "f:maxSurge": {}, "f:maxUnavailable": {}}, "f:type": {}},
                    "f:template": {"f:metadata": {"f:labels": {".": {}, "f:app": {}, "f:tier": {}}}, "f:spec": {"f:containers": {"k:{\"name\":\"checkout\"}": {".": {}, "f:args": {}, "f:env": {}, "f:image": {}, "f:imagePullPolicy": {}, "f:livenessProbe": {}, "f:name": {}, "f:ports": {}, "f:readinessProbe": {}, "f:resources": {}, "f:volumeMounts": {}}}, "f:volumes": {}}}}}},
            {"apiVersion": "apps/v1", "fieldsType": "FieldsV1", "manager": "kube-controller-manager", "operation": "Update", "subresource": "status", "time": "2026-11-23T23:22:31Z",
             "fieldsV1": {"f:metadata": {"f:annotations": {"f:deployment.kubernetes.io/revision": {}}},
                "f:status": {"f:availableReplicas": {}, "f:conditions": {".": {}, "k:{\"type\":\"Available\"}": {".": {}, "f:lastTransitionTime": {}, "f:lastUpdateTime": {}, "f:message": {}, "f:reason": {}, "f:status": {}, "f:type": {}}, "k:{\"type\":\"Progressing\"}": {".": {}, "f:lastTransitionTime": {}, "f:lastUpdateTime": {}, "f:message": {}, "f:reason": {}, "f:status": {}, "f:type": {}}}, "f:observedGeneration": {}, "f:readyReplicas": {}, "f:replicas": {}, "f:updatedReplicas": {}}}}],
        "name": "checkout", "namespace": "shop", "resourceVersion": "184467", "uid": "1f0e4b5c-7a52-4c1e-9a51-3f2f4c7d9e10"},
        "spec": {"progressDeadlineSeconds": 600, "replicas": 4, "revisionHistoryLimit": 10, "selector": {"matchLabels": {"app": "checkout"}},
            "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}, "type": "RollingUpdate"}, "template": template},
        "status": {"availableReplicas": 4, "observedGeneration": 9, "readyReplicas": 4, "replicas": 4, "updatedReplicas": 4,
            "conditions": [
                {"lastTransitionTime": "2026-11-20T09:12:40Z", "lastUpdateTime": "2026-11-20T09:12:40Z", "message": "Deployment has minimum availability.", "reason": "MinimumReplicasAvailable", "status": "True", "type": "Available"},
                {"lastTransitionTime": "2026-11-20T09:12:03Z", "lastUpdateTime": "2026-11-23T23:22:31Z", "message": "ReplicaSet \"checkout-6d4cf56db6\" has successfully progressed.", "reason": "NewReplicaSetAvailable", "status": "True", "type": "Progressing"}]}
    }).to_string()
}

fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn cpu_time() -> Duration {
    rusage(libc::RUSAGE_SELF)
}

/// CPU time of the calling thread alone.
fn thread_cpu_time() -> Duration {
    rusage(libc::RUSAGE_THREAD)
}

fn rusage(who: libc::c_int) -> Duration {
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes into the struct we own
    let ru = unsafe {
        libc::getrusage(who, ru.as_mut_ptr());
        ru.assume_init()
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// Against a running sandbox: the console's data path (watchers → channel → update →
/// render) in this process, as the console runs it.
fn live(kubeconfig: &str, expect_pods: usize) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let start = Instant::now();
        let mut cfg = flightdeck::config::Config::default();
        cfg.kube.kubeconfig = Some(kubeconfig.into());
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let sink: flightdeck::sources::kube::watch::Sink = Arc::new(move |m| tx.send(m).is_ok());
        let _task = flightdeck::sources::kube::watch::spawn_scope(Arc::new(cfg), None, None, sink);
        let mut s = state(None);
        s.zoomed = false;
        s.size = (200, 60);
        let mut term = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
        let mut ui = Duration::ZERO;
        let mut first_frame = None;
        let mut first_row = None;
        while let Some(msg) = rx.recv().await {
            let t = Instant::now();
            feed(&mut s, msg);
            if first_row.is_none() && !s.cluster.pods.is_empty() {
                // the first pod the console could show: settle and draw as the run loop would
                update::settle(&mut s);
                draw(&mut term, &s);
                first_row = Some((start.elapsed(), s.cluster.pods.len()));
            }
            let synced = s.cluster.all_listed();
            if synced && s.cluster.pods.len() >= expect_pods {
                update::settle(&mut s);
                draw(&mut term, &s);
                ui += t.elapsed();
                first_frame = Some(start.elapsed());
                break;
            }
            ui += t.elapsed();
        }
        let Some(first) = first_frame else {
            println!("watchers ended before the first complete frame");
            return;
        };
        if let Some((t, n)) = first_row {
            println!(
                "first pod row: {:.0} ms after start ({n} pods listed by then)",
                t.as_secs_f64() * 1000.0
            );
        }
        let (rss, hwm) = rss_kib();
        println!(
            "first complete frame: {:.0} ms after start ({} pods, {} deployments, {} replicasets; ui task {:.0} ms)",
            first.as_secs_f64() * 1000.0,
            s.cluster.pods.len(),
            s.cluster.deployments.len(),
            s.cluster.replicasets.len(),
            ui.as_secs_f64() * 1000.0
        );
        println!("RSS after the first frame: {:.1} MB (peak {:.1} MB)", rss as f64 / 1024.0, hwm as f64 / 1024.0);

        // idle: nothing changes (the sandbox is paused by the script)
        let cpu0 = cpu_time();
        let idle_until = Instant::now() + Duration::from_secs(5);
        let mut idle_msgs = 0;
        while let Ok(Some(msg)) = tokio::time::timeout_at(idle_until.into(), rx.recv()).await {
            idle_msgs += 1;
            feed(&mut s, msg);
        }
        println!(
            "idle 5 s: {} messages, {:.1} ms CPU (whole process)",
            idle_msgs,
            (cpu_time() - cpu0).as_secs_f64() * 1000.0
        );

        // 10,000 MODIFIED events: the sandbox's churn endpoint touches 10,000 pods
        let base = kubeconfig_server(kubeconfig);
        let _ = rustls::crypto::ring::default_provider().install_default();
        let r = reqwest::Client::new()
            .post(format!("{base}/_sandbox/churn?n=10000"))
            .send()
            .await;
        if let Err(e) = r {
            println!("churn request failed: {e}");
            return;
        }
        let mut ui = Duration::ZERO;
        let mut events = 0usize;
        let mut msgs = 0usize;
        let deadline = Instant::now() + Duration::from_secs(60);
        while events < 10_000 {
            let Ok(Some(msg)) = tokio::time::timeout_at(deadline.into(), rx.recv()).await else {
                break;
            };
            if let WorkloadsMsg::Applied(Rows::Pods(v)) = &msg {
                events += v.len();
            }
            msgs += 1;
            let t = Instant::now();
            feed(&mut s, msg);
            ui += t.elapsed();
        }
        // as the run loop does before a frame: the views catch up once, then the draw
        let t = Instant::now();
        update::settle(&mut s);
        draw(&mut term, &s);
        let frame = t.elapsed();
        let (rss, hwm) = rss_kib();
        println!(
            "applied {events} pod watch events in {msgs} messages: {:.1} ms of ui-task time (+ settle and one frame {:.2} ms)",
            ui.as_secs_f64() * 1000.0,
            frame.as_secs_f64() * 1000.0
        );
        println!("RSS after the events: {:.1} MB (peak {:.1} MB)", rss as f64 / 1024.0, hwm as f64 / 1024.0);

        churn(&base, "pods", "annotation", &mut s, &mut rx, &mut term).await;
        churn(&base, "pods", "restarts", &mut s, &mut rx, &mut term).await;
        churn(&base, "deployments", "annotation", &mut s, &mut rx, &mut term).await;
    });
}

/// A cluster that keeps changing: 1,000 watch events a second of one kind (100 every
/// 100 ms, through the sandbox's churn endpoint; pods or deployments, each changing an
/// annotation — nothing shown — or a pod's restart count — shown and sorted by) for
/// `CHURN_SECS` (default 60), applied and drawn as the run
/// loop does with only data coming (settle + one frame at most every `DATA_FRAME`). The
/// figure is the process's CPU time — watch decoding, rows, update, views and frames — less
/// the churn driver's own thread, divided by the events.
async fn churn(
    base: &str,
    kind: &str,
    change: &str,
    s: &mut State,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<WorkloadsMsg>,
    term: &mut Terminal<TestBackend>,
) {
    let secs: u64 = std::env::var("CHURN_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    if secs == 0 {
        return;
    }
    // events of the 10,000-event phase still arriving are not counted
    while let Ok(Some(msg)) = tokio::time::timeout(Duration::from_millis(500), rx.recv()).await {
        feed(s, msg);
    }
    let url = format!("{base}/_sandbox/churn?n=100&kind={kind}&change={change}");
    // the driver is not the console: it runs on a thread of its own, whose CPU time is
    // taken out of the figure
    let poster = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let http = reqwest::Client::new();
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            for _ in 0..secs * 10 {
                tick.tick().await;
                if let Err(e) = http.post(&url).send().await {
                    println!("churn request failed: {e}");
                    break;
                }
            }
        });
        drop(rt);
        thread_cpu_time()
    });
    let cpu0 = cpu_time();
    let t0 = Instant::now();
    let end = t0 + Duration::from_secs(secs) + Duration::from_millis(500);
    let mut events = 0usize;
    let mut frames = 0usize;
    let mut last_draw = Instant::now();
    let mut dirty = false;
    let (mut feeding, mut settling, mut framing) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    loop {
        // as the run loop: with only data coming, a frame is due DATA_FRAME after the last,
        // and only when something shown changed
        let next = if dirty {
            (last_draw + DATA_FRAME).min(end)
        } else {
            end
        };
        match tokio::time::timeout_at(next.into(), rx.recv()).await {
            Ok(Some(msg)) => {
                if let WorkloadsMsg::Applied(rows) = &msg
                    && rows.kind().resource() == kind
                {
                    events += rows.len();
                }
                let t = Instant::now();
                feed(s, msg);
                feeding += t.elapsed();
                // as the run loop: a frame only where the state says something shown changed
                dirty = s.dirty;
            }
            Ok(None) => break,
            Err(_) => {}
        }
        if dirty && last_draw.elapsed() >= DATA_FRAME {
            let t = Instant::now();
            update::settle(s);
            settling += t.elapsed();
            draw(term, s);
            framing += t.elapsed();
            frames += 1;
            dirty = false;
            s.dirty = false;
            last_draw = Instant::now();
        }
        if Instant::now() >= end {
            break;
        }
    }
    let driver = poster.join().unwrap_or_default();
    let cpu = (cpu_time() - cpu0).saturating_sub(driver);
    let wall = t0.elapsed();
    println!(
        "churn ({kind}, {change}): {events} events in {:.1} s ({:.0}/s), {frames} frames: {:.1} % of a core, {:.1} µs CPU per event (the console's data path, driver excluded)",
        wall.as_secs_f64(),
        events as f64 / wall.as_secs_f64(),
        cpu.as_secs_f64() / wall.as_secs_f64() * 100.0,
        cpu.as_secs_f64() * 1e6 / events.max(1) as f64
    );
    println!(
        "churn ({kind}, {change}), ui task: applying {:.1} µs per event; settle + frame {:.2} ms per frame, of which settle {:.2} ms",
        feeding.as_secs_f64() * 1e6 / events.max(1) as f64,
        framing.as_secs_f64() * 1000.0 / frames.max(1) as f64,
        settling.as_secs_f64() * 1000.0 / frames.max(1) as f64
    );
}

fn kubeconfig_server(path: &str) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("server:")
                .map(|s| s.trim().trim_matches('"').to_owned())
        })
        .unwrap_or_else(|| "http://127.0.0.1:18191".into())
}

/// `--serve-sandbox --listen ADDR --pods N --write-kubeconfig PATH`: the same as
/// `flightdeck sandbox`, for builds whose binary does not serve it yet.
fn serve_sandbox(args: &[String]) {
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let sandbox = flightdeck_sandbox::SandboxArgs {
        listen: arg("--listen").unwrap_or_else(|| "127.0.0.1:0".into()),
        scenario: "steady".into(),
        pods: arg("--pods").and_then(|p| p.parse().ok()),
        pod_kinds: arg("--pod-kinds").unwrap_or_else(|| "deployments".into()),
        seed: 1,
        write_kubeconfig: arg("--write-kubeconfig").map(Into::into),
        write_config: None,
        rollouts: false,
        gpu_hosts: 1,
        gpu_pod_labels: "new".into(),
        tls: false,
        auth: "cert".into(),
    };
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    if let Err(e) = rt.block_on(flightdeck_sandbox::run_cli(sandbox)) {
        eprintln!("sandbox: {e}");
        std::process::exit(1);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--serve-sandbox") {
        serve_sandbox(&args);
        return;
    }
    if args.iter().any(|a| a == "--live") {
        let Ok(kc) = std::env::var("FLIGHTDECK_BENCH_KUBECONFIG") else {
            eprintln!("--live needs FLIGHTDECK_BENCH_KUBECONFIG (see scripts/bench-workloads.sh)");
            std::process::exit(2);
        };
        let pods = std::env::var("PODS")
            .ok()
            .and_then(|p| p.parse().ok())
            .unwrap_or(10_000);
        live(&kc, pods);
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    criterion_benches(&mut c);
    c.final_summary();
}
