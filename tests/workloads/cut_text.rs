//! Cut text keeps its meaning (#28): against the sandbox on every namespace, the tables at
//! 80, 120 and 200 columns. Columns are as wide as their cells and give way by priority,
//! so a status or reason is whole while the name column holds no padding; a name keeps the
//! part that tells rows apart (`shop-dev/checkout`, not `shop-de…eckout`); a revision keeps
//! its hash; a list with nothing under it fills its pane.

use crate::support;
use crate::support::common;

use flightdeck::app::state::State;
use flightdeck::app::update;
use flightdeck::pane::PaneId;
use flightdeck::sources::kube::{JobState, ObjKey};
use flightdeck_sandbox::Scenario;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use support::workloads::{Harness, synced};

const WIDTHS: [u16; 3] = [80, 120, 200];

fn command(s: &mut State, line: &str) {
    update::run_command(s, line);
    update::settle(s);
}

/// The Workloads pane alone (zoomed and focused), its rows trimmed of the frame.
fn pane(s: &State, w: u16, h: u16) -> String {
    screen(s, w, h, true)
}

/// The whole screen, zoomed or in the normal layout.
fn screen(s: &State, w: u16, h: u16, zoomed: bool) -> String {
    let mut s = s.clone();
    s.size = (w, h);
    s.zoomed = zoomed;
    s.focus = PaneId::Workloads;
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    t.draw(|f| flightdeck::ui::render(&s, f)).expect("draw");
    common::cells(t.backend().buffer())
}

macro_rules! snap {
    ($name:expr, $value:expr) => {
        insta::with_settings!({filters => vec![
            (r"\b\d+[smhd]\b", "[age]"),
            // a CronJob's Jobs are named by their scheduled minute, its schedule by the
            // sandbox's start
            (r"(nightly-report-|nightly-rep…)\d{8}\b", "$1[minute]"),
            (r"\b\d{1,2} \d{1,2} \* \* \* +", "[daily] "),
        ]}, {
            insta::assert_snapshot!($name, $value);
        });
    };
}

/// The bad-release world on every namespace, with the nightly report's last Job failed.
async fn world() -> Harness {
    let mut h = Harness::start(Scenario::BadRelease, None).await;
    h.until("all kinds listed", synced).await;
    for _ in 0..30 {
        let failed = h
            .state
            .cluster
            .jobs
            .values()
            .any(|j| matches!(j.state, JobState::Failed(_)));
        if failed && h.state.cluster.statefulsets.len() >= 2 {
            break;
        }
        h.admin("time/advance?seconds=30", "").await;
        h.drain().await;
    }
    h
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_kinds_keep_status_and_names_at_three_widths() {
    let mut h = world().await;
    let s = &mut h.state;
    command(s, "all");
    for w in WIDTHS {
        let t = pane(s, w, 40);
        // the cronjob's READY and its last result whole, at every width
        let cj = t
            .lines()
            .find(|l| l.contains("nightly-report ") && l.contains(" cj "))
            .unwrap_or_else(|| panic!("{w}:\n{t}"));
        assert!(cj.contains("0 active "), "{w}: {cj}");
        assert!(
            cj.contains("last: failed (BackoffLimitExceeded)"),
            "{w}: {cj}"
        );
        let job = t
            .lines()
            .find(|l| l.contains(" job ") && l.contains("failed ("))
            .unwrap_or_else(|| panic!("{w}:\n{t}"));
        assert!(job.contains("failed (BackoffLimitExceeded)"), "{w}: {job}");
        // no name cell keeps padding while a cell is cut: nothing ends in `…` but names
        assert!(!t.contains("acti…") && !t.contains("Limi…"), "{w}:\n{t}");
        snap!(format!("all_kinds_{w}"), t);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_namespace_keeps_the_names_that_tell_rows_apart() {
    // with a Rollout beside the deployments the table has its KIND column (as `-A` opens)
    let mut h = Harness::start(Scenario::Canary, None).await;
    h.until("all kinds listed", synced).await;
    let s = &mut h.state;
    update::settle(s);
    for w in WIDTHS {
        // the normal layout too: there the pane has half the width
        let normal = screen(s, w, 40, false);
        assert!(!normal.contains("…eckout"), "{w}:\n{normal}");
        assert!(normal.contains("/checkout "), "{w}:\n{normal}");
        let t = pane(s, w, 40);
        for ns in ["shop", "shop-dev", "shop-staging"] {
            let row = t
                .lines()
                .find(|l| l.contains(&format!("{ns}/checkout ")) || l.contains("/checkout "))
                .unwrap_or_else(|| panic!("{ns} at {w}:\n{t}"));
            assert!(!row.contains("…eckout"), "{w}: {row}");
        }
        // the rollout column whole: a stalled deployment says why
        assert!(!t.contains("(Prog…"), "{w}:\n{t}");
        snap!(format!("all_namespaces_deployments_{w}"), t);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statefulset_revisions_keep_their_hash() {
    let mut h = world().await;
    let s = &mut h.state;
    command(s, "sts");
    let hashes: Vec<String> = s
        .cluster
        .statefulsets
        .values()
        .filter_map(|st| st.current_revision.clone())
        .filter_map(|r| r.rsplit('-').next().map(str::to_owned))
        .collect();
    assert!(!hashes.is_empty());
    for w in WIDTHS {
        let t = pane(s, w, 30);
        for hash in &hashes {
            assert!(t.contains(hash.as_str()), "{hash} at {w}:\n{t}");
        }
        snap!(format!("statefulsets_{w}"), t);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pods_list_fills_its_pane() {
    let mut h = world().await;
    let s = &mut h.state;
    command(s, "pods");
    let total = s.cluster.pods.len();
    for w in WIDTHS {
        let height = 30;
        let t = pane(s, w, height);
        let rows = t
            .lines()
            .filter(|l| {
                s.cluster
                    .pods
                    .keys()
                    .any(|k: &ObjKey| l.contains(&k.name[k.name.len().saturating_sub(5)..]))
            })
            .count();
        // the frame, the header, the status bar and the `n of m` line take the rest
        let room = height as usize - 2 - 1 - 1 - 1;
        assert!(
            rows >= room.min(total) - 1,
            "{rows} pod rows of {total} in {room} lines at {w}:\n{t}"
        );
    }
}
