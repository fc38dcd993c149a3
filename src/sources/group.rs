//! Process groups: a child started with `process_group(0)` leads a group of its own, and
//! what it starts stays in it. Ending the child alone (tokio's `kill_on_drop`) leaves the
//! rest running; these end the whole group.

/// Sends `signal` to every process of group `pgid`.
pub fn signal(pgid: i32, signal: i32) {
    if pgid <= 1 {
        return;
    }
    // SAFETY: killpg only sends a signal; pgid is a group one of our children leads.
    unsafe {
        libc::killpg(pgid, signal);
    }
}

/// Whether any process of the group still runs (zombies, which run nothing, do not count).
pub fn alive(pgid: i32) -> bool {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        // no /proc: ask the kernel, which counts zombies too (erring on the side of SIGKILL)
        // SAFETY: signal 0 only checks that the group exists.
        return unsafe { libc::killpg(pgid, 0) } == 0;
    };
    dir.flatten().any(|e| {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            return false;
        };
        // fields after the command name (which may hold spaces and parentheses)
        let Some((_, rest)) = stat.rsplit_once(") ") else {
            return false;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // state is field 3 of stat, pgrp field 5: here indexes 0 and 2
        fields.first().is_some_and(|s| *s != "Z")
            && fields.get(2).and_then(|g| g.parse::<i32>().ok()) == Some(pgid)
    })
}

/// SIGKILLs its group when dropped — when the future that waits on the child is
/// abandoned (a timeout, the console quitting) — unless [`KillOnDrop::disarm`]ed.
pub struct KillOnDrop(Option<i32>);

impl KillOnDrop {
    /// A guard for the group `child` leads (none when it has no pid any more).
    pub fn new(child: &tokio::process::Child) -> KillOnDrop {
        KillOnDrop(child.id().and_then(|id| i32::try_from(id).ok()))
    }

    /// The child ended on its own: leave the group be.
    pub fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(pgid) = self.0 {
            signal(pgid, libc::SIGKILL);
        }
    }
}
