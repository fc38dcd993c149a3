//! A fleet's GPU hosts named after the Kubernetes node the exporter runs on. In a cluster
//! dcgm-exporter's `Hostname` (`hostname`) is its own pod's name (`dcgm-exporter-wwwjh`)
//! unless its DaemonSet sets `NODE_NAME`; Prometheus's Kubernetes discovery adds the
//! target's `pod`/`namespace`, and the GPU's own pod is `exported_pod` or `pod`. Each of
//! those pods runs on the GPU's node, which the cluster's pod list knows (`spec.nodeName`).
//!
//! The decision, per host of a Prometheus round ([`host_name`]): the label's name where it
//! names a node (some pod runs there) or where the cluster knows nothing of it (a host
//! outside the cluster); else the node of a pod it or the series name; else, for a name that
//! is a pod's, the scrape target (`instance`). Pure: the cluster's pods are asked once per
//! round, only for the names the round gives, and only again when the pods change.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::sources::gpu::model::{GpuOrigin, HostSample};
use crate::sources::kube::model::PodRow;

/// A pod and where it runs: (namespace, name, node).
pub type PodPlace<'a> = (&'a str, &'a str, Option<&'a str>);

/// Where a cluster's pod runs.
pub fn place(p: &PodRow) -> PodPlace<'_> {
    (&p.key.namespace, &p.key.name, p.node.as_deref())
}

/// What the cluster's pods say of some names: which are nodes, and each name's pods with
/// their namespace and node.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClusterNames {
    nodes: HashSet<String>,
    pods: HashMap<String, Vec<(String, Option<String>)>>,
}

impl ClusterNames {
    /// One pass over `pods` (namespace, name, node), keeping only what `wanted` names.
    pub fn of<'a>(pods: impl IntoIterator<Item = PodPlace<'a>>, wanted: &BTreeSet<String>) -> Self {
        let mut names = ClusterNames::default();
        if wanted.is_empty() {
            return names;
        }
        for (namespace, name, node) in pods {
            if let Some(node) = node.filter(|n| wanted.contains(*n)) {
                names.nodes.insert(node.to_owned());
            }
            if wanted.contains(name) {
                names
                    .pods
                    .entry(name.to_owned())
                    .or_default()
                    .push((namespace.to_owned(), node.map(str::to_owned)));
            }
        }
        names
    }

    /// Whether a pod asked about is not yet on a node.
    fn unbound(&self) -> bool {
        self.pods.values().flatten().any(|(_, node)| node.is_none())
    }

    fn is_node(&self, name: &str) -> bool {
        self.nodes.contains(name)
    }

    fn is_pod(&self, name: &str) -> bool {
        self.pods.contains_key(name)
    }

    /// The node of the pod `name` (in `namespace` when given; else the one pod of that
    /// name, or the one node all pods of that name share).
    fn node_of(&self, namespace: Option<&str>, name: &str) -> Option<&str> {
        let pods = self.pods.get(name)?;
        if let Some(ns) = namespace
            && let Some((_, node)) = pods.iter().find(|(n, _)| n == ns)
        {
            return node.as_deref();
        }
        let mut nodes = pods.iter().filter_map(|(_, node)| node.as_deref());
        let first = nodes.next()?;
        nodes.all(|n| n == first).then_some(first)
    }
}

/// The names a GPU's evidence asks the cluster about.
fn wanted_by(origin: &GpuOrigin, into: &mut BTreeSet<String>) {
    into.extend(origin.host_label.iter().cloned());
    into.extend(origin.pods.iter().map(|(_, p)| p.clone()));
}

/// The name a host of a round is shown under: `raw` is the name the exporter's labels gave
/// it (its host label, else its target), `origins` what its GPUs' series say.
pub fn host_name<'a>(
    raw: &str,
    origins: impl IntoIterator<Item = &'a GpuOrigin> + Clone,
    names: &ClusterNames,
) -> String {
    let labelled = origins
        .clone()
        .into_iter()
        .find_map(|o| o.host_label.as_deref());
    if let Some(h) = labelled
        && names.is_node(h)
    {
        return h.to_owned();
    }
    // the node of a pod the label or the series name
    for o in origins.clone() {
        let by_label = o.host_label.as_deref().map(|h| {
            let namespace = o
                .pods
                .iter()
                .find(|(_, p)| p == h)
                .and_then(|(n, _)| n.as_deref());
            (namespace, h)
        });
        let named = o.pods.iter().map(|(n, p)| (n.as_deref(), p.as_str()));
        if let Some(node) = by_label
            .into_iter()
            .chain(named)
            .find_map(|(n, p)| names.node_of(n, p))
        {
            return node.to_owned();
        }
    }
    let Some(h) = labelled else {
        return raw.to_owned();
    };
    // a pod's name whose node is unknown: the scrape target says more
    let a_pod = names.is_pod(h)
        || origins
            .clone()
            .into_iter()
            .any(|o| o.pods.iter().any(|(_, p)| p == h));
    if !a_pod {
        return h.to_owned();
    }
    origins
        .into_iter()
        .find_map(|o| o.instance.clone())
        .unwrap_or_else(|| h.to_owned())
}

/// What the naming remembers between rounds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FleetNames {
    /// The name each host the exporters name was last shown under.
    pub shown: HashMap<String, String>,
    /// What the cluster said, for the names asked, at its pods' generation.
    cache: Option<(u64, BTreeSet<String>, ClusterNames)>,
}

impl FleetNames {
    /// A round's hosts named after their nodes ([`name_round`]), the cluster's pods asked
    /// again only when they changed (`generation`) or the round gives a new name.
    pub fn name<'p>(
        &mut self,
        hosts: Vec<HostSample>,
        generation: u64,
        pods: impl IntoIterator<Item = PodPlace<'p>>,
    ) -> (Vec<HostSample>, Vec<(String, String)>) {
        let wanted = wanted(&hosts);
        let fresh = self.cache.as_ref().is_some_and(|(g, asked, names)| {
            // a pod's binding to its node moves no generation: one not yet bound is
            // asked about again
            *g == generation && wanted.is_subset(asked) && !names.unbound()
        });
        if !fresh {
            let names = ClusterNames::of(pods, &wanted);
            self.cache = Some((generation, wanted, names));
        }
        let empty = ClusterNames::default();
        let names = self.cache.as_ref().map_or(&empty, |(_, _, n)| n);
        name_round(hosts, names, &mut self.shown)
    }
}

/// The pods to ask the cluster about for one host, in the order they decide its name: the
/// pod its host label names (in the namespace the series give it), then the other pods its
/// series name; for `gpu --once`, which has no pod list and asks for just these.
pub fn asks(host: &HostSample) -> Vec<(Option<String>, String)> {
    let mut out: Vec<(Option<String>, String)> = Vec::new();
    for o in host.gpus.iter().map(|g| &g.origin) {
        if let Some(h) = &o.host_label {
            let namespace = o
                .pods
                .iter()
                .find(|(_, p)| p == h)
                .and_then(|(n, _)| n.clone());
            out.push((namespace, h.clone()));
        }
        out.extend(o.pods.iter().filter(|(n, _)| n.is_some()).cloned());
    }
    let mut seen = BTreeSet::new();
    out.retain(|a| seen.insert(a.clone()));
    out
}

/// The names a round's GPUs ask about.
pub fn wanted(hosts: &[HostSample]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for g in hosts.iter().flat_map(|h| h.gpus.iter()) {
        wanted_by(&g.origin, &mut out);
    }
    out
}

/// A round's hosts named after their nodes: each host (its GPUs' evidence) named by
/// [`host_name`]; a host with no GPUs (failed) keeps the name it was last shown under.
/// Hosts that come to one name are one host (an exporter pod replaced on its node: the
/// new pod's GPUs, not the old pod's failure). Returns the hosts in name order and the
/// renames (`shown before` → `shown now`) of hosts named differently than before.
pub fn name_round(
    hosts: Vec<HostSample>,
    names: &ClusterNames,
    shown: &mut HashMap<String, String>,
) -> (Vec<HostSample>, Vec<(String, String)>) {
    let mut renames = Vec::new();
    let mut out: BTreeMap<String, HostSample> = BTreeMap::new();
    let (good, failed): (Vec<HostSample>, Vec<HostSample>) =
        hosts.into_iter().partition(|h| h.error.is_none());
    for mut h in good {
        let name = host_name(&h.host, h.gpus.iter().map(|g| &g.origin), names);
        if let Some(before) = shown.insert(h.host.clone(), name.clone())
            && before != name
        {
            renames.push((before, name.clone()));
        }
        h.host = name.clone();
        for g in &mut h.gpus {
            g.host = name.clone();
        }
        match out.get_mut(&name) {
            Some(there) => {
                there.gpus.append(&mut h.gpus);
                there.gpus.sort_by(|a, b| a.index.cmp(&b.index));
                if there.driver_version.is_none() {
                    there.driver_version = h.driver_version;
                }
            }
            None => {
                out.insert(name, h);
            }
        }
    }
    for mut h in failed {
        let name = shown
            .get(&h.host)
            .cloned()
            .unwrap_or_else(|| h.host.clone());
        h.host = name.clone();
        out.entry(name).or_insert(h);
    }
    (out.into_values().collect(), renames)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::gpu::model::GpuSample;
    use crate::sources::kube::model::{ObjKey, PodReason};

    fn pod(ns: &str, name: &str, node: Option<&str>) -> PodRow {
        PodRow {
            key: ObjKey::new(ns, name),
            labels: Default::default(),
            owner: None,
            controller: None,
            template_hash: None,
            phase: "Running".into(),
            ready: 1,
            containers_total: 1,
            status: "Running".into(),
            note: None,
            reason: PodReason::Running,
            restarts: 0,
            last_restart: None,
            node: node.map(str::to_owned),
            created: None,
            containers: Vec::new(),
            gpus: 0,
        }
    }

    fn origin(label: Option<&str>, pods: &[(Option<&str>, &str)], instance: &str) -> GpuOrigin {
        GpuOrigin {
            host_label: label.map(str::to_owned),
            pods: pods
                .iter()
                .map(|(n, p)| (n.map(str::to_owned), (*p).to_owned()))
                .collect(),
            instance: Some(instance.to_owned()),
        }
    }

    fn named(o: &GpuOrigin, raw: &str, pods: &[PodRow]) -> String {
        let mut wanted = BTreeSet::new();
        wanted_by(o, &mut wanted);
        let names = ClusterNames::of(pods.iter().map(place), &wanted);
        host_name(raw, [o], &names)
    }

    #[test]
    fn a_host_is_the_node_its_exporter_runs_on() {
        let cluster = [
            pod("gpu-operator", "dcgm-exporter-wwwjh", Some("gpu-node-1")),
            pod("ml", "train-0", Some("gpu-node-1")),
            pod("ml", "train-1", Some("gpu-node-2")),
        ];
        let ip = "10.244.1.7:9400";
        // the label names a node
        let o = origin(Some("gpu-node-2"), &[], ip);
        assert_eq!(named(&o, "gpu-node-2", &cluster), "gpu-node-2");
        // the label names the exporter's pod: known only from the cluster
        let o = origin(Some("dcgm-exporter-wwwjh"), &[], ip);
        assert_eq!(named(&o, "dcgm-exporter-wwwjh", &cluster), "gpu-node-1");
        // no label: the target's pod, or the GPU's own pod
        let o = origin(None, &[(Some("gpu-operator"), "dcgm-exporter-wwwjh")], ip);
        assert_eq!(named(&o, ip, &cluster), "gpu-node-1");
        let o = origin(None, &[(Some("ml"), "train-1")], ip);
        assert_eq!(named(&o, ip, &cluster), "gpu-node-2");
        // a pod's name whose node nobody knows: the target
        let o = origin(
            Some("dcgm-exporter-zzzzz"),
            &[(Some("gpu-operator"), "dcgm-exporter-zzzzz")],
            ip,
        );
        assert_eq!(named(&o, "dcgm-exporter-zzzzz", &cluster), ip);
        assert_eq!(named(&o, "dcgm-exporter-zzzzz", &[]), ip);
        // a name the cluster knows nothing of: a host outside it, as named
        let o = origin(Some("dgx-07"), &[], ip);
        assert_eq!(named(&o, "dgx-07", &cluster), "dgx-07");
        assert_eq!(named(&o, "dgx-07", &[]), "dgx-07");
    }

    #[test]
    fn a_replaced_exporter_pod_is_the_same_host() {
        let cluster = [
            pod("gpu-operator", "dcgm-exporter-old", None),
            pod("gpu-operator", "dcgm-exporter-new", Some("gpu-node-1")),
        ];
        let mut shown = HashMap::from([("dcgm-exporter-old".to_owned(), "gpu-node-1".to_owned())]);
        let mut gpu = GpuSample::empty("dcgm-exporter-new", 0, "GPU-a".to_owned());
        gpu.origin = origin(Some("dcgm-exporter-new"), &[], "10.0.0.1:9400");
        let good = HostSample {
            host: "dcgm-exporter-new".to_owned(),
            time: jiff::Timestamp::UNIX_EPOCH,
            gpus: vec![gpu],
            error: None,
            driver_version: None,
        };
        let failed = HostSample::failed(
            "dcgm-exporter-old",
            jiff::Timestamp::UNIX_EPOCH,
            "gone".into(),
        );
        let wanted = wanted(std::slice::from_ref(&good));
        let names = ClusterNames::of(cluster.iter().map(place), &wanted);
        let (hosts, renames) = name_round(vec![failed, good], &names, &mut shown);
        assert_eq!(hosts.len(), 1, "{hosts:?}");
        assert_eq!(hosts[0].host, "gpu-node-1");
        assert!(hosts[0].error.is_none());
        assert_eq!(hosts[0].gpus[0].host, "gpu-node-1");
        assert!(renames.is_empty());
    }
}
