//! The logs pane's hot paths.
//!
//! `cargo bench --bench logs`
//!
//! - `ingest`: sanitise + parse (seed JSON and plain lines, kubelet timestamps) + append to
//!   the ring, per line (target: ≥ 200,000 lines/s on one core, i.e. ≤ 5 µs/line).
//! - `burst_then_key`: with the ring full (50,000 lines kept of 100,000), each iteration
//!   times a burst of 5,000 new lines through `update` (a second of a 5,000 lines/s flood),
//!   one keypress through `update` and one whole frame drawn on a cleared buffer (target:
//!   within one frame, 33 ms).

#[path = "../tests/support/common.rs"]
#[allow(dead_code)] // a bench uses a part of what the tests share
mod common;

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flightdeck::app::event::Event;
use flightdeck::app::panes::logs::{self, LogsData};
use flightdeck::app::state::State;
use flightdeck::app::update::update;
use flightdeck::pane::PaneId;
use flightdeck::sources::logs::ingest::parse_line;
use flightdeck::sources::logs::{LogTarget, LogsMsg};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const BATCH: usize = 10_000;

fn lines(n: usize, salt: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            let k = i + salt;
            // a line a millisecond, on through hours and days (the timed burst goes on
            // from where the last stopped, later each time)
            let ts = format!(
                "2026-09-{:02}T{:02}:{:02}:{:02}.{:09}Z",
                1 + (k / 86_400_000) % 28,
                (k / 3_600_000) % 24,
                (k / 60_000) % 60,
                (k / 1000) % 60,
                (k % 1000) * 1_000_000
            );
            match k % 10 {
                9 => format!("{ts} plain text line {k}: connection pool 12 idle, 3 active"),
                8 => format!(
                    "{ts} {{\"timestamp\":\"{ts}\",\"level\":\"warn\",\"requestId\":\"req-{k:08x}\",\"component\":\"db\",\"message\":\"slow query\",\"metadata\":{{\"durationMs\":{},\"table\":\"orders\"}}}}",
                    k % 2000
                ),
                _ => format!(
                    "{ts} {{\"timestamp\":\"{ts}\",\"level\":\"info\",\"requestId\":\"req-{k:08x}\",\"component\":\"http\",\"message\":\"GET /api/cart/{k} 200\",\"metadata\":{{\"latencyMs\":{},\"status\":200,\"path\":\"/api/cart\",\"method\":\"GET\"}}}}",
                    k % 300
                ),
            }
            .into_bytes()
        })
        .collect()
}

fn ingest(c: &mut Criterion) {
    let raw = lines(BATCH, 0);
    let mut g = c.benchmark_group("logs");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("ingest", |b| {
        let mut buf = LogsData::with_cap(50_000);
        b.iter(|| {
            let parsed = raw.iter().map(|l| parse_line(l)).collect();
            buf.append("checkout-7d9f8-abcde", parsed);
            black_box(buf.lines)
        })
    });
    g.finish();
}

fn state() -> State {
    let mut s = common::state_builder()
        .theme("dark")
        .at(jiff::Timestamp::from_second(1_790_000_000).expect("time"))
        .focus(PaneId::Logs)
        .size(200, 50)
        .build();
    let _ = logs::follow(
        &mut s,
        LogTarget::Selector {
            namespace: "shop".into(),
            selector: "app=checkout".into(),
            label: "checkout".into(),
        },
    );
    s
}

/// What the events of the followed stream carry.
struct Tags {
    generation: u64,
    stream: u64,
    now: jiff::Timestamp,
}

fn tags(s: &State) -> Tags {
    Tags {
        generation: s.generation,
        stream: s.logs.stream,
        now: s.now,
    }
}

/// `n` lines from 4 pods, in the source's batches of 100, as the events the run loop gets;
/// `salt` makes their times later than any before.
fn burst_events(s: &Tags, n: usize, salt: usize) -> Vec<Event> {
    let mut out = Vec::new();
    for (p, pod) in ["a1b2c", "d3e4f", "g5h6i", "j7k8l"].iter().enumerate() {
        let raw = lines(n / 4, salt + p * 7);
        for chunk in raw.chunks(100) {
            out.push(Event::Logs {
                generation: s.generation,
                msg: LogsMsg::Lines {
                    stream: s.stream,
                    pod: format!("checkout-7d9f8-{pod}"),
                    lines: chunk.iter().map(|l| parse_line(l)).collect(),
                    at: s.now,
                },
            });
        }
    }
    out
}

fn burst(c: &mut Criterion) {
    let mut s = state();
    // the ring full first: 100,000 lines through update (it keeps the last 50,000)
    let t = tags(&s);
    for ev in burst_events(&t, 100_000, 0) {
        update(&mut s, ev);
    }
    assert_eq!(s.logs.lines, 50_000);
    s.pane_mut(PaneId::Logs).filter = "cart".into();
    let mut term = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    let keys = [KeyCode::Char('k'), KeyCode::Char('j'), KeyCode::Char('n')];
    let mut i = 0;
    let mut salt = 100_000;
    // timed: a burst of BURST lines (a second of a 5,000 lines/s flood) through update, then
    // a keypress, then a whole frame (the buffer cleared, so every cell is written); the
    // lines are parsed outside (the source task parses them)
    const BURST: usize = 5_000;
    c.bench_function("logs/burst_then_key", |b| {
        b.iter_batched(
            || {
                salt += BURST;
                burst_events(&t, BURST, salt)
            },
            |events| {
                for ev in events {
                    update(&mut s, ev);
                }
                i += 1;
                update(
                    &mut s,
                    Event::Key(KeyEvent::new(keys[i % keys.len()], KeyModifiers::NONE)),
                );
                term.clear().expect("clear");
                term.draw(|f| flightdeck::ui::render(&s, f)).expect("draw");
            },
            BatchSize::SmallInput,
        )
    });
    assert_eq!(s.logs.lines, 50_000, "the ring stays full");
}

criterion_group!(benches, ingest, burst);
criterion_main!(benches);
