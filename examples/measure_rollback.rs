//! Measures, against the sandbox (`bad-release`), the time from confirming a rollback in
//! the console to the new revision showing in the Workloads pane: the same update / effect
//! / executor / watcher path the console runs, with the pane drawn into a test backend.
//! Run by `scripts/measure-rollback.sh`; prints one line per run and the median.

#[path = "../tests/support/common.rs"]
#[allow(dead_code)] // the example uses a part of what the tests share
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flightdeck::app::panes::workloads::visible_deployments;
use flightdeck::app::state::{Overlay, State};
use flightdeck::app::update::apply;
use flightdeck::app::{Action, Effect, Event, update};
use flightdeck::ops::{AuditLog, Executor};
use flightdeck::pane::PaneId;
use flightdeck::sources::kube::WorkloadsMsg;
use flightdeck::sources::kube::model::ObjKey;
use flightdeck::sources::kube::watch::{self, Sink};
use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn revision(state: &State) -> Option<i64> {
    state
        .cluster
        .deployments
        .get(&ObjKey::new("shop", "checkout"))?
        .revision
}

fn shown(state: &State, want: i64) -> Res<bool> {
    let mut t = Terminal::new(TestBackend::new(120, 40))?;
    t.draw(|f| flightdeck::ui::render(state, f))?;
    let buf = t.backend().buffer();
    let text: String = buf.content().iter().map(|c| c.symbol()).collect();
    Ok(revision(state) == Some(want) && text.contains("checkout"))
}

#[tokio::main]
async fn main() -> Res<()> {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sb = Sandbox::start(SandboxOptions::scenario(Scenario::BadRelease)).await?;
    let kc = kube::config::Kubeconfig::from_yaml(&sb.kubeconfig_yaml())?;
    let client = flightdeck::sources::kube::client::client_from_kubeconfig(kc, None).await?;
    let (tx, mut rx) = mpsc::unbounded_channel::<WorkloadsMsg>();
    let sink: Sink = Arc::new(move |m| tx.send(m).is_ok());
    let watchers = tokio::spawn(watch::run_watchers(
        client.clone(),
        Some("shop".into()),
        sink,
    ));
    let dir = std::env::temp_dir().join(format!("flightdeck-measure-{}", std::process::id()));
    let ex = Executor::new(Ok(client), false, AuditLog::at(dir.join("audit.jsonl")));

    let mut state = common::state_builder()
        .theme("dark")
        .namespace("shop")
        .at(jiff::Timestamp::now())
        .build();
    apply(&mut state, Action::FocusPane(PaneId::Workloads));
    let pump = |state: &mut State, msg| {
        let generation = state.generation;
        update(state, Event::Kube { generation, msg });
    };
    while revision(&state).is_none() || state.cluster.replicasets.len() < 4 {
        let msg = tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await?
            .ok_or("watchers ended")?;
        pump(&mut state, msg);
    }
    let mut times = Vec::new();
    for run in 0..runs {
        // let the previous rollout's events arrive and settle
        tokio::time::sleep(Duration::from_millis(500)).await;
        while let Ok(msg) = rx.try_recv() {
            pump(&mut state, msg);
        }
        let before = revision(&state).ok_or("no revision")?;
        let i = visible_deployments(&state)
            .iter()
            .position(|d| d.key.name == "checkout")
            .ok_or("no checkout row")?;
        state.pane_mut(PaneId::Workloads).selected = i;
        let key =
            |state: &mut State, c| update(state, Event::Key(KeyEvent::new(c, KeyModifiers::NONE)));
        apply(&mut state, Action::Rollback);
        let fx = key(&mut state, KeyCode::Enter);
        let Some(Effect::PlanOperation(op)) = fx.into_iter().next() else {
            return Err("no plan effect".into());
        };
        let plan = ex.plan(op).await.map_err(|e| format!("plan: {e}"))?;
        update(&mut state, Event::OpPlanned(Ok(Box::new(plan))));
        if !matches!(state.overlay, Overlay::Dialog(_)) {
            return Err("no confirmation".into());
        }
        // confirm: from here on the clock runs
        let t0 = Instant::now();
        let fx = key(&mut state, KeyCode::Char('y'));
        let Some(Effect::Operation {
            op,
            before: b,
            after: a,
        }) = fx.into_iter().next()
        else {
            return Err("no operation effect".into());
        };
        let ex2 = ex.clone();
        let done = tokio::spawn(async move { ex2.execute(&op, &b, &a).await });
        let want = before + 1;
        let mut acked = None;
        let mut done = Some(done);
        loop {
            if let Some(h) = done.as_mut().filter(|h| h.is_finished()) {
                let outcome = h.await?;
                acked = Some(t0.elapsed());
                if !outcome.ok {
                    return Err(outcome.message.into());
                }
                update(&mut state, Event::OpResult(Box::new(outcome)));
                done = None;
            }
            if shown(&state, want)? {
                break;
            }
            match tokio::time::timeout(Duration::from_millis(5), rx.recv()).await {
                Ok(Some(msg)) => pump(&mut state, msg),
                Ok(None) => return Err("watchers ended".into()),
                Err(_) => {}
            }
            if t0.elapsed() > Duration::from_secs(30) {
                return Err("the new revision never showed".into());
            }
        }
        let total = t0.elapsed();
        if let Some(h) = done {
            let outcome = h.await?;
            if !outcome.ok {
                return Err(outcome.message.into());
            }
            update(&mut state, Event::OpResult(Box::new(outcome)));
        }
        println!(
            "run {}: revision {before} -> {want}: confirm -> API answer {} (audit synced), confirm -> revision shown in the pane {:.1} ms",
            run + 1,
            acked
                .map(|d| format!("{:.1} ms", d.as_secs_f64() * 1000.0))
                .unwrap_or_else(|| "after the watch event".into()),
            total.as_secs_f64() * 1000.0
        );
        times.push(total);
    }
    times.sort();
    if let Some(m) = times.get(times.len() / 2) {
        println!(
            "median {:.1} ms, max {:.1} ms over {} runs",
            m.as_secs_f64() * 1000.0,
            times
                .last()
                .map(|d| d.as_secs_f64() * 1000.0)
                .unwrap_or_default(),
            times.len()
        );
    }
    watchers.abort();
    sb.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
