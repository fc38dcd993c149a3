//! The generic view (any resource through the server-side Table): one frame of a
//! 5,000-row table at 200x60, through `Terminal::draw` on a TestBackend, and what a watch
//! event costs before the next frame (the row applied, the shown order rebuilt).

#[path = "../tests/support/common.rs"]
#[allow(dead_code)] // a bench uses a part of what the tests share
mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use flightdeck::app::{Effect, Event, PaneId, State, update};
use flightdeck::sources::kube::model::{ApiResource, TableColumn, TableMsg, TableRow};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const ROWS: usize = 5_000;

fn column(name: &str, priority: i32, kind: &str) -> TableColumn {
    TableColumn {
        name: name.into(),
        priority,
        kind: kind.into(),
    }
}

fn row(i: usize) -> TableRow {
    let name = format!("configmap-{i:05}-{}", "x".repeat(i % 17));
    TableRow {
        uid: format!("uid-{i}"),
        namespace: format!("team-{:03}", i % 150),
        name: name.clone(),
        resource_version: i.to_string(),
        cells: vec![
            name,
            (i % 9).to_string(),
            format!("{}d", i % 30 + 1),
            format!("owner-{}", i % 40),
            "created by the release pipeline, managed by helm".into(),
        ],
    }
}

fn state() -> (State, u64) {
    let mut s = common::state_builder()
        .at(jiff::Timestamp::now())
        .namespace(None::<&str>)
        .size(200, 60)
        .focus(PaneId::Workloads)
        .zoomed()
        .build();
    let resource = ApiResource {
        group: String::new(),
        version: "v1".into(),
        plural: "configmaps".into(),
        singular: "configmap".into(),
        kind: "ConfigMap".into(),
        namespaced: true,
        short_names: vec!["cm".into()],
        verbs: vec!["list".into(), "watch".into()],
    };
    let effects = flightdeck::app::panes::workloads::generic::open(&mut s, resource);
    let Some(Effect::WatchTable(req)) = effects.first() else {
        panic!("no table asked for");
    };
    let view = req.view;
    let generation = s.generation;
    update(
        &mut s,
        Event::Table {
            generation,
            msg: TableMsg::Listed {
                view,
                columns: vec![
                    column("Name", 0, "string"),
                    column("Data", 0, "integer"),
                    column("Age", 0, "date"),
                    column("Owner", 1, "string"),
                    column("Description", 1, "string"),
                ],
                rows: (0..ROWS).map(row).collect(),
            },
        },
    );
    update::settle(&mut s);
    // the cursor in the middle: a frame away from the top
    s.panes.entry(PaneId::Workloads).or_default().selected = ROWS / 2;
    (s, view)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("generic");
    let (mut s, view) = state();
    assert_eq!(
        s.workloads.generic.as_ref().map(|g| g.shown.len()),
        Some(ROWS)
    );
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    g.bench_function("table_frame_5000_rows_200x60", |b| {
        b.iter(|| {
            // a fresh buffer each time: the worst case, every cell differs
            terminal.clear().expect("clear");
            terminal
                .draw(|f| flightdeck::ui::render(&s, f))
                .expect("draw");
        })
    });
    let mut i = 0usize;
    g.bench_function("watch_event_5000_rows", |b| {
        b.iter(|| {
            i += 1;
            let mut r = row(i % ROWS);
            r.cells[1] = i.to_string();
            let generation = s.generation;
            update(
                &mut s,
                Event::Table {
                    generation,
                    msg: TableMsg::Applied {
                        view,
                        rows: vec![r],
                    },
                },
            );
            update::settle(&mut s);
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
