//! Every workload kind in the Workloads pane, against the sandbox with the real kube
//! client: the narrowing commands, trouble first across kinds, the KIND column and each
//! kind's columns, the owner chain of a pod, and logs following any kind's pods.

use crate::support;
use crate::support::common;

use flightdeck::app::panes::workloads::{Narrow, WorkloadRef, table_keys};
use flightdeck::app::state::State;
use flightdeck::app::{palette, update};
use flightdeck::pane::PaneId;
use flightdeck::sources::kube::{JobState, ObjKey, WorkloadKind};
use flightdeck::sources::logs::LogTarget;
use flightdeck_sandbox::Scenario;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use support::workloads::{Harness, synced};

fn key(name: &str) -> ObjKey {
    ObjKey::new("shop", name)
}

fn command(s: &mut State, line: &str) {
    update::run_command(s, line);
    update::settle(s);
}

fn shown(s: &State) -> Vec<WorkloadRef> {
    table_keys(s).into_owned()
}

fn screen(s: &State, w: u16, h: u16) -> String {
    let mut s = s.clone();
    s.size = (w, h);
    s.zoomed = true;
    s.focus = PaneId::Workloads;
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    t.draw(|f| flightdeck::ui::render(&s, f)).expect("draw");
    common::cells(t.backend().buffer())
}

fn select(s: &mut State, w: &WorkloadRef) {
    let i = shown(s).iter().position(|x| x == w).expect("row shown");
    s.pane_mut(PaneId::Workloads).selected = i;
    update::settle(s);
}

async fn listed(scenario: Scenario) -> Harness {
    let mut h = Harness::start(scenario, Some("shop")).await;
    h.until("all kinds listed", synced).await;
    h.until("the set pods", |s| {
        let w = &s.cluster;
        w.statefulsets.contains_key(&key("orders-db"))
            && w.daemonsets.contains_key(&key("node-agent"))
            && w.cronjobs.contains_key(&key("nightly-report"))
            && w.pods.contains_key(&key("debug-shell"))
            && w.pods.contains_key(&key("orders-db-0"))
    })
    .await;
    h
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn narrowing_commands_show_their_kinds() {
    let mut h = listed(Scenario::Steady).await;
    let s = &mut h.state;
    // the default is the deployments table, as before
    assert!(shown(s).iter().all(|w| w.kind == WorkloadKind::Deployment));
    assert!(!shown(s).is_empty());

    let only = |s: &State, kind: WorkloadKind| shown(s).iter().all(|w| w.kind == kind);
    command(s, "sts");
    assert!(only(s, WorkloadKind::StatefulSet));
    assert!(shown(s).contains(&WorkloadRef::new(
        WorkloadKind::StatefulSet,
        key("orders-db")
    )));
    command(s, "ds");
    assert!(only(s, WorkloadKind::DaemonSet));
    assert!(shown(s).contains(&WorkloadRef::new(
        WorkloadKind::DaemonSet,
        key("node-agent")
    )));
    command(s, "jobs");
    assert!(only(s, WorkloadKind::Job));
    assert!(!shown(s).is_empty(), "the nightly report's jobs");
    for cmd in ["cronjobs", "cj"] {
        command(s, cmd);
        assert_eq!(
            shown(s),
            vec![WorkloadRef::new(
                WorkloadKind::CronJob,
                key("nightly-report")
            )]
        );
    }
    command(s, "pods");
    let pods = shown(s);
    assert!(pods.iter().all(|w| w.kind == WorkloadKind::Pod));
    assert_eq!(pods.len(), s.cluster.pods.len(), "every pod, any owner");
    for name in ["debug-shell", "orders-db-0"] {
        assert!(pods.contains(&WorkloadRef::new(WorkloadKind::Pod, key(name))));
    }
    command(s, "all");
    let all = shown(s);
    for kind in [
        WorkloadKind::Deployment,
        WorkloadKind::StatefulSet,
        WorkloadKind::DaemonSet,
        WorkloadKind::Job,
        WorkloadKind::CronJob,
    ] {
        assert!(all.iter().any(|w| w.kind == kind), "{kind:?} in :all");
    }
    // pods with a controller are under it; only the bare pod is a row of its own
    let pods: Vec<&str> = all
        .iter()
        .filter(|w| w.kind == WorkloadKind::Pod)
        .map(|w| w.key.name.as_str())
        .collect();
    assert_eq!(pods, vec!["debug-shell"]);
    command(s, "deploy");
    assert!(only(s, WorkloadKind::Deployment));
    assert_eq!(
        s.workloads.narrow,
        Narrow::Only(WorkloadKind::Deployment),
        ":deploy is Deployments alone; the table at start adds Rollouts where there are any"
    );
    assert!(Narrow::default().shows(WorkloadKind::Deployment));
    assert!(Narrow::default().shows(WorkloadKind::Rollout));
    assert!(!Narrow::default().shows(WorkloadKind::StatefulSet));

    // the palette completes them
    let c = palette::completions(s, "cr");
    assert!(c.contains(&"cronjobs".to_owned()), "{c:?}");
    for cmd in [
        "sts", "ds", "jobs", "cj", "pods", "all", "deploy", "rollouts",
    ] {
        assert!(
            palette::completions(s, cmd).contains(&cmd.to_owned()),
            "{cmd}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_cronjob_sorts_above_healthy_rows() {
    let mut h = listed(Scenario::BadRelease).await;
    // the last night's run uses the broken image: wait for its Job to fail
    let mut failed = false;
    for _ in 0..30 {
        if h.state.cluster.last_result(&key("nightly-report"))
            != flightdeck::app::panes::workloads::LastResult::Running
            && h.state
                .cluster
                .jobs
                .values()
                .any(|j| matches!(j.state, JobState::Failed(_)))
        {
            failed = true;
            break;
        }
        h.admin("time/advance?seconds=30", "").await;
        h.drain().await;
    }
    assert!(failed, "the nightly report's last run failed");
    let s = &mut h.state;
    command(s, "all");
    let rows = shown(s);
    let pos = |kind, name: &str| {
        rows.iter()
            .position(|w| *w == WorkloadRef::new(kind, key(name)))
            .unwrap_or_else(|| panic!("{name} shown: {rows:?}"))
    };
    let cj = pos(WorkloadKind::CronJob, "nightly-report");
    let failed_job = rows
        .iter()
        .position(|w| {
            w.kind == WorkloadKind::Job
                && matches!(
                    s.cluster.jobs.get(&w.key).map(|j| &j.state),
                    Some(JobState::Failed(_))
                )
        })
        .expect("a failed job shown");
    for healthy in [
        pos(WorkloadKind::StatefulSet, "orders-db"),
        pos(WorkloadKind::DaemonSet, "node-agent"),
        pos(WorkloadKind::Pod, "debug-shell"),
    ] {
        assert!(
            cj < healthy,
            "cronjob {cj} above healthy {healthy}: {rows:?}"
        );
        assert!(failed_job < healthy, "failed job above healthy: {rows:?}");
    }
    assert_eq!(s.cluster.trouble_of(&rows[cj]), 4);
    let text = screen(s, 160, 40);
    assert!(text.contains("last: failed"), "{text}");
}

/// Every kind comes through the watchers' slim decode with what its row shows: the
/// template's containers, metadata's generation and annotations, a revision's images
/// read from its data, an HPA's target, an event's object.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_arrives_with_what_its_row_shows() {
    let mut h = listed(Scenario::BadRelease).await;
    h.until("the OOM event and the HPA", |s| {
        s.cluster.events.values().any(|e| e.reason == "OOMKilling")
            && s.cluster.hpas.values().any(|h| h.target_name == "frontend")
    })
    .await;
    let w = &h.state.cluster;
    let image = |c: &[flightdeck::sources::kube::model::ContainerSpec]| {
        c.first().map(|c| c.image.clone()).unwrap_or_default()
    };

    let d = &w.deployments[&key("checkout")];
    assert!(d.revision.is_some() && d.generation > 0, "{d:?}");
    assert!(
        !d.selector.is_empty() && !image(&d.containers).is_empty(),
        "{d:?}"
    );

    let hpa = w
        .hpas
        .values()
        .find(|h| h.target_name == "frontend")
        .expect("frontend's HPA");
    assert_eq!(
        (hpa.target_kind.as_str(), hpa.min, hpa.max),
        ("Deployment", 3, 10)
    );
    let oom = w
        .events
        .values()
        .find(|e| e.reason == "OOMKilling")
        .expect("the OOM event");
    assert!(
        oom.object_kind == "Pod" && oom.object_name.starts_with("cart"),
        "{oom:?}"
    );
    assert!(oom.last.is_some(), "{oom:?}");

    let sts = &w.statefulsets[&key("orders-db")];
    let sts_image = image(&sts.containers);
    assert!(!sts_image.is_empty() && !sts.selector.is_empty(), "{sts:?}");
    let update = sts.update_revision.clone().expect("an update revision");
    let rev = w
        .revisions
        .get(&key(&update))
        .unwrap_or_else(|| panic!("revision {update} among {:?}", w.revisions.keys()));
    assert_eq!(
        rev.owner,
        Some(("StatefulSet".to_owned(), "orders-db".to_owned()))
    );
    assert!(rev.revision > 0);
    assert_eq!(rev.images, vec![sts_image]);

    let ds = &w.daemonsets[&key("node-agent")];
    assert!(!image(&ds.containers).is_empty(), "{ds:?}");
    let cj = &w.cronjobs[&key("nightly-report")];
    // daily, at the time of day its last run was scheduled (the sandbox puts it six hours
    // before it starts, so no run falls inside a test)
    let last = cj
        .last_schedule
        .expect("the nightly report has run")
        .to_zoned(jiff::tz::TimeZone::UTC);
    assert_eq!(
        cj.schedule,
        format!("{} {} * * *", last.minute(), last.hour())
    );
    assert!(!image(&cj.containers).is_empty(), "{cj:?}");
    assert!(
        w.jobs
            .values()
            .any(|j| j.cronjob.as_deref() == Some("nightly-report") && !j.containers.is_empty()),
        "the nightly report's jobs: {:?}",
        w.jobs.keys()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kind_column_and_per_kind_columns() {
    let mut h = listed(Scenario::Steady).await;
    let s = &mut h.state;
    command(s, "all");
    let text = screen(s, 160, 50);
    assert!(text.contains("KIND"), "{text}");
    for (short, name) in [
        ("sts", "orders-db"),
        ("ds", "node-agent"),
        ("cj", "nightly-report"),
        ("pod", "debug-shell"),
        ("deploy", "checkout"),
    ] {
        let line = text
            .lines()
            .find(|l| l.contains(&format!("{name} ")) && l.contains(&format!(" {short} ")))
            .unwrap_or_else(|| panic!("a {short} row for {name}:\n{text}"));
        assert!(!line.is_empty());
    }
    let expect = [
        (
            "sts",
            vec![
                "STATEFULSET",
                "READY",
                "CURRENT REV",
                "UPDATE REV",
                "PARTITION",
                "3/3",
            ],
        ),
        (
            "ds",
            vec![
                "DAEMONSET",
                "DESIRED",
                "CURRENT",
                "UP-TO-DATE",
                "AVAILABLE",
                "NODE SELECTOR",
            ],
        ),
        (
            "jobs",
            vec![
                "JOB",
                "COMPLETIONS",
                "DURATION",
                "FAILED",
                "ACTIVE",
                "nightly-report-",
            ],
        ),
        (
            "cj",
            vec![
                "CRONJOB",
                "SCHEDULE",
                "SUSPEND",
                "LAST SCHEDULE",
                "LAST RESULT",
                " * * * ",
            ],
        ),
        (
            "pods",
            vec![
                "POD",
                "RESTARTS",
                "OWNER",
                "StatefulSet/orders-db",
                "debug-shell",
            ],
        ),
    ];
    for (cmd, words) in expect {
        command(s, cmd);
        let text = screen(s, 180, 50);
        for w in words {
            assert!(text.contains(w), ":{cmd} shows {w}:\n{text}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owner_chain_of_job_and_deployment_pods() {
    let mut h = listed(Scenario::Steady).await;
    let s = &mut h.state;
    let data = &s.cluster;
    let job_pod = data
        .pods
        .values()
        .find(|p| p.controller.as_ref().is_some_and(|(k, _)| k == "Job"))
        .expect("a job pod")
        .clone();
    let chain = data.owner_chain(&job_pod);
    assert_eq!(chain.len(), 2, "{chain:?}");
    assert_eq!(chain[0].0, "Job");
    assert_eq!(
        chain[1],
        ("CronJob".to_owned(), "nightly-report".to_owned())
    );
    let dep_pod = data.pods_of(&key("checkout"))[0].clone();
    let chain = data.owner_chain(&dep_pod);
    assert_eq!(chain[0].0, "ReplicaSet");
    assert_eq!(chain[1], ("Deployment".to_owned(), "checkout".to_owned()));
    let sts_pod = data.pods[&key("orders-db-0")].clone();
    assert_eq!(
        data.owner_chain(&sts_pod),
        vec![("StatefulSet".to_owned(), "orders-db".to_owned())]
    );

    // the detail view of the job pod shows it, through `:pods` and enter
    command(s, "pods");
    select(s, &WorkloadRef::new(WorkloadKind::Pod, job_pod.key.clone()));
    update::apply(s, flightdeck::action::Action::Open);
    let text = screen(s, 160, 40);
    assert!(
        text.contains(&format!("pod → Job/{}", chain_job(&job_pod)))
            && text.contains("→ CronJob/nightly-report"),
        "{text}"
    );
    // and of a deployment's pod
    update::apply(s, flightdeck::action::Action::Back);
    select(s, &WorkloadRef::new(WorkloadKind::Pod, dep_pod.key.clone()));
    update::apply(s, flightdeck::action::Action::Open);
    let text = screen(s, 160, 40);
    assert!(text.contains("→ Deployment/checkout"), "{text}");
    assert!(text.contains("pod → ReplicaSet/checkout-"), "{text}");
}

fn chain_job(p: &flightdeck::sources::kube::PodRow) -> String {
    p.controller
        .as_ref()
        .map(|(_, n)| n.clone())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_follow_a_statefulsets_pods_and_a_bare_pod() {
    let mut h = listed(Scenario::Steady).await;
    let s = &mut h.state;
    command(s, "sts");
    select(
        s,
        &WorkloadRef::new(WorkloadKind::StatefulSet, key("orders-db")),
    );
    let selector = s.cluster.statefulsets[&key("orders-db")].selector.clone();
    assert!(!selector.is_empty());
    let want: Vec<String> = selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
    match &s.logs.target {
        Some(LogTarget::Selector {
            namespace,
            selector,
            label,
        }) => {
            assert_eq!(namespace, "shop");
            assert_eq!(selector, &want.join(","));
            assert_eq!(label, "orders-db");
        }
        other => panic!("logs follow orders-db: {other:?}"),
    }
    // the pods list of the set is its three pods
    let pods: Vec<String> = s
        .cluster
        .pods_of_workload(&WorkloadRef::new(
            WorkloadKind::StatefulSet,
            key("orders-db"),
        ))
        .iter()
        .map(|p| p.key.name.clone())
        .collect();
    assert_eq!(pods.len(), 3, "{pods:?}");
    assert!(pods.iter().all(|p| p.starts_with("orders-db-")));

    command(s, "all");
    select(s, &WorkloadRef::new(WorkloadKind::Pod, key("debug-shell")));
    assert_eq!(
        s.logs.target,
        Some(LogTarget::Pods {
            namespace: "shop".into(),
            pods: vec!["debug-shell".into()],
        })
    );
}
