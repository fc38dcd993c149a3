//! The incident hint: one line in the Workloads pane when a deployment rolled out in the
//! last 15 minutes and its pods crash-loop (or its service's error ratio is above the
//! threshold), or when a `[[health]]` check or a `[[service]]` is failing (then also in
//! the Hosts pane). It only suggests the key; nothing happens without it and the
//! confirmation.

use crate::action::Action;
use crate::app::cluster::ClusterStore;
use crate::app::panes::errors::ErrorRateState;
use crate::app::state::State;
use crate::config::keymap::KeyContext;
use std::collections::BTreeSet;

use crate::app::cluster::WorkloadRef;
use crate::sources::kube::model::{
    ObjKey, PodReason, ReplicaSetRow, RolloutPhase, Strategy, WorkloadKind,
};

pub const WINDOW_SECS: i64 = 15 * 60;

/// A hint: what it says, and the object its keys act on.
#[derive(Debug, Clone, PartialEq)]
pub struct Hint {
    pub text: String,
    pub offer: Option<Offer>,
}

/// The object a hint names and the keys' actions it offers on it: the key acts on this
/// object from a pane that has no selection of its own for it (Error rate, Logs), and the
/// confirmation shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    pub actions: Vec<Action>,
    pub object: HintObject,
}

#[derive(Debug, Clone, PartialEq)]
pub enum HintObject {
    /// A Deployment or an Argo Rollout of the scope.
    Workload(WorkloadRef),
    /// A `[[service]]`, by its label (`local/api.service`).
    Service(String),
    /// A node, by name: the node a broken GPU's host runs as.
    Node(String),
}

impl Hint {
    fn plain(text: String) -> Hint {
        Hint { text, offer: None }
    }
}

pub fn incident_hint(state: &State) -> Option<String> {
    incident(state).map(|h| h.text)
}

/// The incident hint with the object it names.
pub fn incident(state: &State) -> Option<Hint> {
    workload_hint(state)
        .or_else(|| rollout_hint(state))
        .or_else(|| gpu_node_hint(state))
        .or_else(|| hosts(state))
}

/// The object the incident hint offers `action` on, if it offers it.
pub fn offered(state: &State, action: Action) -> Option<HintObject> {
    incident(state)?
        .offer
        .filter(|o| o.actions.contains(&action))
        .map(|o| o.object)
}

/// The GPU hint; on a broken GPU (XID, ECC, gone, down) of a host that is a node, it
/// offers that node's cordon and drain: `⚠ dgx-02 GPU 3: XID 79 (fell off the bus) — pod
/// ml/train-llama-1 — c cordon · W drain node/dgx-02`.
fn gpu_node_hint(state: &State) -> Option<Hint> {
    let (text, host, broken) = crate::app::panes::gpu::gpu_hint_host(state)?;
    let node = broken
        .then(|| crate::app::panes::nodes::node_of_host(state, &host))
        .flatten();
    let Some(node) = node else {
        return Some(Hint::plain(text));
    };
    let key = |a: Action| {
        state
            .keymap
            .key_for(KeyContext::Workloads, a)
            .unwrap_or_else(|| a.to_string())
    };
    let what = if node.unschedulable {
        format!(
            "node/{} is cordoned — {} drain",
            node.name,
            key(Action::NodeDrain)
        )
    } else {
        format!(
            "{} cordon · {} drain node/{}",
            key(Action::NodeCordon),
            key(Action::NodeDrain),
            node.name
        )
    };
    Some(Hint {
        text: format!("{text} — {what}"),
        offer: Some(Offer {
            actions: vec![Action::NodeCordon, Action::NodeDrain],
            object: HintObject::Node(node.name.clone()),
        }),
    })
}

/// An Argo Rollout that needs a person: aborted, degraded, or paused for promotion.
fn rollout_hint(state: &State) -> Option<Hint> {
    if state.cluster.rollouts.is_empty() {
        return None;
    }
    let key = |a: Action| {
        state
            .keymap
            .key_for(KeyContext::Workloads, a)
            .map_or_else(|| a.to_string(), |k| k.to_string())
    };
    rollouts_hint(
        &state.cluster,
        &state.errors,
        state.config.error_threshold(),
        &key,
    )
    .map(|(what, offer, key, actions)| Hint {
        text: with_offer(state, what, Some(offer)),
        offer: Some(Offer {
            actions,
            object: HintObject::Workload(WorkloadRef::new(WorkloadKind::Rollout, key)),
        }),
    })
}

/// A hint's text: what is wrong, then the key that would act on it. Under `--read-only` no
/// operation can be sent, so no key is offered: the hint says read-only instead.
fn with_offer(state: &State, what: String, offer: Option<String>) -> String {
    match offer {
        None => what,
        Some(_) if state.scope.read_only => format!("{what} — read-only: no operation offered"),
        Some(offer) => format!("{what} — {offer}"),
    }
}

/// What the incident hint says about the Rollouts in trouble, worst first: a canary whose
/// error ratio is above `threshold` (and above stable's), an aborted or degraded rollout,
/// a canary paused for a person, a blue-green preview waiting for promotion. `key` names
/// the key bound to an action.
fn rollouts_hint(
    data: &ClusterStore,
    errors: &ErrorRateState,
    threshold: f64,
    key: &dyn Fn(Action) -> String,
) -> Option<(String, String, ObjKey, Vec<Action>)> {
    let mut worst: Option<(u8, String, String, ObjKey, Vec<Action>)> = None;
    for r in data.rollouts.values() {
        let name = &r.key.name;
        let bad_canary = errors.revision_split(name).filter(|s| {
            r.in_progress()
                && !r.abort
                && s.canary_ratio > threshold
                && s.canary_ratio > s.stable_ratio
        });
        let (rank, text, offer, actions) = match r.phase() {
            _ if let Some(split) = &bad_canary => (
                4,
                format!("{name} {}", split.summary()),
                format!("{} aborts", key(Action::WorkloadsAbort)),
                vec![Action::WorkloadsAbort],
            ),
            RolloutPhase::Aborted => {
                let why = data
                    .analysis_of(r)
                    .filter(|a| a.phase == "Failed" || a.phase == "Error")
                    .map(|a| {
                        let m = a
                            .metrics
                            .iter()
                            .find(|m| m.phase == "Failed" || m.phase == "Error")
                            .map_or_else(
                                || a.phase.to_lowercase(),
                                |m| format!("{} failed", m.name),
                            );
                        format!(": analysis {m}")
                    })
                    .unwrap_or_default();
                // the plugin's STEP convention (`2/6`: steps done of all), as the table
                // and the detail view show it
                let step = r
                    .step_text()
                    .filter(|_| r.step.is_some())
                    .map(|s| format!(" at step {s}"))
                    .unwrap_or_default();
                (
                    3,
                    format!("{name} canary aborted{step}{why}; traffic is on stable"),
                    format!("{} rolls the template back", key(Action::Rollback)),
                    vec![Action::Rollback],
                )
            }
            RolloutPhase::Degraded => (
                3,
                format!("{name} rollout degraded"),
                format!("{} rolls back", key(Action::Rollback)),
                vec![Action::Rollback],
            ),
            RolloutPhase::Paused(why) if r.in_progress() => match &r.strategy {
                Strategy::BlueGreen { .. } => (
                    1,
                    format!("{name} blue-green preview waits for promotion"),
                    format!(
                        "{} promotes, {} aborts",
                        key(Action::Promote),
                        key(Action::WorkloadsAbort)
                    ),
                    vec![Action::Promote, Action::WorkloadsAbort],
                ),
                _ => (
                    2,
                    format!(
                        "{name} canary paused at {}% ({why})",
                        r.set_weight().unwrap_or(0)
                    ),
                    format!(
                        "{} promotes, {} aborts",
                        key(Action::Promote),
                        key(Action::WorkloadsAbort)
                    ),
                    vec![Action::Promote, Action::WorkloadsAbort],
                ),
            },
            _ => continue,
        };
        if worst.as_ref().is_none_or(|(w, ..)| rank > *w) {
            worst = Some((rank, format!("⚠ {text}"), offer, r.key.clone(), actions));
        }
    }
    worst.map(|(_, t, o, k, a)| (t, o, k, a))
}

/// `⚠ api /health failed 3× in a row since 03:02 — R rolls back local/api.service`: the
/// first failing health check (else failed service), and the key that would act on it: the
/// rollback of the `[[service]]` the check names (`service = "api.service"`), or of the
/// failed service itself. A check that names no service offers no rollback: nothing says
/// which one serves it.
pub fn hosts_hint(state: &State) -> Option<String> {
    hosts(state).map(|h| h.text)
}

fn hosts(state: &State) -> Option<Hint> {
    let h = &state.hosts;
    let (what, since, service) = match h.health.iter().find(|c| c.is_failing()) {
        Some(c) => (
            format!("{} failed {}× in a row", c.title(), c.consecutive),
            c.failing_since,
            c.check.linked_service(&state.config.services),
        ),
        None => {
            let s = h.services.iter().find(|s| s.is_failing())?;
            (
                format!("{} failed", s.config.label()),
                s.failing_since,
                Some(&s.config),
            )
        }
    };
    let since = since
        .map(|t| {
            let local = t.to_zoned(jiff::tz::TimeZone::system());
            format!(" since {}", local.strftime("%H:%M"))
        })
        .unwrap_or_default();
    let rollback = service.filter(|s| s.rollback.is_some()).and_then(|s| {
        let k = state.keymap.key_for(KeyContext::Hosts, Action::Rollback)?;
        Some((format!("{k} rolls back {}", s.label()), s.label()))
    });
    let (act, offer) = match rollback {
        Some((act, label)) => (
            Some(act),
            Some(Offer {
                actions: vec![Action::Rollback],
                object: HintObject::Service(label),
            }),
        ),
        None => (None, None),
    };
    Some(Hint {
        text: crate::text::sanitize(&with_offer(state, format!("⚠ {what}{since}"), act)),
        offer,
    })
}

fn workload_hint(state: &State) -> Option<Hint> {
    let w = &state.cluster;
    let threshold = state.config.error_threshold();
    let key = state
        .keymap
        .key_for(KeyContext::Workloads, Action::Rollback)
        .map(|k| k.to_string())?;
    // drawn with every frame: only deployments with a ReplicaSet made in the window are
    // looked at closely, so 10,000 quiet deployments cost one pass over their ReplicaSets
    let in_window = |rs: &ReplicaSetRow| {
        rs.created
            .is_some_and(|c| (0..WINDOW_SECS).contains(&state.now.duration_since(c).as_secs()))
    };
    let recent: BTreeSet<ObjKey> = w
        .replicasets
        .values()
        .filter(|rs| in_window(rs))
        .filter_map(|rs| Some(ObjKey::new(&rs.key.namespace, rs.owner.as_deref()?)))
        .collect();
    for d in recent.iter().filter_map(|k| w.deployments.get(k)) {
        let rss = w.replicasets_of(&d.key);
        let Some(newest) = rss.first() else { continue };
        let Some(started) = newest.created.filter(|_| in_window(newest)) else {
            continue;
        };
        // the pods are looked at only where some are in trouble (a count kept per
        // ReplicaSet as pods change)
        let crashing = if w.troubled_pods(&d.key) > 0 {
            w.pods_of(&d.key)
                .iter()
                .filter(|p| p.reason == PodReason::CrashLoopBackOff)
                .count()
        } else {
            0
        };
        let since_ms = started.as_millisecond();
        // the pane holds only this environment's numbers (`ErrorRateState::environment`)
        let series = state.errors.service(&d.key.name);
        let ratio = series
            .and_then(|s| s.max_ratio_since(since_ms))
            .filter(|r| *r > threshold);
        // both when both: the crash loops say what broke, the ratio what users see
        let mut signs = Vec::new();
        if crashing > 0 {
            let pods = if crashing == 1 { "pod" } else { "pods" };
            signs.push(format!("{crashing} {pods} crash-looping"));
        }
        if let Some(r) = ratio {
            signs.push(format!("error ratio {:.1}%", r * 100.0));
        }
        if signs.is_empty() {
            continue;
        }
        let mut what = signs.join(", ");
        if state.config.metrics.is_some() && series.is_none_or(|s| s.history.is_empty()) {
            // say so rather than be silent about the ratio (or borrow another's)
            let whose = crate::app::panes::errors::scope_environment(state)
                .unwrap_or_else(|| "this scope".to_owned());
            what.push_str(&format!(" (no error-rate data for {whose})"));
        }
        let rev = newest
            .revision
            .map(|r| format!("revision {r}"))
            .unwrap_or_else(|| "the new revision".into());
        return Some(Hint {
            text: with_offer(
                state,
                format!(
                    "⚠ {}: {what} since {rev} (rolled out {} ago)",
                    d.key.name,
                    crate::text::age(started, state.now)
                ),
                Some(format!("{key} rolls back")),
            ),
            offer: Some(Offer {
                actions: vec![Action::Rollback],
                object: HintObject::Workload(WorkloadRef::new(
                    WorkloadKind::Deployment,
                    d.key.clone(),
                )),
            }),
        });
    }
    None
}
