//! Ctrl-Z and SIGTSTP: the console gives the terminal back as the shell wants it (main
//! screen, cursor shown, cooked mode) and stops; continued (`fg`, SIGCONT), it takes the
//! terminal again — alternate screen, raw mode (a key acts without Enter) — and draws the
//! whole screen.

use crate::support::tmux;
use crate::support::tools;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use tmux::{Launch, Tmux, sh_quote};

const BIN: &str = env!("CARGO_BIN_EXE_flightdeck");

/// A hang guard, not a timing assertion.
const BOUND: Duration = Duration::from_secs(10);

/// The process state letter of `pid` (`T` stopped, `S` sleeping …).
fn state(pid: &str) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(") ")
                .map(|(_, r)| r.chars().take(1).collect())
        })
        .unwrap_or_default()
}

/// `stty -a` of the pane's terminal, read from outside.
fn pane_stty(t: &Tmux, stty: &Path) -> String {
    let tty = t.display("#{pane_tty}");
    let out = Command::new(stty)
        .args(["-a", "-F", &tty])
        .output()
        .expect("stty");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn has_mode(stty: &str, mode: &str) -> bool {
    stty.split_whitespace().any(|w| w == mode)
}

/// Stops the console with `stop` (a function of the test), checks the terminal is the
/// shell's while it is stopped, continues it and checks it is the console's again.
fn stop_and_continue(stop: impl Fn(&Tmux, &str)) {
    let Some(tmux) = tools::require("tmux") else {
        return;
    };
    let (Some(pgrep), Some(kill), Some(stty)) = (
        tools::require("pgrep"),
        tools::require("kill"),
        tools::require("stty"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let t = Tmux::start(&tmux, dir.path(), Launch::new(sh_quote(BIN)).size(100, 30));
    t.expect("the console", BOUND, |t| t.capture().contains("Workloads"));
    let pid = t.child_pid(&pgrep, BIN).expect("the console's pid");
    stop(&t, &pid);
    assert!(
        t.wait_for(BOUND, |_| state(&pid) == "T"),
        "the console did not stop (state {})",
        state(&pid)
    );
    assert_eq!(
        t.display("#{alternate_on}"),
        "0",
        "alternate screen left on while stopped"
    );
    assert_eq!(
        t.display("#{cursor_flag}"),
        "1",
        "cursor left hidden while stopped"
    );
    assert_eq!(
        t.display("#{mouse_any_flag}"),
        "0",
        "mouse left captured while stopped"
    );
    let modes = pane_stty(&t, &stty);
    for mode in ["icanon", "echo", "isig"] {
        assert!(has_mode(&modes, mode), "{mode} off while stopped: {modes}");
    }

    let ok = Command::new(&kill)
        .args(["-CONT", &pid])
        .status()
        .expect("kill");
    assert!(ok.success());
    t.expect("the alternate screen again", BOUND, |t| {
        t.display("#{alternate_on}") == "1"
    });
    t.expect("the whole screen drawn again", BOUND, |t| {
        let s = t.capture();
        s.contains("Workloads") && s.contains("Pipeline")
    });
    let modes = pane_stty(&t, &stty);
    assert!(
        has_mode(&modes, "-icanon"),
        "not raw after continuing: {modes}"
    );
    // a key acts at once, without Enter
    t.keys(&["?"]);
    t.expect("help, opened by ? alone", BOUND, |t| {
        t.capture().contains(" Help ")
    });
    // ESC and q in one read are Alt+q: close the help first, then quit
    t.keys(&["Escape"]);
    t.expect("help closed", BOUND, |t| !t.capture().contains(" Help "));
    t.keys(&["q"]);
    t.assert_restored();
    assert_eq!(t.exit_status().as_deref(), Some("0"));
}

#[test]
fn sigtstp_gives_the_terminal_back_and_sigcont_takes_it_again() {
    stop_and_continue(|_, pid| {
        let kill = tools::require("kill").expect("kill");
        let ok = Command::new(kill)
            .args(["-TSTP", pid])
            .status()
            .expect("kill");
        assert!(ok.success());
    });
}

#[test]
fn ctrl_z_suspends_as_sigtstp_would() {
    // in raw mode the terminal sends Ctrl-Z as a byte, not as SIGTSTP
    stop_and_continue(|t, _| t.keys(&["C-z"]));
}
