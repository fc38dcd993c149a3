//! Questions across kinds the cluster store answers from its tables and indexes: a
//! Deployment's ReplicaSets and pods, its HPA, a pod's revision and Deployment, the events
//! about a set of objects, the trouble-first rank.

use std::collections::{BTreeSet, HashMap};

use super::index::owner_key;
use super::store::ClusterStore;
use crate::sources::kube::{
    DeploymentRow, EventRow, HpaRow, ObjKey, PodRow, ReplicaSetRow, Rollout,
};

impl ClusterStore {
    pub fn replicasets_of(&self, d: &ObjKey) -> Vec<&ReplicaSetRow> {
        self.replicasets_in(&self.rs_by_deployment, d)
    }

    /// The replicasets `index` lists under `owner` (a Deployment or a Rollout), newest
    /// revision first.
    pub(super) fn replicasets_in(
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
    pub(super) fn pods_of_replicasets<'a>(
        &'a self,
        sets: Vec<&'a ReplicaSetRow>,
    ) -> Vec<&'a PodRow> {
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
            Rollout::Stalled(_) | Rollout::PausedStalled(_) => 4,
            _ if self.troubled_pods(&d.key) > 0 => 3,
            _ if d.desired > 0 && d.ready < d.desired => 2,
            Rollout::Progressing | Rollout::Paused | Rollout::Unreported => 1,
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
