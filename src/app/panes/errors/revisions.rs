//! A service's error rate per revision (`[metrics] revision_label`): which revisions serve
//! traffic now, what the app knows of them (the canary and the stable one of a Rollout),
//! and the split the pane and the incident hint show (the history kept per revision is in
//! `revision_series.rs`). Pure.

use std::collections::HashMap;

use super::history::{ErrorRateState, ServiceSeries};
use super::revision_series::{RevisionRole, RevisionSeries, SERVING_GRACE_MS};

/// A revision serving traffic now, as the pane names it.
#[derive(Debug, Clone, PartialEq)]
pub struct ShownRevision<'a> {
    /// The label's value.
    pub revision: &'a str,
    /// `canary`, `stable`, else the short hash ([`short_revision`]).
    pub label: String,
    pub role: Option<RevisionRole>,
    /// Its newest ratio.
    pub error_ratio: f64,
    pub series: &'a RevisionSeries,
}

/// The canary against the stable revision of one service, for the incident hint ("canary
/// at 10 % has 18 % errors (stable 0.4 %)").
#[derive(Debug, Clone, PartialEq)]
pub struct RevisionSplit {
    pub canary_revision: String,
    pub canary_ratio: f64,
    /// The canary's set weight, percent.
    pub canary_weight: u8,
    pub stable_revision: String,
    pub stable_ratio: f64,
}

impl RevisionSplit {
    /// The revision with the higher error ratio: the canary's role, else `Stable`.
    pub fn worst(&self) -> RevisionRole {
        if self.canary_ratio > self.stable_ratio {
            RevisionRole::Canary {
                weight: self.canary_weight,
            }
        } else {
            RevisionRole::Stable
        }
    }

    /// `canary at 10 % has 18.2 % errors (stable 0.4 %)`.
    pub fn summary(&self) -> String {
        format!(
            "canary at {} % has {:.1} % errors (stable {:.1} %)",
            self.canary_weight,
            self.canary_ratio * 100.0,
            self.stable_ratio * 100.0
        )
    }
}

/// A pod-template-hash cut to 6 characters (`7f9c4d8b5` → `7f9c4d`); a value with anything
/// but letters and digits (`v1.4.2`) is kept whole.
pub fn short_revision(revision: &str) -> &str {
    if revision.len() > 6 && revision.chars().all(|c| c.is_ascii_alphanumeric()) {
        &revision[..6]
    } else {
        revision
    }
}

impl ErrorRateState {
    /// Replaces what the app knows of every `(service, revision)`; the Workloads side calls
    /// this when a Rollout's canary or stable revision changes.
    pub fn set_revision_roles(&mut self, roles: HashMap<(String, String), RevisionRole>) {
        self.revision_roles = roles;
    }

    /// The role of `service`'s `revision`, when the app set one.
    pub fn revision_role(&self, service: &str, revision: &str) -> Option<RevisionRole> {
        self.revision_roles
            .get(&(service.to_owned(), revision.to_owned()))
            .copied()
    }

    /// The revisions of `service` serving traffic now (see [`SERVING_GRACE_MS`]): the
    /// canary first, then the stable one, then the rest, worst ratio first.
    pub fn serving_revisions(&self, service: &str) -> Vec<ShownRevision<'_>> {
        let Some(series) = self.services.get(service) else {
            return Vec::new();
        };
        let Some(newest) = newest_ms(series) else {
            return Vec::new();
        };
        let mut shown: Vec<ShownRevision> = series
            .revisions
            .iter()
            .filter_map(|(revision, r)| {
                let latest = r.latest.as_ref()?;
                (latest.at_ms >= newest.saturating_sub(SERVING_GRACE_MS)).then(|| {
                    let role = self.revision_role(service, revision);
                    ShownRevision {
                        revision,
                        label: String::new(),
                        role,
                        error_ratio: latest.error_ratio,
                        series: r,
                    }
                })
            })
            .collect();
        let order = |role: Option<RevisionRole>| match role {
            Some(RevisionRole::Canary { .. }) => 0,
            Some(RevisionRole::Stable) => 1,
            _ => 2,
        };
        shown.sort_by(|a, b| {
            order(a.role)
                .cmp(&order(b.role))
                .then_with(|| b.error_ratio.total_cmp(&a.error_ratio))
                .then_with(|| a.revision.cmp(b.revision))
        });
        let labels: Vec<String> = shown
            .iter()
            .map(|s| {
                let short = short_revision(s.revision);
                let clash = shown
                    .iter()
                    .any(|o| o.revision != s.revision && short_revision(o.revision) == short);
                match s.role {
                    Some(RevisionRole::Canary { .. }) => "canary".to_owned(),
                    Some(RevisionRole::Stable) => "stable".to_owned(),
                    _ if clash => s.revision.to_owned(),
                    _ => short.to_owned(),
                }
            })
            .collect();
        for (s, label) in shown.iter_mut().zip(labels) {
            s.label = label;
        }
        shown
    }

    /// What the pane shows beside `service`: its serving revisions, when there are two or
    /// more (one revision is the service itself).
    pub fn revision_line(&self, service: &str) -> Vec<ShownRevision<'_>> {
        let shown = self.serving_revisions(service);
        if shown.len() >= 2 { shown } else { Vec::new() }
    }

    /// The canary against the stable revision of `service`, when both serve traffic and
    /// the app named them. With more than one of a role, the worst canary and the busiest
    /// stable one.
    pub fn revision_split(&self, service: &str) -> Option<RevisionSplit> {
        let shown = self.serving_revisions(service);
        let (canary, weight) = shown.iter().find_map(|s| match s.role {
            Some(RevisionRole::Canary { weight }) => Some((s, weight)),
            _ => None,
        })?;
        let stable = shown
            .iter()
            .filter(|s| s.role == Some(RevisionRole::Stable))
            .max_by(|a, b| {
                let rate =
                    |s: &ShownRevision| s.series.latest.as_ref().map_or(0.0, |p| p.request_rate);
                rate(a).total_cmp(&rate(b))
            })?;
        Some(RevisionSplit {
            canary_revision: canary.revision.to_owned(),
            canary_ratio: canary.error_ratio,
            canary_weight: weight,
            stable_revision: stable.revision.to_owned(),
            stable_ratio: stable.error_ratio,
        })
    }
}

/// The newest time `series` has numbers for, its own or any revision's.
fn newest_ms(series: &ServiceSeries) -> Option<i64> {
    series
        .revisions
        .values()
        .filter_map(|r| r.latest.as_ref().map(|p| p.at_ms))
        .chain(series.latest.map(|p| p.at_ms))
        .max()
}

#[cfg(test)]
mod tests;
