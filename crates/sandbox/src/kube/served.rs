//! What the world serves of Argo Rollouts.

use crate::store::Kind;

/// What the world serves of Argo Rollouts: the CRDs at all, and the Rollout's status
/// subresource.
#[derive(Clone, Copy)]
pub(crate) struct Served {
    pub rollouts: bool,
    pub rollout_status: bool,
}

impl Served {
    pub(super) fn of(w: &crate::world::World) -> Served {
        Served {
            rollouts: w.rollouts,
            rollout_status: w.rollouts_status_subresource,
        }
    }
    /// Whether `kind`'s `/status` is a subresource here (else status is written with the
    /// object, as for a CRD without `subresources.status`).
    pub fn status_subresource(self, kind: Kind) -> bool {
        match kind {
            Kind::Rollout => self.rollout_status,
            Kind::AnalysisRun | Kind::AnalysisTemplate => false,
            _ => true,
        }
    }
}
