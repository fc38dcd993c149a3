//! The real binary: in tmux as a person would use it, and `check-config` as a script would.

use crate::support::tmux;
use crate::support::tools;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use tmux::{Launch, Tmux, clean_env, sh_quote};

const BIN: &str = env!("CARGO_BIN_EXE_flightdeck");

const BOUND: Duration = Duration::from_secs(10);

/// The console in a 100x30 pane with the clean environment of `tests/support/tmux.rs` under a temp dir
/// of its own (dropped after the tmux server).
fn start(tmux: &Path, args: &str) -> (Tmux, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = Tmux::start(
        tmux,
        dir.path(),
        Launch::new(format!("{} {args}", sh_quote(BIN))).size(100, 30),
    );
    (t, dir)
}

/// The running console's environment (Linux's /proc) is [`clean_env`]'s.
fn assert_clean_env(dir: &Path, pid: &str) {
    let environ =
        std::fs::read(format!("/proc/{pid}/environ")).expect("read the console's environ");
    let vars: Vec<String> = environ
        .split(|b| *b == 0)
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect();
    for (k, v) in clean_env(dir) {
        let want = format!("{k}={}", v.display());
        assert!(
            vars.contains(&want),
            "{want} not in the console's environment: {vars:?}"
        );
    }
}

#[test]
fn console_shows_five_panes_and_q_exits_cleanly() {
    let Some(tmux) = tools::require("tmux") else {
        return;
    };
    let (t, _dir) = start(&tmux, "");
    let seen = t.wait_for(BOUND, |t| {
        let s = t.capture();
        ["Pipeline", "Workloads", "Error rate", "Logs", "Hosts"]
            .iter()
            .all(|p| s.contains(p))
    });
    assert!(seen, "five pane titles not seen:\n{}", t.capture());
    assert_eq!(
        t.display("#{alternate_on}"),
        "1",
        "the console uses the alternate screen"
    );
    t.keys(&["q"]);
    t.assert_restored();
    assert_eq!(t.exit_status().as_deref(), Some("0"));
}

#[test]
fn signals_from_outside_restore_the_terminal_and_say_so_in_the_exit_status() {
    let Some(tmux) = tools::require("tmux") else {
        return;
    };
    let (Some(pgrep), Some(kill)) = (tools::require("pgrep"), tools::require("kill")) else {
        return;
    };
    // 128 + the signal's number, as a shell reports a process a signal ended
    for (signal, status) in [
        ("-TERM", "143"),
        ("-HUP", "129"),
        ("-INT", "130"),
        ("-QUIT", "131"),
    ] {
        let (t, dir) = start(&tmux, "--read-only");
        assert!(
            t.wait_for(BOUND, |t| t.capture().contains("READ-ONLY")),
            "console not up:\n{}",
            t.capture()
        );
        let pid = t.child_pid(&pgrep, "flightdeck").expect("console pid");
        assert_clean_env(dir.path(), &pid);
        let ok = Command::new(&kill)
            .args([signal, &pid])
            .status()
            .expect("kill");
        assert!(ok.success());
        t.assert_restored();
        assert_eq!(t.exit_status().as_deref(), Some(status), "{signal}");
    }
}

#[test]
fn a_bad_user_keymap_is_a_warning_in_the_console_not_a_failure() {
    let Some(tmux) = tools::require("tmux") else {
        return;
    };
    let (t, _dir) = start(&tmux, "");
    drop(t);
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("keymaps")).expect("mkdir");
    std::fs::write(
        dir.path().join("keymaps/default.toml"),
        "[keys.global]\nQ = \"app.explode\"\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("config.toml"),
        "[ui]\nkeymap = \"default\"\n",
    )
    .expect("write");
    let (t, _dir) = start(
        &tmux,
        &format!("--config {}", dir.path().join("config.toml").display()),
    );
    assert!(
        t.wait_for(BOUND, |t| t.capture().contains("⚠ 1")),
        "warning count not shown:\n{}",
        t.capture()
    );
    t.keys(&["q"]);
    t.assert_restored();
    assert_eq!(t.exit_status().as_deref(), Some("0"));
}

fn check_config(dir: &Path) -> (i32, String) {
    let out = Command::new(BIN)
        .args([
            "check-config",
            &dir.join("config.toml").display().to_string(),
        ])
        .output()
        .expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn check_config_is_strict_and_names_file_line_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("config.toml"),
        "[github]\nrepo = \"acme/checkout\"\n",
    )
    .expect("write");
    let (code, out) = check_config(dir.path());
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no problems"));

    std::fs::create_dir_all(dir.path().join("themes")).expect("mkdir");
    std::fs::create_dir_all(dir.path().join("keymaps")).expect("mkdir");
    std::fs::write(
        dir.path().join("config.toml"),
        "[github]\nrepo = \"acme/checkout\"\nbranch = 3\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("themes/night.toml"),
        "\"ui.border\" = \"#zzzzzz\"\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("keymaps/default.toml"),
        "[keys.global]\nS-x = \"app.quit\"\n",
    )
    .expect("write");
    let (code, out) = check_config(dir.path());
    assert_eq!(code, 1, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "three problems and the summary: {out}");
    assert!(lines[3].ends_with("config.toml: 3 problems"), "{out}");
    assert!(lines.iter().any(|l| l.ends_with("config.toml:3:1: unknown field `branch`, expected one of `repo`, `api_url`, `token_env`")), "{out}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("night.toml:1:15: bad colour `#zzzzzz`")),
        "{out}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("default.toml:2:1: `S-` is for named keys only")),
        "{out}"
    );
}
