//! Prometheus labels: a real Prometheus scrapes an exporter page whose label values carry
//! escapes, an alerting rule fires on it (its labels are the series' labels, its summary
//! one of them), and the console shows the alert in the Error-rate pane.

use super::{BOUND, admin_post, check_recording, console, serve, short_payload};
use crate::support::{prometheus, tools};

use flightdeck_sandbox::Scenario;

/// A label value in the text exposition format: `\`, `"` and newline escaped, every other
/// byte (ESC and BEL included) as it is.
fn label_value(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[test]
fn hostile_prometheus_labels_never_reach_the_terminal() {
    let Some(tmux_bin) = tools::require("tmux") else {
        return;
    };
    let Some(prom_bin) = tools::require("prometheus") else {
        return;
    };
    let (rt, sb) = crate::support::common::sandbox_runtime(Scenario::Steady);
    admin_post(&rt, &sb, "/time/pause", Vec::new());

    let page = format!(
        "# TYPE hostile_up gauge\nhostile_up{{service=\"{}\",severity=\"{}\",note=\"{}\"}} 1\n",
        label_value(&short_payload("SERVICE")),
        label_value(&short_payload("SEVERITY")),
        label_value(&short_payload("SUMMARY")),
    );
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let page = page.clone();
            async move { page }
        }),
    );
    let exporter = rt.block_on(serve(app));

    let dir = tempfile::tempdir().expect("tempdir");
    let prom_dir = dir.path().join("prometheus");
    std::fs::create_dir_all(&prom_dir).expect("prometheus dir");
    std::fs::write(
        prom_dir.join("rules.yml"),
        "groups:\n- name: hostile\n  interval: 1s\n  rules:\n  - alert: HostileLabels\n    expr: hostile_up > 0\n    annotations:\n      summary: '{{ $labels.note }}'\n",
    )
    .expect("rules");
    let port = prometheus::free_port();
    let target = exporter.trim_start_matches("http://");
    let _prom = prometheus::start(
        &prom_bin,
        &prom_dir,
        &format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: [rules.yml]\nscrape_configs:\n- job_name: hostile\n  static_configs:\n  - targets: ['{target}']\n"
        ),
        port,
    );

    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, sb.kubeconfig_yaml()).expect("kubeconfig");
    let config = dir.path().join("config.toml");
    // the Error-rate pane on the real Prometheus; a target of no environment in particular,
    // so that every alert is shown, whatever service it names
    std::fs::write(
        &config,
        format!(
            "[kube]\nkubeconfig = \"{}\"\n\n[metrics]\nprometheus = \"http://127.0.0.1:{port}\"\n\n[[metrics.target]]\nservice = \"checkout\"\n",
            kubeconfig.display()
        ),
    )
    .expect("config");
    let record = dir.path().join("terminal.bytes");
    let console = console(&tmux_bin, dir.path(), &config, &record, Vec::new());
    console.keys(&["3", "z"]);
    console.expect("the hostile alert in the Error-rate pane", BOUND, |t| {
        t.capture().contains("HOSTILE-SUMMARY")
    });
    console.keys(&["z"]);
    console.literal("q");
    console.assert_restored();

    let bytes = std::fs::read(&record).expect("the terminal recording");
    check_recording(&bytes, &["SERVICE", "SEVERITY", "SUMMARY"], &[], &[]);
    rt.block_on(sb.shutdown());
}
