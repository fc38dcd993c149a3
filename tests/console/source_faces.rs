//! Every wait has a bound and a face: each source in the status bar is `connecting 12s`,
//! `live`, `quiet 3m` or `stale 40s (reason)`, each in its own style, with ages from the
//! last successful contact; and a server that accepts and never answers ends in a
//! timeout failure, not in `connecting` for ever.
//!
//! Each status here comes from what the console receives — the sources' messages and the
//! clock's ticks, through `update` — never from a status the test sets, and the bar is
//! then drawn and read: so a source that turns a message into the wrong status, or a face
//! that forgets the contact bound, fails here.

use crate::support::common;

use std::sync::Arc;
use std::time::Duration;

use common::{render, text};
use flightdeck::app::state::{SourceId, State};
use flightdeck::app::{Event, update};
use flightdeck::config::theme::Health;
use flightdeck::sources::github::snapshot::{DeployStats, PipelineSnapshot, PipelineUpdate};
use flightdeck::sources::kube::watch::{self, Sink};
use flightdeck::sources::kube::{Failure, Kind, Rows, WorkloadsMsg, client};
use flightdeck::sources::metrics::MetricsUpdate;
use jiff::{SignedDuration, Timestamp};
use ratatui::buffer::Buffer;

/// `secs` after the tests' fixed start.
fn at(secs: i64) -> Timestamp {
    common::now()
        .checked_add(SignedDuration::from_secs(secs))
        .expect("time")
}

/// A console started at `at(0)` with `config` (TOML).
fn console(config: &str) -> State {
    common::state_builder()
        .config_toml(config)
        .namespace("shop")
        .build()
}

/// The clock moves on to `t`, as the run loop's tick does.
fn tick(s: &mut State, t: Timestamp) {
    update(s, Event::Tick(t));
}

/// A message of the cluster source arrives at `t`.
fn kube(s: &mut State, t: Timestamp, msg: WorkloadsMsg) {
    tick(s, t);
    let generation = s.generation;
    update(s, Event::Kube { generation, msg });
}

fn listed() -> WorkloadsMsg {
    WorkloadsMsg::Snapshot(Rows::Deployments(vec![]))
}

/// A message of the CI source arrives at `t`.
fn pipeline(s: &mut State, t: Timestamp, msg: PipelineUpdate) {
    tick(s, t);
    let generation = s.generation;
    update(s, Event::Pipeline { generation, msg });
}

fn runs_fetched(t: Timestamp) -> PipelineUpdate {
    PipelineUpdate::Snapshot(Box::new(PipelineSnapshot {
        repo: "o/r".into(),
        runs: Vec::new(),
        environments: Vec::new(),
        stats: DeployStats::default(),
        fetched_at: t,
        rate: Default::default(),
        requests: Default::default(),
        anonymous: false,
        warnings: Vec::new(),
    }))
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

/// The sources the bar groups under `live` (`ci k8s live`): the words before it.
fn live_group(line: &str) -> Vec<String> {
    let Some(end) = line.find(" live") else {
        return Vec::new();
    };
    let labels: Vec<&str> = SourceId::ALL.iter().map(|id| id.label()).collect();
    line[..end]
        .split_whitespace()
        .rev()
        .take_while(|w| labels.contains(w))
        .map(str::to_owned)
        .collect()
}

#[test]
fn connecting_shows_how_long_it_has_been_trying() {
    let mut s = console("");
    tick(&mut s, at(12));
    let (buf, line) = bar(&mut s);
    assert!(line.contains("k8s connecting 12s"), "{line}");
    assert_eq!(
        fg_of(&buf, &line, "k8s connecting"),
        s.theme.health(Health::Pending).fg
    );
}

#[test]
fn live_then_quiet_after_a_minute_without_change_while_in_contact() {
    let mut s = console("[github]\nrepo = \"o/r\"\n");
    // the runs fetched and the cluster listed at the start; 20 s on, both are live
    pipeline(&mut s, at(0), runs_fetched(at(0)));
    kube(&mut s, at(0), listed());
    tick(&mut s, at(20));
    let (buf, line) = bar(&mut s);
    let live = live_group(&line);
    assert!(
        live.iter().any(|w| w == "ci") && live.iter().any(|w| w == "k8s"),
        "{line}"
    );
    let live_fg = fg_of(&buf, &line, " live");
    assert_eq!(live_fg, s.theme.health(Health::Ok).fg);

    // three minutes of an open watch with nothing changed, the probe answered every
    // 10 s: in contact, so quiet, not stale
    for t in (10..=180).step_by(10) {
        kube(&mut s, at(t), WorkloadsMsg::Contact);
    }
    tick(&mut s, at(185));
    let (buf, line) = bar(&mut s);
    assert!(line.contains("k8s quiet 3m"), "{line}");
    assert!(!line.contains("stale"), "{line}");
    let quiet_fg = fg_of(&buf, &line, "k8s quiet");
    assert_ne!(quiet_fg, s.theme.health(Health::Stale).fg);
    assert_ne!(quiet_fg, s.theme.health(Health::Pending).fg);
    assert_ne!(quiet_fg, live_fg, "quiet and live look different");
}

/// An open watch is not contact by itself: with nothing from the API server for
/// `[kube] stale_after_secs`, `k8s` is stale, aged from the last answer, and says why;
/// one answer (the probe's) makes it live again.
#[test]
fn an_open_watch_without_contact_turns_stale_past_the_bound() {
    let mut s = console("[kube]\nstale_after_secs = 20\n");
    kube(&mut s, at(0), listed());
    tick(&mut s, at(19));
    let (_, line) = bar(&mut s);
    assert!(live_group(&line).iter().any(|w| w == "k8s"), "{line}");
    assert!(!line.contains("stale"), "{line}");

    tick(&mut s, at(25));
    let (buf, line) = bar(&mut s);
    assert!(line.contains("k8s stale 25s (no contact)"), "{line}");
    assert_eq!(
        fg_of(&buf, &line, "k8s stale"),
        s.theme.health(Health::Stale).fg
    );

    kube(&mut s, at(26), WorkloadsMsg::Contact);
    let (_, line) = bar(&mut s);
    assert!(live_group(&line).iter().any(|w| w == "k8s"), "{line}");
    assert!(!line.contains("stale"), "{line}");
    // and contact within the bound keeps it so, past the time of the last change
    for t in (30..=90).step_by(5) {
        kube(&mut s, at(t), WorkloadsMsg::Contact);
    }
    tick(&mut s, at(95));
    let (_, line) = bar(&mut s);
    assert!(line.contains("k8s quiet 1m"), "{line}");
    assert!(!line.contains("stale"), "{line}");
}

/// The probe that gets no answer within its bound: `k8s` is stale at once, aged from the
/// last answer and named a timeout; the next answer clears it.
#[test]
fn an_unanswered_probe_is_a_timeout_aged_from_the_last_answer() {
    let mut s = console("");
    kube(&mut s, at(0), listed());
    kube(&mut s, at(10), WorkloadsMsg::Contact);
    kube(
        &mut s,
        at(20),
        WorkloadsMsg::Unanswered(
            "no answer from the API server to GET /version within 10 s (timed out)".into(),
        ),
    );
    tick(&mut s, at(25));
    let (buf, line) = bar(&mut s);
    assert!(line.contains("k8s stale 15s (timed out)"), "{line}");
    assert_eq!(
        fg_of(&buf, &line, "k8s stale"),
        s.theme.health(Health::Stale).fg
    );
    kube(&mut s, at(30), WorkloadsMsg::Contact);
    let (_, line) = bar(&mut s);
    assert!(live_group(&line).iter().any(|w| w == "k8s"), "{line}");
    assert!(!line.contains("stale"), "{line}");
}

/// Connections refused, then a server that accepts and never answers: the watches still
/// hold their last failure (a refusal, a backoff old), the probe's is new, and the face
/// names the hang.
#[test]
fn a_hang_after_a_refusal_is_named_a_timeout() {
    let mut s = console("");
    kube(&mut s, at(0), listed());
    kube(
        &mut s,
        at(5),
        WorkloadsMsg::Failed {
            kind: Kind::Pods,
            failure: Failure::Transient(
                "cannot watch pods: tcp connect error: Connection refused (os error 111)".into(),
            ),
        },
    );
    kube(
        &mut s,
        at(6),
        WorkloadsMsg::Unanswered(
            "the API server cannot be reached (GET /version): Connection refused".into(),
        ),
    );
    tick(&mut s, at(10));
    let (_, line) = bar(&mut s);
    assert!(
        line.contains("k8s stale 10s (connection refused)"),
        "{line}"
    );
    kube(
        &mut s,
        at(20),
        WorkloadsMsg::Unanswered(
            "no answer from the API server to GET /version within 10 s (timed out)".into(),
        ),
    );
    tick(&mut s, at(22));
    let (_, line) = bar(&mut s);
    assert!(line.contains("k8s stale 22s (timed out)"), "{line}");
}

#[test]
fn a_poll_with_nothing_new_is_contact_and_keeps_the_change_time() {
    let mut s = console("[github]\nrepo = \"o/r\"\n");
    pipeline(&mut s, at(0), runs_fetched(at(0)));
    // five minutes on, a poll answered with nothing new: contact, the change time kept
    pipeline(
        &mut s,
        at(300),
        PipelineUpdate::Unchanged {
            at: at(300),
            requests: Default::default(),
        },
    );
    let (_, line) = bar(&mut s);
    assert!(line.contains("ci quiet 5m"), "{line}");
    // a failure later is aged from that answer, not from the last change
    pipeline(
        &mut s,
        at(330),
        PipelineUpdate::Failing {
            error: "error sending request: connection refused".into(),
            at: at(330),
            rate_limited_until: None,
        },
    );
    let (_, line) = bar(&mut s);
    assert!(line.contains("ci stale 30s (connection refused)"), "{line}");
}

/// A metrics round where every target failed: stale from the last good round, with the
/// reason; a round with data is live again.
#[test]
fn a_failed_scrape_round_is_stale_from_the_last_good_one() {
    let mut s = console("[metrics]\nprometheus = \"http://prometheus.invalid:9090\"\n");
    let round = |t: Timestamp, health: flightdeck::sources::metrics::Health| {
        let mut u = MetricsUpdate::new(t);
        u.health.push(flightdeck::sources::metrics::ServiceHealth {
            service: "cart".into(),
            source: "http://prometheus.invalid:9090".into(),
            health,
            at: t,
        });
        u
    };
    tick(&mut s, at(0));
    update(
        &mut s,
        Event::Metrics(round(at(0), flightdeck::sources::metrics::Health::Up)),
    );
    tick(&mut s, at(45));
    update(
        &mut s,
        Event::Metrics(round(
            at(45),
            flightdeck::sources::metrics::Health::Failing {
                error: "HTTP 503 from prometheus".into(),
            },
        )),
    );
    let (_, line) = bar(&mut s);
    assert!(line.contains("metrics stale 45s (HTTP 503)"), "{line}");
    tick(&mut s, at(60));
    update(
        &mut s,
        Event::Metrics(round(at(60), flightdeck::sources::metrics::Health::Up)),
    );
    let (_, line) = bar(&mut s);
    assert!(live_group(&line).iter().any(|w| w == "metrics"), "{line}");
    assert!(!line.contains("stale"), "{line}");
}

#[test]
fn stale_counts_from_the_last_contact_and_names_a_short_reason() {
    let mut s = console("");
    kube(&mut s, at(0), listed());
    kube(
        &mut s,
        at(10),
        WorkloadsMsg::Failed {
            kind: Kind::Pods,
            failure: Failure::Transient(
                "cannot watch pods: error trying to connect: tcp connect error: Connection refused (os error 111)\x1b]0;x\x07".into(),
            ),
        },
    );
    tick(&mut s, at(40));
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

/// Ten seconds into a 403 after a long silent watch, the data is 10 s old: a refusal is
/// an answer. Before it, the silence past the bound read as stale.
#[test]
fn a_failure_after_an_open_watch_ages_from_the_failure_not_the_last_event() {
    let mut s = console("");
    kube(&mut s, at(0), listed());
    tick(&mut s, at(590));
    let (_, line) = bar(&mut s);
    assert!(line.contains("k8s stale 9m (no contact)"), "{line}");
    kube(
        &mut s,
        at(590),
        WorkloadsMsg::Failed {
            kind: Kind::Deployments,
            failure: Failure::Forbidden {
                code: 403,
                verb: "watch",
                resource: "deployments",
                namespace: Some("shop".into()),
                message: "nope".into(),
            },
        },
    );
    tick(&mut s, at(600));
    let (_, line) = bar(&mut s);
    assert!(line.contains("k8s stale 10s (forbidden)"), "{line}");
    // and a list that answers again clears it at once
    kube(&mut s, at(601), listed());
    let (_, line) = bar(&mut s);
    assert!(live_group(&line).iter().any(|w| w == "k8s"), "{line}");
    assert!(!line.contains("stale"), "{line}");
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

    // the console starts now: the cluster source is connecting from the start
    let started = Timestamp::now();
    let mut s = common::state_builder()
        .namespace("shop")
        .at(started)
        .build();
    // a while in, nothing has answered: still connecting, and it says for how long
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(rx.try_recv().is_err(), "nothing can have answered");
    tick(&mut s, Timestamp::now());
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
    kube(&mut s, Timestamp::now(), msg);
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

/// At 120 columns, with sources that need words (connecting), the key hints give way
/// from the least useful end: `? help`, the way to every other key, stays on the bar.
#[test]
fn help_stays_on_the_bar_at_120_columns() {
    let mut s = console("[metrics]\nprometheus = \"http://prometheus.invalid:9090\"\n");
    s.focus = flightdeck::app::PaneId::Workloads;
    kube(&mut s, at(0), listed());
    tick(&mut s, at(3));
    let buf = render(&mut s, 120, 30);
    let t = text(&buf);
    let line = t.lines().last().unwrap_or_default().to_owned();
    assert!(line.contains("? help"), "{line}");
    assert!(
        line.contains("R rollback"),
        "the most useful hint first: {line}"
    );
    assert!(line.contains("metrics connecting 3s"), "{line}");
}

/// The source states have priority in the status bar: a long environment name and
/// context/namespace label are cut (with `…`) so that every state stays visible.
#[test]
fn a_long_environment_name_is_cut_before_the_source_states() {
    let name = "e".repeat(60);
    let mut s = console(&format!(
        "[[environment]]\nname = \"{name}\"\ncontext = \"a-rather-long-cluster-context\"\n\
         namespace = \"shop\"\n"
    ));
    s.scope.context = Some("a-rather-long-cluster-context".into());
    kube(&mut s, at(0), listed());
    kube(
        &mut s,
        at(5),
        WorkloadsMsg::Failed {
            kind: Kind::Pods,
            failure: Failure::Transient("timeout".into()),
        },
    );
    tick(&mut s, at(40));
    let buf = render(&mut s, 80, 30);
    let last = text(&buf).lines().last().unwrap_or_default().to_owned();
    assert!(last.contains("k8s stale 40s (timed out)"), "{last}");
    // the GPU source, connecting from the start
    assert!(last.contains("connecting 40s"), "{last}");
    assert!(
        last.contains("eeee…"),
        "the name is cut, not dropped: {last}"
    );
    assert!(
        last.contains("a-rather"),
        "the label is cut, not dropped: {last}"
    );
}
