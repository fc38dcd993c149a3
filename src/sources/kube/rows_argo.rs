//! Argo Rollouts as compact rows: what the Workloads table, the detail view and the hint
//! read of a Rollout and an AnalysisRun (decoded in [`super::argo`]).

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde_json::Value;

use super::argo::{AnalysisRun, RolloutOf};
use super::rows::{ContainerSpec, ObjKey, container_spec, declared_specs};

/// A pod template as far as a Rollout's row reads it: its containers' specs. The
/// operations decode it whole, the watcher only its containers.
pub trait ContainerSpecs {
    fn specs(&self) -> Vec<ContainerSpec>;
}

impl ContainerSpecs for k8s_openapi::api::core::v1::PodTemplateSpec {
    fn specs(&self) -> Vec<ContainerSpec> {
        (self.spec.as_ref())
            .map(|s| s.containers.iter().map(container_spec).collect())
            .unwrap_or_default()
    }
}

impl ContainerSpecs for super::slim_kinds::Template {
    fn specs(&self) -> Vec<ContainerSpec> {
        (self.spec.as_ref())
            .map(|s| declared_specs(&s.containers))
            .unwrap_or_default()
    }
}

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

impl Step {
    fn of(v: &Value) -> Step {
        if let Some(w) = v.get("setWeight") {
            return Step::SetWeight(w.as_i64().unwrap_or(0).clamp(0, 100) as i32);
        }
        if let Some(p) = v.get("pause") {
            let d = match p.get("duration") {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Number(n)) => Some(format!("{n}s")),
                _ => None,
            };
            return Step::Pause(d);
        }
        if let Some(a) = v.get("analysis") {
            let names = a
                .get("templates")
                .and_then(Value::as_array)
                .map(|ts| {
                    ts.iter()
                        .filter_map(|t| t.get("templateName").and_then(Value::as_str))
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            return Step::Analysis(names);
        }
        let name = v
            .as_object()
            .and_then(|o| o.keys().next().cloned())
            .unwrap_or_else(|| "step".into());
        Step::Other(name)
    }
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
    pub fn from_object<T: ContainerSpecs>(r: &RolloutOf<T>) -> RolloutRow {
        let meta = &r.metadata;
        let spec = &r.spec;
        let status = r.status.clone().unwrap_or_default();
        let strategy = match (&spec.strategy.canary, &spec.strategy.blue_green) {
            (Some(c), _) => Strategy::Canary {
                steps: c.steps.iter().map(Step::of).collect(),
                stable_service: c.stable_service.clone(),
                canary_service: c.canary_service.clone(),
            },
            (None, Some(b)) => Strategy::BlueGreen {
                active_service: b.active_service.clone(),
                preview_service: b.preview_service.clone(),
                auto_promotion: b.auto_promotion_enabled.unwrap_or(true),
            },
            (None, None) => Strategy::Unknown,
        };
        let weights = status.canary.weights.as_ref();
        RolloutRow {
            key: ObjKey::of(meta),
            labels: meta.labels.clone().unwrap_or_default(),
            selector: spec
                .selector
                .as_ref()
                .and_then(|s| s.match_labels.clone())
                .unwrap_or_default(),
            strategy,
            replicas: spec.replicas.unwrap_or(1),
            current: status.replicas.unwrap_or(0),
            updated: status.updated_replicas.unwrap_or(0),
            ready: status.ready_replicas.unwrap_or(0),
            available: status.available_replicas.unwrap_or(0),
            spec_paused: spec.paused,
            phase: status.phase.clone(),
            message: status.message.clone().filter(|m| !m.is_empty()),
            step: status.current_step_index,
            pause_reasons: status
                .pause_conditions
                .iter()
                .flatten()
                .map(|p| p.reason.clone())
                .collect(),
            abort: status.abort,
            stable_hash: status.stable_rs.clone(),
            canary_hash: status.current_pod_hash.clone(),
            actual_weight: weights.map(|w| w.canary.weight),
            analysis: status
                .canary
                .current_step_analysis_run_status
                .as_ref()
                .filter(|a| !a.name.is_empty())
                .map(|a| (a.name.clone(), a.status.clone())),
            active_selector: status.blue_green.active_selector.clone(),
            preview_selector: status.blue_green.preview_selector.clone(),
            containers: spec
                .template
                .as_ref()
                .map(ContainerSpecs::specs)
                .unwrap_or_default(),
            created: meta.creation_timestamp.as_ref().map(|t| t.0),
        }
    }

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

impl AnalysisRunRow {
    pub fn from_object(a: &AnalysisRun) -> AnalysisRunRow {
        let meta = &a.metadata;
        let status = a.status.clone().unwrap_or_default();
        AnalysisRunRow {
            key: ObjKey::of(meta),
            rollout: meta.owner_references.as_ref().and_then(|refs| {
                refs.iter()
                    .find(|r| r.kind == "Rollout")
                    .map(|r| r.name.clone())
            }),
            phase: status.phase.unwrap_or_else(|| "Pending".into()),
            message: status.message.filter(|m| !m.is_empty()),
            metrics: status
                .metric_results
                .into_iter()
                .map(|m| {
                    let skip = m.measurements.len().saturating_sub(MEASUREMENTS);
                    MetricRow {
                        name: m.name,
                        phase: m.phase.unwrap_or_else(|| "Pending".into()),
                        successful: m.successful,
                        failed: m.failed,
                        inconclusive: m.inconclusive,
                        error: m.error,
                        measurements: m
                            .measurements
                            .into_iter()
                            .skip(skip)
                            .map(|x| {
                                (
                                    x.value.unwrap_or_else(|| "-".into()),
                                    x.phase.unwrap_or_else(|| "Pending".into()),
                                )
                            })
                            .collect(),
                    }
                })
                .collect(),
            created: meta.creation_timestamp.as_ref().map(|t| t.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::sources::kube::argo::{Rollout, WatchedRollout};

    /// The row as the watcher makes it; the operations' whole decode makes the same.
    fn rollout(v: Value) -> RolloutRow {
        let watched: WatchedRollout = serde_json::from_value(v.clone()).expect("decodes");
        let whole: Rollout = serde_json::from_value(v).expect("decodes");
        let row = RolloutRow::from_object(&watched);
        assert_eq!(row, RolloutRow::from_object(&whole));
        row
    }

    fn canary(status: Value) -> RolloutRow {
        rollout(serde_json::json!({
            "metadata": {"name": "checkout", "namespace": "shop"},
            "spec": {"replicas": 5, "strategy": {"canary": {"steps": [
                {"setWeight": 10}, {"pause": {"duration": "1m"}}, {"analysis": {"templates": [{"templateName": "error-rate"}]}},
                {"setWeight": 50}, {"pause": {}}, {"setWeight": 100}
            ]}}},
            "status": status,
        }))
    }

    #[test]
    fn steps_and_weights_follow_the_current_step() {
        let r = canary(
            serde_json::json!({"currentStepIndex": 2, "stableRS": "a", "currentPodHash": "b",
            "canary": {"weights": {"canary": {"weight": 10}, "stable": {"weight": 90}}}}),
        );
        assert_eq!(r.steps().len(), 6);
        assert_eq!(r.steps()[1], Step::Pause(Some("1m".into())));
        assert_eq!(r.steps()[2], Step::Analysis(vec!["error-rate".to_owned()]));
        assert_eq!(r.set_weight(), Some(10));
        assert_eq!(r.actual_weight, Some(10));
        assert_eq!(r.step_text().as_deref(), Some("2/6"));
        assert_eq!(r.phase(), RolloutPhase::Progressing);
        let at_50 = canary(
            serde_json::json!({"currentStepIndex": 4, "pauseConditions": [{"reason": "CanaryPauseStep"}]}),
        );
        assert_eq!(at_50.set_weight(), Some(50));
        assert_eq!(
            at_50.phase(),
            RolloutPhase::Paused("CanaryPauseStep".into())
        );
        let done = canary(serde_json::json!({"currentStepIndex": 6, "phase": "Healthy"}));
        assert_eq!(done.set_weight(), Some(100));
        assert_eq!(done.step_text().as_deref(), Some("6/6"));
        let aborted =
            canary(serde_json::json!({"currentStepIndex": 2, "abort": true, "phase": "Degraded"}));
        assert_eq!(aborted.phase(), RolloutPhase::Aborted);
        assert_eq!(aborted.set_weight(), Some(0));
    }

    #[test]
    fn odd_fields_decode_to_defaults_not_errors() {
        let r = rollout(serde_json::json!({
            "metadata": {"name": "x", "namespace": "y"},
            "spec": {"strategy": {"canary": {"steps": [{"setWeight": 900}, {"experiment": {}}, 7]}}},
        }));
        assert_eq!(r.steps()[0], Step::SetWeight(100));
        assert_eq!(r.steps()[1], Step::Other("experiment".into()));
        assert_eq!(r.steps()[2], Step::Other("step".into()));
        assert_eq!(r.replicas, 1);
        assert_eq!(r.phase(), RolloutPhase::Unknown);
    }

    #[test]
    fn the_watcher_skips_managed_fields_and_the_template_beyond_its_containers() {
        let v = serde_json::json!({
            "metadata": {"name": "checkout", "namespace": "shop", "uid": "u-1",
                "annotations": {"rollout.argoproj.io/revision": "4", "notes": "kept for the undo"},
                "managedFields": [{"manager": "rollouts-controller", "fieldsV1": {"f:status": {}}}]},
            "spec": {"replicas": 3, "template": {"metadata": {"labels": {"app": "checkout"}},
                "spec": {"volumes": [{"name": "v"}], "containers": [{"name": "app", "image": "img:4",
                    "env": [{"name": "A", "value": "B"}],
                    "resources": {"requests": {"cpu": "100m"}, "limits": {"cpu": "500m"}}}]}},
                "strategy": {"blueGreen": {"activeService": "checkout"}}},
        });
        let row = rollout(v.clone());
        assert_eq!(row.containers.len(), 1);
        assert_eq!(row.containers[0].image, "img:4");
        assert!(
            row.containers[0].resources.contains("cpu 100m/500m"),
            "{:?}",
            row.containers
        );
        let watched: WatchedRollout = serde_json::from_value(v.clone()).expect("decodes");
        assert!(watched.metadata.managed_fields.is_none());
        // the operations keep what they write back or match on
        let whole: Rollout = serde_json::from_value(v).expect("decodes");
        assert!(whole.metadata.managed_fields.is_none());
        assert_eq!(whole.metadata.uid.as_deref(), Some("u-1"));
        assert_eq!(whole.metadata.annotations.map(|a| a.len()), Some(2));
        let template = whole.spec.template.and_then(|t| t.spec).expect("template");
        assert_eq!(template.volumes.map(|v| v.len()), Some(1));
    }
}
