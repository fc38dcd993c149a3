//! Argo Rollouts (`argoproj.io/v1alpha1`): the Rollout and AnalysisRun objects as the
//! console reads them, and whether the cluster serves them at all. Their compact rows are
//! in [`super::model`], made in [`super::rows_argo`].
//! Only the fields shown or needed by the operations are decoded; everything else in the
//! objects is skipped. Nothing here is polled when the CRD is absent.

use super::slim::namespaced_resource;
use super::slim_kinds::Selector;
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Deserialize;
use serde_json::Value;

pub const GROUP: &str = "argoproj.io";
pub const VERSION: &str = "v1alpha1";

/// A Rollout as decoded: metadata (without managedFields), and spec and status as far as
/// the console reads them. `T` is its pod template: whole where the operations read it
/// ([`Rollout`]: the undo compares it with a revision's), its containers only where the
/// watcher does ([`WatchedRollout`]).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(bound(deserialize = "T: Deserialize<'de> + Default"))]
pub struct RolloutOf<T> {
    #[serde(default, deserialize_with = "super::slim::meta_for_writing")]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: RolloutSpec<T>,
    #[serde(default)]
    pub status: Option<RolloutStatus>,
}

/// A Rollout as the operations read it, its template whole.
pub type Rollout = RolloutOf<PodTemplateSpec>;
/// A Rollout as the Workloads pane's watcher decodes it: its template's containers only.
pub type WatchedRollout = RolloutOf<super::slim_kinds::Template>;
namespaced_resource!(Rollout, "Rollout", GROUP, VERSION, "rollouts");
namespaced_resource!(WatchedRollout, "Rollout", GROUP, VERSION, "rollouts");

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
#[serde(bound(deserialize = "T: Deserialize<'de> + Default"))]
pub struct RolloutSpec<T> {
    pub replicas: Option<i32>,
    pub paused: bool,
    pub selector: Option<Selector>,
    pub template: Option<T>,
    pub strategy: StrategySpec,
    pub restart_at: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct StrategySpec {
    pub canary: Option<CanarySpec>,
    pub blue_green: Option<BlueGreenSpec>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct CanarySpec {
    pub steps: Vec<Value>,
    pub canary_service: Option<String>,
    pub stable_service: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct BlueGreenSpec {
    pub active_service: Option<String>,
    pub preview_service: Option<String>,
    pub auto_promotion_enabled: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct RolloutStatus {
    pub phase: Option<String>,
    pub message: Option<String>,
    pub current_step_index: Option<i32>,
    pub current_pod_hash: Option<String>,
    #[serde(rename = "stableRS")]
    pub stable_rs: Option<String>,
    pub pause_conditions: Option<Vec<PauseCondition>>,
    pub controller_pause: bool,
    pub abort: bool,
    pub aborted_at: Option<String>,
    pub promote_full: bool,
    pub replicas: Option<i32>,
    pub updated_replicas: Option<i32>,
    pub ready_replicas: Option<i32>,
    pub available_replicas: Option<i32>,
    pub canary: CanaryStatus,
    pub blue_green: BlueGreenStatus,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct PauseCondition {
    pub reason: String,
    pub start_time: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct CanaryStatus {
    pub weights: Option<TrafficWeights>,
    pub current_step_analysis_run_status: Option<AnalysisRef>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct TrafficWeights {
    pub canary: WeightDestination,
    pub stable: WeightDestination,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct WeightDestination {
    pub weight: i32,
    pub pod_template_hash: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct AnalysisRef {
    pub name: String,
    pub status: String,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct BlueGreenStatus {
    pub active_selector: Option<String>,
    pub preview_selector: Option<String>,
}

/// An AnalysisRun: its phase and each metric's results.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct AnalysisRun {
    #[serde(default, deserialize_with = "super::slim::slim_meta")]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub status: Option<AnalysisRunStatus>,
}
namespaced_resource!(AnalysisRun, "AnalysisRun", GROUP, VERSION, "analysisruns");

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct AnalysisRunStatus {
    pub phase: Option<String>,
    pub message: Option<String>,
    pub metric_results: Vec<MetricResultSpec>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct MetricResultSpec {
    pub name: String,
    pub phase: Option<String>,
    pub count: i32,
    pub successful: i32,
    pub failed: i32,
    pub inconclusive: i32,
    pub error: i32,
    pub measurements: Vec<MeasurementSpec>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct MeasurementSpec {
    pub phase: Option<String>,
    pub value: Option<String>,
    pub finished_at: Option<String>,
}

/// Whether the cluster serves Argo Rollouts: `Some(true)` when `argoproj.io/v1alpha1`
/// lists `rollouts`, `Some(false)` when the group is not served (404: no CRD), `None`
/// when the question could not be answered (unreachable, 403, 5xx) and should be asked
/// again.
pub async fn rollouts_served(client: &kube::Client) -> Result<bool, kube::Error> {
    match client
        .list_api_group_resources(&format!("{GROUP}/{VERSION}"))
        .await
    {
        Ok(list) => Ok(list.resources.iter().any(|r| r.name == "rollouts")),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(false),
        Err(e) => Err(e),
    }
}
