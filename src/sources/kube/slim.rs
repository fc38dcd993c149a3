//! Pods and ReplicaSets as the console decodes them: only the fields a row shows. A Pod from a real
//! API server is mostly what the console never reads — `managedFields`, annotations, env,
//! volumes, mounts, tolerations, image IDs — and decoding it into `k8s_openapi`'s full
//! `Pod` allocated every one of those strings on every watch event. These types name only
//! what [`super::model::PodRow`] is made of; serde skips the rest of the JSON without
//! allocating for it. Names follow `k8s_openapi` so the conversion reads the same. The
//! other kinds the Workloads pane watches are in [`super::slim_kinds`].

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ContainerState, Probe, ResourceRequirements};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use super::model::{
    CHANGE_CAUSE_ANNOTATION, ObjKey, REVISION_ANNOTATION, ROLLOUT_REVISION_ANNOTATION,
};

/// A Pod: metadata (slim), spec and status as far as a row reads them.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Pod {
    #[serde(default, deserialize_with = "slim_meta")]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: Option<PodSpec>,
    #[serde(default)]
    pub status: Option<PodStatus>,
}

/// `kube::Resource` for a namespaced type of our own (a slim decode of a built-in kind,
/// or a CRD such as Argo's Rollout) with a `metadata: ObjectMeta` field.
macro_rules! namespaced_resource {
    ($ty:ty, $kind:literal, $group:expr, $version:expr, $plural:literal) => {
        impl kube::Resource for $ty {
            type DynamicType = ();
            type Scope = k8s_openapi::NamespaceResourceScope;
            fn kind(_: &()) -> std::borrow::Cow<'_, str> {
                std::borrow::Cow::Borrowed($kind)
            }
            fn group(_: &()) -> std::borrow::Cow<'_, str> {
                std::borrow::Cow::Borrowed($group)
            }
            fn version(_: &()) -> std::borrow::Cow<'_, str> {
                std::borrow::Cow::Borrowed($version)
            }
            fn plural(_: &()) -> std::borrow::Cow<'_, str> {
                std::borrow::Cow::Borrowed($plural)
            }
            fn meta(&self) -> &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                &self.metadata
            }
            fn meta_mut(
                &mut self,
            ) -> &mut k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                &mut self.metadata
            }
        }
    };
}
pub(super) use namespaced_resource;

namespaced_resource!(Pod, "Pod", "", "v1", "pods");
namespaced_resource!(ReplicaSet, "ReplicaSet", "apps", "v1", "replicasets");

/// A ReplicaSet: metadata (slim, with its annotations: the revision and change-cause),
/// the desired count, its template's images and the ready count.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReplicaSet {
    #[serde(default, deserialize_with = "slim_meta_annotated")]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: Option<ReplicaSetSpec>,
    #[serde(default)]
    pub status: Option<ReplicaSetStatus>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ReplicaSetSpec {
    pub replicas: Option<i32>,
    pub template: Option<PodTemplate>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodTemplate {
    pub spec: Option<TemplateSpec>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TemplateSpec {
    pub containers: Vec<ImageOnly>,
}

/// A template's container as far as a ReplicaSet row reads it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ImageOnly {
    pub image: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ReplicaSetStatus {
    pub ready_replicas: Option<i32>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodSpec {
    pub node_name: Option<String>,
    pub containers: Vec<Container>,
    /// Init containers: kubectl's STATUS reads them (`Init:0/2`), and a native sidecar
    /// (`restartPolicy: Always`) counts in READY and RESTARTS.
    pub init_containers: Vec<InitContainer>,
}

/// An init container as far as a row reads it: what a container declares, and its
/// `restartPolicy` (`Always`: a native sidecar).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct InitContainer {
    pub name: String,
    pub image: Option<String>,
    pub restart_policy: Option<String>,
    pub resources: Option<Box<RawValue>>,
    pub liveness_probe: Option<Box<RawValue>>,
    pub readiness_probe: Option<Box<RawValue>>,
}

impl InitContainer {
    /// What it declares, as a container (for the detail view's spec lines).
    pub fn container(&self) -> Container {
        Container {
            name: self.name.clone(),
            image: self.image.clone(),
            resources: self.resources.clone(),
            liveness_probe: self.liveness_probe.clone(),
            readiness_probe: self.readiness_probe.clone(),
        }
    }

    /// A native sidecar: an init container that keeps running beside the others
    /// (Kubernetes ≥ 1.29, `restartPolicy: Always`).
    pub fn is_sidecar(&self) -> bool {
        self.restart_policy.as_deref() == Some("Always")
    }
}

/// A container as the pod declares it. Its resources and probes are kept as the JSON
/// text they came in: the pods of one template declare the same, so the text finds the
/// spec already made ([`super::intern::container`]) and is decoded only the first time.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Container {
    pub name: String,
    pub image: Option<String>,
    pub resources: Option<Box<RawValue>>,
    pub liveness_probe: Option<Box<RawValue>>,
    pub readiness_probe: Option<Box<RawValue>>,
}

fn raw(r: &Option<Box<RawValue>>) -> Option<&str> {
    r.as_deref().map(RawValue::get)
}

/// Containers are equal when declared with the same text.
impl PartialEq for Container {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.image == other.image
            && raw(&self.resources) == raw(&other.resources)
            && raw(&self.liveness_probe) == raw(&other.liveness_probe)
            && raw(&self.readiness_probe) == raw(&other.readiness_probe)
    }
}

impl Eq for Container {}

impl std::hash::Hash for Container {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        self.image.hash(state);
        raw(&self.resources).hash(state);
        raw(&self.liveness_probe).hash(state);
        raw(&self.readiness_probe).hash(state);
    }
}

impl Container {
    /// The declared resources, decoded (`None` when absent or not what the API sends).
    pub fn resources(&self) -> Option<ResourceRequirements> {
        decode(self.resources.as_deref())
    }
    pub fn liveness(&self) -> Option<Probe> {
        decode(self.liveness_probe.as_deref())
    }
    pub fn readiness(&self) -> Option<Probe> {
        decode(self.readiness_probe.as_deref())
    }
}

fn decode<T: serde::de::DeserializeOwned>(raw: Option<&RawValue>) -> Option<T> {
    serde_json::from_str(raw?.get()).ok()
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodStatus {
    pub phase: Option<String>,
    pub reason: Option<String>,
    pub conditions: Option<Vec<PodCondition>>,
    pub container_statuses: Option<Vec<ContainerStatus>>,
    pub init_container_statuses: Option<Vec<ContainerStatus>>,
}

/// A pod's condition: the types kubectl's STATUS reads (PodScheduled, Ready,
/// Initialized) are told apart without keeping their text.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodCondition {
    #[serde(rename = "type")]
    pub type_: ConditionType,
    pub status: ConditionStatus,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
pub enum ConditionType {
    PodScheduled,
    Ready,
    Initialized,
    #[default]
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
pub enum ConditionStatus {
    True,
    False,
    #[default]
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ContainerStatus {
    pub name: String,
    pub ready: bool,
    pub restart_count: i32,
    pub started: Option<bool>,
    pub state: Option<ContainerState>,
    pub last_state: Option<ContainerState>,
}

/// Metadata without `managedFields` (and without annotations, `A` being [`Skipped`], or
/// with only those a row reads, `A` being [`RowAnnotations`]): what a row and the watcher (key, resourceVersion) read. `generation` is
/// for the rows that tell a rollout in progress (Deployments, StatefulSets).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Meta<A> {
    name: Option<String>,
    namespace: Option<String>,
    resource_version: Option<String>,
    generation: Option<i64>,
    creation_timestamp: Option<Time>,
    deletion_timestamp: Option<Time>,
    labels: Option<BTreeMap<String, String>>,
    annotations: A,
    owner_references: Option<Vec<OwnerRef>>,
}

/// A field read past without keeping anything of it.
#[derive(Default)]
struct Skipped;

impl<'de> Deserialize<'de> for Skipped {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(d).map(|_| Skipped)
    }
}

impl From<Skipped> for Option<BTreeMap<String, String>> {
    fn from(_: Skipped) -> Self {
        None
    }
}

/// The annotations a row reads: a ReplicaSet's or Deployment's revision (or an Argo
/// Rollout's) and change-cause. Every other one is skipped without allocating — a
/// `kubectl apply`'s last-applied-configuration is often the largest part of an object.
#[derive(Default)]
struct RowAnnotations(Option<BTreeMap<String, String>>);

const ROW_ANNOTATIONS: [&str; 3] = [
    REVISION_ANNOTATION,
    CHANGE_CAUSE_ANNOTATION,
    ROLLOUT_REVISION_ANNOTATION,
];

impl<'de> Deserialize<'de> for RowAnnotations {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_option(AnnotationsVisitor)
    }
}

struct AnnotationsVisitor;

impl<'de> Visitor<'de> for AnnotationsVisitor {
    type Value = RowAnnotations;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a map of annotations")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<RowAnnotations, E> {
        Ok(RowAnnotations(None))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<RowAnnotations, E> {
        Ok(RowAnnotations(None))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RowAnnotations, D::Error> {
        d.deserialize_map(self)
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<RowAnnotations, M::Error> {
        let mut kept = BTreeMap::new();
        while let Some(key) = map.next_key_seed(KeptKey)? {
            match key {
                Some(key) => {
                    if let Some(value) = map.next_value::<Option<String>>()? {
                        kept.insert(key.to_owned(), value);
                    }
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(RowAnnotations(Some(kept)))
    }
}

/// An annotation's key: which of [`ROW_ANNOTATIONS`] it is, if any, read without
/// allocating.
struct KeptKey;

impl<'de> DeserializeSeed<'de> for KeptKey {
    type Value = Option<&'static str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeptKey {
    type Value = Option<&'static str>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an annotation's key")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(ROW_ANNOTATIONS.into_iter().find(|k| *k == v))
    }
}

impl From<RowAnnotations> for Option<BTreeMap<String, String>> {
    fn from(a: RowAnnotations) -> Self {
        a.0
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct OwnerRef {
    api_version: String,
    kind: String,
    name: String,
    controller: Option<bool>,
}

pub(super) fn slim_meta_annotated<'de, D: Deserializer<'de>>(d: D) -> Result<ObjectMeta, D::Error> {
    let m = Option::<Meta<RowAnnotations>>::deserialize(d)?;
    Ok(object_meta(m.unwrap_or_default()))
}

pub(super) fn slim_meta<'de, D: Deserializer<'de>>(d: D) -> Result<ObjectMeta, D::Error> {
    Ok(object_meta(
        Option::<Meta<Skipped>>::deserialize(d)?.unwrap_or_default(),
    ))
}

/// Metadata as an operation reads it before writing: everything but `managedFields` (all
/// annotations, which an undo writes back, the uid its ReplicaSets' owner references name,
/// whole owner references, finalizers).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct WritableMeta {
    name: Option<String>,
    generate_name: Option<String>,
    namespace: Option<String>,
    uid: Option<String>,
    resource_version: Option<String>,
    generation: Option<i64>,
    creation_timestamp: Option<Time>,
    deletion_timestamp: Option<Time>,
    labels: Option<BTreeMap<String, String>>,
    annotations: Option<BTreeMap<String, String>>,
    owner_references: Option<Vec<OwnerReference>>,
    finalizers: Option<Vec<String>>,
}

pub(super) fn meta_for_writing<'de, D: Deserializer<'de>>(d: D) -> Result<ObjectMeta, D::Error> {
    let m = Option::<WritableMeta>::deserialize(d)?.unwrap_or_default();
    Ok(ObjectMeta {
        name: m.name,
        generate_name: m.generate_name,
        namespace: m.namespace,
        uid: m.uid,
        resource_version: m.resource_version,
        generation: m.generation,
        creation_timestamp: m.creation_timestamp,
        deletion_timestamp: m.deletion_timestamp,
        labels: m.labels,
        annotations: m.annotations,
        owner_references: m.owner_references,
        finalizers: m.finalizers,
        ..ObjectMeta::default()
    })
}

fn object_meta<A: Into<Option<BTreeMap<String, String>>>>(m: Meta<A>) -> ObjectMeta {
    ObjectMeta {
        annotations: m.annotations.into(),
        name: m.name,
        namespace: m.namespace,
        resource_version: m.resource_version,
        generation: m.generation,
        creation_timestamp: m.creation_timestamp,
        deletion_timestamp: m.deletion_timestamp,
        labels: m.labels,
        owner_references: m.owner_references.map(|refs| {
            refs.into_iter()
                .map(|r| OwnerReference {
                    api_version: r.api_version,
                    kind: r.kind,
                    name: r.name,
                    controller: r.controller,
                    ..OwnerReference::default()
                })
                .collect()
        }),
        ..ObjectMeta::default()
    }
}

/// How a row is keyed: the object's namespace and name.
pub fn key_of(meta: &ObjectMeta) -> ObjKey {
    ObjKey {
        namespace: meta.namespace.clone().unwrap_or_default(),
        name: meta.name.clone().unwrap_or_default(),
    }
}

/// One annotation a row reads (the decoder keeps only [`ROW_ANNOTATIONS`]).
pub fn annotation<'a>(meta: &'a ObjectMeta, key: &str) -> Option<&'a str> {
    meta.annotations
        .as_ref()
        .and_then(|a| a.get(key))
        .map(String::as_str)
}

/// The name of the controlling owner of `kind`.
pub fn controller_of(meta: &ObjectMeta, kind: &str) -> Option<String> {
    meta.owner_references.as_ref().and_then(|refs| {
        refs.iter()
            .find(|r| r.kind == kind && r.controller.unwrap_or(true))
            .map(|r| r.name.clone())
    })
}

/// The controller owner (kind, name) of an object.
pub fn controller_ref(meta: &ObjectMeta) -> Option<(String, String)> {
    meta.owner_references.as_ref().and_then(|refs| {
        refs.iter()
            .find(|r| r.controller.unwrap_or(false))
            .or_else(|| refs.first())
            .map(|r| (r.kind.clone(), r.name.clone()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn skips_what_a_row_does_not_show_and_keeps_what_it_does() {
        let p: Pod = serde_json::from_value(json!({
            "metadata": {
                "name": "checkout-7d4b9c-x2", "namespace": "prod", "resourceVersion": "42",
                "creationTimestamp": "2026-01-01T00:00:00Z",
                "labels": {"app": "checkout"},
                "annotations": {"big": "x".repeat(1000)},
                "managedFields": [{"manager": "kubelet", "fieldsV1": {"f:status": {}}}],
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "checkout-7d4b9c", "uid": "u", "controller": true}]
            },
            "spec": {"nodeName": "n1", "volumes": [{"name": "v"}],
                "containers": [{"name": "app", "image": "img:1", "env": [{"name": "A", "value": "B"}],
                    "resources": {"limits": {"nvidia.com/gpu": "2"}}}]},
            "status": {"phase": "Running", "podIP": "10.0.0.1",
                "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"}],
                "containerStatuses": [{"name": "app", "ready": true, "restartCount": 3, "image": "img:1", "imageID": "sha",
                    "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}]}
        }))
        .expect("pod");
        assert_eq!(p.metadata.name.as_deref(), Some("checkout-7d4b9c-x2"));
        assert_eq!(p.metadata.resource_version.as_deref(), Some("42"));
        assert!(p.metadata.annotations.is_none());
        assert!(p.metadata.managed_fields.is_none());
        let owner = &p.metadata.owner_references.as_ref().expect("owners")[0];
        assert_eq!(
            (owner.kind.as_str(), owner.controller),
            ("ReplicaSet", Some(true))
        );
        let spec = p.spec.expect("spec");
        assert_eq!(spec.containers[0].image.as_deref(), Some("img:1"));
        let status = p.status.expect("status");
        assert_eq!(
            status.container_statuses.expect("statuses")[0].restart_count,
            3
        );
        let conditions = status.conditions.expect("conditions");
        assert_eq!(conditions[0].type_, ConditionType::Ready);
        assert_eq!(conditions[0].status, ConditionStatus::True);
        assert_eq!(
            spec.containers[0]
                .resources()
                .and_then(|r| r.limits)
                .map(|l| l.len()),
            Some(1)
        );
    }

    #[test]
    fn a_replicaset_keeps_its_annotations_and_images() {
        let rs: ReplicaSet = serde_json::from_value(json!({
            "metadata": {"name": "checkout-7d4b9c", "namespace": "prod",
                "annotations": {"deployment.kubernetes.io/revision": "7",
                    "kubernetes.io/change-cause": "release 7", "note": {"not": "a string"},
                    "kubectl.kubernetes.io/last-applied-configuration": "x".repeat(4000)},
                "managedFields": [{"manager": "kube-controller-manager"}]},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "checkout"}},
                "template": {"metadata": {"labels": {"app": "checkout"}},
                    "spec": {"containers": [{"name": "app", "image": "img:7", "env": [{"name": "A"}]}]}}},
            "status": {"replicas": 3, "readyReplicas": 2}
        }))
        .expect("replicaset");
        let annotations = rs.metadata.annotations.as_ref().expect("annotations");
        assert_eq!(annotations["deployment.kubernetes.io/revision"], "7");
        assert_eq!(annotations["kubernetes.io/change-cause"], "release 7");
        // only the annotations a row reads are kept
        assert_eq!(annotations.len(), 2, "{annotations:?}");
        assert!(rs.metadata.managed_fields.is_none());
        let spec = rs.spec.expect("spec");
        assert_eq!(spec.replicas, Some(3));
        let template = spec.template.and_then(|t| t.spec).expect("template");
        assert_eq!(template.containers[0].image.as_deref(), Some("img:7"));
        assert_eq!(rs.status.and_then(|s| s.ready_replicas), Some(2));
    }

    #[test]
    fn nulls_and_missing_parts_decode_to_nothing() {
        let p: Pod = serde_json::from_value(json!({"metadata": null, "spec": null})).expect("pod");
        assert!(p.metadata.name.is_none());
        assert!(p.spec.is_none());
        assert!(p.status.is_none());
    }
}
