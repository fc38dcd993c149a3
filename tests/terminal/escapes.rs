//! Hostile text through the channels the console reads from a cluster — a log line, a
//! warning event's message, an annotation in the YAML view, a ReplicaSet's change-cause in
//! the revision picker — into the real binary in tmux, every byte it writes to the terminal
//! recorded. ratatui drops control characters itself, so the checks look for what a missing
//! sanitiser leaves even then: the printable rest of a sequence (`]0;`, `]52;c;`, `[2J`,
//! `[6n`), a window title's payload, the bidi override. Each channel is first seen on
//! screen (its plain marker), so no check passes because the text never arrived.
//!
//! `.ci/run` also builds this test with `--features escape-audit`, where `text::sanitize`
//! passes text through unchanged, and requires it to fail: these checks can fail.

use crate::support::tmux;
use crate::support::tools;

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

/// What a missing sanitiser would leave on the terminal, even after ratatui dropped every
/// control character. (The YAML view shows an annotation as YAML writes it, `\e]0;…\a`:
/// text, not a sequence; those escaped forms are taken out before the scan.)
const RESIDUES: [&str; 6] = ["]0;", "pwned-", "]52;c;", "cHduZWQ=", "[2J", "[6n"];

/// The recording without the YAML view's escaped (printable, harmless) forms of `payload`.
fn without_yaml_escapes(text: &str) -> String {
    text.replace("\\e]0;pwned-YAML\\a", "")
        .replace("\\e]52;c;cHduZWQ=\\a", "")
        .replace("\\e[2J", "")
        .replace("\\e[6n", "")
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
    let text = String::from_utf8_lossy(&bytes);
    for channel in ["LOG", "EVENT", "YAML", "CAUSE"] {
        assert!(
            text.contains(&format!("HOSTILE-{channel}")),
            "the {channel} text never arrived on screen: the checks below would mean nothing"
        );
    }
    let text = without_yaml_escapes(&text);
    for residue in RESIDUES {
        assert!(
            !text.contains(residue),
            "`{residue}` reached the terminal: a hostile sequence was not removed"
        );
    }
    for c in ['\u{202e}', '\u{202c}', '\u{7}', '\u{9b}', '\u{9d}'] {
        assert!(
            !text.contains(c),
            "U+{:04X} reached the terminal from the cluster",
            c as u32
        );
    }
    rt.block_on(sb.shutdown());
}
