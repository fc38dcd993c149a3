//! Intent, then confirmation, then execution: the dialogs driven through `update`, and
//! snapshots of what they show.

use crate::support;
use crate::support::common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flightdeck::app::dialog::Dialog;
use flightdeck::app::panes::workloads::visible_deployments;
use flightdeck::app::state::{Overlay, State};
use flightdeck::app::{Action, Effect, Event, update};
use flightdeck::ops::{Operation, Outcome, Plan, Target};
use flightdeck::pane::PaneId;
use support::workloads::{fixture, state};

fn fed() -> State {
    let mut s = state(Some("shop"));
    for msg in fixture::messages() {
        let generation = s.generation;
        update(&mut s, Event::Kube { generation, msg });
    }
    flightdeck::app::update::apply(&mut s, Action::FocusPane(PaneId::Workloads));
    let i = visible_deployments(&s)
        .iter()
        .position(|d| d.key.name == "checkout")
        .expect("checkout row");
    s.pane_mut(PaneId::Workloads).selected = i;
    s
}

fn key(s: &mut State, code: KeyCode) -> Vec<Effect> {
    update(s, Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn draw(s: &State, w: u16, h: u16) -> String {
    let mut s = s.clone();
    s.size = (w, h);
    common::cells(&common::draw_at(&s, w, h))
}

fn dialog(s: &State) -> &Dialog {
    match &s.overlay {
        Overlay::Dialog(d) => d,
        other => panic!("no dialog: {other:?}"),
    }
}

fn target() -> Target {
    Target {
        context: "(current context)".into(),
        namespace: "shop".into(),
        name: "checkout".into(),
    }
}

fn rollback_plan() -> Plan {
    Plan {
        op: Operation::Rollback {
            target: target(),
            to_revision: None,
            resource_version: Some("42".into()),
        },
        title: "Roll back deployment/checkout".into(),
        before: "revision 7 ghcr.io/acme/checkout:1.8.3".into(),
        after: "revision 6 ghcr.io/acme/checkout:1.8.2 (release 1.8.2)".into(),
        notes: vec!["server dry run (dryRun=All): ok".into()],
        refused: None,
        type_to_confirm: None,
        alternative: None,
    }
}

#[test]
fn rollback_picks_a_revision_confirms_and_cannot_fire_twice() {
    let mut s = fed();
    let fx = flightdeck::app::update::apply(&mut s, Action::Rollback);
    assert!(fx.is_empty(), "the picker opens first: {fx:?}");
    let Dialog::Revisions { rows, .. } = dialog(&s) else {
        panic!("{:?}", s.overlay)
    };
    assert_eq!(rows.selected, 1);
    assert_eq!(rows[0].revision, 7);
    assert!(rows[0].current);
    assert_eq!(rows[1].image, "ghcr.io/acme/checkout:1.8.2");
    insta::assert_snapshot!("revision_picker", draw(&s, 100, 24));

    // enter on "previous": plan exactly as `rollout undo` (no --to-revision)
    let fx = key(&mut s, KeyCode::Enter);
    assert_eq!(
        fx,
        vec![Effect::PlanOperation(Operation::Rollback {
            target: target(),
            to_revision: None,
            resource_version: None,
        })]
    );
    assert!(matches!(dialog(&s), Dialog::Planning { .. }));
    update(&mut s, Event::OpPlanned(Ok(Box::new(rollback_plan()))));
    insta::assert_snapshot!("confirm_rollback", draw(&s, 100, 24));

    // a second enter (muscle memory from the picker) fires nothing: only y confirms
    assert!(key(&mut s, KeyCode::Enter).is_empty());
    assert!(matches!(dialog(&s), Dialog::Confirm { .. }));
    assert!(s.ops.in_flight.is_none());

    // y confirms: the confirmed operation goes out once, with the plan's resourceVersion
    let fx = key(&mut s, KeyCode::Char('y'));
    let plan = rollback_plan();
    assert_eq!(
        fx,
        vec![Effect::Operation {
            op: plan.op.clone(),
            before: plan.before.clone(),
            after: plan.after.clone(),
        }]
    );
    assert_eq!(s.overlay, Overlay::None);
    assert!(s.ops.in_flight.is_some());
    // in flight: the key does nothing but say so, and q asks first
    assert!(flightdeck::app::update::apply(&mut s, Action::Rollback).is_empty());
    assert!(
        s.flash
            .as_ref()
            .is_some_and(|f| f.text.contains("still running"))
    );
    assert!(flightdeck::app::update::apply(&mut s, Action::Quit).is_empty());
    assert!(!s.quit);
    assert_eq!(dialog(&s), &Dialog::Quit);
    key(&mut s, KeyCode::Esc);
    update(
        &mut s,
        Event::OpResult(Box::new(Outcome {
            op: "rollback".into(),
            target: target(),
            ok: true,
            message: "deployment.apps/checkout rolled back to revision 6".into(),
            before: plan.before,
            after: plan.after,
        })),
    );
    assert!(s.ops.in_flight.is_none());
    assert!(
        s.flash
            .as_ref()
            .is_some_and(|f| f.text.contains("rolled back"))
    );
}

#[test]
fn a_refused_plan_only_closes() {
    let mut s = fed();
    flightdeck::app::update::apply(&mut s, Action::Restart);
    let mut plan = rollback_plan();
    plan.refused = Some("can't restart paused deployment (run rollout resume first)".into());
    update(&mut s, Event::OpPlanned(Ok(Box::new(plan.clone()))));
    // nothing runs; the refusal goes to the audit log
    assert_eq!(
        key(&mut s, KeyCode::Enter),
        vec![Effect::RecordRefusal(Box::new(plan))]
    );
    assert_eq!(s.overlay, Overlay::None);
    assert!(s.flash.as_ref().is_some_and(|f| f.text.contains("paused")));
}

#[test]
fn scale_prompt_steps_and_zero_needs_the_name() {
    let mut s = fed();
    flightdeck::app::update::apply(&mut s, Action::Scale);
    key(&mut s, KeyCode::Char('+'));
    key(&mut s, KeyCode::Char('+'));
    let fx = key(&mut s, KeyCode::Enter);
    let Some(Effect::PlanOperation(Operation::Scale { replicas, .. })) = fx.first() else {
        panic!("{fx:?}")
    };
    assert_eq!(*replicas, 6);
    let plan = Plan {
        op: Operation::Scale {
            target: target(),
            replicas: 0,
            resource_version: Some("9".into()),
        },
        title: "Scale deployment/checkout".into(),
        before: "replicas 4".into(),
        after: "replicas 0".into(),
        notes: Vec::new(),
        refused: None,
        type_to_confirm: Some("checkout".into()),
        alternative: None,
    };
    update(&mut s, Event::OpPlanned(Ok(Box::new(plan))));
    assert!(
        key(&mut s, KeyCode::Char('y')).is_empty(),
        "y is typed, not confirm"
    );
    assert!(key(&mut s, KeyCode::Enter).is_empty());
    for c in "heckout".chars() {
        key(&mut s, KeyCode::Backspace);
        let _ = c;
    }
    // now type the name exactly
    let Dialog::Confirm { typed, .. } = dialog(&s) else {
        panic!("the confirmation stays open: {:?}", s.overlay)
    };
    assert!(typed.is_empty(), "{typed}");
    for c in "checkout".chars() {
        key(&mut s, KeyCode::Char(c));
    }
    insta::assert_snapshot!("confirm_scale_to_zero", draw(&s, 100, 24));
    let fx = key(&mut s, KeyCode::Enter);
    assert!(
        matches!(fx.first(), Some(Effect::Operation { .. })),
        "{fx:?}"
    );
}

#[test]
fn read_only_refuses_before_any_dialog() {
    let mut s = fed();
    s.scope.read_only = true;
    for a in [
        Action::Rollback,
        Action::Scale,
        Action::Restart,
        Action::Promote,
    ] {
        let fx = flightdeck::app::update::apply(&mut s, a);
        assert_eq!(s.overlay, Overlay::None);
        // said in words, with why
        let said = s.flash.as_ref().map(|f| f.text.clone()).unwrap_or_default();
        assert_eq!(
            said,
            format!("read-only (:read-only was given): {} refused", a.verb())
        );
        // nothing planned or run: only the refusal's audit line, for the selected object
        // (promote on a Deployment that is not blue-green names no operation)
        for e in &fx {
            let Effect::RecordRefusal(plan) = e else {
                panic!("{a:?}: {fx:?}")
            };
            assert_eq!(plan.refused.as_deref(), Some(said.as_str()));
            assert_eq!(plan.op.object(), "deployment/checkout");
        }
        assert_eq!(fx.len(), usize::from(a != Action::Promote), "{a:?}: {fx:?}");
    }
    s.read_only_at_start = true;
    flightdeck::app::update::apply(&mut s, Action::Rollback);
    let said = s.flash.as_ref().map(|f| f.text.clone()).unwrap_or_default();
    assert_eq!(
        said,
        "read-only (started with --read-only): rollback refused"
    );
}

#[test]
fn audit_palette_command_reads_the_log() {
    let mut s = fed();
    assert!(
        flightdeck::app::palette::COMMANDS
            .iter()
            .any(|(c, _, _)| *c == "audit")
    );
    flightdeck::app::update::apply(&mut s, Action::Palette);
    for c in "audit".chars() {
        key(&mut s, KeyCode::Char(c));
    }
    let fx = key(&mut s, KeyCode::Enter);
    assert_eq!(fx, vec![Effect::ReadAudit]);
    update(
        &mut s,
        Event::Audit(flightdeck::ops::AuditTail {
            path: "/data/audit.jsonl".into(),
            records: Ok(Vec::new()),
        }),
    );
    let Dialog::Audit { lines, .. } = dialog(&s) else {
        panic!()
    };
    assert_eq!(
        lines,
        &vec!["no operations yet (/data/audit.jsonl)".to_owned()]
    );
}

#[test]
fn dialog_keys_come_from_the_keymap() {
    let mut s = fed();
    let (user, diags) = flightdeck::config::keymap::parse(
        "mine",
        "mine.toml",
        "[keys.dialog]\n\"]\" = \"dialog.increase\"\n\"+\" = \"noop\"\n",
    );
    assert!(diags.is_empty(), "{diags:?}");
    s.keymap.merge(&user.keymap);
    flightdeck::app::update::apply(&mut s, Action::Scale);
    key(&mut s, KeyCode::Char(']'));
    key(&mut s, KeyCode::Char('+'));
    key(&mut s, KeyCode::Char(']'));
    let fx = key(&mut s, KeyCode::Enter);
    let Some(Effect::PlanOperation(Operation::Scale { replicas, .. })) = fx.first() else {
        panic!("{fx:?}")
    };
    assert_eq!(*replicas, 6, "`]` twice from 4; `+` unbound");

    // `q` closes a dialog like esc (it no longer quits from under it)
    flightdeck::app::update::apply(&mut s, Action::Rollback);
    assert!(matches!(dialog(&s), Dialog::Revisions { .. }));
    assert!(key(&mut s, KeyCode::Char('q')).is_empty());
    assert_eq!(s.overlay, Overlay::None);
    assert!(!s.quit);

    // a keymap written for the context's first name still binds
    let (old, diags) = flightdeck::config::keymap::parse(
        "old",
        "old.toml",
        "[keys.confirm]\nY = \"dialog.confirm\"\n",
    );
    assert!(diags.is_empty(), "{diags:?}");
    assert!(
        old.keymap
            .contexts
            .contains_key(&flightdeck::config::keymap::KeyContext::Dialog)
    );
}

#[test]
fn help_lists_the_dialog_keys() {
    let mut s = fed();
    flightdeck::app::update::apply(&mut s, Action::Help);
    let screen = draw(&s, 200, 120);
    for want in ["dialog", "one more replica", "the HPA's bounds"] {
        assert!(screen.contains(want), "help has no `{want}`:\n{screen}");
    }
}

#[test]
fn q_goes_back_from_a_sub_view_and_quits_only_from_the_top() {
    let mut s = fed();
    // the detail view of the selected deployment
    key(&mut s, KeyCode::Enter);
    assert!(s.workloads.detail.is_some());
    assert!(key(&mut s, KeyCode::Char('q')).is_empty());
    assert!(
        s.workloads.detail.is_none() && !s.quit,
        "q closed the detail"
    );
    // a zoomed pane
    key(&mut s, KeyCode::Char('z'));
    assert!(s.zoomed);
    key(&mut s, KeyCode::Char('q'));
    assert!(!s.zoomed && !s.quit, "q unzoomed");
    // C-c quits from anywhere
    key(&mut s, KeyCode::Char('z'));
    let fx = update(
        &mut s,
        Event::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
    );
    assert_eq!(fx, vec![Effect::Quit]);
    // and q from the top level quits
    let mut s = fed();
    assert_eq!(key(&mut s, KeyCode::Char('q')), vec![Effect::Quit]);
    assert!(s.quit);
}

#[test]
fn a_long_dialog_keeps_its_key_line_and_its_indent() {
    let mut s = fed();
    flightdeck::app::update::apply(&mut s, Action::Rollback);
    key(&mut s, KeyCode::Enter);
    let mut plan = rollback_plan();
    plan.notes = vec![
        "an HPA (checkout, min 4, max 12) owns the replica count of this deployment: a scale \
         would be overridden at its next sync; change the HPA's bounds instead"
            .into(),
    ];
    update(&mut s, Event::OpPlanned(Ok(Box::new(plan))));
    let screen = draw(&s, 80, 24);
    assert!(screen.contains("y confirm · n/esc cancel"), "{screen}");
    // the note wraps, and its continuation rows keep the note's indent
    let lines: Vec<&str> = screen.lines().collect();
    let note = lines
        .iter()
        .position(|l| l.contains("│  an HPA (checkout"))
        .unwrap_or_else(|| panic!("the note: {screen}"));
    assert!(
        lines[note + 1].contains("│  deployment: a scale"),
        "{screen}"
    );

    // so small that not everything fits: the key line still shows
    let Overlay::Dialog(d) = &mut s.overlay else {
        panic!("the confirmation is open")
    };
    let Dialog::Confirm { plan, .. } = d.as_mut() else {
        panic!("the confirmation is open")
    };
    plan.notes
        .extend((1..=6).map(|i| format!("server dry run note {i}")));
    let screen = draw(&s, 80, 16);
    assert!(screen.contains("y confirm · n/esc cancel"), "{screen}");
    assert!(screen.contains("more lines"), "{screen}");
}

#[test]
fn a_conflict_is_shown_whole_until_a_key() {
    let mut s = fed();
    s.size = (120, 40);
    let message = "conflict: the object was changed by someone else since the confirmation \
                   (Operation cannot be fulfilled on deployments.apps \"checkout\": the object \
                   has been modified; please apply your changes to the latest version and try \
                   again); nothing was changed — look again and retry";
    update(
        &mut s,
        Event::OpResult(Box::new(Outcome {
            op: "rollback".into(),
            target: target(),
            ok: false,
            message: message.into(),
            before: String::new(),
            after: String::new(),
        })),
    );
    let screen: String = draw(&s, 120, 40)
        .lines()
        .map(|l| l.trim_matches(|c| c == '│' || c == ' '))
        .collect::<Vec<_>>()
        .join(" ");
    let squeezed = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        squeezed(&screen).contains(&squeezed("nothing was changed — look again and retry")),
        "{screen}"
    );
    // it does not fade with time
    let later = s.now + jiff::SignedDuration::from_secs(60);
    update(&mut s, Event::Tick(later));
    assert!(s.flash.is_some());
    // any key closes it
    key(&mut s, KeyCode::Char('j'));
    assert!(s.flash.is_none());
}

/// The plan the replicas prompt asks for after `keys` then enter, opened on `current`.
fn scale_after(current: i32, keys: &[KeyCode]) -> i32 {
    let mut s = fed();
    flightdeck::app::dialog::open(
        &mut s,
        Dialog::replicas(
            target(),
            current,
            flightdeck::sources::kube::WorkloadKind::Deployment,
        ),
    );
    for k in keys {
        assert!(key(&mut s, *k).is_empty(), "{k:?} plans nothing");
    }
    let fx = key(&mut s, KeyCode::Enter);
    let Some(Effect::PlanOperation(Operation::Scale { replicas, .. })) = fx.first() else {
        panic!("{fx:?}")
    };
    *replicas
}

#[test]
fn typed_digits_replace_the_prefilled_replicas() {
    use KeyCode::{Backspace, Char};
    // on 1 replica, `1` `2` is 12 and `1` `0` is 10: the first digit replaces the value
    assert_eq!(scale_after(1, &[Char('1'), Char('2')]), 12);
    assert_eq!(scale_after(1, &[Char('1'), Char('0')]), 10);
    assert_eq!(scale_after(4, &[Char('4'), Char('4')]), 44);
    assert_eq!(scale_after(4, &[Char('7')]), 7);
    // the selection goes as a whole; a typed number loses one digit at a time
    assert_eq!(scale_after(12, &[Backspace, Char('3')]), 3);
    assert_eq!(scale_after(1, &[Char('2'), Char('5'), Backspace]), 2);
    // +/- still step, from the shown value or from what was typed
    assert_eq!(scale_after(1, &[Char('+'), Char('+')]), 3);
    assert_eq!(scale_after(1, &[Char('1'), Char('2'), Char('-')]), 11);
    // a leading zero is replaced, not kept
    assert_eq!(scale_after(3, &[Char('0'), Char('5')]), 5);
}
