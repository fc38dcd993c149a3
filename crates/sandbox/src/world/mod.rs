//! The simulated world: the object store plus the controllers that make it move (deployment
//! and replica-set controllers, a kubelet for pod lifecycles and logs), traffic for the
//! metrics, the GitHub pipeline and the fault switches, all advanced by a simulated clock.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::json::{at, set};
use super::rng::Rng;
use super::store::{Key, Kind, Obj, Store, meta_str};
use github::GitHub;

mod analysis;
mod backfill;
mod bluegreen;
mod cast;
mod cron;
mod cronjobs;
mod daemonsets;
mod deployments;
mod disruption;
pub mod github;
mod gpu_sim;
pub mod gpus;
mod jobs;
mod logs;
mod meta;
mod nodes;
mod owned;
mod pods;
mod resources;
mod revisions;
mod rollout_status;
mod rollouts;
mod scenario_rollouts;
mod scenario_workloads;
mod scenarios;
mod state;
mod statefulsets;
mod template;
mod time;
mod workloads;

pub use disruption::EvictRefusal;

pub use cast::{APPS, ENVS, IMAGE_REPO, MAIN_NS, Scenario};
use meta::owner_name_kind;
pub use meta::{at_mut, bump_generation, has_generation};
pub use resources::{CERTIFICATE_CRD, certificate_crd};
pub use state::{Faults, LogEvt, LogLine, PodSim, World};
use template::names_and_images;
pub use template::{first_image, revision_of, template_hash, template_without_hash};
pub use time::{ts, ts_nanos, wall_ms};

pub const HISTORY_CAP: usize = 10_000;
/// At most this many events are kept (the oldest go first) ...
pub const EVENTS_CAP: usize = 2_000;
/// ... and none older than an hour since its last occurrence, kube-apiserver's default
/// `--event-ttl`.
pub const EVENT_TTL_MS: i64 = 3_600_000;

impl World {
    pub fn new(seed: u64, scenario: Scenario) -> World {
        let (log_tx, _) = broadcast::channel(4096);
        let now = wall_ms();
        World {
            store: Store::new(HISTORY_CAP),
            now_ms: now,
            churned: 0,
            paused: false,
            speed: 1.0,
            rng: Rng::new(seed),
            seed,
            scenario,
            bad_images: BTreeSet::new(),
            dirty: BTreeSet::new(),
            dirty_ctl: BTreeSet::new(),
            cron_checked: HashMap::new(),
            active_pods: BTreeMap::new(),
            logs: HashMap::new(),
            log_order: VecDeque::new(),
            log_tx,
            traffic: BTreeMap::new(),
            tsdb: crate::history::Tsdb::default(),
            github: GitHub::new(seed),
            faults: Faults::default(),
            events_kept: VecDeque::new(),
            event_index: HashMap::new(),
            instant: false,
            gpu_hot: scenario == Scenario::GpuHot,
            gpu: gpus::GpuFleet::new(1),
            load_pods: 0,
            load_mixed: false,
            fault_rng: Rng::new(seed ^ 0xfa017),
            rollouts: scenario.has_rollouts(),
            rollouts_status_subresource: true,
            error_images: BTreeSet::new(),
            analysis_marks: HashMap::new(),
            slices_rv: 0,
            aux_rng: Rng::new(seed ^ 0xa11_0bec7),
        }
    }

    pub fn new_meta(&mut self, name: &str, ns: &str, created_ms: i64) -> Value {
        let mut m = json!({
            "name": name,
            "uid": self.rng.uid(),
            "creationTimestamp": ts(created_ms),
        });
        if !ns.is_empty() {
            m["namespace"] = json!(ns);
        }
        m
    }

    /// New metadata whose uid comes from `aux_rng` (events, config and networking objects).
    pub fn aux_meta(&mut self, name: &str, ns: &str, created_ms: i64) -> Value {
        let mut m = json!({
            "name": name,
            "uid": self.aux_rng.uid(),
            "creationTimestamp": ts(created_ms),
        });
        if !ns.is_empty() {
            m["namespace"] = json!(ns);
        }
        m
    }

    /// `meta` as a person's `kubectl apply` leaves it: a `metadata.managedFields` entry
    /// for the client-side apply, as a real API server records one for every writer.
    pub fn applied_meta(&mut self, name: &str, ns: &str, created_ms: i64) -> Value {
        let mut m = self.new_meta(name, ns, created_ms);
        m["managedFields"] = json!([{
            "manager": "kubectl-client-side-apply",
            "operation": "Update",
            "apiVersion": "apps/v1",
            "time": ts(created_ms),
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {"f:annotations": {".": {}}, "f:labels": {".": {}}}, "f:spec": {}},
        }]);
        m
    }

    /// Create an object (assigning uid and creationTimestamp if missing).
    pub fn create(&mut self, kind: Kind, mut obj: Value) -> Arc<Obj> {
        let now = self.now_ms;
        if at(&obj, &["metadata", "uid"]).is_none() {
            let uid = self.rng.uid();
            set(&mut obj, &["metadata", "uid"], json!(uid));
        }
        if at(&obj, &["metadata", "creationTimestamp"]).is_none() {
            set(&mut obj, &["metadata", "creationTimestamp"], json!(ts(now)));
        }
        if has_generation(kind) {
            set(&mut obj, &["metadata", "generation"], json!(1));
        }
        obj["kind"] = json!(kind.info().name);
        obj["apiVersion"] = json!(kind.api_version());
        self.store.put(kind, obj)
    }

    // ---------------------------------------------------------------- events

    /// Records an event about `involved` as the controller of `kind` (or the kubelet or
    /// scheduler for a pod) does: a repeat of the same reason and message about the same
    /// object is folded into the earlier event (`count` + 1, `lastTimestamp` now), as
    /// client-go's event recorder folds them.
    pub fn record_event(
        &mut self,
        involved: &Value,
        kind: Kind,
        etype: &str,
        reason: &str,
        message: &str,
    ) {
        self.record_event_at(involved, kind, None, etype, reason, message);
    }

    /// An event about one container of a pod (`involvedObject.fieldPath`
    /// `spec.containers{NAME}`), from the kubelet.
    pub fn record_container_event(
        &mut self,
        pod: &Value,
        container: &str,
        etype: &str,
        reason: &str,
        message: &str,
    ) {
        let path = format!("spec.containers{{{container}}}");
        self.record_event_at(pod, Kind::Pod, Some(&path), etype, reason, message);
    }

    fn record_event_at(
        &mut self,
        involved: &Value,
        kind: Kind,
        field_path: Option<&str>,
        etype: &str,
        reason: &str,
        message: &str,
    ) {
        if self.instant {
            return;
        }
        self.expire_events();
        let ns = meta_str(involved, "namespace").to_string();
        let iname = meta_str(involved, "name").to_string();
        let ikey: Key = (ns.clone(), iname.clone());
        let fold = format!("{}/{reason}/{message}", field_path.unwrap_or(""));
        let now = ts(self.now_ms);
        if let Some(evname) = self.event_index.get(&(ikey.clone(), fold.clone())).cloned()
            && let Some(ev) = self.store.get(Kind::Event, &ns, &evname)
        {
            let mut ev = (*ev).clone();
            let count = ev.get("count").and_then(Value::as_i64).unwrap_or(1) + 1;
            ev["count"] = json!(count);
            ev["lastTimestamp"] = json!(now);
            ev["involvedObject"]["resourceVersion"] = json!(meta_str(involved, "resourceVersion"));
            self.store.put(Kind::Event, ev);
            return;
        }
        // named as client-go's recorder names them: the object, then the time in hex
        // nanoseconds (the store's counter in the sub-millisecond part keeps names unique),
        // so that a list comes in the order they happened
        let nanos = self.now_ms.max(0) as u64 * 1_000_000 + self.store.rv % 1_000_000;
        let evname = format!("{iname}.{nanos:x}");
        let meta = self.aux_meta(&evname, &ns, self.now_ms);
        let component = match kind {
            Kind::Pod if matches!(reason, "Scheduled" | "FailedScheduling") => "default-scheduler",
            Kind::Pod => "kubelet",
            Kind::Deployment => "deployment-controller",
            Kind::ReplicaSet => "replicaset-controller",
            Kind::StatefulSet => "statefulset-controller",
            Kind::DaemonSet => "daemonset-controller",
            Kind::Job => "job-controller",
            Kind::CronJob => "cronjob-controller",
            Kind::Rollout => "rollouts-controller",
            _ => "sandbox",
        };
        let node = if component == "kubelet" {
            crate::json::str_at(involved, &["spec", "nodeName"]).to_string()
        } else {
            String::new()
        };
        let mut source = json!({"component": component});
        if !node.is_empty() {
            source["host"] = json!(node);
        }
        let mut io = json!({
            "kind": kind.info().name,
            "namespace": ns,
            "name": iname,
            "uid": meta_str(involved, "uid"),
            "apiVersion": kind.api_version(),
            "resourceVersion": meta_str(involved, "resourceVersion"),
        });
        if let Some(fp) = field_path {
            io["fieldPath"] = json!(fp);
        }
        let ev = json!({
            "metadata": meta,
            "involvedObject": io,
            "reason": reason,
            "message": message,
            "source": source,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
            "type": etype,
            "eventTime": null,
            "reportingComponent": component,
            "reportingInstance": node,
        });
        self.create(Kind::Event, ev);
        self.event_index.insert((ikey, fold), evname.clone());
        self.events_kept.push_back((ns, evname));
        while self.events_kept.len() > EVENTS_CAP {
            if let Some((ns, n)) = self.events_kept.pop_front() {
                self.forget_event(&ns, &n);
            }
        }
    }

    /// Drops the events not written for an hour (kube-apiserver's `--event-ttl`), oldest
    /// first.
    fn expire_events(&mut self) {
        let cutoff = self.now_ms - EVENT_TTL_MS;
        while let Some((ns, n)) = self.events_kept.front().cloned() {
            let last = self
                .store
                .obj(Kind::Event, &ns, &n)
                .map(|e| e.field("lastTimestamp"))
                .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                .map(|t| t.as_millisecond());
            match last {
                Some(ms) if ms >= cutoff => break,
                _ => {
                    self.events_kept.pop_front();
                    self.forget_event(&ns, &n);
                }
            }
        }
    }

    fn forget_event(&mut self, ns: &str, name: &str) {
        self.store.delete(Kind::Event, ns, name);
        self.event_index
            .retain(|(k, _), v| !(k.0 == ns && v == name));
    }

    /// Advance the simulation by `dt_ms` of simulated time.
    pub fn step(&mut self, dt_ms: i64) {
        let dt_ms = dt_ms.max(0);
        self.now_ms += dt_ms;
        self.step_pods();
        let dirty: Vec<Key> = std::mem::take(&mut self.dirty).into_iter().collect();
        for (ns, name) in dirty {
            if self.reconcile_deployment(&ns, &name) {
                self.dirty.insert((ns, name));
            }
        }
        self.step_workloads();
        self.step_node_taints();
        self.step_disruption();
        if self.rollouts {
            self.step_rollouts();
        }
        self.sync_endpoint_slices();
        self.expire_events();
        self.step_logs();
        self.step_traffic(dt_ms);
        if !self.traffic.is_empty() && self.tsdb.due(self.now_ms) {
            self.scrape_history();
        }
        let actions = self.github.step(self.now_ms);
        for a in actions {
            self.deploy_image(a.namespace, &a.image, &a.cause);
        }
    }

    /// Advance simulated time in steps of at most one second.
    pub fn advance(&mut self, ms: i64) {
        let mut left = ms.max(0);
        while left > 0 {
            let d = left.min(1000);
            self.step(d);
            left -= d;
        }
    }

    /// After an API write, let the controllers react at once.
    pub fn after_write(&mut self, kind: Kind, ns: &str, name: &str) {
        match kind {
            Kind::Deployment => {
                self.reconcile_deployment(ns, name);
                self.dirty.insert((ns.to_string(), name.to_string()));
            }
            Kind::ReplicaSet => {
                let owner = self
                    .store
                    .obj(kind, ns, name)
                    .map(|r| r.owner_name.clone())
                    .filter(|n| !n.is_empty());
                match owner {
                    Some(d) => {
                        self.dirty.insert((ns.to_string(), d));
                    }
                    None => self.reconcile_replicaset(ns, name),
                }
            }
            Kind::Pod => {
                // a pod written without a status gets one from the kubelet
                if let Some(p) = self.store.obj(kind, ns, name)
                    && p.phase.is_empty()
                {
                    let now = self.now_ms;
                    self.active_pods.insert(
                        (ns.to_string(), name.to_string()),
                        PodSim {
                            crash: false,
                            stage: 0,
                            next_ms: now + 1000,
                            restarts: 0,
                            run_started_ms: now,
                            finish: None,
                        },
                    );
                }
            }
            Kind::StatefulSet | Kind::DaemonSet | Kind::Job | Kind::CronJob | Kind::Node => {
                self.after_workload_write(kind, ns, name)
            }
            Kind::Rollout => self.reconcile_rollout(ns, name),
            Kind::Namespace => self.make_root_ca(name),
            _ => {}
        }
        if !self.instant {
            self.sync_endpoint_slices();
        }
    }

    /// After an API delete: garbage-collect dependents and let owners react.
    pub fn after_delete(&mut self, kind: Kind, obj: &Value) {
        let ns = meta_str(obj, "namespace").to_string();
        let uid = meta_str(obj, "uid").to_string();
        match kind {
            Kind::Deployment => {
                let rss: Vec<String> = self
                    .store
                    .in_ns(Kind::ReplicaSet, &ns)
                    .filter(|r| r.owner_uid == uid)
                    .map(|r| r.name.clone())
                    .collect();
                for r in rss {
                    if let Some(o) = self.store.delete(Kind::ReplicaSet, &ns, &r) {
                        self.after_delete(Kind::ReplicaSet, &o);
                    }
                }
            }
            Kind::ReplicaSet => {
                let pods: Vec<String> = self
                    .store
                    .in_ns(Kind::Pod, &ns)
                    .filter(|p| p.owner_uid == uid)
                    .map(|p| p.name.clone())
                    .collect();
                for p in pods {
                    self.delete_pod(&ns, &p);
                }
            }
            Kind::Pod => {
                let key: Key = (ns.clone(), meta_str(obj, "name").to_string());
                self.gpu.release(&key.0, &key.1);
                self.active_pods.remove(&key);
                if self.logs.remove(&key).is_some() {
                    let _ = self.log_tx.send(Arc::new(LogEvt { key, line: None }));
                }
                if let Some((k, rs)) = owner_name_kind(obj)
                    && k == "ReplicaSet"
                {
                    let rs = rs.to_string();
                    let owner = self
                        .store
                        .obj(Kind::ReplicaSet, &ns, &rs)
                        .map(|r| r.owner_name.clone())
                        .filter(|n| !n.is_empty());
                    self.reconcile_replicaset(&ns, &rs);
                    if let Some(d) = owner {
                        self.dirty.insert((ns.clone(), d));
                    }
                }
                self.pod_changed(&ns, obj);
            }
            Kind::StatefulSet | Kind::DaemonSet | Kind::Job | Kind::CronJob | Kind::Node => {
                self.after_workload_delete(kind, obj)
            }
            Kind::Rollout => self.after_rollout_delete(obj),
            Kind::Namespace => {
                let ns = meta_str(obj, "name").to_string();
                for k in [
                    Kind::Deployment,
                    Kind::ReplicaSet,
                    Kind::Pod,
                    Kind::Service,
                    Kind::Event,
                    Kind::Hpa,
                    Kind::StatefulSet,
                    Kind::DaemonSet,
                    Kind::ControllerRevision,
                    Kind::CronJob,
                    Kind::Job,
                    Kind::Rollout,
                    Kind::AnalysisRun,
                    Kind::AnalysisTemplate,
                    Kind::ConfigMap,
                    Kind::Secret,
                    Kind::EndpointSlice,
                    Kind::Ingress,
                    Kind::PersistentVolumeClaim,
                    Kind::Certificate,
                ] {
                    let names: Vec<String> =
                        self.store.in_ns(k, &ns).map(|o| o.name.clone()).collect();
                    for n in names {
                        if k == Kind::Pod {
                            self.delete_pod(&ns, &n);
                        } else {
                            self.store.delete(k, &ns, &n);
                        }
                    }
                }
            }
            _ => {}
        }
        if !self.instant {
            self.sync_endpoint_slices();
        }
    }

    /// Whether pods running a bad image are serving `app` in the main namespace.
    pub fn bad_pods(&self, app: &str) -> usize {
        if self.bad_images.is_empty() {
            return 0;
        }
        self.store
            .in_ns(Kind::Pod, MAIN_NS)
            .filter(|p| p.label("app") == Some(app) && self.bad_images.contains(&p.image))
            .count()
    }

    fn step_traffic(&mut self, dt_ms: i64) {
        if dt_ms == 0 {
            return;
        }
        let names: Vec<String> = self.traffic.keys().cloned().collect();
        for n in names {
            let (split, slow) = self.traffic_plan(&n);
            if let Some(t) = self.traffic.get_mut(&n) {
                t.add_split(dt_ms, &split, slow);
            }
        }
    }

    /// How `app`'s requests go now: (revision, share, error ratio) per revision that
    /// serves, and whether they are slow. A service a Rollout serves splits by its weights;
    /// another errs while pods of a bad image serve it.
    pub(super) fn traffic_plan(&self, app: &str) -> (Vec<(String, f64, f64)>, bool) {
        if let Some(split) = self.rollout_split(MAIN_NS, app) {
            let slow = split.iter().any(|s| s.2 > 0.1);
            return (split, slow);
        }
        let bad = self.bad_pods(app) > 0;
        let err = if bad { 0.15 } else { 0.002 };
        (vec![(String::new(), 1.0, err)], bad)
    }

    /// One scrape of every service's page into the history.
    pub(super) fn scrape_history(&mut self) {
        let samples = self.traffic.values().flat_map(|t| t.samples()).collect();
        self.tsdb.append(self.now_ms, samples);
    }
}
