//! `update`: the only place State changes. Pure: no I/O, effects are returned.

use crossterm::event::{KeyEvent, KeyEventKind, MouseButton, MouseEvent, MouseEventKind};

use super::event::{Effect, Event};
use super::intent::Intent;
use super::layout;
use super::palette;
use super::state::{FlashLevel, Overlay, Prompt, State};
use crate::action::Action;
use crate::config::keymap::{Key, KeyContext, Lookup};
use crate::pane::PaneId;

pub fn update(state: &mut State, event: Event) -> Vec<Effect> {
    match event {
        // what the user acts on is what the screen shows: views settle first
        Event::Key(key) => {
            // a message kept until a key has been seen: this key closes it (and does its
            // own work too)
            if key.kind != KeyEventKind::Release && state.flash.as_ref().is_some_and(|f| f.sticky) {
                state.flash = None;
                state.dirty = true;
            }
            let mut effects = settle(state);
            effects.extend(on_key(state, key));
            effects.extend(settle(state));
            effects
        }
        Event::Mouse(m) => {
            let mut effects = settle(state);
            effects.extend(on_mouse(state, m));
            effects.extend(settle(state));
            effects
        }
        Event::Paste(text) => {
            super::prompt::paste(state, &text);
            Vec::new()
        }
        Event::Resize(w, h) => {
            state.size = (w, h);
            state.dirty = true;
            Vec::new()
        }
        Event::Tick(now) => {
            let before = clock_signature(state);
            state.now = now;
            if state
                .flash
                .as_ref()
                .is_some_and(|f| !f.sticky && now.duration_since(f.at).as_secs() >= 5)
            {
                state.flash = None;
                state.dirty = true;
            }
            if state.ops.in_flight.is_some() {
                state.ops.spinner = state.ops.spinner.wrapping_add(1);
                state.dirty = true;
            }
            let hint = super::hint::incident_hint(state);
            if state.overlay == Overlay::ConsoleLog
                || clock_signature(state) != before
                || hint != state.hint
            {
                state.hint = hint;
                state.dirty = true;
            }
            Vec::new()
        }
        Event::Signal { name, exit } => {
            log::warn!("{name}: quitting");
            state.quit = true;
            state.exit_code = exit;
            vec![Effect::Quit]
        }
        Event::Pipeline { generation, msg } => {
            if generation != state.generation {
                return Vec::new();
            }
            super::panes::pipeline::on_msg(state, msg)
        }

        Event::Kube { generation, msg } => {
            if generation != state.generation {
                return Vec::new();
            }
            // views and the logs pane's follow catch up in `settle`, once per batch
            super::cluster_feed::on_msg(state, msg)
        }

        Event::Object { generation, msg } => {
            if generation != state.generation {
                return Vec::new();
            }
            super::panes::workloads::yaml::on_msg(state, msg)
        }
        Event::Described { generation, msg } => {
            if generation != state.generation {
                return Vec::new();
            }
            super::panes::workloads::describe::on_msg(state, msg)
        }

        Event::Discovery { generation, msg } => {
            if generation == state.generation {
                let context = state.scope.context.clone();
                state.resources.on_msg(msg, context.as_deref());
                state.dirty = true;
            }
            Vec::new()
        }

        Event::Table { generation, msg } => {
            if generation == state.generation {
                super::panes::workloads::generic::on_msg(state, msg);
            }
            Vec::new()
        }

        Event::Namespaces { generation, msg } => {
            if generation == state.generation {
                super::scope::on_namespaces(state, msg);
            }
            Vec::new()
        }

        Event::Nodes { generation, msg } => {
            if generation == state.generation {
                super::panes::nodes::on_msg(state, msg);
            }
            Vec::new()
        }
        Event::Drain(progress) => {
            super::panes::nodes::on_drain(state, progress);
            Vec::new()
        }

        Event::Metrics(mut update) => {
            super::redact::metrics(&mut update);
            super::panes::errors::on_update(state, update)
        }

        Event::Logs { generation, msg } => {
            if generation != state.generation {
                return Vec::new();
            }
            super::panes::logs::on_msg(state, msg)
        }

        Event::Gpu(mut update) => {
            super::redact::gpu(&mut update);
            super::panes::gpu::on_update(state, update)
        }
        Event::Health(mut sample) => {
            super::redact::health(&mut sample);
            super::panes::hosts::on_health(state, sample)
        }
        Event::Service(update) => super::panes::hosts::on_service(state, update),
        Event::Journal(msg) => super::panes::logs::on_journal(state, msg),
        Event::Backups { service, backups } => {
            let intents = super::panes::hosts::on_backups(state, service, backups);
            carry_out(state, intents)
        }

        Event::OpPlanned(plan) => crate::app::dialog::on_planned(state, plan),
        Event::OpResult(outcome) => crate::app::dialog::on_result(state, *outcome),
        Event::HostOutput(line) => super::panes::logs::on_host_output(state, line),
        Event::Audit(lines) => crate::app::dialog::on_audit(state, lines),

        Event::SourceStatus {
            generation,
            source,
            status,
        } => {
            if generation == state.generation {
                state.sources.insert(source, status);
                state.dirty = true;
            }
            Vec::new()
        }
    }
}

fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    // text prompts take keys directly
    if matches!(state.overlay, Overlay::Palette(_) | Overlay::Filter(_)) {
        let typed = match &state.overlay {
            Overlay::Palette(p) => p.input.trim().to_owned(),
            _ => String::new(),
        };
        return match super::prompt::on_key(state, key) {
            Some(line) => {
                let mut effects = run_command(state, &line);
                // a single word that is neither a command nor a resource ran as a fuzzy
                // match: perhaps a resource installed since discovery last ran (a new
                // CRD), so discovery runs again for the next `:`
                if !typed.is_empty()
                    && !typed.contains(' ')
                    && palette::describe(&typed).is_none()
                    && state.resources.resolve(&typed).is_none()
                    && !effects.contains(&Effect::Rediscover)
                {
                    effects.push(Effect::Rediscover);
                }
                effects
            }
            None => Vec::new(),
        };
    }
    if matches!(state.overlay, Overlay::Dialog(_)) {
        return crate::app::dialog::on_key(state, key);
    }
    let Some(k) = Key::from_event(&key) else {
        return Vec::new();
    };
    let ctx = match state.overlay {
        Overlay::Help { .. } => KeyContext::Help,
        _ => KeyContext::for_pane(state.focus),
    };
    state.pending_keys.push(k);
    match state.keymap.lookup(ctx, &state.pending_keys) {
        Lookup::Action(a) => {
            state.pending_keys.clear();
            state.dirty = true;
            // a plain `q` in a sub-view goes back like esc (k9s, less); C-c always quits
            let a = if a == Action::Quit && !k.ctrl && in_sub_view(state) {
                Action::Back
            } else {
                a
            };
            apply(state, a)
        }
        Lookup::Pending => {
            state.dirty = true;
            Vec::new()
        }
        Lookup::Unbound => {
            let was_pending = state.pending_keys.len() > 1;
            state.pending_keys.clear();
            if was_pending {
                state.dirty = true;
            }
            // esc always closes an overlay, whatever the keymap says
            if k == Key::plain(crate::config::keymap::KeyCode::Esc)
                && state.overlay != Overlay::None
            {
                return apply(state, Action::Back);
            }
            Vec::new()
        }
    }
}

/// Whether the screen shows something `esc` would close or leave: an overlay, a zoomed
/// pane, a detail view, a drill-down (pods of a deployment, jobs of a run).
fn in_sub_view(state: &State) -> bool {
    use super::panes::pipeline::Drill;
    use super::panes::workloads::Section;
    state.overlay != Overlay::None
        || state.zoomed
        || match state.focus {
            PaneId::Workloads => {
                state.workloads.detail.is_some()
                    || state.workloads.yaml.is_some()
                    || matches!(state.workloads.section, Section::Pods { .. })
            }
            PaneId::Logs => state.logs.detail,
            PaneId::Pipeline => state.pipeline.drill != Drill::Runs,
            PaneId::Errors | PaneId::Hosts => false,
        }
}

/// Brings what is derived from the data up to date before a frame or a key: the
/// Workloads tables (rebuilt only where their inputs changed), the compiled logs filter
/// and the logs pane's follow of the selected deployment. The run loop calls it once per
/// batch of events, so a burst of watch events costs one rebuild.
pub fn settle(state: &mut State) -> Vec<Effect> {
    super::panes::workloads::refresh_view(state);
    super::panes::workloads::generic::refresh(state);
    super::panes::nodes::refresh(state);
    super::panes::logs::refresh_query(state);
    super::panes::errors::note_environment(state);
    state.hint = super::hint::incident_hint(state);
    state.hosts_hint = super::hint::hosts_hint(state);
    super::panes::follow_selected_workload(state)
}

/// Carries out an action, views settled before and after. Public so key-sequence tests
/// and the palette share one path.
pub fn apply(state: &mut State, action: Action) -> Vec<Effect> {
    let mut effects = settle(state);
    effects.extend(apply_action(state, action));
    effects.extend(settle(state));
    effects
}

fn apply_action(state: &mut State, action: Action) -> Vec<Effect> {
    if action == Action::Copy && state.overlay == Overlay::None {
        state.dirty = true;
        return super::copy::copy(state);
    }
    state.dirty = true;
    if let Overlay::Help { scroll } = &mut state.overlay {
        match action {
            Action::SelectDown => *scroll = scroll.saturating_add(1),
            Action::SelectUp => *scroll = scroll.saturating_sub(1),
            Action::PageDown => *scroll = scroll.saturating_add(10),
            Action::PageUp => *scroll = scroll.saturating_sub(10),
            Action::Back | Action::Help => state.overlay = Overlay::None,
            Action::Quit => return quit(state),
            _ => {}
        }
        return Vec::new();
    }
    // the focused pane's own keys first; `None` leaves the action to the keys below
    if state.overlay == Overlay::None {
        use super::panes::{gpu, logs, nodes, pipeline, workloads};
        let handled = match state.focus {
            PaneId::Pipeline => pipeline::on_action(state, action).map(Intent::effects),
            // a node's describe page (or YAML) over the nodes view has the keys while open
            PaneId::Workloads if state.nodes.shown && state.workloads.yaml.is_some() => {
                workloads::on_action(state, action).map(Intent::effects)
            }
            PaneId::Workloads if state.nodes.shown && action == Action::WorkloadsDescribe => {
                let node = nodes::selected(state).map(str::to_owned);
                Some(Intent::effects(match node {
                    Some(name) => workloads::describe::open_node(state, &name),
                    None => Vec::new(),
                }))
            }
            PaneId::Workloads if state.nodes.shown => {
                nodes::on_action(state, action).map(Intent::effects)
            }
            PaneId::Workloads => workloads::on_action(state, action).map(Intent::effects),
            PaneId::Logs => logs::on_action(state, action).map(Intent::effects),
            PaneId::Hosts => gpu::on_action(state, action),
            PaneId::Errors => None,
        };
        if let Some(intents) = handled {
            return carry_out(state, intents);
        }
    }
    match action {
        Action::Quit => return quit(state),
        Action::Help => state.overlay = Overlay::Help { scroll: 0 },
        Action::Palette => state.overlay = Overlay::Palette(Prompt::default()),
        Action::ConsoleLog => {
            state.overlay = if state.overlay == Overlay::ConsoleLog {
                Overlay::None
            } else {
                Overlay::ConsoleLog
            }
        }
        Action::Back => {
            if state.overlay != Overlay::None {
                state.overlay = Overlay::None;
            } else if state.zoomed {
                state.zoomed = false;
            } else if !state.pane(state.focus).filter.is_empty() {
                state.pane_mut(state.focus).filter.clear();
            } else {
                state.flash = None;
            }
        }
        Action::FocusPane(p) => state.focus = p,
        Action::NextPane => state.focus = state.focus.next(),
        Action::PrevPane => state.focus = state.focus.prev(),
        Action::FocusLeft | Action::FocusRight | Action::FocusUp | Action::FocusDown => {
            if !state.zoomed {
                let l = layout::compute(state.size, state);
                if let Some(p) = l.neighbour(state.focus, action) {
                    state.focus = p;
                }
            }
        }
        Action::Zoom => state.zoomed = !state.zoomed,
        Action::Filter => {
            let current = state.pane(state.focus).filter.clone();
            state.overlay = Overlay::Filter(Prompt::with(&current));
        }
        Action::SelectUp => move_selection(state, -1),
        Action::SelectDown => move_selection(state, 1),
        Action::PageUp => move_selection(state, -10),
        Action::PageDown => move_selection(state, 10),
        Action::SelectTop => state.pane_mut(state.focus).selected = 0,
        Action::SelectBottom => {
            let rows = super::panes::row_count(state, state.focus);
            state.pane_mut(state.focus).selected =
                rows.map(|n| n.saturating_sub(1)).unwrap_or(usize::MAX);
        }
        Action::Open => {}
        Action::Rollback
        | Action::Scale
        | Action::Restart
        | Action::Promote
        | Action::HostActions
        | Action::PipelineReject
        | Action::PipelineRerun
        | Action::PipelineRerunFailed
        | Action::PipelineCancel
        | Action::WorkloadsTrigger
        | Action::WorkloadsSuspend
        | Action::WorkloadsDeletePod
        | Action::WorkloadsAbort
        | Action::WorkloadsRetry
        | Action::WorkloadsPromoteFull
        | Action::NodeCordon
        | Action::NodeUncordon
        | Action::NodeDrain => return on_operation(state, action),
        Action::NodeCancelDrain => return super::panes::nodes::cancel_drain(state),
        // never refused here: read-only is the executor's to refuse (and audit)
        Action::WorkloadsEdit => {
            let intents = match state.focus {
                PaneId::Workloads => super::panes::workloads::on_operation(state, action),
                _ => {
                    state.set_flash(
                        FlashLevel::Info,
                        "edit: select an object in Workloads".into(),
                    );
                    Vec::new()
                }
            };
            return carry_out(state, intents);
        }
        // dialog keys only mean something while a dialog is open (dialog::on_key)
        // with an overlay open (copy itself is handled above)
        Action::Copy
        | Action::Confirm
        | Action::Cancel
        | Action::DialogIncrease
        | Action::DialogDecrease
        | Action::DialogAlternative
        | Action::DialogNext
        | Action::Noop
        | Action::WorkloadsPods
        | Action::WorkloadsSort
        | Action::WorkloadsSortReverse
        | Action::WorkloadsMark
        | Action::WorkloadsYaml
        | Action::WorkloadsDescribe
        | Action::WorkloadsSearchNext
        | Action::WorkloadsSearchPrev => {}
        // the logs pane's keys do nothing elsewhere
        Action::LogsPause
        | Action::LogsLevel
        | Action::LogsWrap
        | Action::LogsTimestamps
        | Action::LogsPrevious
        | Action::LogsContainer
        | Action::LogsSearchNext
        | Action::LogsSearchPrev
        | Action::LogsEnd => {}
        // the prompt's keys act only in a prompt (on_prompt_key)
        Action::PromptAccept
        | Action::PromptClose
        | Action::PromptComplete
        | Action::PromptNext
        | Action::PromptPrev
        | Action::PromptDeleteBack
        | Action::PromptLeft
        | Action::PromptRight
        | Action::PromptHome
        | Action::PromptEnd
        | Action::PromptClear => {}
    }
    Vec::new()
}

/// An operation key: refused while read-only or while another operation runs; else the
/// pane that owns the selection builds the operation (the Pipeline pane's keys go to it
/// from anywhere), and the dialog takes it from there.
fn on_operation(state: &mut State, action: Action) -> Vec<Effect> {
    if state.scope.read_only {
        return refuse_read_only(state, action);
    }
    if let Some(what) = &state.ops.in_flight {
        let what = what.clone();
        state.set_flash(FlashLevel::Warn, format!("{what} is still running"));
        return Vec::new();
    }
    let intents = pane_intents(state, action);
    carry_out(state, intents)
}

/// Read-only refuses an operation before any dialog, and the refusal is an audit line
/// like every other (the executor writes it, `Effect::RecordRefusal`): what the pane
/// would have asked for names the object, and nothing it asked for is carried out.
fn refuse_read_only(state: &mut State, action: Action) -> Vec<Effect> {
    let why = if state.read_only_at_start {
        "started with --read-only"
    } else {
        ":read-only was given"
    };
    let said = format!("read-only ({why}): {} refused", action.verb());
    let intents = pane_intents(state, action);
    // the pane may have said something of its own; the refusal is what is shown
    state.set_flash(FlashLevel::Warn, said.clone());
    intents
        .iter()
        .filter_map(|i| match i {
            Intent::Plan(op) => Some(op.clone()),
            Intent::OpenDialog(d) => super::dialog::operation_of(d),
            // a service's rollback asks for its backups first: none is chosen yet
            Intent::Effect(Effect::ListBackups { service }) => {
                Some(crate::ops::Operation::Service {
                    service: service.clone(),
                    op: crate::ops::ServiceOp::Rollback {
                        backup: String::new(),
                    },
                })
            }
            Intent::RevealPod { .. } | Intent::Effect(_) => None,
        })
        .map(|op| Effect::RecordRefusal(Box::new(crate::ops::Plan::refused(op, said.clone()))))
        .collect()
}

/// What the focused pane (or the pipeline, for its own actions) asks for on `action`.
fn pane_intents(state: &mut State, action: Action) -> Vec<Intent> {
    use super::hint::HintObject;
    use super::panes::{hosts, nodes, pipeline, workloads};
    let node_action = matches!(
        action,
        Action::NodeCordon | Action::NodeUncordon | Action::NodeDrain
    );
    if action.is_pipeline() {
        pipeline::on_operation(state, action)
    } else if state.focus == PaneId::Workloads && state.nodes.shown {
        nodes::on_operation(state, action)
    } else if node_action {
        // the node of the Hosts pane's selected GPU host, else the one the GPU hint names
        let host = (state.focus == PaneId::Hosts)
            .then(|| super::panes::gpu::selected_row(state))
            .flatten()
            .and_then(|i| super::panes::gpu::rows(state).get(i).copied())
            .map(|r| match r {
                super::panes::gpu::GpuRow::Host(h) | super::panes::gpu::GpuRow::Gpu(h, _) => h,
            })
            .and_then(|h| state.gpu.hosts.get(h))
            .and_then(|h| nodes::node_of_host(state, &h.name))
            .map(|n| n.name.clone());
        let hinted = match super::hint::offered(state, action) {
            Some(HintObject::Node(n)) => Some(n),
            _ => None,
        };
        match host.or(hinted) {
            Some(node) => nodes::on_node(state, action, &node),
            None => {
                state.set_flash(
                    FlashLevel::Info,
                    format!("{}: open :nodes and select a node", action.description()),
                );
                Vec::new()
            }
        }
    } else {
        match state.focus {
            // the Pipeline's own keys (promote is its approve) are its own; a rollback,
            // scale or restart has no object there and acts on what the hint names
            PaneId::Pipeline if action == Action::Promote => pipeline::on_operation(state, action),
            PaneId::Pipeline => match super::hint::offered(state, action) {
                Some(HintObject::Workload(w)) => workloads::on_hinted(state, action, &w),
                Some(HintObject::Service(label)) => hosts::on_named_service(state, action, &label),
                Some(HintObject::Node(node)) => nodes::on_node(state, action, &node),
                None => pipeline::on_operation(state, action),
            },
            PaneId::Hosts => hosts::on_operation(state, action),
            PaneId::Workloads => workloads::on_operation(state, action),
            // no selection of their own: the key acts on what the incident hint names
            PaneId::Errors | PaneId::Logs => match super::hint::offered(state, action) {
                Some(HintObject::Workload(w)) => workloads::on_hinted(state, action, &w),
                Some(HintObject::Service(label)) => hosts::on_named_service(state, action, &label),
                Some(HintObject::Node(node)) => nodes::on_node(state, action, &node),
                None => {
                    state.set_flash(
                        FlashLevel::Info,
                        format!("{}: select a deployment first", action.description()),
                    );
                    Vec::new()
                }
            },
        }
    }
}

/// Carries out what a pane asked for, in order.
fn carry_out(state: &mut State, intents: Vec<Intent>) -> Vec<Effect> {
    let mut effects = Vec::new();
    for intent in intents {
        match intent {
            Intent::Effect(e) => effects.push(e),
            Intent::OpenDialog(d) => super::dialog::open(state, d),
            Intent::Plan(op) => effects.extend(super::dialog::plan(state, op)),
            Intent::RevealPod { namespace, pod } => {
                effects.extend(reveal_pod(state, &namespace, &pod))
            }
        }
    }
    effects
}

/// Shows one pod in the Workloads pane (the Hosts pane's `enter` on a GPU a pod uses):
/// switches to its namespace when the scope is another one (the rows come with the new
/// watch), focuses Workloads and opens the pod's detail.
fn reveal_pod(state: &mut State, namespace: &str, pod: &str) -> Vec<Effect> {
    let mut effects = Vec::new();
    if state
        .scope
        .namespace
        .as_deref()
        .is_some_and(|ns| ns != namespace)
    {
        super::scope::switch_namespace(state, namespace);
        effects = scope_changed(state);
    }
    state.focus = PaneId::Workloads;
    state.zoomed = false;
    super::panes::workloads::show_pod(state, namespace, pod);
    effects
}

fn quit(state: &mut State) -> Vec<Effect> {
    if let Some(effects) = crate::app::dialog::on_quit(state) {
        return effects;
    }
    state.quit = true;
    vec![Effect::Quit]
}

fn move_selection(state: &mut State, delta: isize) {
    let rows = super::panes::row_count(state, state.focus);
    let view = state.pane_mut(state.focus);
    // where the pane cannot say how many rows it has, it clamps when it renders
    let last = rows.map(|n| n.saturating_sub(1)).unwrap_or(usize::MAX / 2);
    let sel = view.selected.min(last) as isize;
    view.selected = ((sel + delta).max(0) as usize).min(last);
}

/// Runs a palette command line (`theme light`, `ns all`, `q`).
pub fn run_command(state: &mut State, line: &str) -> Vec<Effect> {
    let mut words = line.split_whitespace();
    let Some(cmd) = words.next() else {
        return Vec::new();
    };
    let arg = words.next();
    state.dirty = true;
    match (cmd, arg) {
        ("q" | "quit", _) => return quit(state),
        ("help", _) => state.overlay = Overlay::Help { scroll: 0 },
        ("log", _) => state.overlay = Overlay::ConsoleLog,
        ("audit", _) => return crate::app::dialog::show_audit(state),
        ("zoom", _) => state.zoomed = !state.zoomed,
        ("save", Some(path)) => return super::panes::logs::save(state, path),
        ("mouse", _) => return super::copy::toggle_mouse(state),
        ("read-only", _) => {
            state.scope.read_only = true;
            state.set_flash(
                FlashLevel::Info,
                "read-only: operations are refused from now on".into(),
            );
        }
        ("theme", Some(name)) => match state.assets.themes.get(name) {
            Some(t) => {
                state.theme = t.for_depth(state.color_depth);
                state.set_flash(FlashLevel::Info, format!("theme {name}"));
            }
            None => state.set_flash(
                FlashLevel::Error,
                format!(
                    "unknown theme `{name}`: {}",
                    state.assets.theme_names().join(", ")
                ),
            ),
        },
        ("keymap", Some(name)) => match state.assets.keymaps.get(name) {
            Some(k) => {
                state.keymap = k.clone();
                state.set_flash(FlashLevel::Info, format!("keymap {name}"));
            }
            None => state.set_flash(
                FlashLevel::Error,
                format!(
                    "unknown keymap `{name}`: {}",
                    state.assets.keymap_names().join(", ")
                ),
            ),
        },
        ("pane", Some(name)) => match PaneId::parse(name) {
            Some(p) => state.focus = p,
            None => state.set_flash(
                FlashLevel::Error,
                format!("unknown pane `{name}`: {}", PaneId::names().join(", ")),
            ),
        },
        ("ctx", Some(name)) => match super::scope::switch_context(state, name) {
            Ok(()) => return scope_changed(state),
            Err(e) => state.set_flash(FlashLevel::Error, e),
        },
        ("ns", Some(name)) => {
            super::scope::switch_namespace(state, name);
            let effects = scope_changed(state);
            if let Some(text) = super::scope::missing_namespace_text(state) {
                state.set_flash(FlashLevel::Warn, text);
            }
            return effects;
        }
        ("env", Some(name)) => match super::scope::switch_environment(state, name) {
            Ok(()) => return scope_changed(state),
            Err(e) => state.set_flash(FlashLevel::Error, e),
        },
        // `:ns` alone lists the namespaces, as in k9s (`:ns NAME` switches to one)
        ("ns", None) => return open_resource(state, "namespaces"),
        ("nodes", _) => return show_nodes(state),
        (c, _) if super::panes::workloads::Narrow::parse(c).is_some() => {
            state.nodes.shown = false;
            if let Some(n) = super::panes::workloads::Narrow::parse(c) {
                let effects = super::panes::workloads::generic::close(state);
                super::panes::workloads::narrow(state, n);
                return effects;
            }
        }
        // any resource the cluster serves, named as kubectl names it (`svc`, `no`, `ev`,
        // `Deployment`, `certificates.cert-manager.io`)
        (c, None) if state.resources.resolve(c).is_some() => return open_resource(state, c),
        (c, None) if palette::describe(c).is_some() => {
            state.set_flash(
                FlashLevel::Warn,
                format!(":{c} needs an argument (tab completes)"),
            );
        }
        (c, None) => {
            // perhaps a resource discovery has not seen yet (a CRD just installed): say
            // so as kubectl does, and ask the cluster again
            let text = match &state.resources {
                super::resources::Catalog::Known { .. } => format!(
                    "the server doesn't have a resource type \"{c}\", nor is it a command (tab completes)"
                ),
                super::resources::Catalog::Unknown => {
                    format!("unknown command `{c}`: the cluster's resources are not known yet")
                }
                super::resources::Catalog::Failed(e) => {
                    format!("unknown command `{c}`: the cluster's resources could not be read: {e}")
                }
            };
            state.set_flash(FlashLevel::Error, text);
            return vec![Effect::Rediscover];
        }
        _ => state.set_flash(
            FlashLevel::Error,
            format!("unknown command `{line}` (tab completes)"),
        ),
    }
    Vec::new()
}

/// Opens what `name` resolves to: a workload kind in its own view, any other resource in
/// the generic view.
/// `:nodes` (and `:no`, `:node`, `:Node`): the nodes view in the Workloads pane's place;
/// a generic view shown there is left (its watch stops).
fn show_nodes(state: &mut State) -> Vec<Effect> {
    let effects = super::panes::workloads::generic::close(state);
    super::panes::nodes::show(state);
    effects
}

fn open_resource(state: &mut State, name: &str) -> Vec<Effect> {
    let Some(resource) = state.resources.resolve(name).cloned() else {
        state.set_flash(
            FlashLevel::Warn,
            format!("`{name}`: the cluster's resources are not known yet"),
        );
        return vec![Effect::Rediscover];
    };
    if super::resources::is_nodes(&resource) {
        return show_nodes(state);
    }
    if let Some(narrow) = super::resources::own_view(&resource) {
        state.nodes.shown = false;
        let effects = super::panes::workloads::generic::close(state);
        super::panes::workloads::narrow(state, narrow);
        return effects;
    }
    if !resource.listable() {
        state.set_flash(
            FlashLevel::Warn,
            format!(
                "{} cannot be listed (verbs: {})",
                resource.label(),
                resource.verbs.join(", ")
            ),
        );
        return Vec::new();
    }
    super::panes::workloads::generic::open(state, resource)
}

pub(crate) fn scope_changed(state: &mut State) -> Vec<Effect> {
    state.generation += 1;
    super::cluster_feed::on_scope_changed(state);
    super::panes::workloads::on_scope_changed(state);
    super::panes::nodes::on_scope_changed(state);
    super::panes::errors::on_scope_changed(state);
    let mut effects = super::panes::logs::on_scope_changed(state);
    for view in state.panes.values_mut() {
        view.selected = 0;
    }
    effects.push(Effect::ScopeChanged {
        generation: state.generation,
    });
    let context = state.scope.context.clone();
    state.resources.on_scope(context.as_deref());
    effects.extend(super::panes::workloads::generic::on_scope_changed(state));
    effects
}

fn on_mouse(state: &mut State, m: MouseEvent) -> Vec<Effect> {
    if state.overlay != Overlay::None {
        return Vec::new();
    }
    let l = layout::compute(state.size, state);
    let Some(pane) = l.pane_at(m.column, m.row) else {
        return Vec::new();
    };
    match m.kind {
        MouseEventKind::Down(MouseButton::Left) if state.focus != pane => {
            state.focus = pane;
            state.dirty = true;
        }
        MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
            let before = state.focus;
            state.focus = pane;
            move_selection(
                state,
                if m.kind == MouseEventKind::ScrollDown {
                    3
                } else {
                    -3
                },
            );
            state.focus = before;
            state.dirty = true;
        }
        _ => {}
    }
    Vec::new()
}

/// Every time-dependent label on screen (the status bar shows each source's age as
/// [`crate::text::age`] and the flash). A tick redraws only when this changes, so an idle
/// console writes nothing to the terminal.
fn clock_signature(state: &State) -> String {
    let mut sig = String::new();
    for id in super::state::SourceId::ALL {
        if let Some(face) = state.face(id) {
            sig.push_str(&face.text);
            sig.push(' ');
        }
    }
    if let Some(f) = &state.flash {
        sig.push_str(&f.text);
    }
    sig
}
