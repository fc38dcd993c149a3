//! The rows of [`super::model`] made from the slim objects the watchers decode
//! ([`super::slim`], [`super::slim_kinds`]): Deployments, ReplicaSets, pods, HPAs and
//! warning events. Only what a row shows is kept.

use jiff::Timestamp;

use super::model::{
    CHANGE_CAUSE_ANNOTATION, Condition, ContainerState, DeploymentRow, EventRow, HASH_LABEL,
    HpaRow, PodReason, PodRow, REVISION_ANNOTATION, ROLLOUT_REVISION_ANNOTATION, ReplicaSetRow,
};
use super::rows_containers::{declared, declared_specs};
use super::slim::{
    ConditionStatus, ConditionType, ContainerStatus, Pod, ReplicaSet, annotation, controller_of,
    controller_ref, key_of,
};
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

impl PodRow {
    pub fn from_object(p: &Pod) -> PodRow {
        let meta = &p.metadata;
        let status = p.status.as_ref();
        let statuses: &[ContainerStatus] = status
            .and_then(|s| s.container_statuses.as_deref())
            .unwrap_or(&[]);
        let specs = p.spec.as_ref().map(|s| &s.containers[..]).unwrap_or(&[]);
        let phase = status
            .and_then(|s| s.phase.clone())
            .unwrap_or_else(|| "Unknown".into());
        let mut restarts = 0;
        let mut last_restart: Option<Timestamp> = None;
        let mut ready = 0u16;
        let mut containers = Vec::with_capacity(specs.len());
        let mut gpus = 0;
        for spec in specs {
            let st = statuses.iter().find(|s| s.name == spec.name);
            let (shared, asks) = declared(spec);
            gpus += asks;
            let mut c = ContainerState {
                spec: shared,
                ..Default::default()
            };
            if let Some(st) = st {
                c.ready = st.ready;
                c.restarts = st.restart_count;
                restarts += st.restart_count;
                if st.ready {
                    ready += 1;
                }
                c.state = describe_state(st.state.as_ref());
                if let Some(t) = st.last_state.as_ref().and_then(|s| s.terminated.as_ref()) {
                    c.last_termination = Some((
                        t.reason.clone().unwrap_or_else(|| "Terminated".into()),
                        t.exit_code,
                    ));
                    if let Some(f) = &t.finished_at {
                        last_restart = Some(last_restart.map_or(f.0, |l| l.max(f.0)));
                    }
                }
            } else {
                c.state = "waiting".into();
            }
            containers.push(c);
        }
        let reason = pod_reason(p, statuses, &phase, ready, specs.len());
        PodRow {
            key: key_of(meta),
            labels: super::intern::labels(meta.labels.clone().unwrap_or_default()),
            owner: controller_of(meta, "ReplicaSet"),
            controller: controller_ref(meta),
            template_hash: meta
                .labels
                .as_ref()
                .and_then(|l| l.get("pod-template-hash").cloned()),
            phase,
            ready,
            containers_total: specs.len() as u16,
            reason,
            restarts,
            last_restart,
            node: p.spec.as_ref().and_then(|s| s.node_name.clone()),
            created: meta.creation_timestamp.as_ref().map(|t| t.0),
            containers,
            gpus,
        }
    }
}

fn pod_reason(
    p: &Pod,
    statuses: &[ContainerStatus],
    phase: &str,
    ready: u16,
    total: usize,
) -> PodReason {
    if p.metadata.deletion_timestamp.is_some() {
        return PodReason::Terminating;
    }
    let status = p.status.as_ref();
    if status.and_then(|s| s.reason.as_deref()) == Some("Evicted") {
        return PodReason::Evicted;
    }
    for st in statuses {
        if let Some(w) = st.state.as_ref().and_then(|s| s.waiting.as_ref()) {
            match w.reason.as_deref() {
                Some("CrashLoopBackOff") => {
                    // a crash loop caused by the OOM killer says so
                    let oom = st
                        .last_state
                        .as_ref()
                        .and_then(|s| s.terminated.as_ref())
                        .and_then(|t| t.reason.as_deref())
                        == Some("OOMKilled");
                    return if oom {
                        PodReason::OomKilled
                    } else {
                        PodReason::CrashLoopBackOff
                    };
                }
                Some(r @ ("ImagePullBackOff" | "ErrImagePull" | "InvalidImageName")) => {
                    return PodReason::ImagePullBackOff(r.to_owned());
                }
                Some("ContainerCreating") | Some("PodInitializing") | None => {}
                Some(r) => return PodReason::Other(r.to_owned()),
            }
        }
        if let Some(t) = st.state.as_ref().and_then(|s| s.terminated.as_ref()) {
            match t.reason.as_deref() {
                Some("OOMKilled") => return PodReason::OomKilled,
                Some("Completed") => {}
                Some(r) => return PodReason::Other(r.to_owned()),
                None if t.exit_code != 0 => return PodReason::Other("Error".into()),
                None => {}
            }
        }
    }
    // a recent OOM kill that restarted into running is still what matters
    for st in statuses {
        let last = st
            .last_state
            .as_ref()
            .and_then(|s| s.terminated.as_ref())
            .and_then(|t| t.reason.as_deref());
        if last == Some("OOMKilled") {
            return if st.ready {
                PodReason::Restarted("OOMKilled".into())
            } else {
                PodReason::OomKilled
            };
        }
    }
    if phase == "Pending" {
        let unschedulable = status
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|cs| {
                cs.iter().any(|c| {
                    c.type_ == ConditionType::PodScheduled
                        && c.status == ConditionStatus::False
                        && c.reason.as_deref() == Some("Unschedulable")
                })
            });
        return if unschedulable {
            PodReason::Unschedulable
        } else {
            PodReason::Pending
        };
    }
    match phase {
        "Succeeded" => PodReason::Succeeded,
        "Failed" => PodReason::Other(
            status
                .and_then(|s| s.reason.clone())
                .unwrap_or_else(|| "Failed".into()),
        ),
        _ if (ready as usize) < total => PodReason::NotReady,
        _ => PodReason::Running,
    }
}

fn describe_state(s: Option<&k8s_openapi::api::core::v1::ContainerState>) -> String {
    let Some(s) = s else {
        return "unknown".into();
    };
    if let Some(w) = &s.waiting {
        return format!("waiting: {}", w.reason.as_deref().unwrap_or("-"));
    }
    if let Some(t) = &s.terminated {
        return format!(
            "terminated: {} (exit {})",
            t.reason.as_deref().unwrap_or("-"),
            t.exit_code
        );
    }
    if s.running.is_some() {
        return "running".into();
    }
    "unknown".into()
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
