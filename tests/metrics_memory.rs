//! The memory budget: 30 minutes of history for 200 services under 10 MB, measured with a
//! counting allocator (this test is alone in its binary so nothing else allocates meanwhile).
//! `cargo bench --bench metrics_memory` runs the same fill and prints the figures.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Duration;

use flightdeck::app::panes::errors::ErrorRateState;
use flightdeck::sources::metrics::{Health, MetricsUpdate, Point, ServiceHealth, ServicePoints};
use jiff::Timestamp;

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator unchanged and only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Fills 30 minutes of history for 200 services at `interval`: (points per service, bytes
/// held).
pub fn fill(interval: Duration) -> (usize, isize) {
    let services: Vec<String> = (0..200).map(|i| format!("service-{i:03}")).collect();
    let before = LIVE.load(Ordering::Relaxed);
    let mut state = ErrorRateState::new(Duration::from_secs(30 * 60), interval);
    let steps = state.capacity() + 60; // past the window, so trimming runs
    let start = Timestamp::from_second(1_700_000_000).expect("valid");
    for step in 0..steps {
        let at_ms = start.as_millisecond() + step as i64 * interval.as_millis() as i64;
        let at = Timestamp::from_millisecond(at_ms).expect("valid");
        let mut update = MetricsUpdate::new(at);
        for service in &services {
            update.points.push(ServicePoints {
                service: service.clone(),
                by_revision: Vec::new(),
                points: vec![Point {
                    at_ms,
                    error_ratio: 0.01,
                    request_rate: 120.0,
                    p95_seconds: 0.25,
                }],
            });
            update.health.push(ServiceHealth {
                service: service.clone(),
                source: format!("http://{service}:8080/metrics"),
                health: Health::Up,
                at,
            });
        }
        state.apply(update);
    }
    let held = LIVE.load(Ordering::Relaxed) - before;
    let points = state.service("service-000").map_or(0, |s| s.history.len());
    drop(state);
    (points, held)
}

#[test]
fn thirty_minutes_for_200_services_under_10_mb() {
    for interval in [Duration::from_secs(1), Duration::from_secs(15)] {
        let (points, held) = fill(interval);
        assert_eq!(points, 30 * 60 / interval.as_secs() as usize + 1);
        assert!(held < 10_000_000, "{interval:?}: {held} bytes");
    }
}
