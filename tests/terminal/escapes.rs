//! Hostile text through the channels the console reads from a cluster — a log line, a
//! warning event's message, an annotation in the YAML view, a ReplicaSet's change-cause in
//! the revision picker — into the real binary in tmux, every byte it writes to the terminal
//! recorded. ratatui drops control characters itself, so the checks look for what a missing
//! sanitiser leaves even then: the printable rest of a sequence (`]0;`, `]52;c;`, `[2J`,
//! `[6n`), a window title's payload, the bidi override. Each channel is first seen on
//! screen (its plain marker), so no check passes because the text never arrived.
//!
//! The other channels, each a test of its own beside this one: object names and labels,
//! an API error's message (the error chain and the `!` log) and a copy to the clipboard
//! (`names`), a health endpoint's answer and a unit's journal (`hosts`), GitHub's names
//! (`pipeline`), and Prometheus labels (`prometheus`).
//!
//! `.ci/run` also builds these tests with `--features escape-audit`, where `text::sanitize`
//! passes text through unchanged, and requires every one of them to fail on what reached
//! the terminal: these checks can fail.

use crate::support::tmux;
use crate::support::tools;

mod hosts;
mod names;
mod pipeline;
mod prometheus;

use std::path::Path;
use std::time::Duration;

use flightdeck_sandbox::Scenario;
use tmux::{Launch, Tmux};

const BIN: &str = env!("CARGO_BIN_EXE_flightdeck");
const NS: &str = "shop";
const BOUND: Duration = Duration::from_secs(60);

/// One hostile payload per channel: a title (OSC 0) whose payload says where it came from,
/// a clipboard write (OSC 52), a screen clear, a cursor report request, a bidi override.
fn payload(channel: &str) -> String {
    format!(
        "HOSTILE-{channel} \u{1b}]0;pwned-{channel}\u{7} \u{1b}]52;c;cHduZWQ=\u{7} \u{1b}[2J \u{1b}[6n \u{202e}desrever\u{202c} end-{channel}"
    )
}

/// The same in a shorter form, for channels drawn in narrow columns (names, labels): a
/// title, a screen clear and a bidi override. Sanitised it reads `HOSTILE-{channel}x`.
fn short_payload(channel: &str) -> String {
    format!("HOSTILE-{channel}\u{1b}]0;pwned-{channel}\u{7}\u{1b}[2J\u{202e}x\u{202c}")
}

/// The same written with C1 controls (UTF-8 `C2 9D`, `C2 9B`): what an HTTP header, where
/// ESC and BEL cannot go, can still carry.
fn c1_payload(channel: &str) -> String {
    format!(
        "HOSTILE-{channel} \u{9d}0;pwned-{channel}\u{9c} \u{9b}2J \u{202e}desrever\u{202c} end-{channel}"
    )
}

/// What a missing sanitiser would leave on the terminal, even after ratatui dropped every
/// control character: the printable rest of a sequence, where no ESC precedes it (the
/// console's own sequences keep theirs).
const RESIDUES: [&str; 5] = ["]0;", "]52;c;", "cHduZWQ=", "[2J", "[6n"];

/// Characters that must never reach the terminal from outside: bidi controls, BEL, C1.
const HAZARDS: [char; 6] = [
    '\u{202e}', '\u{202c}', '\u{7}', '\u{9b}', '\u{9c}', '\u{9d}',
];

/// The recording without the YAML view's escaped (printable, harmless) forms of `payload`.
fn without_yaml_escapes(text: &str) -> String {
    text.replace("\\e]0;pwned-YAML\\a", "")
        .replace("\\e]52;c;cHduZWQ=\\a", "")
        .replace("\\e[2J", "")
        .replace("\\e[6n", "")
}

/// The console's own OSC 52 copies in `bytes` (`ESC ] 52 ; c ; BASE64 BEL`), decoded, and
/// the bytes without them.
fn take_copies(bytes: &[u8]) -> (Vec<String>, Vec<u8>) {
    use base64::Engine;
    const START: &[u8] = b"\x1b]52;c;";
    let mut copies = Vec::new();
    let mut rest = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(START)
            && let Some(len) = bytes[i + START.len()..].iter().position(|&b| b == 7)
        {
            let b64 = &bytes[i + START.len()..i + START.len() + len];
            let text = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap_or_else(|e| panic!("the console's OSC 52 is not base64: {e}"));
            copies.push(String::from_utf8_lossy(&text).into_owned());
            i += START.len() + len + 1;
            continue;
        }
        rest.push(bytes[i]);
        i += 1;
    }
    (copies, rest)
}

/// Where `residue` occurs in `text` without an ESC before it.
fn loose(text: &str, residue: &str) -> bool {
    text.match_indices(residue)
        .any(|(i, _)| !text[..i].ends_with('\u{1b}'))
}

/// Channels whose text the view escapes itself before any sanitiser sees it (the YAML
/// view writes `\e]0;…`): with sanitising off they still leave no residue.
const SELF_ESCAPING: [&str; 1] = ["YAML"];

/// The text inside the `!` log overlay on `screen` (tmux's capture), without its border.
fn console_log_text(screen: &str) -> Option<String> {
    let lines: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
    let top = lines
        .iter()
        .position(|l| l.iter().collect::<String>().contains("flightdeck log"))?;
    let left = lines[top].iter().position(|&c| c == '┌')?;
    let right = left + lines[top][left..].iter().position(|&c| c == '┐')?;
    let mut out = String::new();
    for l in &lines[top + 1..] {
        if l.get(left) == Some(&'└') {
            break;
        }
        out.extend(l.iter().skip(left + 1).take(right - left - 1));
        out.push('\n');
    }
    Some(out)
}

/// Opens the `!` log, waits for `channel`'s text in it and closes it again: what a missing
/// sanitiser left inside the log itself (not in the panes behind it).
fn console_log_leaks(console: &Tmux, channel: &str) -> Vec<String> {
    let marker = format!("HOSTILE-{channel}");
    console.keys(&["!"]);
    let mut log = String::new();
    console.expect(&format!("the {channel} text in the `!` log"), BOUND, |t| {
        log = console_log_text(&t.capture()).unwrap_or_default();
        log.contains(&marker)
    });
    // (ESC and the next key sent together read as Alt+key: wait for ESC to be handled)
    console.keys(&["Escape"]);
    console.expect("the `!` log closed", BOUND, |t| {
        !t.capture().contains("flightdeck log")
    });
    let title = format!("pwned-{channel}");
    [title.as_str(), "]0;", "]52;c;", "[2J", "[6n"]
        .iter()
        .filter(|r| log.contains(**r))
        .map(|r| format!("`{r}` reached the terminal in the `!` log ({channel})"))
        .collect()
}

/// Checks a terminal recording: nothing that a missing sanitiser leaves is in it (each
/// channel's title payload `pwned-CHANNEL` named on its own, so a failure says which
/// channels leaked), no copy the console put on the clipboard carries a control or a
/// residue, and every channel's marker did arrive (so no check passes on an empty screen).
/// `copied`: channels whose text must have been copied (OSC 52); `seen`: leaks already
/// found on the screen (`console_log_leaks`).
///
/// Built with `escape-audit` (sanitising off), each channel must leak: a channel that
/// leaves nothing even then has a check that cannot fail, and that is said instead.
fn check_recording(bytes: &[u8], channels: &[&str], copied: &[&str], seen: &[String]) {
    let (copies, rest) = take_copies(bytes);
    let text = without_yaml_escapes(&String::from_utf8_lossy(&rest));
    if cfg!(feature = "escape-audit") {
        let silent: Vec<&str> = channels
            .iter()
            .filter(|c| !SELF_ESCAPING.contains(c))
            .filter(|c| !text.contains(&format!("pwned-{c}")))
            .copied()
            .collect();
        assert!(
            silent.is_empty(),
            "with sanitising off, {silent:?} left nothing on the terminal: their checks cannot fail"
        );
    }
    let mut leaks = seen.to_vec();
    for copy in &copies {
        if copy.contains('\u{1b}') || copy.chars().any(|c| HAZARDS.contains(&c)) {
            leaks.push(format!(
                "the OSC 52 copy {copy:?} carries a control character out: it reached the terminal"
            ));
        }
    }
    for channel in channels {
        let title = format!("pwned-{channel}");
        if text.contains(&title) {
            leaks.push(format!(
                "`{title}` (the {channel} channel's title payload) reached the terminal"
            ));
        }
    }
    for residue in RESIDUES {
        if loose(&text, residue) {
            leaks.push(format!(
                "`{residue}` reached the terminal: a hostile sequence was not removed"
            ));
        }
    }
    for c in HAZARDS {
        if text.contains(c) {
            leaks.push(format!("U+{:04X} reached the terminal", c as u32));
        }
    }
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));
    for channel in channels {
        assert!(
            text.contains(&format!("HOSTILE-{channel}")),
            "the {channel} text never arrived on screen: the checks above would mean nothing"
        );
    }
    for channel in copied {
        assert!(
            copies
                .iter()
                .any(|c| c.contains(&format!("HOSTILE-{channel}"))),
            "the {channel} text was never copied (OSC 52): {copies:?}"
        );
    }
}

/// A loopback HTTP server for `app` on the runtime it is awaited in: a hostile health
/// endpoint or exporter page.
async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

/// POSTs `body` to the sandbox's admin `path`, which must succeed.
fn admin_post(
    rt: &tokio::runtime::Runtime,
    sb: &flightdeck_sandbox::Sandbox,
    path: &str,
    body: Vec<u8>,
) {
    let url = format!("{}{path}", sb.admin_url());
    let r = rt
        .block_on(reqwest::Client::new().post(&url).body(body).send())
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    assert!(r.status().is_success(), "{path}: {}", r.status());
}

/// The console on `config` in tmux, 200x50, every byte it writes kept in `record`.
fn console(
    tmux_bin: &Path,
    dir: &Path,
    config: &Path,
    record: &Path,
    env: Vec<(&str, String)>,
) -> Tmux {
    let mut launch = Launch::new(format!(
        "{} --config {} -n {NS}",
        tmux::sh_quote(BIN),
        tmux::sh_quote(&config.display().to_string())
    ))
    .size(200, 50)
    .record(record.to_path_buf());
    for (k, v) in env {
        launch = launch.env(k, v);
    }
    Tmux::start(tmux_bin, &dir.join("pane"), launch)
}

fn kubectl(kubectl: &Path, kubeconfig: &Path, args: &[&str], stdin: Option<&str>) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new(kubectl)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(["-n", NS])
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("kubectl");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    let out = child.wait_with_output().expect("kubectl");
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn hostile_text_from_the_cluster_never_reaches_the_terminal() {
    let Some(tmux_bin) = tools::require("tmux") else {
        return;
    };
    let Some(kubectl_bin) = tools::require("kubectl") else {
        return;
    };
    let (rt, sb) = crate::support::common::sandbox_runtime(Scenario::Steady);
    let admin = sb.admin_url();
    let http = reqwest::Client::new();
    let post = |path: &str, body: Vec<u8>| {
        let r = rt
            .block_on(http.post(format!("{admin}{path}")).body(body).send())
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(r.status().is_success(), "{path}: {}", r.status());
    };
    post("/time/pause", Vec::new());

    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, sb.kubeconfig_yaml()).expect("kubeconfig");
    let k = |args: &[&str], stdin: Option<&str>| kubectl(&kubectl_bin, &kubeconfig, args, stdin);

    // the cluster's side, before the console starts: checkout's annotations (the YAML view),
    // its ReplicaSets' change-cause (the revision picker), a warning event about it
    let annotation = serde_json::json!({"metadata": {"annotations": {"note": payload("YAML")}}});
    k(
        &[
            "patch",
            "deployment",
            "checkout",
            "--type=merge",
            "-p",
            &annotation.to_string(),
        ],
        None,
    );
    let replicasets = k(&["get", "replicasets", "-o", "name"], None);
    let cause = serde_json::json!({"metadata": {"annotations": {
        "kubernetes.io/change-cause": payload("CAUSE")
    }}});
    for rs in replicasets.lines().filter(|l| l.contains("/checkout-")) {
        k(
            &["patch", rs, "--type=merge", "-p", &cause.to_string()],
            None,
        );
    }
    let event = serde_json::json!({
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": "checkout.hostile", "namespace": NS},
        "involvedObject": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "checkout", "namespace": NS},
        "reason": "Hostile", "message": payload("EVENT"), "type": "Warning", "count": 1,
        "firstTimestamp": "2026-01-01T00:00:00Z", "lastTimestamp": "2026-01-01T00:00:00Z",
        "source": {"component": "hostile-controller"}
    });
    k(
        &["create", "--validate=false", "-f", "-"],
        Some(&event.to_string()),
    );

    let config = dir.path().join("config.toml");
    std::fs::write(&config, sb.config_toml(&kubeconfig)).expect("config");
    let record = dir.path().join("terminal.bytes");
    let console = Tmux::start(
        &tmux_bin,
        &dir.path().join("pane"),
        Launch::new(format!(
            "{} --config {} -n {NS}",
            tmux::sh_quote(BIN),
            tmux::sh_quote(&config.display().to_string())
        ))
        .size(200, 50)
        .record(record.clone()),
    );
    console.expect("checkout's row", BOUND, |t| {
        t.capture().contains("checkout")
    });
    // select checkout: filter the Workloads list down to it
    console.keys(&["2", "/"]);
    console.literal("checkout");
    console.keys(&["Enter"]);

    // a log line of every checkout pod: the Logs pane follows the selection
    let pods = k(&["get", "pods", "-o", "name"], None);
    for pod in pods
        .lines()
        .filter_map(|p| p.strip_prefix("pod/"))
        .filter(|p| p.starts_with("checkout-"))
    {
        post(
            &format!("/pods/{NS}/{pod}/log"),
            payload("LOG").into_bytes(),
        );
    }
    console.expect("the hostile log line in the Logs pane", BOUND, |t| {
        t.capture().contains("HOSTILE-LOG")
    });

    // the detail (its events), the YAML view, the revision picker
    console.keys(&["Enter"]);
    console.expect("the hostile event in the detail", BOUND, |t| {
        t.capture().contains("HOSTILE-EVENT")
    });
    // (ESC and the next key sent together read as Alt+key: wait for ESC to be handled)
    console.keys(&["Escape"]);
    console.expect("the detail closed", BOUND, |t| {
        !t.capture().contains("HOSTILE-EVENT")
    });
    console.keys(&["y"]);
    console.expect("the hostile annotation in the YAML view", BOUND, |t| {
        t.capture().contains("HOSTILE-YAML")
    });
    console.keys(&["Escape"]);
    console.expect("the YAML view closed", BOUND, |t| {
        !t.capture().contains("HOSTILE-YAML")
    });
    console.keys(&["R"]);
    console.expect("the hostile change-cause in the picker", BOUND, |t| {
        t.capture().contains("HOSTILE-CAUSE")
    });
    console.keys(&["Escape"]);
    console.expect("the picker closed", BOUND, |t| {
        !t.capture().contains("HOSTILE-CAUSE")
    });
    console.literal("q");
    console.assert_restored();

    let bytes = std::fs::read(&record).expect("the terminal recording");
    check_recording(&bytes, &["LOG", "EVENT", "YAML", "CAUSE"], &[], &[]);
    rt.block_on(sb.shutdown());
}
