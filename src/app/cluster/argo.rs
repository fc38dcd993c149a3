//! Argo Rollouts in the cluster store: whether every watched kind has been listed, a
//! Rollout's ReplicaSets and pods, the AnalysisRun of its step, its trouble rank.

use super::store::ClusterStore;
use crate::sources::kube::model::RolloutPhase;
use crate::sources::kube::{AnalysisRunRow, Kind, ObjKey, PodRow, ReplicaSetRow, RolloutRow};

impl ClusterStore {
    /// Every kind the source watches in this cluster has been listed once: the Argo
    /// kinds count only where the cluster serves them (and not before that is known).
    pub fn all_listed(&self) -> bool {
        let served = match self.rollouts_served {
            Some(served) => served,
            None => return false,
        };
        Kind::ALL.iter().all(|k| {
            self.synced.contains(k) || !served && matches!(k, Kind::Rollouts | Kind::AnalysisRuns)
        })
    }

    /// A Rollout's ReplicaSets, newest revision first.
    pub fn replicasets_of_rollout(&self, r: &ObjKey) -> Vec<&ReplicaSetRow> {
        self.replicasets_in(&self.rs_by_rollout, r)
    }

    /// A Rollout's pods through its ReplicaSets: newest revision first.
    pub fn pods_of_rollout(&self, r: &ObjKey) -> Vec<&PodRow> {
        self.pods_of_replicasets(self.replicasets_of_rollout(r))
    }

    /// The ReplicaSet of one of a Rollout's revisions, by its pod-template hash.
    pub fn rollout_rs(&self, r: &ObjKey, hash: Option<&str>) -> Option<&ReplicaSetRow> {
        let hash = hash?;
        self.replicasets_of_rollout(r)
            .into_iter()
            .find(|rs| rs.rollout_hash.as_deref() == Some(hash))
    }

    /// The AnalysisRun of the Rollout's current step, else its newest one.
    pub fn analysis_of(&self, r: &RolloutRow) -> Option<&AnalysisRunRow> {
        if let Some((name, _)) = &r.analysis
            && let Some(a) = self.analysis_runs.get(&ObjKey::new(&r.key.namespace, name))
        {
            return Some(a);
        }
        self.analysis_runs
            .values()
            .filter(|a| {
                a.key.namespace == r.key.namespace && a.rollout.as_deref() == Some(&r.key.name)
            })
            .max_by(|a, b| a.created.cmp(&b.created).then(a.key.cmp(&b.key)))
    }

    /// 0 = fine … 4 = aborted or degraded: the trouble-first order.
    pub fn trouble_of_rollout(&self, k: &ObjKey) -> u8 {
        let Some(r) = self.rollouts.get(k) else {
            return 0;
        };
        let troubled = self
            .pods_of_rollout(k)
            .iter()
            .filter(|p| p.reason.is_error())
            .count();
        match r.phase() {
            RolloutPhase::Aborted | RolloutPhase::Degraded => 4,
            _ if troubled > 0 => 3,
            _ if r.replicas > 0 && r.ready < r.replicas => 2,
            RolloutPhase::Paused(_) | RolloutPhase::Progressing => 1,
            _ => 0,
        }
    }

    /// Revision number and images of a Rollout revision (by hash), for the detail view.
    pub fn rollout_revision_text(&self, r: &RolloutRow, hash: Option<&str>) -> String {
        let Some(h) = hash else {
            return "-".into();
        };
        match self.rollout_rs(&r.key, Some(h)) {
            Some(rs) => format!(
                "rev {} {} ({h})",
                rs.revision.map_or("?".into(), |v| v.to_string()),
                rs.images.join(",")
            ),
            None => h.to_owned(),
        }
    }
}
