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

/// The seconds in `text` right after `prefix` ("exit 0 after 0.3s" → 0.3), if it starts so.
fn seconds_after(text: &str, prefix: &str) -> Option<f64> {
    let rest = text.strip_prefix(prefix)?;
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    (rest[end..].starts_with('s')).then_some(())?;
    rest[..end].parse().ok()
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

/// Runs `a` and returns how it ended and the pid its script printed first (a background
/// grandchild's `$!`).
async fn run_printing_pid(a: &HostAction) -> (HostEnd, u32, Vec<HostOutput>) {
    let (end, lines) = run_collecting(a).await;
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

/// A leader that exits 0 while a process it started holds its output open: the output is
/// read on until the timeout ends the group, and the end says the leader's exit code and
/// that a process it started was ended — never "timeout" for an action that finished.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_that_exits_while_its_child_holds_stdout_is_not_a_timeout() {
    let a = action(
        "leaves",
        "sleep 30 & echo $!; sleep 0.2; echo leader done",
        1,
    );
    let (end, pid, lines) = run_printing_pid(&a).await;
    match end.exit {
        HostExit::Lingered {
            code: Some(0),
            secs: 1,
            killed: false,
            leader_ran,
        } => assert!(leader_ran < end.ran, "{end:?}"),
        other => panic!("not the leader's exit: {other:?}"),
    }
    assert!(!running(pid), "the lingering process {pid} is gone");
    assert!(
        lines.iter().any(|l| l.text == "leader done"),
        "the leader's output is all read: {lines:?}"
    );

    // and the line the console shows
    let dir = tempfile::tempdir().expect("temp dir");
    let shown: Arc<Mutex<Vec<HostOutput>>> = Arc::default();
    let sink = {
        let shown = shown.clone();
        Arc::new(move |l: HostOutput| shown.lock().expect("lines").push(l))
    };
    let ex = Executor::new(
        Err("no cluster".into()),
        false,
        AuditLog::at(dir.path().join("audit.jsonl")),
    )
    .with_host_actions(vec![action("leaves", "sleep 30 & echo started", 1)])
    .with_output(sink);
    let op = Operation::Host {
        action: "leaves".into(),
        vars: Placeholders::default(),
    };
    let out = ex.execute(&op, "", "").await;
    let last = shown
        .lock()
        .expect("lines")
        .last()
        .cloned()
        .expect("a line");
    assert!(
        seconds_after(&last.text, "exit 0 after ").is_some(),
        "{}",
        last.text
    );
    assert!(
        last.text.contains("a process it started") && !last.text.contains("timeout"),
        "{}",
        last.text
    );
    assert!(!out.ok, "a process it started was ended: {out:?}");
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
            "timeout: its process group was ended after ",
        ),
        ("quick", true, "exit 0 after "),
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
        // how long it ran, whatever the machine's load: a timeout of 1 s ran at least 1 s
        let secs =
            seconds_after(&last.text, want).unwrap_or_else(|| panic!("{name}: {}", last.text));
        assert!(ok || secs >= 1.0, "{name}: {}", last.text);
        assert!(
            last.text.ends_with('s') || last.text.ends_with(')'),
            "{}",
            last.text
        );
    }
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

/// The audit file's records.
fn audit_records(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("an audit line is JSON"))
        .collect()
}

/// Quits (as the console does after `q`) while a host action runs `script`, which writes
/// its own pid and its background child's into `pids`; the audit file's records, after
/// checking that no process of the action's group is left.
async fn quit_during(script: &str) -> Vec<serde_json::Value> {
    let dir = tempfile::tempdir().expect("temp dir");
    let pids = dir.path().join("pids");
    let audit = dir.path().join("audit.jsonl");
    let script = script.replace("PIDS", &pids.display().to_string());
    let ex = Executor::new(Err("no cluster".into()), false, AuditLog::at(&audit))
        .with_host_actions(vec![action("deploy", &script, 600)]);
    let task = {
        let ex = ex.clone();
        tokio::spawn(async move {
            let op = Operation::Host {
                action: "deploy".into(),
                vars: Placeholders::default(),
            };
            ex.execute(&op, "", "").await
        })
    };
    let mut started = Vec::new();
    for _ in 0..500 {
        started = std::fs::read_to_string(&pids)
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|p| p.parse::<u32>().ok())
            .collect();
        if started.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(started.len(), 2, "the action never started");
    ex.end_at_quit().await;
    // what the runtime's shutdown does to a task still running at exit
    task.abort();
    // SIGKILL is delivered asynchronously: give the kernel a moment (a hang guard)
    for _ in 0..500 {
        if !started.iter().any(|p| running(*p)) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    for pid in &started {
        assert!(
            !running(*pid),
            "process {pid} of the action's group outlived the quit"
        );
    }
    audit_records(&audit)
}

/// The intent and the outcome of one operation, in this order; the outcome.
fn intent_then_outcome(records: &[serde_json::Value]) -> &serde_json::Value {
    assert_eq!(
        records.len(),
        2,
        "an intent and an outcome line: {records:#?}"
    );
    assert_eq!(records[0]["phase"], "intent", "{records:#?}");
    assert_eq!(records[1]["phase"], "outcome", "{records:#?}");
    assert_eq!(records[0]["id"], records[1]["id"], "{records:#?}");
    &records[1]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quitting_during_a_host_action_ends_its_group_and_writes_how_it_ended() {
    // the group ends on SIGTERM: its real outcome, written by the operation itself
    let records = quit_during("sleep 600 & echo $$ $! > PIDS; wait").await;
    let outcome = intent_then_outcome(&records);
    assert_eq!(outcome["status"], "failed", "{outcome:#}");
    let error = outcome["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("killed by a signal") && error.contains("the console was quitting"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quitting_during_a_host_action_that_ignores_sigterm_kills_its_group_and_says_unknown() {
    let records = quit_during("trap '' TERM; sleep 600 & echo $$ $! > PIDS; wait").await;
    let outcome = intent_then_outcome(&records);
    assert_eq!(outcome["status"], "unknown", "{outcome:#}");
    let error = outcome["error"].as_str().unwrap_or_default();
    assert!(error.starts_with("unknown: console quit"), "{error}");
}
