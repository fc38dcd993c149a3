//! The logs pane's part of `update`. Pure: no I/O.
//!
//! The buffer (`data.rs`) is a ring of entries kept in kubelet-time order across pods,
//! bounded by a line cap (`[logs] buffer_lines`) and a byte budget. The Logs source's
//! status comes from contact with the streams, never from a clock. The pane filter (`/`)
//! doubles as the search: words are a case-insensitive regex search (highlighted, `n`/`N`
//! jump), `+RE` keeps only matching lines, `-RE` drops them.

use jiff::Timestamp;

use crate::action::Action;
use crate::app::event::Effect;
use crate::app::state::{FlashLevel, SourceId, SourceStatus, State};
use crate::sources::logs::ingest;
use crate::sources::logs::{FollowOptions, FollowRequest, LogTarget, LogsMsg};
use crate::sources::systemd::JournalMsg;

mod data;
mod names;
mod query;

pub use data::{
    BYTE_BUDGET, Entry, LogsData, MAX_OBJECTS, Parked, Paused, PodInfo, PodState, Streams, TimeMode,
};
pub use names::{pod_colour, suffixes};
use query::search;
pub use query::{LevelFilter, Query, query, refresh_query};

/// Starts following `target` (the lead calls this when a deployment or pod is selected).
/// The object shown until now keeps its lines aside; an object followed earlier gets its
/// lines back, and its pods' streams resume from their last line (nothing twice, the gap
/// filled) instead of from a tail. See [`LogsData::park`].
pub fn follow(state: &mut State, target: LogTarget) -> Vec<Effect> {
    let cfg = &state.config.logs;
    let (cap, tail_lines) = (cfg.buffer_lines.max(1), cfg.tail_lines as i64);
    let generation = state.generation;
    let d = &mut state.logs;
    d.cap = cap;
    d.park(generation);
    let resume = d.unpark(&target, generation);
    d.opts = FollowOptions {
        tail_lines,
        ..FollowOptions::default()
    };
    let label = crate::text::sanitize(&target.label());
    d.target = Some(target);
    match resume {
        Some(points) => {
            d.opts.resume = points;
            d.marker(
                None,
                format!("↺ back to {label}: what arrived meanwhile follows"),
                false,
            );
            start(state, false)
        }
        None => restart(state),
    }
}

/// (Re)starts the stream with the current options: a new stream number, an empty buffer.
pub fn restart(state: &mut State) -> Vec<Effect> {
    start(state, true)
}

fn start(state: &mut State, clear: bool) -> Vec<Effect> {
    let Some(target) = state.logs.target.clone() else {
        return Vec::new();
    };
    let d = &mut state.logs;
    d.stream += 1;
    if clear {
        d.entries.clear();
        d.lines = 0;
        d.bytes = 0;
        d.evicted = 0;
        d.pods.clear();
        d.opts.resume.clear();
    }
    d.appended = 0;
    d.paused = None;
    d.detail = false;
    d.held = None;
    d.context = state.scope.context.clone();
    d.forbidden = None;
    d.last_contact = None;
    d.last_error = None;
    state.sources.insert(
        SourceId::Logs,
        SourceStatus::Connecting { since: state.now },
    );
    state.dirty = true;
    vec![Effect::FollowLogs(FollowRequest {
        target,
        opts: state.logs.opts.clone(),
        generation: state.generation,
        stream: state.logs.stream,
    })]
}

/// The scope changed (`:ctx`, `:ns`, `:env`): what was followed belongs to the scope left.
/// Its stream stops (`Effect::StopLogs`), nothing is followed until a workload of the new
/// scope is selected (then the follow starts afresh, also on coming back), and the lines
/// already shown stay, saying whose they are, never under `● following`.
pub fn on_scope_changed(state: &mut State) -> Vec<Effect> {
    let d = &mut state.logs;
    // objects kept aside belong to the scope left: they are never restored
    d.parked.clear();
    let Some(target) = d.target.take() else {
        return Vec::new();
    };
    // anything still on its way from the stopped stream is dropped
    d.stream += 1;
    d.opts = FollowOptions::default();
    d.paused = None;
    d.detail = false;
    d.forbidden = None;
    d.last_error = None;
    for p in &mut d.pods {
        if !p.is_host() && p.state != PodState::Ended {
            p.state = PodState::Idle;
        }
    }
    if d.has_output() {
        let (namespace, what) = match &target {
            LogTarget::Selector {
                namespace, label, ..
            } => (namespace, label.clone()),
            LogTarget::Pods { namespace, pods } => (namespace, pods.join(", ")),
        };
        let context = d.context.as_deref().unwrap_or("(current context)");
        d.held = Some(crate::text::sanitize(&format!(
            "switched away — lines from context {context}, namespace {namespace} ({what})"
        )));
    } else {
        d.entries.clear();
        d.lines = 0;
        d.bytes = 0;
        d.evicted = 0;
        d.pods.clear();
    }
    let place = format!(
        "{}/{}",
        state.scope.context.as_deref().unwrap_or("current context"),
        state.scope.namespace.as_deref().unwrap_or("all")
    );
    let reason = format!(
        "nothing followed in {}: logs follow the workload selected there",
        crate::text::sanitize(&place)
    );
    state
        .sources
        .insert(SourceId::Logs, SourceStatus::Unavailable { reason });
    state.dirty = true;
    vec![Effect::StopLogs]
}

/// The Logs source's status, from what the streams did: live while a stream is connected,
/// the data changed at the streams' last contact (bytes delivered or a (re)connect, as the
/// source timed it); failing while every follower is reconnecting, with that last contact;
/// never refreshed by a timer. A silent log stream proves nothing (a frozen API server
/// holds it open), so while streams are open the contact is the later of theirs and the
/// cluster's, and while the cluster's probe goes unanswered the logs fail with it (see
/// [`pair_with_cluster`]). RBAC refusals set their own status (`Forbidden`).
fn refresh_status(state: &mut State) {
    let d = &state.logs;
    if d.forbidden.is_some() {
        return;
    }
    let current = state.sources.get(&SourceId::Logs);
    let cluster = &state.cluster;
    let status = match d.streams() {
        Streams::Live => match (d.last_contact, &cluster.contact_error) {
            (None, _) => return,
            (Some(changed), None) => SourceStatus::Live {
                updated: cluster.contact.map_or(changed, |c| c.max(changed)),
                changed,
                open: true,
            },
            (Some(changed), Some(why)) => SourceStatus::failing(
                current,
                format!("the log streams are silent and the API server does not answer: {why}"),
                state.now,
                Some(cluster.contact.map_or(changed, |c| c.max(changed))),
            ),
        },
        Streams::Reconnecting => SourceStatus::failing(
            current,
            d.last_error
                .clone()
                .unwrap_or_else(|| "every log stream is reconnecting".into()),
            state.now,
            d.last_contact,
        ),
        Streams::Waiting => match current {
            Some(SourceStatus::Connecting { since }) => SourceStatus::Connecting { since: *since },
            _ => SourceStatus::Connecting { since: state.now },
        },
        Streams::Ended => SourceStatus::Unavailable {
            reason: if d.opts.previous {
                "the previous container's log was read to the end".into()
            } else {
                "no pod is followed: every one has ended".into()
            },
        },
    };
    state.sources.insert(SourceId::Logs, status);
}

/// The cluster's contact moved (or was lost): open log streams share it, since they come
/// through the same API server.
pub fn pair_with_cluster(state: &mut State) {
    if state.logs.target.is_some() && state.logs.streams() == Streams::Live {
        refresh_status(state);
    }
}

/// Contact with a pod's log at `at` (the source's clock): the latest one counts.
fn contact(d: &mut LogsData, at: Timestamp) {
    d.last_contact = Some(d.last_contact.map_or(at, |t| t.max(at)));
}

/// A host action's output joins the logs pane as its own source, `host/NAME`, next to the
/// pods being followed: JSON lines are structured like a pod's, stderr is marked, and the
/// end (exit status) is a marker line. The console's own log keeps a copy.
pub fn on_host_output(state: &mut State, out: crate::ops::HostOutput) -> Vec<Effect> {
    use crate::ops::OutputKind;
    let source = format!("host/{}", out.action);
    match out.kind {
        OutputKind::Exit { ok } => {
            let text = format!("{source} ended: {}", out.text);
            state.logs.marker(Some(&source), text, !ok);
            let i = state.logs.pod_index(&source) as usize;
            if let Some(p) = state.logs.pods.get_mut(i) {
                p.state = PodState::Ended;
            }
        }
        kind => {
            let mut line = ingest::parse_line(out.text.as_bytes());
            // a structured line's own time, else when the console read it
            line.time = line.time.or(Some(out.at));
            if kind == OutputKind::Stderr && line.level.is_none() {
                line.component = Some("stderr".into());
            }
            state.logs.append(&source, vec![line]);
            let i = state.logs.pod_index(&source) as usize;
            if let Some(p) = state.logs.pods.get_mut(i) {
                p.state = PodState::Streaming;
            }
        }
    }
    state.dirty = true;
    Vec::new()
}

pub fn on_msg(state: &mut State, msg: LogsMsg) -> Vec<Effect> {
    let current = state.logs.stream;
    let stale = |s: u64| s != current;
    state.dirty = true;
    match msg {
        LogsMsg::Saved { path, result } => {
            let path = crate::text::sanitize(&path);
            match result {
                Ok(n) => state.set_flash(
                    FlashLevel::Info,
                    format!(
                        "saved {} to {path}",
                        crate::text::count(n as u64, "line", "lines")
                    ),
                ),
                Err(e) => state.set_flash(
                    FlashLevel::Error,
                    format!("cannot save to {path}: {}", crate::text::sanitize(&e)),
                ),
            }
            return Vec::new();
        }
        LogsMsg::PodJoined {
            stream,
            pod,
            container,
            containers,
            at,
        } => {
            if stale(stream) {
                return Vec::new();
            }
            let i = state.logs.pod_index(&pod) as usize;
            let first = match state.logs.pods.get_mut(i) {
                Some(p) => {
                    let first = p.container.is_empty();
                    p.container = crate::text::sanitize(&container);
                    p.containers = containers
                        .iter()
                        .map(|c| crate::text::sanitize(c))
                        .collect();
                    p.state = PodState::Streaming;
                    first
                }
                None => false,
            };
            if first
                && state
                    .logs
                    .target
                    .as_ref()
                    .is_some_and(|t| matches!(t, LogTarget::Selector { .. }))
            {
                state
                    .logs
                    .marker(Some(&pod), format!("+ {pod} joined"), false);
            }
            state.logs.forbidden = None;
            contact(&mut state.logs, at);
        }
        LogsMsg::Lines {
            stream,
            pod,
            lines,
            at,
        } => {
            if stale(stream) {
                return Vec::new();
            }
            state.logs.append(&pod, lines);
            let i = state.logs.pod_index(&pod) as usize;
            if let Some(p) = state.logs.pods.get_mut(i) {
                p.state = PodState::Streaming;
            }
            contact(&mut state.logs, at);
        }
        LogsMsg::Marker {
            stream,
            pod,
            text,
            error,
        } => {
            if stale(stream) {
                return Vec::new();
            }
            log::warn!("logs {pod}: {text}");
            state.logs.marker(Some(&pod), text.clone(), error);
            let i = state.logs.pod_index(&pod) as usize;
            if let Some(p) = state.logs.pods.get_mut(i)
                && error
            {
                p.state = PodState::Retrying;
                state.logs.last_error = Some(crate::text::sanitize(&format!("{pod}: {text}")));
            }
        }
        LogsMsg::Waiting { stream, pod } => {
            if stale(stream) {
                return Vec::new();
            }
            let i = state.logs.pod_index(&pod) as usize;
            if let Some(p) = state.logs.pods.get_mut(i) {
                p.state = PodState::Waiting;
            }
        }
        LogsMsg::PodEnded {
            stream,
            pod,
            reason,
        } => {
            if stale(stream) {
                return Vec::new();
            }
            let i = state.logs.pod_index(&pod) as usize;
            // the pod list and the pod's own follower may both say so: once is enough
            if state
                .logs
                .pods
                .get(i)
                .is_none_or(|p| p.state != PodState::Ended)
            {
                state
                    .logs
                    .marker(Some(&pod), format!("− {pod} ended: {reason}"), false);
            }
            if let Some(p) = state.logs.pods.get_mut(i) {
                p.state = PodState::Ended;
            }
        }
        LogsMsg::Forbidden { stream, message } => {
            if stale(stream) {
                return Vec::new();
            }
            log::error!("logs: {message}");
            let last_ok = state.logs.last_contact;
            state.logs.forbidden = Some(crate::text::sanitize(&message));
            let status = SourceStatus::failing(
                state.source(SourceId::Logs),
                crate::text::sanitize(&message),
                state.now,
                last_ok,
            );
            state.sources.insert(SourceId::Logs, status);
        }
    }
    refresh_status(state);
    Vec::new()
}

fn step(state: &mut State, delta: isize) {
    let q = query(state);
    let d = &mut state.logs;
    let Some(mut pos) = d.bottom(&q) else {
        return;
    };
    for _ in 0..delta.unsigned_abs() {
        let next = if delta < 0 {
            d.prev_visible(pos, &q)
        } else {
            d.next_visible(pos, &q)
        };
        match next {
            Some(p) => pos = p,
            None => break,
        }
    }
    d.pause_at(pos);
}

/// The pane's own handling of an action while it has focus; `None` lets `apply` handle it.
pub fn on_action(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    state.dirty = true;
    let d = &mut state.logs;
    match action {
        Action::SelectUp => step(state, -1),
        Action::SelectDown => step(state, 1),
        Action::PageUp => step(state, -(page(state) as isize)),
        Action::PageDown => step(state, page(state) as isize),
        Action::SelectTop => {
            let q = query(state);
            if let Some(pos) = state.logs.next_visible(0, &q).or_else(|| {
                state
                    .logs
                    .entries
                    .front()
                    .filter(|e| state.logs.visible(e, &q))
                    .map(|_| 0)
            }) {
                let first = if state
                    .logs
                    .entries
                    .front()
                    .is_some_and(|e| state.logs.visible(e, &q))
                {
                    0
                } else {
                    pos
                };
                state.logs.pause_at(first);
            }
        }
        Action::SelectBottom | Action::LogsEnd => {
            d.paused = None;
            d.detail = false;
        }
        Action::LogsPause => {
            if d.paused.is_some() {
                d.paused = None;
            } else {
                let q = query(state);
                if let Some(pos) = state.logs.bottom(&q) {
                    state.logs.pause_at(pos);
                }
            }
        }
        Action::Open => {
            d.detail = !d.detail && !d.entries.is_empty();
        }
        Action::Back if d.detail => d.detail = false,
        Action::LogsLevel => {
            d.level = match d.level {
                LevelFilter::All => LevelFilter::Warn,
                LevelFilter::Warn => LevelFilter::Error,
                LevelFilter::Error => LevelFilter::All,
            }
        }
        Action::LogsWrap => d.wrap = !d.wrap,
        Action::LogsTimestamps => d.timestamps = d.timestamps.next(),
        Action::LogsPrevious => {
            if d.target.is_none() {
                return Some(Vec::new());
            }
            d.opts.previous = !d.opts.previous;
            return Some(restart(state));
        }
        Action::LogsContainer => {
            let containers = d
                .pods
                .iter()
                .find(|p| p.containers.len() > 1)
                .map(|p| (p.containers.clone(), p.container.clone()));
            let Some((all, now)) = containers else {
                state.set_flash(FlashLevel::Info, "only one container".into());
                return Some(Vec::new());
            };
            let i = all
                .iter()
                .position(|c| *c == now)
                .map_or(0, |i| (i + 1) % all.len());
            d.opts.container = all.get(i).cloned();
            return Some(restart(state));
        }
        Action::LogsSearchNext => search(state, true),
        Action::LogsSearchPrev => search(state, false),
        _ => return None,
    }
    Some(Vec::new())
}

fn page(state: &State) -> usize {
    (state.size.1 as usize / 3).max(5)
}

/// `:save PATH`: the current (filtered) buffer.
pub fn save(state: &mut State, path: &str) -> Vec<Effect> {
    let q = query(state);
    let lines = state.logs.export(&q);
    if state.logs.entries.is_empty() {
        state.set_flash(FlashLevel::Warn, "logs: nothing to save".into());
        return Vec::new();
    }
    vec![Effect::SaveLogs {
        path: path.to_owned(),
        lines,
    }]
}

/// A journal line joins the Logs pane as `host/UNIT`, like a host action's output.
pub fn on_journal(state: &mut State, msg: JournalMsg) -> Vec<Effect> {
    match msg {
        JournalMsg::Line { source, line } => {
            state.logs.append(&source, vec![line]);
            let i = state.logs.pod_index(&source) as usize;
            if let Some(p) = state.logs.pods.get_mut(i) {
                p.state = PodState::Streaming;
            }
        }
        JournalMsg::Ended { source, why } => {
            state
                .logs
                .marker(Some(&source), format!("{source}: {why}; retrying"), true);
            let i = state.logs.pod_index(&source) as usize;
            if let Some(p) = state.logs.pods.get_mut(i) {
                p.state = PodState::Retrying;
            }
        }
    }
    state.dirty = true;
    Vec::new()
}
