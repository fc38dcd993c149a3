//! Argo Rollouts in the Workloads pane: a Rollout's ReplicaSets and pods, its trouble
//! rank, the step track the detail view draws, and what the incident hint says about a
//! canary. Pure.

use std::collections::HashMap;

use crate::action::Action;
use crate::app::panes::errors::{ErrorRateState, RevisionRole};
use crate::sources::kube::model::{
    AnalysisRunRow, Kind, ObjKey, PodRow, ReplicaSetRow, RolloutRow,
};
use crate::sources::kube::model::{RolloutPhase, Step, Strategy};

use super::WorkloadsData;

/// Where one step of the track stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepMark {
    Done,
    Current,
    /// The step the Rollout was aborted at.
    Failed,
    Pending,
}

impl StepMark {
    pub fn symbol(self) -> &'static str {
        match self {
            StepMark::Done => "✓",
            StepMark::Current => "▶",
            StepMark::Failed => "✗",
            StepMark::Pending => "",
        }
    }
}

/// One step of the track: `10%`, `pause`, `pause 1m`, `analysis`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackStep {
    pub label: String,
    pub mark: StepMark,
}

/// The canary's steps as a track (`10% ✓ · pause ✓ · 50% ▶ · analysis · 100%`); empty for
/// blue-green.
pub fn track(r: &RolloutRow) -> Vec<TrackStep> {
    let steps = r.steps();
    let at = r.step.map_or(steps.len(), |s| s.max(0) as usize);
    steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let label = match s {
                Step::SetWeight(w) => format!("{w}%"),
                Step::Pause(None) => "pause".to_owned(),
                Step::Pause(Some(d)) => format!("pause {d}"),
                Step::Analysis(_) => "analysis".to_owned(),
                Step::Other(name) => name.clone(),
            };
            let mark = if i < at {
                StepMark::Done
            } else if i == at && r.abort {
                StepMark::Failed
            } else if i == at {
                StepMark::Current
            } else {
                StepMark::Pending
            };
            TrackStep { label, mark }
        })
        .collect()
}

/// The track as one line of text.
pub fn track_text(r: &RolloutRow) -> String {
    track(r)
        .iter()
        .map(|s| match s.mark {
            StepMark::Pending => s.label.clone(),
            m => format!("{} {}", s.label, m.symbol()),
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

impl WorkloadsData {
    /// Every kind the source watches in this cluster has been listed once: the Argo
    /// kinds count only where the cluster serves them (and not before that is known).
    pub fn all_listed(&self) -> bool {
        let served = match self.rollouts_served {
            Some(served) => served,
            None => return false,
        };
        Kind::ALL.iter().all(|k| {
            self.synced.contains(k) || !served && matches!(k, Kind::Rollouts | Kind::AnalysisRuns)
        })
    }

    /// A Rollout's ReplicaSets, newest revision first.
    pub fn replicasets_of_rollout(&self, r: &ObjKey) -> Vec<&ReplicaSetRow> {
        self.replicasets_in(&self.rs_by_rollout, r)
    }

    /// A Rollout's pods through its ReplicaSets: newest revision first.
    pub fn pods_of_rollout(&self, r: &ObjKey) -> Vec<&PodRow> {
        self.pods_of_replicasets(self.replicasets_of_rollout(r))
    }

    /// The ReplicaSet of one of a Rollout's revisions, by its pod-template hash.
    pub fn rollout_rs(&self, r: &ObjKey, hash: Option<&str>) -> Option<&ReplicaSetRow> {
        let hash = hash?;
        self.replicasets_of_rollout(r)
            .into_iter()
            .find(|rs| rs.rollout_hash.as_deref() == Some(hash))
    }

    /// The AnalysisRun of the Rollout's current step, else its newest one.
    pub fn analysis_of(&self, r: &RolloutRow) -> Option<&AnalysisRunRow> {
        if let Some((name, _)) = &r.analysis
            && let Some(a) = self.analysis_runs.get(&ObjKey::new(&r.key.namespace, name))
        {
            return Some(a);
        }
        self.analysis_runs
            .values()
            .filter(|a| {
                a.key.namespace == r.key.namespace && a.rollout.as_deref() == Some(&r.key.name)
            })
            .max_by(|a, b| a.created.cmp(&b.created).then(a.key.cmp(&b.key)))
    }

    /// 0 = fine … 4 = aborted or degraded: the trouble-first order.
    pub fn trouble_of_rollout(&self, k: &ObjKey) -> u8 {
        let Some(r) = self.rollouts.get(k) else {
            return 0;
        };
        let troubled = self
            .pods_of_rollout(k)
            .iter()
            .filter(|p| p.reason.is_error())
            .count();
        match r.phase() {
            RolloutPhase::Aborted | RolloutPhase::Degraded => 4,
            _ if troubled > 0 => 3,
            _ if r.replicas > 0 && r.ready < r.replicas => 2,
            RolloutPhase::Paused(_) | RolloutPhase::Progressing => 1,
            _ => 0,
        }
    }

    /// Revision number and images of a Rollout revision (by hash), for the detail view.
    pub fn rollout_revision_text(&self, r: &RolloutRow, hash: Option<&str>) -> String {
        let Some(h) = hash else {
            return "-".into();
        };
        match self.rollout_rs(&r.key, Some(h)) {
            Some(rs) => format!(
                "rev {} {} ({h})",
                rs.revision.map_or("?".into(), |v| v.to_string()),
                rs.images.join(",")
            ),
            None => h.to_owned(),
        }
    }
}

/// Which revision of each Rollout's service is the canary and which the stable one, for
/// the Error-rate pane (a service is matched by its Rollout's name, as deploy marks are).
pub fn revision_roles(data: &WorkloadsData) -> HashMap<(String, String), RevisionRole> {
    let mut roles = HashMap::new();
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

/// What the incident hint says about the Rollouts in trouble, worst first: a canary whose
/// error ratio is above `threshold` (and above stable's), an aborted or degraded rollout,
/// a canary paused for a person, a blue-green preview waiting for promotion. `key` names
/// the key bound to an action.
pub fn hint(
    data: &WorkloadsData,
    errors: &ErrorRateState,
    threshold: f64,
    key: &dyn Fn(Action) -> String,
) -> Option<String> {
    let mut worst: Option<(u8, String)> = None;
    for r in data.rollouts.values() {
        let name = &r.key.name;
        let bad_canary = errors.revision_split(name).filter(|s| {
            r.in_progress()
                && !r.abort
                && s.canary_ratio > threshold
                && s.canary_ratio > s.stable_ratio
        });
        let (rank, text) = match r.phase() {
            _ if let Some(split) = &bad_canary => (
                4,
                format!(
                    "{name} {} — {} aborts",
                    split.summary(),
                    key(Action::WorkloadsAbort)
                ),
            ),
            RolloutPhase::Aborted => {
                let why = data
                    .analysis_of(r)
                    .filter(|a| a.phase == "Failed" || a.phase == "Error")
                    .map(|a| {
                        let m = a
                            .metrics
                            .iter()
                            .find(|m| m.phase == "Failed" || m.phase == "Error")
                            .map_or_else(
                                || a.phase.to_lowercase(),
                                |m| format!("{} failed", m.name),
                            );
                        format!(": analysis {m}")
                    })
                    .unwrap_or_default();
                let step = r
                    .step
                    .map(|s| format!(" at step {}", s + 1))
                    .unwrap_or_default();
                (
                    3,
                    format!(
                        "{name} canary aborted{step}{why}; traffic is on stable — {} rolls the template back",
                        key(Action::Rollback)
                    ),
                )
            }
            RolloutPhase::Degraded => (
                3,
                format!(
                    "{name} rollout degraded — {} rolls back",
                    key(Action::Rollback)
                ),
            ),
            RolloutPhase::Paused(why) if r.in_progress() => match &r.strategy {
                Strategy::BlueGreen { .. } => (
                    1,
                    format!(
                        "{name} blue-green preview waits for promotion — {} promotes, {} aborts",
                        key(Action::Promote),
                        key(Action::WorkloadsAbort)
                    ),
                ),
                _ => (
                    2,
                    format!(
                        "{name} canary paused at {}% ({why}) — {} promotes, {} aborts",
                        r.set_weight().unwrap_or(0),
                        key(Action::Promote),
                        key(Action::WorkloadsAbort)
                    ),
                ),
            },
            _ => continue,
        };
        if worst.as_ref().is_none_or(|(w, _)| rank > *w) {
            worst = Some((rank, format!("⚠ {text}")));
        }
    }
    worst.map(|(_, t)| t)
}
