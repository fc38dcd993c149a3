//! Staleness from last contact for the polled sources (#28, item 4): a metrics or GPU poller
//! that stops answering without an error (a hung request) turns `stale (no contact)` in the
//! status bar once its last contact is older than a few poll rounds, and no sooner.

use crate::support::common;

use flightdeck::app::state::{SourceId, State};
use flightdeck::app::{Event, update};
use flightdeck::config::Config;
use flightdeck::sources::gpu::{GpuSample, GpuUpdate, HostSample};
use flightdeck::sources::metrics::MetricsUpdate;
use jiff::{SignedDuration, Timestamp};

fn later(secs: i64) -> Timestamp {
    common::now()
        .checked_add(SignedDuration::from_secs(secs))
        .expect("time")
}

fn state(toml: &str) -> State {
    let (config, diags) = Config::parse_lenient("test.toml", toml);
    assert!(diags.is_empty(), "{diags:?}");
    common::state_builder().config(config).build()
}

/// The status bar (the last row) as text.
fn bar(s: &mut State) -> String {
    let t = common::text(&common::render(s, 160, 30));
    t.lines().last().unwrap_or_default().to_owned()
}

/// The bar's words for `name` (`metrics live`, `gpu stale 13s (no contact)`).
fn face_of(s: &mut State, name: &str) -> String {
    let line = bar(s);
    let at = line
        .find(&format!("{name} "))
        .unwrap_or_else(|| panic!("{name} in the bar: {line}"));
    line[at..].to_owned()
}

#[test]
fn metrics_without_contact_past_their_bound_are_stale() {
    let mut s = state("[metrics]\nprometheus = \"http://prometheus.invalid:9090\"\n");
    update(&mut s, Event::Metrics(MetricsUpdate::new(common::now())));
    update(&mut s, Event::Tick(later(5)));
    let face = face_of(&mut s, "metrics");
    assert!(face.starts_with("metrics live"), "{face}");
    // the poller answers no more, and reports no error either
    update(&mut s, Event::Tick(later(60)));
    assert!(s.dirty, "the face changed: the bar is drawn again");
    let face = face_of(&mut s, "metrics");
    assert!(face.starts_with("metrics stale 1m (no contact)"), "{face}");
    assert!(s.contact_bound(SourceId::Metrics).is_some());
    // a poll answers again: live
    update(&mut s, Event::Metrics(MetricsUpdate::new(later(61))));
    update(&mut s, Event::Tick(later(62)));
    let face = face_of(&mut s, "metrics");
    assert!(face.starts_with("metrics live"), "{face}");
}

#[test]
fn gpus_without_contact_past_their_bound_are_stale() {
    let mut s =
        state("[[gpu.host]]\nname = \"dgx-01\"\nscrape = \"http://dgx-01.invalid:9400/metrics\"\n");
    let sample = |at: Timestamp| {
        Event::Gpu(GpuUpdate::Host(HostSample {
            host: "dgx-01".into(),
            time: at,
            gpus: vec![GpuSample::empty("dgx-01", 0, "GPU-a".into())],
            error: None,
            driver_version: None,
        }))
    };
    update(&mut s, sample(common::now()));
    update(&mut s, Event::Tick(later(5)));
    let face = face_of(&mut s, "gpu");
    assert!(face.starts_with("gpu live"), "{face}");
    update(&mut s, Event::Tick(later(60)));
    let face = face_of(&mut s, "gpu");
    assert!(face.starts_with("gpu stale 1m (no contact)"), "{face}");
}
