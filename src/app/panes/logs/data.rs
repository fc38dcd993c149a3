//! The logs pane's buffer: a ring of entries (a line plus its stack-trace continuation
//! lines) kept in kubelet-time order across pods, bounded by a line cap and a byte budget,
//! and the pods it has heard of (which of them are followed now). Pure: no I/O.

pub use crate::app::time_mode::TimeMode;
use std::collections::{BTreeMap, VecDeque};

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::query::Query;
use super::{LevelFilter, pod_colour, suffixes};
use crate::sources::logs::ingest;
use crate::sources::logs::model::{self, LineKind, LogLine};
use crate::sources::logs::{FollowOptions, LogTarget, ResumePoint};

/// Memory budget of the buffer, whatever the line cap: 50,000 lines of 64 KiB would be 3 GiB.
pub const BYTE_BUDGET: usize = 64 * 1024 * 1024;
/// How far back an out-of-order line is placed when merging pods by time.
const MERGE_WINDOW: usize = 4096;
/// A stack trace longer than this starts a new entry.
const MAX_CONT: usize = 2000;
/// How many followed objects keep their lines: the one shown and the last 7 left.
pub const MAX_OBJECTS: usize = 8;

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
    /// Heard of on an earlier visit of this object, not attached (yet) on this one.
    Idle,
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
    /// The last kubelet time stamp held from this pod, and how many lines carried it:
    /// where its stream resumes when the object is followed again.
    pub last: Option<ResumePoint>,
}

impl PodInfo {
    /// A host action's output (`host/NAME`) shares the pane but is not a pod.
    pub fn is_host(&self) -> bool {
        self.name.starts_with("host/")
    }
}

/// What the pod streams are doing, for the pane's header and the Logs source's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Streams {
    /// Nothing attached yet: connecting, or every followed container not started.
    Waiting,
    /// At least one stream is connected.
    Live,
    /// No stream connected, and some follower is retrying after a failure.
    Reconnecting,
    /// Every pod that was followed has ended; nobody is followed now.
    Ended,
}

/// An object's buffer kept while another one is shown (see [`LogsData::park`]).
#[derive(Debug, Clone)]
pub struct Parked {
    pub target: LogTarget,
    /// The scope generation it was followed in: another scope's object is not restored.
    pub generation: u64,
    pub entries: VecDeque<Entry>,
    pub lines: usize,
    pub bytes: usize,
    pub evicted: u64,
    pub pods: Vec<PodInfo>,
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
    pub timestamps: TimeMode,
    /// The local time zone (the system's; tests set one).
    pub tz: TimeZone,
    pub detail: bool,
    pub forbidden: Option<String>,
    /// The last time a stream delivered bytes or was (re)connected, as the source saw it:
    /// the Logs source's `updated`. Contact, never a timer.
    pub last_contact: Option<Timestamp>,
    /// The last failure a follower reported (sanitised), for the status while every
    /// follower is reconnecting.
    pub last_error: Option<String>,
    /// The pane filter as last compiled, and the text it was compiled from; see
    /// [`refresh_query`].
    pub(super) parsed: (String, Query),
    /// Objects followed earlier, oldest first, with their lines: the buffer cap counts
    /// them, and they lose lines before the object shown does.
    pub parked: VecDeque<Parked>,
    /// The context the object followed now was followed in (the scope's when it started).
    pub context: Option<String>,
    /// Lines kept from a scope the console has left, whose stream is stopped: whose they
    /// are (`switched away — lines from context X, namespace Y (checkout)`: what a cut
    /// keeps first). `None` while following.
    pub held: Option<String>,
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
            timestamps: TimeMode::Local,
            tz: TimeZone::system(),
            detail: false,
            forbidden: None,
            last_contact: None,
            last_error: None,
            parsed: (String::new(), Query::default()),
            parked: VecDeque::new(),
            context: None,
            held: None,
        }
    }
}

impl LogsData {
    /// Pauses at the entry at `pos`: the view stays on it while lines keep arriving.
    pub(super) fn pause_at(&mut self, pos: usize) {
        let Some(seq) = self.entries.get(pos).map(|e| e.seq) else {
            return;
        };
        let appended_at = self.paused.map_or(self.appended, |p| p.appended_at);
        self.paused = Some(Paused { seq, appended_at });
    }

    pub fn with_cap(cap: usize) -> LogsData {
        LogsData {
            cap: cap.max(1),
            ..LogsData::default()
        }
    }

    /// Is the entry shown under the level filter and the include/exclude regexes?
    pub fn visible(&self, e: &Entry, q: &Query) -> bool {
        if e.line.kind != LineKind::Log {
            // markers (joined, ended, reconnecting) show unless only matching lines or
            // levels above info were asked for
            return q.include.is_empty() && self.level == LevelFilter::All;
        }
        self.level.admits(e.line.level)
            && q.include.iter().all(|re| Query::is_match(re, &e.line))
            && !q.exclude.iter().any(|re| Query::is_match(re, &e.line))
    }

    /// Has any pod printed anything yet (markers aside)?
    pub fn has_output(&self) -> bool {
        self.entries.iter().any(|e| e.line.kind == LineKind::Log)
    }

    /// The pods followed now (not ended, not a host action), in the order they were first
    /// heard of: the header's legend, and the title's count. One list for both, so they
    /// cannot disagree.
    pub fn following(&self) -> impl Iterator<Item = &PodInfo> {
        self.pods
            .iter()
            .filter(|p| !matches!(p.state, PodState::Ended | PodState::Idle) && !p.is_host())
    }

    /// The pods whose log stream is attached now: the title's count.
    pub fn streaming(&self) -> usize {
        self.following()
            .filter(|p| p.state == PodState::Streaming)
            .count()
    }

    /// The zone the time column is in, said once in the header: `UTC`, the local zone's
    /// abbreviation (`CET`), or its offset (`UTC+01`) where it has none; `None` when the
    /// column is off.
    pub fn zone_label(&self, now: Timestamp) -> Option<String> {
        match self.timestamps {
            TimeMode::Off => None,
            TimeMode::Utc => Some("UTC".into()),
            TimeMode::Local => {
                let z = now.to_zoned(self.tz.clone());
                let abbr = z.strftime("%Z").to_string();
                if abbr.starts_with(['+', '-']) || abbr.is_empty() {
                    let off = z.offset().seconds();
                    let (sign, off) = if off < 0 { ('-', -off) } else { ('+', off) };
                    let (h, m) = (off / 3600, off % 3600 / 60);
                    Some(if m == 0 {
                        format!("UTC{sign}{h:02}")
                    } else {
                        format!("UTC{sign}{h:02}:{m:02}")
                    })
                } else {
                    Some(abbr)
                }
            }
        }
    }

    /// The time column's text for a line, in the chosen zone; `None` when it is off.
    pub fn clock(&self, line: &LogLine) -> Option<String> {
        let tz = match self.timestamps {
            TimeMode::Off => return None,
            TimeMode::Utc => TimeZone::UTC,
            TimeMode::Local => self.tz.clone(),
        };
        Some(match line.shown_time() {
            Some(t) => model::clock(t, &tz),
            None => " ".repeat(model::CLOCK_WIDTH),
        })
    }

    /// Lines held for objects not shown now.
    pub fn parked_lines(&self) -> usize {
        self.parked.iter().map(|p| p.lines).sum()
    }

    pub fn streams(&self) -> Streams {
        let (mut any, mut live, mut retrying) = (false, false, false);
        for p in self.following() {
            any = true;
            match p.state {
                PodState::Streaming => live = true,
                PodState::Retrying => retrying = true,
                _ => {}
            }
        }
        if live {
            Streams::Live
        } else if retrying {
            Streams::Reconnecting
        } else if !any
            && self
                .pods
                .iter()
                .any(|p| !p.is_host() && p.state == PodState::Ended)
        {
            Streams::Ended
        } else {
            Streams::Waiting
        }
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
            // the selected entry, or the nearest visible one above it when a filter
            // hides it now
            Some(p) => match self.position_of(p.seq) {
                Some(pos) if self.visible(&self.entries[pos], q) => Some(pos),
                Some(pos) => self
                    .prev_visible(pos, q)
                    .or_else(|| self.next_visible(pos, q)),
                None => self.next_visible(0, q).or_else(|| {
                    self.entries
                        .front()
                        .filter(|e| self.visible(e, q))
                        .map(|_| 0)
                }),
            },
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

    pub(crate) fn pod_index(&mut self, name: &str) -> u16 {
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
            last: None,
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
        let n = 1 + line.cont.len();
        self.appended += n as u64;
        self.lines += n;
        if line.kind == LineKind::Log
            && let Some(t) = line.time
            && let Some(p) = self.pods.get_mut(pod as usize)
        {
            p.last = match p.last {
                Some(r) if r.time == t => Some(ResumePoint {
                    time: t,
                    seen: r.seen + 1,
                }),
                Some(r) if r.time > t => Some(r),
                _ => Some(ResumePoint { time: t, seen: 1 }),
            };
        }
        // a Python traceback continues an error line (`logger.exception`); after any
        // other line it starts its own record
        let traceback = line.message.starts_with("Traceback (");
        if line.kind == LineKind::Log
            && (line.level.is_none() || traceback)
            && line.app_time.is_none()
            && ingest::is_continuation(&line.message)
            && let Some(head) = self
                .entries
                .iter_mut()
                .rev()
                .take(64)
                .find(|e| e.pod == pod)
            && head.line.kind == LineKind::Log
            && (!traceback || head.line.level == Some(log::Level::Error))
            && head.line.cont.len() + n <= MAX_CONT
        {
            self.bytes += line.message.len() + 24;
            head.line.cont.push(line.message);
            for c in line.cont {
                self.bytes += c.len() + 24;
                head.line.cont.push(c);
            }
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
        // the objects not shown lose their lines first, the one left longest ago first
        while self.lines + self.parked_lines() > self.cap
            || self.bytes + self.parked.iter().map(|p| p.bytes).sum::<usize>() > self.byte_cap
        {
            let Some(oldest) = self.parked.front_mut() else {
                break;
            };
            match oldest.entries.pop_front() {
                Some(e) => {
                    let n = 1 + e.line.cont.len();
                    oldest.lines = oldest.lines.saturating_sub(n);
                    oldest.bytes = oldest.bytes.saturating_sub(e.line.weight());
                    oldest.evicted += n as u64;
                }
                None => {
                    self.parked.pop_front();
                }
            }
            if self.parked.front().is_some_and(|p| p.entries.is_empty()) {
                self.parked.pop_front();
            }
        }
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

    /// Keeps the object shown now (its lines and pods) aside, for [`LogsData::unpark`] when
    /// it is followed again; at most [`MAX_OBJECTS`] objects are kept, the one left longest
    /// ago dropped first. A `previous` or other-container view is not kept.
    pub fn park(&mut self, generation: u64) {
        let Some(target) = self.target.clone() else {
            return;
        };
        if self.opts.previous || self.opts.container.is_some() || self.entries.is_empty() {
            return;
        }
        self.parked.retain(|p| p.target != target);
        let mut pods = std::mem::take(&mut self.pods);
        for p in &mut pods {
            if !p.is_host() && p.state != PodState::Ended {
                p.state = PodState::Idle;
            }
        }
        self.parked.push_back(Parked {
            target,
            generation,
            entries: std::mem::take(&mut self.entries),
            lines: std::mem::replace(&mut self.lines, 0),
            bytes: std::mem::replace(&mut self.bytes, 0),
            evicted: std::mem::replace(&mut self.evicted, 0),
            pods,
        });
        while self.parked.len() >= MAX_OBJECTS {
            self.parked.pop_front();
        }
    }

    /// Brings back the lines kept for `target` (followed in scope `generation`): returns
    /// where each of its pods' streams resumes, or `None` when nothing was kept.
    pub fn unpark(
        &mut self,
        target: &LogTarget,
        generation: u64,
    ) -> Option<BTreeMap<String, ResumePoint>> {
        let i = self
            .parked
            .iter()
            .position(|p| p.target == *target && p.generation == generation)?;
        let p = self.parked.remove(i)?;
        self.entries = p.entries;
        self.lines = p.lines;
        self.bytes = p.bytes;
        self.evicted = p.evicted;
        self.pods = p.pods;
        Some(
            self.pods
                .iter()
                .filter(|p| !p.is_host())
                .filter_map(|p| p.last.map(|r| (p.name.clone(), r)))
                .collect(),
        )
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
