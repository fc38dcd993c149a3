//! A pod's row: READY, STATUS and RESTARTS exactly as `kubectl get pods` prints them —
//! a port of `printPod` in Kubernetes' `pkg/printers/internalversion/printers.go`, which
//! kube-apiserver runs to answer a Table request — and, beside kubectl's word, what the
//! console knows more (an OOM kill, an unschedulable pod). The cases of that file's
//! `printers_test.go` are the table in `rows_pod_tests.rs`.

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{ContainerState as KubeState, ContainerStateTerminated};

use super::model::{ContainerRole, ContainerState, PodReason, PodRow};
use super::rows_containers::declared;
use super::slim::{
    ConditionStatus, ConditionType, ContainerStatus, InitContainer, Pod, controller_of,
    controller_ref, key_of,
};

/// The reason of a pod's status that a node controller sets when the node stops
/// answering (`node.NodeUnreachablePodReason`).
const NODE_LOST: &str = "NodeLost";

/// READY, STATUS and RESTARTS as `printPod` computes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Printed {
    pub ready: u16,
    pub total: u16,
    pub status: String,
    pub restarts: i32,
    /// when the last restart (of the containers counted in `restarts`) ended
    pub last_restart: Option<Timestamp>,
}

fn non_empty(s: Option<&String>) -> Option<&str> {
    s.map(String::as_str).filter(|s| !s.is_empty())
}

fn last_terminated(c: &ContainerStatus) -> Option<&ContainerStateTerminated> {
    c.last_state.as_ref().and_then(|s| s.terminated.as_ref())
}

fn later(a: Option<Timestamp>, c: &ContainerStatus) -> Option<Timestamp> {
    let finished = last_terminated(c).and_then(|t| t.finished_at.as_ref().map(|f| f.0));
    match (a, finished) {
        (Some(a), Some(f)) => Some(a.max(f)),
        (a, f) => a.or(f),
    }
}

/// A terminated container's word when it gives no reason: `Signal:9`, `ExitCode:2`.
fn exit_word(t: &ContainerStateTerminated) -> String {
    match t.signal {
        Some(s) if s != 0 => format!("Signal:{s}"),
        _ => format!("ExitCode:{}", t.exit_code),
    }
}

fn condition_true(p: &Pod, kind: ConditionType) -> bool {
    p.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c.type_ == kind && c.status == ConditionStatus::True)
        })
}

/// `printPod`, step by step.
pub(super) fn print_pod(p: &Pod) -> Printed {
    let spec = p.spec.as_ref();
    let status = p.status.as_ref();
    let inits: &[InitContainer] = spec.map(|s| &s.init_containers[..]).unwrap_or(&[]);
    let init_statuses: &[ContainerStatus] = status
        .and_then(|s| s.init_container_statuses.as_deref())
        .unwrap_or(&[]);
    let statuses: &[ContainerStatus] = status
        .and_then(|s| s.container_statuses.as_deref())
        .unwrap_or(&[]);
    let sidecar = |name: &str| inits.iter().any(|c| c.name == name && c.is_sidecar());

    let mut total = spec.map_or(0, |s| s.containers.len());
    total += inits.iter().filter(|c| c.is_sidecar()).count();
    let phase = status.and_then(|s| s.phase.clone()).unwrap_or_default();
    let mut reason = non_empty(status.and_then(|s| s.reason.as_ref()))
        .map_or_else(|| phase.clone(), str::to_owned);
    let gated = status
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| {
            cs.iter().any(|c| {
                c.type_ == ConditionType::PodScheduled
                    && c.reason.as_deref() == Some("SchedulingGated")
            })
        });
    if gated {
        reason = "SchedulingGated".into();
    }

    let mut restarts = 0;
    let mut last_restart = None;
    let mut sidecar_restarts = 0;
    let mut sidecar_last = None;
    let mut ready = 0u16;
    let mut initializing = false;
    for (i, c) in init_statuses.iter().enumerate() {
        restarts += c.restart_count;
        last_restart = later(last_restart, c);
        let is_sidecar = sidecar(&c.name);
        if is_sidecar {
            sidecar_restarts += c.restart_count;
            sidecar_last = later(sidecar_last, c);
        }
        let state = c.state.as_ref();
        let terminated = state.and_then(|s| s.terminated.as_ref());
        let waiting = state
            .and_then(|s| s.waiting.as_ref())
            .and_then(|w| non_empty(w.reason.as_ref()));
        match (terminated, waiting) {
            (Some(t), _) if t.exit_code == 0 => continue,
            _ if is_sidecar && c.started == Some(true) => {
                if c.ready {
                    ready += 1;
                }
                continue;
            }
            (Some(t), _) => {
                reason = match non_empty(t.reason.as_ref()) {
                    Some(r) => format!("Init:{r}"),
                    None => format!("Init:{}", exit_word(t)),
                };
            }
            (None, Some(w)) if w != "PodInitializing" => reason = format!("Init:{w}"),
            _ => reason = format!("Init:{i}/{}", inits.len()),
        }
        initializing = true;
        break;
    }

    if !initializing || condition_true(p, ConditionType::Initialized) {
        restarts = sidecar_restarts;
        last_restart = sidecar_last;
        let mut has_running = false;
        for c in statuses.iter().rev() {
            restarts += c.restart_count;
            last_restart = later(last_restart, c);
            let state = c.state.as_ref();
            let terminated = state.and_then(|s| s.terminated.as_ref());
            let waiting = state
                .and_then(|s| s.waiting.as_ref())
                .and_then(|w| non_empty(w.reason.as_ref()));
            if let Some(w) = waiting {
                reason = w.to_owned();
            } else if let Some(t) = terminated {
                reason = match non_empty(t.reason.as_ref()) {
                    Some(r) => r.to_owned(),
                    None => exit_word(t),
                };
            } else if c.ready && state.is_some_and(|s| s.running.is_some()) {
                has_running = true;
                ready += 1;
            }
        }
        // a pod whose one container completed while another runs is still running
        if reason == "Completed" && has_running {
            reason = if condition_true(p, ConditionType::Ready) {
                "Running".into()
            } else {
                "NotReady".into()
            };
        }
    }

    if p.metadata.deletion_timestamp.is_some() {
        if status.and_then(|s| s.reason.as_deref()) == Some(NODE_LOST) {
            reason = "Unknown".into();
        } else if phase != "Succeeded" && phase != "Failed" {
            reason = "Terminating".into();
        }
    }

    Printed {
        ready,
        total: total as u16,
        status: reason,
        restarts,
        last_restart,
    }
}

/// What kind of trouble kubectl's word means, and what the console adds beside it.
fn classify(p: &Pod, printed: &Printed) -> (PodReason, Option<String>) {
    let status = p.status.as_ref();
    let all = || {
        status
            .and_then(|s| s.init_container_statuses.as_deref())
            .unwrap_or(&[])
            .iter()
            .chain(
                status
                    .and_then(|s| s.container_statuses.as_deref())
                    .unwrap_or(&[]),
            )
    };
    let oom_before = |c: &ContainerStatus| {
        last_terminated(c).and_then(|t| t.reason.as_deref()) == Some("OOMKilled")
    };
    let word = printed.status.as_str();
    let base = word.strip_prefix("Init:").unwrap_or(word);
    match base {
        "CrashLoopBackOff" => {
            // a crash loop the OOM killer causes says so
            let oom = all().any(|c| {
                oom_before(c)
                    && c.state
                        .as_ref()
                        .and_then(|s| s.waiting.as_ref())
                        .and_then(|w| w.reason.as_deref())
                        == Some("CrashLoopBackOff")
            });
            if oom {
                (PodReason::OomKilled, Some("OOMKilled".into()))
            } else {
                (PodReason::CrashLoopBackOff, None)
            }
        }
        "ImagePullBackOff" | "ErrImagePull" | "InvalidImageName" | "ErrImageNeverPull" => {
            (PodReason::ImagePullBackOff, None)
        }
        "OOMKilled" => (PodReason::OomKilled, None),
        "Evicted" => (PodReason::Evicted, None),
        "Terminating" => (PodReason::Terminating, None),
        "Completed" | "Succeeded" if !word.starts_with("Init:") => (PodReason::Succeeded, None),
        "Running" => {
            // the OOM killer ended the last run of a container that runs again
            match all().find(|c| oom_before(c)) {
                Some(c) if c.ready => (
                    PodReason::Restarted,
                    Some("restarted after OOMKilled".into()),
                ),
                Some(_) => (PodReason::OomKilled, Some("OOMKilled".into())),
                None if printed.ready < printed.total => (PodReason::NotReady, None),
                None => (PodReason::Running, None),
            }
        }
        "NotReady" => (PodReason::NotReady, None),
        "Pending" => {
            let unschedulable = status
                .and_then(|s| s.conditions.as_ref())
                .is_some_and(|cs| {
                    cs.iter().any(|c| {
                        c.type_ == ConditionType::PodScheduled
                            && c.status == ConditionStatus::False
                            && c.reason.as_deref() == Some("Unschedulable")
                    })
                });
            if unschedulable {
                (PodReason::Unschedulable, Some("Unschedulable".into()))
            } else {
                (PodReason::Pending, None)
            }
        }
        "ContainerCreating" | "PodInitializing" | "SchedulingGated" => (PodReason::Pending, None),
        // `Init:1/2`: init containers still running in turn
        _ if word.starts_with("Init:")
            && base
                .split_once('/')
                .is_some_and(|(a, b)| a.parse::<u32>().is_ok() && b.parse::<u32>().is_ok()) =>
        {
            (PodReason::Pending, None)
        }
        // Error, ExitCode:N, Signal:N, ContainerStatusUnknown, NodeLost, Unknown, Failed,
        // CreateContainerConfigError, Init:Error, …
        _ => (PodReason::Other, None),
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
        let inits = p
            .spec
            .as_ref()
            .map(|s| &s.init_containers[..])
            .unwrap_or(&[]);
        let init_statuses: &[ContainerStatus] = status
            .and_then(|s| s.init_container_statuses.as_deref())
            .unwrap_or(&[]);
        let phase = status
            .and_then(|s| s.phase.clone())
            .unwrap_or_else(|| "Unknown".into());
        // as `kubectl describe pod` lists them: the init containers (native sidecars among
        // them) in their order, then the containers
        let mut containers = Vec::with_capacity(inits.len() + specs.len());
        for init in inits {
            let st = init_statuses.iter().find(|s| s.name == init.name);
            let role = if init.is_sidecar() {
                ContainerRole::Sidecar
            } else {
                ContainerRole::Init
            };
            containers.push(container_state(declared(&init.container()).0, role, st));
        }
        let mut gpus = 0;
        for spec in specs {
            let st = statuses.iter().find(|s| s.name == spec.name);
            let (shared, asks) = declared(spec);
            gpus += asks;
            containers.push(container_state(shared, ContainerRole::Main, st));
        }
        let printed = print_pod(p);
        let (reason, note) = classify(p, &printed);
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
            ready: printed.ready,
            containers_total: printed.total,
            status: printed.status,
            note,
            reason,
            restarts: printed.restarts,
            last_restart: printed.last_restart,
            node: p.spec.as_ref().and_then(|s| s.node_name.clone()),
            created: meta.creation_timestamp.as_ref().map(|t| t.0),
            containers,
            gpus,
        }
    }
}

/// One container's line of the detail view: its spec, what it is to the pod, and its status
/// (none yet: waiting).
fn container_state(
    spec: std::sync::Arc<super::model::ContainerSpec>,
    role: ContainerRole,
    st: Option<&ContainerStatus>,
) -> ContainerState {
    let mut c = ContainerState {
        spec,
        role,
        ..Default::default()
    };
    match st {
        Some(st) => {
            c.ready = st.ready;
            c.restarts = st.restart_count;
            c.state = describe_state(st.state.as_ref());
            if let Some(t) = last_terminated(st) {
                c.last_termination = Some((
                    t.reason.clone().unwrap_or_else(|| "Terminated".into()),
                    t.exit_code,
                ));
            }
        }
        None => c.state = "waiting".into(),
    }
    c
}

fn describe_state(s: Option<&KubeState>) -> String {
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

#[cfg(test)]
#[path = "rows_pod_tests.rs"]
mod tests;
