//! One frame of the full dashboard at 200x60 (issue 2: under 1 ms), through
//! `Terminal::draw` on a TestBackend, so the diff is included.
//!
//! The dashboard is the demo's: the console's own sources (`console::Sources`, as the
//! binary starts them) against an in-process sandbox in `bad-release`, their events
//! applied through `update` until every pane has data — pipeline runs, error-rate series,
//! workloads, followed logs, GPUs. Every iteration clears the buffer first, so each one
//! writes a whole frame.

#[path = "../tests/support/common.rs"]
#[allow(dead_code)] // a bench uses a part of what the tests share
mod common;

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use flightdeck::app::state::{Overlay, SourceId, SourceStatus};
use flightdeck::app::{Effect, PaneId, State, update};
use flightdeck::console::run::Sources as _;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// The demo's dashboard with every pane filled by its real source.
fn state() -> State {
    let (rt, sb) = common::sandbox_runtime(flightdeck_sandbox::Scenario::BadRelease);
    let dir = tempfile::tempdir().expect("temp dir");
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, sb.kubeconfig_yaml()).expect("kubeconfig");
    let mut config = flightdeck::console::demo_config(
        &sb.config_toml(&kubeconfig),
        &flightdeck::config::Config::default().ui,
    )
    .expect("the sandbox's config");
    if let Some(gh) = config.github.as_mut() {
        gh.token = flightdeck::sources::github::Token::new("sandbox-bench-token");
    }
    config.kube.namespace = Some(sb.main_namespace());
    let mut s = common::state_builder()
        .config(config)
        .namespace(sb.main_namespace().as_str())
        .at(jiff::Timestamp::now())
        .size(200, 60)
        .build();
    let filled = |s: &State| {
        [
            SourceId::Pipeline,
            SourceId::Kube,
            SourceId::Metrics,
            SourceId::Logs,
        ]
        .iter()
        .all(|id| matches!(s.source(*id), Some(SourceStatus::Live { .. })))
            && s.logs.lines >= 20
            && s.gpu.gpu_count() > 0
    };
    rt.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut sources = flightdeck::console::Sources::default();
        sources.start(&s, &tx);
        let deadline = Instant::now() + Duration::from_secs(60);
        // then a few seconds more: the panes' histories and the logs grow
        let mut full_at: Option<Instant> = None;
        while full_at.is_none_or(|t| t.elapsed() < Duration::from_secs(3)) {
            assert!(
                Instant::now() < deadline,
                "the dashboard never filled: {:?}; {} log lines; {} GPUs",
                s.sources,
                s.logs.lines,
                s.gpu.gpu_count()
            );
            let Ok(Some(ev)) = tokio::time::timeout(Duration::from_secs(1), rx.recv()).await else {
                continue;
            };
            // as the run loop does: the event, then the views settled (which follows the
            // selected workload's logs)
            let mut effects = update(&mut s, ev);
            effects.extend(flightdeck::app::update::settle(&mut s));
            for effect in effects {
                match effect {
                    Effect::FollowLogs(req) => sources.follow_logs(req, &tx),
                    Effect::StopLogs => sources.stop_logs(),
                    _ => {}
                }
            }
            if full_at.is_none() && filled(&s) {
                full_at = Some(Instant::now());
            }
        }
        flightdeck::app::update::settle(&mut s);
        drop(sources);
    });
    drop(sb);
    drop(rt);
    s
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("render");
    let s = state();
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    terminal
        .draw(|f| flightdeck::ui::render(&s, f))
        .expect("draw");
    let text = common::text(terminal.backend().buffer());
    for shown in ["deploy", "checkout", "GPU", "●"] {
        assert!(
            text.contains(shown),
            "no {shown:?} on the dashboard:\n{text}"
        );
    }
    g.bench_function("dashboard_200x60", |b| {
        b.iter(|| {
            // a fresh buffer each time: the worst case, every cell differs
            terminal.clear().expect("clear");
            terminal
                .draw(|f| flightdeck::ui::render(&s, f))
                .expect("draw");
        })
    });
    let mut help = s.clone();
    help.overlay = Overlay::Help { scroll: 0 };
    help.focus = PaneId::Logs;
    g.bench_function("help_overlay_200x60", |b| {
        b.iter(|| {
            terminal.clear().expect("clear");
            terminal
                .draw(|f| flightdeck::ui::render(&help, f))
                .expect("draw");
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
