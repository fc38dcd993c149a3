//! Shared by the workloads tests: a sandbox, the real watchers against it, and a State
//! fed through `flightdeck::app::update`.

pub mod fixture;

use std::sync::Arc;
use std::time::Duration;

use flightdeck::app::state::State;
use flightdeck::app::{Event, update};
use flightdeck::sources::kube::watch::{self, Sink};
use flightdeck::sources::kube::{WorkloadsMsg, client};
use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};
use tokio::sync::mpsc;

use super::common;

pub fn state(namespace: Option<&str>) -> State {
    let now: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().expect("timestamp");
    common::state_builder()
        .theme("dark")
        .namespace(namespace)
        .at(now)
        .build()
}

pub struct Harness {
    pub sb: Sandbox,
    pub state: State,
    rx: mpsc::UnboundedReceiver<WorkloadsMsg>,
    task: tokio::task::JoinHandle<()>,
    /// every message applied so far
    pub messages: usize,
    /// snapshots (first lists and re-lists) applied so far
    pub snapshots: usize,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn sandbox(scenario: Scenario) -> Sandbox {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sb = Sandbox::start(SandboxOptions::scenario(scenario))
        .await
        .expect("sandbox");
    admin(&sb, "time/pause", "").await;
    sb
}

pub async fn kube_client(sb: &Sandbox) -> kube::Client {
    let kc = kube::config::Kubeconfig::from_yaml(&sb.kubeconfig_yaml()).expect("kubeconfig");
    client::client_from_kubeconfig(kc, None)
        .await
        .expect("client")
}

pub async fn admin(sb: &Sandbox, route: &str, body: &str) -> serde_json::Value {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let r = reqwest::Client::new()
        .post(format!("{}/{route}", sb.admin_url()))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("admin request");
    assert!(r.status().is_success(), "admin {route}: {}", r.status());
    r.json().await.expect("admin json")
}

impl Harness {
    pub async fn start(scenario: Scenario, namespace: Option<&str>) -> Harness {
        let sb = sandbox(scenario).await;
        Harness::on(sb, namespace).await
    }

    /// Watchers against a sandbox prepared by the caller (faults set before the first list).
    pub async fn on(sb: Sandbox, namespace: Option<&str>) -> Harness {
        Harness::on_timed(sb, namespace, watch::Timings::default()).await
    }

    /// [`Harness::on`], the watchers on other clocks than the console's.
    pub async fn on_timed(
        sb: Sandbox,
        namespace: Option<&str>,
        timings: watch::Timings,
    ) -> Harness {
        let client = kube_client(&sb).await;
        let (tx, rx) = mpsc::unbounded_channel();
        let sink: Sink = Arc::new(move |m| tx.send(m).is_ok());
        let task = tokio::spawn(watch::run_watchers_timed(
            client,
            namespace.map(str::to_owned),
            timings,
            sink,
        ));
        Harness {
            sb,
            state: state(namespace),
            rx,
            task,
            messages: 0,
            snapshots: 0,
        }
    }

    /// Applies messages until `pred` holds; panics naming `what` if it never does (a
    /// hang guard, not a timing assertion).
    pub async fn until(&mut self, what: &str, pred: impl Fn(&State) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while !pred(&self.state) {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(msg)) => {
                    self.messages += 1;
                    // a list's end (its last page) is what a re-list shows as
                    if matches!(
                        msg,
                        WorkloadsMsg::Snapshot(_) | WorkloadsMsg::Page { done: true, .. }
                    ) {
                        self.snapshots += 1;
                    }
                    let generation = self.state.generation;
                    update(&mut self.state, Event::Kube { generation, msg });
                }
                Ok(None) => panic!("watchers ended while waiting for {what}"),
                Err(_) => panic!(
                    "never saw {what}; sources: {:?}",
                    self.state
                        .sources
                        .get(&flightdeck::app::state::SourceId::Kube)
                ),
            }
        }
    }

    /// Applies whatever has arrived by now.
    pub async fn drain(&mut self) {
        tokio::time::sleep(Duration::from_millis(300)).await;
        while let Ok(msg) = self.rx.try_recv() {
            self.messages += 1;
            let generation = self.state.generation;
            update(&mut self.state, Event::Kube { generation, msg });
        }
    }

    pub async fn admin(&self, route: &str, body: &str) -> serde_json::Value {
        admin(&self.sb, route, body).await
    }

    pub async fn client(&self) -> kube::Client {
        kube_client(&self.sb).await
    }
}

pub fn synced(s: &State) -> bool {
    s.cluster.all_listed()
}
