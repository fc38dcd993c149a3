//! Promises about the terminal, checked in a real terminal (tmux): the panic hook restores
//! it, and a dead cluster neither delays the first frame nor `q`.

use crate::support::tmux;
use crate::support::tools;

use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use tmux::{Launch, Tmux};

const BIN: &str = env!("CARGO_BIN_EXE_flightdeck");

/// `command` in a 100x30 pane with the clean environment of `tests/support/tmux.rs` under a temp dir
/// of its own (dropped after the tmux server), plus `env`.
fn start(tmux: &Path, command: &str, env: &[(&'static str, &str)]) -> (Tmux, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut launch = Launch::new(command).size(100, 30);
    for (k, v) in env {
        launch = launch.env(k, *v);
    }
    (Tmux::start(tmux, dir.path(), launch), dir)
}

// ---------------------------------------------------------------------------------------
// 1. the panic hook restores the terminal

/// Run by `a_panic_restores_the_terminal` in a tmux pane (this test binary, started again
/// with FLIGHTDECK_TEST_PANIC_DIR set): enters the terminal as the console does, says so,
/// waits to be told, then panics. The guard is forgotten, so only the panic hook that
/// `term::enter` installed can restore the terminal.
#[test]
fn child_enter_the_terminal_then_panic() {
    let Some(dir) = std::env::var_os("FLIGHTDECK_TEST_PANIC_DIR") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let guard = flightdeck::term::enter(false).expect("enter the terminal");
    std::mem::forget(guard);
    std::fs::write(dir.join("entered"), "").expect("write marker");
    for _ in 0..600 {
        if dir.join("go").exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("a deliberate panic with the terminal in raw mode");
}

#[test]
fn a_panic_restores_the_terminal() {
    let Some(tmux) = tools::require("tmux") else {
        return;
    };
    let exe = std::env::current_exe().expect("test binary");
    let marker_dir = tempfile::tempdir().expect("tempdir");
    let m = marker_dir.path().display().to_string();
    let (p, _dir) = start(
        &tmux,
        &format!(
            "{} --exact promises::child_enter_the_terminal_then_panic --nocapture --test-threads=1",
            exe.display()
        ),
        &[("FLIGHTDECK_TEST_PANIC_DIR", &m)],
    );
    assert!(
        p.wait_for(Duration::from_secs(30), |_| marker_dir
            .path()
            .join("entered")
            .exists()),
        "the child did not enter the terminal:\n{}",
        p.capture()
    );
    // the terminal really was taken over, so the checks below can fail
    assert!(
        p.wait_for(Duration::from_secs(10), |p| p.display("#{alternate_on}")
            == "1"
            && p.display("#{cursor_flag}") == "0"),
        "alternate screen / hidden cursor not seen before the panic"
    );
    std::fs::write(marker_dir.path().join("go"), "").expect("go");
    p.assert_restored();
    assert_eq!(
        p.exit_status().as_deref(),
        Some("101"),
        "the child panicked (libtest's failure status)"
    );
    assert!(
        p.capture().contains("a deliberate panic"),
        "the panic message is printed on the restored screen:\n{}",
        p.capture()
    );
}

// ---------------------------------------------------------------------------------------
// 5. a dead cluster

fn kubeconfig(dir: &Path, server: &str) -> std::path::PathBuf {
    let path = dir.join("dead-kubeconfig.yaml");
    let yaml = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: dead\n  cluster:\n    server: {server}\ncontexts:\n- name: dead\n  context:\n    cluster: dead\n    user: dead\n    namespace: shop\ncurrent-context: dead\nusers:\n- name: dead\n  user:\n    token: dead-token\npreferences: {{}}\n"
    );
    std::fs::write(&path, yaml).expect("write kubeconfig");
    path
}

/// The console against `server`: the first frame at once, the Workloads pane marked
/// failing within the client's request timeout, and `q` ends the process at once.
fn dead_cluster(tmux: &Path, server: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = kubeconfig(dir.path(), server);
    let (p, _dir) = start(tmux, BIN, &[("KUBECONFIG", &kc.display().to_string())]);
    let titles = ["Pipeline", "Workloads", "Error rate", "Logs", "Hosts"];
    assert!(
        p.wait_for(Duration::from_secs(15), |p| {
            let s = p.capture();
            titles.iter().all(|t| s.contains(t))
        }),
        "the first frame did not appear:\n{}",
        p.capture()
    );
    assert!(
        p.wait_for(Duration::from_secs(45), |p| p.capture().contains("failing")),
        "the Workloads pane was not marked failing:\n{}",
        p.capture()
    );
    p.keys(&["q"]);
    assert!(
        p.wait_for(Duration::from_secs(5), |p| p.exit_status().is_some()),
        "the console did not exit within 5 s of `q`:\n{}",
        p.capture()
    );
    p.assert_restored();
    assert_eq!(p.exit_status().as_deref(), Some("0"));
}

#[test]
fn a_cluster_that_refuses_connections_is_marked_failing_and_q_exits() {
    let Some(tmux) = tools::require("tmux") else {
        return;
    };
    // a port that was free a moment ago: nothing listens there now
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    dead_cluster(&tmux, &format!("http://127.0.0.1:{port}"));
}

#[test]
fn a_cluster_that_never_answers_is_marked_failing_and_q_exits_at_once() {
    let Some(tmux) = tools::require("tmux") else {
        return;
    };
    // accepts every connection and never says a word
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let held = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let held2 = held.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            held2.lock().expect("lock").push(conn);
        }
    });
    dead_cluster(&tmux, &format!("http://{addr}"));
    assert!(
        !held.lock().expect("lock").is_empty(),
        "the console never connected to the silent listener"
    );
}
