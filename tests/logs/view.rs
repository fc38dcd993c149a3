//! The logs pane without a cluster: lines fed through `update`, drawn through `ui::render`.
//! Hostile bytes (fuzz), the ring cap, the reading keys, and snapshots.

use crate::support::common;

use flightdeck::app::event::Event;
use flightdeck::app::panes::logs::{self, LevelFilter};
use flightdeck::app::state::{SourceId, SourceStatus, State};
use flightdeck::app::update::{apply, run_command, update};
use flightdeck::app::{Action, Effect};
use flightdeck::pane::PaneId;
use flightdeck::sources::logs::ingest::{MAX_LINE, parse_line};
use flightdeck::sources::logs::{LogTarget, LogsMsg};
use jiff::{Timestamp, ToSpan};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn state() -> State {
    let mut s = common::state_builder()
        .theme("dark")
        .at(jiff::Timestamp::from_second(1_790_000_000).expect("time"))
        .focus(PaneId::Logs)
        .zoomed()
        .size(100, 20)
        .build();
    // the time column's local zone, the same on every machine
    s.logs.tz = jiff::tz::TimeZone::fixed(jiff::tz::offset(1));
    let effects = logs::follow(
        &mut s,
        LogTarget::Selector {
            namespace: "shop".into(),
            selector: "app=checkout".into(),
            label: "checkout".into(),
        },
    );
    assert!(matches!(effects.as_slice(), [Effect::FollowLogs(_)]));
    s
}

fn feed(s: &mut State, pod: &str, raw: &[&[u8]]) {
    let at = s.now;
    feed_at(s, pod, raw, at);
}

/// Lines of `pod` that the source read at `at`.
fn feed_at(s: &mut State, pod: &str, raw: &[&[u8]], at: Timestamp) {
    let lines = raw.iter().map(|r| parse_line(r)).collect();
    let ev = Event::Logs {
        generation: s.generation,
        msg: LogsMsg::Lines {
            stream: s.logs.stream,
            pod: pod.into(),
            lines,
            at,
        },
    };
    update(s, ev);
}

fn joined(s: &mut State, pod: &str) {
    let at = s.now;
    joined_at(s, pod, at);
}

fn joined_at(s: &mut State, pod: &str, at: Timestamp) {
    let ev = Event::Logs {
        generation: s.generation,
        msg: LogsMsg::PodJoined {
            stream: s.logs.stream,
            pod: pod.into(),
            container: "checkout".into(),
            containers: vec!["checkout".into()],
            at,
        },
    };
    update(s, ev);
}

/// Sends the message `msg` builds for the current stream.
fn logs_msg(s: &mut State, msg: impl FnOnce(u64) -> LogsMsg) {
    let (generation, stream) = (s.generation, s.logs.stream);
    update(
        s,
        Event::Logs {
            generation,
            msg: msg(stream),
        },
    );
}

/// The pane's header row (the one under the title).
fn header(s: &State) -> String {
    screen(s).lines().nth(1).unwrap_or_default().to_owned()
}

fn screen(s: &State) -> String {
    common::cells(&common::draw_at(s, s.size.0, s.size.1))
}

fn assert_no_controls(s: &State) {
    let (w, h) = s.size;
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    term.draw(|f| flightdeck::ui::render(s, f)).expect("draw");
    for cell in term.backend().buffer().content() {
        let sym = cell.symbol();
        assert!(
            !sym.chars().any(|c| c.is_control()
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')),
            "control character on screen: {sym:?}"
        );
    }
}

fn stamp(i: u32) -> String {
    format!(
        "2026-09-21T14:{:02}:{:02}.{:03}Z",
        (i / 60) % 60,
        i % 60,
        i % 1000
    )
}

fn seed_json(i: u32, level: &str, component: &str, message: &str) -> Vec<u8> {
    format!(
        "{} {{\"timestamp\":\"{}\",\"level\":\"{level}\",\"requestId\":\"req-{i}\",\"component\":\"{component}\",\"message\":\"{message}\",\"metadata\":{{\"n\":{i}}}}}",
        stamp(i),
        stamp(i)
    )
    .into_bytes()
}

/// xorshift: a tiny PRNG, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn fuzz_random_bytes_and_escapes_never_reach_the_screen() {
    let known: [&[u8]; 10] = [
        b"\x1b]52;c;ZXZpbA==\x07",
        b"\x1b]0;owned\x1b\\",
        b"\x1b[2J",
        b"\xc2\x9b2J",
        b"\x9b31m",
        b"\x1bP+q\x1b\\",
        b"\x1b]8;;http://x\x07",
        b"\xe2\x80\xae",
        b"{\"msg\":\"\\u001b]0;json\\u0007\",\"level\":\"\\u001b[31merror\"}",
        b"\r\x08\x7f\x00",
    ];
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut s = state();
    joined(&mut s, "checkout-7d9f-abcde");
    for round in 0..200u32 {
        let mut batch: Vec<Vec<u8>> = Vec::new();
        for _ in 0..10 {
            let mut line = Vec::new();
            let parts = rng.next() % 12;
            for _ in 0..parts {
                let r = rng.next();
                if r.is_multiple_of(2) {
                    line.extend_from_slice(known[(r >> 8) as usize % known.len()]);
                } else {
                    for _ in 0..(r >> 16) % 8 {
                        line.push(rng.next() as u8);
                    }
                }
            }
            batch.push(line);
        }
        let refs: Vec<&[u8]> = batch.iter().map(Vec::as_slice).collect();
        feed(&mut s, "checkout-7d9f-abcde", &refs);
        if round.is_multiple_of(20) {
            assert_no_controls(&s);
            s.logs.wrap = !s.logs.wrap;
            apply(&mut s, Action::Open);
            assert_no_controls(&s);
            apply(&mut s, Action::Open);
        }
    }
    assert_no_controls(&s);
    for e in &s.logs.entries {
        for text in std::iter::once(&e.line.message).chain(e.line.cont.iter()) {
            assert!(!text.chars().any(|c| c.is_control()), "{text:?}");
        }
    }
}

#[test]
fn huge_lines_are_truncated_with_a_marker() {
    let mut s = state();
    let big = vec![b'x'; MAX_LINE * 3];
    feed(&mut s, "checkout-7d9f-abcde", &[&big]);
    let m = &s.logs.entries[0].line.message;
    assert!(m.len() < MAX_LINE + 100);
    assert!(m.ends_with("more bytes]"));
}

#[test]
fn the_ring_cap_holds_lines_and_memory() {
    let mut s = state();
    s.logs.cap = 1000;
    let line = vec![b'y'; 8 * 1024];
    for i in 0..5000u32 {
        let raw = format!("{} line {i} ", stamp(i)).into_bytes();
        let mut full = raw.clone();
        full.extend_from_slice(&line);
        feed(&mut s, "checkout-7d9f-abcde", &[&full]);
    }
    assert!(s.logs.lines <= 1000);
    assert_eq!(s.logs.evicted, 4000);
    assert!(s.logs.bytes <= 1000 * (8 * 1024 + 512));
    // the byte budget bounds memory whatever the line cap
    let mut s = state();
    s.logs.byte_cap = 1 << 20;
    let huge = vec![b'z'; MAX_LINE];
    for _ in 0..100 {
        feed(&mut s, "p", &[&huge]);
    }
    assert!(s.logs.bytes <= 1 << 20);
    assert!(s.logs.entries.len() < 20);
}

fn sample(s: &mut State) {
    joined(s, "checkout-7d9f8-abcde");
    joined(s, "checkout-7d9f8-xk2p4");
    let a: Vec<Vec<u8>> = vec![
        seed_json(1, "info", "http", "GET /api/cart 200"),
        seed_json(3, "warn", "db", "slow query"),
        format!("{} panic: runtime error: invalid memory address", stamp(5)).into_bytes(),
        format!("{} goroutine 87 [running]:", stamp(5)).into_bytes(),
        format!("{} \t/src/internal/payments/client.go:142 +0x41", stamp(5)).into_bytes(),
    ];
    let b: Vec<Vec<u8>> = vec![
        seed_json(2, "info", "http", "POST /api/checkout 200"),
        seed_json(4, "error", "payments-client", "upstream timeout"),
        format!("{} plain text line from the other pod", stamp(6)).into_bytes(),
    ];
    feed(
        s,
        "checkout-7d9f8-abcde",
        &a.iter().map(Vec::as_slice).collect::<Vec<_>>(),
    );
    feed(
        s,
        "checkout-7d9f8-xk2p4",
        &b.iter().map(Vec::as_slice).collect::<Vec<_>>(),
    );
}

#[test]
fn pods_merge_in_time_order_and_levels_filter() {
    let mut s = state();
    sample(&mut s);
    let msgs: Vec<&str> = s
        .logs
        .entries
        .iter()
        .filter(|e| e.line.time.is_some())
        .map(|e| e.line.message.as_str())
        .collect();
    assert_eq!(
        msgs,
        vec![
            "GET /api/cart 200",
            "POST /api/checkout 200",
            "slow query",
            "upstream timeout",
            "panic: runtime error: invalid memory address",
            "plain text line from the other pod",
        ]
    );
    apply(&mut s, Action::LogsLevel);
    assert_eq!(s.logs.level, LevelFilter::Warn);
    let screen = screen(&s);
    assert!(screen.contains("slow query") && !screen.contains("GET /api/cart"));
    apply(&mut s, Action::LogsLevel);
    let screen2 = self::screen(&s);
    assert!(!screen2.contains("slow query") && screen2.contains("upstream timeout"));
}

#[test]
fn pause_counts_arrivals_search_jumps_and_save_exports() {
    let mut s = state();
    sample(&mut s);
    apply(&mut s, Action::LogsPause);
    assert!(s.logs.paused.is_some());
    feed(
        &mut s,
        "checkout-7d9f8-abcde",
        &[
            b"2026-09-21T14:00:07.000Z after the pause",
            b"2026-09-21T14:00:08.000Z and another",
        ],
    );
    assert_eq!(s.logs.arrived_while_paused(), 2);
    let text = screen(&s);
    assert!(text.contains("paused, 2 new"), "{text}");
    assert!(!text.contains("after the pause"));
    apply(&mut s, Action::LogsEnd);
    assert!(s.logs.paused.is_none());
    assert!(screen(&s).contains("after the pause"));

    // search: the pane filter; n goes to older matches, N to newer
    s.pane_mut(PaneId::Logs).filter = "api".into();
    apply(&mut s, Action::LogsSearchNext);
    let at = |s: &State| {
        let q = logs::query(s);
        s.logs
            .bottom(&q)
            .map(|p| s.logs.entries[p].line.message.clone())
            .unwrap_or_default()
    };
    assert_eq!(at(&s), "POST /api/checkout 200");
    apply(&mut s, Action::LogsSearchNext);
    assert_eq!(at(&s), "GET /api/cart 200");
    apply(&mut s, Action::LogsSearchPrev);
    assert_eq!(at(&s), "POST /api/checkout 200");

    // include / exclude regexes
    s.pane_mut(PaneId::Logs).filter = "+http -cart".into();
    let effects = run_command(&mut s, "save /tmp/ignored.log");
    let Some(Effect::SaveLogs { lines, .. }) = effects.first() else {
        panic!("no save effect: {effects:?}");
    };
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("POST /api/checkout 200"));
}

#[test]
fn rbac_and_waiting_are_said() {
    let mut s = state();
    joined(&mut s, "checkout-7d9f8-abcde");
    assert!(screen(&s).contains("waiting for output"));
    let ev = Event::Logs {
        generation: s.generation,
        msg: LogsMsg::Forbidden {
            stream: s.logs.stream,
            message: "forbidden: RBAC does not allow `get pods/log` in namespace shop".into(),
        },
    };
    update(&mut s, ev);
    assert!(screen(&s).contains("RBAC does not allow"));
    // messages of an older stream are dropped
    let old = s.logs.stream - 1;
    let generation = s.generation;
    let generation_time = s.now;
    update(
        &mut s,
        Event::Logs {
            generation,
            msg: LogsMsg::Lines {
                stream: old,
                pod: "x".into(),
                lines: vec![parse_line(b"stale")],
                at: generation_time,
            },
        },
    );
    assert!(!s.logs.entries.iter().any(|e| e.line.message == "stale"));
}

fn settings() -> insta::Settings {
    let mut st = insta::Settings::clone_current();
    st.add_filter(r"\d{2}:\d{2}:\d{2}\.\d{3}", "[time]");
    st
}

#[test]
fn snapshot_merged_pods() {
    let mut s = state();
    sample(&mut s);
    settings().bind(|| insta::assert_snapshot!("logs_merged", screen(&s)));
}

#[test]
fn snapshot_detail_and_paused() {
    let mut s = state();
    sample(&mut s);
    apply(&mut s, Action::SelectUp);
    apply(&mut s, Action::SelectUp);
    settings().bind(|| insta::assert_snapshot!("logs_paused", screen(&s)));
    apply(&mut s, Action::Open);
    settings().bind(|| insta::assert_snapshot!("logs_detail", screen(&s)));
}

fn host(s: &mut State, kind: flightdeck::ops::OutputKind, text: &str) {
    update(
        s,
        Event::HostOutput(flightdeck::ops::HostOutput {
            action: "rollback.sh".into(),
            kind,
            text: text.into(),
            at: s.now,
        }),
    );
}

/// A host action's output streams into the logs pane beside the pods: its own source name,
/// stderr marked, a JSON line structured like a pod's, hostile bytes cleaned, and the exit
/// status as the last line.
#[test]
fn host_action_output_streams_into_the_logs_pane() {
    use flightdeck::ops::OutputKind;
    let mut s = state();
    joined(&mut s, "checkout-7d9f-abcde");
    feed(&mut s, "checkout-7d9f-abcde", &[b"serving on :8080"]);
    host(
        &mut s,
        OutputKind::Stdout,
        "switching checkout to revision 3",
    );
    host(
        &mut s,
        OutputKind::Stderr,
        "warning: \x1b]0;owned\x07pool drained",
    );
    host(
        &mut s,
        OutputKind::Stdout,
        r#"{"level":"error","message":"health check failed","attempt":2}"#,
    );
    host(&mut s, OutputKind::Exit { ok: false }, "exit 3");
    let text = screen(&s);
    assert!(text.contains("host/rollback.sh"), "{text}");
    assert!(text.contains("switching checkout to revision 3"), "{text}");
    assert!(text.contains("stderr"), "{text}");
    assert!(text.contains("pool drained"), "{text}");
    assert!(text.contains("health check failed"), "{text}");
    assert!(text.contains("host/rollback.sh ended: exit 3"), "{text}");
    assert!(
        text.contains("serving on :8080"),
        "the pod's lines stay: {text}"
    );
    assert!(
        text.contains("(1 pod)"),
        "a host action is not a pod: {text}"
    );
    assert_no_controls(&s);
    // the level filter treats the structured line like any other error line
    apply(&mut s, Action::LogsLevel);
    apply(&mut s, Action::LogsLevel);
    let text = screen(&s);
    assert!(text.contains("health check failed"), "{text}");
    assert!(!text.contains("switching checkout"), "{text}");
}

/// Item 4: the legend lists the pods followed now; a pod that ended leaves it, and the
/// title counts exactly the legend.
#[test]
fn the_legend_lists_only_followed_pods_and_the_title_counts_them() {
    let mut s = state();
    for pod in [
        "checkout-7d9f8-abcde",
        "checkout-7d9f8-xk2p4",
        "checkout-7d9f8-qq7mn",
    ] {
        joined(&mut s, pod);
        feed(
            &mut s,
            pod,
            &[format!("{} hello from {pod}", stamp(1)).as_bytes()],
        );
    }
    let head = header(&s);
    assert!(head.contains("abcde") && head.contains("xk2p4") && head.contains("qq7mn"));
    assert!(screen(&s).contains("checkout (3 pods)"));
    logs_msg(&mut s, |stream| LogsMsg::PodEnded {
        stream,
        pod: "checkout-7d9f8-xk2p4".into(),
        reason: "pod deleted".into(),
    });
    let head = header(&s);
    assert!(
        !head.contains("xk2p4"),
        "an ended pod stays in the legend: {head}"
    );
    assert!(head.contains("abcde") && head.contains("qq7mn"), "{head}");
    let text = screen(&s);
    assert!(text.contains("checkout (2 pods)"), "{text}");
    // its lines stay, with the marker that says it ended
    assert!(
        text.contains("checkout-7d9f8-xk2p4 ended: pod deleted"),
        "{text}"
    );
    // the list and the pod saying so again: one marker
    logs_msg(&mut s, |stream| LogsMsg::PodEnded {
        stream,
        pod: "checkout-7d9f8-xk2p4".into(),
        reason: "pod deleted".into(),
    });
    assert_eq!(screen(&s).matches("xk2p4 ended").count(), 1);
    let legend: Vec<&str> = s.logs.following().map(|p| p.suffix.as_str()).collect();
    assert_eq!(legend, ["abcde", "qq7mn"]);
}

/// Item 4: a long legend is cut with `+N`; the pause marker and the follow state always
/// show.
#[test]
fn a_long_legend_never_hides_the_pause_marker_or_the_follow_state() {
    let mut s = state();
    for i in 0..40 {
        let pod = format!("checkout-7d9f8-{i:05}-long-name-{i}");
        joined(&mut s, &pod);
        feed(&mut s, &pod, &[format!("{} line {i}", stamp(i)).as_bytes()]);
    }
    let head = header(&s);
    assert!(head.contains("● following"), "{head}");
    assert!(head.contains(" +"), "the legend is not cut: {head}");
    apply(&mut s, Action::LogsPause);
    feed(&mut s, "checkout-7d9f8-00001-long-name-1", &[b"one more"]);
    let head = header(&s);
    assert!(head.contains("⏸ paused, 1 new"), "{head}");
    assert!(head.contains("● following"), "{head}");
    // the `+N` counts the pods left out: shown + N = 40
    let n: usize = head
        .split_whitespace()
        .find_map(|w| w.strip_prefix('+').and_then(|n| n.parse().ok()))
        .unwrap_or(0);
    let shown = s
        .logs
        .following()
        .filter(|p| head.contains(p.suffix.as_str()))
        .count();
    assert_eq!(shown + n, 40, "{head}");
    assert!(screen(&s).contains("checkout (40 pods)"));
}

/// Item 4: the Logs source is live from contact (bytes or a (re)connect, as the source timed
/// it), never from the clock; when every follower is reconnecting it says so, with the age
/// of the last contact.
#[test]
fn the_logs_status_is_contact_not_a_timer() {
    let mut s = state();
    let t0 = s.now;
    joined_at(&mut s, "checkout-7d9f8-abcde", t0 + 2.seconds());
    joined_at(&mut s, "checkout-7d9f8-xk2p4", t0 + 3.seconds());
    feed_at(
        &mut s,
        "checkout-7d9f8-abcde",
        &[format!("{} hello", stamp(1)).as_bytes()],
        t0 + 7.seconds(),
    );
    let live = |s: &State| match s.source(SourceId::Logs) {
        Some(SourceStatus::Live { updated, .. }) => Some(*updated),
        _ => None,
    };
    assert_eq!(live(&s), Some(t0 + 7.seconds()));
    // time passes; messages that are not contact leave `updated` alone
    update(&mut s, Event::Tick(t0 + 10.minutes()));
    logs_msg(&mut s, |stream| LogsMsg::Marker {
        stream,
        pod: "checkout-7d9f8-abcde".into(),
        text: "note".into(),
        error: false,
    });
    assert_eq!(live(&s), Some(t0 + 7.seconds()));
    // a silent stream is no contact (a frozen API server holds it open): ten minutes
    // without a line and without the cluster's contact is stale
    assert!(
        screen(&s).contains("logs stale 9m (no contact)"),
        "{}",
        screen(&s)
    );
    // the API server the logs come through answers (its probe): quiet, in contact
    let generation = s.generation;
    update(
        &mut s,
        Event::Kube {
            generation,
            msg: flightdeck::sources::kube::WorkloadsMsg::Contact,
        },
    );
    assert_eq!(live(&s), Some(t0 + 10.minutes()));
    assert!(screen(&s).contains("logs quiet 9m"), "{}", screen(&s));
    // one follower failing: the other is still connected
    let fail = |s: &mut State, pod: &str| {
        logs_msg(s, |stream| LogsMsg::Marker {
            stream,
            pod: pod.into(),
            text: "log stream broke: connection reset; retrying in 30s".into(),
            error: true,
        })
    };
    fail(&mut s, "checkout-7d9f8-abcde");
    assert_eq!(live(&s), Some(t0 + 10.minutes()));
    fail(&mut s, "checkout-7d9f8-xk2p4");
    match s.source(SourceId::Logs) {
        Some(SourceStatus::Failing { last_ok, error, .. }) => {
            assert_eq!(*last_ok, Some(t0 + 7.seconds()));
            assert!(error.contains("connection reset"), "{error}");
        }
        other => panic!("not failing: {other:?}"),
    }
    let head = header(&s);
    assert!(head.contains("reconnecting, last contact 9m ago"), "{head}");
    // a re-attach is contact
    joined_at(&mut s, "checkout-7d9f8-xk2p4", t0 + 11.minutes());
    assert_eq!(live(&s), Some(t0 + 11.minutes()));
    // every pod ended: nothing is live
    for pod in ["checkout-7d9f8-abcde", "checkout-7d9f8-xk2p4"] {
        logs_msg(&mut s, |stream| LogsMsg::PodEnded {
            stream,
            pod: pod.into(),
            reason: "pod deleted".into(),
        });
    }
    assert!(
        matches!(
            s.source(SourceId::Logs),
            Some(SourceStatus::Unavailable { .. })
        ),
        "{:?}",
        s.source(SourceId::Logs)
    );
    assert!(header(&s).contains("every pod ended"), "{}", header(&s));
}

/// The hostile line of item 3: a bidi override in a pod name, an OSC title, 8-bit CSI and
/// other C1 controls.
const HOSTILE: &str =
    "pod evil\u{202e}gnp.exe\u{1b}]0;title\u{7} \u{9b}31mred \u{85}\u{90}dcs\u{9c}end";
const CLEAN: &str = "pod evilgnp.exe red end";

static CONSOLE_LOG: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn console_log_screen(s: &mut State, raw_widget: bool) -> Vec<String> {
    flightdeck::applog::collect();
    let mut term = Terminal::new(TestBackend::new(160, 60)).expect("terminal");
    if raw_widget {
        // tui-logger's own formatter draws what is stored, as it is
        term.draw(|f| f.render_widget(tui_logger::TuiLoggerWidget::default(), f.area()))
            .expect("draw");
    } else {
        s.overlay = flightdeck::app::state::Overlay::ConsoleLog;
        term.draw(|f| flightdeck::ui::render(s, f)).expect("draw");
    }
    common::cells(term.backend().buffer())
        .lines()
        .map(str::to_owned)
        .collect()
}

fn assert_clean(rows: &[String], tag: &str) {
    let row = rows
        .iter()
        .find(|r| r.contains(tag))
        .unwrap_or_else(|| panic!("{tag} not in the console log: {rows:#?}"));
    assert!(row.contains(&format!("{tag} {CLEAN}")), "{row}");
    for bad in ["title", "31m", "]0;", "dcs"] {
        assert!(!row.contains(bad), "{bad:?} reached the screen: {row}");
    }
}

/// Item 3: a line logged with bidi controls, an OSC sequence and C1 controls is stored
/// sanitised (tui-logger's own formatter shows the stored text) and drawn sanitised.
#[test]
fn the_console_log_stores_and_draws_only_sanitised_text() {
    let _one = CONSOLE_LOG.lock().unwrap_or_else(|e| e.into_inner());
    let _ = flightdeck::applog::init(log::LevelFilter::Info);
    let stored = flightdeck::applog::entry_text(&format_args!("{HOSTILE}"));
    assert_eq!(stored, CLEAN);
    log::warn!("stored-7f3a {HOSTILE}");
    let mut s = state();
    assert_clean(&console_log_screen(&mut s, true), "stored-7f3a");
    assert_clean(&console_log_screen(&mut s, false), "stored-7f3a");
    // a multi-line message keeps its lines, each one cleaned
    assert_eq!(
        flightdeck::applog::entry_text(&format_args!("a\u{202e}\nb\u{1b}[2J")),
        "a\nb"
    );
}

/// Item 3: whatever reaches tui-logger's buffer around `applog` (here its slog drain, fed
/// directly) is sanitised by the overlay as it draws.
#[test]
fn the_console_log_overlay_sanitises_what_bypassed_the_entry() {
    use slog::Drain;
    let _one = CONSOLE_LOG.lock().unwrap_or_else(|e| e.into_inner());
    let _ = flightdeck::applog::init(log::LevelFilter::Info);
    static LOC: slog::RecordLocation = slog::RecordLocation {
        file: "",
        line: 0,
        column: 0,
        function: "",
        module: "test",
    };
    let rs = slog::RecordStatic {
        location: &LOC,
        tag: "test",
        level: slog::Level::Warning,
    };
    let kv = slog::OwnedKVList::from(slog::o!());
    let _ = tui_logger::TuiSlogDrain.log(
        &slog::Record::new(
            &rs,
            &format_args!("bypass-91c2 {HOSTILE}"),
            slog::BorrowedKV(&()),
        ),
        &kv,
    );
    let mut s = state();
    assert_clean(&console_log_screen(&mut s, false), "bypass-91c2");
}

/// `Y` copies the newest line through OSC 52: the terminal is told to put that text on the
/// clipboard, so a hostile line must be cleaned first (a pasted ESC sequence runs in the
/// next terminal it reaches), its visible words kept.
#[test]
fn a_hostile_line_is_cleaned_before_it_is_copied() {
    let mut s = state();
    joined(&mut s, "checkout-1");
    feed(
        &mut s,
        "checkout-1",
        &[b"HOSTILE copy \x1b]0;pwned\x07 \x1b]52;c;cHduZWQ=\x07 \x1b[2J \xe2\x80\xaedesrever\xe2\x80\xac \xc2\x9b31m end"],
    );
    let fx = common::keys(&mut s, "Y");
    let copied = fx
        .iter()
        .find_map(|e| match e {
            Effect::Copy(text) => Some(text.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("nothing copied: {fx:?}"));
    assert!(
        copied.contains("HOSTILE copy") && copied.contains("end"),
        "{copied:?}"
    );
    assert!(
        !copied.chars().any(flightdeck::text::is_hazard),
        "a control or bidi character is copied: {copied:?}"
    );
    for residue in ["]0;", "pwned", "]52;", "[2J", "31m"] {
        assert!(
            !copied.contains(residue),
            "`{residue}` is copied: {copied:?}"
        );
    }
}

/// #28 item 1, the app's half: a scope change stops the follow (`Effect::StopLogs`), the
/// lines shown stay saying whose they are, never under `● following`, a late message of
/// the stopped stream is dropped, nothing stays followed (so the same workload selected
/// on coming back is followed afresh), and a new follow drops the held label.
#[test]
fn a_scope_change_stops_the_follow_and_says_whose_lines_are_held() {
    let mut s = state();
    // followed on context `sandbox`
    s.scope.context = Some("sandbox".into());
    logs::restart(&mut s);
    joined(&mut s, "checkout-7d4b9-abcde");
    feed(&mut s, "checkout-7d4b9-abcde", &[b"before the switch"]);
    assert!(header(&s).contains("● following"), "{}", header(&s));
    let old_stream = s.logs.stream;
    let old_generation = s.generation;

    let fx = run_command(&mut s, "ctx dead-prod");
    assert!(
        matches!(
            fx.as_slice(),
            [Effect::StopLogs, Effect::ScopeChanged { .. }]
        ),
        "{fx:?}"
    );
    let head = header(&s);
    assert!(!head.contains("following"), "{head}");
    assert!(
        head.contains("switched away — lines from context sandbox, namespace shop (checkout)"),
        "{head}"
    );
    assert!(screen(&s).contains("before the switch"));
    // nothing is followed: the selection's follow (which skips the target it already
    // follows) starts again when the workload is selected in the new scope
    assert_eq!(s.logs.target, None);
    assert!(
        matches!(
            s.source(SourceId::Logs),
            Some(SourceStatus::Unavailable { .. })
        ),
        "{:?}",
        s.source(SourceId::Logs)
    );
    // the stopped stream's last words are not shown
    let at = s.now;
    update(
        &mut s,
        Event::Logs {
            generation: old_generation,
            msg: LogsMsg::Lines {
                stream: old_stream,
                pod: "checkout-7d4b9-abcde".into(),
                lines: vec![parse_line(b"after the switch")],
                at,
            },
        },
    );
    assert!(!screen(&s).contains("after the switch"));

    // back: the same workload is followed again, in the new generation
    run_command(&mut s, "ctx sandbox");
    let fx = logs::follow(
        &mut s,
        LogTarget::Selector {
            namespace: "shop".into(),
            selector: "app=checkout".into(),
            label: "checkout".into(),
        },
    );
    let [Effect::FollowLogs(req)] = fx.as_slice() else {
        panic!("not followed again: {fx:?}");
    };
    assert_eq!(req.generation, s.generation);
    assert_eq!(s.logs.held, None);
    assert!(!screen(&s).contains("switched away"));
}
