//! Messages into the ui task, and requests for I/O out of it.

use jiff::Timestamp;

use super::state::{SourceId, SourceStatus};

#[derive(Debug, Clone)]
pub enum Event {
    Key(crossterm::event::KeyEvent),
    Mouse(crossterm::event::MouseEvent),
    Paste(String),
    Resize(u16, u16),
    /// Once a second: ages move on. Redraws only if a visible age label changed.
    Tick(Timestamp),
    /// SIGTERM, SIGHUP (an SSH session dropping), SIGINT or SIGQUIT from outside, or the
    /// terminal's input gone: quit cleanly, the exit status saying why (128 + the signal,
    /// as a shell reports a process killed by it).
    Signal {
        name: &'static str,
        exit: u8,
    },
    /// A source's health, tagged with the scope generation it was started for.
    SourceStatus {
        generation: u64,
        source: SourceId,
        status: SourceStatus,
    },

    // --- one variant per source, carrying the owned message type the source defines;
    // scope-bound ones carry the generation they were started for ---
    Pipeline {
        generation: u64,
        msg: crate::sources::github::PipelineUpdate,
    },

    Kube {
        generation: u64,
        msg: crate::sources::kube::model::WorkloadsMsg,
    },

    /// One object's YAML for the Workloads pane's view (the answer to
    /// [`Effect::FetchObject`]).
    Object {
        generation: u64,
        msg: crate::sources::kube::model::ObjectMsg,
    },

    /// One object's describe page material (the answer to [`Effect::FetchDescribe`]).
    Described {
        generation: u64,
        msg: crate::sources::kube::model::DescribeMsg,
    },

    /// What the scope's context serves (discovery), for `:` and the generic view.
    Discovery {
        generation: u64,
        msg: crate::sources::kube::model::DiscoveryMsg,
    },

    /// The generic view's table: its list and watch (the answer to
    /// [`Effect::WatchTable`]).
    Table {
        generation: u64,
        msg: crate::sources::kube::model::TableMsg,
    },

    /// The cluster's namespaces (for `:ns`), for the scope's context.
    Namespaces {
        generation: u64,
        msg: crate::sources::kube::model::NamespacesMsg,
    },

    /// The cluster's nodes (the Nodes view, the Hosts pane's node link), for the scope's
    /// context.
    Nodes {
        generation: u64,
        msg: crate::sources::kube::model::NodesMsg,
    },

    /// How a running drain goes (and its end; the outcome comes as `OpResult` too).
    Drain(crate::ops::DrainProgress),

    Metrics(crate::sources::metrics::MetricsUpdate),

    Logs {
        generation: u64,
        msg: crate::sources::logs::LogsMsg,
    },

    Gpu(crate::sources::gpu::GpuUpdate),

    /// One `[[health]]` check's result.
    Health(crate::sources::health::HealthSample),
    /// One `[[service]]`'s state from `systemctl show`.
    Service(crate::sources::systemd::ServiceUpdate),
    /// A line of a service's journal, for the logs pane.
    Journal(crate::sources::systemd::JournalMsg),
    /// What a service's `list_backups` printed, for the rollback picker.
    Backups {
        service: String,
        backups: Result<Vec<String>, String>,
    },

    /// The plan for an operation's confirmation (or why there is none).
    OpPlanned(Result<Box<crate::ops::Plan>, String>),
    /// A confirmed operation finished; its audit line is already synced.
    OpResult(Box<crate::ops::Outcome>),
    /// A line of a running host action's output (or its end), for the logs pane.
    HostOutput(crate::ops::HostOutput),
    /// The audit log's newest lines, for `:audit`.
    Audit(crate::ops::AuditTail),
}

impl Event {
    /// Whether this is a source's data rather than the user or an answer to what the user
    /// asked: a frame that only shows new data may wait a little (bursts of watch events,
    /// log lines and samples fold into fewer frames); a key, a resize or an operation's
    /// result is drawn at once.
    pub fn is_data(&self) -> bool {
        matches!(
            self,
            Event::Tick(_)
                | Event::SourceStatus { .. }
                | Event::Pipeline { .. }
                | Event::Kube { .. }
                | Event::Namespaces { .. }
                | Event::Discovery { .. }
                | Event::Table { .. }
                | Event::Nodes { .. }
                | Event::Drain(_)
                | Event::Metrics(_)
                | Event::Logs { .. }
                | Event::Gpu(_)
                | Event::Health(_)
                | Event::Service(_)
                | Event::Journal(_)
                | Event::HostOutput(_)
        )
    }
}

/// Requests for I/O that `update` returns; the run loop carries them out and answers with
/// events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Quit,
    /// The scope changed: restart scope-bound sources for the new generation.
    ScopeChanged {
        generation: u64,
    },
    /// Work out an operation's before → after for the confirmation.
    PlanOperation(crate::ops::Operation),
    /// Run a confirmed operation.
    Operation {
        op: crate::ops::Operation,
        before: String,
        after: String,
    },
    ReadAudit,
    /// Capture the mouse (true) or leave it to the terminal, for selecting text.
    SetMouse(bool),
    /// Put this text (sanitised, capped) on the local clipboard with OSC 52.
    Copy(String),
    /// Run a service's `list_backups` (the answer is [`Event::Backups`]).
    ListBackups {
        service: String,
    },
    /// The user tried to confirm a plan the confirmation refused: audit the refusal.
    RecordRefusal(Box<crate::ops::Plan>),
    /// Follow these pods' logs (replacing what the logs pane followed before).
    FollowLogs(crate::sources::logs::FollowRequest),
    /// Stop following logs: what was followed belongs to a scope the console has left.
    StopLogs,
    /// GET one object for the Workloads pane's YAML view (the answer is [`Event::Object`]).
    FetchObject(crate::sources::kube::model::ObjectRequest),
    /// GET one object, its owner chain and its events for the describe page (the answer
    /// is [`Event::Described`]).
    FetchDescribe(crate::sources::kube::model::ObjectRequest),
    /// List and watch one resource's table for the generic view (replacing the table
    /// watched before); the answers are [`Event::Table`].
    WatchTable(crate::sources::kube::model::TableRequest),
    /// Stop the generic view's watch: the view was left.
    StopTable,
    /// Run discovery again now (a `:` name the catalog does not know).
    Rediscover,
    /// Ask the running drain of `node` to stop.
    CancelDrain {
        context: String,
        node: String,
    },
    /// `kubectl edit` of one object: the run loop suspends the screen around the user's
    /// editor; the end comes back as [`Event::OpResult`].
    Edit {
        /// The context the object is in (empty: the scope's).
        context: String,
        object: crate::sources::kube::model::ObjectRef,
    },
    /// `:save PATH`: write these lines; the result comes back as `LogsMsg::Saved`.
    SaveLogs {
        path: String,
        lines: Vec<String>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    #[test]
    fn the_user_and_answers_to_the_user_are_drawn_at_once_data_may_wait() {
        let data = [
            Event::Tick(Timestamp::UNIX_EPOCH),
            Event::Kube {
                generation: 1,
                msg: crate::sources::kube::model::WorkloadsMsg::NoClient("x".into()),
            },
        ];
        assert!(data.iter().all(Event::is_data));
        let urgent = [
            Event::Key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE)),
            Event::Resize(80, 24),
            Event::Paste("x".into()),
            Event::OpPlanned(Err("refused".into())),
            Event::Backups {
                service: "s".into(),
                backups: Ok(vec![]),
            },
        ];
        assert!(urgent.iter().all(|e| !e.is_data()));
    }
}
