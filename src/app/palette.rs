//! The command palette (`:`): commands, their arguments and completion. Pure.

use super::state::State;
use crate::pane::PaneId;

/// (command, argument kind, description)
pub const COMMANDS: &[(&str, Arg, &str)] = &[
    ("theme", Arg::Theme, "switch theme"),
    ("keymap", Arg::Keymap, "switch keymap"),
    ("pane", Arg::Pane, "focus a pane"),
    ("zoom", Arg::None, "zoom the focused pane"),
    ("ctx", Arg::Context, "switch kube context"),
    (
        "ns",
        Arg::Namespace,
        "switch namespace (`all` for every namespace)",
    ),
    ("env", Arg::Environment, "switch environment"),
    ("log", Arg::None, "flightdeck's own log"),
    ("audit", Arg::None, "the operations audit log"),
    (
        "save",
        Arg::Path,
        "write the logs pane's (filtered) lines to a file",
    ),
    ("deploy", Arg::None, "workloads: deployments"),
    ("sts", Arg::None, "workloads: statefulsets"),
    ("ds", Arg::None, "workloads: daemonsets"),
    ("jobs", Arg::None, "workloads: jobs"),
    ("cronjobs", Arg::None, "workloads: cronjobs"),
    ("cj", Arg::None, "workloads: cronjobs"),
    ("rollouts", Arg::None, "workloads: Argo Rollouts"),
    ("ro", Arg::None, "workloads: Argo Rollouts"),
    ("pods", Arg::None, "workloads: every pod, any owner"),
    ("all", Arg::None, "workloads: every kind"),
    ("help", Arg::None, "key bindings"),
    ("read-only", Arg::None, "refuse every operation from now on"),
    (
        "mouse",
        Arg::None,
        "release the mouse to select text, or capture it again",
    ),
    ("quit", Arg::None, "quit flightdeck"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    None,
    Theme,
    Keymap,
    Pane,
    Context,
    Namespace,
    Environment,
    Path,
}

/// Candidates for what is typed so far: command names, then the argument's values.
pub fn completions(state: &State, input: &str) -> Vec<String> {
    let trimmed = input.trim_start();
    match trimmed.split_once(' ') {
        None => COMMANDS
            .iter()
            .map(|(c, _, _)| *c)
            .filter(|c| c.starts_with(trimmed))
            .map(str::to_owned)
            .collect(),
        Some((cmd, arg)) => {
            let Some((_, kind, _)) = COMMANDS.iter().find(|(c, _, _)| *c == cmd) else {
                return Vec::new();
            };
            let arg = arg.trim_start();
            argument_values(state, *kind)
                .into_iter()
                .filter(|v| v.starts_with(arg))
                .map(|v| format!("{cmd} {v}"))
                .collect()
        }
    }
}

fn argument_values(state: &State, kind: Arg) -> Vec<String> {
    match kind {
        Arg::None | Arg::Path => Vec::new(),
        Arg::Theme => state.assets.theme_names(),
        Arg::Keymap => state.assets.keymap_names(),
        Arg::Pane => PaneId::ALL.iter().map(|p| p.name().to_owned()).collect(),
        Arg::Context => super::scope::context_names(state),
        Arg::Namespace => super::scope::namespace_names(state),
        Arg::Environment => state
            .config
            .environments
            .iter()
            .map(|e| e.name.clone())
            .collect(),
    }
}

pub fn describe(cmd: &str) -> Option<&'static str> {
    COMMANDS
        .iter()
        .find(|(c, _, _)| *c == cmd)
        .map(|(_, _, d)| *d)
}
