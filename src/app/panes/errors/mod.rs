//! Error-rate pane data and its part of `update`. Pure: no I/O.

mod history;
mod revision_series;
mod revisions;
mod span;

pub use history::*;
pub use revision_series::*;
pub use revisions::*;
pub use span::*;

use crate::app::event::Effect;
use crate::app::state::{SourceId, SourceStatus, State};
use crate::pane::PaneId;
use crate::sources::metrics::{Health, MetricsUpdate};

pub fn on_update(state: &mut State, mut update: MetricsUpdate) -> Vec<Effect> {
    if update
        .generation
        .is_some_and(|g| g != state.errors.generation)
    {
        // a source started for an environment the scope has left
        return Vec::new();
    }
    if let Some(alerts) = &mut update.alerts {
        keep_alerts_of_scope(state, &mut alerts.alerts);
    }
    let at = update.at;
    let failing: Vec<String> = update
        .health
        .iter()
        .filter_map(|h| match &h.health {
            Health::Failing { error } => Some(format!("{}: {}", h.service, error)),
            Health::Up => None,
        })
        .collect();
    let any_up = update.health.iter().any(|h| h.health == Health::Up) || !update.points.is_empty();
    state.errors.apply(update);
    let prev = state.source(SourceId::Metrics);
    let status = if failing.is_empty() || any_up {
        SourceStatus::polled(at)
    } else {
        let last_ok = prev.and_then(|s| s.last_update());
        SourceStatus::failing(prev, failing.join("; "), at, last_ok)
    };
    state.sources.insert(SourceId::Metrics, status);
    clamp_selection(state);
    state.dirty = true;
    Vec::new()
}

/// The `[[environment]]` the scope is in: whose numbers the pane holds.
pub fn scope_environment(state: &State) -> Option<String> {
    crate::app::scope::environment(state).map(|e| e.name.clone())
}

/// The `[[metrics.target]]`s whose numbers belong to the scope's environment: what the
/// console's metrics source asks for (those naming it, and those naming none).
pub fn scope_targets(state: &State) -> Vec<crate::config::MetricsTarget> {
    let env = scope_environment(state);
    state.config.metrics.as_ref().map_or_else(Vec::new, |m| {
        m.targets_for(env.as_deref()).cloned().collect()
    })
}

/// The scope's environment's label matchers (`[[environment]] metrics_labels`), for the
/// queries of its targets.
pub fn scope_matchers(state: &State) -> Vec<(String, String)> {
    crate::app::scope::environment(state).map_or_else(Vec::new, |e| {
        e.metrics_labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    })
}

/// Notes whose numbers the pane holds, once (the run loop settles before the first key).
pub fn note_environment(state: &mut State) {
    if state.errors.environment.is_none() {
        state.errors.environment = Some(scope_environment(state));
        // direct mode with no page of this environment's starts no source: say what to add
        if let Some(status @ SourceStatus::NotConfigured { .. }) = initial_status(state) {
            state.sources.insert(SourceId::Metrics, status);
        }
    }
}

/// The scope changed: when it is now another environment's (or whose it was is not
/// known), the numbers of the one left are forgotten and a new source is asked for; the
/// hint and the pane never show one environment's numbers in another.
pub fn on_scope_changed(state: &mut State) {
    // the revision marks are the left scope's ReplicaSets': the new scope's come with its rows
    state.deploys = Default::default();
    let env = scope_environment(state);
    if state.errors.environment.as_ref() == Some(&env) {
        return;
    }
    state.errors.restart_for(env);
    if let Some(status) = initial_status(state) {
        state.sources.insert(SourceId::Metrics, status);
    }
    state.dirty = true;
}

/// The metrics source's face before the new environment's source answers: connecting,
/// or (in direct mode, when no page is this environment's) the entry to add.
fn initial_status(state: &State) -> Option<SourceStatus> {
    let m = state.config.metrics.as_ref()?;
    if m.prometheus.is_none() && m.targets.is_empty() {
        return None;
    }
    Some(match missing_targets(state) {
        Some(missing) if m.prometheus.is_none() => SourceStatus::NotConfigured {
            hint: missing.entry,
        },
        _ => SourceStatus::Connecting { since: state.now },
    })
}

/// No `[[metrics.target]]` is the scope's environment's: what the pane says instead of
/// numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingTargets {
    /// `no error-rate service is named for staging`.
    pub what: String,
    /// The entry that would name one: `[[metrics.target]] service = "checkout"
    /// environment = "staging"`.
    pub entry: String,
}

/// What the pane says when no `[[metrics.target]]` is this environment's. `None` when one
/// is, or when `[metrics]` is not configured at all (the source's placeholder says so).
pub fn missing_targets(state: &State) -> Option<MissingTargets> {
    let m = state.config.metrics.as_ref()?;
    let env = scope_environment(state);
    if m.targets_for(env.as_deref()).next().is_some() {
        return None;
    }
    // another environment's service is the likeliest name here too
    let example = m.targets.first().map_or("NAME", |t| t.service.as_str());
    Some(match &env {
        Some(env) => MissingTargets {
            what: format!("no error-rate service is named for {env}"),
            entry: format!("[[metrics.target]] service = \"{example}\" environment = \"{env}\""),
        },
        None => MissingTargets {
            what: "no error-rate service is named".to_owned(),
            entry: format!("[[metrics.target]] service = \"{example}\""),
        },
    })
    .map(|mut missing| {
        if m.prometheus.is_none() {
            // direct mode scrapes the service's own page
            missing
                .entry
                .push_str(" url = \"http://HOST:PORT/metrics\"");
        }
        missing
    })
}

/// In a config whose targets name their environments, the alerts about a service that is
/// not one of this environment's are another environment's: they are left out.
fn keep_alerts_of_scope(state: &State, alerts: &mut Vec<crate::sources::metrics::Alert>) {
    let Some(m) = state.config.metrics.as_ref() else {
        return;
    };
    if m.targets.iter().all(|t| t.environment.is_none()) {
        return;
    }
    let env = scope_environment(state);
    let ours: std::collections::BTreeSet<&str> = m
        .targets_for(env.as_deref())
        .map(|t| t.service.as_str())
        .collect();
    alerts.retain(|a| a.service.as_deref().is_none_or(|s| ours.contains(s)));
}

/// What the app knows of each `(service, revision)` of the Error-rate pane: the canary and
/// the stable revision of a Rollout (`update` calls this when the cluster's Rollouts change). The
/// pane names revisions by these roles, and [`ErrorRateState::revision_split`] reads them.
pub fn set_revision_roles(
    state: &mut State,
    roles: std::collections::HashMap<(String, String), RevisionRole>,
) {
    if state.errors.revision_roles != roles {
        state.errors.set_revision_roles(roles);
        state.dirty = true;
    }
}

/// Which revision of each Rollout's service is the canary and which the stable one, for
/// the Error-rate pane (a service is matched by its Rollout's name, as deploy marks are).
pub fn revision_roles(
    data: &crate::app::cluster::ClusterStore,
) -> std::collections::HashMap<(String, String), RevisionRole> {
    let mut roles = std::collections::HashMap::new();
    for r in data.rollouts.values() {
        let name = &r.key.name;
        if let Some(stable) = &r.stable_hash {
            roles.insert((name.clone(), stable.clone()), RevisionRole::Stable);
        }
        if r.in_progress()
            && let Some(canary) = &r.canary_hash
        {
            let weight = r
                .actual_weight
                .or(r.set_weight())
                .unwrap_or(0)
                .clamp(0, 100) as u8;
            roles.insert(
                (name.clone(), canary.clone()),
                RevisionRole::Canary { weight },
            );
        }
    }
    roles
}

/// Keeps the selection on a row the pane shows (services through the filter), so `k` after
/// `G` moves at once.
fn clamp_selection(state: &mut State) {
    let rows = row_count(state);
    let view = state.pane_mut(PaneId::Errors);
    view.selected = view.selected.min(rows.saturating_sub(1));
}

/// Services the pane shows through its filter.
pub fn row_count(state: &State) -> usize {
    let filter = state.pane(PaneId::Errors).filter.to_lowercase();
    state
        .errors
        .services
        .keys()
        .filter(|name| matches(&filter, name))
        .count()
}

/// One service as the pane lists it.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    pub name: &'a str,
    pub series: &'a ServiceSeries,
    pub level: RatioLevel,
}

/// The services the filter lets through, trouble first: numbers that cannot be right,
/// then at twice the threshold, above it, failing, the rest; by name within each. The
/// selection indexes this order.
pub fn rows(state: &State) -> Vec<Row<'_>> {
    let threshold = state.config.error_threshold();
    let filter = state.pane(PaneId::Errors).filter.to_lowercase();
    let mut rows: Vec<Row> = state
        .errors
        .services
        .iter()
        .filter(|(name, _)| matches(&filter, name))
        .map(|(name, series)| Row {
            name,
            series,
            level: RatioLevel::of(series.error_ratio(), threshold),
        })
        .collect();
    rows.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.name.cmp(b.name)));
    rows
}

fn rank(row: &Row) -> u8 {
    match (
        row.series.data_problem.is_some(),
        row.level,
        row.series.failing.is_some(),
    ) {
        (true, _, _) => 0,
        (_, RatioLevel::Error, _) => 1,
        (_, RatioLevel::Warn, _) => 2,
        (_, _, true) => 3,
        _ => 4,
    }
}

/// Whether the pane's `/` filter (lower-cased) lets a service through.
pub fn matches(filter: &str, service: &str) -> bool {
    filter.is_empty() || service.to_lowercase().contains(filter)
}

/// One deployment revision change of a service: where the error-rate sparkline and chart
/// draw a vertical mark, so "it started at rev 7" is visible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployMark {
    /// When the new revision rolled out, unix milliseconds.
    pub at_ms: i64,
    /// The revision as the Workloads source names it (`7`).
    pub revision: String,
}

/// Revision changes per service, for the error-rate pane. The hook for the Workloads
/// source, which will feed it when it sees a deployment's revision change; empty until
/// then (nothing is made up here).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeployMarks {
    by_service: std::collections::BTreeMap<String, Vec<DeployMark>>,
}

impl DeployMarks {
    /// Most marks kept per service; older ones fall out of any window the pane shows.
    pub const CAP: usize = 32;

    /// Records a revision change of `service` (oldest first; a repeat is ignored).
    pub fn record(&mut self, service: &str, mark: DeployMark) {
        let marks = self.by_service.entry(service.to_owned()).or_default();
        if marks
            .iter()
            .any(|m| m.at_ms == mark.at_ms && m.revision == mark.revision)
        {
            return;
        }
        let at = marks.partition_point(|m| m.at_ms <= mark.at_ms);
        marks.insert(at, mark);
        if marks.len() > Self::CAP {
            let extra = marks.len() - Self::CAP;
            marks.drain(..extra);
        }
    }

    /// The marks of `service`, oldest first.
    pub fn for_service(&self, service: &str) -> &[DeployMark] {
        self.by_service.get(service).map_or(&[], Vec::as_slice)
    }
}
