//! Argo Rollouts as compact rows: what the Workloads table, the detail view and the hint
//! read of a Rollout and an AnalysisRun.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::key::ObjKey;
use super::rows::ContainerSpec;

/// The label Argo puts on a Rollout's ReplicaSets and pods.
pub const HASH_LABEL: &str = "rollouts-pod-template-hash";
/// The annotation holding a Rollout ReplicaSet's revision number.
pub const ROLLOUT_REVISION_ANNOTATION: &str = "rollout.argoproj.io/revision";

/// One canary step, as the track draws it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    SetWeight(i32),
    /// `pause: {}` (until promoted) or with its duration as written.
    Pause(Option<String>),
    /// The templates it runs.
    Analysis(Vec<String>),
    /// `setCanaryScale`, `experiment`, a traffic-routing step: named, not interpreted.
    Other(String),
}

/// How a Rollout releases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Strategy {
    Canary {
        steps: Vec<Step>,
        stable_service: Option<String>,
        canary_service: Option<String>,
    },
    BlueGreen {
        active_service: Option<String>,
        preview_service: Option<String>,
        auto_promotion: bool,
    },
    Unknown,
}

impl Strategy {
    pub fn name(&self) -> &'static str {
        match self {
            Strategy::Canary { .. } => "canary",
            Strategy::BlueGreen { .. } => "blueGreen",
            Strategy::Unknown => "-",
        }
    }
}

/// A Rollout, compact: what the table, the detail view and the hint show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutRow {
    pub key: ObjKey,
    pub labels: BTreeMap<String, String>,
    pub selector: BTreeMap<String, String>,
    pub strategy: Strategy,
    pub replicas: i32,
    pub current: i32,
    pub updated: i32,
    pub ready: i32,
    pub available: i32,
    pub spec_paused: bool,
    pub phase: Option<String>,
    pub message: Option<String>,
    pub step: Option<i32>,
    pub pause_reasons: Vec<String>,
    pub abort: bool,
    pub stable_hash: Option<String>,
    pub canary_hash: Option<String>,
    /// The traffic weight the canary has now (status.canary.weights), when reported.
    pub actual_weight: Option<i32>,
    /// The current step's AnalysisRun: (name, status).
    pub analysis: Option<(String, String)>,
    pub active_selector: Option<String>,
    pub preview_selector: Option<String>,
    pub containers: Vec<ContainerSpec>,
    pub created: Option<Timestamp>,
}

/// What a Rollout is doing, as the plugin's STATUS column says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RolloutPhase {
    Healthy,
    /// With the pause reasons (CanaryPauseStep, BlueGreenPause, InconclusiveAnalysis…).
    Paused(String),
    Progressing,
    Degraded,
    Aborted,
    Unknown,
}

impl RolloutRow {
    pub fn steps(&self) -> &[Step] {
        match &self.strategy {
            Strategy::Canary { steps, .. } => steps,
            _ => &[],
        }
    }

    /// A new version is being released (the canary or preview differs from stable).
    pub fn in_progress(&self) -> bool {
        match (&self.stable_hash, &self.canary_hash) {
            (Some(s), Some(c)) => s != c,
            _ => false,
        }
    }

    /// The status, worst reading first: aborted, paused, then the controller's phase.
    pub fn phase(&self) -> RolloutPhase {
        if self.abort {
            return RolloutPhase::Aborted;
        }
        if !self.pause_reasons.is_empty() || self.spec_paused {
            let why = if self.pause_reasons.is_empty() {
                "spec.paused".to_owned()
            } else {
                self.pause_reasons.join(", ")
            };
            return RolloutPhase::Paused(why);
        }
        match self.phase.as_deref() {
            Some("Healthy") => RolloutPhase::Healthy,
            Some("Paused") => RolloutPhase::Paused("paused".into()),
            Some("Progressing") => RolloutPhase::Progressing,
            Some("Degraded") => RolloutPhase::Degraded,
            _ if self.in_progress() => RolloutPhase::Progressing,
            _ => RolloutPhase::Unknown,
        }
    }

    /// The STATUS text: `Paused (CanaryPauseStep)`, `Aborted`, `Healthy`…
    pub fn status_text(&self) -> String {
        match self.phase() {
            RolloutPhase::Healthy => "Healthy".into(),
            RolloutPhase::Paused(why) => format!("Paused ({why})"),
            RolloutPhase::Progressing => "Progressing".into(),
            RolloutPhase::Degraded => "Degraded".into(),
            RolloutPhase::Aborted => "Aborted".into(),
            RolloutPhase::Unknown => "-".into(),
        }
    }

    /// The weight the steps set so far (the plugin's SET-WEIGHT): the last `setWeight` at
    /// or before the current step, 100 once the steps are done, 0 when aborted.
    pub fn set_weight(&self) -> Option<i32> {
        let steps = self.steps();
        if !matches!(self.strategy, Strategy::Canary { .. }) {
            return None;
        }
        if self.abort {
            return Some(0);
        }
        let at = self.step.map_or(steps.len(), |s| s.max(0) as usize);
        if at >= steps.len() {
            return Some(100);
        }
        // the current step's own setWeight applies as soon as it is current
        let w = steps[..=at].iter().rev().find_map(|s| match s {
            Step::SetWeight(w) => Some(*w),
            _ => None,
        });
        Some(w.unwrap_or(0))
    }

    /// "k/n" of the canary's steps (k = steps done), `None` for blue-green.
    pub fn step_text(&self) -> Option<String> {
        let n = self.steps().len();
        if !matches!(self.strategy, Strategy::Canary { .. }) {
            return None;
        }
        let k = self.step.map_or(n, |s| (s.max(0) as usize).min(n));
        Some(format!("{k}/{n}"))
    }
}

/// One metric of an AnalysisRun, compact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricRow {
    pub name: String,
    pub phase: String,
    pub successful: i32,
    pub failed: i32,
    pub inconclusive: i32,
    pub error: i32,
    /// The newest measurements (value, phase), oldest first; at most [`MEASUREMENTS`].
    pub measurements: Vec<(String, String)>,
}

/// Measurements kept per metric.
pub const MEASUREMENTS: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalysisRunRow {
    pub key: ObjKey,
    /// The Rollout that owns it.
    pub rollout: Option<String>,
    pub phase: String,
    pub message: Option<String>,
    pub metrics: Vec<MetricRow>,
    pub created: Option<Timestamp>,
}
