//! The memory budget: 30 minutes of history for 200 services under 10 MB, measured with a
//! counting allocator (this test is alone in its binary so nothing else allocates meanwhile).

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

fn fill(interval: Duration) -> (usize, isize) {
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
    for (interval, label) in [
        (Duration::from_secs(1), "1 s"),
        (Duration::from_secs(15), "15 s"),
    ] {
        let (points, held) = fill(interval);
        eprintln!(
            "30 min at {label}, 200 services: {points} points each, {held} bytes ({:.2} MiB)",
            held as f64 / (1024.0 * 1024.0)
        );
        assert_eq!(points, 30 * 60 / interval.as_secs() as usize + 1);
        assert!(held < 10_000_000, "{held} bytes");
    }
}
