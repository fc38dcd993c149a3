//! The scope and the environment label in the real binary, in tmux, against the sandbox:
//! `-n shop` says prod, `:ns` and `:ctx` (a second file in `KUBECONFIG`) change the label
//! with the scope, no config opens on the context's namespace, and a protected
//! environment's operation waits for the object's name. The console runs with a clean
//! `HOME`, `XDG_*` and `KUBECONFIG` in a temp dir, never the developer's.

mod tools;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};
use k8s_openapi::api::apps::v1::Deployment;
use kube::Api;

const BIN: &str = env!("CARGO_BIN_EXE_flightdeck");

/// The sandbox on a runtime of its own (it serves while the test thread waits on tmux).
struct World {
    rt: tokio::runtime::Runtime,
    sb: Option<Sandbox>,
    dir: tempfile::TempDir,
}

impl World {
    fn start() -> World {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let sb = rt.block_on(async {
            let sb = Sandbox::start(SandboxOptions::scenario(Scenario::Steady))
                .await
                .expect("sandbox");
            let r = reqwest::Client::new()
                .post(format!("{}/time/pause", sb.admin_url()))
                .send()
                .await
                .expect("pause");
            assert!(r.status().is_success());
            sb
        });
        let dir = tempfile::tempdir().expect("tempdir");
        for sub in ["home", "cfg", "data", "state", "cache"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("mkdir");
        }
        let w = World {
            rt,
            sb: Some(sb),
            dir,
        };
        std::fs::write(w.path("kubeconfig"), w.sb().kubeconfig_yaml()).expect("kubeconfig");
        std::fs::write(
            w.path("other-kubeconfig"),
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: other\n  cluster:\n    server: {}\ncontexts:\n- name: other\n  context:\n    cluster: other\n    user: other\n    namespace: shop-dev\ncurrent-context: other\nusers:\n- name: other\n  user:\n    token: sandbox-token\n",
                w.sb().kube_url()
            ),
        )
        .expect("other kubeconfig");
        // the generated config without its `[kube] kubeconfig`, so KUBECONFIG decides
        let config = w.sb().config_toml(&w.path("kubeconfig"));
        let config: String = config
            .lines()
            .filter(|l| !l.starts_with("kubeconfig ="))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(w.path("config.toml"), config).expect("config");
        w
    }

    fn sb(&self) -> &Sandbox {
        self.sb.as_ref().expect("sandbox running")
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn resource_version(&self, name: &str) -> String {
        let yaml = self.sb().kubeconfig_yaml();
        self.rt.block_on(async {
            let kc = kube::config::Kubeconfig::from_yaml(&yaml).expect("kubeconfig");
            let c = flightdeck::sources::kube::client::client_from_kubeconfig(kc, None)
                .await
                .expect("client");
            Api::<Deployment>::namespaced(c, "shop")
                .get(name)
                .await
                .expect("deployment")
                .metadata
                .resource_version
                .expect("resourceVersion")
        })
    }
}

impl Drop for World {
    fn drop(&mut self) {
        if let Some(sb) = self.sb.take() {
            self.rt.block_on(sb.shutdown());
        }
    }
}

/// A tmux server of our own (its own socket), killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// Runs the console in a 120x30 pane with HOME, XDG_* and KUBECONFIG under `dir`.
    fn start(dir: &Path, kubeconfig: &str, args: &str) -> Tmux {
        let socket = format!(
            "fd-scope-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        );
        let d = dir.display();
        let script = format!(
            "env -i PATH=\"$PATH\" TERM=\"${{TERM:-xterm-256color}}\" LANG=C.UTF-8 HOME='{d}/home' XDG_CONFIG_HOME='{d}/cfg' XDG_DATA_HOME='{d}/data' XDG_STATE_HOME='{d}/state' XDG_CACHE_HOME='{d}/cache' KUBECONFIG='{kubeconfig}' '{BIN}' {args}; echo $? > '{d}/exit'; sleep 30"
        );
        let ok = Command::new("tmux")
            .args([
                "-u",
                "-L",
                &socket,
                "new-session",
                "-d",
                "-x",
                "120",
                "-y",
                "30",
                "sh",
                "-c",
                &script,
            ])
            .status()
            .expect("tmux");
        assert!(ok.success());
        Tmux { socket }
    }

    fn capture(&self) -> String {
        let out = Command::new("tmux")
            .args(["-u", "-L", &self.socket, "capture-pane", "-p"])
            .output()
            .expect("capture");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The status bar: the last line of the screen.
    fn bar(&self) -> String {
        self.capture()
            .lines()
            .rfind(|l| !l.trim().is_empty())
            .unwrap_or_default()
            .to_owned()
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            Command::new("tmux")
                .args(["-L", &self.socket, "send-keys", k])
                .status()
                .expect("send-keys");
        }
    }

    fn literal(&self, text: &str) {
        Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-l", text])
            .status()
            .expect("send-keys");
    }

    fn palette(&self, line: &str) {
        self.literal(":");
        self.literal(line);
        self.keys(&["Enter"]);
    }

    /// Polls (bounded: a hang guard, not a timing assertion) until `f` holds.
    fn wait_for(&self, what: &str, mut f: impl FnMut(&Tmux) -> bool) {
        for _ in 0..400 {
            if f(self) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("never saw {what}:\n{}", self.capture());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

fn has_label(bar: &str, env: &str, place: &str) -> bool {
    bar.contains(&format!(" {env} ▸ {place} "))
}

#[test]
fn namespace_and_context_switches_relabel_the_environment() {
    if tools::require("tmux").is_none() {
        return;
    }
    let w = World::start();
    let kubeconfig = format!(
        "{}:{}",
        w.path("kubeconfig").display(),
        w.path("other-kubeconfig").display()
    );
    let config = w.path("config.toml");
    let t = Tmux::start(
        w.dir.path(),
        &kubeconfig,
        &format!("--config '{}' --namespace shop", config.display()),
    );
    t.wait_for("prod ▸ sandbox/shop", |t| {
        has_label(&t.bar(), "prod", "sandbox/shop")
    });
    assert!(!t.bar().contains(" dev "), "{}", t.bar());

    t.palette("ns shop-dev");
    t.wait_for("dev ▸ sandbox/shop-dev", |t| {
        has_label(&t.bar(), "dev", "sandbox/shop-dev")
    });

    t.palette("ns payments");
    t.wait_for("sandbox/payments without a label", |t| {
        let bar = t.bar();
        bar.contains(" sandbox/payments ") && !bar.contains('▸')
    });

    // the second KUBECONFIG file's context, on its own namespace
    t.palette("ctx other");
    t.wait_for("other/shop-dev without a label", |t| {
        let bar = t.bar();
        bar.contains(" other/shop-dev ") && !bar.contains('▸')
    });
    t.palette("ctx sandbox");
    t.wait_for("prod ▸ sandbox/shop again", |t| {
        has_label(&t.bar(), "prod", "sandbox/shop")
    });
    t.literal("q");
    t.wait_for("exit", |_| w.path("exit").exists());
}

#[test]
fn without_a_config_the_console_opens_on_the_context_namespace() {
    if tools::require("tmux").is_none() {
        return;
    }
    let w = World::start();
    let kubeconfig = w.path("kubeconfig").display().to_string();
    let t = Tmux::start(w.dir.path(), &kubeconfig, "");
    t.wait_for("sandbox/shop", |t| {
        let bar = t.bar();
        bar.contains(" sandbox/shop ") && !bar.contains('▸')
    });
    assert!(!t.capture().contains("sandbox/all"), "{}", t.capture());
    t.literal("q");
    t.wait_for("exit", |_| w.path("exit").exists());
}

#[test]
fn a_protected_environment_waits_for_the_typed_name() {
    if tools::require("tmux").is_none() {
        return;
    }
    let w = World::start();
    let kubeconfig = w.path("kubeconfig").display().to_string();
    let config = w.path("config.toml");
    let t = Tmux::start(
        w.dir.path(),
        &kubeconfig,
        &format!("--config '{}' -n shop", config.display()),
    );
    t.wait_for("prod and its deployments", |t| {
        has_label(&t.bar(), "prod", "sandbox/shop") && t.capture().contains("┃checkout ")
    });
    // restart the selected deployment; the dialog names what must be typed
    t.literal("r");
    let mut name = String::new();
    t.wait_for("type NAME to confirm", |t| {
        let screen = t.capture();
        let found = screen.lines().find_map(|l| {
            let (before, _) = l.split_once(" to confirm")?;
            let n = before.split_whitespace().last()?;
            before.contains(&format!("type {n}")).then(|| n.to_owned())
        });
        match found {
            Some(n) => {
                name = n;
                true
            }
            None => false,
        }
    });
    assert!(
        name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
        "{name:?}:\n{}",
        t.capture()
    );
    let before = w.resource_version(&name);
    t.literal("y");
    t.keys(&["Enter"]);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        t.capture().contains("to confirm"),
        "y alone must not close the confirmation:\n{}",
        t.capture()
    );
    assert_eq!(w.resource_version(&name), before, "y alone sent the PATCH");

    // the name itself confirms, and the restart reaches the cluster
    t.keys(&["BSpace"]);
    t.literal(&name);
    t.keys(&["Enter"]);
    for _ in 0..200 {
        if w.resource_version(&name) != before {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_ne!(
        w.resource_version(&name),
        before,
        "the typed name did not confirm:\n{}",
        t.capture()
    );
    t.literal("q");
    t.wait_for("exit", |_| w.path("exit").exists());
}
