//! The logs source's plain data: whose logs to follow and how ([`FollowRequest`]), the
//! owned messages it sends back ([`LogsMsg`]), and a log line as `ingest` makes it
//! ([`LogLine`]), with how its time and level read.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use log::Level;

/// Whose logs to follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogTarget {
    /// These pods (one, usually).
    Pods {
        namespace: String,
        pods: Vec<String>,
    },
    /// Every pod matching a label selector (a deployment's `spec.selector`), joining and
    /// leaving as they come and go.
    Selector {
        namespace: String,
        selector: String,
        /// What to call it in the pane title (the deployment's name).
        label: String,
    },
}

impl LogTarget {
    pub fn label(&self) -> String {
        match self {
            LogTarget::Pods { pods, .. } => pods.join(", "),
            LogTarget::Selector { label, .. } => label.clone(),
        }
    }
    pub fn namespace(&self) -> &str {
        match self {
            LogTarget::Pods { namespace, .. } | LogTarget::Selector { namespace, .. } => namespace,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowOptions {
    /// Lines of history on attach.
    pub tail_lines: i64,
    /// The last terminated container's log instead of the running one (no follow).
    pub previous: bool,
    /// Which container; `None` takes the first of the pod spec.
    pub container: Option<String>,
    /// How often a selector's pods are listed to find new ones.
    pub poll: Duration,
    /// A follow silent this long is re-attached from its last timestamp (duplicates
    /// dropped): a half-open connection through a proxy looks exactly like a quiet pod.
    pub idle_reattach: Duration,
    /// Where each pod's log was left when the pane last showed it (switching the Workloads
    /// selection away and back): such a pod is re-attached with `sinceTime` from there, the
    /// lines already held dropped, instead of with a tail.
    pub resume: BTreeMap<String, ResumePoint>,
}

/// The last kubelet time stamp held for a pod, and how many lines carried exactly it (a
/// `sinceTime` re-read repeats those first, in the same order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResumePoint {
    pub time: Timestamp,
    pub seen: u32,
}

impl Default for FollowOptions {
    fn default() -> Self {
        FollowOptions {
            tail_lines: 200,
            previous: false,
            container: None,
            poll: Duration::from_secs(2),
            idle_reattach: Duration::from_secs(30),
            resume: BTreeMap::new(),
        }
    }
}

/// What the pane asks the run loop to start (see `Effect::FollowLogs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowRequest {
    pub target: LogTarget,
    pub opts: FollowOptions,
    pub generation: u64,
    /// The pane's stream number: messages from older streams are dropped.
    pub stream: u64,
}

/// Messages from the log streams to the ui task.
#[derive(Debug, Clone)]
pub enum LogsMsg {
    /// A pod's stream is attached (or re-attached).
    PodJoined {
        stream: u64,
        pod: String,
        container: String,
        containers: Vec<String>,
        /// When the stream was (re)connected: contact with the pod's log.
        at: Timestamp,
    },
    /// Lines of one pod, in order.
    Lines {
        stream: u64,
        pod: String,
        lines: Vec<LogLine>,
        /// When the bytes arrived: contact with the pod's log.
        at: Timestamp,
    },
    /// A marker line about a pod's stream (ended, retrying, reconnected).
    Marker {
        stream: u64,
        pod: String,
        text: String,
        error: bool,
    },
    /// The container has not started or printed yet.
    Waiting { stream: u64, pod: String },
    /// The pod is gone (or its previous log was read to the end): nobody follows it any
    /// more.
    PodEnded {
        stream: u64,
        pod: String,
        reason: String,
    },
    /// 403 on `pods/log` (or on listing pods).
    Forbidden { stream: u64, message: String },
    /// The result of `:save`.
    Saved {
        path: String,
        result: Result<usize, String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// A line the pod printed.
    Log,
    /// Something flightdeck says about the stream (joined, ended, error, retry).
    Marker,
    /// A marker about a failure.
    ErrorMarker,
}

/// A log line, already safe to draw: every text field is sanitised.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    pub kind: LineKind,
    /// The kubelet's receive time (the `timestamps=true` prefix), used for merging.
    pub time: Option<Timestamp>,
    /// The time the application wrote into a structured line, as written.
    pub app_time: Option<String>,
    pub level: Option<Level>,
    pub component: Option<String>,
    /// The message of a structured line, or the whole plain line.
    pub message: String,
    /// The other fields of a structured line, for the detail view.
    pub fields: Vec<(String, String)>,
    /// Continuation lines (a stack trace) kept with the line that started it.
    pub cont: Vec<String>,
}

impl LogLine {
    pub fn marker(text: impl Into<String>, error: bool) -> LogLine {
        LogLine {
            kind: if error {
                LineKind::ErrorMarker
            } else {
                LineKind::Marker
            },
            time: None,
            app_time: None,
            level: None,
            component: None,
            message: crate::text::sanitize(&text.into()),
            fields: Vec::new(),
            cont: Vec::new(),
        }
    }

    /// Approximate heap size, for the buffer's byte budget.
    pub fn weight(&self) -> usize {
        self.message.len()
            + self.app_time.as_ref().map_or(0, String::len)
            + self.component.as_ref().map_or(0, String::len)
            + self
                .fields
                .iter()
                .map(|(k, v)| k.len() + v.len() + 48)
                .sum::<usize>()
            + self.cont.iter().map(|c| c.len() + 24).sum::<usize>()
            + 160
    }

    /// The line as plain text (`time LEVEL component message`), for search and `:save`.
    pub fn plain(&self, with_time: bool) -> String {
        let mut s = String::with_capacity(self.message.len() + 48);
        if with_time && let Some(t) = self.display_time() {
            s.push_str(&t);
            s.push(' ');
        }
        if let Some(l) = self.level {
            s.push_str(level_label(l));
            s.push(' ');
        }
        if let Some(c) = &self.component {
            s.push_str(c);
            s.push(' ');
        }
        s.push_str(&self.message);
        s
    }

    /// The instant shown in the time column: the application's own when it names one,
    /// else the kubelet's.
    pub fn shown_time(&self) -> Option<Timestamp> {
        self.app_time
            .as_deref()
            .and_then(|t| t.parse::<Timestamp>().ok())
            .or(self.time)
    }

    /// The time column in UTC (`:save`, search): see [`clock`].
    pub fn display_time(&self) -> Option<String> {
        self.shown_time().map(|t| clock(t, &TimeZone::UTC))
    }
}

/// `12:43:47.520`: always three fractional digits, so every line's time has the same width.
pub fn clock(t: Timestamp, tz: &TimeZone) -> String {
    t.to_zoned(tz.clone()).strftime("%H:%M:%S%.3f").to_string()
}

/// The width of [`clock`]'s text.
pub const CLOCK_WIDTH: usize = 12;

pub fn level_label(l: Level) -> &'static str {
    match l {
        Level::Error => "ERROR",
        Level::Warn => "WARN ",
        Level::Info => "INFO ",
        Level::Debug => "DEBUG",
        Level::Trace => "TRACE",
    }
}
