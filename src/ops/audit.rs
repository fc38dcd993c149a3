//! The audit log: JSON lines, appended, flushed and fsynced. Every operation the executor
//! is asked to run leaves either one `refusal` line (read-only, a refused plan, invalid
//! input, no audit log) or an `intent` line, synced *before* the request is sent, and an
//! `outcome` line after it; intent and outcome share an `id`. Only names, revisions,
//! resourceVersions, images, replica counts, identities and messages go in; never tokens,
//! kubeconfigs or environment. The file is created 0600, its directory 0700.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Which of an operation's lines this is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Synced before the request is sent: the operation is about to run.
    Intent,
    /// How it ended (lines written before phases existed read as outcomes).
    #[default]
    Outcome,
    /// Refused before anything was sent; nothing was changed.
    Refusal,
}

/// How an outcome or refusal ended (`status`).
pub mod status {
    pub const OK: &str = "ok";
    pub const FAILED: &str = "failed";
    /// The server answered 409: the object changed since the confirmation.
    pub const CONFLICT: &str = "conflict";
    pub const REFUSED: &str = "refused";
    /// The console quit before the operation ended: whether it took effect is not known.
    pub const UNKNOWN: &str = "unknown";
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditRecord {
    pub time: String,
    /// Shared by an operation's intent and outcome.
    pub id: String,
    pub phase: Phase,
    pub operation: String,
    /// kind/name: `deployment/checkout`, `service/checkout`, `horizontalpodautoscaler/NAME`,
    /// `github-run/123`, `host-action/NAME`.
    pub object: String,
    /// The name as the console showed it (`checkout`, `release #12`, `NAME (deployment)`).
    pub target: String,
    pub context: String,
    pub namespace: String,
    /// The local user running the console.
    pub user: String,
    /// Who the cluster says we are (SelfSubjectReview), else the kubeconfig user, else
    /// `unknown (why)`; cluster operations only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_user: Option<String>,
    /// The GitHub login of the token (`GET /user`); GitHub operations only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub github_login: Option<String>,
    pub before: String,
    pub after: String,
    /// Outcome and refusal: one of [`status`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// What the operation says it did (success).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// Why it failed or was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// After a rollback, the revision the cluster created for it (read back after the
    /// controller ran: what `kubectl rollout history` shows as the newest).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// After a rollback, the revision whose pod template was copied (`--to-revision`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_revision: Option<String>,
    /// The object's resourceVersion in the server's answer to the change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_version: Option<String>,
    /// A GitHub run's state read back after the operation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_state: Option<String>,
    /// How long the request took (outcome).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct AuditLog {
    path: Option<PathBuf>,
}

impl AuditLog {
    /// `audit.jsonl` in the data dir.
    pub fn default_path() -> Option<PathBuf> {
        crate::config::data_dir().map(|d| d.join("audit.jsonl"))
    }

    pub fn at(path: impl Into<PathBuf>) -> AuditLog {
        AuditLog {
            path: Some(path.into()),
        }
    }

    /// No data dir: there is nowhere to write, so every operation is refused.
    pub fn nowhere() -> AuditLog {
        AuditLog { path: None }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Appends one line and syncs it to disk. A new file is created 0600 (a new directory
    /// 0700); an existing file readable by others is narrowed to 0600.
    pub fn append(&self, record: &AuditRecord) -> Result<(), String> {
        let path = self
            .path
            .as_ref()
            .ok_or_else(|| "no data directory for the audit log".to_owned())?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        // escaped: `cat audit.jsonl` must not let a hostile name reorder or hide text
        let mut line = crate::text::escape_json_hazards(
            &serde_json::to_string(record).map_err(|e| e.to_string())?,
        );
        line.push('\n');
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        if let Ok(meta) = file.metadata()
            && meta.permissions().mode() & 0o077 != 0
        {
            // best effort: a file of someone else's stays as it is
            let _ = file.set_permissions(std::fs::Permissions::from_mode(0o600));
        }
        file.write_all(line.as_bytes())
            .and_then(|()| file.flush())
            .and_then(|()| file.sync_all())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    /// The newest `limit` records, oldest first; unreadable lines are skipped.
    pub fn read_tail(&self, limit: usize) -> Result<Vec<AuditRecord>, String> {
        let Some(path) = &self.path else {
            return Ok(Vec::new());
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let all: Vec<AuditRecord> = text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        let skip = all.len().saturating_sub(limit);
        Ok(all.into_iter().skip(skip).collect())
    }
}

/// A fresh id for an operation's lines: unique within this host (time, process, count).
pub fn new_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let n = COUNT.fetch_add(1, Ordering::Relaxed);
    let now = jiff::Timestamp::now().as_millisecond();
    format!("{now:x}-{:x}-{n}", std::process::id())
}

/// The local user, from the environment (never anything secret).
pub fn local_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .or_else(user_of_this_process)
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Where the environment says nothing (a service, `sudo -i`, a bare container): the name
/// of this process's uid in /etc/passwd, else the uid itself.
fn user_of_this_process() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .to_owned();
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let name = passwd.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        (f.nth(1)? == uid && !name.is_empty()).then(|| name.to_owned())
    });
    Some(name.unwrap_or_else(|| format!("uid {uid}")))
}

/// The newest records of the audit log as read for the viewer, with where they came from.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditTail {
    pub path: String,
    pub records: Result<Vec<AuditRecord>, String>,
}

#[cfg(test)]
mod tests {
    /// On Linux the process always has a uid, so the audit log names someone even when
    /// USER and LOGNAME are unset.
    #[test]
    fn the_process_owner_is_found_without_the_environment() {
        let who = super::user_of_this_process().expect("a uid in /proc/self/status");
        assert!(!who.is_empty() && who != "unknown", "{who}");
    }

    /// `cat audit.jsonl` must not reorder or hide text: a GitHub environment or login with
    /// a bidi override, an isolate or a C1 CSI is written escaped, and reads back the same.
    #[test]
    fn hostile_text_is_written_escaped_and_reads_back_unchanged() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = super::AuditLog::at(dir.path().join("audit.jsonl"));
        let hostile = "prod\u{202e}dorp \u{2066}x\u{2069} \u{9b}31m \u{7f} \u{2028} \u{1b}[2J";
        let record = super::AuditRecord {
            target: hostile.to_owned(),
            github_login: Some(format!("mallory{hostile}")),
            ..Default::default()
        };
        log.append(&record).expect("append");
        let raw = std::fs::read_to_string(dir.path().join("audit.jsonl")).expect("read");
        let line = raw.strip_suffix('\n').expect("one line");
        assert!(
            !line.chars().any(crate::text::is_hazard),
            "raw hazard in {line:?}"
        );
        assert!(line.contains(r"prod\u202edorp"), "{line}");
        assert!(line.contains(r"\u009b31m"), "{line}");
        assert_eq!(log.read_tail(10).expect("read back"), vec![record]);
    }
}
