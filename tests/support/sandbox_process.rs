//! `flightdeck sandbox` as a process of its own, so a test can freeze it (SIGSTOP: its
//! port still accepts connections, nothing answers) as a hung API server would be. Dropped
//! (at the end of a test or when it fails), it is continued, killed and waited for.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_flightdeck");

pub struct SandboxProcess {
    child: Child,
    /// The kubeconfig it wrote (context `sandbox`, namespace `shop`).
    pub kubeconfig: PathBuf,
    _dir: tempfile::TempDir,
}

impl SandboxProcess {
    /// Starts it on a free loopback port and waits (up to a generous bound) until it has
    /// written its kubeconfig and said where it serves.
    pub fn start(scenario: &str) -> SandboxProcess {
        let dir = tempfile::tempdir().expect("tempdir");
        let kubeconfig = dir.path().join("kubeconfig.yaml");
        let mut child = Command::new(BIN)
            .args(["sandbox", "--listen", "127.0.0.1:0", "--scenario", scenario])
            .arg("--write-kubeconfig")
            .arg(&kubeconfig)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start flightdeck sandbox");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                // the last line it prints before serving
                if line.starts_with("kubeconfig:") && tx.send(()).is_err() {
                    return;
                }
            }
        });
        let sb = SandboxProcess {
            child,
            kubeconfig,
            _dir: dir,
        };
        rx.recv_timeout(Duration::from_secs(60))
            .expect("the sandbox process wrote its kubeconfig");
        sb
    }

    pub fn pid(&self) -> libc::pid_t {
        libc::pid_t::try_from(self.child.id()).expect("pid")
    }

    /// Freezes it: connections are still accepted by the kernel, nothing answers. Returns
    /// once every thread of it is stopped (kill(2) returns before a thread running on
    /// another CPU has stopped, and that thread could still answer a request).
    pub fn freeze(&self) {
        self.signal(libc::SIGSTOP);
        let tasks = format!("/proc/{}/task", self.pid());
        let stopped = || {
            std::fs::read_dir(&tasks).is_ok_and(|dir| {
                dir.filter_map(Result::ok).all(|t| {
                    std::fs::read_to_string(t.path().join("stat")).is_ok_and(|stat| {
                        // the state follows the parenthesised command name
                        stat.rsplit_once(") ")
                            .is_some_and(|(_, rest)| rest.starts_with('T') || rest.starts_with('t'))
                    })
                })
            })
        };
        for _ in 0..500 {
            if stopped() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("the sandbox process did not stop");
    }

    pub fn thaw(&self) {
        self.signal(libc::SIGCONT);
    }

    fn signal(&self, sig: libc::c_int) {
        // SAFETY: kill(2) on our own child's pid, which we have not waited for yet
        let r = unsafe { libc::kill(self.pid(), sig) };
        assert_eq!(r, 0, "kill({sig}) on the sandbox process");
    }

    /// A kube client from the kubeconfig it wrote.
    pub async fn client(&self) -> kube::Client {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let yaml = std::fs::read_to_string(&self.kubeconfig).expect("read the kubeconfig");
        let kc = kube::config::Kubeconfig::from_yaml(&yaml).expect("kubeconfig");
        flightdeck::sources::kube::client::client_from_kubeconfig(kc, None)
            .await
            .expect("client")
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        // SAFETY: as in `signal`; continued first so that the kill is not held up
        unsafe {
            libc::kill(self.pid(), libc::SIGCONT);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
