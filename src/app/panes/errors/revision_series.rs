//! The history kept per revision of a service (`[metrics] revision_label`), and what a
//! revision is to the app (the canary or the stable one of a Rollout). Pure.

use std::collections::{BTreeMap, VecDeque};

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
