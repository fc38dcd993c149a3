//! The world's state: [`World`], with the state its controllers keep of each pod and each
//! pod's log. What moves it is in the files beside this one, each an `impl World`.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use axum::body::Bytes;
use tokio::sync::broadcast;

use super::cast::Scenario;
use super::github::GitHub;
use super::gpus;
use crate::metrics::Traffic;
use crate::rng::Rng;
use crate::store::{Key, Kind, Store};

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Faults {
    pub latency_ms: u64,
    pub error_rate: f64,
    /// only requests whose path starts with this get the injected 500s ("" = all but /_sandbox)
    pub error_path_prefix: String,
    /// (verb, namespace) pairs refused with 403; namespace "*" means every namespace
    pub forbid: Vec<(String, String)>,
    pub restarts: u64,
    pub watch_drops: u64,
}

pub struct World {
    pub store: Store,
    pub now_ms: i64,
    /// how many pods `/_sandbox/churn` has touched: the next churn goes on from there
    pub churned: usize,
    pub paused: bool,
    pub speed: f64,
    pub rng: Rng,
    pub seed: u64,
    pub scenario: Scenario,
    pub bad_images: BTreeSet<String>,
    pub dirty: BTreeSet<Key>,
    /// StatefulSets, DaemonSets, Jobs and CronJobs whose controller should run on the next step
    pub dirty_ctl: BTreeSet<(Kind, String, String)>,
    /// per CronJob, the simulated minute up to which its schedule has been looked at
    pub cron_checked: HashMap<Key, i64>,
    pub active_pods: BTreeMap<Key, PodSim>,
    pub logs: HashMap<Key, LogBuf>,
    pub log_order: VecDeque<Key>,
    pub log_tx: broadcast::Sender<Arc<LogEvt>>,
    pub traffic: BTreeMap<String, Traffic>,
    /// the services' pages as a Prometheus scraping them keeps them (`history.rs`)
    pub tsdb: crate::history::Tsdb,
    pub github: GitHub,
    pub faults: Faults,
    pub events_kept: VecDeque<Key>,
    pub event_index: HashMap<(Key, String), String>,
    /// build mode: pods are created ready, old replica sets drop at once, no events
    pub instant: bool,
    pub gpu_hot: bool,
    /// the DGX hosts, which pod holds which GPU, and GPU faults
    pub gpu: gpus::GpuFleet,
    pub load_pods: usize,
    /// Spread the load pods over Deployments, StatefulSets and Jobs instead of
    /// Deployments only (`--pod-kinds mixed`).
    pub load_mixed: bool,
    pub fault_rng: Rng,
    /// Argo Rollouts' CRDs are served (and their controller runs)
    pub rollouts: bool,
    /// Rollouts have the status subresource (a real install has; off to test fallbacks)
    pub rollouts_status_subresource: bool,
    /// images whose pods run and are ready but answer ~18 % of requests with 5xx
    pub error_images: BTreeSet<String>,
    /// per AnalysisRun, the (requests, 5xx) of its revision at its last measurement
    pub analysis_marks: HashMap<Key, (f64, f64)>,
    /// the store's resourceVersion up to which the EndpointSlice controller has looked
    pub slices_rv: u64,
    /// randomness for events and the config, storage and networking objects, apart from
    /// `rng` so that they do not change the names and placement of pods
    pub aux_rng: Rng,
}

#[derive(Debug, Clone)]
pub struct PodSim {
    pub crash: bool,
    /// 0 pending, 1 running not ready, 2 crashed (back-off), 3 restarted (running, not ready)
    pub stage: u8,
    pub next_ms: i64,
    pub restarts: i64,
    pub run_started_ms: i64,
    /// the container runs to completion and exits with this code (Job pods)
    pub finish: Option<i32>,
}

#[derive(Debug, Clone)]
pub struct LogLine {
    pub ms: i64,
    pub bytes: Bytes,
}

#[derive(Debug)]
pub struct LogBuf {
    pub current: VecDeque<LogLine>,
    pub previous: Vec<LogLine>,
    pub next_ms: i64,
    pub rng: Rng,
    pub app: String,
    pub bad: bool,
}

#[derive(Debug, Clone)]
pub struct LogEvt {
    pub key: Key,
    /// None: the stream ends (container died or pod deleted)
    pub line: Option<LogLine>,
}
