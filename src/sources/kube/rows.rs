//! The rows of [`super::model`] made from the slim objects the watchers decode
//! ([`super::slim`], [`super::slim_kinds`]): Deployments, ReplicaSets, pods, HPAs and
//! warning events. Only what a row shows is kept.

use super::model::{
    CHANGE_CAUSE_ANNOTATION, Condition, DeploymentRow, EventRow, HASH_LABEL, HpaRow,
    REVISION_ANNOTATION, ROLLOUT_REVISION_ANNOTATION, ReplicaSetRow,
};
use super::rows_containers::declared_specs;
use super::slim::{ReplicaSet, annotation, controller_of, key_of};
use super::slim_kinds::{Deployment, Event as KubeEvent, EventType, HorizontalPodAutoscaler};

impl DeploymentRow {
    pub fn from_object(d: &Deployment) -> DeploymentRow {
        let meta = &d.metadata;
        let spec = d.spec.as_ref();
        let status = d.status.as_ref();
        let template = spec
            .and_then(|s| s.template.as_ref())
            .and_then(|t| t.spec.as_ref());
        DeploymentRow {
            key: key_of(meta),
            labels: meta.labels.clone().unwrap_or_default(),
            selector: spec
                .and_then(|s| s.selector.as_ref())
                .and_then(|s| s.match_labels.clone())
                .unwrap_or_default(),
            desired: spec.and_then(|s| s.replicas).unwrap_or(1),
            current: status.and_then(|s| s.replicas).unwrap_or(0),
            ready: status.and_then(|s| s.ready_replicas).unwrap_or(0),
            updated: status.and_then(|s| s.updated_replicas).unwrap_or(0),
            available: status.and_then(|s| s.available_replicas).unwrap_or(0),
            revision: annotation(meta, REVISION_ANNOTATION).and_then(|r| r.parse().ok()),
            paused: spec.and_then(|s| s.paused).unwrap_or(false),
            generation: meta.generation.unwrap_or(0),
            observed_generation: status.and_then(|s| s.observed_generation).unwrap_or(0),
            conditions: status
                .and_then(|s| s.conditions.as_ref())
                .map(|cs| {
                    cs.iter()
                        .map(|c| Condition {
                            kind: c.type_.clone().unwrap_or_default(),
                            status: c.status.clone().unwrap_or_default(),
                            reason: c.reason.clone().unwrap_or_default(),
                            message: c.message.clone().unwrap_or_default(),
                            since: c
                                .last_transition_time
                                .as_ref()
                                .or(c.last_update_time.as_ref())
                                .map(|t| t.0),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            containers: template
                .map(|t| declared_specs(&t.containers))
                .unwrap_or_default(),
            change_cause: annotation(meta, CHANGE_CAUSE_ANNOTATION).map(str::to_owned),
            created: meta.creation_timestamp.as_ref().map(|t| t.0),
        }
    }
}

impl ReplicaSetRow {
    pub fn from_object(rs: &ReplicaSet) -> ReplicaSetRow {
        let meta = &rs.metadata;
        ReplicaSetRow {
            key: key_of(meta),
            owner: controller_of(meta, "Deployment"),
            rollout: controller_of(meta, "Rollout"),
            rollout_hash: meta
                .labels
                .as_ref()
                .and_then(|l| l.get(HASH_LABEL))
                .cloned(),
            revision: annotation(meta, REVISION_ANNOTATION)
                .or_else(|| annotation(meta, ROLLOUT_REVISION_ANNOTATION))
                .and_then(|r| r.parse().ok()),
            images: rs
                .spec
                .as_ref()
                .and_then(|s| s.template.as_ref())
                .and_then(|t| t.spec.as_ref())
                .map(|s| {
                    s.containers
                        .iter()
                        .filter_map(|c| c.image.clone())
                        .collect()
                })
                .unwrap_or_default(),
            change_cause: annotation(meta, CHANGE_CAUSE_ANNOTATION).map(str::to_owned),
            desired: rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0),
            ready: rs
                .status
                .as_ref()
                .and_then(|s| s.ready_replicas)
                .unwrap_or(0),
            created: meta.creation_timestamp.as_ref().map(|t| t.0),
        }
    }
}

impl HpaRow {
    pub fn from_object(h: &HorizontalPodAutoscaler) -> HpaRow {
        let spec = h.spec.as_ref();
        let target = spec.and_then(|s| s.scale_target_ref.as_ref());
        HpaRow {
            key: key_of(&h.metadata),
            target_kind: target.and_then(|t| t.kind.clone()).unwrap_or_default(),
            target_name: target.and_then(|t| t.name.clone()).unwrap_or_default(),
            min: spec.and_then(|s| s.min_replicas).unwrap_or(1),
            max: spec.and_then(|s| s.max_replicas).unwrap_or(0),
            current: h
                .status
                .as_ref()
                .and_then(|s| s.current_replicas)
                .unwrap_or(0),
        }
    }
}

impl EventRow {
    pub fn from_object(e: &KubeEvent) -> EventRow {
        let object = e.involved_object.as_ref();
        EventRow {
            key: key_of(&e.metadata),
            object_kind: object.and_then(|o| o.kind.clone()).unwrap_or_default(),
            object_name: object.and_then(|o| o.name.clone()).unwrap_or_default(),
            reason: e.reason.clone().unwrap_or_default(),
            message: e.message.clone().unwrap_or_default(),
            count: e.count.unwrap_or(1),
            last: e
                .last_timestamp
                .as_ref()
                .map(|t| t.0)
                .or_else(|| e.event_time.as_ref().map(|t| t.0))
                .or_else(|| e.first_timestamp.as_ref().map(|t| t.0))
                .or_else(|| e.metadata.creation_timestamp.as_ref().map(|t| t.0)),
        }
    }

    pub fn is_warning(e: &KubeEvent) -> bool {
        e.type_ == Some(EventType::Warning)
    }
}
