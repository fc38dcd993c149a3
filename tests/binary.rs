//! The real binary: in tmux as a person would use it, and `check-config` as a script would.

mod tools;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_flightdeck");

/// A tmux server of our own (its own socket), killed on drop.
struct Tmux {
    tmux: PathBuf,
    socket: String,
    dir: tempfile::TempDir,
}

/// The environment the console runs in: home, kubeconfig and XDG directories all inside
/// `dir`, so it cannot reach a real cluster, read the user's config or write their audit log.
/// The kubeconfig named does not exist: the console starts with "no kubeconfig found".
fn clean_env(dir: &Path) -> [(&'static str, PathBuf); 6] {
    [
        ("HOME", dir.join("home")),
        ("KUBECONFIG", dir.join("home/.kube/config")),
        ("XDG_CONFIG_HOME", dir.join("cfg")),
        ("XDG_DATA_HOME", dir.join("data")),
        ("XDG_STATE_HOME", dir.join("state")),
        ("XDG_CACHE_HOME", dir.join("cache")),
    ]
}

/// `s` as one word for `sh`.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

impl Tmux {
    /// Runs the console in a 100x30 pane with [`clean_env`]; when it exits, the shell records
    /// its exit status and the terminal modes it left behind.
    fn start(tmux: &Path, args: &str) -> Tmux {
        let dir = tempfile::tempdir().expect("tempdir");
        let socket = format!("fd-test-{}-{}", std::process::id(), rand_suffix());
        let env = clean_env(dir.path());
        std::fs::create_dir(dir.path().join("home")).expect("mkdir home");
        // Set on the tmux server (whose global environment the pane inherits) and again
        // on the console's command line, in case the pane's shell changes any of them;
        // `-f /dev/null`: the user's tmux.conf is not read either.
        let assignments: Vec<String> = env
            .iter()
            .map(|(k, v)| format!("{k}={}", sh_quote(&v.display().to_string())))
            .collect();
        let d = sh_quote(&dir.path().display().to_string());
        let script = format!(
            "env {} {} {args}; echo $? > {d}/exit; stty -a > {d}/stty; sleep 30",
            assignments.join(" "),
            sh_quote(BIN),
        );
        let ok = Command::new(tmux)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .args([
                "-f",
                "/dev/null",
                "-L",
                &socket,
                "new-session",
                "-d",
                "-x",
                "100",
                "-y",
                "30",
                "sh",
                "-c",
                &script,
            ])
            .status()
            .expect("tmux");
        assert!(ok.success());
        Tmux {
            tmux: tmux.to_owned(),
            socket,
            dir,
        }
    }

    /// `tmux -L <our socket>`.
    fn tmux(&self) -> Command {
        let mut c = Command::new(&self.tmux);
        c.args(["-L", &self.socket]);
        c
    }

    fn capture(&self) -> String {
        let out = self
            .tmux()
            .args(["capture-pane", "-p"])
            .output()
            .expect("capture");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn send(&self, keys: &str) {
        self.tmux()
            .args(["send-keys", keys])
            .status()
            .expect("send-keys");
    }

    fn display(&self, format: &str) -> String {
        let out = self
            .tmux()
            .args(["display", "-p", format])
            .output()
            .expect("display");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Polls (bounded) until `f` is true; returns whether it became true.
    fn wait_for(&self, mut f: impl FnMut(&Tmux) -> bool) -> bool {
        for _ in 0..200 {
            if f(self) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    fn exit_status(&self) -> Option<String> {
        std::fs::read_to_string(self.dir.path().join("exit"))
            .ok()
            .map(|s| s.trim().to_owned())
    }

    fn stty(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stty")).unwrap_or_default()
    }

    fn console_pid(&self, pgrep: &Path) -> Option<String> {
        let shell = self.display("#{pane_pid}");
        let out = Command::new(pgrep)
            .args(["-P", &shell, "-f", "flightdeck"])
            .output()
            .ok()?;
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .map(str::to_owned)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux().args(["kill-server"]).status();
    }
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0)
}

/// The running console's environment (Linux's /proc) is [`clean_env`]'s.
fn assert_clean_env(t: &Tmux, pid: &str) {
    let environ =
        std::fs::read(format!("/proc/{pid}/environ")).expect("read the console's environ");
    let vars: Vec<String> = environ
        .split(|b| *b == 0)
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect();
    for (k, v) in clean_env(t.dir.path()) {
        let want = format!("{k}={}", v.display());
        assert!(
            vars.contains(&want),
            "{want} not in the console's environment: {vars:?}"
        );
    }
}

fn assert_restored(t: &Tmux) {
    assert!(
        t.wait_for(|t| t.exit_status().is_some() && !t.stty().is_empty()),
        "the console did not exit"
    );
    let stty = t.stty();
    assert!(
        stty.contains(" icanon") && !stty.contains("-icanon"),
        "raw mode left on: {stty}"
    );
    assert!(
        stty.contains(" echo ") && !stty.contains("-echo "),
        "echo left off: {stty}"
    );
    assert_eq!(
        t.display("#{alternate_on}"),
        "0",
        "still on the alternate screen"
    );
    assert_eq!(t.display("#{cursor_flag}"), "1", "cursor left hidden");
    assert_eq!(t.display("#{mouse_any_flag}"), "0", "mouse capture left on");
}

#[test]
fn console_shows_five_panes_and_q_exits_cleanly() {
    let Some(tmux) = tools::require("tmux") else {
        return;
    };
    let t = Tmux::start(&tmux, "");
    let seen = t.wait_for(|t| {
        let s = t.capture();
        ["Pipeline", "Workloads", "Error rate", "Logs", "GPU"]
            .iter()
            .all(|p| s.contains(p))
    });
    assert!(seen, "five pane titles not seen:\n{}", t.capture());
    assert_eq!(
        t.display("#{alternate_on}"),
        "1",
        "the console uses the alternate screen"
    );
    t.send("q");
    assert_restored(&t);
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
        let t = Tmux::start(&tmux, "--read-only");
        assert!(
            t.wait_for(|t| t.capture().contains("READ-ONLY")),
            "console not up:\n{}",
            t.capture()
        );
        let pid = t.console_pid(&pgrep).expect("console pid");
        assert_clean_env(&t, &pid);
        let ok = Command::new(&kill)
            .args([signal, &pid])
            .status()
            .expect("kill");
        assert!(ok.success());
        assert_restored(&t);
        assert_eq!(t.exit_status().as_deref(), Some(status), "{signal}");
    }
}

#[test]
fn a_bad_user_keymap_is_a_warning_in_the_console_not_a_failure() {
    let Some(tmux) = tools::require("tmux") else {
        return;
    };
    let t = Tmux::start(&tmux, "");
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
    let t = Tmux::start(
        &tmux,
        &format!("--config {}", dir.path().join("config.toml").display()),
    );
    assert!(
        t.wait_for(|t| t.capture().contains("⚠ 1")),
        "warning count not shown:\n{}",
        t.capture()
    );
    t.send("q");
    assert_restored(&t);
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
