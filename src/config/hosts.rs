//! `[[health]]` and `[[service]]`: what the Hosts pane watches beside the GPUs. Plain data
//! and its validation (unit names, SSH destinations, URLs); the I/O is in
//! `sources::health` and `sources::systemd`.

use std::path::PathBuf;

use serde::Deserialize;

use super::Diagnostic;
use super::entries::{Texts, entry_problem};

/// The host name of services run on this machine (no SSH).
pub const LOCAL: &str = "local";

/// One HTTP health endpoint, checked every `interval_secs`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HealthCheck {
    pub name: String,
    pub url: String,
    #[serde(default = "health_interval")]
    pub interval_secs: u64,
    #[serde(default = "health_timeout")]
    pub timeout_secs: u64,
    /// The status an up endpoint answers (default 200).
    #[serde(default = "expect_status")]
    pub expect_status: u16,
    /// A text the body must contain to count as up.
    pub body_contains: Option<String>,
    /// The host it is drawn under in the Hosts pane (default `local`).
    #[serde(default = "local_host")]
    pub host: String,
    /// The `[[environment]]` it belongs to, shown beside it.
    pub environment: Option<String>,
    /// Consecutive failures that mark it failing (default 3, as a blue-green rollback).
    #[serde(default = "failures")]
    pub failures: u32,
    /// The `[[service]]` this endpoint is served by, named by its unit (`api.service`) on
    /// the check's host: the incident hint of a failing check offers that service's
    /// rollback, and without it offers none.
    pub service: Option<String>,
}

impl HealthCheck {
    /// The `[[service]]` this check names, on its host.
    pub fn linked_service<'a>(&self, services: &'a [ServiceConfig]) -> Option<&'a ServiceConfig> {
        let unit = self.service.as_deref()?;
        services
            .iter()
            .find(|s| s.unit == unit && s.host == self.host)
    }
}

/// One systemd unit, local or on an SSH destination.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    pub unit: String,
    /// `local`, or an SSH destination (`user@host`, a `Host` of ~/.ssh/config).
    #[serde(default = "local_host")]
    pub host: String,
    /// Prefix restart and rollback with `sudo -n` (never a password prompt).
    #[serde(default)]
    pub sudo: bool,
    /// The restart argv; default `systemctl restart UNIT`.
    pub restart: Option<Vec<String>>,
    /// Prints the backups rollback can go to, one per line, newest first.
    pub list_backups: Option<Vec<String>>,
    /// The rollback argv; the chosen backup is its last argument, or replaces an argument
    /// that is exactly `{backup}`.
    pub rollback: Option<Vec<String>>,
    #[serde(default = "service_interval")]
    pub interval_secs: u64,
    /// How long restart and rollback may run before their process group is ended.
    #[serde(default = "service_timeout")]
    pub timeout_secs: u64,
    /// Follow the unit's journal into the Logs pane (default true).
    #[serde(default = "yes")]
    pub journal: bool,
    /// Run with this working directory (local only).
    pub cwd: Option<PathBuf>,
}

impl ServiceConfig {
    /// `host/UNIT` for a local unit, `HOST/UNIT` on an SSH destination: the name in the
    /// Logs pane and in operations.
    pub fn label(&self) -> String {
        if self.host == LOCAL {
            self.unit.clone()
        } else {
            format!("{}/{}", self.host, self.unit)
        }
    }

    pub fn is_local(&self) -> bool {
        self.host == LOCAL
    }
}

fn health_interval() -> u64 {
    10
}
fn health_timeout() -> u64 {
    5
}
fn expect_status() -> u16 {
    200
}
fn local_host() -> String {
    LOCAL.into()
}
fn failures() -> u32 {
    3
}
fn service_interval() -> u64 {
    5
}
fn service_timeout() -> u64 {
    120
}
fn yes() -> bool {
    true
}

/// The unit suffixes systemd knows.
const UNIT_SUFFIXES: [&str; 11] = [
    ".service",
    ".socket",
    ".target",
    ".timer",
    ".mount",
    ".automount",
    ".path",
    ".slice",
    ".scope",
    ".swap",
    ".device",
];

/// A systemd unit name: `[A-Za-z0-9:_.\@-]+` with a known suffix, not starting with `-`
/// (so it can never be read as an option), at most 255 bytes. Such a name needs no quoting
/// in a shell either, which is what keeps it safe on the remote side of `ssh`.
pub fn valid_unit(unit: &str) -> Result<(), String> {
    let ok_chars = unit
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || ":_.\\@-".contains(c));
    if unit.is_empty() || unit.len() > 255 || !ok_chars || unit.starts_with('-') {
        return Err(format!(
            "unit `{unit}` is not a systemd unit name (letters, digits and :_.\\@- only, not starting with -)"
        ));
    }
    if !UNIT_SUFFIXES
        .iter()
        .any(|s| unit.len() > s.len() && unit.ends_with(s))
    {
        return Err(format!(
            "unit `{unit}` has no unit suffix (.service, .socket, .timer …)"
        ));
    }
    // a backslash is systemd's escape: only `\xNN` is one
    if unit.contains('\\') && unit.split('\\').skip(1).any(|p| !p.starts_with('x')) {
        return Err(format!(
            "unit `{unit}`: a backslash must start a \\xNN escape"
        ));
    }
    Ok(())
}

/// An SSH destination: `local`, or `[user@]host` of letters, digits and `._-@:[]`, not
/// starting with `-` (ssh would read it as an option).
pub fn valid_host(host: &str) -> Result<(), String> {
    let ok = !host.is_empty()
        && host.len() <= 255
        && !host.starts_with('-')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@:[]".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "host `{host}` is not `local` or an SSH destination ([user@]host, not starting with -)"
        ))
    }
}

/// A problem of an entry: the key it is about, and what is wrong.
type Problem = (&'static str, String);

fn check_service(s: &ServiceConfig) -> Result<(), Problem> {
    valid_unit(&s.unit).map_err(|e| ("unit", e))?;
    valid_host(&s.host).map_err(|e| ("host", e))?;
    for (what, argv) in [
        ("restart", &s.restart),
        ("list_backups", &s.list_backups),
        ("rollback", &s.rollback),
    ] {
        if argv.as_ref().is_some_and(Vec::is_empty) {
            return Err((
                what,
                format!("service `{}`: {what} is an empty command", s.unit),
            ));
        }
    }
    if s.rollback.is_some() != s.list_backups.is_some() {
        let key = if s.rollback.is_some() {
            "rollback"
        } else {
            "list_backups"
        };
        return Err((
            key,
            format!(
                "service `{}`: rollback needs list_backups (and list_backups a rollback)",
                s.unit
            ),
        ));
    }
    check_intervals("service", &s.unit, s.interval_secs, s.timeout_secs)
}

/// A polled entry's interval and timeout: both above 0, the key named that is not.
fn check_intervals(what: &str, name: &str, interval: u64, timeout: u64) -> Result<(), Problem> {
    if interval == 0 || timeout == 0 {
        let key = if interval == 0 {
            "interval_secs"
        } else {
            "timeout_secs"
        };
        return Err((
            key,
            format!("{what} `{name}`: interval_secs and timeout_secs must be above 0"),
        ));
    }
    Ok(())
}

fn check_health(h: &HealthCheck) -> Result<(), Problem> {
    if !(h.url.starts_with("http://") || h.url.starts_with("https://")) {
        return Err((
            "url",
            format!("health `{}`: `{}` is not an http(s) URL", h.name, h.url),
        ));
    }
    check_intervals("health", &h.name, h.interval_secs, h.timeout_secs)?;
    if h.failures == 0 {
        return Err((
            "failures",
            format!("health `{}`: failures must be 1 or more", h.name),
        ));
    }
    if !(100..=599).contains(&h.expect_status) {
        return Err((
            "expect_status",
            format!(
                "health `{}`: expect_status {} is not an HTTP status",
                h.name, h.expect_status
            ),
        ));
    }
    valid_host(&h.host).map_err(|e| ("host", e))
}

/// Diagnostics for bad `[[health]]` and `[[service]]` entries (each then skipped), each at
/// its own entry's line.
pub(super) fn validate(
    services: &[ServiceConfig],
    health: &[HealthCheck],
    texts: &Texts,
    out: &mut Vec<Diagnostic>,
) {
    for (i, s) in services.iter().enumerate() {
        if let Err((key, why)) = check_service(s) {
            out.push(entry_problem(texts, "service", i, key, &s.unit, why));
        }
    }
    for (i, h) in health.iter().enumerate() {
        if let Err((key, why)) = check_health(h) {
            out.push(entry_problem(texts, "health", i, key, &h.name, why));
        } else if let Some(unit) = &h.service
            && h.linked_service(services).is_none()
        {
            out.push(entry_problem(
                texts,
                "health",
                i,
                "service",
                unit,
                format!(
                    "health `{}`: service `{unit}` is no [[service]] unit on host `{}`",
                    h.name, h.host
                ),
            ));
        }
    }
}

pub(super) fn retain_valid(services: &mut Vec<ServiceConfig>, health: &mut Vec<HealthCheck>) {
    services.retain(|s| check_service(s).is_ok());
    health.retain(|h| check_health(h).is_ok());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_names_follow_systemds_grammar() {
        for ok in [
            "dgx-spark-mcp.service",
            "getty@tty1.service",
            "system-systemd\\x2dcryptsetup.slice",
            "a:b_c.timer",
        ] {
            assert_eq!(valid_unit(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "-H.service",
            "nosuffix",
            ".service",
            "a b.service",
            "a;reboot.service",
            "$(id).service",
            "a'b.service",
            "a\\nb.service",
        ] {
            assert!(valid_unit(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ssh_destinations_cannot_be_options() {
        assert!(valid_host("ops@dgx-01").is_ok());
        assert!(valid_host("local").is_ok());
        for bad in ["-oProxyCommand=x", "a b", "a;b", ""] {
            assert!(valid_host(bad).is_err(), "{bad}");
        }
    }
}
