//! Nodes, for the Nodes view and the Hosts pane's link from a GPU host to its node: what
//! `kubectl get nodes` shows (status, roles, version) plus taints and GPU capacity.

use jiff::Timestamp;

/// One `v1 Node`, compact.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeRow {
    pub name: String,
    pub uid: String,
    pub resource_version: String,
    /// The Ready condition: `Some(true)` Ready, `Some(false)` NotReady, `None` Unknown.
    pub ready: Option<bool>,
    /// `spec.unschedulable` (cordoned).
    pub unschedulable: bool,
    /// From the `node-role.kubernetes.io/ROLE` labels (and `kubernetes.io/role`).
    pub roles: Vec<String>,
    /// `key=value:Effect` (or `key:Effect`).
    pub taints: Vec<String>,
    /// The kubelet's version.
    pub version: String,
    pub internal_ip: Option<String>,
    /// The `kubernetes.io/hostname` label.
    pub hostname: Option<String>,
    /// `nvidia.com/gpu` in `status.capacity` (0 when none).
    pub gpu_capacity: u32,
    /// `nvidia.com/gpu` in `status.allocatable`.
    pub gpu_allocatable: u32,
    /// Most pods the node takes (`status.allocatable.pods`).
    pub pod_capacity: Option<u32>,
    pub created: Option<Timestamp>,
}

impl NodeRow {
    /// STATUS as `kubectl get nodes` prints it: `Ready`, `NotReady`, `Unknown`, with
    /// `,SchedulingDisabled` when cordoned.
    pub fn status(&self) -> String {
        let mut s = match self.ready {
            Some(true) => "Ready",
            Some(false) => "NotReady",
            None => "Unknown",
        }
        .to_owned();
        if self.unschedulable {
            s.push_str(",SchedulingDisabled");
        }
        s
    }

    /// ROLES as kubectl prints them (`<none>` without any).
    pub fn roles_text(&self) -> String {
        if self.roles.is_empty() {
            "<none>".into()
        } else {
            self.roles.join(",")
        }
    }
}

/// Messages from the nodes source to the ui task (`Event::Nodes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodesMsg {
    /// Every node the cluster has now, sorted by name.
    Nodes(Vec<NodeRow>),
    /// Listing nodes is not allowed (401/403): the message says who and what.
    Forbidden(String),
    /// Anything else (unreachable, no client): retried while the task lives.
    Failed(String),
}
