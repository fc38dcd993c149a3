//! The real `kubectl` against a sandbox, for the sandbox crate's kubectl tests: a kubeconfig
//! and cache dir of its own, the sandbox paused, admin routes. Where kubectl is absent the
//! tests fail (see `tests/support/tools.rs`).

use std::path::PathBuf;

use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};
use serde_json::Value;
use tokio::process::Command;

use crate::tools;

pub struct Kubectl {
    pub bin: PathBuf,
    pub sb: Sandbox,
    pub dir: tempfile::TempDir,
}

impl Kubectl {
    /// `None` only where kubectl is missing and skips are allowed; the test then returns.
    pub async fn start(scenario: Scenario) -> Option<Kubectl> {
        let bin = tools::require("kubectl")?;
        // kubectl retries a "Too large resource version" ten times, each after the server's
        // wait: 200 ms instead of kube-apiserver's 3 s keeps the same answers in a quarter
        // of the time
        let sb = Sandbox::start(SandboxOptions {
            fresh_wait: std::time::Duration::from_millis(200),
            ..SandboxOptions::scenario(scenario)
        })
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("kubeconfig"), sb.kubeconfig_yaml()).unwrap();
        let k = Kubectl { bin, sb, dir };
        k.admin("time/pause").await;
        Some(k)
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.bin);
        c.arg("--kubeconfig")
            .arg(self.dir.path().join("kubeconfig"))
            .arg("--cache-dir")
            .arg(self.dir.path().join("cache"))
            .arg("--request-timeout=20s")
            .args(args)
            .env_remove("KUBECONFIG")
            .kill_on_drop(true);
        c
    }

    pub async fn run(&self, args: &[&str]) -> String {
        let out = self.cmd(args).output().await.expect("run kubectl");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "kubectl {args:?} failed: {}\n{stdout}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }

    pub async fn json(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.extend(["-o", "json"]);
        serde_json::from_str(&self.run(&a).await).unwrap()
    }

    pub async fn admin(&self, route: &str) {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let r = reqwest::Client::new()
            .post(format!("{}/{route}", self.sb.admin_url()))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }

    pub async fn advance(&self, seconds: u64) {
        self.admin(&format!("time/advance?seconds={seconds}")).await;
    }
}
