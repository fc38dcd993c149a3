//! One frame of the full dashboard at 200x60 (issue 2: under 1 ms), through
//! `Terminal::draw` on a TestBackend, so the diff is included.

#[path = "../tests/support/common.rs"]
#[allow(dead_code)] // a bench uses a part of what the tests share
mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use flightdeck::app::state::Overlay;
use flightdeck::app::{PaneId, State};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn state() -> State {
    common::state_builder()
        .at(jiff::Timestamp::now())
        .size(200, 60)
        .build()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("render");
    let s = state();
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    g.bench_function("dashboard_200x60", |b| {
        b.iter(|| {
            // a fresh buffer each time: the worst case, every cell differs
            terminal.clear().expect("clear");
            terminal
                .draw(|f| flightdeck::ui::render(&s, f))
                .expect("draw");
        })
    });
    let mut help = state();
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
