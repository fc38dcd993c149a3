//! The operation dialogs as plain data, and how keys and results change them: a dialog
//! opens, plans, confirms and shows results. A pane builds the dialog or the operation
//! from its selection and returns it as an intent; this module calls no pane. Pure: every
//! I/O goes out as an [`Effect`].

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub use super::picker::Picker;

use crate::action::Action;
use crate::app::event::Effect;
use crate::app::state::{FlashLevel, Overlay, State};
use crate::config::keymap::{Key, KeyContext, Lookup};
use crate::ops::{Operation, Outcome, Placeholders, Plan, Target};
use crate::sources::kube::model::WorkloadKind;

/// One row of the revision picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionRow {
    pub revision: i64,
    pub image: String,
    pub change_cause: String,
    pub age: String,
    pub current: bool,
}

impl RevisionRow {
    /// The row of a ReplicaSet with a revision (a Deployment's or a Rollout's history).
    pub fn of_replicaset(
        rs: &crate::sources::kube::model::ReplicaSetRow,
        now: jiff::Timestamp,
        current: bool,
    ) -> Option<RevisionRow> {
        Some(RevisionRow {
            revision: rs.revision?,
            image: rs.images.join(","),
            change_cause: rs.change_cause.clone().unwrap_or_default(),
            age: rs
                .created
                .map(|c| crate::text::age(c, now))
                .unwrap_or_default(),
            current,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialog {
    /// Waiting for the plan (reads and a dry run).
    Planning {
        title: String,
        /// It reads the cluster: while the `k8s` source is stale the dialog says so.
        cluster: bool,
    },
    Confirm {
        plan: Box<Plan>,
        typed: String,
    },
    Replicas {
        target: Target,
        current: i32,
        input: String,
        /// Whether `input` is still the value the field was filled with (or stepped to),
        /// shown selected: the first digit typed replaces it, as in a selected text field.
        selected: bool,
        /// Deployment (`Operation::Scale`) or StatefulSet (`Operation::Workload`).
        kind: WorkloadKind,
    },
    Revisions {
        target: Target,
        rows: Picker<RevisionRow>,
        /// Deployment (`Operation::Rollback`), StatefulSet or DaemonSet (`Operation::Workload`).
        kind: WorkloadKind,
    },
    HostMenu {
        vars: Placeholders,
        names: Picker<String>,
    },
    /// A service's backups (what `list_backups` printed, newest first) to roll back to.
    Backups {
        service: String,
        backups: Picker<String>,
    },
    /// The audit log; the selected line is the lowest shown.
    Audit {
        lines: Picker<String>,
    },
    /// `q` while an operation is in flight.
    Quit,
}

impl Dialog {
    /// The replicas prompt, filled with the current count and selected: typing replaces
    /// it, `+`/`-` step it, backspace clears it.
    pub fn replicas(target: Target, current: i32, kind: WorkloadKind) -> Dialog {
        Dialog::Replicas {
            target,
            current,
            input: current.to_string(),
            selected: true,
            kind,
        }
    }
}

/// What the console knows about operations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpsState {
    /// The operation running now ("rollback checkout"), with a spinner frame.
    pub in_flight: Option<String>,
    pub spinner: usize,
}

/// Shows a dialog over the panes.
pub fn open(state: &mut State, d: Dialog) {
    state.overlay = Overlay::Dialog(Box::new(d));
    state.dirty = true;
}

/// Asks the executor for `op`'s plan, with the dialog waiting for it.
pub fn plan(state: &mut State, op: Operation) -> Vec<Effect> {
    let title = format!("{} {}", op.name(), op.target().name);
    let cluster =
        !(op.is_github() || matches!(op, Operation::Host { .. } | Operation::Service { .. }));
    open(state, Dialog::Planning { title, cluster });
    vec![Effect::PlanOperation(op)]
}

/// The plan came back: show the confirmation.
pub fn on_planned(state: &mut State, plan: Result<Box<Plan>, String>) -> Vec<Effect> {
    if !matches!(&state.overlay, Overlay::Dialog(d) if matches!(**d, Dialog::Planning { .. })) {
        return Vec::new(); // cancelled meanwhile
    }
    match plan {
        Ok(mut p) => {
            protect(state, &mut p);
            // host actions configured with confirm = false go straight on
            if let Operation::Host { action, .. } = &p.op
                && state
                    .config
                    .host_actions
                    .iter()
                    .any(|a| &a.name == action && !a.confirm)
            {
                return fire(state, &p);
            }
            open(
                state,
                Dialog::Confirm {
                    plan: p,
                    typed: String::new(),
                },
            )
        }
        Err(e) => {
            state.overlay = Overlay::None;
            state.set_flash(FlashLevel::Error, e);
        }
    }
    Vec::new()
}

/// A cluster operation on an object in a protected environment asks for the object's
/// name to be typed (as scaling to 0 does), whatever the operation.
fn protect(state: &State, p: &mut Plan) {
    if p.op.is_github()
        || matches!(p.op, Operation::Host { .. } | Operation::Service { .. })
        || p.refused.is_some()
    {
        return;
    }
    let target = p.op.target();
    // `scope::kube_context` writes "(current context)" when no context is known
    let ctx = Some(target.context.as_str()).filter(|c| !c.is_empty() && !c.starts_with('('));
    if let Some(env) = crate::app::scope::protected_environment(state, ctx, &target.namespace) {
        if p.type_to_confirm.is_none() {
            p.type_to_confirm = Some(target.name.clone());
        }
        p.notes.push(format!(
            "{} is a protected environment: type the name to confirm",
            env.name
        ));
    }
}

fn fire(state: &mut State, p: &Plan) -> Vec<Effect> {
    state.overlay = Overlay::None;
    if state.ops.in_flight.is_some() {
        state.set_flash(FlashLevel::Warn, "an operation is in flight".into());
        return Vec::new();
    }
    state.ops.in_flight = Some(format!("{} {}", p.op.name(), p.op.target().name));
    state.dirty = true;
    vec![Effect::Operation {
        op: p.op.clone(),
        before: p.before.clone(),
        after: p.after.clone(),
    }]
}

/// The executor answered (after the audit line was synced).
pub fn on_result(state: &mut State, outcome: Outcome) -> Vec<Effect> {
    state.ops.in_flight = None;
    let level = if outcome.ok {
        FlashLevel::Info
    } else {
        FlashLevel::Error
    };
    // set_flash also writes it to the console's own log
    state.set_flash(level, format!("{}: {}", outcome.op, outcome.message));
    Vec::new()
}

/// Keys while a dialog is open. Every key means what `[keys.dialog]` (then `global`)
/// binds it to, except the fixed ways out: esc and C-c always close. While a name or a
/// number is typed, its characters are text, and no printable key cancels or goes on.
pub fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let Overlay::Dialog(dialog) = &mut state.overlay else {
        return Vec::new();
    };
    state.dirty = true;
    let k = Key::from_event(&key);
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let text = k.and_then(|k| text_of(dialog, k));
    let action = match (k, text) {
        (Some(k), None) => match state.keymap.lookup(KeyContext::Dialog, &[k]) {
            Lookup::Action(a) => Some(a),
            _ => None,
        },
        _ => None,
    };
    // `q` or `y` may be part of what is typed
    let settles = !(typing(dialog) && k.is_some_and(|k| k.is_text()));
    // esc and C-c always close, whatever the keymap says: there is always a way out
    if key.code == KeyCode::Esc
        || (ctrl && key.code == KeyCode::Char('c'))
        || (settles && matches!(action, Some(Action::Cancel | Action::Back)))
    {
        state.overlay = Overlay::None;
        return Vec::new();
    }
    // take the pick (or what was typed) and go on; the confirm key does that too
    let next = settles && matches!(action, Some(Action::DialogNext | Action::Confirm));
    match dialog.as_mut() {
        Dialog::Planning { .. } => Vec::new(),
        Dialog::Quit => {
            if next {
                state.quit = true;
                return vec![Effect::Quit];
            }
            Vec::new()
        }
        Dialog::Audit { lines } => {
            if let Some(a) = action
                && !lines.on_action(a)
                && next
            {
                state.overlay = Overlay::None;
            }
            Vec::new()
        }
        Dialog::Confirm { plan, typed } => {
            if let Some(name) = &plan.type_to_confirm {
                // while a name is typed every character is text: tab takes the alternative
                // (a delete's other propagation policy)
                if key.code == KeyCode::Tab
                    && let Some(alt) = plan.alternative.clone()
                {
                    return self::plan(state, alt);
                }
                if let Some(c) = text {
                    typed.push(c);
                } else if backspace(prompt_action(&state.keymap, k)) {
                    typed.pop();
                } else if next && typed == name {
                    let p = (**plan).clone();
                    return fire(state, &p);
                } else if next {
                    let name = name.clone();
                    state.set_flash(FlashLevel::Warn, format!("type `{name}` to confirm"));
                }
                return Vec::new();
            }
            if action == Some(Action::DialogAlternative)
                && let Some(alt) = plan.alternative.clone()
            {
                return self::plan(state, alt);
            }
            if let Some(why) = plan.refused.clone() {
                if next {
                    let refused = plan.clone();
                    state.overlay = Overlay::None;
                    state.set_flash(FlashLevel::Warn, why);
                    return vec![Effect::RecordRefusal(refused)];
                }
                return Vec::new();
            }
            // only the confirm key fires, never enter, whatever it is bound to: enter
            // opened or advanced this dialog (the revision picker, the replicas prompt), so
            // a double enter must not roll back production
            if action == Some(Action::Confirm) && key.code != KeyCode::Enter {
                let p = (**plan).clone();
                return fire(state, &p);
            }
            if next {
                let y = state
                    .keymap
                    .key_for(KeyContext::Dialog, Action::Confirm)
                    .filter(|k| k != "enter")
                    .unwrap_or_else(|| "y".into());
                state.set_flash(FlashLevel::Info, format!("press {y} to confirm"));
            }
            Vec::new()
        }
        Dialog::Replicas {
            target,
            current,
            input,
            selected,
            kind,
        } => {
            let n: i32 = input.parse().unwrap_or(*current);
            match action {
                // a stepped value is not typed: it stays selected, or not, as it was
                Some(Action::DialogIncrease | Action::SelectUp) => {
                    *input = (n.saturating_add(1)).to_string()
                }
                Some(Action::DialogDecrease | Action::SelectDown) => {
                    *input = (n - 1).max(0).to_string()
                }
                // digits are the number typed, not keys to bind; the first one replaces
                // the selected value, and a leading zero is replaced too
                _ if text.is_some() => {
                    if std::mem::take(selected) || input == "0" {
                        input.clear();
                    }
                    if input.len() < 5 {
                        input.extend(text);
                    }
                }
                _ if backspace(prompt_action(&state.keymap, k)) => {
                    // the selection goes as a whole, a typed number a digit at a time
                    if std::mem::take(selected) {
                        input.clear();
                    } else {
                        input.pop();
                    }
                }
                _ if next => {
                    if let Ok(replicas) = input.parse::<i32>() {
                        let op = scale_op(target, *kind, replicas);
                        return plan(state, op);
                    }
                }
                _ => {}
            }
            Vec::new()
        }
        Dialog::Revisions { target, rows, kind } => {
            if let Some(a) = action
                && !rows.on_action(a)
                && next
            {
                let to_revision = if rows.selected == 1 {
                    None // previous, exactly as `rollout undo` picks it
                } else {
                    rows.chosen().map(|r| r.revision)
                };
                let op = rollback_op(target, *kind, to_revision);
                return plan(state, op);
            }
            Vec::new()
        }
        Dialog::Backups { service, backups } => {
            if let Some(a) = action
                && !backups.on_action(a)
                && next
                && let Some(backup) = backups.chosen()
            {
                let op = Operation::Service {
                    service: service.clone(),
                    op: crate::ops::ServiceOp::Rollback {
                        backup: backup.clone(),
                    },
                };
                return plan(state, op);
            }
            Vec::new()
        }
        Dialog::HostMenu { vars, names } => {
            if let Some(a) = action
                && !names.on_action(a)
                && next
                && let Some(name) = names.chosen()
            {
                let op = Operation::Host {
                    action: name.clone(),
                    vars: vars.clone(),
                };
                return plan(state, op);
            }
            Vec::new()
        }
    }
}

/// Scaling `target` to `replicas`: a Deployment's own operation, else a workload's.
fn scale_op(target: &Target, kind: WorkloadKind, replicas: i32) -> Operation {
    if kind == WorkloadKind::Deployment {
        Operation::Scale {
            target: target.clone(),
            replicas,
            resource_version: None,
        }
    } else {
        Operation::Workload {
            target: target.clone(),
            kind,
            op: crate::ops::model::WorkloadOp::Scale { replicas },
            resource_version: None,
        }
    }
}

/// Rolling `target` back (to the previous revision when `to_revision` is `None`).
fn rollback_op(target: &Target, kind: WorkloadKind, to_revision: Option<i64>) -> Operation {
    if kind == WorkloadKind::Deployment {
        Operation::Rollback {
            target: target.clone(),
            to_revision,
            resource_version: None,
        }
    } else {
        Operation::Workload {
            target: target.clone(),
            kind,
            op: crate::ops::model::WorkloadOp::Rollback { to_revision },
            resource_version: None,
        }
    }
}

/// The operation a dialog is opened for, as far as it is known before the user answers
/// it (for the audit line of a refusal): what enter would go on with — the replicas
/// prompt scales to the current count, the revision picker rolls back to the previous
/// revision, a menu runs its selected entry.
pub fn operation_of(d: &Dialog) -> Option<Operation> {
    match d {
        Dialog::Replicas {
            target,
            current,
            kind,
            ..
        } => Some(scale_op(target, *kind, *current)),
        Dialog::Revisions { target, kind, .. } => Some(rollback_op(target, *kind, None)),
        Dialog::Confirm { plan, .. } => Some(plan.op.clone()),
        Dialog::HostMenu { vars, names } => names.chosen().map(|name| Operation::Host {
            action: name.clone(),
            vars: vars.clone(),
        }),
        Dialog::Backups { service, backups } => Some(Operation::Service {
            service: service.clone(),
            op: crate::ops::ServiceOp::Rollback {
                backup: backups.chosen().cloned().unwrap_or_default(),
            },
        }),
        Dialog::Planning { .. } | Dialog::Audit { .. } | Dialog::Quit => None,
    }
}

/// What `[keys.prompt]` binds `key` to: a typed field in a dialog edits like a prompt.
fn prompt_action(keymap: &crate::config::Keymap, key: Option<Key>) -> Option<Action> {
    match keymap.lookup(KeyContext::Prompt, &[key?]) {
        Lookup::Action(a) => Some(a),
        _ => None,
    }
}

fn backspace(action: Option<Action>) -> bool {
    action == Some(Action::PromptDeleteBack)
}

/// The character `key` types into `d`'s field: any character into a name typed to
/// confirm, a digit into the replicas number.
fn text_of(d: &Dialog, key: Key) -> Option<char> {
    let crate::config::keymap::KeyCode::Char(c) = key.code else {
        return None;
    };
    if key.ctrl {
        return None;
    }
    match d {
        Dialog::Confirm { plan, .. } if plan.type_to_confirm.is_some() => Some(c),
        Dialog::Replicas { .. } if c.is_ascii_digit() => Some(c),
        _ => None,
    }
}

/// Whether `d` has a field being typed: a name to confirm, the replicas number.
fn typing(d: &Dialog) -> bool {
    matches!(d, Dialog::Confirm { plan, .. } if plan.type_to_confirm.is_some())
        || matches!(d, Dialog::Replicas { .. })
}

/// `q`: asks first while an operation is in flight.
pub fn on_quit(state: &mut State) -> Option<Vec<Effect>> {
    state.ops.in_flight.as_ref()?;
    open(state, Dialog::Quit);
    Some(Vec::new())
}

/// `:audit`: read the log (the run loop answers with [`crate::app::Event::Audit`]).
pub fn show_audit(state: &mut State) -> Vec<Effect> {
    open(
        state,
        Dialog::Audit {
            lines: Picker::new(vec!["reading the audit log…".into()], 0),
        },
    );
    vec![Effect::ReadAudit]
}

pub fn on_audit(state: &mut State, tail: crate::ops::AuditTail) -> Vec<Effect> {
    let lines = match tail.records {
        Ok(v) if v.is_empty() => vec![format!("no operations yet ({})", tail.path)],
        Ok(v) => {
            let mut lines = vec![format!(
                "{} · one line per operation, newest last",
                tail.path
            )];
            lines.extend(super::audit::audit_lines(&v));
            lines
        }
        Err(e) => vec![e],
    };
    if let Overlay::Dialog(d) = &mut state.overlay
        && let Dialog::Audit { lines: l } = d.as_mut()
    {
        // open at the newest entry
        let newest = lines.len().saturating_sub(1);
        *l = Picker::new(lines, newest);
        state.dirty = true;
    }
    Vec::new()
}
