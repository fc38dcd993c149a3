//! The scope and the environment label in the real binary, in tmux, against the sandbox:
//! `-n shop` says prod, `:ns` and `:ctx` (a second file in `KUBECONFIG`) change the label
//! with the scope, no config opens on the context's namespace, and a protected
//! environment's operation waits for the object's name; a context whose server is dead
//! stops the logs of the one left, and coming back follows again. The console runs with a clean
//! `HOME`, `XDG_*` and `KUBECONFIG` in a temp dir, never the developer's.

use crate::support::tmux;
use crate::support::tools;

use std::path::{Path, PathBuf};
use std::time::Duration;

use flightdeck_sandbox::{Sandbox, Scenario};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use tmux::{Launch, Tmux};

const BIN: &str = env!("CARGO_BIN_EXE_flightdeck");

/// The sandbox on a runtime of its own (it serves while the test thread waits on tmux).
struct World {
    rt: tokio::runtime::Runtime,
    sb: Option<Sandbox>,
    dir: tempfile::TempDir,
}

impl World {
    fn start() -> World {
        let (rt, sb) = crate::support::common::sandbox_runtime(Scenario::Steady);
        let r = rt
            .block_on(
                reqwest::Client::new()
                    .post(format!("{}/time/pause", sb.admin_url()))
                    .send(),
            )
            .expect("pause");
        assert!(r.status().is_success());
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
        // a context whose server is gone: nothing listens on port 1
        std::fs::write(
            w.path("dead-kubeconfig"),
            "apiVersion: v1\nkind: Config\nclusters:\n- name: dead\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: dead-prod\n  context:\n    cluster: dead\n    user: dead\n    namespace: shop\ncurrent-context: dead-prod\nusers:\n- name: dead\n  user:\n    token: dead-token\n",
        )
        .expect("dead kubeconfig");
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

impl World {
    /// Appends `text` as a line to the log of every pod in `shop` (whichever the Logs
    /// pane follows has it).
    fn say_in_every_pod(&self, text: &str) {
        let yaml = self.sb().kubeconfig_yaml();
        let admin = self.sb().admin_url();
        self.rt.block_on(async {
            let kc = kube::config::Kubeconfig::from_yaml(&yaml).expect("kubeconfig");
            let c = flightdeck::sources::kube::client::client_from_kubeconfig(kc, None)
                .await
                .expect("client");
            let pods = Api::<Pod>::namespaced(c, "shop")
                .list(&Default::default())
                .await
                .expect("pods");
            let http = reqwest::Client::new();
            for p in pods.items {
                let name = p.metadata.name.unwrap_or_default();
                let r = http
                    .post(format!("{admin}/pods/shop/{name}/log"))
                    .body(text.to_owned())
                    .send()
                    .await
                    .expect("append");
                assert!(r.status().is_success(), "append to {name}: {}", r.status());
            }
        });
    }
}

impl Drop for World {
    fn drop(&mut self) {
        if let Some(sb) = self.sb.take() {
            self.rt.block_on(sb.shutdown());
        }
    }
}

/// The console in a 120x30 pane with HOME and XDG_* under the world's temp dir and
/// `KUBECONFIG` as given.
fn console(w: &World, tmux: &Path, kubeconfig: &str, args: &str) -> Tmux {
    Tmux::start(
        tmux,
        w.dir.path(),
        Launch::new(format!("{} {args}", tmux::sh_quote(BIN))).env("KUBECONFIG", kubeconfig),
    )
}

const BOUND: Duration = Duration::from_secs(20);

fn has_label(bar: &str, env: &str, place: &str) -> bool {
    bar.contains(&format!(" {env} ▸ {place} "))
}

#[test]
fn namespace_and_context_switches_relabel_the_environment() {
    let Some(tmux) = tools::require("tmux") else {
        return;
    };
    let w = World::start();
    let kubeconfig = format!(
        "{}:{}",
        w.path("kubeconfig").display(),
        w.path("other-kubeconfig").display()
    );
    let config = w.path("config.toml");
    let t = console(
        &w,
        &tmux,
        &kubeconfig,
        &format!("--config '{}' --namespace shop", config.display()),
    );
    t.expect("prod ▸ sandbox/shop", BOUND, |t| {
        has_label(&t.bar(), "prod", "sandbox/shop")
    });
    assert!(!t.bar().contains(" dev "), "{}", t.bar());

    t.palette("ns shop-dev");
    t.expect("dev ▸ sandbox/shop-dev", BOUND, |t| {
        has_label(&t.bar(), "dev", "sandbox/shop-dev")
    });

    t.palette("ns payments");
    t.expect("sandbox/payments without a label", BOUND, |t| {
        let bar = t.bar();
        bar.contains(" sandbox/payments ") && !bar.contains('▸')
    });

    // the second KUBECONFIG file's context, on its own namespace
    t.palette("ctx other");
    t.expect("other/shop-dev without a label", BOUND, |t| {
        let bar = t.bar();
        bar.contains(" other/shop-dev ") && !bar.contains('▸')
    });
    t.palette("ctx sandbox");
    t.expect("prod ▸ sandbox/shop again", BOUND, |t| {
        has_label(&t.bar(), "prod", "sandbox/shop")
    });
    t.literal("q");
    t.expect("exit", BOUND, |_| w.path("exit").exists());
}

#[test]
fn without_a_config_the_console_opens_on_the_context_namespace() {
    let Some(tmux) = tools::require("tmux") else {
        return;
    };
    let w = World::start();
    let kubeconfig = w.path("kubeconfig").display().to_string();
    let t = console(&w, &tmux, &kubeconfig, "");
    t.expect("sandbox/shop", BOUND, |t| {
        let bar = t.bar();
        bar.contains(" sandbox/shop ") && !bar.contains('▸')
    });
    assert!(!t.capture().contains("sandbox/all"), "{}", t.capture());
    t.literal("q");
    t.expect("exit", BOUND, |_| w.path("exit").exists());
}

#[test]
fn a_protected_environment_waits_for_the_typed_name() {
    let Some(tmux) = tools::require("tmux") else {
        return;
    };
    let w = World::start();
    let kubeconfig = w.path("kubeconfig").display().to_string();
    let config = w.path("config.toml");
    let t = console(
        &w,
        &tmux,
        &kubeconfig,
        &format!("--config '{}' -n shop", config.display()),
    );
    t.expect("prod and its deployments", BOUND, |t| {
        has_label(&t.bar(), "prod", "sandbox/shop") && t.capture().contains("┃checkout ")
    });
    // restart the selected deployment; the dialog names what must be typed
    t.literal("r");
    let mut name = String::new();
    t.expect("type NAME to confirm", BOUND, |t| {
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
    // a key typed after Enter is read after it: once it shows in the confirmation's input,
    // the Enter was handled (and did not close it), whatever the machine's speed
    t.literal("z");
    t.expect("the confirmation still open after y + Enter", BOUND, |t| {
        t.capture()
            .lines()
            .any(|l| l.contains(&format!("type {name} to confirm: yz█")))
    });
    assert_eq!(w.resource_version(&name), before, "y alone sent the PATCH");

    // the name itself confirms, and the restart reaches the cluster
    t.keys(&["BSpace", "BSpace"]);
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
    t.expect("exit", BOUND, |_| w.path("exit").exists());
}

/// Whether the status bar names the Logs source at all (live, quiet, stale…).
fn bar_has_logs(bar: &str) -> bool {
    bar.split_whitespace().any(|w| w == "logs")
}

/// #28 item 1: `:ctx` to a context whose server is dead stops the logs of the one left —
/// the pane says whose lines it holds, never `● following`, and the bar has no logs
/// source — and coming back follows the selected workload again, without moving the
/// selection: a line written after the return reaches the pane.
#[test]
fn a_dead_context_stops_the_logs_and_coming_back_follows_again() {
    let Some(tmux) = tools::require("tmux") else {
        return;
    };
    let w = World::start();
    let kubeconfig = format!(
        "{}:{}",
        w.path("kubeconfig").display(),
        w.path("dead-kubeconfig").display()
    );
    let config = w.path("config.toml");
    let t = Tmux::start(
        &tmux,
        w.dir.path(),
        Launch::new(format!(
            "{} --config '{}' -n shop",
            tmux::sh_quote(BIN),
            config.display()
        ))
        .env("KUBECONFIG", kubeconfig)
        .size(160, 45),
    );
    t.expect("the logs following", BOUND, |t| {
        t.capture().contains("● following")
    });
    w.say_in_every_pod("marker-before-the-switch");
    t.expect("the line before the switch", BOUND, |t| {
        t.capture().contains("marker-before-the-switch")
    });

    t.palette("ctx dead-prod");
    t.expect("the dead context, the k8s source failing", BOUND, |t| {
        let bar = t.bar();
        bar.contains(" dead-prod/shop ") && bar.contains("k8s failing")
    });
    let screen = t.capture();
    assert!(
        screen.contains("switched away — lines from context sandbox, namespace shop"),
        "the held lines do not say whose they are:\n{screen}"
    );
    assert!(
        !screen.contains("● following"),
        "following on a dead context:\n{screen}"
    );
    assert!(
        !bar_has_logs(&t.bar()),
        "the bar still reports the left context's logs: {}",
        t.bar()
    );

    t.palette("ctx sandbox");
    t.expect("the logs following again", BOUND, |t| {
        let screen = t.capture();
        screen.contains("● following") && !screen.contains("switched away")
    });
    w.say_in_every_pod("marker-after-the-return");
    t.expect("a line written after the return", BOUND, |t| {
        t.capture().contains("marker-after-the-return")
    });
    assert!(bar_has_logs(&t.bar()), "{}", t.bar());
    t.literal("q");
    t.expect("exit", BOUND, |_| w.path("exit").exists());
}
