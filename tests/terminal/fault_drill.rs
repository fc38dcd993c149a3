//! The fault drill: the real binary in tmux, its Kubernetes traffic through a TCP proxy the
//! test controls, taken through what a bad night brings — a hostile log burst, 30 s of
//! refused connections while the cluster changes, a server that accepts and never answers,
//! and an API server that comes back with a fresh store (resourceVersion gone backwards).
//! Afterwards the Workloads rows must equal `kubectl get` against the sandbox itself, the
//! failure marker must be gone, and every byte the console wrote to the terminal must be
//! the console's own: no escape sequence, control or bidi character from the cluster.

use crate::support::tmux;
use crate::support::tools;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};
use tmux::{Launch, Tmux};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

const BIN: &str = env!("CARGO_BIN_EXE_flightdeck");
const NS: &str = "shop";

/// A loopback TCP proxy in front of the sandbox that forwards, refuses connections (nothing
/// listens on its port) or accepts them and never answers.
struct Proxy {
    port: u16,
    upstream: SocketAddr,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy addr").port();
        let p = Proxy {
            port,
            upstream,
            tasks: Arc::default(),
        };
        p.serve(listener, true);
        p
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Ends every connection and stops listening: new connections are refused.
    fn refuse(&self) {
        for t in self.tasks.lock().expect("tasks").drain(..) {
            t.abort();
        }
    }

    async fn listen(&self) -> TcpListener {
        // the port was just closed; binding it again may take a moment
        for _ in 0..100 {
            if let Ok(l) = TcpListener::bind(("127.0.0.1", self.port)).await {
                return l;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("could not listen on the proxy's port again");
    }

    async fn forward(&self) {
        self.refuse();
        let l = self.listen().await;
        self.serve(l, true);
    }

    /// Accepts connections and holds them open without a byte in either direction.
    async fn hang(&self) {
        self.refuse();
        let l = self.listen().await;
        self.serve(l, false);
    }

    fn serve(&self, listener: TcpListener, forward: bool) {
        let upstream = self.upstream;
        let tasks = self.tasks.clone();
        let accept = tokio::spawn(async move {
            let mut held: Vec<TcpStream> = Vec::new();
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    continue;
                };
                if !forward {
                    held.push(inbound);
                    continue;
                }
                let conn = tokio::spawn(async move {
                    if let Ok(mut out) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                    }
                });
                tasks.lock().expect("tasks").push(conn);
            }
        });
        self.tasks.lock().expect("tasks").push(accept);
    }
}

/// `kubectl get deployments` against the sandbox itself (not through the proxy): name →
/// READY.
fn kubectl_deployments(kubectl: &Path, kubeconfig: &Path) -> BTreeMap<String, String> {
    let out = std::process::Command::new(kubectl)
        .args(["--kubeconfig"])
        .arg(kubeconfig)
        .args(["get", "deployments", "-n", NS, "--no-headers"])
        .output()
        .expect("run kubectl");
    assert!(
        out.status.success(),
        "kubectl get deployments failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            Some((w.next()?.to_owned(), w.next()?.to_owned()))
        })
        .collect()
}

/// The Workloads pane's deployment rows on screen: name → READY, for the names asked about
/// (`NAME … READY` as the pane draws them: the name first, then `ready/desired`).
fn screen_deployments(screen: &str, names: &[&str]) -> BTreeMap<String, String> {
    let mut rows = BTreeMap::new();
    for line in screen.lines() {
        // panes sit side by side: borders (box drawing) separate words as spaces do
        let words: Vec<&str> = line
            .split(|c: char| c.is_whitespace() || ('\u{2500}'..='\u{257f}').contains(&c))
            .filter(|w| !w.is_empty())
            .collect();
        for (i, w) in words.iter().enumerate() {
            if !names.contains(w) || rows.contains_key(*w) {
                continue;
            }
            let ready = words[i + 1..]
                .iter()
                .find(|x| x.contains('/') && x.split('/').all(|n| n.parse::<u32>().is_ok()));
            if let Some(ready) = ready {
                rows.insert((*w).to_owned(), (*ready).to_owned());
            }
        }
    }
    rows
}

/// Every escape sequence the console wrote, checked: CSI sequences only, and only the kinds
/// a full-screen TUI writes (cursor moves, colours, erase, modes); no OSC/DCS/APC strings,
/// no BEL, no C1 controls, no bidi controls, nothing from the hostile lines.
fn assert_only_own_escapes(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for c in text.chars() {
        let bad = matches!(c, '\u{7}' | '\u{80}'..='\u{9f}')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}');
        assert!(!bad, "the terminal got U+{:04X} from the console", c as u32);
    }
    assert!(
        !text.contains("pwned-title"),
        "a hostile title string reached the terminal raw"
    );
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != 0x1b {
            i += 1;
            continue;
        }
        let next = bytes.get(i + 1).copied();
        match next {
            Some(b'[') => {
                let mut j = i + 2;
                while j < bytes.len() && (0x20..=0x3f).contains(&bytes[j]) {
                    j += 1;
                }
                let Some(&fin) = bytes.get(j) else { break };
                let seq = String::from_utf8_lossy(&bytes[i..=j]).replace('\u{1b}', "ESC");
                // H/f cursor position, m colours, J/K erase, h/l modes, A-G cursor
                // moves, r scroll region, q cursor shape, S/T scroll, X erase chars,
                // u/s save and restore
                assert!(
                    b"HfmJKhlABCDEFGrqSTXsu".contains(&fin),
                    "an escape sequence the console does not write reached the terminal: {seq}"
                );
                i = j + 1;
            }
            // keypad modes, save/restore cursor, character set selection
            Some(b'=' | b'>' | b'7' | b'8') => i += 2,
            Some(b'(' | b')') => i += 3,
            other => panic!(
                "ESC followed by {:?} reached the terminal (only CSI sequences are the console's own)",
                other.map(|b| b as char)
            ),
        }
    }
}

#[test]
fn fault_drill_refused_hanging_fresh_store_and_hostile_logs() {
    let Some(tmux_bin) = tools::require("tmux") else {
        return;
    };
    let Some(kubectl) = tools::require("kubectl") else {
        return;
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let sb = rt.block_on(async {
        Sandbox::start(SandboxOptions::scenario(Scenario::Steady))
            .await
            .expect("sandbox")
    });
    let admin = sb.admin_url();
    let http = reqwest::Client::new();
    let send = |req: reqwest::RequestBuilder, what: &str| {
        let r = rt
            .block_on(req.send())
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(r.status().is_success(), "{what}: {}", r.status());
    };
    let post = |path: &str| send(http.post(format!("{admin}{path}")), path);
    // simulated time stands still: the cluster changes only when the drill changes it
    post("/time/pause");
    let proxy = rt.block_on(Proxy::start(sb.addr()));

    let dir = tempfile::tempdir().expect("tempdir");
    let direct_kubeconfig = dir.path().join("direct-kubeconfig");
    std::fs::write(&direct_kubeconfig, sb.kubeconfig_yaml()).expect("kubeconfig");
    let proxied_kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &proxied_kubeconfig,
        sb.kubeconfig_yaml().replace(&sb.kube_url(), &proxy.url()),
    )
    .expect("kubeconfig");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, sb.config_toml(&proxied_kubeconfig)).expect("config");
    let record = dir.path().join("terminal.bytes");

    let console = Tmux::start(
        &tmux_bin,
        &dir.path().join("pane"),
        Launch::new(format!(
            "{} --config {}",
            tmux::sh_quote(BIN),
            tmux::sh_quote(&config.display().to_string())
        ))
        .size(160, 45)
        .record(record.clone()),
    );
    let before = kubectl_deployments(&kubectl, &direct_kubeconfig);
    let names: Vec<String> = before.keys().cloned().collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    assert!(
        names.contains(&"worker") && names.contains(&"cart"),
        "{before:?}"
    );
    console.expect("every deployment's row", Duration::from_secs(60), |t| {
        screen_deployments(&t.capture(), &names) == before
    });

    // 1. a hostile log burst into every pod the Logs pane may follow
    let pods: Vec<String> = {
        let out = std::process::Command::new(&kubectl)
            .arg("--kubeconfig")
            .arg(&direct_kubeconfig)
            .args(["get", "pods", "-n", NS, "-o", "name"])
            .output()
            .expect("kubectl get pods");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.strip_prefix("pod/").map(str::to_owned))
            .collect()
    };
    let hostile: [&[u8]; 7] = [
        b"HOSTILE title \x1b]0;pwned-title\x07 end",
        b"HOSTILE dsr \x1b[6n \x1b[21t \x1b[8;5;5t end",
        "HOSTILE bidi \u{202e}txet desrever\u{202c} end".as_bytes(),
        b"HOSTILE c1 \xc2\x9b31m \xc2\x90dcs\xc2\x9c end",
        b"HOSTILE dcs \x1bPq#0;2;0;0;0\x1b\\ apc \x1b_x\x1b\\ end",
        b"HOSTILE bytes \xff\xfe\x00\x07\x08\x7f end",
        b"{\"level\":\"error\",\"msg\":\"HOSTILE json \\u001b]52;c;cGFzdGU=\\u0007 end\"}",
    ];
    for pod in &pods {
        for round in 0..20 {
            for line in hostile {
                let mut body = line.to_vec();
                body.extend_from_slice(format!(" #{round}").as_bytes());
                send(
                    http.post(format!("{admin}/pods/{NS}/{pod}/log")).body(body),
                    "append a log line",
                );
            }
        }
    }
    console.expect(
        "the hostile lines in the Logs pane",
        Duration::from_secs(30),
        |t| t.capture().contains("HOSTILE"),
    );

    // 2. thirty seconds of refused connections, while the cluster changes underneath
    proxy.refuse();
    let kubectl_do = |args: &[&str]| {
        let out = std::process::Command::new(&kubectl)
            .arg("--kubeconfig")
            .arg(&direct_kubeconfig)
            .args(["-n", NS])
            .args(args)
            .output()
            .expect("kubectl");
        assert!(
            out.status.success(),
            "kubectl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    kubectl_do(&["delete", "deployment", "worker", "--wait=false"]);
    let cart_pod = pods
        .iter()
        .find(|p| p.starts_with("cart-"))
        .expect("a cart pod");
    kubectl_do(&["delete", "pod", cart_pod, "--wait=false"]);
    kubectl_do(&["scale", "deployment", "frontend", "--replicas=5"]);
    console.expect(
        "the Workloads source marked failing",
        Duration::from_secs(30),
        |t| t.bar().contains("stale") || t.bar().contains("✗"),
    );
    std::thread::sleep(Duration::from_secs(30));

    // 3. a server that accepts connections and never answers
    rt.block_on(proxy.hang());
    std::thread::sleep(Duration::from_secs(25));
    assert!(
        !console.capture().contains("connecting…"),
        "a hanging server must not read as a plain `connecting…`:\n{}",
        console.capture()
    );

    // 4. the API server comes back with a fresh store: resourceVersions went backwards
    post("/restart?fresh_store=true");
    rt.block_on(proxy.forward());

    let after = kubectl_deployments(&kubectl, &direct_kubeconfig);
    assert!(!after.contains_key("worker"), "{after:?}");
    console.expect(
        "rows equal to kubectl get, and no failure marker",
        Duration::from_secs(90),
        |t| {
            let screen = t.capture();
            screen_deployments(&screen, &names) == after
                && !t.bar().contains("stale")
                && !t.bar().contains("✗")
        },
    );

    console.keys(&["q"]);
    console.assert_restored();
    let bytes = std::fs::read(&record).expect("the terminal recording");
    assert!(
        bytes.len() > 10_000,
        "the recording is too short to mean anything"
    );
    assert_only_own_escapes(&bytes);
    proxy.refuse();
    rt.block_on(sb.shutdown());
}
