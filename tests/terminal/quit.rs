//! Quitting never waits on something stuck: a `gh auth token` that hangs (a keyring
//! prompt nobody answers) and a `:save` to a FIFO nobody reads. The binary in tmux exits
//! after `q` (within a generous bound), says why `:save` wrote nothing, and leaves no `gh`
//! behind. Stand-ins for `gh`, `systemctl` and `journalctl` are on the PATH of the console
//! only (its environment in tmux), never of this test process.

use crate::support::tmux;
use crate::support::tools;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use tmux::{Launch, Tmux, sh_quote};

const BIN: &str = env!("CARGO_BIN_EXE_flightdeck");

/// How long the console may take to draw, and to exit after `q`: a hang guard, far beyond
/// the second it needs.
const BOUND: Duration = Duration::from_secs(10);

/// Writes an executable `name` into `bin` with `body` after the shebang.
fn script(bin: &Path, name: &str, body: &str) {
    let p = bin.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).expect("script");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// The console with `config` and the stand-ins of `bin` first on its PATH.
fn console(tmux: &Path, dir: &Path, bin: &Path, config: &str) -> Tmux {
    let config_path = dir.join("config.toml");
    std::fs::write(&config_path, config).expect("config");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Tmux::start(
        tmux,
        dir,
        Launch::new(format!(
            "{} --config {}",
            sh_quote(BIN),
            sh_quote(&config_path.display().to_string())
        ))
        .env("PATH", path),
    )
}

/// Whether `pid` runs (a zombie does not).
fn running(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        s.rsplit_once(") ")
            .is_some_and(|(_, r)| !r.starts_with('Z'))
    })
}

fn quit_and_expect_exit(t: &Tmux) {
    t.keys(&["q"]);
    assert!(
        t.wait_for(BOUND, |t| t.exit_status().is_some()),
        "the console did not exit after q:\n{}",
        t.capture()
    );
    t.assert_restored();
    assert_eq!(t.exit_status().as_deref(), Some("0"));
}

#[test]
fn a_hanging_gh_auth_token_does_not_keep_the_console_from_exiting() {
    let Some(tmux) = tools::require("tmux") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    let pid_file = dir.path().join("gh.pid");
    // `gh auth token` stuck on a keyring prompt: it never answers
    script(
        &bin,
        "gh",
        &format!(
            "echo $$ > {}\nexec sleep 600",
            sh_quote(&pid_file.display().to_string())
        ),
    );
    let t = console(
        &tmux,
        dir.path(),
        &bin,
        "[github]\nrepo = \"acme/checkout\"\napi_url = \"http://127.0.0.1:9\"\n",
    );
    t.expect("the console", BOUND, |t| t.capture().contains("Pipeline"));
    assert!(
        t.wait_for(BOUND, |_| std::fs::read_to_string(&pid_file)
            .is_ok_and(|s| !s.trim().is_empty())),
        "gh was never asked for a token"
    );
    let gh = std::fs::read_to_string(&pid_file).expect("pid");
    let gh = gh.trim();
    quit_and_expect_exit(&t);
    // and it is not left behind, waiting on a prompt for ever
    assert!(
        t.wait_for(BOUND, |_| !running(gh)),
        "`gh auth token` (pid {gh}) still runs after the console exited"
    );
}

#[test]
fn save_to_a_fifo_says_why_and_does_not_keep_the_console_from_exiting() {
    let Some(tmux) = tools::require("tmux") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    // a local unit whose journal has one line, so the Logs pane has something to save
    script(
        &bin,
        "systemctl",
        "printf 'Id=demo.service\\nLoadState=loaded\\nActiveState=active\\nSubState=running\\n'",
    );
    script(
        &bin,
        "journalctl",
        "echo 'the line to save'\nexec sleep 600",
    );
    let fifo = dir.path().join("fifo");
    let c = std::ffi::CString::new(fifo.display().to_string()).expect("path");
    // SAFETY: mkfifo only creates the node named by a valid C string
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    let t = console(
        &tmux,
        dir.path(),
        &bin,
        "[[service]]\nunit = \"demo.service\"\n",
    );
    t.expect("the journal line in the Logs pane", BOUND, |t| {
        t.capture().contains("the line to save")
    });
    t.palette(&format!("save {}", fifo.display()));
    t.expect("why nothing was saved", BOUND, |t| {
        let s = t.capture();
        s.contains("cannot save") && s.contains("FIFO")
    });
    quit_and_expect_exit(&t);
}

#[test]
fn quitting_during_a_service_restart_writes_its_outcome_and_leaves_nothing_of_it() {
    let Some(tmux) = tools::require("tmux") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    script(
        &bin,
        "systemctl",
        "printf 'Id=demo.service\\nLoadState=loaded\\nActiveState=active\\nSubState=running\\n'",
    );
    let pids = dir.path().join("pids");
    // a restart that hangs, with a background child in its group, both deaf to SIGTERM
    let restart = format!(
        "trap '' TERM; sleep 600 & echo $$ $! > {}; wait",
        sh_quote(&pids.display().to_string())
    );
    let config = format!(
        "[[service]]\nunit = \"demo.service\"\njournal = false\nrestart = [\"/bin/sh\", \"-c\", {}]\n",
        toml_string(&restart)
    );
    let t = console(&tmux, dir.path(), &bin, &config);
    t.expect("the service", BOUND, |t| {
        t.capture().contains("demo.service")
    });
    t.keys(&["5", "r"]);
    t.expect("the confirmation", BOUND, |t| {
        t.capture().contains("Restart demo.service")
    });
    t.keys(&["y"]);
    assert!(
        t.wait_for(BOUND, |_| std::fs::read_to_string(&pids)
            .is_ok_and(|s| s.split_whitespace().count() == 2)),
        "the restart never started:\n{}",
        t.capture()
    );
    let started: Vec<String> = std::fs::read_to_string(&pids)
        .expect("pids")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    // q asks first while the restart runs; y quits anyway
    t.keys(&["q"]);
    t.expect("the quit question", BOUND, |t| {
        t.capture().contains("Quit anyway?")
    });
    t.keys(&["y"]);
    assert!(
        t.wait_for(BOUND, |t| t.exit_status().is_some()),
        "the console did not exit:\n{}",
        t.capture()
    );
    for pid in &started {
        assert!(
            t.wait_for(BOUND, |_| !running(pid)),
            "process {pid} of the restart's group outlived the console"
        );
    }
    let audit = std::fs::read_to_string(dir.path().join("data/flightdeck/audit.jsonl"))
        .expect("the audit file");
    let records: Vec<serde_json::Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(records.len(), 2, "an intent and an outcome: {audit}");
    assert_eq!(
        (&records[0]["phase"], &records[1]["phase"]),
        (&"intent".into(), &"outcome".into()),
        "{audit}"
    );
    assert_eq!(records[0]["id"], records[1]["id"], "{audit}");
    assert_eq!(records[1]["status"], "unknown", "{audit}");
}

/// `s` as a TOML basic string.
fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}
