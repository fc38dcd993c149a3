//! Host actions own their process group: at the timeout everything the action started is
//! ended (SIGTERM, then SIGKILL after the grace period), not only the direct child.

use std::sync::{Arc, Mutex};

use flightdeck::config::HostAction;
use flightdeck::ops::host::{self, HostEnd, HostExit, KILL_GRACE};
use flightdeck::ops::{AuditLog, Executor, HostOutput, Operation, OutputKind, Placeholders};

fn action(name: &str, script: &str, timeout_secs: u64) -> HostAction {
    HostAction {
        name: name.into(),
        command: vec!["/bin/sh".into(), "-c".into(), script.into()],
        cwd: None,
        timeout_secs,
        confirm: true,
    }
}

/// Whether `pid` still runs (absent or a zombie — an orphan nobody reaped — does not).
fn running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

/// Runs `a` and returns how it ended and the pid its script printed first (a background
/// grandchild's `$!`).
async fn run_printing_pid(a: &HostAction) -> (HostEnd, u32, Vec<HostOutput>) {
    let lines: Arc<Mutex<Vec<HostOutput>>> = Arc::default();
    let sink = {
        let lines = lines.clone();
        move |l: HostOutput| lines.lock().expect("lines").push(l)
    };
    let end = host::run(a, &Placeholders::default(), &sink)
        .await
        .expect("the action starts");
    let lines = lines.lock().expect("lines").clone();
    let pid = lines
        .iter()
        .find(|l| l.kind == OutputKind::Stdout)
        .and_then(|l| l.text.trim().parse().ok())
        .unwrap_or_else(|| panic!("the script printed its grandchild's pid: {lines:?}"));
    (end, pid, lines)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grandchild_that_outlives_the_timeout_is_ended_with_its_group() {
    // `sleep 30 &` is re-parented to init when the shell dies; the old code killed only
    // the shell and said "killed" while sleep went on
    let a = action("forks", "sleep 30 & echo $!; wait", 1);
    let (end, pid, lines) = run_printing_pid(&a).await;
    assert_eq!(
        end.exit,
        HostExit::TimedOut {
            secs: 1,
            killed: false
        },
        "SIGTERM was enough"
    );
    assert!(!running(pid), "the grandchild {pid} is gone");
    assert!(end.ran >= std::time::Duration::from_secs(1), "{end:?}");
    // every line carries the time it was read
    assert!(lines.iter().all(|l| l.at <= jiff::Timestamp::now()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_that_ignores_sigterm_gets_sigkill_after_the_grace_period() {
    // an ignored signal stays ignored across exec, so the background sleep ignores it too
    let a = action("stubborn", "trap '' TERM; sleep 60 & echo $!; wait", 1);
    let (end, pid, _) = run_printing_pid(&a).await;
    assert_eq!(
        end.exit,
        HostExit::TimedOut {
            secs: 1,
            killed: true
        }
    );
    assert!(!running(pid), "the grandchild {pid} is gone");
    assert!(
        end.ran >= KILL_GRACE,
        "SIGKILL only after the grace: {end:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_line_says_how_long_it_ran_and_how_it_ended() {
    let dir = tempfile::tempdir().expect("temp dir");
    let lines: Arc<Mutex<Vec<HostOutput>>> = Arc::default();
    let sink = {
        let lines = lines.clone();
        Arc::new(move |l: HostOutput| lines.lock().expect("lines").push(l))
    };
    let ex = Executor::new(
        Err("no cluster".into()),
        false,
        AuditLog::at(dir.path().join("audit.jsonl")),
    )
    .with_host_actions(vec![
        action("forks", "sleep 30 & wait", 1),
        action("quick", "echo done", 10),
    ])
    .with_output(sink);
    for (name, ok, want) in [
        (
            "forks",
            false,
            "timeout: its process group was ended after 1.",
        ),
        ("quick", true, "exit 0 after 0."),
    ] {
        let op = Operation::Host {
            action: name.into(),
            vars: Placeholders::default(),
        };
        let out = ex.execute(&op, "", "").await;
        assert_eq!(out.ok, ok, "{out:?}");
        let last = lines
            .lock()
            .expect("lines")
            .last()
            .cloned()
            .expect("a line");
        assert_eq!(last.kind, OutputKind::Exit { ok });
        assert!(last.text.starts_with(want), "{name}: {}", last.text);
        assert!(
            last.text.ends_with('s') || last.text.ends_with(')'),
            "{}",
            last.text
        );
    }
}

/// Runs `a` to its end and returns how it ended and every line it printed.
async fn run_collecting(a: &HostAction) -> (HostEnd, Vec<HostOutput>) {
    let lines: Arc<Mutex<Vec<HostOutput>>> = Arc::default();
    let sink = {
        let lines = lines.clone();
        move |l: HostOutput| lines.lock().expect("lines").push(l)
    };
    let end = host::run(a, &Placeholders::default(), &sink)
        .await
        .expect("the action starts");
    let lines = lines.lock().expect("lines").clone();
    (end, lines)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_does_not_stop_the_reader_nor_kill_the_script() {
    // a rollback script that prints a stray byte and goes on: the old reader stopped at the
    // bad byte, closed the pipe, and the next `echo` died of SIGPIPE half-way through
    let dir = tempfile::tempdir().expect("tempdir");
    let steps = dir.path().join("steps");
    let script = format!(
        "printf 'start\\n\\377\\376 bad\\n'; for i in 1 2 3; do echo step $i; echo $i >> '{}'; done",
        steps.display()
    );
    let (end, lines) = run_collecting(&action("utf8", &script, 30)).await;
    assert_eq!(end.exit, HostExit::Code(0), "{lines:?}");
    assert_eq!(
        std::fs::read_to_string(&steps).expect("steps ran"),
        "1\n2\n3\n",
        "every step of the script ran"
    );
    let out: Vec<&str> = lines
        .iter()
        .filter(|l| l.kind == OutputKind::Stdout)
        .map(|l| l.text.as_str())
        .collect();
    assert_eq!(
        out,
        [
            "start",
            "\u{fffd}\u{fffd} bad",
            "step 1",
            "step 2",
            "step 3"
        ]
    );
}

/// The process's peak resident memory, in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .expect("VmHWM")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_endless_line_costs_a_bounded_amount_of_memory() {
    // 600 MB without a newline, then a short line: the old reader held the whole line
    const BIG: u64 = 600_000_000;
    let before = peak_rss();
    let script = format!("head -c {BIG} /dev/zero | tr '\\0' x; echo; echo after");
    let (end, lines) = run_collecting(&action("long", &script, 120)).await;
    let grew = peak_rss().saturating_sub(before);
    assert_eq!(end.exit, HostExit::Code(0));
    let out: Vec<&HostOutput> = lines
        .iter()
        .filter(|l| l.kind == OutputKind::Stdout)
        .collect();
    assert_eq!(out.len(), 2, "the long line, then `after`");
    let cut = BIG - flightdeck::sources::pipe::MAX_LINE as u64;
    assert!(
        out[0].text.ends_with(&format!(" … [{cut} more bytes cut]")),
        "{}",
        &out[0].text[out[0].text.len().saturating_sub(60)..]
    );
    assert!(out[0].text.len() < flightdeck::sources::pipe::MAX_LINE + 64);
    assert_eq!(out[1].text, "after");
    assert!(
        grew < 200_000_000,
        "reading a {BIG}-byte line raised the peak RSS by {grew} bytes"
    );
}
