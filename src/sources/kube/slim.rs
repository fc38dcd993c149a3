//! Pods as the console decodes them: only the fields a pod row shows. A Pod from a real
//! API server is mostly what the console never reads — `managedFields`, annotations, env,
//! volumes, mounts, tolerations, image IDs — and decoding it into `k8s_openapi`'s full
//! `Pod` allocated every one of those strings on every watch event. These types name only
//! what [`super::rows::PodRow`] is made of; serde skips the rest of the JSON without
//! allocating for it. Names follow `k8s_openapi` so the conversion reads the same.

use std::borrow::Cow;
use std::collections::BTreeMap;

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::core::v1::{ContainerState, Probe, ResourceRequirements};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};
use serde::{Deserialize, Deserializer};

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

impl kube::Resource for Pod {
    type DynamicType = ();
    type Scope = NamespaceResourceScope;
    fn kind(_: &()) -> Cow<'_, str> {
        Cow::Borrowed("Pod")
    }
    fn group(_: &()) -> Cow<'_, str> {
        Cow::Borrowed("")
    }
    fn version(_: &()) -> Cow<'_, str> {
        Cow::Borrowed("v1")
    }
    fn plural(_: &()) -> Cow<'_, str> {
        Cow::Borrowed("pods")
    }
    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodSpec {
    pub node_name: Option<String>,
    pub containers: Vec<Container>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Container {
    pub name: String,
    pub image: Option<String>,
    pub resources: Option<ResourceRequirements>,
    pub liveness_probe: Option<Probe>,
    pub readiness_probe: Option<Probe>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodStatus {
    pub phase: Option<String>,
    pub reason: Option<String>,
    pub conditions: Option<Vec<PodCondition>>,
    pub container_statuses: Option<Vec<ContainerStatus>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodCondition {
    #[serde(rename = "type")]
    pub type_: String,
    pub status: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ContainerStatus {
    pub name: String,
    pub ready: bool,
    pub restart_count: i32,
    pub state: Option<ContainerState>,
    pub last_state: Option<ContainerState>,
}

/// Metadata without `managedFields` and annotations (a pod row shows neither): what a
/// row and the watcher (key, resourceVersion) read.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Meta {
    name: Option<String>,
    namespace: Option<String>,
    resource_version: Option<String>,
    creation_timestamp: Option<Time>,
    deletion_timestamp: Option<Time>,
    labels: Option<BTreeMap<String, String>>,
    owner_references: Option<Vec<OwnerRef>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct OwnerRef {
    api_version: String,
    kind: String,
    name: String,
    controller: Option<bool>,
}

fn slim_meta<'de, D: Deserializer<'de>>(d: D) -> Result<ObjectMeta, D::Error> {
    let m = Option::<Meta>::deserialize(d)?.unwrap_or_default();
    Ok(ObjectMeta {
        name: m.name,
        namespace: m.namespace,
        resource_version: m.resource_version,
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
        assert_eq!(status.conditions.expect("conditions")[0].type_, "Ready");
    }

    #[test]
    fn nulls_and_missing_parts_decode_to_nothing() {
        let p: Pod = serde_json::from_value(json!({"metadata": null, "spec": null})).expect("pod");
        assert!(p.metadata.name.is_none());
        assert!(p.spec.is_none());
        assert!(p.status.is_none());
    }
}
