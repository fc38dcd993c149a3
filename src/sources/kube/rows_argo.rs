//! Argo Rollouts' rows ([`super::model`]) made from the Rollout and AnalysisRun objects
//! [`super::argo`] decodes.

use serde_json::Value;

use super::argo::{AnalysisRun, RolloutOf};
use super::model::{
    AnalysisRunRow, ContainerSpec, MEASUREMENTS, MetricRow, RolloutRow, Step, Strategy,
};
use super::rows_containers::{container_spec, declared_specs};
use super::slim::key_of;

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
            key: key_of(meta),
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
}

impl AnalysisRunRow {
    pub fn from_object(a: &AnalysisRun) -> AnalysisRunRow {
        let meta = &a.metadata;
        let status = a.status.clone().unwrap_or_default();
        AnalysisRunRow {
            key: key_of(meta),
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
    use crate::sources::kube::model::RolloutPhase;

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
