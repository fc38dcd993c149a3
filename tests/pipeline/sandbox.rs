//! The GitHub Actions source and the pipeline pane against the sandbox's GitHub API: runs
//! progressing through stages, drill-down, approval rolling the image into prod, and the
//! cost of idle polling.

use crate::support::common;

use flightdeck::action::Action;
use flightdeck::app::state::State;
use flightdeck::app::{Event, update};
use flightdeck::sources::github::actions::{self, Review};
use flightdeck::sources::github::poll::PollOutcome;
use flightdeck::sources::github::snapshot::PipelineUpdate;
use flightdeck::sources::github::{GhError, PollConfig, Poller, Token, TokenSetting};
use flightdeck_sandbox::{Sandbox, SandboxOptions, Scenario};
use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

async fn start(scenario: Scenario) -> Sandbox {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sb = Sandbox::start(SandboxOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        scenario,
        pods: None,
        seed: 1,
        ..SandboxOptions::default()
    })
    .await
    .unwrap();
    let r = reqwest::Client::new()
        .post(format!("{}/time/pause", sb.admin_url()))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    sb
}

fn poller(sb: &Sandbox) -> Poller {
    let mut cfg = PollConfig::new(
        &sb.github_api_url(),
        &sb.github_repo(),
        TokenSetting::Given(Token::new("sandbox-token")),
    );
    cfg.environments = envs();
    Poller::new(cfg, Token::new("sandbox-token")).unwrap()
}

fn envs() -> Vec<(String, String)> {
    [
        ("dev", "development"),
        ("staging", "staging"),
        ("prod", "production"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect()
}

fn sandbox_now(sb: &Sandbox) -> Timestamp {
    sb.state()["now"].as_str().unwrap().parse().unwrap()
}

fn state(sb: &Sandbox) -> State {
    let toml = format!(
        r#"
[[environment]]
name = "dev"
namespace = "shop-dev"
github_environment = "development"

[[environment]]
name = "staging"
namespace = "shop-staging"
github_environment = "staging"

[[environment]]
name = "prod"
namespace = "shop"
github_environment = "production"

[github]
repo = "{}"
api_url = "{}"
"#,
        sb.github_repo(),
        sb.github_api_url()
    );
    let cfg = flightdeck::config::Config::parse_strict("config.toml", &toml).unwrap();
    let mut s = common::state_builder()
        .config(cfg)
        .theme("dark")
        .at(sandbox_now(sb))
        .build();
    update(&mut s, Event::Resize(200, 40));
    update(&mut s, Event::Key(key('1')));
    s
}

fn key(c: char) -> crossterm::event::KeyEvent {
    crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char(c),
        crossterm::event::KeyModifiers::NONE,
    )
}

/// A sandbox, a poller against it as the reviewer, and a State fed its first poll.
async fn fed(scenario: Scenario) -> (Sandbox, Poller, State) {
    let sb = start(scenario).await;
    let mut p = poller(&sb);
    let mut s = state(&sb);
    feed(&mut p, &mut s).await;
    (sb, p, s)
}

async fn feed(p: &mut Poller, s: &mut State) {
    match p.poll().await.unwrap() {
        PollOutcome::Changed(snap) => {
            let generation = s.generation;
            update(
                s,
                Event::Pipeline {
                    generation,
                    msg: PipelineUpdate::Snapshot(snap),
                },
            );
        }
        PollOutcome::Unchanged => {}
    }
}

fn screen(s: &State) -> String {
    common::cells(&common::draw_at(s, s.size.0, s.size.1))
}

/// The left column (the pipeline pane) only, rows trimmed.
fn pane(s: &State) -> String {
    let l = flightdeck::app::layout::compute(s.size, s);
    let rect = l
        .panes
        .iter()
        .find(|(p, _)| *p == flightdeck::pane::PaneId::Pipeline)
        .map(|(_, r)| *r)
        .unwrap();
    screen(s)
        .lines()
        .skip(rect.y as usize)
        .take(rect.height as usize)
        .map(|l| {
            l.chars()
                .skip(rect.x as usize)
                .take(rect.width as usize)
                .collect::<String>()
                .trim_end()
                .to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

macro_rules! snap {
    ($name:expr, $value:expr) => {
        insta::with_settings!({filters => vec![
            (r"\b\d+[smhd] ago\b", "[age] ago"),
            (r"\b\d+h\d\dm\b|\b\d+m\d\ds\b|\b\d+s\b", "[dur]"),
            (r"stale \d+[smhd]", "stale [age]"),
            (r"\b\d+[smhd]\b", "[age]"),
        ]}, {
            insta::assert_snapshot!($name, $value);
        });
    };
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_progress_through_stages_and_drill_down() {
    let (sb, mut p, mut s) = fed(Scenario::PendingApproval).await;
    let snap = s.pipeline.snapshot.clone().unwrap();
    let waiting = &snap.runs[0];
    assert_eq!(waiting.run.status.to_string(), "waiting");
    let names: Vec<&str> = waiting.jobs.iter().map(|j| j.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "lint",
            "test",
            "build",
            "deploy-dev",
            "deploy-staging",
            "deploy-production"
        ]
    );
    assert_eq!(waiting.pending.len(), 1);
    let text = pane(&s);
    assert!(
        text.contains("lint ✓ test ✓ build ✓ deploy-dev ✓ deploy-staging ✓ deploy-production ⏸"),
        "{text}"
    );
    assert!(text.contains("awaits approval — P approves"), "{text}");
    snap!("runs_waiting_for_approval", text);
    // a narrow pane drops the job names before the glyphs
    update(&mut s, Event::Resize(100, 30));
    let narrow = pane(&s);
    snap!("runs_waiting_narrow", narrow);
    update(&mut s, Event::Resize(200, 40));

    // enter: the run's jobs; enter again: the job's steps; esc back up
    update(
        &mut s,
        Event::Key(crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Enter,
            crossterm::event::KeyModifiers::NONE,
        )),
    );
    let text = pane(&s);
    assert!(
        text.contains("approval pending for production — P approves"),
        "{text}"
    );
    assert!(
        text.contains("deploy-production  waiting"),
        "opens on the waiting job: {text}"
    );
    snap!("jobs_of_waiting_run", text);
    // it opens on the job that waits; go to `build`
    update::apply(&mut s, Action::SelectTop);
    update::apply(&mut s, Action::SelectDown);
    update::apply(&mut s, Action::SelectDown);
    update::apply(&mut s, Action::Open);
    let text = pane(&s);
    assert!(text.contains("› build"), "{text}");
    snap!("steps_of_build", text);
    update(
        &mut s,
        Event::Key(crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Esc,
            crossterm::event::KeyModifiers::NONE,
        )),
    );
    assert!(pane(&s).contains("(esc back)"));
    update::apply(&mut s, Action::Back);
    assert!(pane(&s).contains("deploy-production ⏸"));

    // `/` filters the runs; enter opens the filtered row
    s.pane_mut(flightdeck::pane::PaneId::Pipeline).filter = "gift".into();
    let text = pane(&s);
    assert!(
        text.contains("#125 deploy") && !text.contains("#127 deploy"),
        "{text}"
    );
    update::apply(&mut s, Action::Open);
    assert!(
        pane(&s).contains("#125 deploy feat/gift-cards"),
        "{}",
        pane(&s)
    );
    update::apply(&mut s, Action::Back);
    s.pane_mut(flightdeck::pane::PaneId::Pipeline)
        .filter
        .clear();

    // time moves on: an approved run would go on; this one waits; newer runs progress
    sb.advance(std::time::Duration::from_secs(3600));
    s.now = sandbox_now(&sb);
    feed(&mut p, &mut s).await;
    assert!(pane(&s).contains("deploy-production ⏸"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_step_is_highlighted() {
    let (_sb, _p, mut s) = fed(Scenario::Steady).await;
    let snap = s.pipeline.snapshot.clone().unwrap();
    let row = snap
        .runs
        .iter()
        .position(|r| r.run.conclusion.as_ref().is_some_and(|c| c.is_failure()))
        .expect("the steady scenario has a failed run");
    s.pane_mut(flightdeck::pane::PaneId::Pipeline).selected = row;
    update::apply(&mut s, Action::Open); // jobs, on the failed one
    update::apply(&mut s, Action::Open); // its steps, on the failed one
    let text = pane(&s);
    assert!(text.contains("◀ failed"), "{text}");
    snap!("steps_of_failed_job", text);

    // the failed step's row is drawn in the error style
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    t.draw(|f| flightdeck::ui::render(&s, f)).unwrap();
    let buf = t.backend().buffer().clone();
    let err = s.theme.health(flightdeck::config::theme::Health::Error);
    let mut found = false;
    for y in 0..buf.area.height {
        let line: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
        if let Some(col) = line.find("◀ failed") {
            let x = line[..col].chars().count() as u16;
            assert_eq!(
                buf[(x, y)].fg,
                err.fg.unwrap_or(ratatui::style::Color::Reset)
            );
            found = true;
        }
    }
    assert!(found);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approve_moves_the_run_on_and_changes_the_prod_image() {
    let (sb, mut p, mut s) = fed(Scenario::PendingApproval).await;
    let prod_image = |sb: &Sandbox| {
        sb.state()["deployments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["namespace"] == "shop" && d["name"] == "checkout")
            .map(|d| d["image"].as_str().unwrap().to_owned())
            .unwrap()
    };
    let before = prod_image(&sb);
    let snap = s.pipeline.snapshot.clone().unwrap();
    let prod = snap.environments.iter().find(|e| e.name == "prod").unwrap();
    let pending = prod.pending.clone().expect("prod awaits approval");
    assert!(pending.can_approve);
    // what the operations layer's promote would act on, from the selection
    let target = flightdeck::app::panes::pipeline::review_target(&s).unwrap();
    assert_eq!(target.run_id, pending.run_id);
    assert_eq!(target.environment_ids, [pending.environment_id]);
    assert_eq!(target.environment, "production");
    snap!("environments_before_approval", pane(&s));

    let deps = actions::review_pending_deployments(
        &mut p.client,
        pending.run_id,
        &[pending.environment_id],
        Review::Approve,
        "dana",
    )
    .await
    .unwrap();
    assert!(!deps.is_empty());
    // the comment GitHub recorded names flightdeck and the user
    let approvals: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "{}/repos/{}/actions/runs/{}/approvals",
            sb.github_api_url(),
            sb.github_repo(),
            pending.run_id
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(approvals[0]["comment"], "Approved from flightdeck by dana");

    // approving twice: GitHub's own 422 message comes back
    let err = actions::review_pending_deployments(
        &mut p.client,
        pending.run_id,
        &[pending.environment_id],
        Review::Approve,
        "dana",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, GhError::Refused { status: 422, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("No pending deployment requests"),
        "{err}"
    );

    sb.advance(std::time::Duration::from_secs(600));
    s.now = sandbox_now(&sb);
    feed(&mut p, &mut s).await;
    let snap = s.pipeline.snapshot.clone().unwrap();
    let run = snap
        .runs
        .iter()
        .find(|r| r.run.id == pending.run_id)
        .unwrap();
    assert_eq!(run.run.status.to_string(), "completed");
    assert_eq!(
        run.run
            .conclusion
            .as_ref()
            .map(|c| c.to_string())
            .as_deref(),
        Some("success")
    );
    let prod = snap.environments.iter().find(|e| e.name == "prod").unwrap();
    assert!(prod.pending.is_none());
    assert_eq!(
        prod.deployed.as_ref().map(|d| d.sha.as_str()),
        Some(pending.sha.as_str())
    );
    assert_eq!(
        flightdeck::app::panes::pipeline::deployed_sha(&s, "prod"),
        Some(pending.sha.as_str())
    );
    let after = prod_image(&sb);
    assert_ne!(before, after, "approval rolled a new image into prod");
    let text = pane(&s);
    assert!(text.contains("deploy-production ✓"), "{text}");
    snap!("environments_after_approval", text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rerun_failed_jobs_rerun_and_cancel_against_the_sandbox() {
    let sb = start(Scenario::Steady).await;
    let mut p = poller(&sb);
    let PollOutcome::Changed(snap) = p.poll().await.unwrap() else {
        panic!("first poll has data");
    };
    let failed = snap
        .runs
        .iter()
        .find(|r| r.run.conclusion.as_ref().is_some_and(|c| c.is_failure()))
        .unwrap()
        .run
        .id;
    actions::rerun_failed_jobs(&mut p.client, failed)
        .await
        .unwrap();
    // running now: a re-run is refused with GitHub's message
    let err = actions::rerun(&mut p.client, failed).await.unwrap_err();
    assert!(err.to_string().contains("already running"), "{err}");
    actions::cancel(&mut p.client, failed).await.unwrap();
    let err = actions::cancel(&mut p.client, failed).await.unwrap_err();
    assert!(err.to_string().contains("Cannot cancel"), "{err}");
    actions::rerun(&mut p.client, failed).await.unwrap();
    let PollOutcome::Changed(snap) = p.poll().await.unwrap() else {
        panic!("the re-run changed the run list");
    };
    let run = snap.runs.iter().find(|r| r.run.id == failed).unwrap();
    assert!(run.run.status.is_active());
    assert_eq!(run.run.run_attempt, Some(3));
}

/// GitHub requests the sandbox answered, and how many with 304 (counted by the server).
fn served(sb: &Sandbox) -> (u64, u64) {
    let st = sb.state();
    let r = &st["github_requests"];
    (
        r["served"].as_u64().expect("served"),
        r["not_modified"].as_u64().expect("not_modified"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_polls_cost_one_conditional_request_each() {
    let sb = start(Scenario::Steady).await;
    let mut p = poller(&sb);
    // let every run finish, so nothing changes between polls
    sb.advance(std::time::Duration::from_secs(6 * 3600));
    let mut first = true;
    for _ in 0..5 {
        let _ = p.poll().await.unwrap();
        if !p.any_active() && !first {
            break;
        }
        first = false;
    }
    assert!(!p.any_active(), "every run finished");
    let before = served(&sb);
    let remaining = p.client.rate.remaining;
    const POLLS: u64 = 10;
    for _ in 0..POLLS {
        assert!(matches!(p.poll().await.unwrap(), PollOutcome::Unchanged));
    }
    let after = served(&sb);
    let (sent, not_modified) = (after.0 - before.0, after.1 - before.1);
    println!("idle: {POLLS} polls → {sent} requests, {not_modified} answered 304");
    assert_eq!(sent, POLLS, "one request per poll");
    assert_eq!(not_modified, POLLS, "all 304");
    assert_eq!(
        p.client.rate.remaining, remaining,
        "304s spend no rate limit"
    );

    // a run parked at the approval gate costs no more
    let sb = start(Scenario::PendingApproval).await;
    let mut p = poller(&sb);
    assert!(matches!(p.poll().await.unwrap(), PollOutcome::Changed(_)));
    println!(
        "first poll (pending-approval scenario): {} requests",
        p.client.counts.sent
    );
    let before = served(&sb);
    for _ in 0..POLLS {
        assert!(matches!(p.poll().await.unwrap(), PollOutcome::Unchanged));
    }
    let after = served(&sb);
    let (sent, not_modified) = (after.0 - before.0, after.1 - before.1);
    println!("waiting for approval: {POLLS} polls → {sent} requests, {not_modified} answered 304");
    assert_eq!((sent, not_modified), (POLLS, POLLS));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rerun_progresses_stage_by_stage() {
    let (sb, mut p, mut s) = fed(Scenario::Steady).await;
    let newest = s.pipeline.runs()[0].run.clone();
    actions::rerun(&mut p.client, newest.id).await.unwrap();
    let stages = |s: &State| -> String {
        let r = s.pipeline.run(newest.id).unwrap();
        r.jobs
            .iter()
            .map(|j| flightdeck::ui::panes::pipeline::glyph(&j.status, j.conclusion.as_ref()).0)
            .collect::<Vec<_>>()
            .join("")
    };
    let mut seen: Vec<String> = Vec::new();
    let mut done = 0usize;
    for step in 0..40 {
        if step > 0 {
            sb.advance(std::time::Duration::from_secs(30));
        }
        s.now = sandbox_now(&sb);
        feed(&mut p, &mut s).await;
        let line = stages(&s);
        let ok = line.matches('✓').count();
        assert!(ok >= done, "stages never go back: {seen:?} then {line}");
        done = ok;
        if step == 10 {
            // 300 s in: lint and test done, build running
            assert_eq!(line, "✓✓●···", "{seen:?}");
            assert!(p.any_active(), "a running run polls fast");
            snap!("runs_rerun_building", pane(&s));
        }
        if line.ends_with('⏸') && seen.last() != Some(&line) {
            // the production gate: nothing moves until someone approves
            assert!(!p.any_active(), "a run parked at the gate polls slowly");
            let env = s.pipeline.run(newest.id).unwrap().pending[0].environment.id;
            actions::review_pending_deployments(
                &mut p.client,
                newest.id,
                &[env],
                Review::Approve,
                "dana",
            )
            .await
            .unwrap();
        }
        if seen.last() != Some(&line) {
            seen.push(line);
        }
        if !s.pipeline.run(newest.id).unwrap().run.status.is_active() {
            break;
        }
    }
    println!("stages seen: {seen:?}");
    assert_eq!(seen.last().map(String::as_str), Some("✓✓✓✓✓✓"), "{seen:?}");
    assert!(seen.len() >= 8, "each stage seen on its way: {seen:?}");
    assert!(!p.any_active());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_starts_the_poller_from_config() {
    use flightdeck::console::run::Sources as _;
    let sb = start(Scenario::PendingApproval).await;
    let mut s = state(&sb);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut sources = flightdeck::console::Sources::default();
    sources.start(&s, &tx);
    // the first pipeline snapshot arrives through the same channel the run loop reads
    loop {
        let ev = rx.recv().await.unwrap();
        let is_snapshot = matches!(
            &ev,
            Event::Pipeline {
                msg: PipelineUpdate::Snapshot(_),
                ..
            }
        );
        update(&mut s, ev);
        if is_snapshot {
            break;
        }
    }
    assert!(matches!(
        s.source(flightdeck::app::state::SourceId::Pipeline),
        Some(flightdeck::app::state::SourceStatus::Live { .. })
    ));
    assert!(pane(&s).contains("deploy-production ⏸"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_5xx_marks_the_pane_stale_and_recovers() {
    let (sb, mut p, mut s) = fed(Scenario::Steady).await;
    let faults = format!("{}/faults", sb.admin_url());
    let c = reqwest::Client::new();
    let r = c
        .post(&faults)
        .json(&serde_json::json!({"error_rate": 1.0, "error_path_prefix": "/github/"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let err = p.poll().await.unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    let generation = s.generation;
    let at = s.now;
    update(
        &mut s,
        Event::Pipeline {
            generation,
            msg: PipelineUpdate::Failing {
                error: err.to_string(),
                at,
                rate_limited_until: None,
            },
        },
    );
    s.now += std::time::Duration::from_secs(90);
    let text = pane(&s);
    assert!(text.contains("stale 1m"), "{text}");
    assert!(
        text.contains("#126 deploy"),
        "the last good runs stay: {text}"
    );

    c.delete(&faults).send().await.unwrap();
    // back: a 304 (nothing changed) is a successful poll
    assert!(p.poll().await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_reads_but_is_not_offered_approval() {
    let sb = start(Scenario::PendingApproval).await;
    let mut cfg = PollConfig::new(
        &sb.github_api_url(),
        &sb.github_repo(),
        TokenSetting::Given(None),
    );
    cfg.environments = envs();
    let mut p = Poller::new(cfg, None).unwrap();
    let mut s = state(&sb);
    feed(&mut p, &mut s).await;
    let text = pane(&s);
    assert!(text.contains("deploy-production ⏸"), "{text}");
    assert!(text.contains("a token is needed to approve"), "{text}");
    assert!(!text.contains("P approves"), "{text}");
    let target = flightdeck::app::panes::pipeline::review_target(&s).unwrap();
    assert!(!target.can_approve);
}

fn executor(sb: &Sandbox, token: &str, audit: &std::path::Path) -> flightdeck::ops::Executor {
    flightdeck::ops::Executor::new(
        Err("no cluster".into()),
        false,
        flightdeck::ops::AuditLog::at(audit),
    )
    .with_github(Some(flightdeck::ops::GithubSetup {
        api_url: sb.github_api_url(),
        repo: sb.github_repo(),
        token: TokenSetting::Given(Token::new(token)),
    }))
}

/// Carries a key's effects through the executor as the run loop does: the plan comes back
/// as `OpPlanned`, a confirmed operation as `OpResult`.
async fn drive(
    s: &mut State,
    ex: &flightdeck::ops::Executor,
    effects: Vec<flightdeck::app::event::Effect>,
) {
    use flightdeck::app::event::Effect;
    for e in effects {
        match e {
            Effect::PlanOperation(op) => {
                let plan = ex.plan(op).await.map(Box::new);
                update(s, Event::OpPlanned(plan));
            }
            Effect::Operation { op, before, after } => {
                let out = ex.execute(&op, &before, &after).await;
                update(s, Event::OpResult(Box::new(out)));
            }
            _ => {}
        }
    }
}

/// `y` on the open confirmation; the result shows in the status line.
async fn confirm(s: &mut State, ex: &flightdeck::ops::Executor, expect: &str) {
    let fx = update(s, Event::Key(key('y')));
    drive(s, ex, fx).await;
    assert!(flash(s).contains(expect), "{}", flash(s));
}

fn flash(s: &State) -> String {
    s.flash.as_ref().map(|f| f.text.clone()).unwrap_or_default()
}

/// The Pipeline pane's keys: reject (`D`) confirms with the exact change and the run fails
/// in the sandbox; cancel (`X`) on a run that already ended is refused in the dialog before
/// anything is sent; re-run failed (`f`) starts a new attempt. Each went through the
/// executor and into the audit log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reject_rerun_and_cancel_from_the_keys() {
    let (sb, mut p, mut s) = fed(Scenario::PendingApproval).await;
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let ex = executor(&sb, "sandbox-token", &audit);
    assert!(pane(&s).contains("P approves, D rejects"), "{}", pane(&s));
    // the status bar names the pane's own keys while it has focus
    let bar = screen(&s).lines().last().unwrap_or_default().to_owned();
    for hint in ["P approve", "D reject", "f re-run failed", "X cancel"] {
        assert!(bar.contains(hint), "{bar}");
    }
    let target = flightdeck::app::panes::pipeline::review_target(&s).unwrap();

    let fx = update(&mut s, Event::Key(key('D')));
    drive(&mut s, &ex, fx).await;
    let text = screen(&s);
    assert!(
        text.contains("Reject the pending deployment to production"),
        "{text}"
    );
    assert!(text.contains("waiting for review"), "{text}");
    assert!(
        text.contains(&format!("repository {}", sb.github_repo())),
        "{text}"
    );
    confirm(&mut s, &ex, "rejected the deployment to production").await;
    feed(&mut p, &mut s).await;
    let run = s.pipeline.run(target.run_id).unwrap();
    assert!(run.run.conclusion.as_ref().is_some_and(|c| c.is_failure()));

    // select that run, then cancel: it ended, so the dialog only says why
    let row = flightdeck::app::panes::pipeline::visible_runs(&s)
        .iter()
        .position(|r| r.run.id == target.run_id)
        .unwrap();
    update::apply(&mut s, Action::SelectTop);
    for _ in 0..row {
        update::apply(&mut s, Action::SelectDown);
    }
    let fx = update(&mut s, Event::Key(key('X')));
    assert!(
        matches!(fx.as_slice(), [flightdeck::app::event::Effect::PlanOperation(
            flightdeck::ops::Operation::Run { action: flightdeck::ops::RunAction::Cancel, run_id, .. }
        )] if *run_id == target.run_id),
        "{fx:?}"
    );
    drive(&mut s, &ex, fx).await;
    let text = screen(&s);
    assert!(text.contains("is not running"), "{text}");
    let fx = update(&mut s, Event::Key(key('y')));
    // nothing runs: only the refusal goes to the audit log
    assert!(
        matches!(
            fx.as_slice(),
            [flightdeck::app::event::Effect::RecordRefusal(_)]
        ),
        "a refused plan cannot be confirmed: {fx:?}"
    );
    update(&mut s, Event::Key(key('n')));

    // re-run the failed jobs: a new attempt
    let fx = update(&mut s, Event::Key(key('f')));
    drive(&mut s, &ex, fx).await;
    let text = screen(&s);
    assert!(text.contains("Re-run the failed jobs of"), "{text}");
    assert!(text.contains("attempt 2"), "{text}");
    confirm(&mut s, &ex, "re-runs its failed jobs").await;
    feed(&mut p, &mut s).await;
    let run = s.pipeline.run(target.run_id).unwrap();
    assert_eq!(run.run.run_attempt, Some(2));

    let log = std::fs::read_to_string(&audit).unwrap();
    // an intent and an outcome line per operation: the outcomes
    let ops: Vec<String> = log
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|l| l["phase"] == "outcome")
        .map(|l| l["operation"].to_string())
        .collect();
    assert_eq!(ops, ["\"reject\"", "\"rerun-failed\""], "{log}");
}

/// A token whose user is not a required reviewer: the pane says who can approve, the
/// key does not open a dialog, and an approval sent anyway gets GitHub's own refusal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_who_may_not_approve_is_told_who_can() {
    let sb = start(Scenario::PendingApproval).await;
    let mut cfg = PollConfig::new(
        &sb.github_api_url(),
        &sb.github_repo(),
        TokenSetting::Given(Token::new("viewer-token")),
    );
    cfg.environments = envs();
    let mut p = Poller::new(cfg, Token::new("viewer-token")).unwrap();
    let mut s = state(&sb);
    feed(&mut p, &mut s).await;
    let text = pane(&s);
    assert!(text.contains("only oncall-lead can approve"), "{text}");
    let target = flightdeck::app::panes::pipeline::review_target(&s).unwrap();
    assert!(!target.can_approve);
    let fx = update(&mut s, Event::Key(key('P')));
    assert!(fx.is_empty(), "{fx:?}");
    assert!(
        flash(&s).contains("you cannot approve the deployment to production: ask oncall-lead"),
        "{}",
        flash(&s)
    );

    let dir = tempfile::tempdir().unwrap();
    let ex = executor(&sb, "viewer-token", &dir.path().join("audit.jsonl"));
    let out = ex
        .execute(
            &flightdeck::ops::Operation::ReviewDeployment {
                review: Review::Approve,
                environment: target.environment.clone(),
                run_id: target.run_id,
                run_number: target.run_number,
                sha: target.sha.clone(),
                environment_ids: target.environment_ids.clone(),
            },
            "",
            "",
        )
        .await;
    assert!(!out.ok);
    assert!(
        out.message.contains("not a required reviewer"),
        "{}",
        out.message
    );
    assert!(out.message.contains("422"), "{}", out.message);
}

/// Whether `line` shows a duration of an hour or more (`50h02m`).
fn has_hours(line: &str) -> bool {
    line.split_whitespace().any(|t| {
        let Some((h, m)) = t.split_once('h') else {
            return false;
        };
        !h.is_empty()
            && h.chars().all(|c| c.is_ascii_digit())
            && m.len() == 3
            && m.ends_with('m')
            && m[..2].chars().all(|c| c.is_ascii_digit())
    })
}

/// The sandbox's GitHub moves a finished run's `updated_at` later, as GitHub does: the
/// durations shown still end with the runs' last jobs (minutes, not hours).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_durations_end_with_the_last_job() {
    let (_sb, _p, s) = fed(Scenario::Steady).await;
    let snap = s.pipeline.snapshot.clone().unwrap();
    let moved = snap.runs.iter().any(|r| {
        r.run.status.to_string() == "completed"
            && r.run
                .updated_at
                .zip(r.jobs.iter().filter_map(|j| j.completed_at).max())
                .is_some_and(|(u, end)| u.duration_since(end).as_secs() > 3600)
    });
    assert!(moved, "the sandbox moves updated_at after completion");
    let text = pane(&s);
    for line in text.lines().filter(|l| l.contains(" deploy ")) {
        assert!(!has_hours(line), "{line}\n{text}");
    }
}

/// Staging's wait timer in the sandbox: the run waits with nobody to approve, the pane
/// names the timer, and the run goes on by itself when it ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_wait_timer_is_named_and_ends_by_itself() {
    let (sb, mut p, mut s) = fed(Scenario::Steady).await;
    let newest = s.pipeline.runs()[0].run.clone();
    actions::rerun(&mut p.client, newest.id).await.unwrap();
    // lint, test, build and deploy-dev take 520 s; then staging's 1-minute timer
    sb.advance(std::time::Duration::from_secs(540));
    s.now = sandbox_now(&sb);
    feed(&mut p, &mut s).await;
    let run = s.pipeline.run(newest.id).unwrap().clone();
    assert_eq!(run.run.status.to_string(), "waiting");
    let staging = s
        .pipeline
        .snapshot
        .as_ref()
        .unwrap()
        .environments
        .iter()
        .find(|e| e.name == "staging")
        .cloned()
        .unwrap();
    let pending = staging.pending.expect("staging waits");
    assert!(pending.reviewers.is_empty());
    let text = pane(&s);
    assert!(text.contains("waits for a 1m wait timer, ends"), "{text}");
    assert!(!text.contains("required reviewer"), "{text}");
    sb.advance(std::time::Duration::from_secs(60));
    s.now = sandbox_now(&sb);
    feed(&mut p, &mut s).await;
    let run = s.pipeline.run(newest.id).unwrap();
    assert_eq!(run.run.status.to_string(), "in_progress");
    assert!(!pane(&s).contains("wait timer"), "{}", pane(&s));
}

/// A re-run of an old run that stops at the production gate is past page 1 of the run
/// list: the poller finds it through `status=waiting` and `P` acts on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_waiting_run_past_page_one() {
    let sb = start(Scenario::Steady).await;
    let mut cfg = PollConfig::new(
        &sb.github_api_url(),
        &sb.github_repo(),
        TokenSetting::Given(Token::new("sandbox-token")),
    );
    cfg.environments = envs();
    cfg.runs_per_page = 3;
    let mut p = Poller::new(cfg, Token::new("sandbox-token")).unwrap();
    let mut s = state(&sb);
    feed(&mut p, &mut s).await;
    let oldest = s.pipeline.runs().last().unwrap().run.clone();
    assert_eq!(oldest.run_number, 124, "page 1 holds three runs");
    // #121, the oldest run, again: it stops at the production gate
    let url = p.client.repo_url("/actions/runs?per_page=100");
    let all = p
        .client
        .get::<flightdeck::sources::github::model::RunList>(&url)
        .await
        .unwrap()
        .value;
    let id = all
        .workflow_runs
        .iter()
        .find(|r| r.run_number == 121)
        .unwrap()
        .id;
    actions::rerun(&mut p.client, id).await.unwrap();
    sb.advance(std::time::Duration::from_secs(700));
    s.now = sandbox_now(&sb);
    feed(&mut p, &mut s).await;
    let snap = s.pipeline.snapshot.clone().unwrap();
    let prod = snap.environments.iter().find(|e| e.name == "prod").unwrap();
    let pending = prod.pending.as_ref().expect("#121 waits at the gate");
    assert_eq!(pending.run_number, 121);
    let target = flightdeck::app::panes::pipeline::review_target(&s).unwrap();
    assert_eq!(target.run_id, id);
}

/// The prod line of the pipeline pane (trimmed), at the state's size.
fn prod_line(s: &State) -> String {
    pane(s)
        .lines()
        .map(|l| l.trim_start_matches(['│', '┃']))
        .find(|l| l.starts_with("prod "))
        .unwrap_or_default()
        .trim_end_matches(['│', '┃', ' '])
        .to_owned()
}

/// One number, one meaning, and no sentence cut in the middle: a waiting run's time counts
/// from when it began to wait (never longer than since the staging deploy before it), an
/// environment's age says `ago` at every width, the pending approval reads whole at 80,
/// 120 and 200 columns, a deployment under way is `deploying` (not `in_progress`), and
/// after a rollback the prod row says what the cluster runs instead of the superseded record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_ages_approvals_and_what_runs_agree_with_the_world() {
    let (sb, mut p, mut s) = fed(Scenario::PendingApproval).await;
    let snap = s.pipeline.snapshot.clone().unwrap();
    let staging = snap
        .environments
        .iter()
        .find(|e| e.name == "staging")
        .unwrap();
    let staged = staging.deployed.as_ref().and_then(|d| d.at).unwrap();
    let since_staging = s.now.duration_since(staged).as_secs();
    for (w, h) in [(200, 50), (120, 40), (80, 30)] {
        update(&mut s, Event::Resize(w, h));
        let text = pane(&s);
        let head = text
            .lines()
            .find(|l| l.contains("#127"))
            .unwrap_or_else(|| panic!("run #127 at {w}:\n{text}"));
        // the run's state and time are kept whole, whatever gives way on its line
        let waited = head
            .split("waiting ")
            .nth(1)
            .map(|t| t.trim_end_matches(['│', '┃', ' ']).to_owned())
            .unwrap_or_else(|| panic!("waiting at {w}: {head}\n{text}"));
        let secs = parse_duration(&waited).unwrap_or_else(|| panic!("{waited:?} at {w}:\n{text}"));
        assert!(
            secs <= since_staging + 1,
            "waiting {waited} but staging deployed {since_staging}s ago ({w} columns):\n{text}"
        );
        let staging_line = text
            .lines()
            .find(|l| l.trim_start_matches(['│', '┃']).starts_with("staging "))
            .unwrap_or_else(|| panic!("{text}"));
        assert!(staging_line.contains(" ago"), "{w}: {staging_line}");
        let prod = prod_line(&s);
        assert!(
            prod.ends_with("P approves, D rejects") || prod.ends_with("approve? P"),
            "{w} columns: {prod:?}"
        );
    }
    update(&mut s, Event::Resize(200, 40));

    // approved: production deploys, in words
    let pending = snap
        .environments
        .iter()
        .find(|e| e.name == "prod")
        .and_then(|e| e.pending.clone())
        .unwrap();
    actions::review_pending_deployments(
        &mut p.client,
        pending.run_id,
        &[pending.environment_id],
        Review::Approve,
        "dana",
    )
    .await
    .unwrap();
    sb.advance(std::time::Duration::from_secs(5));
    s.now = sandbox_now(&sb);
    feed(&mut p, &mut s).await;
    let prod = prod_line(&s);
    assert!(
        prod.contains(&format!("→ {} deploying", &pending.sha[..7])),
        "{prod}"
    );
    assert!(!pane(&s).contains("in_progress"), "{}", pane(&s));

    sb.advance(std::time::Duration::from_secs(600));
    s.now = sandbox_now(&sb);
    feed(&mut p, &mut s).await;
    let prod = prod_line(&s);
    assert!(prod.contains(&format!("✓ {}", &pending.sha[..7])), "{prod}");

    // then checkout in prod is rolled back to the template of #126's commit: the console,
    // in prod's namespace, sees the deployment's change-cause name that commit
    let snap = s.pipeline.snapshot.clone().unwrap();
    let older = snap
        .runs
        .iter()
        .find(|r| r.run.run_number == 126)
        .map(|r| r.run.head_sha.clone())
        .unwrap();
    s.scope.namespace = Some("shop".into());
    let key = flightdeck::sources::kube::model::ObjKey::new("shop", "checkout");
    s.cluster.deployments.insert(
        key.clone(),
        flightdeck::sources::kube::model::DeploymentRow {
            key,
            labels: Default::default(),
            selector: Default::default(),
            desired: 4,
            current: 4,
            ready: 4,
            updated: 4,
            available: 4,
            revision: Some(5),
            paused: false,
            generation: 5,
            observed_generation: 5,
            conditions: Vec::new(),
            containers: Vec::new(),
            change_cause: Some(format!("deploy run #126 ({})", &older[..7])),
            created: None,
        },
    );
    let prod = prod_line(&s);
    assert!(
        prod.contains(&format!("⟲ {} runs (checkout rev 5)", &older[..7]))
            && prod.contains(&format!("{} superseded", &pending.sha[..7])),
        "{prod}"
    );
    assert!(
        !prod.contains(&format!("✓ {}", &pending.sha[..7])),
        "{prod}"
    );
    // a cause that names the run only (`deploy run #126`) says the same
    if let Some(d) = s.cluster.deployments.values_mut().next() {
        d.change_cause = Some("deploy run #126".into());
    }
    let prod = prod_line(&s);
    assert!(
        prod.contains(&format!("⟲ {} runs (checkout rev 5)", &older[..7])),
        "{prod}"
    );
}

/// `42s`, `4m12s`, `1h02m` back to seconds.
fn parse_duration(t: &str) -> Option<i64> {
    let t = t.split_whitespace().next()?;
    let mut total = 0;
    let mut n = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            n.push(c);
        } else {
            let v: i64 = n.parse().ok()?;
            n.clear();
            total += v * match c {
                'h' => 3600,
                'm' => 60,
                's' => 1,
                _ => return None,
            };
        }
    }
    Some(total)
}
