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

/// Runs `cmd` (stdin and stderr closed) in a process group of its own and returns its
/// output, unless it takes longer than `bound`: then the group is killed and the answer
/// is `None`. For the small commands asked once at start-up (`tput colors`, `git
/// config`), which must never keep the console from starting.
pub fn output_within(
    mut cmd: std::process::Command,
    bound: std::time::Duration,
) -> Option<std::process::Output> {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .ok()?;
    let pgid = i32::try_from(child.id()).ok()?;
    let end = Instant::now() + bound;
    // read on a thread of its own, so a full pipe never stalls the child
    let (tx, rx) = std::sync::mpsc::channel();
    if let Some(mut out) = child.stdout.take() {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = (&mut out).take(1 << 20).read_to_end(&mut bytes);
            let _ = tx.send(bytes);
            // the rest is read and dropped, as `sources::pipe` does: a closed pipe would
            // kill the child with SIGPIPE
            let _ = std::io::copy(&mut out, &mut std::io::sink());
        });
    }
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < end => std::thread::sleep(Duration::from_millis(5)),
            _ => {
                signal(pgid, libc::SIGKILL);
                let _ = child.wait();
                return None;
            }
        }
    };
    // what it started may still hold the pipe: the bound holds for the reading too
    let stdout = rx
        .recv_timeout(end.saturating_duration_since(Instant::now()))
        .ok()?;
    Some(std::process::Output {
        status,
        stdout,
        stderr: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn output_within_answers_or_gives_up_at_the_bound() {
        let mut echo = std::process::Command::new("/bin/sh");
        echo.args(["-c", "echo 256"]);
        let out = output_within(echo, Duration::from_secs(10)).expect("an answer");
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "256");

        let mut hang = std::process::Command::new("/bin/sh");
        hang.args(["-c", "sleep 600"]);
        assert!(output_within(hang, Duration::from_millis(100)).is_none());
    }
}
