//! Every user intent, by name. Keymaps bind keys to these names; the help overlay and the
//! command palette are generated from the same table, so hints never drift from behaviour.

use std::fmt;

use crate::pane::PaneId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Quit,
    Help,
    Palette,
    ConsoleLog,
    Back,
    FocusPane(PaneId),
    NextPane,
    PrevPane,
    FocusLeft,
    FocusRight,
    FocusUp,
    FocusDown,
    Zoom,
    Filter,
    SelectUp,
    SelectDown,
    SelectTop,
    SelectBottom,
    PageUp,
    PageDown,
    Open,
    Rollback,
    Scale,
    Restart,
    Promote,
    HostActions,
    /// Copy the selection (a name, the YAML shown, a log line) to the local clipboard
    /// with OSC 52.
    Copy,
    /// Workloads: move the cursor into the selected deployment's pods, and back.
    WorkloadsPods,
    /// Workloads: the sort menu (any column of the table, or trouble first).
    WorkloadsSort,
    /// Workloads: reverse the table's order.
    WorkloadsSortReverse,
    /// Workloads: mark the row under the cursor (or unmark it); delete and restart act on
    /// every marked row.
    WorkloadsMark,
    /// Workloads: edit the selected object in `$EDITOR`, as `kubectl edit`.
    WorkloadsEdit,
    /// Workloads: run the selected CronJob now (a Job from its template).
    WorkloadsTrigger,
    /// Workloads: suspend the selected CronJob, or resume it.
    WorkloadsSuspend,
    /// Workloads: delete the selected object (or the marked ones).
    WorkloadsDeletePod,
    /// Workloads: the selected object as YAML (in the view: fetch it again).
    WorkloadsYaml,
    WorkloadsDescribe,
    /// Workloads: abort the selected Rollout's update (traffic back to stable).
    WorkloadsAbort,
    /// Workloads: retry the selected aborted Rollout.
    WorkloadsRetry,
    /// Workloads: promote the selected Rollout fully, skipping the remaining steps.
    WorkloadsPromoteFull,
    /// Workloads YAML view: the next match of the search.
    WorkloadsSearchNext,
    /// Workloads YAML view: the previous match of the search.
    WorkloadsSearchPrev,
    /// A node (the Nodes view's row, or the node the GPU hint names): cordon it.
    NodeCordon,
    /// A node: uncordon it.
    NodeUncordon,
    /// A node: drain it, as `kubectl drain --ignore-daemonsets` (in the Nodes view the
    /// restart key, `r`, drains too, as in k9s).
    NodeDrain,
    /// Cancel the running drain.
    NodeCancelDrain,
    /// Pipeline: reject the pending deployment (the counterpart of promote).
    PipelineReject,
    /// Pipeline: re-run every job of the selected run.
    PipelineRerun,
    /// Pipeline: re-run the failed jobs of the selected run.
    PipelineRerunFailed,
    /// Pipeline: cancel the selected run.
    PipelineCancel,
    Confirm,
    Cancel,
    /// Dialog: one more (the replicas prompt).
    DialogIncrease,
    /// Dialog: one fewer (the replicas prompt).
    DialogDecrease,
    /// Dialog: take the alternative the confirmation offers (change the HPA's bounds).
    DialogAlternative,
    /// Dialog: take the picked row, the typed number or name, go to the next step. Never
    /// fires an operation: only [`Action::Confirm`] does, so a second press of the key
    /// that opened a confirmation cannot run it.
    DialogNext,
    /// Prompt (palette, filter): run the command, keep the filter.
    PromptAccept,
    /// Prompt: close it; a filter stays as typed (esc clears it).
    PromptClose,
    /// Prompt: take the selected completion into the line.
    PromptComplete,
    /// Prompt: the next completion.
    PromptNext,
    /// Prompt: the previous completion.
    PromptPrev,
    /// Prompt: delete the character before the cursor; on an empty palette, close it.
    PromptDeleteBack,
    PromptLeft,
    PromptRight,
    PromptHome,
    PromptEnd,
    /// Prompt: clear the line.
    PromptClear,
    LogsPause,
    LogsLevel,
    LogsWrap,
    LogsTimestamps,
    LogsPrevious,
    LogsContainer,
    LogsSearchNext,
    LogsSearchPrev,
    LogsEnd,
    /// Unbinds a key inherited from a bundled keymap.
    Noop,
}

/// (name, description) of every action without an argument, in help order.
const SIMPLE: &[(Action, &str, &str)] = &[
    (
        Action::Quit,
        "app.quit",
        "quit (asks when an operation is in flight)",
    ),
    (Action::Help, "app.help", "show this help"),
    (Action::Palette, "app.palette", "command palette"),
    (
        Action::ConsoleLog,
        "app.console-log",
        "flightdeck's own log",
    ),
    (Action::Back, "app.back", "back / close / cancel"),
    (Action::NextPane, "pane.next", "next pane"),
    (Action::PrevPane, "pane.prev", "previous pane"),
    (Action::FocusLeft, "pane.left", "focus the pane to the left"),
    (
        Action::FocusRight,
        "pane.right",
        "focus the pane to the right",
    ),
    (Action::FocusUp, "pane.up", "focus the pane above"),
    (Action::FocusDown, "pane.down", "focus the pane below"),
    (Action::Zoom, "pane.zoom", "zoom the focused pane"),
    (Action::Filter, "pane.filter", "filter the focused pane"),
    (Action::SelectUp, "select.up", "move selection up"),
    (Action::SelectDown, "select.down", "move selection down"),
    (Action::SelectTop, "select.top", "first row"),
    (Action::SelectBottom, "select.bottom", "last row"),
    (Action::PageUp, "select.page-up", "page up"),
    (Action::PageDown, "select.page-down", "page down"),
    (Action::Open, "select.open", "open detail / drill down"),
    (
        Action::Rollback,
        "deploy.rollback",
        "roll back the selected deployment",
    ),
    (
        Action::Scale,
        "deploy.scale",
        "scale the selected deployment",
    ),
    (
        Action::Restart,
        "deploy.restart",
        "restart the selected deployment",
    ),
    (
        Action::Promote,
        "deploy.promote",
        "promote (approve / switch colour)",
    ),
    (Action::HostActions, "host.actions", "host actions menu"),
    (
        Action::Copy,
        "app.copy",
        "copy the selected name, YAML or newest log line (OSC 52)",
    ),
    (
        Action::WorkloadsPods,
        "workloads.pods",
        "into the selected deployment's pods / back",
    ),
    (
        Action::WorkloadsSort,
        "workloads.sort",
        "sort menu: any column (again: reverse) or trouble first",
    ),
    (
        Action::WorkloadsSortReverse,
        "workloads.sort-reverse",
        "reverse the table's order",
    ),
    (
        Action::WorkloadsMark,
        "workloads.mark",
        "mark / unmark the row (delete and restart act on every marked row)",
    ),
    (
        Action::WorkloadsEdit,
        "workloads.edit",
        "edit the selected object in $EDITOR (kubectl edit)",
    ),
    (
        Action::WorkloadsTrigger,
        "workloads.trigger",
        "run the selected cronjob now",
    ),
    (
        Action::WorkloadsSuspend,
        "workloads.suspend",
        "suspend / resume the selected cronjob",
    ),
    (
        Action::WorkloadsDeletePod,
        "workloads.delete",
        "delete the selected object or the marked ones (kubectl delete)",
    ),
    (
        Action::WorkloadsYaml,
        "workloads.yaml",
        "the selected object as YAML (managedFields hidden); r refreshes it",
    ),
    (
        Action::WorkloadsDescribe,
        "workloads.describe",
        "describe the selected object: owners, conditions, events (warnings first); r refreshes it",
    ),
    (
        Action::WorkloadsAbort,
        "workloads.abort",
        "abort the selected rollout (traffic back to stable)",
    ),
    (
        Action::WorkloadsRetry,
        "workloads.retry",
        "retry the selected aborted rollout",
    ),
    (
        Action::WorkloadsPromoteFull,
        "workloads.promote-full",
        "promote the selected rollout fully (skip the remaining steps)",
    ),
    (
        Action::WorkloadsSearchNext,
        "workloads.search-next",
        "YAML view: next match of the search",
    ),
    (
        Action::WorkloadsSearchPrev,
        "workloads.search-prev",
        "YAML view: previous match of the search",
    ),
    (
        Action::NodeCordon,
        "node.cordon",
        "cordon the selected node",
    ),
    (
        Action::NodeUncordon,
        "node.uncordon",
        "uncordon the selected node",
    ),
    (
        Action::NodeDrain,
        "node.drain",
        "drain the selected node (kubectl drain --ignore-daemonsets)",
    ),
    (
        Action::NodeCancelDrain,
        "node.cancel-drain",
        "cancel the running drain",
    ),
    (
        Action::PipelineReject,
        "pipeline.reject",
        "pipeline: reject the pending deployment",
    ),
    (
        Action::PipelineRerun,
        "pipeline.rerun",
        "pipeline: re-run every job of the selected run",
    ),
    (
        Action::PipelineRerunFailed,
        "pipeline.rerun-failed",
        "pipeline: re-run the failed jobs of the selected run",
    ),
    (
        Action::PipelineCancel,
        "pipeline.cancel",
        "pipeline: cancel the selected run",
    ),
    (Action::Confirm, "dialog.confirm", "confirm the dialog"),
    (Action::Cancel, "dialog.cancel", "cancel the dialog"),
    (
        Action::DialogIncrease,
        "dialog.increase",
        "dialog: one more replica",
    ),
    (
        Action::DialogDecrease,
        "dialog.decrease",
        "dialog: one fewer replica",
    ),
    (
        Action::DialogAlternative,
        "dialog.alternative",
        "dialog: take the offered alternative (the HPA's bounds)",
    ),
    (
        Action::DialogNext,
        "dialog.next",
        "dialog: take the pick or what was typed, go on (never fires an operation)",
    ),
    (
        Action::PromptAccept,
        "prompt.accept",
        "prompt: run the command / keep the filter",
    ),
    (
        Action::PromptClose,
        "prompt.close",
        "prompt: close (a filter stays as typed; esc clears it)",
    ),
    (
        Action::PromptComplete,
        "prompt.complete",
        "prompt: take the selected completion",
    ),
    (Action::PromptNext, "prompt.next", "prompt: next completion"),
    (
        Action::PromptPrev,
        "prompt.prev",
        "prompt: previous completion",
    ),
    (
        Action::PromptDeleteBack,
        "prompt.delete-back",
        "prompt: delete before the cursor (an empty palette closes)",
    ),
    (Action::PromptLeft, "prompt.left", "prompt: cursor left"),
    (Action::PromptRight, "prompt.right", "prompt: cursor right"),
    (
        Action::PromptHome,
        "prompt.home",
        "prompt: cursor to the start",
    ),
    (Action::PromptEnd, "prompt.end", "prompt: cursor to the end"),
    (
        Action::PromptClear,
        "prompt.clear",
        "prompt: clear the line",
    ),
    (
        Action::LogsPause,
        "logs.pause",
        "logs: pause / resume following",
    ),
    (
        Action::LogsLevel,
        "logs.level",
        "logs: level filter (all, ≥ warn, ≥ error)",
    ),
    (Action::LogsWrap, "logs.wrap", "logs: wrap long lines"),
    (
        Action::LogsTimestamps,
        "logs.timestamps",
        "logs: times local / UTC / off",
    ),
    (
        Action::LogsPrevious,
        "logs.previous",
        "logs: previous (crashed) container",
    ),
    (
        Action::LogsContainer,
        "logs.container",
        "logs: next container",
    ),
    (
        Action::LogsSearchNext,
        "logs.search-next",
        "logs: next match of the search, back in time (older)",
    ),
    (
        Action::LogsSearchPrev,
        "logs.search-prev",
        "logs: match of the search the other way, towards now (newer)",
    ),
    (
        Action::LogsEnd,
        "logs.end",
        "logs: jump to the end and follow",
    ),
    (Action::Noop, "noop", "unbind the key"),
];

impl Action {
    /// Parses `pane.zoom` or `pane.focus logs`.
    pub fn parse(text: &str) -> Result<Action, String> {
        let mut words = text.split_whitespace();
        let name = words.next().ok_or_else(|| "empty action".to_owned())?;
        let arg = words.next();
        if words.next().is_some() {
            return Err(format!("action `{text}` has too many words"));
        }
        if name == "pane.focus" {
            let arg = arg.ok_or_else(|| {
                format!(
                    "`pane.focus` needs a pane: one of {}",
                    PaneId::names().join(", ")
                )
            })?;
            return PaneId::parse(arg).map(Action::FocusPane).ok_or_else(|| {
                format!(
                    "unknown pane `{arg}`: one of {}",
                    PaneId::names().join(", ")
                )
            });
        }
        // the name before delete acted on any object
        let name = if name == "workloads.delete-pod" {
            "workloads.delete"
        } else {
            name
        };
        let action = SIMPLE
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(a, _, _)| *a)
            .ok_or_else(|| format!("unknown action `{name}`{}", suggest(name)))?;
        if let Some(arg) = arg {
            return Err(format!("action `{name}` takes no argument (got `{arg}`)"));
        }
        Ok(action)
    }

    pub fn description(&self) -> String {
        match self {
            Action::FocusPane(p) => format!("focus {}", p.title()),
            a => SIMPLE
                .iter()
                .find(|(x, _, _)| x == a)
                .map(|(_, _, d)| (*d).to_owned())
                .unwrap_or_default(),
        }
    }

    /// Every action name, for completion and docs.
    pub fn all_names() -> Vec<String> {
        let mut names: Vec<String> = SIMPLE.iter().map(|(_, n, _)| (*n).to_owned()).collect();
        names.extend(
            PaneId::ALL
                .iter()
                .map(|p| format!("pane.focus {}", p.name())),
        );
        names
    }

    /// An action of the `[keys.prompt]` context (the palette's and the filter's line).
    pub fn is_prompt(&self) -> bool {
        matches!(
            self,
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
                | Action::PromptClear
        )
    }

    /// An operation on the Pipeline pane's selection only.
    pub fn is_pipeline(&self) -> bool {
        matches!(
            self,
            Action::PipelineReject
                | Action::PipelineRerun
                | Action::PipelineRerunFailed
                | Action::PipelineCancel
        )
    }

    /// An operation in words, for messages a person reads ("rollback refused").
    pub fn verb(&self) -> &'static str {
        match self {
            Action::Rollback => "rollback",
            Action::Scale => "scale",
            Action::Restart => "restart",
            Action::Promote => "promote",
            Action::HostActions => "host action",
            Action::PipelineReject => "reject",
            Action::PipelineRerun => "re-run",
            Action::PipelineRerunFailed => "re-run of the failed jobs",
            Action::PipelineCancel => "cancel",
            Action::WorkloadsTrigger => "trigger",
            Action::WorkloadsSuspend => "suspend/resume",
            Action::WorkloadsDeletePod => "delete",
            Action::WorkloadsEdit => "edit",
            Action::WorkloadsAbort => "abort",
            Action::WorkloadsRetry => "retry",
            Action::WorkloadsPromoteFull => "promote full",
            Action::NodeCordon => "cordon",
            Action::NodeUncordon => "uncordon",
            Action::NodeDrain => "drain",
            _ => "operation",
        }
    }

    /// Is this a mutating operation (refused in read-only mode)?
    pub fn is_operation(&self) -> bool {
        matches!(
            self,
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
                | Action::NodeDrain
        )
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::FocusPane(p) => write!(f, "pane.focus {}", p.name()),
            a => {
                let name = SIMPLE
                    .iter()
                    .find(|(x, _, _)| x == a)
                    .map(|(_, n, _)| *n)
                    .unwrap_or("?");
                f.write_str(name)
            }
        }
    }
}

fn suggest(name: &str) -> String {
    let best = SIMPLE
        .iter()
        .map(|(_, n, _)| *n)
        .find(|n| n.split('.').next_back() == name.split('.').next_back() || n.starts_with(name));
    match best {
        Some(n) => format!(" (did you mean `{n}`?)"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips() {
        for name in Action::all_names() {
            let action = Action::parse(&name).expect(&name);
            assert_eq!(action.to_string(), name);
            assert!(
                !action.description().is_empty(),
                "{name} has no description"
            );
        }
    }

    #[test]
    fn bad_names_say_why() {
        assert!(
            Action::parse("pane.zoom now")
                .unwrap_err()
                .contains("takes no argument")
        );
        assert!(
            Action::parse("pane.focus nowhere")
                .unwrap_err()
                .contains("unknown pane")
        );
        assert!(
            Action::parse("zoom")
                .unwrap_err()
                .contains("did you mean `pane.zoom`")
        );
    }
}
