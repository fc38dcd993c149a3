//! Over SSH, checked on the bytes the console writes to a real terminal (tmux, recorded
//! with `pipe-pane`): 256 colours unless `COLORTERM` says true colour, `[ui] mouse = false`
//! leaves the mouse alone until `:mouse`, and `Y` copies the selected workload's name with
//! OSC 52 — unless `[ui] clipboard = false`.

use crate::support::tmux;
use crate::support::tools;

use std::path::Path;
use std::time::Duration;

use flightdeck_sandbox::{Sandbox, Scenario};
use tmux::{Launch, Tmux};

const BIN: &str = env!("CARGO_BIN_EXE_flightdeck");
const MOUSE_ON: &str = "\x1b[?1000h";
const TRUE_COLOUR: &str = "\x1b[38;2;";
const INDEXED: &str = "\x1b[38;5;";

fn recorded(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
}

/// The console in tmux on the sandbox, with `ui` as config.toml's `[ui]` and `env` added.
fn console(
    tmux_bin: &Path,
    sb: &Sandbox,
    dir: &Path,
    ui: &str,
    env: &[(&'static str, &str)],
) -> (Tmux, std::path::PathBuf) {
    std::fs::create_dir_all(dir).expect("mkdir");
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(&kubeconfig, sb.kubeconfig_yaml()).expect("kubeconfig");
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!("[ui]\n{ui}\n{}", sb.config_toml(&kubeconfig)),
    )
    .expect("config");
    let record = dir.join("terminal.bytes");
    let mut launch = Launch::new(format!(
        "{} --config {}",
        tmux::sh_quote(BIN),
        tmux::sh_quote(&config.display().to_string())
    ))
    .size(120, 40)
    .record(record.clone());
    for (k, v) in env {
        launch = launch.env(k, *v);
    }
    let t = Tmux::start(tmux_bin, &dir.join("pane"), launch);
    t.expect("the workloads", Duration::from_secs(60), |t| {
        t.capture().contains("pods of ")
    });
    (t, record)
}

/// The name in the status bar's "copied `NAME`".
fn copied(bar: &str) -> Option<String> {
    let rest = bar.split("copied `").nth(1)?;
    Some(rest.split('`').next()?.to_owned())
}

#[test]
fn colours_mouse_and_copy_over_ssh() {
    let Some(tmux_bin) = tools::require("tmux") else {
        return;
    };
    let (_rt, sb) = crate::support::common::sandbox_runtime(Scenario::Steady);
    let dir = tempfile::tempdir().expect("tempdir");

    // a 256-colour terminal (no COLORTERM), the mouse left to it
    let (t, record) = console(
        &tmux_bin,
        &sb,
        &dir.path().join("a"),
        "mouse = false",
        &[("TERM", "xterm-256color"), ("COLORTERM", "")],
    );
    let bytes = recorded(&record);
    assert!(bytes.contains(INDEXED), "no 256-colour SGR was written");
    assert!(
        !bytes.contains(TRUE_COLOUR),
        "24-bit colour sent to a 256-colour terminal"
    );
    assert!(
        !bytes.contains(MOUSE_ON),
        "mouse captured with [ui] mouse = false"
    );
    t.palette("mouse");
    t.expect(
        "mouse capture after :mouse",
        Duration::from_secs(10),
        |_| recorded(&record).contains(MOUSE_ON),
    );
    // copy the selected workload's name
    t.keys(&["2", "Y"]);
    if !t.wait_for(Duration::from_secs(10), |t| copied(&t.bar()).is_some()) {
        panic!(
            "never saw the copy's message (OSC 52 written: {}):\n{}",
            recorded(&record).contains("\x1b]52;"),
            t.capture()
        );
    }
    let name = copied(&t.bar()).unwrap_or_default();
    assert!(!name.is_empty() && t.capture().contains(&name), "{name:?}");
    let osc = flightdeck::term::osc52(&name);
    t.expect("the OSC 52 sequence", Duration::from_secs(10), |_| {
        recorded(&record).contains(&osc)
    });
    drop(t);

    // true colour when COLORTERM says so; copying turned off
    let (t, record) = console(
        &tmux_bin,
        &sb,
        &dir.path().join("b"),
        "clipboard = false",
        &[("TERM", "xterm-256color"), ("COLORTERM", "truecolor")],
    );
    assert!(recorded(&record).contains(TRUE_COLOUR));
    assert!(recorded(&record).contains(MOUSE_ON), "captured by default");
    t.keys(&["2", "Y"]);
    t.expect("copy is off", Duration::from_secs(10), |t| {
        t.bar().contains("copy is off")
    });
    assert!(!recorded(&record).contains("\x1b]52;"), "copied while off");
}
