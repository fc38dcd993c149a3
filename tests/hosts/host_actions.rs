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
