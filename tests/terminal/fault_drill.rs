//! The fault drill: the real binary in tmux, its Kubernetes traffic through a TCP proxy the
//! test controls, taken through what a bad night brings — a hostile log burst, 20 s of
//! refused connections while the cluster changes, a server that accepts and never answers,
//! and an API server that comes back with a fresh store (resourceVersion gone backwards).
//! Through the refused and the hanging phases the status bar is read every half second:
//! `k8s` must read stale (never live, quiet or connecting), name the refusal, and name the
//! hang (`timed out`) before its phase ends. Afterwards the Workloads rows must equal
//! `kubectl get` against the sandbox itself, the stale face must be gone, and every byte
//! the console wrote to the terminal must be the console's own: no escape sequence,
//! control or bidi character from the cluster.

use crate::support::tmux;
use crate::support::tools;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use flightdeck_sandbox::Scenario;
use tmux::{Launch, Tmux};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

const BIN: &str = env!("CARGO_BIN_EXE_flightdeck");
const NS: &str = "shop";
/// The drill's `[kube] stale_after_secs`: the longest the bar may say `k8s live` without an
/// answer from the API server (the console probes it every third of this).
const STALE_AFTER_SECS: u64 = 6;

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

/// The `k8s` face in the status bar: `k8s live` when the bar lists it among the live
/// sources (`ci k8s logs live`), else `k8s stale 12s (connection refused)`, `k8s failing
/// 3s (timed out)`, `k8s connecting 4s` or `k8s quiet 2m` as drawn; `None` if the bar has
/// none.
fn k8s_face(bar: &str) -> Option<String> {
    let words: Vec<&str> = bar.split_whitespace().collect();
    let labels = ["ci", "k8s", "metrics", "logs", "gpu", "hosts"];
    for (i, w) in words.iter().enumerate() {
        if *w != "k8s" {
            continue;
        }
        // one of the live group: labels up to `live`
        let mut j = i + 1;
        while words.get(j).is_some_and(|w| labels.contains(w)) {
            j += 1;
        }
        if words.get(j) == Some(&"live") {
            return Some("k8s live".into());
        }
        match words.get(i + 1).copied() {
            Some(kind @ ("stale" | "failing")) => {
                // the age, then the reason in parentheses (a few words)
                let mut face = vec!["k8s", kind];
                for w in &words[i + 2..] {
                    face.push(w);
                    if w.ends_with(')') {
                        break;
                    }
                }
                return Some(face.join(" "));
            }
            Some(kind @ ("connecting" | "quiet")) => {
                let age = words.get(i + 2).copied().unwrap_or_default();
                return Some(format!("k8s {kind} {age}"));
            }
            _ => {}
        }
    }
    None
}

/// Whether the `k8s` face says the cluster is out of contact: stale or failing, nothing
/// else (not live, not quiet, not a plain `connecting`).
fn out_of_contact(face: Option<&str>) -> bool {
    face.is_some_and(|f| f.starts_with("k8s stale ") || f.starts_with("k8s failing "))
}

/// Reads the status bar every half second until `end`: `k8s` must read out of contact on
/// every read. Returns the faces read, in order.
fn hold_out_of_contact(console: &Tmux, end: Instant, phase: &str) -> Vec<String> {
    let mut faces = Vec::new();
    loop {
        let bar = console.bar();
        let face = k8s_face(&bar);
        assert!(
            out_of_contact(face.as_deref()),
            "{phase}: the bar must say k8s is stale or failing, and it says {face:?}:\n{bar}"
        );
        faces.extend(face);
        if Instant::now() >= end {
            return faces;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn the_k8s_face_is_read_as_the_bar_draws_it() {
    let bar = " staging ▸ sandbox/shop  ? help  ci k8s logs live  metrics quiet 2m ";
    assert_eq!(k8s_face(bar).as_deref(), Some("k8s live"));
    let bar =
        " sandbox/shop  ci live  k8s stale 12s (connection refused)  logs stale 12s (no contact) ";
    assert_eq!(
        k8s_face(bar).as_deref(),
        Some("k8s stale 12s (connection refused)")
    );
    let bar = " sandbox/shop  k8s failing 3s (timed out) ";
    assert_eq!(k8s_face(bar).as_deref(), Some("k8s failing 3s (timed out)"));
    assert_eq!(
        k8s_face(" sandbox/shop  k8s connecting 4s ").as_deref(),
        Some("k8s connecting 4s")
    );
    assert!(!out_of_contact(k8s_face(" ci k8s live ").as_deref()));
    assert!(!out_of_contact(k8s_face(" k8s quiet 2m ").as_deref()));
    assert!(!out_of_contact(None));
}

#[test]
fn fault_drill_refused_hanging_fresh_store_and_hostile_logs() {
    let Some(tmux_bin) = tools::require("tmux") else {
        return;
    };
    let Some(kubectl) = tools::require("kubectl") else {
        return;
    };
    let (rt, sb) = crate::support::common::sandbox_runtime(Scenario::Steady);
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
    // a short contact bound: the bar may say `k8s live` for at most this long without an
    // answer
    let toml = sb.config_toml(&proxied_kubeconfig).replacen(
        "[kube]\n",
        &format!("[kube]\nstale_after_secs = {STALE_AFTER_SECS}\n"),
        1,
    );
    assert!(toml.contains("stale_after_secs"), "{toml}");
    std::fs::write(&config, toml).expect("config");
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

    // 2. twenty seconds of refused connections, while the cluster changes underneath
    proxy.refuse();
    let refused_until = Instant::now() + Duration::from_secs(20);
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
    // within the contact bound (a generous hang guard here), `k8s` reads stale and names
    // the refusal; from then on, never live while connections are refused
    console.expect(
        "k8s stale (connection refused) in the bar",
        Duration::from_secs(STALE_AFTER_SECS + 20),
        |t| {
            k8s_face(&t.bar())
                .is_some_and(|f| out_of_contact(Some(&f)) && f.ends_with("(connection refused)"))
        },
    );
    hold_out_of_contact(&console, refused_until, "connections refused");

    // 3. a server that accepts connections and never answers: never live, and the hang is
    // named before the phase ends
    rt.block_on(proxy.hang());
    let faces = hold_out_of_contact(
        &console,
        Instant::now() + Duration::from_secs(25),
        "a server that never answers",
    );
    assert!(
        faces.iter().any(|f| f.ends_with("(timed out)")),
        "the hang was never named `timed out` in the bar; k8s read: {faces:?}"
    );

    // 4. the API server comes back with a fresh store: resourceVersions went backwards
    post("/restart?fresh_store=true");
    rt.block_on(proxy.forward());

    let after = kubectl_deployments(&kubectl, &direct_kubeconfig);
    assert!(!after.contains_key("worker"), "{after:?}");
    console.expect(
        "rows equal to kubectl get, and k8s in contact again",
        Duration::from_secs(90),
        |t| {
            let screen = t.capture();
            let bar = t.bar();
            screen_deployments(&screen, &names) == after
                && k8s_face(&bar).is_some_and(|f| f == "k8s live" || f.starts_with("k8s quiet"))
                && !bar.contains("stale")
                && !bar.contains("failing")
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
