//! The real binary in a real terminal: a tmux server of our own (its own socket, no
//! tmux.conf) running one command in one pane, with a clean environment under a temp dir so
//! the command can never read the developer's config, kubeconfig or audit log. One copy,
//! shared by the end-to-end tests (`mod tmux;`).
//!
//! When the command exits, the pane's shell records its exit status and the terminal modes
//! it left behind (`stty -a`), so tests can check that the terminal was restored.
//! [`Tmux::record`] keeps every byte the command writes to the terminal (tmux `pipe-pane`),
//! for tests that check what reached the terminal, not only what the screen shows.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// `s` as one word for `sh`.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// How to start the pane.
pub struct Launch<'a> {
    pub width: u16,
    pub height: u16,
    /// Extra environment (after the clean one, so these win).
    pub env: Vec<(&'a str, String)>,
    /// The command line, as `sh` reads it.
    pub command: String,
    /// Keep the bytes the command writes to the terminal in this file.
    pub record: Option<PathBuf>,
}

impl<'a> Launch<'a> {
    pub fn new(command: impl Into<String>) -> Launch<'a> {
        Launch {
            width: 120,
            height: 30,
            env: Vec::new(),
            command: command.into(),
            record: None,
        }
    }

    pub fn size(mut self, width: u16, height: u16) -> Self {
        self.width = width;
        self.height = height;
        self
    }

    pub fn env(mut self, key: &'a str, value: impl Into<String>) -> Self {
        self.env.push((key, value.into()));
        self
    }

    pub fn record(mut self, file: PathBuf) -> Self {
        self.record = Some(file);
        self
    }
}

/// A tmux server of our own, killed on drop.
pub struct Tmux {
    tmux: PathBuf,
    socket: String,
    dir: PathBuf,
}

/// The clean environment under `dir`: HOME, XDG directories and a KUBECONFIG that does not
/// exist (a test that wants a cluster names its own kubeconfig or config).
pub fn clean_env(dir: &Path) -> Vec<(&'static str, PathBuf)> {
    vec![
        ("HOME", dir.join("home")),
        ("KUBECONFIG", dir.join("home/.kube/config")),
        ("XDG_CONFIG_HOME", dir.join("cfg")),
        ("XDG_DATA_HOME", dir.join("data")),
        ("XDG_STATE_HOME", dir.join("state")),
        ("XDG_CACHE_HOME", dir.join("cache")),
    ]
}

impl Tmux {
    /// Starts `launch` with the clean environment under `dir` (created if missing). The
    /// command starts only once recording (if asked for) is in place, so no byte is missed.
    pub fn start(tmux: &Path, dir: &Path, launch: Launch) -> Tmux {
        for sub in ["home", "cfg", "data", "state", "cache"] {
            std::fs::create_dir_all(dir.join(sub)).expect("mkdir");
        }
        let socket = format!("fd-test-{}-{}", std::process::id(), suffix());
        let mut assignments: Vec<String> = clean_env(dir)
            .iter()
            .map(|(k, v)| format!("{k}={}", sh_quote(&v.display().to_string())))
            .collect();
        for (k, v) in &launch.env {
            assignments.push(format!("{k}={}", sh_quote(v)));
        }
        let d = sh_quote(&dir.display().to_string());
        // `env -i`: nothing of the test's own environment leaks in but PATH, TERM and LANG
        let script = format!(
            "while [ ! -e {d}/go ]; do sleep 0.02; done; env -i PATH=\"$PATH\" TERM=\"${{TERM:-xterm-256color}}\" LANG=C.UTF-8 {} {}; echo $? > {d}/exit; stty -a > {d}/stty; sleep 60",
            assignments.join(" "),
            launch.command,
        );
        let _ = std::fs::remove_file(dir.join("go"));
        let ok = Command::new(tmux)
            .args([
                "-u",
                "-f",
                "/dev/null",
                "-L",
                &socket,
                "new-session",
                "-d",
                "-x",
                &launch.width.to_string(),
                "-y",
                &launch.height.to_string(),
                "sh",
                "-c",
                &script,
            ])
            .status()
            .expect("run tmux");
        assert!(ok.success(), "tmux new-session failed");
        let t = Tmux {
            tmux: tmux.to_owned(),
            socket,
            dir: dir.to_owned(),
        };
        if let Some(file) = &launch.record {
            let ok = t
                .cmd()
                .args([
                    "pipe-pane",
                    "-o",
                    &format!("cat >> {}", sh_quote(&file.display().to_string())),
                ])
                .status()
                .expect("pipe-pane");
            assert!(ok.success(), "tmux pipe-pane failed");
        }
        std::fs::write(dir.join("go"), "").expect("start the command");
        t
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new(&self.tmux);
        c.args(["-u", "-L", &self.socket]);
        c
    }

    /// The screen as text.
    pub fn capture(&self) -> String {
        let out = self
            .cmd()
            .args(["capture-pane", "-p"])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The status bar: the last non-empty line of the screen.
    pub fn bar(&self) -> String {
        self.capture()
            .lines()
            .rfind(|l| !l.trim().is_empty())
            .unwrap_or_default()
            .to_owned()
    }

    /// Sends tmux key names (`Enter`, `C-c`, `j`), one at a time.
    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.cmd()
                .args(["send-keys", k])
                .status()
                .expect("send-keys");
        }
    }

    /// Types `text` literally.
    pub fn literal(&self, text: &str) {
        self.cmd()
            .args(["send-keys", "-l", text])
            .status()
            .expect("send-keys");
    }

    /// `:line` then enter.
    pub fn palette(&self, line: &str) {
        self.literal(":");
        self.literal(line);
        self.keys(&["Enter"]);
    }

    /// A tmux format of the pane (`#{alternate_on}`, `#{pane_pid}`).
    pub fn display(&self, format: &str) -> String {
        let out = self
            .cmd()
            .args(["display", "-p", format])
            .output()
            .expect("display");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Polls every 50 ms, up to `bound` (a hang guard, not a timing assertion), until `f`
    /// holds; whether it did.
    pub fn wait_for(&self, bound: Duration, mut f: impl FnMut(&Tmux) -> bool) -> bool {
        let end = Instant::now() + bound;
        loop {
            if f(self) {
                return true;
            }
            if Instant::now() > end {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// [`Tmux::wait_for`], failing the test with the screen when `f` never held.
    pub fn expect(&self, what: &str, bound: Duration, f: impl FnMut(&Tmux) -> bool) {
        if !self.wait_for(bound, f) {
            panic!("never saw {what}:\n{}", self.capture());
        }
    }

    /// The pid of the pane shell's child whose command line matches `pattern` (the
    /// command under test).
    pub fn child_pid(&self, pgrep: &Path, pattern: &str) -> Option<String> {
        let shell = self.display("#{pane_pid}");
        let out = Command::new(pgrep)
            .args(["-P", &shell, "-f", pattern])
            .output()
            .ok()?;
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .map(str::to_owned)
    }

    /// The command's exit status, once it has exited.
    pub fn exit_status(&self) -> Option<String> {
        std::fs::read_to_string(self.dir.join("exit"))
            .ok()
            .map(|s| s.trim().to_owned())
    }

    /// `stty -a` as the command left the terminal.
    pub fn stty(&self) -> String {
        std::fs::read_to_string(self.dir.join("stty")).unwrap_or_default()
    }

    /// Waits (bounded) for the command to end, then checks that the terminal is restored:
    /// cooked mode with echo and signals, main screen, cursor shown, no mouse tracking.
    pub fn assert_restored(&self) {
        assert!(
            self.wait_for(Duration::from_secs(20), |t| t.exit_status().is_some()
                && !t.stty().is_empty()),
            "the command did not exit:\n{}",
            self.capture()
        );
        let stty = self.stty();
        let words: Vec<&str> = stty.split_whitespace().collect();
        for mode in ["icanon", "echo", "isig"] {
            assert!(
                words.contains(&mode) && !words.contains(&format!("-{mode}").as_str()),
                "terminal mode {mode} not restored: {stty}"
            );
        }
        assert_eq!(
            self.display("#{alternate_on}"),
            "0",
            "alternate screen left on"
        );
        assert_eq!(self.display("#{cursor_flag}"), "1", "cursor left hidden");
        assert_eq!(
            self.display("#{mouse_any_flag}"),
            "0",
            "mouse tracking left on"
        );
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").status();
    }
}

fn suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0);
    nanos * 1000 + N.fetch_add(1, Ordering::Relaxed)
}
