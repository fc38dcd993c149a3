//! The operation dialogs as plain data, and how keys and results change them. Pure: every
//! I/O goes out as an [`Effect`].

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::action::Action;
use crate::app::event::Effect;
use crate::app::panes::workloads::current_deployment;
use crate::app::state::{FlashLevel, Overlay, State};
use crate::config::keymap::{Key, KeyContext, Lookup};
use crate::ops::{Operation, Outcome, Placeholders, Plan, Target};
use crate::pane::PaneId;
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialog {
    /// Waiting for the plan (reads and a dry run).
    Planning {
        title: String,
    },
    Confirm {
        plan: Box<Plan>,
        typed: String,
    },
    Replicas {
        target: Target,
        current: i32,
        input: String,
        /// Deployment (`Operation::Scale`) or StatefulSet (`Operation::Workload`).
        kind: WorkloadKind,
    },
    Revisions {
        target: Target,
        rows: Vec<RevisionRow>,
        selected: usize,
        /// Deployment (`Operation::Rollback`), StatefulSet or DaemonSet (`Operation::Workload`).
        kind: WorkloadKind,
    },
    HostMenu {
        vars: Placeholders,
        names: Vec<String>,
        selected: usize,
    },
    /// A service's backups (what `list_backups` printed, newest first) to roll back to.
    Backups {
        service: String,
        backups: Vec<String>,
        selected: usize,
    },
    Audit {
        lines: Vec<String>,
        scroll: usize,
    },
    /// `q` while an operation is in flight.
    Quit,
}

/// What the console knows about operations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpsState {
    /// The operation running now ("rollback checkout"), with a spinner frame.
    pub in_flight: Option<String>,
    pub spinner: usize,
}

pub(crate) fn open(state: &mut State, d: Dialog) {
    state.overlay = Overlay::Dialog(Box::new(d));
    state.dirty = true;
}

pub(crate) fn context(state: &State) -> String {
    state
        .scope
        .context
        .clone()
        .or_else(|| state.config.kube.context.clone())
        .unwrap_or_else(|| "(current context)".into())
}

/// The colour label of a blue-green deployment and its Service (named by `app`).
/// A deployment of a blue-green pair: (the Service named by its `app` label, the colour
/// label's key, its colour). The plan checks that the Service really selects on that label.
fn blue_green(d: &crate::sources::kube::model::DeploymentRow) -> Option<(String, String, String)> {
    let (key, colour) = ["color", "colour"]
        .iter()
        .find_map(|k| d.labels.get(*k).map(|v| (k.to_string(), v.clone())))?;
    let service = d.labels.get("app")?.clone();
    Some((service, key, colour))
}

fn other_colour(c: &str) -> Option<String> {
    match c {
        "blue" => Some("green".into()),
        "green" => Some("blue".into()),
        _ => None,
    }
}

/// Intent: an operation key. Opens the right dialog for the Workloads selection.
pub fn on_action(state: &mut State, action: Action) -> Vec<Effect> {
    if state.scope.read_only {
        let why = if state.read_only_at_start {
            "started with --read-only"
        } else {
            ":read-only was given"
        };
        state.set_flash(
            FlashLevel::Warn,
            format!("read-only ({why}): {} refused", action.verb()),
        );
        return Vec::new();
    }
    if let Some(what) = &state.ops.in_flight {
        let what = what.clone();
        state.set_flash(FlashLevel::Warn, format!("{what} is still running"));
        return Vec::new();
    }
    if state.focus == PaneId::Pipeline || action.is_pipeline() {
        return crate::app::panes::pipeline::on_operation(state, action);
    }
    if state.focus == PaneId::Gpu {
        return crate::app::panes::hosts::on_action(state, action);
    }
    if state.focus == PaneId::Workloads
        && let Some(effects) = crate::app::panes::workloads::ops::on_action(state, action)
    {
        return effects;
    }
    let Some(d) = (state.focus == PaneId::Workloads)
        .then(|| current_deployment(state))
        .flatten()
        .cloned()
    else {
        state.set_flash(
            FlashLevel::Info,
            format!("{}: select a deployment first", action.description()),
        );
        return Vec::new();
    };
    let target = Target {
        context: context(state),
        namespace: d.key.namespace.clone(),
        name: d.key.name.clone(),
    };
    match action {
        Action::Rollback => {
            if let Some((service, label, colour)) = blue_green(&d) {
                let Some(to) = other_colour(&colour) else {
                    state.set_flash(FlashLevel::Warn,
                        format!(
                            "{label}={colour}: not blue or green, so there is no other side to switch back to"
                        ),
                    );
                    return Vec::new();
                };
                let op = Operation::Switch {
                    target: Target {
                        name: service,
                        ..target
                    },
                    label,
                    to,
                    resource_version: None,
                };
                return plan(state, op);
            }
            let rows: Vec<RevisionRow> = state
                .workloads
                .replicasets_of(&d.key)
                .iter()
                .filter_map(|rs| {
                    Some(RevisionRow {
                        revision: rs.revision?,
                        image: rs.images.join(","),
                        change_cause: rs.change_cause.clone().unwrap_or_default(),
                        age: rs
                            .created
                            .map(|c| crate::text::age(c, state.now))
                            .unwrap_or_default(),
                        current: rs.revision == d.revision,
                    })
                })
                .collect();
            if rows.len() < 2 {
                // no history in view: let the executor find the previous revision
                return plan(
                    state,
                    Operation::Rollback {
                        target,
                        to_revision: None,
                        resource_version: None,
                    },
                );
            }
            open(
                state,
                Dialog::Revisions {
                    target,
                    selected: 1,
                    rows,
                    kind: WorkloadKind::Deployment,
                },
            );
            Vec::new()
        }
        Action::Scale => {
            open(
                state,
                Dialog::Replicas {
                    target,
                    current: d.desired,
                    input: d.desired.to_string(),
                    kind: WorkloadKind::Deployment,
                },
            );
            Vec::new()
        }
        Action::Restart => plan(
            state,
            Operation::Restart {
                target,
                resource_version: None,
            },
        ),
        Action::Promote => match blue_green(&d) {
            Some((service, label, colour)) => plan(
                state,
                Operation::Switch {
                    target: Target {
                        name: service,
                        ..target
                    },
                    label,
                    to: colour,
                    resource_version: None,
                },
            ),
            None => {
                state.set_flash(
                    FlashLevel::Info,
                    format!("{} is not part of a blue-green pair", d.key.name),
                );
                Vec::new()
            }
        },
        Action::HostActions => {
            let names: Vec<String> = state
                .config
                .host_actions
                .iter()
                .map(|a| a.name.clone())
                .collect();
            if names.is_empty() {
                state.set_flash(FlashLevel::Info, "no [[host_action]] in config.toml".into());
                return Vec::new();
            }
            let vars = Placeholders {
                deployment: d.key.name.clone(),
                namespace: d.key.namespace.clone(),
                context: target.context.clone(),
                revision: d.revision.map(|r| r.to_string()).unwrap_or_default(),
            };
            open(
                state,
                Dialog::HostMenu {
                    vars,
                    names,
                    selected: 0,
                },
            );
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// Asks the executor for `op`'s plan, with the dialog waiting for it.
pub fn plan_op(state: &mut State, op: Operation) -> Vec<Effect> {
    plan(state, op)
}

pub(crate) fn plan(state: &mut State, op: Operation) -> Vec<Effect> {
    let title = format!("{} {}", op.name(), op.target().name);
    open(state, Dialog::Planning { title });
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
    // `context(state)` writes "(current context)" when no context is known
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

/// Keys while a dialog is open.
pub fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let Overlay::Dialog(dialog) = &mut state.overlay else {
        return Vec::new();
    };
    state.dirty = true;
    let action = lookup_in(&state.keymap, &key);
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    // esc and C-c always close, whatever the keymap says: there is always a way out
    let cancel = key.code == KeyCode::Esc
        || (matches!(action, Some(Action::Cancel | Action::Back)) && !typing(dialog));
    if cancel || (ctrl && key.code == KeyCode::Char('c')) {
        state.overlay = Overlay::None;
        return Vec::new();
    }
    let confirm =
        key.code == KeyCode::Enter || (action == Some(Action::Confirm) && !typing(dialog));
    match dialog.as_mut() {
        Dialog::Planning { .. } => Vec::new(),
        Dialog::Quit => {
            if confirm {
                state.quit = true;
                return vec![Effect::Quit];
            }
            Vec::new()
        }
        Dialog::Audit { lines, scroll } => {
            match action {
                Some(Action::SelectUp) => *scroll = scroll.saturating_sub(1),
                Some(Action::SelectDown) => {
                    *scroll = (*scroll + 1).min(lines.len().saturating_sub(1))
                }
                _ if confirm => state.overlay = Overlay::None,
                _ => {}
            }
            Vec::new()
        }
        Dialog::Confirm { plan, typed } => {
            if let Some(name) = &plan.type_to_confirm {
                match key.code {
                    KeyCode::Backspace => {
                        typed.pop();
                    }
                    KeyCode::Char(c) if !ctrl => typed.push(c),
                    KeyCode::Enter if typed == name => {
                        let p = (**plan).clone();
                        return fire(state, &p);
                    }
                    KeyCode::Enter => {
                        let name = name.clone();
                        state.set_flash(FlashLevel::Warn, format!("type `{name}` to confirm"));
                    }
                    _ => {}
                }
                return Vec::new();
            }
            if action == Some(Action::DialogAlternative)
                && let Some(alt) = plan.alternative.clone()
            {
                return self::plan(state, alt);
            }
            if let Some(why) = plan.refused.clone() {
                if confirm {
                    let refused = plan.clone();
                    state.overlay = Overlay::None;
                    state.set_flash(FlashLevel::Warn, why);
                    return vec![Effect::RecordRefusal(refused)];
                }
                return Vec::new();
            }
            // only the confirm key fires, never enter: enter opened or advanced this dialog
            // (the revision picker, the replicas prompt), so a double enter must not roll
            // back production
            if action == Some(Action::Confirm) && key.code != KeyCode::Enter {
                let p = (**plan).clone();
                return fire(state, &p);
            }
            if key.code == KeyCode::Enter {
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
            kind,
        } => {
            let n: i32 = input.parse().unwrap_or(*current);
            match key.code {
                _ if matches!(action, Some(Action::DialogIncrease | Action::SelectUp)) => {
                    *input = (n.saturating_add(1)).to_string()
                }
                _ if matches!(action, Some(Action::DialogDecrease | Action::SelectDown)) => {
                    *input = (n - 1).max(0).to_string()
                }
                KeyCode::Char(c) if c.is_ascii_digit() && input.len() < 5 => {
                    if input == "0" || input.parse::<i32>().ok() == Some(*current) {
                        input.clear();
                    }
                    input.push(c)
                }
                KeyCode::Backspace => {
                    input.pop();
                }
                KeyCode::Enter => {
                    if let Ok(replicas) = input.parse::<i32>() {
                        let op = if *kind == WorkloadKind::Deployment {
                            Operation::Scale {
                                target: target.clone(),
                                replicas,
                                resource_version: None,
                            }
                        } else {
                            Operation::Workload {
                                target: target.clone(),
                                kind: *kind,
                                op: crate::ops::model::WorkloadOp::Scale { replicas },
                                resource_version: None,
                            }
                        };
                        return plan(state, op);
                    }
                }
                _ => {}
            }
            Vec::new()
        }
        Dialog::Revisions {
            target,
            rows,
            selected,
            kind,
        } => {
            match action {
                Some(Action::SelectUp) => *selected = selected.saturating_sub(1),
                Some(Action::SelectDown) => {
                    *selected = (*selected + 1).min(rows.len().saturating_sub(1))
                }
                _ if confirm => {
                    let to_revision = if *selected == 1 {
                        None // previous, exactly as `rollout undo` picks it
                    } else {
                        rows.get(*selected).map(|r| r.revision)
                    };
                    let op = if *kind == WorkloadKind::Deployment {
                        Operation::Rollback {
                            target: target.clone(),
                            to_revision,
                            resource_version: None,
                        }
                    } else {
                        Operation::Workload {
                            target: target.clone(),
                            kind: *kind,
                            op: crate::ops::model::WorkloadOp::Rollback { to_revision },
                            resource_version: None,
                        }
                    };
                    return plan(state, op);
                }
                _ => {}
            }
            Vec::new()
        }
        Dialog::Backups {
            service,
            backups,
            selected,
        } => {
            match action {
                Some(Action::SelectUp) => *selected = selected.saturating_sub(1),
                Some(Action::SelectDown) => {
                    *selected = (*selected + 1).min(backups.len().saturating_sub(1))
                }
                _ if confirm => {
                    if let Some(backup) = backups.get(*selected) {
                        let op = Operation::Service {
                            service: service.clone(),
                            op: crate::ops::ServiceOp::Rollback {
                                backup: backup.clone(),
                            },
                        };
                        return plan(state, op);
                    }
                }
                _ => {}
            }
            Vec::new()
        }
        Dialog::HostMenu {
            vars,
            names,
            selected,
        } => {
            match action {
                Some(Action::SelectUp) => *selected = selected.saturating_sub(1),
                Some(Action::SelectDown) => {
                    *selected = (*selected + 1).min(names.len().saturating_sub(1))
                }
                _ if confirm => {
                    if let Some(name) = names.get(*selected) {
                        let op = Operation::Host {
                            action: name.clone(),
                            vars: vars.clone(),
                        };
                        return plan(state, op);
                    }
                }
                _ => {}
            }
            Vec::new()
        }
    }
}

fn lookup_in(keymap: &crate::config::Keymap, key: &KeyEvent) -> Option<Action> {
    let k = Key::from_event(key)?;
    match keymap.lookup(KeyContext::Dialog, &[k]) {
        Lookup::Action(a) => Some(a),
        _ => None,
    }
}

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
            lines: vec!["reading the audit log…".into()],
            scroll: 0,
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
        && let Dialog::Audit { lines: l, scroll } = d.as_mut()
    {
        // open at the newest entry
        *scroll = lines.len().saturating_sub(1);
        *l = lines;
        state.dirty = true;
    }
    Vec::new()
}
