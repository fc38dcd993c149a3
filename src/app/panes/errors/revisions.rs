//! A service's error rate per revision (`[metrics] revision_label`): the history kept per
//! revision, which revisions serve traffic now, what the app knows of them (the canary and
//! the stable one of a Rollout), and the split the pane and the incident hint show. Pure.

use std::collections::{BTreeMap, HashMap, VecDeque};

use super::history::{ErrorRateState, ServiceSeries};
use crate::sources::metrics::model::RevisionPoint;

/// What a revision of a service is to the app. Set by the Workloads side from the Rollout
/// that runs it; a revision without a role shows as its short hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RevisionRole {
    /// The canary, taking `weight` percent of the traffic.
    Canary {
        weight: u8,
    },
    Stable,
    Other,
}

/// One revision point as stored (as `StoredPoint`, in `f32`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RevisionStored {
    pub at_ms: i64,
    pub error_ratio: f32,
    pub request_rate: f32,
}

/// One revision's history over the window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RevisionSeries {
    /// Oldest first, at most the service's capacity; only times it had traffic.
    pub history: VecDeque<RevisionStored>,
    /// The newest point, in full precision.
    pub latest: Option<RevisionPoint>,
}

/// Most revisions kept per service: a label with many values (a pod name by mistake) must
/// not grow the state without end. Those seen longest ago go first.
pub const MAX_REVISIONS: usize = 8;

/// A revision serves traffic while its newest point is at most this much older than the
/// service's newest: a canary at 10 % of a quiet service has scrape intervals without a
/// request, and should not flicker out of the split for them.
pub const SERVING_GRACE_MS: i64 = 30_000;

impl RevisionSeries {
    pub(super) fn push(&mut self, point: RevisionPoint, capacity: usize) {
        let newer = self.history.back().is_none_or(|p| point.at_ms > p.at_ms);
        if !newer {
            return; // a repeat of a step already held
        }
        while self.history.len() >= capacity.max(1) {
            self.history.pop_front();
        }
        self.history.push_back(RevisionStored {
            at_ms: point.at_ms,
            error_ratio: point.error_ratio as f32,
            request_rate: point.request_rate as f32,
        });
        self.latest = Some(point);
    }

    /// `(unix seconds, ratio)` over the window: for a ratatui `Chart`.
    pub fn ratio_points(&self) -> Vec<(f64, f64)> {
        self.history
            .iter()
            .filter(|p| p.error_ratio.is_finite())
            .map(|p| (p.at_ms as f64 / 1000.0, f64::from(p.error_ratio)))
            .collect()
    }

    pub fn history_bytes(&self) -> usize {
        self.history.capacity() * std::mem::size_of::<RevisionStored>()
    }

    fn latest_ms(&self) -> i64 {
        self.latest.as_ref().map_or(i64::MIN, |p| p.at_ms)
    }
}

/// Drops points before `oldest_ms`, revisions left without any, and the revisions seen
/// longest ago past [`MAX_REVISIONS`].
pub(super) fn prune(revisions: &mut BTreeMap<String, RevisionSeries>, oldest_ms: i64) {
    revisions.retain(|_, r| {
        while r.history.front().is_some_and(|p| p.at_ms < oldest_ms) {
            r.history.pop_front();
        }
        !r.history.is_empty()
    });
    while revisions.len() > MAX_REVISIONS {
        let Some(stalest) = revisions
            .iter()
            .min_by_key(|(_, r)| r.latest_ms())
            .map(|(name, _)| name.clone())
        else {
            break;
        };
        revisions.remove(&stalest);
    }
}

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
