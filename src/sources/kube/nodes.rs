//! The cluster's nodes, for the Nodes view (`:nodes`) and the Hosts pane's link from a GPU
//! host to its node: a list then a watch of `nodes` (cluster scope), each converted to a
//! compact [`NodeRow`] at once (a node's status carries its image list: none of it crosses
//! to the ui task). Sends the whole sorted list after each batch of changes (there are few
//! nodes); a 401/403 is reported once as [`NodesMsg::Forbidden`] and the task ends.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Node;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Api, ResourceExt};
use tokio::task::AbortHandle;

use super::model::{NodeRow, NodesMsg};

/// Where messages go; returns false once nobody listens (the task then ends).
pub type Sink = Arc<dyn Fn(NodesMsg) -> bool + Send + Sync>;

const ROLE_PREFIX: &str = "node-role.kubernetes.io/";
const GPU: &str = "nvidia.com/gpu";

/// Builds the client for `context` and follows the nodes until aborted.
pub fn spawn_nodes(
    config: Arc<crate::config::Config>,
    context: Option<String>,
    sink: Sink,
) -> AbortHandle {
    super::namespaces::spawn_follower(config, context, sink, NodesMsg::Failed, follow)
}

fn quantity(q: Option<&k8s_openapi::apimachinery::pkg::api::resource::Quantity>) -> Option<u32> {
    q.and_then(|q| q.0.trim().parse().ok())
}

/// The compact row of a node.
pub fn node_row(n: &Node) -> NodeRow {
    let labels = n.labels();
    let mut roles: Vec<String> = labels
        .keys()
        .filter_map(|k| k.strip_prefix(ROLE_PREFIX))
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    if let Some(r) = labels.get("kubernetes.io/role").filter(|r| !r.is_empty()) {
        roles.push(r.clone());
    }
    roles.sort();
    roles.dedup();
    let spec = n.spec.as_ref();
    let status = n.status.as_ref();
    let taints = spec
        .and_then(|s| s.taints.as_ref())
        .map(|t| {
            t.iter()
                .map(|t| match t.value.as_deref().filter(|v| !v.is_empty()) {
                    Some(v) => format!("{}={v}:{}", t.key, t.effect),
                    None => format!("{}:{}", t.key, t.effect),
                })
                .collect()
        })
        .unwrap_or_default();
    let ready = status
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
        .and_then(|c| match c.status.as_str() {
            "True" => Some(true),
            "False" => Some(false),
            _ => None,
        });
    NodeRow {
        name: n.name_any(),
        uid: n.metadata.uid.clone().unwrap_or_default(),
        resource_version: n.metadata.resource_version.clone().unwrap_or_default(),
        ready,
        unschedulable: spec.and_then(|s| s.unschedulable) == Some(true),
        roles,
        taints,
        version: status
            .and_then(|s| s.node_info.as_ref())
            .map(|i| i.kubelet_version.clone())
            .unwrap_or_default(),
        internal_ip: status
            .and_then(|s| s.addresses.as_ref())
            .and_then(|a| a.iter().find(|a| a.type_ == "InternalIP"))
            .map(|a| a.address.clone()),
        hostname: labels.get("kubernetes.io/hostname").cloned(),
        gpu_capacity: quantity(
            status
                .and_then(|s| s.capacity.as_ref())
                .and_then(|c| c.get(GPU)),
        )
        .unwrap_or(0),
        gpu_allocatable: quantity(
            status
                .and_then(|s| s.allocatable.as_ref())
                .and_then(|c| c.get(GPU)),
        )
        .unwrap_or(0),
        pod_capacity: quantity(
            status
                .and_then(|s| s.allocatable.as_ref())
                .and_then(|c| c.get("pods")),
        ),
        created: n
            .metadata
            .creation_timestamp
            .as_ref()
            .and_then(|t| t.0.to_string().parse().ok()),
    }
}

/// Lists then watches nodes with `client`, until the sink closes or a 401/403.
pub async fn follow(client: kube::Client, sink: Sink) {
    let api: Api<Node> = Api::all(client);
    let stream = watcher::watcher(api, watcher::Config::default())
        .default_backoff()
        .ready_chunks(256);
    futures::pin_mut!(stream);
    let mut nodes: BTreeMap<String, NodeRow> = BTreeMap::new();
    let mut init: Option<BTreeMap<String, NodeRow>> = None;
    while let Some(chunk) = stream.next().await {
        let mut changed = false;
        for item in chunk {
            match item {
                Ok(Event::Init) => init = Some(BTreeMap::new()),
                Ok(Event::InitApply(n)) => {
                    let row = node_row(&n);
                    init.get_or_insert_with(BTreeMap::new)
                        .insert(row.name.clone(), row);
                }
                Ok(Event::InitDone) => {
                    nodes = init.take().unwrap_or_default();
                    changed = true;
                }
                Ok(Event::Apply(n)) => {
                    let row = node_row(&n);
                    changed |= nodes.insert(row.name.clone(), row.clone()) != Some(row);
                }
                Ok(Event::Delete(n)) => changed |= nodes.remove(&n.name_any()).is_some(),
                Err(e) => {
                    if let Some(why) = super::namespaces::refused(&e, "nodes") {
                        log::info!("nodes: {why}");
                        sink(NodesMsg::Forbidden(why));
                        return;
                    }
                    let text = crate::secret::redact(&e.to_string()).into_owned();
                    if !sink(NodesMsg::Failed(text)) {
                        return;
                    }
                }
            }
        }
        if changed && !sink(NodesMsg::Nodes(nodes.values().cloned().collect())) {
            return;
        }
    }
}
