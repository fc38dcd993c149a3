//! What the world serves beyond the built-in kinds: Argo Rollouts (a switch of the world) and
//! cert-manager's Certificate (while its CustomResourceDefinition exists).

use crate::store::Kind;

/// What the world serves of its custom resources: Argo Rollouts' CRDs at all, the Rollout's
/// status subresource, and cert-manager's Certificate.
#[derive(Clone, Copy)]
pub(crate) struct Served {
    pub rollouts: bool,
    pub rollout_status: bool,
    pub certificates: bool,
}

impl Served {
    pub(super) fn of(w: &crate::world::World) -> Served {
        Served {
            rollouts: w.rollouts,
            rollout_status: w.rollouts_status_subresource,
            certificates: w
                .store
                .obj(
                    Kind::CustomResourceDefinition,
                    "",
                    crate::world::CERTIFICATE_CRD,
                )
                .is_some(),
        }
    }
    /// Whether the cluster serves `kind` now (a custom resource only while installed).
    pub fn serves(self, kind: Kind) -> bool {
        match kind {
            Kind::Rollout | Kind::AnalysisRun | Kind::AnalysisTemplate => self.rollouts,
            Kind::Certificate => self.certificates,
            _ => true,
        }
    }
    /// Whether `kind`'s `/status` is a subresource here (else status is written with the
    /// object, as for a CRD without `subresources.status`).
    pub fn status_subresource(self, kind: Kind) -> bool {
        match kind {
            Kind::Rollout => self.rollout_status,
            Kind::AnalysisRun
            | Kind::AnalysisTemplate
            | Kind::Event
            | Kind::ControllerRevision
            | Kind::ConfigMap
            | Kind::Secret
            | Kind::EndpointSlice => false,
            _ => true,
        }
    }
}
