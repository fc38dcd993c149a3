//! A pod whose name and label carry escapes (stored by the sandbox without the API
//! server's validation, as a server that does not check them would hand them out), an
//! API error whose message carries them (the watch's error chain and the `!` log), and
//! the pod's name copied to the clipboard (OSC 52).

use super::{BOUND, NS, admin_post, check_recording, console, payload, short_payload};
use crate::support::tools;

use flightdeck_sandbox::Scenario;

#[test]
fn hostile_names_errors_and_copies_never_reach_the_terminal() {
    let Some(tmux_bin) = tools::require("tmux") else {
        return;
    };
    let (rt, sb) = crate::support::common::sandbox_runtime(Scenario::Steady);
    admin_post(&rt, &sb, "/time/pause", Vec::new());
    let pod = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": short_payload("NAME"), "namespace": NS,
            "labels": {"hostile": short_payload("LABEL")}
        },
        "spec": {"containers": [{"name": "main", "image": "busybox:1.36"}]}
    });
    admin_post(&rt, &sb, "/objects", pod.to_string().into_bytes());
    // every request for Jobs and CronJobs fails with a message that carries escapes
    let fault = serde_json::json!({
        "error_rate": 1.0,
        "error_path_prefix": "/apis/batch/v1",
        "error_message": payload("ERROR"),
    });
    admin_post(&rt, &sb, "/faults", fault.to_string().into_bytes());

    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, sb.kubeconfig_yaml()).expect("kubeconfig");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, sb.config_toml(&kubeconfig)).expect("config");
    let record = dir.path().join("terminal.bytes");
    let console = console(&tmux_bin, dir.path(), &config, &record, Vec::new());
    console.expect("checkout's row", BOUND, |t| {
        t.capture().contains("checkout")
    });

    // every pod, narrowed to the hostile one
    console.keys(&["2"]);
    console.palette("pods");
    console.keys(&["/"]);
    console.literal("HOSTILE");
    console.keys(&["Enter"]);
    console.expect("the hostile pod's name in the list", BOUND, |t| {
        t.capture().contains("HOSTILE-NAME")
    });
    // its name to the clipboard
    console.keys(&["Y"]);
    console.expect("the copy's flash", BOUND, |t| {
        t.capture().contains("copied")
    });
    // its labels in the detail
    console.keys(&["Enter"]);
    console.expect("the hostile label in the detail", BOUND, |t| {
        t.capture().contains("HOSTILE-LABEL")
    });
    console.keys(&["Escape"]);
    console.expect("the detail closed", BOUND, |t| {
        !t.capture().contains("HOSTILE-LABEL")
    });
    // the failing Jobs watch: its error chain in the pane, and in flightdeck's own log
    console.expect("the hostile error in the Workloads pane", BOUND, |t| {
        t.capture().contains("HOSTILE-ERROR")
    });
    let log = super::console_log_leaks(&console, "ERROR");
    console.literal("q");
    console.assert_restored();

    let bytes = std::fs::read(&record).expect("the terminal recording");
    check_recording(&bytes, &["NAME", "LABEL", "ERROR"], &["NAME"], &log);
    rt.block_on(sb.shutdown());
}
