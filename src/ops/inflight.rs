//! Operations in flight, so that quitting loses none of them: each one's intent line and
//! outcome line are written under one lock with the quit's bookkeeping, so every intent
//! gets exactly one outcome — the operation's own if it ends in time, else `unknown`,
//! written by [`InFlight::end_at_quit`] — and no operation starts once the console quits.
//! Host actions note their process group here, so that quitting ends everything they
//! started (SIGTERM, then SIGKILL), not only the process tokio knows.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use jiff::Timestamp;

use super::audit::{self, AuditLog, AuditRecord, Phase};

/// At quit: how long a running operation may go on to end by itself.
pub const QUIT_WAIT: Duration = Duration::from_millis(400);
/// At quit, after SIGTERM to a host action's process group: how long before SIGKILL.
pub const QUIT_GRACE: Duration = Duration::from_millis(300);

/// Shared by an executor and its clones.
#[derive(Clone, Default)]
pub struct InFlight(Arc<Mutex<Inner>>);

#[derive(Default)]
struct Inner {
    next: u64,
    quitting: bool,
    ops: HashMap<u64, Running>,
}

struct Running {
    /// The intent line (its id is the outcome's).
    record: AuditRecord,
    audit: AuditLog,
    started: Instant,
    /// Process groups its host actions lead.
    groups: Vec<i32>,
}

/// An operation's place in [`InFlight`], for the task that runs it.
#[derive(Clone)]
pub struct Slot {
    ops: InFlight,
    id: u64,
}

tokio::task_local! {
    /// The operation the current task runs (host actions note their group in it).
    static CURRENT: Slot;
}

impl InFlight {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // a panic elsewhere while it was held leaves plain data: go on with it
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Writes `record`'s intent line and notes the operation as running; refused (an
    /// error, nothing written) once the console quits.
    pub fn begin(&self, audit: &AuditLog, record: &AuditRecord) -> Result<Slot, String> {
        let mut inner = self.lock();
        if inner.quitting {
            return Err("the console is quitting".into());
        }
        audit
            .append(record)
            .map_err(|e| format!("audit log not writable: {e}"))?;
        inner.next += 1;
        let id = inner.next;
        inner.ops.insert(
            id,
            Running {
                record: record.clone(),
                audit: audit.clone(),
                started: Instant::now(),
                groups: Vec::new(),
            },
        );
        Ok(Slot {
            ops: self.clone(),
            id,
        })
    }

    /// Ends everything still running, before the console exits: each operation has
    /// [`QUIT_WAIT`] to end by itself (its own outcome line); then every host action's
    /// process group gets SIGTERM and, after [`QUIT_GRACE`], SIGKILL; an operation that
    /// still has not ended gets an `unknown: console quit` outcome line. How many did.
    pub async fn end_at_quit(&self) -> usize {
        self.lock().quitting = true;
        if self.wait_until_idle(QUIT_WAIT).await {
            return 0;
        }
        for pgid in self.groups() {
            crate::sources::group::signal(pgid, libc::SIGTERM);
        }
        if self.wait_until_idle(QUIT_GRACE).await {
            return 0;
        }
        let left: Vec<Running> = {
            let mut inner = self.lock();
            inner.ops.drain().map(|(_, r)| r).collect()
        };
        for r in &left {
            for pgid in &r.groups {
                crate::sources::group::signal(*pgid, libc::SIGKILL);
            }
            let mut record = r.record.clone();
            record.phase = Phase::Outcome;
            record.time = Timestamp::now().to_string();
            record.status = Some(audit::status::UNKNOWN.into());
            record.duration_ms =
                Some(u64::try_from(r.started.elapsed().as_millis()).unwrap_or(u64::MAX));
            record.error = Some(if r.groups.is_empty() {
                "unknown: console quit before the operation ended; look at the object before trying again".into()
            } else {
                "unknown: console quit while it ran; its process group was sent SIGTERM, then SIGKILL".into()
            });
            if let Err(e) = r.audit.append(&record) {
                log::error!("the outcome line was not written to the audit log: {e}");
            }
        }
        left.len()
    }

    fn groups(&self) -> Vec<i32> {
        self.lock()
            .ops
            .values()
            .flat_map(|r| r.groups.iter().copied())
            .collect()
    }

    /// Polls (bounded) until no operation runs; whether none does.
    async fn wait_until_idle(&self, bound: Duration) -> bool {
        let end = Instant::now() + bound;
        loop {
            if self.lock().ops.is_empty() {
                return true;
            }
            if Instant::now() >= end {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Slot {
    /// Runs `work` as this operation's (host actions started in it note their group).
    pub async fn scope<T>(&self, work: impl std::future::Future<Output = T>) -> T {
        CURRENT.scope(self.clone(), work).await
    }

    /// Writes the outcome line unless the quit already wrote one (then false, nothing
    /// written). A quit that waits for this operation sees it ended only once the line
    /// is on disk.
    pub fn finish(&self, record: &mut AuditRecord, audit: &AuditLog) -> Result<bool, String> {
        let mut inner = self.ops.lock();
        if inner.ops.remove(&self.id).is_none() {
            return Ok(false);
        }
        if inner.quitting {
            let note = "the console was quitting";
            match &mut record.error {
                Some(e) => *e = format!("{e} ({note})"),
                None => record.result = record.result.take().map(|r| format!("{r} ({note})")),
            }
        }
        audit.append(record).map(|()| true)
    }
}

/// Notes a process group the current operation's host action leads (nothing outside an
/// operation, as in `host::run` called directly).
pub fn note_group(pgid: i32) {
    let _ = CURRENT.try_with(|slot| {
        if let Some(r) = slot.ops.lock().ops.get_mut(&slot.id) {
            r.groups.push(pgid);
        }
    });
}
