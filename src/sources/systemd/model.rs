//! The systemd source's plain data: a unit's state from `systemctl show`
//! ([`ServiceUpdate`]) and its journal's lines ([`JournalMsg`]).

use jiff::Timestamp;

use crate::sources::logs::model::LogLine;

/// The properties asked of `systemctl show` (memory and CPU only where accounting is on).
pub const PROPERTIES: &str = "Id,LoadState,ActiveState,SubState,Result,NRestarts,MainPID,ExecMainStartTimestamp,MemoryCurrent,CPUUsageNSec";

/// A unit's state, as `systemctl show` says it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitState {
    pub load: String,
    pub active: String,
    pub sub: String,
    pub result: String,
    pub restarts: Option<u64>,
    /// None when the unit runs no main process (`MainPID=0`).
    pub main_pid: Option<u32>,
    /// `ExecMainStartTimestamp` as systemd prints it (`Tue 2026-03-03 02:58:10 UTC`).
    pub started: Option<String>,
    pub memory_bytes: Option<u64>,
    pub cpu_nsec: Option<u64>,
}

impl UnitState {
    /// Parses `systemctl show` output (`Key=Value` lines). Accounting that is off reads
    /// `[not set]` or the all-ones "infinity"; both are `None`.
    pub fn parse(text: &str) -> Result<UnitState, String> {
        let mut s = UnitState::default();
        let number = |v: &str| {
            v.parse::<u64>()
                .ok()
                .filter(|n| *n != u64::MAX && !v.is_empty())
        };
        let mut seen = false;
        for line in text.lines() {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            seen = true;
            let value = value.trim();
            match key.trim() {
                "LoadState" => s.load = value.to_owned(),
                "ActiveState" => s.active = value.to_owned(),
                "SubState" => s.sub = value.to_owned(),
                "Result" => s.result = value.to_owned(),
                "NRestarts" => s.restarts = number(value),
                "MainPID" => {
                    s.main_pid = value.parse::<u32>().ok().filter(|p| *p != 0);
                }
                "ExecMainStartTimestamp" => {
                    s.started = Some(value.to_owned()).filter(|v| !v.is_empty() && v != "n/a");
                }
                "MemoryCurrent" => s.memory_bytes = number(value),
                "CPUUsageNSec" => s.cpu_nsec = number(value),
                _ => {}
            }
        }
        if !seen || s.active.is_empty() {
            return Err("systemctl show printed no ActiveState".into());
        }
        Ok(s)
    }

    /// Failed, or not found: the service is not serving.
    pub fn is_failing(&self) -> bool {
        self.active == "failed" || self.load == "not-found"
    }
}

/// One poll of one `[[service]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceUpdate {
    /// The service's label (`UNIT`, or `HOST/UNIT` on an SSH destination).
    pub service: String,
    pub at: Timestamp,
    /// The state, or why it could not be read (ssh failed, no systemctl …).
    pub state: Result<UnitState, String>,
}

/// A journal line of a unit, or the journal's follower ending (then retried).
#[derive(Debug, Clone, PartialEq)]
pub enum JournalMsg {
    Line {
        /// The Logs pane's name for it: `host/UNIT` (`host/HOST/UNIT` over SSH).
        source: String,
        line: LogLine,
    },
    Ended {
        source: String,
        why: String,
    },
}
