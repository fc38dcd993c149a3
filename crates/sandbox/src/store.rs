//! The object store behind the simulated Kubernetes API: one `BTreeMap` per kind keyed by
//! (namespace, name), objects kept as shared `serde_json::Value`s, one global
//! resourceVersion counter and a bounded history of watch events.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use axum::body::Bytes;
use serde_json::{Value, json};

use super::json::at;
use tokio::sync::broadcast;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Namespace,
    Pod,
    Service,
    Event,
    Deployment,
    ReplicaSet,
    Hpa,
    StatefulSet,
    DaemonSet,
    ControllerRevision,
    Job,
    CronJob,
    Node,
    Rollout,
    AnalysisRun,
    AnalysisTemplate,
    // config, storage, networking and one custom resource (cert-manager's Certificate)
    ConfigMap,
    Secret,
    EndpointSlice,
    Ingress,
    PersistentVolumeClaim,
    CustomResourceDefinition,
    Certificate,
    // policy/v1 (drain's budgets)
    PodDisruptionBudget,
}

pub struct KindInfo {
    pub kind: Kind,
    pub name: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub group: &'static str,
    pub version: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub categories: &'static [&'static str],
}

/// Indexed by `Kind as usize`: an entry per variant, in the enum's order.
pub const KINDS: &[KindInfo] = &[
    KindInfo {
        kind: Kind::Namespace,
        name: "Namespace",
        plural: "namespaces",
        singular: "namespace",
        group: "",
        version: "v1",
        namespaced: false,
        short_names: &["ns"],
        categories: &[],
    },
    KindInfo {
        kind: Kind::Pod,
        name: "Pod",
        plural: "pods",
        singular: "pod",
        group: "",
        version: "v1",
        namespaced: true,
        short_names: &["po"],
        categories: &["all"],
    },
    KindInfo {
        kind: Kind::Service,
        name: "Service",
        plural: "services",
        singular: "service",
        group: "",
        version: "v1",
        namespaced: true,
        short_names: &["svc"],
        categories: &["all"],
    },
    KindInfo {
        kind: Kind::Event,
        name: "Event",
        plural: "events",
        singular: "event",
        group: "",
        version: "v1",
        namespaced: true,
        short_names: &["ev"],
        categories: &[],
    },
    KindInfo {
        kind: Kind::Deployment,
        name: "Deployment",
        plural: "deployments",
        singular: "deployment",
        group: "apps",
        version: "v1",
        namespaced: true,
        short_names: &["deploy"],
        categories: &["all"],
    },
    KindInfo {
        kind: Kind::ReplicaSet,
        name: "ReplicaSet",
        plural: "replicasets",
        singular: "replicaset",
        group: "apps",
        version: "v1",
        namespaced: true,
        short_names: &["rs"],
        categories: &["all"],
    },
    KindInfo {
        kind: Kind::Hpa,
        name: "HorizontalPodAutoscaler",
        plural: "horizontalpodautoscalers",
        singular: "horizontalpodautoscaler",
        group: "autoscaling",
        version: "v2",
        namespaced: true,
        short_names: &["hpa"],
        categories: &["all"],
    },
    KindInfo {
        kind: Kind::StatefulSet,
        name: "StatefulSet",
        plural: "statefulsets",
        singular: "statefulset",
        group: "apps",
        version: "v1",
        namespaced: true,
        short_names: &["sts"],
        categories: &["all"],
    },
    KindInfo {
        kind: Kind::DaemonSet,
        name: "DaemonSet",
        plural: "daemonsets",
        singular: "daemonset",
        group: "apps",
        version: "v1",
        namespaced: true,
        short_names: &["ds"],
        categories: &["all"],
    },
    KindInfo {
        kind: Kind::ControllerRevision,
        name: "ControllerRevision",
        plural: "controllerrevisions",
        singular: "controllerrevision",
        group: "apps",
        version: "v1",
        namespaced: true,
        short_names: &[],
        categories: &[],
    },
    KindInfo {
        kind: Kind::Job,
        name: "Job",
        plural: "jobs",
        singular: "job",
        group: "batch",
        version: "v1",
        namespaced: true,
        short_names: &[],
        categories: &["all"],
    },
    KindInfo {
        kind: Kind::CronJob,
        name: "CronJob",
        plural: "cronjobs",
        singular: "cronjob",
        group: "batch",
        version: "v1",
        namespaced: true,
        short_names: &["cj"],
        categories: &["all"],
    },
    KindInfo {
        kind: Kind::Node,
        name: "Node",
        plural: "nodes",
        singular: "node",
        group: "",
        version: "v1",
        namespaced: false,
        short_names: &["no"],
        categories: &[],
    },
    // Argo Rollouts' CRDs: served only when the sandbox runs with rollouts
    KindInfo {
        kind: Kind::Rollout,
        name: "Rollout",
        plural: "rollouts",
        singular: "rollout",
        group: "argoproj.io",
        version: "v1alpha1",
        namespaced: true,
        short_names: &["ro"],
        categories: &[],
    },
    KindInfo {
        kind: Kind::AnalysisRun,
        name: "AnalysisRun",
        plural: "analysisruns",
        singular: "analysisrun",
        group: "argoproj.io",
        version: "v1alpha1",
        namespaced: true,
        short_names: &["ar"],
        categories: &[],
    },
    KindInfo {
        kind: Kind::AnalysisTemplate,
        name: "AnalysisTemplate",
        plural: "analysistemplates",
        singular: "analysistemplate",
        group: "argoproj.io",
        version: "v1alpha1",
        namespaced: true,
        short_names: &["at"],
        categories: &[],
    },
    // config, storage, networking and one custom resource (cert-manager's Certificate)
    KindInfo {
        kind: Kind::ConfigMap,
        name: "ConfigMap",
        plural: "configmaps",
        singular: "configmap",
        group: "",
        version: "v1",
        namespaced: true,
        short_names: &["cm"],
        categories: &[],
    },
    KindInfo {
        kind: Kind::Secret,
        name: "Secret",
        plural: "secrets",
        singular: "secret",
        group: "",
        version: "v1",
        namespaced: true,
        short_names: &[],
        categories: &[],
    },
    KindInfo {
        kind: Kind::EndpointSlice,
        name: "EndpointSlice",
        plural: "endpointslices",
        singular: "endpointslice",
        group: "discovery.k8s.io",
        version: "v1",
        namespaced: true,
        short_names: &[],
        categories: &[],
    },
    KindInfo {
        kind: Kind::Ingress,
        name: "Ingress",
        plural: "ingresses",
        singular: "ingress",
        group: "networking.k8s.io",
        version: "v1",
        namespaced: true,
        short_names: &["ing"],
        categories: &[],
    },
    KindInfo {
        kind: Kind::PersistentVolumeClaim,
        name: "PersistentVolumeClaim",
        plural: "persistentvolumeclaims",
        singular: "persistentvolumeclaim",
        group: "",
        version: "v1",
        namespaced: true,
        short_names: &["pvc"],
        categories: &[],
    },
    KindInfo {
        kind: Kind::CustomResourceDefinition,
        name: "CustomResourceDefinition",
        plural: "customresourcedefinitions",
        singular: "customresourcedefinition",
        group: "apiextensions.k8s.io",
        version: "v1",
        namespaced: false,
        short_names: &["crd", "crds"],
        categories: &["api-extensions"],
    },
    // cert-manager's CRD: served while its CustomResourceDefinition exists
    KindInfo {
        kind: Kind::Certificate,
        name: "Certificate",
        plural: "certificates",
        singular: "certificate",
        group: "cert-manager.io",
        version: "v1",
        namespaced: true,
        short_names: &["cert", "certs"],
        categories: &["cert-manager"],
    },
    // policy/v1
    KindInfo {
        kind: Kind::PodDisruptionBudget,
        name: "PodDisruptionBudget",
        plural: "poddisruptionbudgets",
        singular: "poddisruptionbudget",
        group: "policy",
        version: "v1",
        namespaced: true,
        short_names: &["pdb"],
        categories: &[],
    },
];

impl Kind {
    pub fn info(self) -> &'static KindInfo {
        &KINDS[self as usize]
    }
    pub fn api_version(self) -> String {
        let i = self.info();
        if i.group.is_empty() {
            i.version.to_string()
        } else {
            format!("{}/{}", i.group, i.version)
        }
    }
    pub fn resource_ref(self) -> String {
        let i = self.info();
        if i.group.is_empty() {
            i.plural.to_string()
        } else {
            format!("{}.{}", i.plural, i.group)
        }
    }
    /// One of Argo Rollouts' custom resources (`argoproj.io`).
    pub fn is_argo(self) -> bool {
        self.info().group == ARGO_GROUP
    }
    /// A kind a CustomResourceDefinition provides (Argo Rollouts', cert-manager's), not
    /// built into kube-apiserver.
    pub fn is_custom(self) -> bool {
        self.is_argo() || self.info().group == CERT_MANAGER_GROUP
    }
    pub fn lookup(group: &str, version: &str, plural: &str) -> Option<Kind> {
        KINDS
            .iter()
            .find(|k| k.group == group && k.version == version && k.plural == plural)
            .map(|k| k.kind)
    }
}

/// cert-manager's API group (its Certificate CRD).
pub const CERT_MANAGER_GROUP: &str = "cert-manager.io";

/// Argo Rollouts' API group.
pub const ARGO_GROUP: &str = "argoproj.io";

pub type Key = (String, String);

/// A stored object: its JSON serialisation (what clients get) plus the few fields the
/// controllers, selectors and indexes need, so that large worlds stay small in memory and
/// lists and watches are served by copying bytes.
#[derive(Debug)]
pub struct Obj {
    pub json: Bytes,
    pub rv: u64,
    pub name: String,
    pub ns: String,
    pub owner_uid: String,
    pub owner_name: String,
    pub labels: Vec<(String, String)>,
    pub phase: String,
    pub node: String,
    pub ready: bool,
    pub created: String,
    pub image: String,
    /// the serialised `metadata` (for the Table form's PartialObjectMetadata)
    pub meta_json: Bytes,
    /// what `kubectl get pods` shows, precomputed
    pub pod: Option<Box<PodCells>>,
}

#[derive(Debug)]
pub struct PodCells {
    pub ready: String,
    pub status: String,
    pub restarts: i64,
    pub last_restart_ms: Option<i64>,
    pub ip: String,
}

impl Obj {
    pub fn from_value(v: &Value, rv: u64) -> Obj {
        let s = |path: &[&str]| {
            at(v, path)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let owner = at(v, &["metadata", "ownerReferences"])
            .and_then(Value::as_array)
            .and_then(|a| {
                a.iter()
                    .find(|o| o.get("controller").and_then(Value::as_bool) == Some(true))
                    .or(a.first())
            });
        let os = |f: &str| {
            owner
                .and_then(|o| o.get(f))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let labels = at(v, &["metadata", "labels"])
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let ready = at(v, &["status", "conditions"])
            .and_then(Value::as_array)
            .map(|a| {
                a.iter().any(|c| {
                    c.get("type").and_then(Value::as_str) == Some("Ready")
                        && c.get("status").and_then(Value::as_str) == Some("True")
                })
            })
            .unwrap_or(false);
        let image = at(v, &["spec", "containers"])
            .or_else(|| at(v, &["spec", "template", "spec", "containers"]))
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(|c| c.get("image"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let pod = if v.get("kind").and_then(Value::as_str) == Some("Pod") {
            let printed = crate::podprint::print_pod(v);
            Some(Box::new(PodCells {
                ready: format!("{}/{}", printed.ready, printed.total),
                status: printed.status,
                restarts: printed.restarts,
                last_restart_ms: printed.last_restart_ms,
                ip: s(&["status", "podIP"]),
            }))
        } else {
            None
        };
        Obj {
            meta_json: Bytes::from(
                v.get("metadata")
                    .and_then(|m| serde_json::to_vec(m).ok())
                    .unwrap_or_default(),
            ),
            pod,
            json: Bytes::from(serde_json::to_vec(v).unwrap_or_default()),
            rv,
            name: s(&["metadata", "name"]),
            ns: s(&["metadata", "namespace"]),
            owner_uid: os("uid"),
            owner_name: os("name"),
            labels,
            phase: s(&["status", "phase"]),
            node: s(&["spec", "nodeName"]),
            ready,
            created: s(&["metadata", "creationTimestamp"]),
            image,
        }
    }

    /// The object as a JSON tree (parsed on demand).
    pub fn value(&self) -> Value {
        serde_json::from_slice(&self.json).unwrap_or(Value::Null)
    }

    pub fn label(&self, k: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(lk, _)| lk == k)
            .map(|(_, v)| v.as_str())
    }

    /// A field for field selectors (indexed ones without parsing).
    pub fn field(&self, path: &str) -> String {
        match path {
            "metadata.name" => self.name.clone(),
            "metadata.namespace" => self.ns.clone(),
            "status.phase" => self.phase.clone(),
            "spec.nodeName" => self.node.clone(),
            _ => {
                let v = self.value();
                let p: Vec<&str> = path.split('.').collect();
                at(&v, &p).and_then(Value::as_str).unwrap_or("").to_string()
            }
        }
    }
}

#[derive(Debug)]
pub struct WatchEvt {
    pub rv: u64,
    pub kind: Kind,
    pub etype: &'static str,
    pub obj: Arc<Obj>,
}

pub struct Store {
    pub rv: u64,
    /// every event with rv > compacted_rv is still in `history`
    pub compacted_rv: u64,
    pub objs: Vec<BTreeMap<Key, Arc<Obj>>>,
    pub history: VecDeque<Arc<WatchEvt>>,
    pub history_cap: usize,
    pub tx: broadcast::Sender<Arc<WatchEvt>>,
}

pub fn meta_str<'a>(v: &'a Value, field: &str) -> &'a str {
    v.get("metadata")
        .and_then(|m| m.get(field))
        .and_then(Value::as_str)
        .unwrap_or("")
}

impl Store {
    pub fn new(history_cap: usize) -> Store {
        let (tx, _) = broadcast::channel(4096);
        Store {
            rv: 1000,
            compacted_rv: 1000,
            objs: (0..KINDS.len()).map(|_| BTreeMap::new()).collect(),
            history: VecDeque::new(),
            history_cap,
            tx,
        }
    }

    pub fn map(&self, kind: Kind) -> &BTreeMap<Key, Arc<Obj>> {
        &self.objs[kind as usize]
    }

    pub fn obj(&self, kind: Kind, ns: &str, name: &str) -> Option<&Arc<Obj>> {
        self.objs[kind as usize].get(&(ns.to_string(), name.to_string()))
    }

    /// The object as a JSON tree (parsed).
    pub fn get(&self, kind: Kind, ns: &str, name: &str) -> Option<Arc<Value>> {
        self.obj(kind, ns, name).map(|o| Arc::new(o.value()))
    }

    /// Objects of a namespace (or all when `ns` is empty), in key order.
    pub fn in_ns<'a>(&'a self, kind: Kind, ns: &'a str) -> impl Iterator<Item = &'a Arc<Obj>> + 'a {
        let map = &self.objs[kind as usize];
        let start: Key = (ns.to_string(), String::new());
        map.range(start..)
            .take_while(move |(k, _)| ns.is_empty() || k.0 == ns)
            .map(|(_, v)| v)
    }

    fn emit(&mut self, kind: Kind, etype: &'static str, obj: Arc<Obj>) {
        let evt = Arc::new(WatchEvt {
            rv: self.rv,
            kind,
            etype,
            obj,
        });
        if self.history_cap > 0 {
            self.history.push_back(evt.clone());
        }
        while self.history.len() > self.history_cap {
            if let Some(old) = self.history.pop_front() {
                self.compacted_rv = old.rv;
            }
        }
        if self.tx.receiver_count() > 0 {
            let _ = self.tx.send(evt);
        }
    }

    /// Insert or replace an object: sets resourceVersion, emits ADDED or MODIFIED.
    pub fn put(&mut self, kind: Kind, mut obj: Value) -> Arc<Obj> {
        self.rv += 1;
        if let Some(m) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
            m.insert("resourceVersion".into(), json!(self.rv.to_string()));
        }
        let o = Arc::new(Obj::from_value(&obj, self.rv));
        let prev = self.objs[kind as usize].insert((o.ns.clone(), o.name.clone()), o.clone());
        self.emit(
            kind,
            if prev.is_some() { "MODIFIED" } else { "ADDED" },
            o.clone(),
        );
        o
    }

    pub fn delete(&mut self, kind: Kind, ns: &str, name: &str) -> Option<Arc<Value>> {
        let old = self.objs[kind as usize].remove(&(ns.to_string(), name.to_string()))?;
        self.rv += 1;
        let mut obj = old.value();
        if let Some(m) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
            m.insert("resourceVersion".into(), json!(self.rv.to_string()));
        }
        let o = Arc::new(Obj::from_value(&obj, self.rv));
        self.emit(kind, "DELETED", o);
        Some(Arc::new(obj))
    }

    /// Forget the watch history (as after an API server restart): older resourceVersions get 410.
    pub fn compact_all(&mut self) {
        self.history.clear();
        self.compacted_rv = self.rv;
    }

    /// A fresh store behind the same address (as after an etcd restore or a new cluster):
    /// the resourceVersion counter restarts from 0, every object gets a new, lower
    /// resourceVersion (kept objects in key order) and the watch history is forgotten.
    /// The counter goes backwards unless nothing changed since the last fresh store.
    pub fn fresh(&mut self) {
        let mut rv = 0u64;
        for map in &mut self.objs {
            for o in map.values_mut() {
                rv += 1;
                let mut v = o.value();
                if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
                    m.insert("resourceVersion".into(), json!(rv.to_string()));
                }
                *o = Arc::new(Obj::from_value(&v, rv));
            }
        }
        self.rv = rv;
        self.history.clear();
        self.compacted_rv = rv;
    }

    /// Events after `rv`, or None when `rv` is older than the kept history.
    pub fn since(&self, rv: u64) -> Option<Vec<Arc<WatchEvt>>> {
        if rv < self.compacted_rv {
            return None;
        }
        let start = self.history.partition_point(|e| e.rv <= rv);
        Some(self.history.iter().skip(start).cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_table_is_indexed_by_the_enum() {
        for (i, k) in KINDS.iter().enumerate() {
            assert_eq!(k.kind as usize, i, "{} is at {i}", k.name);
        }
    }
}
