//! The workload kinds in the cluster store: what the store answers about any of them (whether it is held, its labels, selector, creation,
//! pods, owner chain, trouble rank; a CronJob's Jobs and last result).

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::index::WorkloadRef;
use super::store::ClusterStore;
use crate::sources::kube::{JobRow, JobState, ObjKey, PodRow, Rollout, WorkloadKind};

/// What a CronJob's last run came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LastResult {
    None,
    Running,
    Succeeded,
    Failed(String),
}

impl LastResult {
    pub fn label(&self) -> String {
        match self {
            LastResult::None => "-".into(),
            LastResult::Running => "running".into(),
            LastResult::Succeeded => "succeeded".into(),
            LastResult::Failed(r) => format!("failed ({r})"),
        }
    }
}

impl ClusterStore {
    pub fn exists(&self, w: &WorkloadRef) -> bool {
        let k = &w.key;
        match w.kind {
            WorkloadKind::Deployment => self.deployments.contains_key(k),
            WorkloadKind::StatefulSet => self.statefulsets.contains_key(k),
            WorkloadKind::DaemonSet => self.daemonsets.contains_key(k),
            WorkloadKind::Job => self.jobs.contains_key(k),
            WorkloadKind::CronJob => self.cronjobs.contains_key(k),
            WorkloadKind::Pod => self.pods.contains_key(k),
            WorkloadKind::Rollout => self.rollouts.contains_key(k),
        }
    }

    pub fn labels_of(&self, w: &WorkloadRef) -> Option<&BTreeMap<String, String>> {
        let k = &w.key;
        Some(match w.kind {
            WorkloadKind::Deployment => &self.deployments.get(k)?.labels,
            WorkloadKind::StatefulSet => &self.statefulsets.get(k)?.labels,
            WorkloadKind::DaemonSet => &self.daemonsets.get(k)?.labels,
            WorkloadKind::Job => &self.jobs.get(k)?.labels,
            WorkloadKind::CronJob => &self.cronjobs.get(k)?.labels,
            WorkloadKind::Pod => &self.pods.get(k)?.labels,
            WorkloadKind::Rollout => &self.rollouts.get(k)?.labels,
        })
    }

    /// The label selector its pods carry (a CronJob's: its newest Job's).
    pub fn selector_of(&self, w: &WorkloadRef) -> Option<BTreeMap<String, String>> {
        let k = &w.key;
        let s = match w.kind {
            WorkloadKind::Deployment => self.deployments.get(k)?.selector.clone(),
            WorkloadKind::StatefulSet => self.statefulsets.get(k)?.selector.clone(),
            WorkloadKind::DaemonSet => self.daemonsets.get(k)?.selector.clone(),
            WorkloadKind::Job => self.jobs.get(k)?.selector.clone(),
            WorkloadKind::CronJob => self.jobs_of_cronjob(k).first()?.selector.clone(),
            WorkloadKind::Rollout => self.rollouts.get(k)?.selector.clone(),
            WorkloadKind::Pod => return None,
        };
        (!s.is_empty()).then_some(s)
    }

    pub fn created_of(&self, w: &WorkloadRef) -> Option<Timestamp> {
        let k = &w.key;
        match w.kind {
            WorkloadKind::Deployment => self.deployments.get(k)?.created,
            WorkloadKind::StatefulSet => self.statefulsets.get(k)?.created,
            WorkloadKind::DaemonSet => self.daemonsets.get(k)?.created,
            WorkloadKind::Job => self.jobs.get(k)?.created,
            WorkloadKind::CronJob => self.cronjobs.get(k)?.created,
            WorkloadKind::Pod => self.pods.get(k)?.created,
            WorkloadKind::Rollout => self.rollouts.get(k)?.created,
        }
    }

    /// A CronJob's Jobs, newest first.
    pub fn jobs_of_cronjob(&self, cj: &ObjKey) -> Vec<&JobRow> {
        let mut v: Vec<&JobRow> = self
            .jobs
            .values()
            .filter(|j| {
                j.key.namespace == cj.namespace && j.cronjob.as_deref() == Some(cj.name.as_str())
            })
            .collect();
        v.sort_by(|a, b| b.created.cmp(&a.created).then(b.key.cmp(&a.key)));
        v
    }

    pub fn last_result(&self, cj: &ObjKey) -> LastResult {
        match self.jobs_of_cronjob(cj).first().map(|j| &j.state) {
            None => LastResult::None,
            Some(JobState::Complete) => LastResult::Succeeded,
            Some(JobState::Failed(r)) => LastResult::Failed(r.clone()),
            Some(JobState::Running | JobState::Suspended) => LastResult::Running,
        }
    }

    /// The pods a StatefulSet, DaemonSet or Job controls directly, by name.
    pub(super) fn owned_pods(&self, kind: WorkloadKind, key: &ObjKey) -> Vec<&PodRow> {
        self.pods_by_owner
            .get(&WorkloadRef::new(kind, key.clone()))
            .into_iter()
            .flatten()
            .filter_map(|n| self.pods.get(&ObjKey::new(&key.namespace, n)))
            .collect()
    }

    /// The pods of any workload: a Deployment's through its ReplicaSets, a CronJob's
    /// through its Jobs, a pod is its own.
    pub fn pods_of_workload(&self, w: &WorkloadRef) -> Vec<&PodRow> {
        match w.kind {
            WorkloadKind::Deployment => self.pods_of(&w.key),
            WorkloadKind::StatefulSet | WorkloadKind::DaemonSet | WorkloadKind::Job => {
                self.owned_pods(w.kind, &w.key)
            }
            WorkloadKind::CronJob => self
                .jobs_of_cronjob(&w.key)
                .into_iter()
                .flat_map(|j| self.owned_pods(WorkloadKind::Job, &j.key))
                .collect(),
            WorkloadKind::Pod => self.pods.get(&w.key).into_iter().collect(),
            WorkloadKind::Rollout => self.pods_of_rollout(&w.key),
        }
    }

    fn troubled(&self, w: &WorkloadRef) -> usize {
        self.pods_of_workload(w)
            .iter()
            .filter(|p| p.reason.is_error())
            .count()
    }

    /// 0 = fine … 4 = failed or stalled: the trouble-first order across kinds.
    pub fn trouble_of(&self, w: &WorkloadRef) -> u8 {
        let k = &w.key;
        match w.kind {
            WorkloadKind::Deployment => self.deployments.get(k).map_or(0, |d| self.trouble(d)),
            WorkloadKind::StatefulSet => {
                let Some(s) = self.statefulsets.get(k) else {
                    return 0;
                };
                if self.troubled(w) > 0 {
                    3
                } else if s.ready < s.replicas {
                    2
                } else {
                    match s.rollout() {
                        Rollout::Complete => 0,
                        Rollout::Unreported if s.current_revision == s.update_revision => 0,
                        _ => 1,
                    }
                }
            }
            WorkloadKind::DaemonSet => {
                let Some(d) = self.daemonsets.get(k) else {
                    return 0;
                };
                if self.troubled(w) > 0 {
                    3
                } else if d.ready < d.desired {
                    2
                } else {
                    match d.rollout() {
                        Rollout::Complete | Rollout::Unreported => 0,
                        _ => 1,
                    }
                }
            }
            WorkloadKind::Job => match self.jobs.get(k).map(|j| &j.state) {
                Some(JobState::Failed(_)) => 4,
                Some(JobState::Running) if self.troubled(w) > 0 => 3,
                Some(JobState::Running | JobState::Suspended) => 1,
                _ => 0,
            },
            WorkloadKind::CronJob => match self.last_result(k) {
                LastResult::Failed(_) => 4,
                _ if self.troubled(w) > 0 => 3,
                LastResult::Running => 1,
                _ => 0,
            },
            WorkloadKind::Rollout => self.trouble_of_rollout(k),
            WorkloadKind::Pod => match self.pods.get(k) {
                Some(p) if p.reason.is_error() => 3,
                Some(p) if p.reason.is_warning() => 1,
                _ => 0,
            },
        }
    }

    /// A pod's owners, nearest first: ReplicaSet → Deployment or Rollout, Job → CronJob,
    /// StatefulSet, DaemonSet. Each as (kind, name).
    pub fn owner_chain(&self, p: &PodRow) -> Vec<(String, String)> {
        let mut chain = Vec::new();
        let Some((kind, name)) = p.controller.clone() else {
            return chain;
        };
        let ns = &p.key.namespace;
        let next = match kind.as_str() {
            "ReplicaSet" => self
                .replicasets
                .get(&ObjKey::new(ns, &name))
                .and_then(|rs| {
                    rs.owner
                        .clone()
                        .map(|d| ("Deployment".to_owned(), d))
                        .or_else(|| rs.rollout.clone().map(|r| ("Rollout".to_owned(), r)))
                }),
            "Job" => self
                .jobs
                .get(&ObjKey::new(ns, &name))
                .and_then(|j| j.cronjob.clone())
                .map(|c| ("CronJob".to_owned(), c)),
            _ => None,
        };
        chain.push((kind, name));
        chain.extend(next);
        chain
    }
}
