//! Memory of the error-rate history: 30 minutes for 200 services, at 1 s and 15 s
//! intervals, counted by the test's allocator (the budget, < 10 MB, is asserted by
//! `tests/metrics_memory.rs`; this prints the figures for the README).

use std::time::Duration;

#[path = "../tests/metrics_memory.rs"]
mod memory;

fn main() {
    for (interval, label) in [
        (Duration::from_secs(1), "1 s"),
        (Duration::from_secs(15), "15 s"),
    ] {
        let (points, held) = memory::fill(interval);
        println!(
            "30 min at {label}, 200 services: {points} points each, {held} bytes ({:.2} MiB)",
            held as f64 / (1024.0 * 1024.0)
        );
    }
}
