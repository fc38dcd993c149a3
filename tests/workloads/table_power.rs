//! Sorting any Workloads table by any column (the `o` menu, `O` reverses) with ▲/▼ on the
//! sorted header, numbers and ages as values; `space` marks rows, the count in the pane's
//! title, marks surviving re-sorts and watch updates and cleared on a scope change; delete
//! of the marked rows as one operation listing them all.

use crate::support;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flightdeck::app::panes::workloads::{TableId, WorkloadRef, table_keys};
use flightdeck::app::state::{Overlay, State};
use flightdeck::app::table_sort::ColumnSort;
use flightdeck::app::{Effect, Event, update};
use flightdeck::ops::Operation;
use flightdeck::pane::PaneId;
use flightdeck::sources::kube::WorkloadKind;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use support::workloads::{fixture, state};

fn fed() -> State {
    let mut s = state(Some("shop"));
    for msg in fixture::messages() {
        let generation = s.generation;
        update(&mut s, Event::Kube { generation, msg });
    }
    s.focus = PaneId::Workloads;
    update::settle(&mut s);
    s
}

fn key(s: &mut State, code: KeyCode) -> Vec<Effect> {
    let e = update(s, Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    update::settle(s);
    e
}

fn screen(s: &State) -> String {
    let mut s = s.clone();
    s.size = (140, 40);
    let mut t = Terminal::new(TestBackend::new(140, 40)).expect("terminal");
    t.draw(|f| flightdeck::ui::render(&s, f)).expect("draw");
    let buf = t.backend().buffer();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn names(s: &State) -> Vec<String> {
    table_keys(s).iter().map(|w| w.key.name.clone()).collect()
}

fn restarts(s: &State) -> Vec<i32> {
    table_keys(s)
        .iter()
        .map(|w| s.cluster.pods[&w.key].restarts)
        .collect()
}

/// Opens the sort menu and picks `column` in it.
fn sort_by(s: &mut State, column: &str) {
    key(s, KeyCode::Char('o'));
    let (_, menu) = s.workloads.sort_menu.clone().expect("the sort menu");
    let at = menu
        .columns
        .iter()
        .position(|c| c == column)
        .unwrap_or_else(|| panic!("{column} in {:?}", menu.columns))
        + 1;
    key(s, KeyCode::Char('g'));
    key(s, KeyCode::Char('g'));
    for _ in 0..at {
        key(s, KeyCode::Char('j'));
    }
    key(s, KeyCode::Enter);
    assert!(s.workloads.sort_menu.is_none());
}

#[test]
fn any_column_sorts_numbers_as_numbers_with_the_arrow_on_its_header() {
    let mut s = fed();
    update::run_command(&mut s, "pods");
    s.overlay = Overlay::None;
    update::settle(&mut s);
    let default = names(&s);
    assert_eq!(default.len(), 9);
    // trouble first by default: the crash-looping pods on top
    assert!(default[0].starts_with("checkout-7f9c"), "{default:?}");

    // the menu lists the table's columns, the default order first
    key(&mut s, KeyCode::Char('o'));
    let (table, menu) = s.workloads.sort_menu.clone().expect("menu");
    assert_eq!(
        table,
        TableId::Main(flightdeck::app::panes::workloads::Narrow::Pods)
    );
    assert_eq!(
        menu.columns,
        ["POD", "READY", "STATUS", "RESTARTS", "OWNER", "NODE", "AGE"]
    );
    assert!(screen(&s).contains(" sort by "), "{}", screen(&s));
    key(&mut s, KeyCode::Esc);
    assert!(s.workloads.sort_menu.is_none());

    sort_by(&mut s, "RESTARTS");
    let r = restarts(&s);
    assert!(r.windows(2).all(|w| w[0] <= w[1]), "{r:?}");
    assert_eq!(r[r.len() - 2..], [8, 9]);
    let text = screen(&s);
    assert!(text.contains("RESTARTS▲"), "{text}");
    // O reverses, and the arrow follows
    key(&mut s, KeyCode::Char('O'));
    let r = restarts(&s);
    assert_eq!(r[..2], [9, 8], "{r:?}");
    let text = screen(&s);
    assert!(
        text.contains("RESTARTS▼") && !text.contains("RESTARTS▲"),
        "{text}"
    );
    // picking the sorted column again reverses it too
    sort_by(&mut s, "RESTARTS");
    assert_eq!(
        s.workloads.sorts[&TableId::Main(flightdeck::app::panes::workloads::Narrow::Pods)],
        ColumnSort::by("RESTARTS", false)
    );

    // names in natural order
    sort_by(&mut s, "POD");
    let n = names(&s);
    let mut sorted = n.clone();
    sorted.sort();
    assert_eq!(n, sorted);
    assert!(screen(&s).contains("POD▲"));

    // the default order again, no arrow
    key(&mut s, KeyCode::Char('o'));
    key(&mut s, KeyCode::Char('g'));
    key(&mut s, KeyCode::Char('g'));
    key(&mut s, KeyCode::Enter);
    assert_eq!(names(&s), default);
    let text = screen(&s);
    assert!(!text.contains('▲') && !text.contains('▼'), "{text}");

    // the order is the table's own: the deployments table keeps its default
    update::run_command(&mut s, "deploy");
    s.overlay = Overlay::None;
    sort_by(&mut s, "READY");
    let ready: Vec<f64> = table_keys(&s)
        .iter()
        .map(|w| {
            let d = &s.cluster.deployments[&w.key];
            f64::from(d.ready) / f64::from(d.desired)
        })
        .collect();
    assert!(ready.windows(2).all(|w| w[0] <= w[1]), "{ready:?}");
    assert!(screen(&s).contains("READY▲"), "{}", screen(&s));
    update::run_command(&mut s, "pods");
    s.overlay = Overlay::None;
    update::settle(&mut s);
    assert_eq!(names(&s), default, "the pods table kept its own order");
}

#[test]
fn marks_survive_resorts_and_updates_and_delete_them_in_one_batch() {
    let mut s = fed();
    update::run_command(&mut s, "pods");
    s.overlay = Overlay::None;
    update::settle(&mut s);
    let first_two: Vec<WorkloadRef> = table_keys(&s)[..2].to_vec();
    key(&mut s, KeyCode::Char(' '));
    key(&mut s, KeyCode::Char(' '));
    assert_eq!(
        s.workloads.marks.iter().cloned().collect::<Vec<_>>().len(),
        2
    );
    for w in &first_two {
        assert!(s.workloads.marks.contains(w), "{w:?}");
    }
    assert!(screen(&s).contains("2 marked"), "{}", screen(&s));
    // a re-sort and a watch update keep them
    sort_by(&mut s, "AGE");
    let generation = s.generation;
    update(
        &mut s,
        Event::Kube {
            generation,
            msg: fixture::now_crashing("cart-5d4-m2", "cart-5d4", "cart"),
        },
    );
    update::settle(&mut s);
    for w in &first_two {
        assert!(s.workloads.marks.contains(w), "{w:?}");
    }
    // space again unmarks the row under the cursor
    let at = |s: &State, w: &WorkloadRef| table_keys(s).iter().position(|x| x == w).unwrap();
    let i = at(&s, &first_two[0]);
    s.pane_mut(PaneId::Workloads).selected = i;
    key(&mut s, KeyCode::Char(' '));
    assert!(!s.workloads.marks.contains(&first_two[0]));
    assert!(s.workloads.marks.contains(&first_two[1]));
    // two more rows marked
    let others: Vec<WorkloadRef> = table_keys(&s)
        .iter()
        .filter(|w| !first_two.contains(w))
        .take(2)
        .cloned()
        .collect();
    for w in &others {
        let i = at(&s, w);
        s.pane_mut(PaneId::Workloads).selected = i;
        key(&mut s, KeyCode::Char(' '));
    }
    let marked: Vec<WorkloadRef> = s.workloads.marks.iter().cloned().collect();
    assert_eq!(marked.len(), 3, "{marked:?}");
    assert!(screen(&s).contains("3 marked"));

    // D: one operation for every marked row, each its own delete
    let e = key(&mut s, KeyCode::Char('D'));
    let ops: Vec<&Operation> = e
        .iter()
        .filter_map(|e| match e {
            Effect::PlanOperation(op) => Some(op),
            _ => None,
        })
        .collect();
    assert_eq!(ops.len(), 1, "{e:?}");
    let Operation::Batch { items } = ops[0] else {
        panic!("a batch: {:?}", ops[0]);
    };
    assert_eq!(items.len(), 3);
    for (item, w) in items.iter().zip(&marked) {
        assert_eq!(w.kind, WorkloadKind::Pod);
        assert_eq!(item.op.object(), format!("pod/{}", w.key.name));
    }
    s.overlay = Overlay::None;

    // a scope change clears them
    update::run_command(&mut s, "ns other");
    assert!(s.workloads.marks.is_empty());
}

#[test]
fn restart_of_marked_rows_is_one_batch_and_says_which_rows_cannot() {
    let mut s = fed();
    // the deployments table: both marked deployments restart in one batch
    key(&mut s, KeyCode::Char(' '));
    key(&mut s, KeyCode::Char(' '));
    let e = key(&mut s, KeyCode::Char('r'));
    let batch = e.iter().find_map(|e| match e {
        Effect::PlanOperation(Operation::Batch { items }) => Some(items.clone()),
        _ => None,
    });
    let items = batch.unwrap_or_else(|| panic!("a batch: {e:?}"));
    assert_eq!(items.len(), 2);
    assert!(
        items
            .iter()
            .all(|i| matches!(i.op, Operation::Restart { .. })),
        "{items:?}"
    );
    s.overlay = Overlay::None;
    // marks are the list's: into a pods list they are cleared; a pod is not restarted
    key(&mut s, KeyCode::Char('p'));
    assert!(s.workloads.marks.is_empty());
    key(&mut s, KeyCode::Char(' '));
    let e = key(&mut s, KeyCode::Char('r'));
    assert!(
        !e.iter().any(|e| matches!(e, Effect::PlanOperation(_))),
        "{e:?}"
    );
    let flash = s.flash.as_ref().map(|f| f.text.clone()).unwrap_or_default();
    assert!(flash.contains("cannot be restarted"), "{flash}");
    // esc clears the marks first, then leaves the pods list
    key(&mut s, KeyCode::Esc);
    assert!(s.workloads.marks.is_empty());
    assert!(matches!(
        s.workloads.section,
        flightdeck::app::panes::workloads::Section::Pods { .. }
    ));
}
