//! Logs keep their place (#18 item 3), without a cluster: lines fed through `update`,
//! drawn through `ui::render`. Per-object buffers across a change of selection, the time
//! column's width and zone, meta lines under the level filter, the title's count, the
//! empty filter result, stack traces grouped, the 404 wording.

use crate::support::common;

use flightdeck::app::event::Event;
use flightdeck::app::panes::logs::{self, PodState, TimeMode};
use flightdeck::app::state::State;
use flightdeck::app::update::{apply, update};
use flightdeck::app::{Action, Effect};
use flightdeck::pane::PaneId;
use flightdeck::sources::logs::ingest::parse_line;
use flightdeck::sources::logs::{LogTarget, LogsMsg, ResumePoint};

fn checkout() -> LogTarget {
    LogTarget::Selector {
        namespace: "shop".into(),
        selector: "app=checkout".into(),
        label: "checkout".into(),
    }
}

fn cart() -> LogTarget {
    LogTarget::Selector {
        namespace: "shop".into(),
        selector: "app=cart".into(),
        label: "cart".into(),
    }
}

fn state() -> State {
    let mut s = common::state_builder()
        .theme("dark")
        .at(jiff::Timestamp::from_second(1_790_000_000).expect("time"))
        .focus(PaneId::Logs)
        .zoomed()
        .size(100, 20)
        .build();
    s.logs.tz = jiff::tz::TimeZone::fixed(jiff::tz::offset(1));
    follow(&mut s, checkout());
    s
}

/// Follows `target` as a change of Workloads selection does; returns the request.
fn follow(s: &mut State, target: LogTarget) -> flightdeck::sources::logs::FollowRequest {
    let effects = logs::follow(s, target);
    match effects.into_iter().next() {
        Some(Effect::FollowLogs(req)) => req,
        other => panic!("no follow effect: {other:?}"),
    }
}

fn msg(s: &mut State, m: impl FnOnce(u64) -> LogsMsg) {
    let (generation, stream) = (s.generation, s.logs.stream);
    update(
        s,
        Event::Logs {
            generation,
            msg: m(stream),
        },
    );
}

fn joined(s: &mut State, pod: &str) {
    let at = s.now;
    msg(s, |stream| LogsMsg::PodJoined {
        stream,
        pod: pod.into(),
        container: "app".into(),
        containers: vec!["app".into()],
        at,
    });
}

fn feed(s: &mut State, pod: &str, raw: &[String]) {
    let at = s.now;
    let lines = raw.iter().map(|r| parse_line(r.as_bytes())).collect();
    msg(s, |stream| LogsMsg::Lines {
        stream,
        pod: pod.into(),
        lines,
        at,
    });
}

fn screen(s: &State) -> String {
    common::cells(&common::draw_at(s, s.size.0, s.size.1))
}

fn header(s: &State) -> String {
    screen(s).lines().nth(1).unwrap_or_default().to_owned()
}

fn messages(s: &State) -> Vec<String> {
    s.logs
        .entries
        .iter()
        .filter(|e| e.line.time.is_some() && e.line.level.is_some())
        .map(|e| e.line.message.clone())
        .collect()
}

fn json(t: &str, level: &str, message: &str) -> String {
    format!("{t} {{\"level\":\"{level}\",\"message\":\"{message}\"}}")
}

#[test]
fn switching_away_and_back_keeps_the_lines_and_resumes_after_the_last() {
    let mut s = state();
    joined(&mut s, "checkout-1");
    feed(
        &mut s,
        "checkout-1",
        &[
            json(
                "2026-09-21T14:00:01.000Z",
                "error",
                "panic in charge handler",
            ),
            json("2026-09-21T14:00:02.000Z", "info", "two at once a"),
            json("2026-09-21T14:00:02.000Z", "info", "two at once b"),
        ],
    );
    let before = messages(&s);
    // another deployment: its own, empty buffer, started from a tail
    let req = follow(&mut s, cart());
    assert!(req.opts.resume.is_empty(), "{:?}", req.opts.resume);
    assert!(messages(&s).is_empty(), "{:?}", messages(&s));
    joined(&mut s, "cart-1");
    feed(
        &mut s,
        "cart-1",
        &[json("2026-09-21T14:00:03.000Z", "info", "cart line")],
    );
    // back: the earlier lines, and the pod resumes after the two lines at its last stamp
    let req = follow(&mut s, checkout());
    assert_eq!(messages(&s), before);
    let t: jiff::Timestamp = "2026-09-21T14:00:02Z".parse().expect("time");
    assert_eq!(
        req.opts.resume.get("checkout-1"),
        Some(&ResumePoint { time: t, seen: 2 })
    );
    assert!(screen(&s).contains("panic in charge handler"));
    // what arrived meanwhile joins after them; the re-attach says no "joined" again
    joined(&mut s, "checkout-1");
    feed(
        &mut s,
        "checkout-1",
        &[json("2026-09-21T14:00:04.000Z", "info", "meanwhile")],
    );
    let mut want = before.clone();
    want.push("meanwhile".into());
    assert_eq!(messages(&s), want);
    assert!(!screen(&s).contains("checkout-1 joined\n"));
    // and cart kept its own
    follow(&mut s, cart());
    assert_eq!(messages(&s), vec!["cart line".to_string()]);
}

#[test]
fn the_buffer_cap_counts_every_object_and_the_oldest_goes_first() {
    let mut s = state();
    std::sync::Arc::make_mut(&mut s.config).logs.buffer_lines = 10;
    follow(&mut s, cart());
    joined(&mut s, "cart-1");
    let lines: Vec<String> = (0..6)
        .map(|i| json(&format!("2026-09-21T14:00:{i:02}.000Z"), "info", "cart"))
        .collect();
    feed(&mut s, "cart-1", &lines);
    follow(&mut s, checkout());
    joined(&mut s, "checkout-1");
    let lines: Vec<String> = (0..8)
        .map(|i| json(&format!("2026-09-21T14:01:{i:02}.000Z"), "info", "checkout"))
        .collect();
    feed(&mut s, "checkout-1", &lines);
    let total = s.logs.lines + s.logs.parked.iter().map(|p| p.lines).sum::<usize>();
    assert!(total <= 10, "{total} lines held");
    // checkout, the one shown, lost none: cart, left earlier, paid
    assert_eq!(messages(&s).len(), 8);
    follow(&mut s, cart());
    assert!(messages(&s).len() < 6, "{:?}", messages(&s));
    // at most a handful of objects are kept
    for i in 0..20 {
        follow(
            &mut s,
            LogTarget::Pods {
                namespace: "shop".into(),
                pods: vec![format!("p-{i}")],
            },
        );
        feed(
            &mut s,
            &format!("p-{i}"),
            &[json("2026-09-21T14:02:00.000Z", "info", "x")],
        );
    }
    assert!(s.logs.parked.len() < logs::MAX_OBJECTS);
}

/// What the rows of these messages show before them (the time column and the pod).
fn prefixes(s: &State, messages: &[&str]) -> Vec<String> {
    let text = screen(s);
    messages
        .iter()
        .map(|m| {
            let row = text.lines().find(|l| l.contains(m)).unwrap_or_default();
            let row = row.trim_start_matches('┃');
            row[..row.find(m).unwrap_or(0)].to_owned()
        })
        .collect()
}

#[test]
fn times_have_one_width_and_t_cycles_local_utc_off() {
    let mut s = state();
    for pod in ["checkout-a", "checkout-b"] {
        joined(&mut s, pod);
    }
    feed(
        &mut s,
        "checkout-a",
        &[
            "2026-09-21T14:00:01.5Z half a second".into(),
            "2026-09-21T14:00:01.520Z and a bit".into(),
        ],
    );
    feed(
        &mut s,
        "checkout-b",
        &["2026-09-21T14:00:02Z on the second".into()],
    );
    assert_eq!(s.logs.timestamps, TimeMode::Local);
    let rows = ["half a second", "and a bit", "on the second"];
    assert_eq!(
        prefixes(&s, &rows),
        ["15:00:01.500 a ", "15:00:01.520 a ", "15:00:02.000 b "],
        "{}",
        screen(&s)
    );
    assert!(header(&s).contains("UTC+01"), "{}", header(&s));
    apply(&mut s, Action::LogsTimestamps);
    assert_eq!(
        prefixes(&s, &rows),
        ["14:00:01.500 a ", "14:00:01.520 a ", "14:00:02.000 b "]
    );
    let head = header(&s);
    assert!(head.contains("UTC") && !head.contains("UTC+01"), "{head}");
    apply(&mut s, Action::LogsTimestamps);
    assert_eq!(prefixes(&s, &rows), ["a ", "a ", "b "], "{}", screen(&s));
    assert!(!header(&s).contains("UTC"), "{}", header(&s));
    apply(&mut s, Action::LogsTimestamps);
    assert_eq!(s.logs.timestamps, TimeMode::Local);
}

#[test]
fn a_level_filter_above_info_hides_meta_lines() {
    let mut s = state();
    joined(&mut s, "checkout-a");
    joined(&mut s, "checkout-b");
    feed(
        &mut s,
        "checkout-a",
        &[
            json("2026-09-21T14:00:01.000Z", "info", "all good"),
            json("2026-09-21T14:00:02.000Z", "error", "boom"),
        ],
    );
    msg(&mut s, |stream| LogsMsg::Marker {
        stream,
        pod: "checkout-b".into(),
        text: "log stream failed; retrying in 1s".into(),
        error: true,
    });
    // the view paused on the info line, then the filter: the info line goes too
    apply(&mut s, Action::LogsPause);
    apply(&mut s, Action::SelectUp);
    apply(&mut s, Action::SelectUp);
    let text = screen(&s);
    assert!(
        text.contains("joined") && text.contains("all good"),
        "{text}"
    );
    apply(&mut s, Action::LogsLevel);
    apply(&mut s, Action::LogsLevel);
    let text = screen(&s);
    assert!(text.contains("boom"), "{text}");
    for hidden in ["joined", "retrying", "all good"] {
        assert!(
            !text.contains(hidden),
            "{hidden} shows under ≥error: {text}"
        );
    }
}

#[test]
fn the_title_counts_the_pods_streaming() {
    let mut s = state();
    joined(&mut s, "checkout-a");
    joined(&mut s, "checkout-b");
    msg(&mut s, |stream| LogsMsg::Waiting {
        stream,
        pod: "checkout-c".into(),
    });
    assert_eq!(s.logs.pods.len(), 3);
    let text = screen(&s);
    assert!(text.contains("checkout (2 of 3 pods streaming)"), "{text}");
    joined(&mut s, "checkout-c");
    assert!(screen(&s).contains("checkout (3 pods)"));
}

#[test]
fn an_empty_filter_result_says_so() {
    let mut s = state();
    joined(&mut s, "checkout-a");
    feed(
        &mut s,
        "checkout-a",
        &[
            json("2026-09-21T14:00:01.000Z", "info", "one"),
            json("2026-09-21T14:00:02.000Z", "info", "two"),
        ],
    );
    s.pane_mut(PaneId::Logs).filter = "+nothing-like-it".into();
    let text = screen(&s);
    assert!(
        text.contains("no line matches /+nothing-like-it (3 lines searched)"),
        "{text}"
    );
}

#[test]
fn a_stack_trace_is_one_record_under_its_first_line() {
    let mut s = state();
    joined(&mut s, "checkout-a");
    joined(&mut s, "checkout-b");
    let t = "2026-09-21T14:00:05.000Z";
    let panic = [
        "panic: runtime error: invalid memory address or nil pointer dereference",
        "[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x8a4f21]",
        "",
        "goroutine 1 [running]:",
        "main.main()",
        "\t/app/main.go:5 +0x1d",
    ];
    feed(
        &mut s,
        "checkout-a",
        &panic.iter().map(|l| format!("{t} {l}")).collect::<Vec<_>>(),
    );
    feed(
        &mut s,
        "checkout-b",
        &[json("2026-09-21T14:00:06.000Z", "info", "other pod")],
    );
    let records: Vec<_> = s
        .logs
        .entries
        .iter()
        .filter(|e| e.line.message.starts_with("panic:"))
        .collect();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].line.cont.len(), panic.len() - 1);
    // one entry for the level filter: the whole trace stays under ≥error
    apply(&mut s, Action::LogsLevel);
    apply(&mut s, Action::LogsLevel);
    let text = screen(&s);
    let rows: Vec<&str> = text.lines().collect();
    let head = rows
        .iter()
        .position(|r| r.contains("panic: runtime error"))
        .expect("the panic line");
    assert!(rows[head].contains("15:00:05.000"), "{}", rows[head]);
    // the time and pod once; every continuation line indented past them
    let indent = rows[head].find("ERROR").expect("level");
    for (row, want) in rows[head + 1..].iter().zip(&panic[1..]) {
        let body = row.trim_start_matches('┃');
        assert!(!body.contains(":00:05"), "time shown again: {row}");
        if !want.trim().is_empty() {
            assert!(row.contains(want.trim()), "{row} / {want}");
            let lead = body.len() - body.trim_start().len();
            assert!(lead + '┃'.len_utf8() >= indent, "not indented: {row}");
        }
    }
    assert!(!text.contains("other pod"), "{text}");
}

#[test]
fn a_404_for_a_pod_that_exists_says_the_log_is_unavailable() {
    let mut s = state();
    let text = format!("checkout-a: {}", flightdeck::sources::logs::UNAVAILABLE_404);
    msg(&mut s, |stream| LogsMsg::Marker {
        stream,
        pod: "checkout-a".into(),
        text,
        error: false,
    });
    msg(&mut s, |stream| LogsMsg::Waiting {
        stream,
        pod: "checkout-a".into(),
    });
    assert_eq!(s.logs.pods[0].state, PodState::Waiting);
    let screen = screen(&s);
    assert!(
        screen.contains("log unavailable (404): container not started yet / log rotated"),
        "{screen}"
    );
    assert!(!screen.contains("deleted"), "{screen}");
}
