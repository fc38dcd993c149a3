//! 150,000 pods (Kubernetes' own limit per cluster) through `update` in pages of 500, as
//! the watcher hands a paginated list to the ui task: the first page is drawn before the
//! list ends (with how far it has got), and what the console holds for them stays under a
//! budget, measured by a counting allocator (alone in its binary, so nothing else
//! allocates meanwhile). The speed is measured, not asserted: `scripts/bench-workloads.sh`.

#[path = "support/common.rs"]
#[allow(dead_code)] // this binary uses a part of what the tests share
mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use flightdeck::app::{Event, State, update};
use flightdeck::sources::kube::model::{ListProgress, ObjKey, PodRow, Rows, WorkloadsMsg};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

fn grew(by: isize) {
    let now = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: forwards to the system allocator unchanged and only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size() as isize);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        grew(new_size as isize - layout.size() as isize);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const PODS: usize = 150_000;
const PAGE: usize = 500;
/// What the console may hold for 150,000 pods (rows, indexes, the sorted views): README's
/// bar for the whole process is RSS < 300 MB at this size.
const BUDGET: isize = 200 * 1024 * 1024;

fn feed(s: &mut State, msg: WorkloadsMsg) {
    let generation = s.generation;
    update(s, Event::Kube { generation, msg });
}

#[test]
fn a_150000_pod_list_is_drawn_from_its_first_page_and_held_under_budget() {
    let mut s = common::state_builder()
        .theme("dark")
        .namespace("load-000")
        .at(jiff::Timestamp::now())
        .zoomed()
        .size(200, 60)
        .build();
    common::keys(&mut s, ": p o d s enter");
    let template = common::template_pod();
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let mut first_page_screen = String::new();
    for (n, start) in (0..PODS).step_by(PAGE).enumerate() {
        let rows: Vec<PodRow> = (start..(start + PAGE).min(PODS))
            .map(|i| {
                let mut p = template.clone();
                p.key = ObjKey::new("load-000", &format!("svc-00-abc-{i:06}"));
                p
            })
            .collect();
        let listed = start + rows.len();
        let done = listed == PODS;
        feed(
            &mut s,
            WorkloadsMsg::Page {
                rows: Rows::Pods(rows),
                first: n == 0,
                done,
                progress: ListProgress {
                    listed,
                    total: Some(PODS),
                },
            },
        );
        if n == 0 {
            let _ = flightdeck::app::update::settle(&mut s);
            first_page_screen = common::screen(&s);
        }
    }
    let _ = flightdeck::app::update::settle(&mut s);
    let held = LIVE.load(Ordering::Relaxed) - before;
    let peak = PEAK.load(Ordering::Relaxed) - before;
    println!(
        "150,000 pods: {:.1} MB held, {:.1} MB at the peak of the list",
        held as f64 / 1e6,
        peak as f64 / 1e6
    );
    // the first page is on screen while the list goes on, and says how far it has got
    assert!(
        first_page_screen.contains("svc-00-abc-000000"),
        "{first_page_screen}"
    );
    assert!(
        first_page_screen.contains("500 of 150,000"),
        "{first_page_screen}"
    );
    assert_eq!(s.cluster.pods.len(), PODS);
    assert!(held < BUDGET, "{held} bytes held for {PODS} pods");
    assert!(peak < BUDGET, "{peak} bytes at the peak");
    let end = common::screen(&s);
    assert!(!end.contains("of 150,000"), "the list is complete:\n{end}");
}
