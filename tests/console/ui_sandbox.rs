//! Both panes end to end: the real metrics and GPU sources scrape the sandbox over
//! loopback, their updates go through `update`, and the screen is drawn. Content is
//! checked, not snapshotted (the simulated values move).

use crate::support::common;

use std::time::Duration;

use flightdeck::app::{Event, PaneId, update};
use flightdeck::config::Config;
use flightdeck::sources::gpu::spawn_remote;
use flightdeck::sources::metrics::Target;
use flightdeck::sources::metrics::direct::spawn_direct;
use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};
use tokio::sync::mpsc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gpu_hot_sandbox_fills_both_panes() {
    let sb = Sandbox::start(SandboxOptions::scenario(Scenario::GpuHot))
        .await
        .expect("sandbox starts");
    let mut toml = String::from("[metrics]\n");
    for (service, url) in sb.metrics_targets() {
        toml.push_str(&format!(
            "[[metrics.target]]\nservice = \"{service}\"\nurl = \"{url}\"\n"
        ));
    }
    for (name, url) in sb.gpu_hosts() {
        toml.push_str(&format!(
            "[[gpu.host]]\nname = \"{name}\"\nscrape = \"{url}\"\n"
        ));
    }
    let (config, diags) = Config::parse_lenient("sandbox.toml", &toml);
    assert!(diags.is_empty(), "{diags:?}");
    let mut state = common::state_builder()
        .config(config)
        .at(jiff::Timestamp::now())
        .size(160, 48)
        .build();

    let client = flightdeck::sources::metrics::http_client(Duration::from_secs(2)).expect("client");
    let (tx, mut rx) = mpsc::unbounded_channel::<Event>();
    let metrics_tx = tx.clone();
    let targets = sb
        .metrics_targets()
        .into_iter()
        .map(|(service, url)| Target { service, url })
        .collect();
    let metrics = spawn_direct(targets, Duration::from_millis(200), move |u| {
        metrics_tx.send(Event::Metrics(u)).is_ok()
    });
    let gpu = spawn_remote(sb.gpu_hosts(), Duration::from_millis(250), move |u| {
        tx.send(Event::Gpu(u)).is_ok()
    });

    // enough updates for a ratio (two scrapes) and a few GPU samples
    let (mut metrics_seen, mut gpu_seen) = (0, 0);
    while metrics_seen < 3 || gpu_seen < 3 {
        let event = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("sources report within 20 s")
            .expect("sources running");
        match &event {
            Event::Metrics(_) => {
                metrics_seen += 1;
                // simulated traffic moves on between scrapes, so the ratio has a delta
                let url = format!("{}/time/advance?seconds=30", sb.admin_url());
                let ok = client
                    .post(&url)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                assert!(ok, "POST {url}");
            }
            Event::Gpu(_) => gpu_seen += 1,
            _ => {}
        }
        update(&mut state, event);
    }
    drop(rx);
    let _ = tokio::join!(metrics, gpu);

    let t = common::screen(&state);
    let checkout = t
        .lines()
        .find(|l| l.contains("checkout"))
        .expect("checkout row");
    assert!(checkout.contains('%') && checkout.contains("/s"), "{t}");
    assert!(t.contains("dgx-01  driver"), "{t}");
    let gpu_rows = t
        .lines()
        .filter(|l| l.contains("°C") && l.contains("/") && l.contains('%'))
        .count();
    assert_eq!(gpu_rows, 8, "{t}");
    // GPU 3 runs hot in this scenario; the DCGM page has no slowdown threshold or throttle
    // reasons, so the pane shows the temperature without judging it
    // (at 80 columns the model name gives way to the pod on the GPU)
    assert!(
        t.lines()
            .any(|l| l.contains("│3 H10") && l.contains("90°C")),
        "{t}"
    );

    state.focus = PaneId::Hosts;
    state.zoomed = true;
    let t = common::screen(&state);
    assert!(t.contains("-10m"), "{t}");
    state.focus = PaneId::Errors;
    let t = common::screen(&state);
    assert!(t.contains("5xx ratio") && t.contains("p95 latency"), "{t}");
}
