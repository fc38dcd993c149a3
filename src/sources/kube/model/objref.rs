//! One object of any resource, as an operation (delete, edit) names it: its API group,
//! version, plural and kind, where it is, and which incarnation the user saw (uid,
//! resourceVersion). The Workloads tables make one from a row's kind and key; a view of
//! any resource (the Table API's rows with `includeObject=Metadata`) fills every field.

use super::key::{ObjKey, WorkloadKind};
use super::resources::{ApiResource, TableRow};

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ObjectRef {
    /// The API group; empty for the core group (`v1`).
    pub group: String,
    pub version: String,
    /// The resource's plural (`deployments`), as in the URL.
    pub plural: String,
    /// The kind (`Deployment`), as in the object.
    pub kind: String,
    /// Empty for a cluster-scoped object.
    pub namespace: String,
    pub name: String,
    /// The uid the user saw, when known: the operation refuses another object that has
    /// since taken the name.
    pub uid: Option<String>,
    /// The resourceVersion the user saw, when known.
    pub resource_version: Option<String>,
}

impl ObjectRef {
    /// A workload row's object (uid and resourceVersion are read when the operation is
    /// planned).
    pub fn of_workload(kind: WorkloadKind, key: &ObjKey) -> ObjectRef {
        let (group, version, plural) = match kind {
            WorkloadKind::Deployment => ("apps", "v1", "deployments"),
            WorkloadKind::StatefulSet => ("apps", "v1", "statefulsets"),
            WorkloadKind::DaemonSet => ("apps", "v1", "daemonsets"),
            WorkloadKind::Job => ("batch", "v1", "jobs"),
            WorkloadKind::CronJob => ("batch", "v1", "cronjobs"),
            WorkloadKind::Pod => ("", "v1", "pods"),
            WorkloadKind::Rollout => ("argoproj.io", "v1alpha1", "rollouts"),
        };
        ObjectRef {
            group: group.into(),
            version: version.into(),
            plural: plural.into(),
            kind: kind.api_kind().into(),
            namespace: key.namespace.clone(),
            name: key.name.clone(),
            uid: None,
            resource_version: None,
        }
    }

    /// A row of any resource's table, as the view listed it: every field, the uid and
    /// resourceVersion from the row's metadata (empty ones, from a server that sent none,
    /// are left unknown and read when the operation is planned).
    pub fn of_table_row(resource: &ApiResource, row: &TableRow) -> ObjectRef {
        let known = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        ObjectRef {
            group: resource.group.clone(),
            version: resource.version.clone(),
            plural: resource.plural.clone(),
            kind: resource.kind.clone(),
            namespace: if resource.namespaced {
                row.namespace.clone()
            } else {
                String::new()
            },
            name: row.name.clone(),
            uid: known(&row.uid),
            resource_version: known(&row.resource_version),
        }
    }

    /// `apps/v1`, or `v1` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// kubectl's name for it: `deployment.apps/checkout`, `pod/checkout-1`.
    pub fn kubectl_name(&self) -> String {
        let kind = self.kind.to_lowercase();
        if self.group.is_empty() {
            format!("{kind}/{}", self.name)
        } else {
            format!("{kind}.{}/{}", self.group, self.name)
        }
    }

    /// A core Secret: its values are never shown unless asked for.
    pub fn is_secret(&self) -> bool {
        self.group.is_empty() && self.plural == "secrets"
    }

    pub fn key(&self) -> ObjKey {
        ObjKey::new(&self.namespace, &self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_kubectl() {
        let d = ObjectRef::of_workload(WorkloadKind::Deployment, &ObjKey::new("ns", "web"));
        assert_eq!(d.api_version(), "apps/v1");
        assert_eq!(d.kubectl_name(), "deployment.apps/web");
        let p = ObjectRef::of_workload(WorkloadKind::Pod, &ObjKey::new("ns", "web-1"));
        assert_eq!(p.api_version(), "v1");
        assert_eq!(p.kubectl_name(), "pod/web-1");
        assert!(!p.is_secret());
    }
}
