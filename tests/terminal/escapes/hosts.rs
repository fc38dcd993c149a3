//! The Hosts pane's outside text: a health endpoint that redirects to a Location holding
//! C1 controls and a bidi override (all an HTTP header can carry), with escapes in its
//! body, and a unit's journal (`journalctl -o json`, a stand-in on PATH printing what
//! journald exports) whose message and identifier carry escapes.

use super::{BOUND, admin_post, c1_payload, check_recording, console, payload, serve};
use crate::support::tools;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use flightdeck_sandbox::Scenario;

/// `systemctl show` of a running unit, as systemd 255 prints it.
const SHOW: &str = "Id=hostile.service
LoadState=loaded
ActiveState=active
SubState=running
Result=success
NRestarts=0
MainPID=4242
ExecMainStartTimestamp=Tue 2026-03-03 02:58:10 UTC
";

#[test]
fn hostile_health_answers_and_journal_lines_never_reach_the_terminal() {
    let Some(tmux_bin) = tools::require("tmux") else {
        return;
    };
    let (rt, sb) = crate::support::common::sandbox_runtime(Scenario::Steady);
    admin_post(&rt, &sb, "/time/pause", Vec::new());

    // a health endpoint that redirects somewhere hostile, with escapes in its body
    let location = HeaderValue::from_bytes(c1_payload("HEALTH").as_bytes()).expect("header");
    let app = axum::Router::new().route(
        "/health",
        axum::routing::get(move || {
            let location = location.clone();
            async move {
                (
                    StatusCode::FOUND,
                    [(header::LOCATION, location)],
                    payload("BODY"),
                )
                    .into_response()
            }
        }),
    );
    let health = rt.block_on(serve(app));

    let dir = tempfile::tempdir().expect("tempdir");
    // stand-ins for systemctl and journalctl, first on the console's PATH
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    // stamped now: the Logs pane orders lines by time, beside the pods' lines
    let now_us = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_micros();
    let entry = serde_json::json!({
        "__CURSOR": "s=1;i=2", "__REALTIME_TIMESTAMP": now_us.to_string(), "PRIORITY": "3",
        "SYSLOG_IDENTIFIER": payload("IDENT"), "_PID": "4242",
        "_SYSTEMD_UNIT": "hostile.service", "MESSAGE": payload("JOURNAL"),
    });
    std::fs::write(dir.path().join("show.txt"), SHOW).expect("show");
    std::fs::write(dir.path().join("journal.txt"), format!("{entry}\n")).expect("journal");
    let d = dir.path().display();
    for (name, body) in [
        ("systemctl", format!("#!/bin/sh\ncat {d}/show.txt\n")),
        // the entry once the test says (the Logs pane empties when it starts following a
        // workload), then following on, as `journalctl -f` does
        (
            "journalctl",
            format!(
                "#!/bin/sh\nwhile [ ! -e {d}/go-journal ]; do sleep 0.05; done\ncat {d}/journal.txt\nexec sleep 120\n"
            ),
        ),
    ] {
        let p = bin.join(name);
        std::fs::write(&p, body).expect("stand-in");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );

    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, sb.kubeconfig_yaml()).expect("kubeconfig");
    let config = dir.path().join("config.toml");
    let mut toml = sb.config_toml(&kubeconfig);
    toml.push_str(&format!(
        "\n[[health]]\nname = \"hostile /health\"\nurl = \"{health}/health\"\ninterval_secs = 1\nfailures = 1\n\n[[service]]\nunit = \"hostile.service\"\ninterval_secs = 1\n"
    ));
    std::fs::write(&config, toml).expect("config");
    let record = dir.path().join("terminal.bytes");
    let console = console(
        &tmux_bin,
        dir.path(),
        &config,
        &record,
        vec![("PATH", path)],
    );
    console.expect("checkout's row", BOUND, |t| {
        t.capture().contains("checkout")
    });
    console.expect("the Logs pane following a workload", BOUND, |t| {
        t.capture().contains("following")
    });
    std::fs::write(dir.path().join("go-journal"), "").expect("go-journal");

    // the Hosts pane, zoomed: the check's redirect named with its Location
    console.keys(&["5", "z"]);
    console.expect("the hostile Location in the Hosts pane", BOUND, |t| {
        t.capture().contains("HOSTILE-HEALTH")
    });
    console.keys(&["z"]);
    // the journal joins the Logs pane
    console.keys(&["4", "z"]);
    console.expect("the hostile journal line in the Logs pane", BOUND, |t| {
        t.capture().contains("HOSTILE-JOURNAL")
    });
    console.keys(&["z"]);
    console.literal("q");
    console.assert_restored();

    let bytes = std::fs::read(&record).expect("the terminal recording");
    // the body is never shown: its title payload must not be there either
    check_recording(&bytes, &["HEALTH", "JOURNAL"], &[], &[]);
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        !text.contains("pwned-BODY") && !text.contains("pwned-IDENT"),
        "a health body or journal identifier reached the terminal"
    );
    rt.block_on(sb.shutdown());
}
