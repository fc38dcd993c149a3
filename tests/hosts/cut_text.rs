//! Cut text keeps its meaning in the Hosts pane (#28), at 80, 120 and 200 columns: a failing
//! health check says why (`HTTP 503 (expected 200)`) before how long, and an age never sits
//! beside a latency (`for 30s 0ms`); a list that hides lines or rows says `n of m`; a GPU
//! running hot (or faulty) stays in view whatever host it is on.

use crate::support::common;

use flightdeck::app::{Event, PaneId, State, update};
use flightdeck::sources::gpu::{GpuSample, GpuUpdate, HostSample, Memory};
use flightdeck::sources::health::{HealthFailure, HealthSample};
use jiff::Timestamp;
use std::time::Duration;

/// 2026-11-23 03:00:00 UTC.
const NOW_MS: i64 = 1_795_402_800_000;
const GIB: u64 = 1 << 30;
const SIZES: [(u16, u16); 3] = [(80, 24), (120, 40), (200, 50)];

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).expect("valid time")
}

fn state() -> State {
    let mut toml = String::new();
    for name in [
        "frontend", "checkout", "cart", "payments", "search", "orders",
    ] {
        toml.push_str(&format!(
            "[[health]]\nname = \"{name}\"\nurl = \"http://shop.invalid/health/{name}\"\nenvironment = \"prod\"\n\n"
        ));
    }
    toml.push_str(
        "[[gpu.host]]\nname = \"dgx-01\"\nscrape = \"http://dgx-01.invalid:9400/metrics\"\n",
    );
    toml.push_str(
        "[[gpu.host]]\nname = \"dgx-02\"\nscrape = \"http://dgx-02.invalid:9400/metrics\"\n",
    );
    common::state_builder()
        .config_toml(&toml)
        .theme("dark")
        .at(ts(NOW_MS))
        // the normal layout as it opens: the focus on Workloads, not on this pane
        .focus(PaneId::Workloads)
        .build()
}

fn gpu(host: &str, index: u32, temp: u32) -> GpuSample {
    let mut g = GpuSample::empty(host, index, format!("GPU-{host}-{index:04}"));
    g.name = Some("NVIDIA H100 80GB HBM3".into());
    g.util_gpu_pct = Some(40);
    g.memory = Memory::Dedicated {
        used_bytes: 40 * GIB,
        total_bytes: 80 * GIB,
    };
    g.temperature_c = Some(temp);
    g.temp_slowdown_c = Some(87);
    g.temp_shutdown_c = Some(92);
    g.power_w = Some(400.0);
    g.power_limit_w = Some(700.0);
    g.throttle = Some(vec![]);
    g
}

/// Health samples: checkout answers 503 seven times in a row (the last at NOW, with a
/// latency under a millisecond), the others 200; two DGX hosts, GPU 5 of the second one
/// at 88 °C (its slowdown is 87).
fn fed() -> State {
    let mut s = state();
    for i in 0..7 {
        let at = ts(NOW_MS - (6 - i) * 5_000);
        for name in [
            "frontend", "checkout", "cart", "payments", "search", "orders",
        ] {
            let result = if name == "checkout" {
                Err(HealthFailure::Status {
                    status: 503,
                    expected: 200,
                })
            } else {
                Ok(200)
            };
            update(
                &mut s,
                Event::Health(HealthSample {
                    name: name.into(),
                    at,
                    latency: Some(Duration::from_micros(300)),
                    result,
                }),
            );
        }
    }
    for host in ["dgx-01", "dgx-02"] {
        let gpus = (0..8)
            .map(|i| gpu(host, i, if host == "dgx-02" && i == 5 { 88 } else { 50 }))
            .collect();
        update(
            &mut s,
            Event::Gpu(GpuUpdate::Host(HostSample {
                host: host.into(),
                time: ts(NOW_MS),
                gpus,
                error: None,
                driver_version: Some("580.95.05".into()),
            })),
        );
    }
    s
}

/// The Hosts pane's lines, between its borders.
fn hosts_pane(t: &str) -> Vec<String> {
    let lines: Vec<&str> = t.lines().collect();
    let top = lines
        .iter()
        .position(|l| l.starts_with("┏ Hosts") || l.starts_with("┌ Hosts"))
        .expect("Hosts pane on screen");
    let width = lines[top]
        .chars()
        .take_while(|c| *c != '┐' && *c != '┓')
        .count();
    lines[top + 1..]
        .iter()
        .take_while(|l| !l.starts_with('┗') && !l.starts_with('└'))
        .map(|l| l.chars().skip(1).take(width.saturating_sub(1)).collect())
        .collect()
}

#[test]
fn a_failing_check_says_why_and_hidden_lines_are_counted() {
    let s = fed();
    for (w, h) in SIZES {
        let t = common::cells(&common::draw_at(&s, w, h));
        let pane = hosts_pane(&t);
        let all = pane.join("\n");
        let down = pane
            .iter()
            .find(|l| l.contains("DOWN"))
            .unwrap_or_else(|| panic!("the failing check at {w}x{h}:\n{all}"));
        assert!(down.contains("HTTP 503 (expected 200)"), "{w}x{h}: {down}");
        // an age is never followed by a latency: `for 30s 0ms` reads as one duration
        let glued = regex_like_age_then_ms(&all);
        assert!(!glued, "{w}x{h}:\n{all}");
        // the healthy checks that do not fit are counted, never silently gone
        let shown = pane.iter().filter(|l| l.contains("up 200")).count();
        if shown < 5 {
            assert!(
                all.contains(" lines ↓"),
                "{w}x{h} shows {shown} of 5:\n{all}"
            );
        }
        insta::assert_snapshot!(format!("hosts_failing_check_{w}x{h}"), all);
    }
}

#[test]
fn a_hot_gpu_on_any_host_stays_in_view_and_hidden_rows_are_counted() {
    let mut s = fed();
    s.hosts.health.clear();
    for (w, h) in SIZES {
        let t = common::cells(&common::draw_at(&s, w, h));
        let pane = hosts_pane(&t);
        let all = pane.join("\n");
        assert!(all.contains("dgx-02"), "{w}x{h}:\n{all}");
        assert!(
            pane.iter()
                .any(|l| l.starts_with("5 ") && l.contains(" 88")),
            "the hot GPU at {w}x{h}:\n{all}"
        );
        let gpu_rows = pane.iter().filter(|l| l.contains("H10")).count();
        if gpu_rows < 16 {
            assert!(all.contains(" of 18 rows"), "{w}x{h}:\n{all}");
        }
        insta::assert_snapshot!(format!("hosts_hot_gpu_{w}x{h}"), all);
    }
}

#[test]
fn the_fleet_summary_keeps_a_noun_after_every_number() {
    let mut s = fed();
    s.hosts.health.clear();
    for (w, h) in SIZES {
        let t = common::cells(&common::draw_at(&s, w, h));
        let pane = hosts_pane(&t);
        let all = pane.join("\n");
        let line = pane
            .iter()
            .find_map(|l| l.trim().strip_prefix("fleet: "))
            .unwrap_or_else(|| panic!("the fleet line at {w}x{h}:\n{all}"));
        let parts: Vec<&str> = line.split(" · ").map(str::trim).collect();
        for part in &parts {
            let mut words = part.split(' ');
            let number = words.next().unwrap_or_default();
            let noun = words.next().unwrap_or_default();
            assert!(
                number.parse::<u64>().is_ok()
                    && noun.chars().all(char::is_alphabetic)
                    && !noun.is_empty(),
                "{w}x{h}: `{part}` in `{line}`"
            );
        }
        // what a person must act on stays: the hot GPU is counted at every width
        assert!(parts.contains(&"1 hot"), "{w}x{h}: {line}");
        assert!(
            parts.contains(&"2 hosts") && parts.contains(&"16 GPUs"),
            "{w}x{h}: {line}"
        );
    }
}

/// `30s 0ms`, `2m 12ms`: a compact age right before a latency.
fn regex_like_age_then_ms(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    words.windows(2).any(|w| {
        let age = w[0]
            .strip_suffix(['s', 'm', 'h', 'd'])
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        let ms = w[1]
            .strip_suffix("ms")
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        age && ms
    })
}
