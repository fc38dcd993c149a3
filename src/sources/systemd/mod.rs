//! systemd services: each `[[service]]`'s state from `systemctl show` every interval, and
//! its journal (`journalctl -u UNIT -o json -f`) into the Logs pane.
//!
//! Commands run without a shell on our side: an argv, locally or through the system's
//! `ssh` client (its config, agent and known_hosts) with `BatchMode=yes`, so a missing key
//! fails at once instead of asking for a password. ssh joins the remote command's
//! arguments with spaces and the remote user's shell parses the result, so every remote
//! argument is single-quoted here ([`remote_quote`]); unit names and destinations are
//! validated besides (`config::hosts`), and the destination follows `--`, so it can never
//! be read as an option.

pub mod journal;
pub mod model;

pub use model::{JournalMsg, ServiceUpdate, UnitState};

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::io::BufReader;
use tokio::process::Command;

use crate::config::ServiceConfig;
use crate::sources::pipe;

/// How long one `systemctl show` (or `list_backups`) may take, ssh included.
pub const SHOW_TIMEOUT: Duration = Duration::from_secs(15);
/// Journal history shown when the follow starts.
pub const JOURNAL_LINES: u32 = 50;
/// The most of a command's output that is read.
const MAX_OUTPUT: usize = 1 << 20;

/// The ssh options: no prompt of any kind, a bounded connect.
pub const SSH_OPTIONS: [&str; 4] = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=5"];

/// `arg` single-quoted for a POSIX shell on the remote side (`'` becomes `'\''`): the
/// remote shell gives the program exactly `arg`, whatever it holds.
pub fn remote_quote(arg: &str) -> String {
    let safe = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c));
    if safe {
        return arg.to_owned();
    }
    format!("'{}'", arg.replace('\'', r"'\''"))
}

/// The argv that runs `argv` on `host`: itself for `local`, else through ssh with every
/// argument quoted for the remote shell.
pub fn on_host(host: &str, argv: &[String]) -> Vec<String> {
    if host == crate::config::hosts::LOCAL {
        return argv.to_vec();
    }
    let mut out: Vec<String> = std::iter::once("ssh".to_owned())
        .chain(SSH_OPTIONS.iter().map(|s| (*s).to_owned()))
        .chain(["--".to_owned(), host.to_owned()])
        .collect();
    out.extend(argv.iter().map(|a| remote_quote(a)));
    out
}

/// `systemctl show UNIT --property=…` on the service's host.
pub fn show_argv(s: &ServiceConfig) -> Vec<String> {
    on_host(
        &s.host,
        &[
            "systemctl".into(),
            "show".into(),
            s.unit.clone(),
            format!("--property={}", model::PROPERTIES),
        ],
    )
}

/// `journalctl -u UNIT -o json -f -n 50 --no-pager` on the service's host.
pub fn journal_argv(s: &ServiceConfig) -> Vec<String> {
    on_host(
        &s.host,
        &[
            "journalctl".into(),
            "-u".into(),
            s.unit.clone(),
            "-o".into(),
            "json".into(),
            "-f".into(),
            "-n".into(),
            JOURNAL_LINES.to_string(),
            "--no-pager".into(),
        ],
    )
}

/// The Logs pane's name for a service's journal.
pub fn journal_source(s: &ServiceConfig) -> String {
    format!("host/{}", s.label())
}

/// Runs `argv` to its end (stdout kept, bounded), with a timeout; the error names the
/// program, its exit status and the first line of its stderr.
pub async fn output(argv: &[String], timeout: Duration) -> Result<String, String> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| "empty command".to_owned())?;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start `{program}`: {e}"))?;
    let mut out = Vec::new();
    let mut err = Vec::new();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let run = async {
        let o = async {
            if let Some(o) = stdout {
                out = pipe::read_bounded(o, MAX_OUTPUT).await;
            }
        };
        let e = async {
            if let Some(e) = stderr {
                err = pipe::read_bounded(e, MAX_OUTPUT).await;
            }
        };
        tokio::join!(o, e);
        child.wait().await
    };
    let status = match tokio::time::timeout(timeout, run).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return Err(format!("waiting for `{program}`: {e}")),
        Err(_) => {
            return Err(format!(
                "`{program}` gave no answer in {}s",
                timeout.as_secs()
            ));
        }
    };
    if !status.success() {
        let why = String::from_utf8_lossy(&err);
        let first = why.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        let code = status
            .code()
            .map_or_else(|| "a signal".to_owned(), |c| format!("exit {c}"));
        return Err(crate::secret::redact(&crate::text::sanitize(&format!(
            "`{program}` failed ({code}){}{first}",
            if first.is_empty() { "" } else { ": " }
        )))
        .into_owned());
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// One read of the unit's state.
pub async fn show(s: &ServiceConfig) -> ServiceUpdate {
    let state = match output(&show_argv(s), SHOW_TIMEOUT).await {
        Ok(text) => UnitState::parse(&text),
        Err(e) => Err(e),
    };
    ServiceUpdate {
        service: s.label(),
        at: Timestamp::now(),
        state,
    }
}

/// The backups `list_backups` prints, one per line, newest first (blank lines and lines
/// with control characters skipped).
pub async fn list_backups(s: &ServiceConfig) -> Result<Vec<String>, String> {
    let argv = s
        .list_backups
        .as_ref()
        .ok_or_else(|| format!("service `{}` has no list_backups", s.label()))?;
    let text = output(&on_host(&s.host, argv), SHOW_TIMEOUT).await?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.chars().any(char::is_control))
        .map(str::to_owned)
        .collect())
}

pub type StateSink = Arc<dyn Fn(ServiceUpdate) -> bool + Send + Sync>;
pub type JournalSink = Arc<dyn Fn(JournalMsg) -> bool + Send + Sync>;

/// Polls every service's state on its interval and follows each journal (re-started
/// after it ends, at most every 5 s), until the sinks stop listening.
pub fn spawn_services(
    services: Vec<ServiceConfig>,
    state: StateSink,
    journal: JournalSink,
) -> Vec<tokio::task::AbortHandle> {
    let mut tasks = Vec::new();
    for s in services {
        let sink = state.clone();
        let svc = s.clone();
        tasks.push(
            tokio::spawn(async move {
                let interval = Duration::from_secs(svc.interval_secs.max(1));
                loop {
                    if !sink(show(&svc).await) {
                        return;
                    }
                    tokio::time::sleep(interval).await;
                }
            })
            .abort_handle(),
        );
        if s.journal {
            let sink = journal.clone();
            tasks.push(tokio::spawn(follow_journal(s, sink)).abort_handle());
        }
    }
    tasks
}

/// Follows the unit's journal; when journalctl (or ssh) ends, says so and starts again.
pub async fn follow_journal(s: ServiceConfig, sink: JournalSink) {
    let source = journal_source(&s);
    let argv = journal_argv(&s);
    loop {
        let why = match follow_once(&argv, &source, &sink).await {
            Ok(None) => return,
            Ok(Some(why)) | Err(why) => why,
        };
        if !sink(JournalMsg::Ended {
            source: source.clone(),
            why,
        }) {
            return;
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
}

/// `Ok(None)`: nobody listens; `Ok(Some(why))`: the follower ended.
async fn follow_once(
    argv: &[String],
    source: &str,
    sink: &JournalSink,
) -> Result<Option<String>, String> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| "empty command".to_owned())?;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start `{program}`: {e}"))?;
    let stderr = child.stderr.take();
    let errors = tokio::spawn(async move {
        let mut text = Vec::new();
        if let Some(e) = stderr {
            text = pipe::read_bounded(e, 64 << 10).await;
        }
        text
    });
    if let Some(out) = child.stdout.take() {
        let mut lines = pipe::Lines::new(BufReader::new(out), pipe::MAX_LINE);
        while let Some(raw) = lines.next_line().await {
            let line = journal::parse_journal(&raw.bytes);
            if !sink(JournalMsg::Line {
                source: source.to_owned(),
                line,
            }) {
                return Ok(None);
            }
        }
    }
    let status = child.wait().await.map_err(|e| e.to_string())?;
    let stderr = errors.await.unwrap_or_default();
    let first = String::from_utf8_lossy(&stderr)
        .lines()
        .find(|l| !l.trim().is_empty())
        .map(|l| format!(": {}", crate::text::sanitize(l)))
        .unwrap_or_default();
    Ok(Some(format!(
        "`{program}` ended ({}){first}",
        status
            .code()
            .map_or_else(|| "a signal".to_owned(), |c| format!("exit {c}"))
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_arguments_reach_the_program_whole() {
        assert_eq!(
            remote_quote("dgx-spark-mcp.service"),
            "dgx-spark-mcp.service"
        );
        assert_eq!(remote_quote("a b"), "'a b'");
        assert_eq!(remote_quote("x; reboot"), "'x; reboot'");
        assert_eq!(remote_quote("it's"), r"'it'\''s'");
        assert_eq!(remote_quote("$(id)"), "'$(id)'");
        assert_eq!(remote_quote(""), "''");
        let argv = on_host("ops@dgx", &["systemctl".into(), "a b".into()]);
        assert_eq!(
            argv,
            [
                "ssh",
                "-o",
                "BatchMode=yes",
                "-o",
                "ConnectTimeout=5",
                "--",
                "ops@dgx",
                "systemctl",
                "'a b'"
            ]
        );
    }

    #[test]
    fn systemctl_show_output_is_read() {
        let text = "Id=dgx-spark-mcp.service\nLoadState=loaded\nActiveState=active\nSubState=running\nResult=success\nNRestarts=4\nMainPID=4242\nExecMainStartTimestamp=Tue 2026-03-03 02:58:10 UTC\nMemoryCurrent=[not set]\nCPUUsageNSec=18446744073709551615\n";
        let s = UnitState::parse(text).expect("parses");
        assert_eq!((s.active.as_str(), s.sub.as_str()), ("active", "running"));
        assert_eq!((s.restarts, s.main_pid), (Some(4), Some(4242)));
        assert_eq!((s.memory_bytes, s.cpu_nsec), (None, None));
        assert!(UnitState::parse("garbage\n").is_err());
    }
}
