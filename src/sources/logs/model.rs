//! The logs source's plain data: whose logs to follow and how ([`FollowRequest`]), and the
//! owned messages it sends back ([`LogsMsg`]).

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;

use super::ingest::LogLine;

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
