//! The audit log: one JSON line per operation, appended, flushed and fsynced before the
//! result is shown. Only names, revisions, images, replica counts and messages go in; never
//! tokens, kubeconfigs or environment.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub time: String,
    pub user: String,
    pub context: String,
    pub namespace: String,
    pub target: String,
    pub operation: String,
    pub before: String,
    pub after: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub result: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
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

    /// No data dir: operations still run, and say the audit line could not be written.
    pub fn nowhere() -> AuditLog {
        AuditLog { path: None }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    pub fn append(&self, record: &AuditRecord) -> Result<(), String> {
        let path = self
            .path
            .as_ref()
            .ok_or_else(|| "no data directory for the audit log".to_owned())?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let mut line = serde_json::to_string(record).map_err(|e| e.to_string())?;
        line.push('\n');
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
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
}
