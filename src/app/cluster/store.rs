//! The cluster store's tables and how a watch batch changes them: every watched object's
//! rows by key, the indexes kept beside them (ReplicaSets by owner, pods by ReplicaSet and
//! by controller, trouble by ReplicaSet), and `apply` of one message of the source.
//!
//! A kind is one [`Kind`] (one group/version/resource the source watches) and one table
//! here: adding a kind is a field, its arms in `remove`, `clear`, `changed_only`,
//! `apply_rows` and `keys`, and its queries beside the others; no pane changes.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use jiff::Timestamp;

use super::index::{WorkloadRef, index_name, owner_key};
use crate::sources::kube::{
    AnalysisRunRow, CronJobRow, DaemonSetRow, DeploymentRow, EventRow, Failure, HpaRow, JobRow,
    Kind, ListProgress, ObjKey, PodRow, ReplicaSetRow, RevisionRow, RolloutRow, Rows,
    StatefulSetRow, WorkloadKind, WorkloadsMsg,
};

/// A list under way: how far it has got, and — where rows of the kind were already held
/// when it started (a re-list) — the keys it named, so that what it did not name goes when
/// it ends.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub progress: ListProgress,
    seen: Option<HashSet<ObjKey>>,
}

/// What the cluster source has told the ui task: every watched object's rows, by kind.
/// `State::cluster` holds it; every reader (the panes, dialogs, hints, copy) asks it.
#[derive(Debug, Clone, Default)]
pub struct ClusterStore {
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
    pub(super) rs_by_rollout: HashMap<ObjKey, BTreeSet<String>>,
    /// StatefulSet, DaemonSet or Job → the names of the pods it controls
    pub(super) pods_by_owner: HashMap<WorkloadRef, BTreeSet<String>>,
    /// deployment → its replicasets' names
    pub(super) rs_by_deployment: HashMap<ObjKey, BTreeSet<String>>,
    /// replicaset → its pods' names
    pub(super) pods_by_rs: HashMap<ObjKey, BTreeSet<String>>,
    /// replicaset → how many of its pods are in trouble
    pub(super) trouble_by_rs: HashMap<ObjKey, u32>,
    /// kinds whose first list arrived
    pub synced: BTreeSet<Kind>,
    /// lists under way, page by page
    pub listing: BTreeMap<Kind, Listing>,
    pub failures: BTreeMap<Kind, Failure>,
    /// No client (no kubeconfig, unknown context): what to do about it.
    pub no_client: Option<String>,
    /// When the rows last changed (or the first answer came).
    pub last_ok: Option<Timestamp>,
    /// The last contact with the API server: any message but a failure (a page, an event,
    /// a bookmark, the probe answered).
    pub contact: Option<Timestamp>,
    /// The probe's last failure, until anything answers again.
    pub contact_error: Option<String>,
    /// Bumped by every message that changed what a list's membership or order is made of
    /// (not a pod's restart count: see `restarts_generation`).
    generation: u64,
    /// Bumped when a pod's restart count changed: what a list sorted by restarts is made of.
    restarts_generation: u64,
}

/// Most warning events kept; the oldest go first.
const MAX_EVENTS: usize = 2000;

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

impl ClusterStore {
    /// Changes with every message that moved rows in or out or changed what a list's
    /// filter or trouble-first order reads: a view kept from an earlier generation is stale.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Changes with every restart count: a view sorted by restarts kept from an earlier one
    /// is stale.
    pub fn restarts_generation(&self) -> u64 {
        self.restarts_generation
    }

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
                    || old.created != p.created
                    || old.labels != p.labels;
                if old.restarts != p.restarts {
                    self.restarts_generation += 1;
                }
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
        // anything but a failure is an answer from the API server, and so is a refusal
        let answered = match &msg {
            WorkloadsMsg::Failed { failure, .. } => matches!(failure, Failure::Forbidden { .. }),
            WorkloadsMsg::NoClient(_) | WorkloadsMsg::Unanswered(_) => false,
            _ => true,
        };
        let mut reached = false;
        if answered {
            self.contact = Some(now);
            reached = self.contact_error.take().is_some();
        }
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
            WorkloadsMsg::Contact => (None, Change::None),
            WorkloadsMsg::Unanswered(why) => {
                self.contact_error = Some(why);
                (None, Change::Row)
            }
        };
        if change == Change::Shape {
            self.generation += 1;
        }
        // any message of a kind proves contact: its failure is over
        let recovered = kind.is_some_and(|k| self.ok(k, now, change != Change::None));
        change != Change::None || recovered || reached
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
}
