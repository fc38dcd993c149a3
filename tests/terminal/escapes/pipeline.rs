//! GitHub's names in the Pipeline pane: the workflow, the run's branch, title and actor,
//! the jobs and their steps (renamed through the sandbox's admin endpoint), and GitHub's
//! error message once the API fails.

use super::{BOUND, admin_post, check_recording, console, short_payload};
use crate::support::tools;

use flightdeck_sandbox::Scenario;

#[test]
fn hostile_github_names_never_reach_the_terminal() {
    let Some(tmux_bin) = tools::require("tmux") else {
        return;
    };
    let (rt, sb) = crate::support::common::sandbox_runtime(Scenario::Steady);
    admin_post(&rt, &sb, "/time/pause", Vec::new());
    let names = serde_json::json!({
        "workflow": short_payload("WORKFLOW"),
        "actor": short_payload("ACTOR"),
        "job_suffix": format!(" {}", short_payload("JOB")),
        "title": short_payload("TITLE"),
        "branch": short_payload("BRANCH"),
    });
    admin_post(&rt, &sb, "/github/names", names.to_string().into_bytes());

    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, sb.kubeconfig_yaml()).expect("kubeconfig");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, sb.config_toml(&kubeconfig)).expect("config");
    let record = dir.path().join("terminal.bytes");
    let console = console(
        &tmux_bin,
        dir.path(),
        &config,
        &record,
        vec![("GITHUB_TOKEN", "ghp_escapes".to_owned())],
    );
    // the Pipeline pane, zoomed: the runs, then a run's jobs, then a job's steps
    console.keys(&["1", "z"]);
    console.expect("the hostile run title", BOUND, |t| {
        t.capture().contains("HOSTILE-TITLE")
    });
    console.keys(&["Enter"]);
    console.expect("the hostile job names", BOUND, |t| {
        t.capture().contains("HOSTILE-JOB")
    });
    console.keys(&["Enter"]);
    console.expect("a job's steps", BOUND, |t| t.capture().contains("Checkout"));
    // GitHub failing, with escapes in its message
    let fault = serde_json::json!({
        "error_rate": 1.0,
        "error_path_prefix": "/github/",
        "error_message": short_payload("GITHUB-ERROR"),
    });
    admin_post(&rt, &sb, "/faults", fault.to_string().into_bytes());
    let log = super::console_log_leaks(&console, "GITHUB-ERROR");
    // (in the steps view `q` goes back)
    console.palette("quit");
    console.assert_restored();

    let bytes = std::fs::read(&record).expect("the terminal recording");
    check_recording(
        &bytes,
        &[
            "WORKFLOW",
            "ACTOR",
            "JOB",
            "TITLE",
            "BRANCH",
            "GITHUB-ERROR",
        ],
        &[],
        &log,
    );
    rt.block_on(sb.shutdown());
}
