//! The Nodes view (`:nodes`), drawn in the Workloads pane's place: each node's status
//! (Ready, NotReady, SchedulingDisabled), roles, taints, kubelet version, pods and GPUs
//! (`nvidia.com/gpu` capacity, and allocated: the requests of the scope's non-terminated
//! pods on it), and a drain's progress on its row. k9s's keys on a node row: `c` cordon,
//! `u` uncordon, `r` drain (the restart key means drain here; `W` drains anywhere); `X`
//! cancels a running drain. Also the link from a GPU host to its node (host name = node name or the node's
//! `kubernetes.io/hostname` label). Pure: no I/O.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;

use crate::action::Action;
use crate::app::event::Effect;
use crate::app::intent::Intent;
use crate::app::state::{FlashLevel, State};
use crate::ops::{DrainOptions, DrainProgress, NodeOp, Operation, Target};
use crate::sources::kube::model::{NodeRow, NodesMsg};

/// Whether the nodes are known yet.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum NodesStatus {
    #[default]
    Waiting,
    Listed,
    /// 401/403: the message says what was refused.
    Forbidden(String),
    Failed(String),
}

/// One row of the Nodes view, worked out by [`refresh`] (never while drawing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeLine {
    pub name: String,
    pub status: String,
    pub ready: Option<bool>,
    pub unschedulable: bool,
    pub roles: String,
    pub taints: Vec<String>,
    pub version: String,
    /// Non-terminated pods of the scope on it.
    pub pods: usize,
    /// `nvidia.com/gpu`: (allocated, capacity); `None` on a node without GPUs.
    pub gpus: Option<(u32, u32)>,
    pub created: Option<Timestamp>,
    /// The drain's progress on this node, in words.
    pub drain: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct NodesView {
    /// The view is on screen in the Workloads pane's place.
    pub shown: bool,
    pub status: NodesStatus,
    /// The nodes as the source sent them, by name.
    pub rows: Vec<NodeRow>,
    pub selected: usize,
    /// What the view draws (while shown).
    pub lines: Vec<NodeLine>,
    /// Drains of this session, by node (the last one's progress stays after it ends).
    pub drains: BTreeMap<String, DrainProgress>,
}

/// The source's news.
pub fn on_msg(state: &mut State, msg: NodesMsg) {
    match msg {
        NodesMsg::Nodes(rows) => {
            state.nodes.rows = rows;
            state.nodes.status = NodesStatus::Listed;
        }
        NodesMsg::Forbidden(why) => state.nodes.status = NodesStatus::Forbidden(why),
        NodesMsg::Failed(why) => {
            // rows already listed stay: the view says they are not current
            state.nodes.status = NodesStatus::Failed(why)
        }
    }
    state.dirty = true;
}

/// A drain's progress (or its end).
pub fn on_drain(state: &mut State, p: DrainProgress) {
    state.nodes.drains.insert(p.node.clone(), p);
    state.dirty = true;
}

/// A new scope: another cluster's nodes come.
pub fn on_scope_changed(state: &mut State) {
    let shown = state.nodes.shown;
    let drains = std::mem::take(&mut state.nodes.drains);
    state.nodes = NodesView {
        shown,
        // a drain runs on: its progress stays on screen until it ends
        drains,
        ..NodesView::default()
    };
}

/// `:nodes`.
pub fn show(state: &mut State) {
    state.nodes.shown = true;
    state.focus = crate::pane::PaneId::Workloads;
    state.dirty = true;
}

/// A drain's progress in words: `evicting 12/40 · shop/web-x waits on PodDisruptionBudget
/// web-pdb needs 2 healthy pods and has 1 currently`.
pub fn drain_text(p: &DrainProgress) -> String {
    if let Some((ok, msg)) = &p.done {
        return if *ok {
            format!("drained: {} evicted", p.evicted)
        } else {
            format!("drain failed: {msg}")
        };
    }
    let mut s = if p.evicted < p.total || p.total == 0 {
        format!("draining: {} of {} evicted", p.evicted, p.total)
    } else {
        format!(
            "draining: {} of {} evicted, {} gone",
            p.evicted, p.total, p.gone
        )
    };
    if let Some((pod, why)) = p.waiting.first() {
        s.push_str(&format!(" · {pod} waits: {why}"));
        if p.waiting.len() > 1 {
            s.push_str(&format!(" (+{} more)", p.waiting.len() - 1));
        }
    }
    s
}

/// Works out the view's rows (settle; only while shown).
pub fn refresh(state: &mut State) {
    if !state.nodes.shown {
        return;
    }
    let mut per_node: HashMap<&str, (usize, u32)> = HashMap::new();
    for p in state.cluster.pods.values() {
        if matches!(p.phase.as_str(), "Succeeded" | "Failed") {
            continue;
        }
        if let Some(n) = &p.node {
            let e = per_node.entry(n.as_str()).or_default();
            e.0 += 1;
            e.1 += p.gpus;
        }
    }
    let filter = state
        .pane(crate::pane::PaneId::Workloads)
        .filter
        .to_lowercase();
    let lines: Vec<NodeLine> = state
        .nodes
        .rows
        .iter()
        .filter(|r| filter.is_empty() || r.name.to_lowercase().contains(&filter))
        .map(|r| {
            let (pods, gpus) = per_node.get(r.name.as_str()).copied().unwrap_or_default();
            NodeLine {
                name: r.name.clone(),
                status: r.status(),
                ready: r.ready,
                unschedulable: r.unschedulable,
                roles: r.roles_text(),
                taints: r.taints.clone(),
                version: r.version.clone(),
                pods,
                gpus: (r.gpu_capacity > 0).then_some((gpus, r.gpu_capacity)),
                created: r.created,
                drain: state.nodes.drains.get(&r.name).map(drain_text),
            }
        })
        .collect();
    state.nodes.selected = state.nodes.selected.min(lines.len().saturating_sub(1));
    state.nodes.lines = lines;
}

/// The node a GPU host runs as: the node named like the host, else the node whose
/// `kubernetes.io/hostname` label is the host's name.
pub fn node_of_host<'a>(state: &'a State, host: &str) -> Option<&'a NodeRow> {
    let rows = &state.nodes.rows;
    rows.iter()
        .find(|n| n.name == host)
        .or_else(|| rows.iter().find(|n| n.hostname.as_deref() == Some(host)))
}

/// The selected node's name.
pub fn selected(state: &State) -> Option<&str> {
    state
        .nodes
        .lines
        .get(state.nodes.selected)
        .map(|l| l.name.as_str())
}

fn node_op(state: &State, node: &str, action: Action) -> Option<Operation> {
    let op = match action {
        Action::NodeCordon => NodeOp::Cordon,
        Action::NodeUncordon => NodeOp::Uncordon,
        Action::NodeDrain | Action::Restart => NodeOp::Drain(DrainOptions {
            timeout_secs: state.config.kube.drain_timeout(),
            ..DrainOptions::default()
        }),
        _ => return None,
    };
    Some(Operation::Node {
        target: Target {
            context: crate::app::scope::kube_context(state),
            namespace: String::new(),
            name: node.to_owned(),
        },
        op,
        resource_version: None,
    })
}

/// Cordon, uncordon or drain `node` (from the view, the GPU hint or the Hosts pane).
pub fn on_node(state: &mut State, action: Action, node: &str) -> Vec<Intent> {
    match node_op(state, node, action) {
        Some(op) => vec![Intent::Plan(op)],
        None => {
            state.set_flash(
                FlashLevel::Info,
                format!(
                    "{} acts on workloads: esc leaves the nodes view",
                    action.description()
                ),
            );
            Vec::new()
        }
    }
}

/// An operation key while the view is shown.
pub fn on_operation(state: &mut State, action: Action) -> Vec<Intent> {
    let Some(node) = selected(state).map(str::to_owned) else {
        state.set_flash(FlashLevel::Info, "no node selected".into());
        return Vec::new();
    };
    on_node(state, action, &node)
}

/// The running drain to cancel: the selected node's, else the only one running.
fn drain_to_cancel(state: &State) -> Option<&DrainProgress> {
    let running = |p: &&DrainProgress| p.done.is_none();
    selected(state)
        .filter(|_| state.nodes.shown)
        .and_then(|n| state.nodes.drains.get(n))
        .filter(running)
        .or_else(|| {
            let mut all = state.nodes.drains.values().filter(running);
            match (all.next(), all.next()) {
                (Some(one), None) => Some(one),
                _ => None,
            }
        })
}

/// `X`: ask the running drain to stop (evictions already taken stand; the node stays
/// cordoned).
pub fn cancel_drain(state: &mut State) -> Vec<Effect> {
    match drain_to_cancel(state).cloned() {
        Some(p) => {
            state.set_flash(
                FlashLevel::Warn,
                format!("cancelling the drain of node/{} …", p.node),
            );
            vec![Effect::CancelDrain {
                context: p.context,
                node: p.node,
            }]
        }
        None => {
            state.set_flash(FlashLevel::Info, "no drain is running".into());
            Vec::new()
        }
    }
}

/// The view's own keys while it is shown and the Workloads pane has focus; `None` leaves
/// the action to the generic handler (operations go through [`on_operation`]).
pub fn on_action(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    if !state.nodes.shown {
        return None;
    }
    let n = state.nodes.lines.len();
    let sel = &mut state.nodes.selected;
    match action {
        Action::SelectDown => *sel = (*sel + 1).min(n.saturating_sub(1)),
        Action::SelectUp => *sel = sel.saturating_sub(1),
        Action::PageDown => *sel = (*sel + 10).min(n.saturating_sub(1)),
        Action::PageUp => *sel = sel.saturating_sub(10),
        Action::SelectTop => *sel = 0,
        Action::SelectBottom => *sel = n.saturating_sub(1),
        Action::Back if state.pane(crate::pane::PaneId::Workloads).filter.is_empty() => {
            state.nodes.shown = false
        }
        Action::NodeCancelDrain => {
            return Some(cancel_drain(state));
        }
        // the workloads' own keys mean nothing on a node
        Action::Open
        | Action::WorkloadsPods
        | Action::WorkloadsSort
        | Action::WorkloadsYaml
        | Action::WorkloadsSearchNext
        | Action::WorkloadsSearchPrev => {}
        _ => return None,
    }
    state.dirty = true;
    Some(Vec::new())
}
