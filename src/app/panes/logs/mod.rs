//! Logs pane data and its part of `update`. Pure: no I/O.
//!
//! The buffer is a ring of entries (a line plus its stack-trace continuation lines) kept in
//! kubelet-time order across pods, bounded by a line cap (`[logs] buffer_lines`) and a byte
//! budget. The pane filter (`/`) doubles as the search: words are a case-insensitive regex
//! search (highlighted, `n`/`N` jump), `+RE` keeps only matching lines, `-RE` drops them.

use std::collections::VecDeque;

use crate::action::Action;
use crate::app::event::Effect;
use crate::app::state::{FlashLevel, SourceId, SourceStatus, State};
use crate::sources::logs::ingest::{self, LineKind, LogLine};
use crate::sources::logs::{FollowOptions, FollowRequest, LogTarget, LogsMsg};

mod names;
mod query;

pub use names::{pod_colour, suffixes};
use query::search;
pub use query::{LevelFilter, Query, query, refresh_query};

/// Memory budget of the buffer, whatever the line cap: 50,000 lines of 64 KiB would be 3 GiB.
pub const BYTE_BUDGET: usize = 64 * 1024 * 1024;
/// How far back an out-of-order line is placed when merging pods by time.
const MERGE_WINDOW: usize = 4096;
/// A stack trace longer than this starts a new entry.
const MAX_CONT: usize = 2000;

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Arrival number: stable while entries shift.
    pub seq: u64,
    /// Index into [`LogsData::pods`]; `u16::MAX` for pane-wide markers.
    pub pod: u16,
    pub line: LogLine,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PodState {
    Waiting,
    Streaming,
    Retrying,
    Ended,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PodInfo {
    pub name: String,
    /// The part of the name that tells it from the other pods.
    pub suffix: String,
    /// Index into the view's pod palette (stern: FNV-32 of the name).
    pub colour: usize,
    pub container: String,
    pub containers: Vec<String>,
    pub state: PodState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paused {
    /// The entry at the bottom of the view (and selected).
    pub seq: u64,
    /// `appended` when the pause began: the difference is "N new lines".
    pub appended_at: u64,
}

#[derive(Debug, Clone)]
pub struct LogsData {
    pub target: Option<LogTarget>,
    pub opts: FollowOptions,
    pub stream: u64,
    pub entries: VecDeque<Entry>,
    /// Lines held (an entry's continuation lines count).
    pub lines: usize,
    pub bytes: usize,
    pub cap: usize,
    pub byte_cap: usize,
    next_seq: u64,
    /// Lines appended since the follow started.
    pub appended: u64,
    /// Lines evicted by the cap.
    pub evicted: u64,
    pub pods: Vec<PodInfo>,
    pub paused: Option<Paused>,
    pub level: LevelFilter,
    pub wrap: bool,
    pub timestamps: bool,
    pub detail: bool,
    pub forbidden: Option<String>,
    /// The pane filter as last compiled, and the text it was compiled from; see
    /// [`refresh_query`].
    parsed: (String, Query),
}

impl Default for LogsData {
    fn default() -> Self {
        LogsData {
            target: None,
            opts: FollowOptions::default(),
            stream: 0,
            entries: VecDeque::new(),
            lines: 0,
            bytes: 0,
            cap: 50_000,
            byte_cap: BYTE_BUDGET,
            next_seq: 0,
            appended: 0,
            evicted: 0,
            pods: Vec::new(),
            paused: None,
            level: LevelFilter::All,
            wrap: false,
            timestamps: true,
            detail: false,
            forbidden: None,
            parsed: (String::new(), Query::default()),
        }
    }
}

impl LogsData {
    pub fn with_cap(cap: usize) -> LogsData {
        LogsData {
            cap: cap.max(1),
            ..LogsData::default()
        }
    }

    /// Is the entry shown under the level filter and the include/exclude regexes?
    pub fn visible(&self, e: &Entry, q: &Query) -> bool {
        if e.line.kind != LineKind::Log {
            // markers always show, unless only matching lines were asked for
            return q.include.is_empty();
        }
        self.level.admits(e.line.level)
            && q.include.iter().all(|re| Query::is_match(re, &e.line))
            && !q.exclude.iter().any(|re| Query::is_match(re, &e.line))
    }

    /// Has any pod printed anything yet (markers aside)?
    pub fn has_output(&self) -> bool {
        self.entries.iter().any(|e| e.line.kind == LineKind::Log)
    }

    /// Lines arrived since the pause.
    pub fn arrived_while_paused(&self) -> u64 {
        self.paused
            .map_or(0, |p| self.appended.saturating_sub(p.appended_at))
    }

    pub fn position_of(&self, seq: u64) -> Option<usize> {
        self.entries.iter().rposition(|e| e.seq == seq)
    }

    /// The position of the entry at the bottom of the view.
    pub fn bottom(&self, q: &Query) -> Option<usize> {
        match self.paused {
            Some(p) => self
                .position_of(p.seq)
                .or_else(|| (!self.entries.is_empty()).then_some(0)),
            None => self.prev_visible(self.entries.len(), q),
        }
    }

    /// The last visible entry strictly before `pos`.
    pub fn prev_visible(&self, pos: usize, q: &Query) -> Option<usize> {
        (0..pos.min(self.entries.len()))
            .rev()
            .find(|i| self.visible(&self.entries[*i], q))
    }

    pub fn next_visible(&self, pos: usize, q: &Query) -> Option<usize> {
        (pos + 1..self.entries.len()).find(|i| self.visible(&self.entries[*i], q))
    }

    pub fn pod(&self, e: &Entry) -> Option<&PodInfo> {
        self.pods.get(e.pod as usize)
    }

    fn pod_index(&mut self, name: &str) -> u16 {
        let name = crate::text::clean(name);
        let name = name.as_ref();
        if let Some(i) = self.pods.iter().position(|p| p.name == name) {
            return i as u16;
        }
        if self.pods.len() >= u16::MAX as usize - 1 {
            return u16::MAX;
        }
        self.pods.push(PodInfo {
            name: name.to_owned(),
            suffix: name.to_owned(),
            colour: pod_colour(name),
            container: String::new(),
            containers: Vec::new(),
            state: PodState::Waiting,
        });
        let names: Vec<&str> = self.pods.iter().map(|p| p.name.as_str()).collect();
        let suffixes = suffixes(&names);
        for (p, s) in self.pods.iter_mut().zip(suffixes) {
            p.suffix = s;
        }
        (self.pods.len() - 1) as u16
    }

    /// Appends one pod's lines: stack-trace lines join the entry before them, the rest are
    /// merged by kubelet time; the cap evicts from the front.
    pub fn append(&mut self, pod: &str, lines: Vec<LogLine>) {
        let idx = self.pod_index(pod);
        for line in lines {
            self.append_one(idx, line);
        }
        self.enforce_cap();
    }

    fn append_one(&mut self, pod: u16, line: LogLine) {
        self.appended += 1;
        self.lines += 1;
        if line.kind == LineKind::Log
            && line.level.is_none()
            && line.app_time.is_none()
            && ingest::is_continuation(&line.message)
            && let Some(head) = self
                .entries
                .iter_mut()
                .rev()
                .take(64)
                .find(|e| e.pod == pod)
            && head.line.kind == LineKind::Log
            && head.line.cont.len() < MAX_CONT
        {
            self.bytes += line.message.len() + 24;
            head.line.cont.push(line.message);
            return;
        }
        self.bytes += line.weight();
        let entry = Entry {
            seq: self.next_seq,
            pod,
            line,
        };
        self.next_seq += 1;
        let pos = match entry.line.time {
            None => self.entries.len(),
            Some(t) => {
                let mut pos = self.entries.len();
                let floor = self.entries.len().saturating_sub(MERGE_WINDOW);
                while pos > floor {
                    match self.entries[pos - 1].line.time {
                        Some(prev) if prev > t => pos -= 1,
                        _ => break,
                    }
                }
                pos
            }
        };
        if pos == self.entries.len() {
            self.entries.push_back(entry);
        } else {
            self.entries.insert(pos, entry);
        }
    }

    fn enforce_cap(&mut self) {
        while (self.lines > self.cap || self.bytes > self.byte_cap) && self.entries.len() > 1 {
            let Some(e) = self.entries.pop_front() else {
                break;
            };
            let n = 1 + e.line.cont.len();
            self.lines = self.lines.saturating_sub(n);
            self.bytes = self.bytes.saturating_sub(e.line.weight());
            self.evicted += n as u64;
        }
    }

    pub fn marker(&mut self, pod: Option<&str>, text: String, error: bool) {
        let idx = match pod {
            Some(p) => self.pod_index(p),
            None => u16::MAX,
        };
        let mut line = LogLine::marker(text, error);
        // markers sort after what has arrived so far
        line.time = self.entries.back().and_then(|e| e.line.time);
        self.append_one(idx, line);
        self.enforce_cap();
    }

    /// The visible lines as text, oldest first (`:save`).
    pub fn export(&self, q: &Query) -> Vec<String> {
        let mut out = Vec::new();
        for e in self.entries.iter().filter(|e| self.visible(e, q)) {
            let pod = self.pod(e).map(|p| p.name.as_str()).unwrap_or("");
            out.push(format!("{pod} {}", e.line.plain(true)));
            out.extend(e.line.cont.iter().cloned());
        }
        out
    }
}

/// Starts following `target` (the lead calls this when a deployment or pod is selected).
pub fn follow(state: &mut State, target: LogTarget) -> Vec<Effect> {
    let cfg = &state.config.logs;
    state.logs.cap = cfg.buffer_lines.max(1);
    state.logs.opts = FollowOptions {
        tail_lines: cfg.tail_lines as i64,
        ..FollowOptions::default()
    };
    state.logs.target = Some(target);
    restart(state)
}

/// (Re)starts the stream with the current options: a new stream number, an empty buffer.
pub fn restart(state: &mut State) -> Vec<Effect> {
    let Some(target) = state.logs.target.clone() else {
        return Vec::new();
    };
    let d = &mut state.logs;
    d.stream += 1;
    d.entries.clear();
    d.lines = 0;
    d.bytes = 0;
    d.appended = 0;
    d.evicted = 0;
    d.pods.clear();
    d.paused = None;
    d.detail = false;
    d.forbidden = None;
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

fn set_live(state: &mut State) {
    state
        .sources
        .insert(SourceId::Logs, SourceStatus::streaming(state.now));
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
        }
        kind => {
            let mut line = ingest::parse_line(out.text.as_bytes());
            // a structured line's own time, else when the console read it
            line.time = line.time.or(Some(out.at));
            if kind == OutputKind::Stderr && line.level.is_none() {
                line.component = Some("stderr".into());
            }
            state.logs.append(&source, vec![line]);
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
                Ok(n) => state.set_flash(FlashLevel::Info, format!("saved {n} lines to {path}")),
                Err(e) => state.set_flash(
                    FlashLevel::Error,
                    format!("cannot save to {path}: {}", crate::text::sanitize(&e)),
                ),
            }
        }
        LogsMsg::PodJoined {
            stream,
            pod,
            container,
            containers,
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
            if !state.logs.entries.is_empty() {
                set_live(state);
            }
        }
        LogsMsg::Lines { stream, pod, lines } => {
            if stale(stream) {
                return Vec::new();
            }
            state.logs.append(&pod, lines);
            let i = state.logs.pod_index(&pod) as usize;
            if let Some(p) = state.logs.pods.get_mut(i) {
                p.state = PodState::Streaming;
            }
            set_live(state);
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
            }
            if error
                && !state
                    .logs
                    .pods
                    .iter()
                    .any(|p| p.state == PodState::Streaming)
            {
                let last_ok = state.source(SourceId::Logs).and_then(|s| s.last_update());
                state.sources.insert(
                    SourceId::Logs,
                    SourceStatus::Failing {
                        error: format!("{pod}: {text}"),
                        since: state.now,
                        last_ok,
                    },
                );
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
            state
                .logs
                .marker(Some(&pod), format!("− {pod} ended: {reason}"), false);
            let i = state.logs.pod_index(&pod) as usize;
            if let Some(p) = state.logs.pods.get_mut(i) {
                p.state = PodState::Ended;
            }
        }
        LogsMsg::Forbidden { stream, message } => {
            if stale(stream) {
                return Vec::new();
            }
            log::error!("logs: {message}");
            let last_ok = state.source(SourceId::Logs).and_then(|s| s.last_update());
            state.logs.forbidden = Some(crate::text::sanitize(&message));
            state.sources.insert(
                SourceId::Logs,
                SourceStatus::Failing {
                    error: crate::text::sanitize(&message),
                    since: state.now,
                    last_ok,
                },
            );
        }
    }
    Vec::new()
}

fn pause_at(d: &mut LogsData, pos: usize) {
    let Some(seq) = d.entries.get(pos).map(|e| e.seq) else {
        return;
    };
    let appended_at = d.paused.map_or(d.appended, |p| p.appended_at);
    d.paused = Some(Paused { seq, appended_at });
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
    pause_at(d, pos);
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
                pause_at(&mut state.logs, first);
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
                    pause_at(&mut state.logs, pos);
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
        Action::LogsTimestamps => d.timestamps = !d.timestamps,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_traces_stay_together_and_cap_holds() {
        let mut d = LogsData::with_cap(10);
        let lines: Vec<LogLine> = [
            "panic: boom",
            "goroutine 1 [running]:",
            "\tmain.go:1",
            "next",
        ]
        .iter()
        .map(|l| ingest::parse_line(l.as_bytes()))
        .collect();
        d.append("p", lines);
        assert_eq!(d.entries.len(), 2);
        assert_eq!(d.entries[0].line.cont.len(), 2);
        for i in 0..100 {
            d.append(
                "p",
                vec![ingest::parse_line(format!("line {i}").as_bytes())],
            );
        }
        assert!(d.lines <= 10);
    }
}
