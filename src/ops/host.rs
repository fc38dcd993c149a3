//! Host actions: a configured argv run without a shell. Placeholders are substituted only
//! where an argument is exactly `{deployment}`, `{namespace}`, `{context}` or `{revision}`,
//! so a hostile name stays one argument and is never parsed by anything.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::config::HostAction;

use super::{Executor, Plan};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Placeholders {
    pub deployment: String,
    pub namespace: String,
    pub context: String,
    pub revision: String,
}

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

/// How a host action ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostExit {
    Code(i32),
    Signal,
    TimedOut(u64),
}

/// One line of a host action's output, or its end, for the logs pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostOutput {
    /// The `[[host_action]]` name.
    pub action: String,
    pub kind: OutputKind,
    /// The line as printed (not yet sanitized: the logs pane does that, as for pod logs).
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputKind {
    Stdout,
    Stderr,
    /// The action ended; `text` says how (exit status, signal, timeout).
    Exit {
        ok: bool,
    },
}

impl HostOutput {
    /// The line as the console's own log shows it.
    pub fn tagged(&self) -> String {
        let text = crate::text::sanitize(&self.text);
        match self.kind {
            OutputKind::Stdout => format!("[{}] {text}", self.action),
            OutputKind::Stderr => format!("[{} stderr] {text}", self.action),
            OutputKind::Exit { .. } => format!("[{}] {text}", self.action),
        }
    }
}

/// Runs the action; every output line goes to `line` (stdout and stderr apart).
pub async fn run(
    action: &HostAction,
    p: &Placeholders,
    line: &(dyn Fn(HostOutput) + Send + Sync),
) -> Result<HostExit, String> {
    let argv = argv(action, p);
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| format!("host action `{}` has an empty command", action.name))?;
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(dir) = &action.cwd {
        cmd.current_dir(dir);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start `{program}`: {e}"))?;
    let out = child.stdout.take();
    let err = child.stderr.take();
    let name = action.name.clone();
    let pump = async {
        let o = async {
            if let Some(o) = out {
                let mut lines = BufReader::new(o).lines();
                while let Ok(Some(l)) = lines.next_line().await {
                    line(HostOutput {
                        action: name.clone(),
                        kind: OutputKind::Stdout,
                        text: l,
                    });
                }
            }
        };
        let e = async {
            if let Some(e) = err {
                let mut lines = BufReader::new(e).lines();
                while let Ok(Some(l)) = lines.next_line().await {
                    line(HostOutput {
                        action: name.clone(),
                        kind: OutputKind::Stderr,
                        text: l,
                    });
                }
            }
        };
        tokio::join!(o, e);
        child.wait().await
    };
    let limit = Duration::from_secs(action.timeout_secs.max(1));
    match tokio::time::timeout(limit, pump).await {
        Ok(Ok(status)) => Ok(match status.code() {
            Some(c) => HostExit::Code(c),
            None => HostExit::Signal,
        }),
        Ok(Err(e)) => Err(format!("waiting for `{program}`: {e}")),
        // dropping the future drops the child: kill_on_drop kills it
        Err(_) => Ok(HostExit::TimedOut(action.timeout_secs)),
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
        let result = match run(&a, vars, self.output.as_ref()).await {
            Ok(HostExit::Code(0)) => Ok("exit 0".to_owned()),
            Ok(HostExit::Code(c)) => Err(format!("exit {c}")),
            Ok(HostExit::Signal) => Err("killed by a signal".to_owned()),
            Ok(HostExit::TimedOut(s)) => Err(format!("killed after the {s}s timeout")),
            Err(e) => Err(e),
        };
        // the end goes where the output went, then to the status line
        (self.output)(HostOutput {
            action: action.to_owned(),
            kind: OutputKind::Exit { ok: result.is_ok() },
            text: match &result {
                Ok(m) | Err(m) => m.clone(),
            },
        });
        result
            .map(|m| format!("{action}: {m}"))
            .map_err(|m| format!("{action}: {m}"))
    }

    fn host_action(&self, name: &str) -> Result<&HostAction, String> {
        self.host_actions
            .iter()
            .find(|a| a.name == name)
            .ok_or_else(|| format!("no host action named `{name}` in config.toml"))
    }
}
