//! systemd service operations: restart (the configured argv, default
//! `systemctl restart UNIT`, `sudo -n` first when configured) and rollback to a backup
//! that `list_backups` printed. Both run through the host-action machinery (`host::run`:
//! no shell, a process group of its own, SIGTERM then SIGKILL at the timeout, output into
//! the Logs pane as `host/UNIT`), locally or through `ssh` (`sources::systemd::on_host`).

use crate::config::{HostAction, ServiceConfig};
use crate::sources::systemd::on_host;

use super::model::Placeholders;
use super::model::ServiceOp;
use super::{Executor, Plan};

/// The argv that does `op` to `s`, ssh included.
pub fn service_argv(s: &ServiceConfig, op: &ServiceOp) -> Vec<String> {
    let mut argv: Vec<String> = if s.sudo {
        vec!["sudo".into(), "-n".into()]
    } else {
        Vec::new()
    };
    let unit = |a: &String| {
        if a == "{unit}" {
            s.unit.clone()
        } else {
            a.clone()
        }
    };
    match op {
        ServiceOp::Restart => match &s.restart {
            Some(c) => argv.extend(c.iter().map(unit)),
            None => argv.extend(["systemctl".into(), "restart".into(), s.unit.clone()]),
        },
        ServiceOp::Rollback { backup } => {
            let c = s.rollback.clone().unwrap_or_default();
            let placed = c.iter().any(|a| a == "{backup}");
            argv.extend(c.iter().map(|a| {
                if a == "{backup}" {
                    backup.clone()
                } else {
                    unit(a)
                }
            }));
            if !placed {
                argv.push(backup.clone());
            }
        }
    }
    on_host(&s.host, &argv)
}

/// A backup name from `list_backups` output, checked before it becomes an argument: not
/// empty, no control characters, not starting with `-` (a script would read an option).
pub fn valid_backup(backup: &str) -> Result<(), String> {
    if backup.is_empty() || backup.starts_with('-') || backup.chars().any(char::is_control) {
        return Err(format!(
            "backup `{}` is not a backup name",
            crate::text::sanitize(backup)
        ));
    }
    Ok(())
}

impl Executor {
    pub(super) fn service(&self, label: &str) -> Result<&ServiceConfig, String> {
        self.services
            .iter()
            .find(|s| s.label() == label)
            .ok_or_else(|| format!("no [[service]] `{label}` in config.toml"))
    }

    pub(super) fn validate_service(&self, label: &str, op: &ServiceOp) -> Result<(), String> {
        let s = self.service(label)?;
        if let ServiceOp::Rollback { backup } = op {
            if s.rollback.is_none() {
                return Err(format!("service `{label}` has no rollback command"));
            }
            valid_backup(backup)?;
        }
        Ok(())
    }

    pub(super) fn plan_service(
        &self,
        plan: &mut Plan,
        label: &str,
        op: &ServiceOp,
    ) -> Result<(), String> {
        let s = self.service(label)?;
        if let Err(why) = self.validate_service(label, op) {
            plan.refused = Some(why);
        }
        plan.title = match op {
            ServiceOp::Restart => format!("Restart {label}"),
            ServiceOp::Rollback { backup } => format!("Roll back {label} to {backup}"),
        };
        plan.before = format!("argv {:?}", service_argv(s, op));
        plan.after = format!("timeout {}s", s.timeout_secs);
        if !s.is_local() {
            plan.notes
                .push(format!("on {} through ssh (BatchMode=yes)", s.host));
        }
        Ok(())
    }

    pub(super) async fn run_service(&self, label: &str, op: &ServiceOp) -> Result<String, String> {
        let s = self.service(label)?.clone();
        // the host-action machinery, with the service's label as the action's name: its
        // output joins the unit's journal in the Logs pane as `host/LABEL`
        let action = HostAction {
            name: label.to_owned(),
            command: service_argv(&s, op),
            cwd: s.cwd.clone().filter(|_| s.is_local()),
            timeout_secs: s.timeout_secs,
            confirm: true,
        };
        self.run_host_action(&action, &Placeholders::default())
            .await
    }
}
