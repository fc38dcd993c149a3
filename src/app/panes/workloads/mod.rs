//! Workloads pane data and its part of `update`. Pure: no I/O.
//!
//! Rows arrive from the Kubernetes source as snapshots (after every list) and deltas;
//! they are kept by key with two small indexes (replicasets by deployment, pods by
//! replicaset) so the views below never scan every pod.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use jiff::Timestamp;

use crate::action::Action;
use crate::app::event::Effect;
use crate::app::state::{SourceId, SourceStatus, State};
use crate::pane::PaneId;
use crate::sources::kube::model::{
    AnalysisRunRow, CronJobRow, DaemonSetRow, DeploymentRow, EventRow, Failure, HpaRow, JobRow,
    Kind, ListProgress, ObjKey, PodRow, ReplicaSetRow, RevisionRow, Rollout, RolloutRow, Rows,
    StatefulSetRow, WorkloadKind, WorkloadsMsg,
};

mod keys;
mod kinds;
pub mod ops;
pub mod rollouts;
mod views;
pub mod yaml;

pub use keys::{narrow, on_action};

pub use kinds::*;
pub use views::*;

/// Table order. Trouble first is the default: what is broken is at the top.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortKey {
    #[default]
    Trouble,
    Name,
    Age,
    Restarts,
}

impl SortKey {
    pub fn next(self) -> SortKey {
        match self {
            SortKey::Trouble => SortKey::Name,
            SortKey::Name => SortKey::Age,
            SortKey::Age => SortKey::Restarts,
            SortKey::Restarts => SortKey::Trouble,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Trouble => "trouble",
            SortKey::Name => "name",
            SortKey::Age => "age",
            SortKey::Restarts => "restarts",
        }
    }
}

/// Which list the cursor is in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Section {
    #[default]
    Deployments,
    /// The pods of one workload; the table cursor is kept to come back to.
    Pods {
        workload: WorkloadRef,
        table_selected: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DetailTarget {
    Deployment(ObjKey),
    Pod(ObjKey),
    /// A StatefulSet, DaemonSet, Job or CronJob.
    Workload(WorkloadRef),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    pub target: DetailTarget,
    pub scroll: u16,
}

/// A list under way: how far it has got, and — where rows of the kind were already held
/// when it started (a re-list) — the keys it named, so that what it did not name goes when
/// it ends.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub progress: ListProgress,
    seen: Option<HashSet<ObjKey>>,
}

/// What the workloads source has told the ui task, and the pane's own view state.
#[derive(Debug, Clone, Default)]
pub struct WorkloadsData {
    pub deployments: BTreeMap<ObjKey, DeploymentRow>,
    pub replicasets: HashMap<ObjKey, ReplicaSetRow>,
    pub pods: HashMap<ObjKey, PodRow>,
    pub hpas: HashMap<ObjKey, HpaRow>,
    pub events: HashMap<ObjKey, EventRow>,
    pub statefulsets: BTreeMap<ObjKey, StatefulSetRow>,
    pub daemonsets: BTreeMap<ObjKey, DaemonSetRow>,
    pub jobs: BTreeMap<ObjKey, JobRow>,
    pub cronjobs: BTreeMap<ObjKey, CronJobRow>,
    pub revisions: HashMap<ObjKey, RevisionRow>,
    /// Argo Rollouts and their AnalysisRuns (empty where the cluster does not serve them).
    pub rollouts: BTreeMap<ObjKey, RolloutRow>,
    pub analysis_runs: HashMap<ObjKey, AnalysisRunRow>,
    /// Whether the cluster serves Argo Rollouts; `None` until the source asked.
    pub rollouts_served: Option<bool>,
    /// rollout → its replicasets' names
    rs_by_rollout: HashMap<ObjKey, BTreeSet<String>>,
    /// StatefulSet, DaemonSet or Job → the names of the pods it controls
    pods_by_owner: HashMap<WorkloadRef, BTreeSet<String>>,
    /// deployment → its replicasets' names
    rs_by_deployment: HashMap<ObjKey, BTreeSet<String>>,
    /// replicaset → its pods' names
    pods_by_rs: HashMap<ObjKey, BTreeSet<String>>,
    /// replicaset → how many of its pods are in trouble
    trouble_by_rs: HashMap<ObjKey, u32>,
    /// kinds whose first list arrived
    pub synced: BTreeSet<Kind>,
    /// lists under way, page by page
    pub listing: BTreeMap<Kind, Listing>,
    pub failures: BTreeMap<Kind, Failure>,
    /// No client (no kubeconfig, unknown context): what to do about it.
    pub no_client: Option<String>,
    pub last_ok: Option<Timestamp>,
    pub sort: SortKey,
    /// Which kinds the table shows (`:deploy`, `:sts`, …, `:all`).
    pub narrow: Narrow,
    pub section: Section,
    pub detail: Option<Detail>,
    /// The YAML view of one object (`y`), over the table while open.
    pub yaml: Option<yaml::YamlView>,
    /// Bumped by every message from the source: the rows changed.
    generation: u64,
    /// The tables as last shown; see [`refresh_view`].
    view: View,
}

/// The two tables as shown — filtered and sorted keys — kept between frames and rebuilt
/// by [`refresh_view`] only when what they are made of changed (rows, sort, filter, the
/// deployment whose pods are listed). A frame then reads the rows it draws and no more,
/// and a burst of watch events costs one rebuild, not one per event.
#[derive(Debug, Clone, Default)]
struct View {
    deployments_for: Option<DeploymentsInputs>,
    deployments: Vec<WorkloadRef>,
    pods_for: Option<PodsInputs>,
    pods: Vec<ObjKey>,
    /// whether a pod of the list asks for GPUs (the list then has a GPU column)
    pods_gpus: bool,
    /// how many rows each list has before its filter
    deployments_total: usize,
    pods_total: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct DeploymentsInputs {
    generation: u64,
    sort: SortKey,
    narrow: Narrow,
    filter: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct PodsInputs {
    generation: u64,
    sort: SortKey,
    deployment: WorkloadRef,
    filter: String,
}

/// Most warning events kept; the oldest go first.
const MAX_EVENTS: usize = 2000;

fn owner_key(ns: &str, name: &Option<String>) -> Option<ObjKey> {
    name.as_ref().map(|n| ObjKey::new(ns, n))
}

/// Adds or removes `name` under `key` of a name index, dropping empty sets.
fn index_name<K: std::hash::Hash + Eq>(
    index: &mut HashMap<K, BTreeSet<String>>,
    key: K,
    name: &str,
    add: bool,
) {
    if add {
        index.entry(key).or_default().insert(name.to_owned());
    } else if let Some(set) = index.get_mut(&key) {
        set.remove(name);
        if set.is_empty() {
            index.remove(&key);
        }
    }
}

/// What a message changed: nothing shown, rows drawn as they are, or what the tables'
/// membership and order are made of (their keys are then rebuilt).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Change {
    None,
    Row,
    Shape,
}

fn pod_in_trouble(p: &PodRow) -> bool {
    p.reason.is_error()
}

impl WorkloadsData {
    fn index_rs(&mut self, rs: &ReplicaSetRow, add: bool) {
        if let Some(r) = owner_key(&rs.key.namespace, &rs.rollout) {
            index_name(&mut self.rs_by_rollout, r, &rs.key.name, add);
        }
        if let Some(d) = owner_key(&rs.key.namespace, &rs.owner) {
            index_name(&mut self.rs_by_deployment, d, &rs.key.name, add);
        }
    }

    fn index_pod_owner(&mut self, p: &PodRow, add: bool) {
        let kind = match p.controller.as_ref().map(|(k, _)| k.as_str()) {
            Some("StatefulSet") => WorkloadKind::StatefulSet,
            Some("DaemonSet") => WorkloadKind::DaemonSet,
            Some("Job") => WorkloadKind::Job,
            _ => return,
        };
        let Some((_, name)) = &p.controller else {
            return;
        };
        let owner = WorkloadRef::new(kind, ObjKey::new(&p.key.namespace, name));
        index_name(&mut self.pods_by_owner, owner, &p.key.name, add);
    }

    fn index_pod(&mut self, p: &PodRow, add: bool) {
        self.index_pod_owner(p, add);
        let Some(rs) = owner_key(&p.key.namespace, &p.owner) else {
            return;
        };
        if pod_in_trouble(p) {
            self.count_trouble(rs.clone(), add);
        }
        index_name(&mut self.pods_by_rs, rs, &p.key.name, add);
    }

    fn put_rs(&mut self, rs: ReplicaSetRow) {
        if let Some(old) = self.replicasets.remove(&rs.key) {
            self.index_rs(&old, false);
        }
        self.index_rs(&rs, true);
        self.replicasets.insert(rs.key.clone(), rs);
    }

    fn put_pod(&mut self, p: PodRow) -> Change {
        if let Some(old) = self.pods.get_mut(&p.key) {
            if *old == p {
                return Change::None;
            }
            // a modified pod nearly always keeps its owners: then only its trouble count
            // can move, and the indexes (names by owner) stay as they are
            if old.owner == p.owner && old.controller == p.controller {
                let (was, is) = (pod_in_trouble(old), pod_in_trouble(&p));
                // what the tables' order and filters read: anything else is drawn from
                // the row as it is, with no rebuild of the lists
                let shape = old.reason != p.reason
                    || old.gpus != p.gpus
                    || old.restarts != p.restarts && self.sort == SortKey::Restarts
                    || old.created != p.created
                    || old.labels != p.labels;
                *old = p;
                if was != is
                    && let Some(rs) = owner_key(&old.key.namespace, &old.owner)
                {
                    self.count_trouble(rs, is);
                }
                return if shape { Change::Shape } else { Change::Row };
            }
        }
        if let Some(old) = self.pods.remove(&p.key) {
            self.index_pod(&old, false);
        }
        self.index_pod(&p, true);
        self.pods.insert(p.key.clone(), p);
        Change::Shape
    }

    fn count_trouble(&mut self, rs: ObjKey, add: bool) {
        if add {
            *self.trouble_by_rs.entry(rs).or_default() += 1;
        } else if let Some(n) = self.trouble_by_rs.get_mut(&rs) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.trouble_by_rs.remove(&rs);
            }
        }
    }

    fn remove(&mut self, kind: Kind, key: &ObjKey) {
        match kind {
            Kind::Deployments => {
                self.deployments.remove(key);
            }
            Kind::ReplicaSets => {
                if let Some(old) = self.replicasets.remove(key) {
                    self.index_rs(&old, false);
                }
            }
            Kind::Pods => {
                if let Some(old) = self.pods.remove(key) {
                    self.index_pod(&old, false);
                }
            }
            Kind::Hpas => {
                self.hpas.remove(key);
            }
            Kind::Events => {
                self.events.remove(key);
            }
            Kind::StatefulSets => {
                self.statefulsets.remove(key);
            }
            Kind::DaemonSets => {
                self.daemonsets.remove(key);
            }
            Kind::Jobs => {
                self.jobs.remove(key);
            }
            Kind::CronJobs => {
                self.cronjobs.remove(key);
            }
            Kind::Revisions => {
                self.revisions.remove(key);
            }
            Kind::Rollouts => {
                self.rollouts.remove(key);
            }
            Kind::AnalysisRuns => {
                self.analysis_runs.remove(key);
            }
        }
    }

    fn clear(&mut self, kind: Kind) {
        match kind {
            Kind::Deployments => self.deployments.clear(),
            Kind::ReplicaSets => {
                self.replicasets.clear();
                self.rs_by_deployment.clear();
                self.rs_by_rollout.clear();
            }
            Kind::Rollouts => self.rollouts.clear(),
            Kind::AnalysisRuns => self.analysis_runs.clear(),
            Kind::Pods => {
                self.pods.clear();
                self.pods_by_rs.clear();
                self.trouble_by_rs.clear();
                self.pods_by_owner.clear();
            }
            Kind::Hpas => self.hpas.clear(),
            Kind::Events => self.events.clear(),
            Kind::StatefulSets => self.statefulsets.clear(),
            Kind::DaemonSets => self.daemonsets.clear(),
            Kind::Jobs => self.jobs.clear(),
            Kind::CronJobs => self.cronjobs.clear(),
            Kind::Revisions => self.revisions.clear(),
        }
    }

    /// The rows that differ from those held: an event that changed only what no row shows
    /// (an annotation, managedFields, a status time) changes nothing. Pods are told apart
    /// row by row in [`Self::put_pod`].
    fn changed_only(&self, rows: Rows) -> Rows {
        macro_rules! changed {
            ($v:expr, $held:expr) => {
                $v.into_iter()
                    .filter(|r| $held.get(&r.key) != Some(r))
                    .collect()
            };
        }
        match rows {
            Rows::Deployments(v) => Rows::Deployments(changed!(v, self.deployments)),
            Rows::ReplicaSets(v) => Rows::ReplicaSets(changed!(v, self.replicasets)),
            Rows::Hpas(v) => Rows::Hpas(changed!(v, self.hpas)),
            Rows::Events(v) => Rows::Events(changed!(v, self.events)),
            Rows::StatefulSets(v) => Rows::StatefulSets(changed!(v, self.statefulsets)),
            Rows::DaemonSets(v) => Rows::DaemonSets(changed!(v, self.daemonsets)),
            Rows::Jobs(v) => Rows::Jobs(changed!(v, self.jobs)),
            Rows::CronJobs(v) => Rows::CronJobs(changed!(v, self.cronjobs)),
            Rows::Revisions(v) => Rows::Revisions(changed!(v, self.revisions)),
            Rows::Rollouts(v) => Rows::Rollouts(changed!(v, self.rollouts)),
            Rows::AnalysisRuns(v) => Rows::AnalysisRuns(changed!(v, self.analysis_runs)),
            pods @ Rows::Pods(_) => pods,
        }
    }

    fn apply_rows(&mut self, rows: Rows) -> Change {
        let rows = self.changed_only(rows);
        if rows.is_empty() {
            return Change::None;
        }
        match rows {
            Rows::Deployments(v) => {
                for d in v {
                    self.deployments.insert(d.key.clone(), d);
                }
            }
            Rows::ReplicaSets(v) => {
                for r in v {
                    self.put_rs(r);
                }
            }
            Rows::Pods(v) => {
                self.pods.reserve(v.len());
                return v
                    .into_iter()
                    .map(|p| self.put_pod(p))
                    .fold(Change::None, Change::max);
            }
            Rows::Hpas(v) => {
                for h in v {
                    self.hpas.insert(h.key.clone(), h);
                }
            }
            Rows::StatefulSets(v) => {
                self.statefulsets
                    .extend(v.into_iter().map(|r| (r.key.clone(), r)));
            }
            Rows::DaemonSets(v) => {
                self.daemonsets
                    .extend(v.into_iter().map(|r| (r.key.clone(), r)));
            }
            Rows::Jobs(v) => self.jobs.extend(v.into_iter().map(|r| (r.key.clone(), r))),
            Rows::CronJobs(v) => {
                self.cronjobs
                    .extend(v.into_iter().map(|r| (r.key.clone(), r)));
            }
            Rows::Revisions(v) => {
                self.revisions
                    .extend(v.into_iter().map(|r| (r.key.clone(), r)));
            }
            Rows::Rollouts(v) => {
                self.rollouts
                    .extend(v.into_iter().map(|r| (r.key.clone(), r)));
            }
            Rows::AnalysisRuns(v) => {
                self.analysis_runs
                    .extend(v.into_iter().map(|r| (r.key.clone(), r)));
            }
            Rows::Events(v) => {
                for e in v {
                    self.events.insert(e.key.clone(), e);
                }
                if self.events.len() > MAX_EVENTS {
                    let mut by_age: Vec<(Option<Timestamp>, ObjKey)> = self
                        .events
                        .values()
                        .map(|e| (e.last, e.key.clone()))
                        .collect();
                    by_age.sort();
                    let excess = self.events.len() - MAX_EVENTS;
                    for (_, k) in by_age.into_iter().take(excess) {
                        self.events.remove(&k);
                    }
                }
            }
        }
        Change::Shape
    }

    /// Applies one message from the source.
    /// Applies one message from the source; returns whether anything shown changed (a
    /// watch event that touched only what no row shows — an annotation, managedFields, a
    /// probe time — changes nothing, and costs no rebuild and no frame).
    pub fn apply(&mut self, msg: WorkloadsMsg, now: Timestamp) -> bool {
        let (kind, change) = match msg {
            WorkloadsMsg::Snapshot(rows) => {
                let kind = rows.kind();
                self.listing.remove(&kind);
                self.clear(kind);
                self.apply_rows(rows);
                self.synced.insert(kind);
                (Some(kind), Change::Shape)
            }
            WorkloadsMsg::Page {
                rows,
                first,
                done,
                progress,
            } => {
                let kind = rows.kind();
                self.page(rows, first, done, progress);
                (Some(kind), Change::Shape)
            }
            WorkloadsMsg::Applied(rows) => (Some(rows.kind()), self.apply_rows(rows)),
            WorkloadsMsg::Deleted { kind, keys } => {
                for k in &keys {
                    self.remove(kind, k);
                }
                (Some(kind), Change::Shape)
            }
            WorkloadsMsg::Failed { kind, failure } => {
                self.failures.insert(kind, failure);
                (None, Change::Row)
            }
            WorkloadsMsg::NoClient(text) => {
                self.no_client = Some(text);
                (None, Change::Shape)
            }
            WorkloadsMsg::RolloutsServed(served) => {
                self.rollouts_served = Some(served);
                (None, Change::Shape)
            }
        };
        if change == Change::Shape {
            self.generation += 1;
        }
        // any message of a kind proves contact: its failure is over
        let recovered = kind.is_some_and(|k| self.ok(k, now, change != Change::None));
        change != Change::None || recovered
    }

    /// One page of a list: its rows in at once; at the end, what the list did not name
    /// out.
    fn page(&mut self, rows: Rows, first: bool, done: bool, progress: ListProgress) {
        let kind = rows.kind();
        if first || !self.listing.contains_key(&kind) {
            let held = self.keys(kind).next().is_some();
            self.listing.insert(
                kind,
                Listing {
                    progress,
                    seen: held.then(HashSet::new),
                },
            );
        }
        if let Some(listing) = self.listing.get_mut(&kind) {
            listing.progress = progress;
            if let Some(seen) = &mut listing.seen {
                seen.extend(rows.keys());
            }
        }
        self.apply_rows(rows);
        if done {
            if let Some(Listing {
                seen: Some(seen), ..
            }) = self.listing.remove(&kind)
            {
                let gone: Vec<ObjKey> = self
                    .keys(kind)
                    .filter(|k| !seen.contains(*k))
                    .cloned()
                    .collect();
                for key in &gone {
                    self.remove(kind, key);
                }
            }
            self.synced.insert(kind);
        }
    }

    /// The keys of the rows held of a kind.
    fn keys(&self, kind: Kind) -> Box<dyn Iterator<Item = &ObjKey> + '_> {
        match kind {
            Kind::Deployments => Box::new(self.deployments.keys()),
            Kind::ReplicaSets => Box::new(self.replicasets.keys()),
            Kind::Pods => Box::new(self.pods.keys()),
            Kind::Hpas => Box::new(self.hpas.keys()),
            Kind::Events => Box::new(self.events.keys()),
            Kind::StatefulSets => Box::new(self.statefulsets.keys()),
            Kind::DaemonSets => Box::new(self.daemonsets.keys()),
            Kind::Jobs => Box::new(self.jobs.keys()),
            Kind::CronJobs => Box::new(self.cronjobs.keys()),
            Kind::Revisions => Box::new(self.revisions.keys()),
            Kind::Rollouts => Box::new(self.rollouts.keys()),
            Kind::AnalysisRuns => Box::new(self.analysis_runs.keys()),
        }
    }

    /// A message of `kind` arrived: its failure is over, and where rows changed they
    /// changed now. Returns whether a failure (or the missing client) was cleared.
    fn ok(&mut self, kind: Kind, now: Timestamp, changed: bool) -> bool {
        let recovered = self.failures.remove(&kind).is_some() | self.no_client.take().is_some();
        if changed || self.last_ok.is_none() {
            self.last_ok = Some(now);
        }
        recovered
    }

    /// The replicasets of a deployment, newest revision first.
    pub fn replicasets_of(&self, d: &ObjKey) -> Vec<&ReplicaSetRow> {
        self.replicasets_in(&self.rs_by_deployment, d)
    }

    /// The replicasets `index` lists under `owner` (a Deployment or a Rollout), newest
    /// revision first.
    fn replicasets_in(
        &self,
        index: &HashMap<ObjKey, BTreeSet<String>>,
        owner: &ObjKey,
    ) -> Vec<&ReplicaSetRow> {
        let mut v: Vec<&ReplicaSetRow> = index
            .get(owner)
            .into_iter()
            .flatten()
            .filter_map(|n| self.replicasets.get(&ObjKey::new(&owner.namespace, n)))
            .collect();
        v.sort_by(|a, b| b.revision.cmp(&a.revision).then(a.key.cmp(&b.key)));
        v
    }

    /// The pods of these replicasets, in their order, by name within one.
    fn pods_of_replicasets<'a>(&'a self, sets: Vec<&'a ReplicaSetRow>) -> Vec<&'a PodRow> {
        let mut v = Vec::new();
        for rs in sets {
            if let Some(names) = self.pods_by_rs.get(&rs.key) {
                v.extend(
                    names
                        .iter()
                        .filter_map(|n| self.pods.get(&ObjKey::new(&rs.key.namespace, n))),
                );
            }
        }
        v
    }

    /// How many of a deployment's pods are in trouble.
    pub fn troubled_pods(&self, d: &ObjKey) -> u32 {
        self.rs_by_deployment
            .get(d)
            .into_iter()
            .flatten()
            .filter_map(|n| {
                self.trouble_by_rs
                    .get(&ObjKey::new(&d.namespace, n))
                    .copied()
            })
            .sum()
    }

    /// A deployment's pods: newest revision first, by name within a revision.
    pub fn pods_of(&self, d: &ObjKey) -> Vec<&PodRow> {
        self.pods_of_replicasets(self.replicasets_of(d))
    }

    /// The HPA that targets a deployment, if any.
    pub fn hpa_for(&self, d: &ObjKey) -> Option<&HpaRow> {
        self.hpas.values().find(|h| {
            h.key.namespace == d.namespace
                && h.target_kind == "Deployment"
                && h.target_name == d.name
        })
    }

    /// The revision of the replicaset a pod belongs to.
    pub fn pod_revision(&self, p: &PodRow) -> Option<i64> {
        let rs = owner_key(&p.key.namespace, &p.owner)?;
        self.replicasets.get(&rs)?.revision
    }

    /// The deployment a pod belongs to (through its replicaset).
    pub fn deployment_of(&self, p: &PodRow) -> Option<&DeploymentRow> {
        let rs = owner_key(&p.key.namespace, &p.owner)?;
        let d = owner_key(&rs.namespace, &self.replicasets.get(&rs)?.owner)?;
        self.deployments.get(&d)
    }

    /// Warning events about a set of object names in a namespace, newest first.
    pub fn events_about(&self, namespace: &str, names: &BTreeSet<&str>) -> Vec<&EventRow> {
        let mut v: Vec<&EventRow> = self
            .events
            .values()
            .filter(|e| e.key.namespace == namespace && names.contains(e.object_name.as_str()))
            .collect();
        v.sort_by(|a, b| b.last.cmp(&a.last).then(a.key.cmp(&b.key)));
        v
    }

    /// 0 = fine … 4 = stalled: the trouble-first order.
    pub fn trouble(&self, d: &DeploymentRow) -> u8 {
        match d.rollout() {
            Rollout::Stalled(_) => 4,
            _ if self.troubled_pods(&d.key) > 0 => 3,
            _ if d.desired > 0 && d.ready < d.desired => 2,
            Rollout::Progressing | Rollout::Paused => 1,
            Rollout::Complete => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.deployments.is_empty()
            && self.pods.is_empty()
            && self.statefulsets.is_empty()
            && self.daemonsets.is_empty()
            && self.jobs.is_empty()
            && self.cronjobs.is_empty()
            && self.rollouts.is_empty()
    }
}

pub fn on_msg(state: &mut State, msg: WorkloadsMsg) -> Vec<Effect> {
    let now = state.now;
    // revisions live in deployments and replicasets: pod churn cannot move a deploy mark,
    // and a page of either moves the marks of the deployments it names, not all
    let touched: Vec<ObjKey> = match &msg {
        WorkloadsMsg::Snapshot(rows)
        | WorkloadsMsg::Applied(rows)
        | WorkloadsMsg::Page { rows, .. } => match rows {
            Rows::Deployments(v) => v.iter().map(|d| d.key.clone()).collect(),
            Rows::ReplicaSets(v) => v
                .iter()
                .filter_map(|rs| owner_key(&rs.key.namespace, &rs.owner))
                .collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    // each named deployment's revision before the message
    let before: BTreeMap<ObjKey, Option<i64>> = touched
        .into_iter()
        .map(|k| {
            let rev = state.workloads.deployments.get(&k).and_then(|d| d.revision);
            (k, rev)
        })
        .collect();
    let rollouts_may_move = match &msg {
        WorkloadsMsg::Snapshot(rows)
        | WorkloadsMsg::Applied(rows)
        | WorkloadsMsg::Page { rows, .. } => rows.kind() == Kind::Rollouts,
        WorkloadsMsg::Deleted { kind, .. } => *kind == Kind::Rollouts,
        _ => false,
    };
    if !state.workloads.apply(msg, now) {
        return Vec::new();
    }
    if !before.is_empty() {
        record_deploy_marks(state, &before, now);
    }
    if rollouts_may_move {
        let roles = rollouts::revision_roles(&state.workloads);
        super::errors::set_revision_roles(state, roles);
    }
    set_source_status(state, now);
    state.dirty = true;
    Vec::new()
}

/// Feeds the error-rate pane's deploy marks (a service is matched by its deployment's
/// name): each revision at its ReplicaSet's creation, and a revision change seen live (a
/// rollback re-uses an old ReplicaSet, so its creation time says nothing) at `now`.
fn record_deploy_marks(state: &mut State, before: &BTreeMap<ObjKey, Option<i64>>, now: Timestamp) {
    use super::errors::DeployMark;
    let data = &state.workloads;
    let mut marks: Vec<(String, DeployMark)> = Vec::new();
    for (key, d) in before
        .keys()
        .filter_map(|k| Some((k, data.deployments.get(k)?)))
    {
        for rs in data.replicasets_of(key) {
            if let (Some(rev), Some(created)) = (rs.revision, rs.created) {
                marks.push((
                    key.name.clone(),
                    DeployMark {
                        at_ms: created.as_millisecond(),
                        revision: rev.to_string(),
                    },
                ));
            }
        }
        if let (Some(Some(old)), Some(new)) = (before.get(key), d.revision)
            && *old != new
        {
            marks.push((
                key.name.clone(),
                DeployMark {
                    at_ms: now.as_millisecond(),
                    revision: new.to_string(),
                },
            ));
        }
    }
    for (service, mark) in marks {
        state.deploys.record(&service, mark);
    }
}

fn set_source_status(state: &mut State, now: Timestamp) {
    let data = &state.workloads;
    let status = if let Some(text) = &data.no_client {
        SourceStatus::Unavailable {
            reason: text.clone(),
        }
    } else if data.failures.is_empty() {
        // every watch is open: in contact now; the rows last changed at `last_ok`
        match data.last_ok {
            Some(t) => SourceStatus::streaming(t),
            None => return,
        }
    } else {
        let error = data
            .failures
            .values()
            .map(Failure::describe)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
            .join("; ");
        let prev = state.source(SourceId::Kube);
        let since = match prev {
            Some(SourceStatus::Failing { since, .. }) => *since,
            _ => now,
        };
        // the last successful contact: the watches were open until they failed (now,
        // if they were live), or a kind's message since
        let last_ok = prev.and_then(|p| p.last_contact(now)).max(data.last_ok);
        SourceStatus::Failing {
            error,
            since,
            last_ok,
        }
    };
    state.sources.insert(SourceId::Kube, status);
}

/// A new context or namespace: the old rows belong to a scope the user left.
pub fn on_scope_changed(state: &mut State) {
    let sort = state.workloads.sort;
    let narrow = state.workloads.narrow;
    state.workloads = WorkloadsData {
        sort,
        narrow,
        ..Default::default()
    };
    super::errors::set_revision_roles(state, HashMap::new());
    state.sources.insert(
        SourceId::Kube,
        SourceStatus::Connecting { since: state.now },
    );
}

/// Shows one pod in the Workloads pane (the GPU pane's `enter` on a GPU a pod uses):
/// switches to its namespace when the scope is another one (the rows come with the new
/// watch), focuses Workloads and opens the pod's detail.
pub fn reveal_pod(state: &mut State, namespace: &str, pod: &str) -> Vec<Effect> {
    let mut effects = Vec::new();
    if state
        .scope
        .namespace
        .as_deref()
        .is_some_and(|ns| ns != namespace)
    {
        crate::app::scope::switch_namespace(state, namespace);
        effects = crate::app::update::scope_changed(state);
    }
    state.focus = PaneId::Workloads;
    state.zoomed = false;
    state.workloads.yaml = None;
    state.workloads.detail = Some(Detail {
        target: DetailTarget::Pod(ObjKey::new(namespace, pod)),
        scroll: 0,
    });
    state.dirty = true;
    effects
}
