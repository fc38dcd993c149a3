//! Every wait has a bound and a face: each source in the status bar is `connecting 12s`,
//! `live`, `quiet 3m` or `stale 40s (reason)`, each in its own style, with ages from the
//! last successful contact; and a server that accepts and never answers ends in a
//! timeout failure, not in `connecting` for ever.

use crate::support::common;

use std::sync::Arc;
use std::time::Duration;

use common::{render, state, text};
use flightdeck::app::state::{SourceId, SourceStatus, State};
use flightdeck::app::{Event, update};
use flightdeck::config::theme::Health;
use flightdeck::sources::kube::watch::{self, Sink};
use flightdeck::sources::kube::{Failure, Kind, WorkloadsMsg, client};
use jiff::{SignedDuration, Timestamp};
use ratatui::buffer::Buffer;

fn ago(secs: i64) -> Timestamp {
    common::now()
        .checked_sub(SignedDuration::from_secs(secs))
        .expect("time")
}

/// The status bar (the last row) as text.
fn bar(s: &mut State) -> (Buffer, String) {
    let buf = render(s, 160, 30);
    let t = text(&buf);
    let last = t.lines().last().unwrap_or_default().to_owned();
    (buf, last)
}

/// The style of the first cell of `needle` in the status bar.
fn fg_of(buf: &Buffer, line: &str, needle: &str) -> Option<ratatui::style::Color> {
    let at = line.find(needle)?;
    let col = line[..at].chars().count() as u16;
    Some(buf[(col, buf.area.height - 1)].fg)
}

fn only(s: &mut State, id: SourceId, status: SourceStatus) {
    for other in SourceId::ALL {
        s.sources.insert(
            other,
            SourceStatus::Unavailable {
                reason: "off".into(),
            },
        );
    }
    s.sources.insert(id, status);
}

#[test]
fn connecting_shows_how_long_it_has_been_trying() {
    let mut s = state();
    only(
        &mut s,
        SourceId::Kube,
        SourceStatus::Connecting { since: ago(12) },
    );
    let (buf, line) = bar(&mut s);
    assert!(line.contains("k8s connecting 12s"), "{line}");
    assert_eq!(
        fg_of(&buf, &line, "k8s connecting"),
        s.theme.health(Health::Pending).fg
    );
}

#[test]
fn live_then_quiet_after_a_minute_without_change_while_in_contact() {
    let mut s = state();
    // a poll answered just now, the data last changed 20 s ago: live
    only(
        &mut s,
        SourceId::Pipeline,
        SourceStatus::Live {
            updated: common::now(),
            changed: ago(20),
            open: false,
        },
    );
    let (buf, line) = bar(&mut s);
    assert!(line.contains("ci live"), "{line}");
    let live_fg = fg_of(&buf, &line, "ci live");
    assert_eq!(live_fg, s.theme.health(Health::Ok).fg);

    // an open watch, nothing changed for 3 minutes, in contact (a bookmark or the probe
    // answered just now): quiet, not stale
    only(
        &mut s,
        SourceId::Kube,
        SourceStatus::Live {
            updated: ago(2),
            changed: ago(3 * 60 + 5),
            open: true,
        },
    );
    let (buf, line) = bar(&mut s);
    assert!(line.contains("k8s quiet 3m"), "{line}");
    assert!(!line.contains("stale"), "{line}");
    let quiet_fg = fg_of(&buf, &line, "k8s quiet");
    assert_ne!(quiet_fg, s.theme.health(Health::Stale).fg);
    assert_ne!(quiet_fg, s.theme.health(Health::Pending).fg);
    assert_ne!(quiet_fg, live_fg, "quiet and live look different");
}

#[test]
fn a_poll_with_nothing_new_is_contact_and_keeps_the_change_time() {
    let mut s = state();
    let changed = ago(5 * 60);
    only(&mut s, SourceId::Pipeline, SourceStatus::polled(changed));
    let prev = s.source(SourceId::Pipeline).cloned();
    let now = SourceStatus::unchanged(prev.as_ref(), common::now());
    assert_eq!(
        now,
        SourceStatus::Live {
            updated: common::now(),
            changed,
            open: false
        }
    );
    s.sources.insert(SourceId::Pipeline, now);
    let (_, line) = bar(&mut s);
    assert!(line.contains("ci quiet 5m"), "{line}");
}

#[test]
fn stale_counts_from_the_last_contact_and_names_a_short_reason() {
    let mut s = state();
    only(
        &mut s,
        SourceId::Kube,
        SourceStatus::Failing {
            error: "cannot watch pods: error trying to connect: tcp connect error: Connection refused (os error 111)\x1b]0;x\x07".into(),
            since: ago(40),
            last_ok: Some(ago(40)),
        },
    );
    let (buf, line) = bar(&mut s);
    assert!(
        line.contains("k8s stale 40s (connection refused)"),
        "{line}"
    );
    assert_eq!(
        fg_of(&buf, &line, "k8s stale"),
        s.theme.health(Health::Stale).fg
    );
    assert!(
        !line.contains('\x1b') && !line.contains("os error"),
        "{line}"
    );
    // the pane's tag ages the same way
    assert_eq!(
        flightdeck::ui::panes::staleness_tag(&s, SourceId::Kube).as_deref(),
        Some("stale 40s")
    );
}

/// Ten seconds into a 403 after a healthy watch, the data is 10 s old, not as old as the
/// last object change.
#[test]
fn a_failure_after_an_open_watch_ages_from_the_failure_not_the_last_event() {
    let mut s = state();
    let start = ago(10 * 60);
    s.now = start;
    let generation = s.generation;
    let deployments = WorkloadsMsg::Snapshot(flightdeck::sources::kube::Rows::Deployments(vec![]));
    update(
        &mut s,
        Event::Kube {
            generation,
            msg: deployments,
        },
    );
    // ten minutes of an open, quiet watch; then a 403
    s.now = ago(10);
    update(
        &mut s,
        Event::Kube {
            generation,
            msg: WorkloadsMsg::Failed {
                kind: Kind::Deployments,
                failure: Failure::Forbidden {
                    code: 403,
                    verb: "watch",
                    resource: "deployments",
                    namespace: Some("shop".into()),
                    message: "nope".into(),
                },
            },
        },
    );
    s.now = common::now();
    let face = s.face(SourceId::Kube).expect("a face");
    assert_eq!(face.text, "stale 10s (forbidden)");
    // and a list that answers again clears it at once
    update(
        &mut s,
        Event::Kube {
            generation,
            msg: WorkloadsMsg::Snapshot(flightdeck::sources::kube::Rows::Deployments(vec![])),
        },
    );
    let face = s.face(SourceId::Kube).expect("a face");
    assert_eq!(face.text, "live");
}

/// A server that accepts connections and never answers: the face is `connecting Ns`, and
/// then the list's bound turns it into a timeout failure (no test timing: a deadline only
/// guards against a hang).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_shows_connecting_then_a_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let held = tokio::spawn(async move {
        let mut conns = Vec::new();
        while let Ok((c, _)) = listener.accept().await {
            conns.push(c);
        }
    });
    let kubeconfig = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: mute\nclusters:\n- name: mute\n  cluster:\n    server: http://{addr}\ncontexts:\n- name: mute\n  context:\n    cluster: mute\n    user: u\n    namespace: shop\nusers:\n- name: u\n  user:\n    token: t\n"
    );
    let kc = kube::config::Kubeconfig::from_yaml(&kubeconfig).expect("kubeconfig");
    let client = client::client_from_kubeconfig(kc, None)
        .await
        .expect("client");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let sink: Sink = Arc::new(move |m| tx.send(m).is_ok());
    let task = tokio::spawn(watch::run_watchers(client, Some("shop".into()), sink));

    let started = Timestamp::now();
    let mut s = state();
    s.now = started;
    s.sources
        .insert(SourceId::Kube, SourceStatus::Connecting { since: started });
    // a while in, nothing has answered: still connecting, and it says for how long
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(rx.try_recv().is_err(), "nothing can have answered");
    s.now = Timestamp::now();
    let (_, line) = bar(&mut s);
    let secs = s.now.duration_since(started).as_secs();
    assert!(line.contains(&format!("k8s connecting {secs}s")), "{line}");

    // the contact probe's bound (or the list's) passes: a failure that says it timed out
    let msg = tokio::time::timeout(watch::LIST_TIMEOUT * 3, rx.recv())
        .await
        .expect("the watcher gives up within its bound")
        .expect("a message");
    assert!(
        matches!(
            msg,
            WorkloadsMsg::Failed { .. } | WorkloadsMsg::Unanswered(_)
        ),
        "{msg:?}"
    );
    s.now = Timestamp::now();
    let generation = s.generation;
    update(&mut s, Event::Kube { generation, msg });
    let (buf, line) = bar(&mut s);
    assert!(line.contains("k8s failing"), "{line}");
    assert!(line.contains("(timed out)"), "{line}");
    assert_eq!(
        fg_of(&buf, &line, "k8s failing"),
        s.theme.health(Health::Stale).fg
    );
    task.abort();
    held.abort();
}

/// At 120 columns, with sources that need words (connecting, stale with a reason), the
/// key hints give way from the least useful end: `? help`, the way to every other key,
/// stays on the bar.
#[test]
fn help_stays_on_the_bar_at_120_columns() {
    let mut s = state();
    s.focus = flightdeck::app::PaneId::Workloads;
    only(&mut s, SourceId::Kube, SourceStatus::streaming(ago(5)));
    s.sources
        .insert(SourceId::Logs, SourceStatus::Connecting { since: ago(3) });
    s.sources
        .insert(SourceId::Gpu, SourceStatus::Connecting { since: ago(3) });
    let buf = render(&mut s, 120, 30);
    let t = text(&buf);
    let line = t.lines().last().unwrap_or_default().to_owned();
    assert!(line.contains("? help"), "{line}");
    assert!(
        line.contains("R rollback"),
        "the most useful hint first: {line}"
    );
    assert!(line.contains("gpu connecting 3s"), "{line}");
}

/// The source states have priority in the status bar: a long environment name and
/// context/namespace label are cut (with `…`) so that every state stays visible.
#[test]
fn a_long_environment_name_is_cut_before_the_source_states() {
    let name = "e".repeat(60);
    let src = format!(
        "[[environment]]\nname = \"{name}\"\ncontext = \"a-rather-long-cluster-context\"\n\
         namespace = \"shop\"\n"
    );
    let (config, diags) = flightdeck::config::Config::parse_lenient("config.toml", &src);
    assert!(diags.is_empty(), "{diags:?}");
    let mut s = common::state_builder()
        .config(config)
        .namespace("shop")
        .build();
    s.scope.context = Some("a-rather-long-cluster-context".into());
    only(
        &mut s,
        SourceId::Kube,
        SourceStatus::Failing {
            error: "timeout".into(),
            since: ago(40),
            last_ok: Some(ago(40)),
        },
    );
    s.sources
        .insert(SourceId::Logs, SourceStatus::Connecting { since: ago(12) });
    let buf = render(&mut s, 80, 30);
    let last = text(&buf).lines().last().unwrap_or_default().to_owned();
    assert!(last.contains("k8s stale 40s (timed out)"), "{last}");
    assert!(last.contains("logs connecting 12s"), "{last}");
    assert!(
        last.contains("eeee…"),
        "the name is cut, not dropped: {last}"
    );
    assert!(
        last.contains("a-rather"),
        "the label is cut, not dropped: {last}"
    );
}
