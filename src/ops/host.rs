//! Host actions: a configured argv run without a shell. Placeholders are substituted only
//! where an argument is exactly `{deployment}`, `{namespace}`, `{context}` or `{revision}`,
//! so a hostile name stays one argument and is never parsed by anything.

use std::process::Stdio;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use tokio::io::BufReader;
use tokio::process::Command;

use crate::config::HostAction;
use crate::sources::pipe::{Lines, MAX_LINE};

use super::model::Placeholders;
use super::model::{HostOutput, OutputKind};
use super::{Executor, Plan};

/// The argv after substitution: whole arguments only.
pub fn argv(action: &HostAction, p: &Placeholders) -> Vec<String> {
    action
        .command
        .iter()
        .map(|arg| match arg.as_str() {
            "{deployment}" => p.deployment.clone(),
            "{namespace}" => p.namespace.clone(),
            "{context}" => p.context.clone(),
            "{revision}" => p.revision.clone(),
            other => other.to_owned(),
        })
        .collect()
}

/// After the timeout's SIGTERM, how long the action's process group has to exit before
/// SIGKILL.
pub const KILL_GRACE: Duration = Duration::from_secs(5);

/// How a host action ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostExit {
    Code(i32),
    Signal,
    /// The timeout (seconds) passed: its process group got SIGTERM and, if anything of it
    /// outlived [`KILL_GRACE`], SIGKILL (`killed` is then true).
    TimedOut {
        secs: u64,
        killed: bool,
    },
    /// The leader exited in time (`code`, `None` for a signal, after `leader_ran`), but a
    /// process it started still held its output at the timeout (seconds): the group was
    /// ended as for [`HostExit::TimedOut`].
    Lingered {
        code: Option<i32>,
        leader_ran: Duration,
        secs: u64,
        killed: bool,
    },
}

/// A host action's end and how long it ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostEnd {
    pub exit: HostExit,
    pub ran: Duration,
}

/// Runs the action in a process group of its own; every output line goes to `line`
/// (stdout and stderr apart). At the timeout the whole group is ended, not only the direct
/// child: a script that started `kubectl` in the background must not go on after the
/// console said it stopped.
pub async fn run(
    action: &HostAction,
    p: &Placeholders,
    line: &(dyn Fn(HostOutput) + Send + Sync),
) -> Result<HostEnd, String> {
    let argv = argv(action, p);
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| format!("host action `{}` has an empty command", action.name))?;
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // its own group (pgid = its pid), so the timeout can signal everything it started
        .process_group(0)
        .kill_on_drop(true);
    if let Some(dir) = &action.cwd {
        cmd.current_dir(dir);
    }
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start `{program}`: {e}"))?;
    let group = child.id().and_then(|id| i32::try_from(id).ok());
    // kill_on_drop ends the leader only: if this future is abandoned (the console quits),
    // the rest of the group goes too
    let mut group_guard = crate::sources::group::KillOnDrop::new(&child);
    if let Some(pgid) = group {
        super::inflight::note_group(pgid);
    }
    let out = child.stdout.take();
    let err = child.stderr.take();
    let name = action.name.clone();
    let leader = std::sync::OnceLock::new();
    let pump = async {
        let o = async {
            if let Some(o) = out {
                // bytes, bounded, to the end: see sources::pipe
                let mut lines = Lines::new(BufReader::new(o), MAX_LINE);
                while let Some(l) = lines.next_line().await {
                    line(HostOutput {
                        action: name.clone(),
                        kind: OutputKind::Stdout,
                        text: l.text(),
                        at: Timestamp::now(),
                    });
                }
            }
        };
        let e = async {
            if let Some(e) = err {
                // bytes, bounded, to the end: see sources::pipe
                let mut lines = Lines::new(BufReader::new(e), MAX_LINE);
                while let Some(l) = lines.next_line().await {
                    line(HostOutput {
                        action: name.clone(),
                        kind: OutputKind::Stderr,
                        text: l.text(),
                        at: Timestamp::now(),
                    });
                }
            }
        };
        // the leader's end is noted as soon as it comes: its output may stay open in a
        // process it started, which is read on while it lives (until the timeout)
        let wait = async {
            let status = child.wait().await;
            if let Ok(s) = &status {
                let _ = leader.set((*s, started.elapsed()));
            }
            status
        };
        let (_, status) = tokio::join!(async { tokio::join!(o, e) }, wait);
        status
    };
    let limit = Duration::from_secs(action.timeout_secs.max(1));
    let ended = tokio::time::timeout(limit, pump).await;
    let exit = match ended {
        Ok(Ok(status)) => match status.code() {
            Some(c) => HostExit::Code(c),
            None => HostExit::Signal,
        },
        Ok(Err(e)) => return Err(format!("waiting for `{program}`: {e}")),
        Err(_) => {
            let killed = match group {
                Some(pgid) => end_group(pgid, &mut child).await,
                // no pid: it already exited and was reaped
                None => false,
            };
            match leader.get() {
                Some((status, leader_ran)) => HostExit::Lingered {
                    code: status.code(),
                    leader_ran: *leader_ran,
                    secs: action.timeout_secs,
                    killed,
                },
                None => HostExit::TimedOut {
                    secs: action.timeout_secs,
                    killed,
                },
            }
        }
    };
    // it ended, or its group was ended above: what it left running on its own (a daemon
    // with its output closed) is not ours to kill
    group_guard.disarm();
    Ok(HostEnd {
        exit,
        ran: started.elapsed(),
    })
}

/// `, SIGKILL 5s later` when the group needed it.
fn sigkill(killed: bool) -> String {
    if killed {
        format!(", SIGKILL {}s later", KILL_GRACE.as_secs())
    } else {
        String::new()
    }
}

/// SIGTERM to the whole group, then SIGKILL to whatever of it is still there after
/// [`KILL_GRACE`]. True when SIGKILL was needed.
async fn end_group(pgid: i32, child: &mut tokio::process::Child) -> bool {
    crate::sources::group::signal(pgid, libc::SIGTERM);
    let deadline = Instant::now() + KILL_GRACE;
    loop {
        // reap the leader if it exited, so it does not count as alive
        let _ = child.try_wait();
        if !crate::sources::group::alive(pgid) {
            return false;
        }
        if Instant::now() >= deadline {
            crate::sources::group::signal(pgid, libc::SIGKILL);
            let _ = child.wait().await;
            // SIGKILL is delivered asynchronously: report the end once the group is gone
            // (bounded, in case a process sits in uninterruptible sleep)
            let gone_by = Instant::now() + Duration::from_secs(2);
            while crate::sources::group::alive(pgid) && Instant::now() < gone_by {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl Executor {
    pub(super) fn plan_host(
        &self,
        plan: &mut Plan,
        action: &str,
        vars: &Placeholders,
    ) -> Result<(), String> {
        let a = self.host_action(action)?;
        plan.title = format!("Host action {action}");
        plan.before = format!("argv {:?}", argv(a, vars));
        plan.after = format!("timeout {}s", a.timeout_secs);
        Ok(())
    }

    pub(super) async fn run_host(
        &self,
        action: &str,
        vars: &Placeholders,
    ) -> Result<String, String> {
        let a = self.host_action(action)?.clone();
        self.run_host_action(&a, vars).await
    }

    /// Runs `a` (a `[[host_action]]`, or a service's restart or rollback) with its output
    /// and its end in the Logs pane; the message for the status line.
    pub(super) async fn run_host_action(
        &self,
        a: &HostAction,
        vars: &Placeholders,
    ) -> Result<String, String> {
        let action = a.name.as_str();
        let result = match run(a, vars, self.output.as_ref()).await {
            Ok(HostEnd { exit, ran }) => {
                let ran = format!("after {:.1}s", ran.as_secs_f64());
                match exit {
                    HostExit::Code(0) => Ok(format!("exit 0 {ran}")),
                    HostExit::Code(c) => Err(format!("exit {c} {ran}")),
                    HostExit::Signal => Err(format!("killed by a signal {ran}")),
                    HostExit::TimedOut { secs, killed } => Err(format!(
                        "timeout: its process group was ended {ran} (SIGTERM at {secs}s{})",
                        sigkill(killed)
                    )),
                    // the leader finished in time: never a "timeout" of the action
                    HostExit::Lingered {
                        code,
                        leader_ran,
                        secs,
                        killed,
                    } => Err(format!(
                        "{} after {:.1}s, but a process it started still held its output \
                         and was ended with its process group {ran} (SIGTERM at {secs}s{})",
                        code.map_or("killed by a signal".to_owned(), |c| format!("exit {c}")),
                        leader_ran.as_secs_f64(),
                        sigkill(killed)
                    )),
                }
            }
            Err(e) => Err(e),
        };
        // the end goes where the output went, then to the status line
        (self.output)(HostOutput {
            action: action.to_owned(),
            kind: OutputKind::Exit { ok: result.is_ok() },
            text: match &result {
                Ok(m) | Err(m) => m.clone(),
            },
            at: Timestamp::now(),
        });
        result
            .map(|m| format!("{action}: {m}"))
            .map_err(|m| format!("{action}: {m}"))
    }

    pub(super) fn host_action(&self, name: &str) -> Result<&HostAction, String> {
        self.host_actions
            .iter()
            .find(|a| a.name == name)
            .ok_or_else(|| format!("no host action named `{name}` in config.toml"))
    }
}
