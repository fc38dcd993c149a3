//! The Hosts pane's services and health checks (the GPUs are `panes::gpu`): what each
//! `[[service]]` and `[[health]]` last said, consecutive failures, and when a check turned
//! failing. Pure: no I/O.

use jiff::Timestamp;

use crate::action::Action;
use crate::app::dialog::Dialog;
use crate::app::event::Effect;
use crate::app::intent::Intent;
use crate::app::state::{FlashLevel, SourceId, SourceStatus, State};
use crate::config::{Config, HealthCheck, ServiceConfig};
use crate::ops::{Operation, ServiceOp};
use crate::pane::PaneId;
use crate::sources::health::HealthSample;
use crate::sources::systemd::ServiceUpdate;

/// One `[[health]]` endpoint as the pane sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthState {
    pub check: HealthCheck,
    pub last: Option<HealthSample>,
    /// Failures in a row (0 after a success).
    pub consecutive: u32,
    /// When the current run of failures began.
    pub failing_since: Option<Timestamp>,
    /// When the endpoint last answered (any HTTP status): its last contact. A timeout or
    /// no connection is no answer.
    pub answered: Option<Timestamp>,
}

impl HealthState {
    /// Nothing known yet: it never answered and has not failed `failures` times in a row
    /// (a listener that accepts and never answers is unknown, not up).
    pub fn is_unknown(&self) -> bool {
        self.answered.is_none() && !self.is_failing()
    }

    /// `failures` (default 3) failures in a row.
    pub fn is_failing(&self) -> bool {
        self.consecutive >= self.check.failures
    }

    /// The last status the endpoint answered with (none after a timeout or no connection).
    pub fn last_status(&self) -> Option<u16> {
        match &self.last.as_ref()?.result {
            Ok(s) => Some(*s),
            Err(f) => f.status(),
        }
    }

    /// `api` or `api /health` when its URL has a path: how the hint names it. Never the
    /// query string, which may carry a token (`/health?token=…`).
    pub fn title(&self) -> String {
        let path = self
            .check
            .url
            .split("://")
            .nth(1)
            .and_then(|rest| rest.find('/').map(|i| &rest[i..]))
            .map(|p| p.split(['?', '#']).next().unwrap_or(p))
            .filter(|p| !p.is_empty() && *p != "/");
        match path {
            Some(p) => format!("{} {p}", self.check.name),
            None => self.check.name.clone(),
        }
    }
}

/// One `[[service]]` as the pane sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceState {
    pub config: ServiceConfig,
    pub last: Option<ServiceUpdate>,
    /// When it was first seen failed (ActiveState=failed) or unreadable in this run.
    pub failing_since: Option<Timestamp>,
}

impl ServiceState {
    pub fn is_failing(&self) -> bool {
        match self.last.as_ref().map(|u| &u.state) {
            Some(Ok(s)) => s.is_failing(),
            Some(Err(_)) => true,
            None => false,
        }
    }
}

/// Everything besides the GPUs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostsData {
    pub health: Vec<HealthState>,
    pub services: Vec<ServiceState>,
}

impl HostsData {
    pub fn new(config: &Config) -> HostsData {
        HostsData {
            health: config
                .health
                .iter()
                .map(|c| HealthState {
                    check: c.clone(),
                    last: None,
                    consecutive: 0,
                    failing_since: None,
                    answered: None,
                })
                .collect(),
            services: config
                .services
                .iter()
                .map(|c| ServiceState {
                    config: c.clone(),
                    last: None,
                    failing_since: None,
                })
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.health.is_empty() && self.services.is_empty()
    }

    /// The hosts that have services or health checks: `local` first, then in config order.
    pub fn host_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        let all = self
            .services
            .iter()
            .map(|s| &s.config.host)
            .chain(self.health.iter().map(|h| &h.check.host));
        for n in all {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
        names.sort_by_key(|n| n != crate::config::hosts::LOCAL);
        names
    }

    /// A health check's result: the failure count moves, a success resets it.
    pub fn apply_health(&mut self, sample: HealthSample) {
        let Some(h) = self.health.iter_mut().find(|h| h.check.name == sample.name) else {
            return;
        };
        let answered = match &sample.result {
            Ok(_) => true,
            Err(f) => f.status().is_some(),
        };
        if answered {
            h.answered = Some(sample.at);
        }
        if sample.result.is_ok() {
            h.consecutive = 0;
            h.failing_since = None;
        } else {
            h.consecutive = h.consecutive.saturating_add(1);
            h.failing_since.get_or_insert(sample.at);
        }
        h.last = Some(sample);
    }

    pub fn apply_service(&mut self, update: ServiceUpdate) {
        let Some(s) = self
            .services
            .iter_mut()
            .find(|s| s.config.label() == update.service)
        else {
            return;
        };
        let at = update.at;
        s.last = Some(update);
        if s.is_failing() {
            s.failing_since.get_or_insert(at);
        } else {
            s.failing_since = None;
        }
    }

    /// What is failing now, one phrase each: `api /health failed 3× in a row`,
    /// `dgx-spark-mcp.service failed`.
    pub fn failures(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .health
            .iter()
            .filter(|h| h.is_failing())
            .map(|h| format!("{} failed {}× in a row", h.title(), h.consecutive))
            .collect();
        out.extend(self.services.iter().filter(|s| s.is_failing()).map(|s| {
            match s.last.as_ref().map(|u| &u.state) {
                Some(Err(e)) => format!("{}: {e}", s.config.label()),
                _ => format!("{} failed", s.config.label()),
            }
        }));
        out
    }

    /// Services in the order the pane lists them (host by host), with the pane filter.
    pub fn visible_services(&self, filter: &str) -> Vec<&ServiceState> {
        let filter = filter.to_lowercase();
        self.host_names()
            .iter()
            .flat_map(|h| self.services.iter().filter(move |s| &s.config.host == h))
            .filter(|s| filter.is_empty() || s.config.label().to_lowercase().contains(&filter))
            .collect()
    }
}

/// How many service rows come before the GPUs in the pane's selection.
pub fn service_rows(state: &State) -> usize {
    state
        .hosts
        .visible_services(&state.pane(PaneId::Hosts).filter)
        .len()
}

/// The service the Hosts pane's selection is on, if it is on one.
pub fn selected_service(state: &State) -> Option<&ServiceState> {
    let view = state.pane(PaneId::Hosts);
    state
        .hosts
        .visible_services(&view.filter)
        .get(view.selected)
        .copied()
}

pub fn on_health(state: &mut State, sample: HealthSample) -> Vec<Effect> {
    state.hosts.apply_health(sample);
    refresh_status(state);
    state.dirty = true;
    Vec::new()
}

pub fn on_service(state: &mut State, update: ServiceUpdate) -> Vec<Effect> {
    state.hosts.apply_service(update);
    refresh_status(state);
    state.dirty = true;
    Vec::new()
}

/// The status bar's `hosts` source: failing with what fails; else connecting while a
/// check or service has not answered yet (unknown is not up); else live from the last
/// answer (a check's HTTP answer, a service's `systemctl show`), which the face holds to
/// its bound (`State::contact_bound`).
fn refresh_status(state: &mut State) {
    let failures = state.hosts.failures();
    let now = state.now;
    let current = state.source(SourceId::Hosts).cloned();
    let hosts = &state.hosts;
    let unknown = hosts.health.iter().any(HealthState::is_unknown)
        || hosts.services.iter().any(|s| s.last.is_none());
    let last_answer = hosts
        .health
        .iter()
        .filter_map(|h| h.answered)
        .chain(
            hosts
                .services
                .iter()
                .filter_map(|s| s.last.as_ref().filter(|l| l.state.is_ok()).map(|l| l.at)),
        )
        .max();
    let status = if failures.is_empty() {
        match (unknown, last_answer) {
            (false, Some(at)) => SourceStatus::polled(at),
            _ => SourceStatus::Connecting {
                since: match current {
                    Some(SourceStatus::Connecting { since }) => since,
                    _ => now,
                },
            },
        }
    } else {
        // what fails is a service or a check, not our reading of it: the face says
        // `failing 2m (reason)`, never `stale`, since the data is fresh
        SourceStatus::failing(current.as_ref(), failures.join("; "), now, None)
    };
    state.sources.insert(SourceId::Hosts, status);
}

/// Restart and rollback on the selected service: the operation to plan, or the request
/// for its backups (the picker opens when they come back).
pub fn on_operation(state: &mut State, action: Action) -> Vec<Intent> {
    let Some(s) = selected_service(state) else {
        state.set_flash(
            FlashLevel::Info,
            format!("{}: select a service first", action.description()),
        );
        return Vec::new();
    };
    let config = s.config.clone();
    service_operation(state, action, &config)
}

/// An operation key on the service labelled `label` (`local/api.service`), from another
/// pane: the one the incident hint names.
pub fn on_named_service(state: &mut State, action: Action, label: &str) -> Vec<Intent> {
    let found = state
        .hosts
        .services
        .iter()
        .find(|s| s.config.label() == label)
        .map(|s| s.config.clone());
    match found {
        Some(config) => service_operation(state, action, &config),
        None => {
            state.set_flash(FlashLevel::Info, format!("{label}: no such [[service]]"));
            Vec::new()
        }
    }
}

fn service_operation(state: &mut State, action: Action, s: &ServiceConfig) -> Vec<Intent> {
    let service = s.label();
    let op = match action {
        Action::Restart => ServiceOp::Restart,
        Action::Rollback if s.rollback.is_some() => {
            return vec![Intent::Effect(Effect::ListBackups { service })];
        }
        Action::Rollback => {
            state.set_flash(
                FlashLevel::Info,
                format!("{service}: no rollback and list_backups in its [[service]]"),
            );
            return Vec::new();
        }
        _ => {
            state.set_flash(
                FlashLevel::Info,
                format!("{}: not for a service", action.description()),
            );
            return Vec::new();
        }
    };
    vec![Intent::Plan(Operation::Service { service, op })]
}

/// A service's backups came back: the picker, newest first and selected.
pub fn on_backups(
    state: &mut State,
    service: String,
    backups: Result<Vec<String>, String>,
) -> Vec<Intent> {
    match backups {
        Ok(b) if b.is_empty() => state.set_flash(
            FlashLevel::Warn,
            format!("{service}: list_backups printed no backup"),
        ),
        Ok(backups) => {
            return vec![Intent::OpenDialog(Dialog::Backups {
                service,
                backups: crate::app::picker::Picker::new(backups, 0),
            })];
        }
        Err(e) => state.set_flash(FlashLevel::Error, format!("{service}: list_backups: {e}")),
    }
    Vec::new()
}
