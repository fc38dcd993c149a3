//! The `meta.k8s.io` Table form (server-side printing), as `kubectl get` asks for it.

use serde_json::{Value, json};

use super::json::{at, i64_at, str_at};
use super::podprint::print_pod;
use super::store::Kind;

mod argo;
mod kinds;
mod policy;
mod print;
mod resources;

use print::{age, col, containers_of, selector_str};
pub use print::{age_of, human_age};

/// What deployments and replicasets show of their pod template (`-o wide`).
fn template_columns() -> [Value; 3] {
    [
        col(
            "Containers",
            "string",
            "",
            1,
            "Names of each container in the template.",
        ),
        col(
            "Images",
            "string",
            "",
            1,
            "Images referenced by each container in the template.",
        ),
        col("Selector", "string", "", 1, "Label selector for pods."),
    ]
}

pub fn columns(kind: Kind) -> Vec<Value> {
    let name = col(
        "Name",
        "string",
        "name",
        0,
        "Name must be unique within a namespace.",
    );
    let age = col(
        "Age",
        "string",
        "",
        0,
        "CreationTimestamp is a timestamp representing the server time when this object was created.",
    );
    match kind {
        Kind::StatefulSet
        | Kind::DaemonSet
        | Kind::ControllerRevision
        | Kind::Job
        | Kind::CronJob
        | Kind::Node => kinds::columns(kind, name, age),
        Kind::Rollout | Kind::AnalysisRun | Kind::AnalysisTemplate => argo::columns(kind, name),
        Kind::PodDisruptionBudget => policy::columns(name, age),
        Kind::ConfigMap
        | Kind::Secret
        | Kind::EndpointSlice
        | Kind::Ingress
        | Kind::PersistentVolumeClaim
        | Kind::CustomResourceDefinition
        | Kind::Certificate => resources::columns(kind, name, age),
        Kind::Pod => vec![
            name,
            col(
                "Ready",
                "string",
                "",
                0,
                "The aggregate readiness state of this pod for accepting traffic.",
            ),
            col(
                "Status",
                "string",
                "",
                0,
                "The aggregate status of the containers in this pod.",
            ),
            col(
                "Restarts",
                "string",
                "",
                0,
                "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
            ),
            age,
            col("IP", "string", "", 1, "IP address allocated to the pod."),
            col(
                "Node",
                "string",
                "",
                1,
                "Name of the Node this pod is scheduled on.",
            ),
            col(
                "Nominated Node",
                "string",
                "",
                1,
                "Name of the node this pod is nominated to run on.",
            ),
            col("Readiness Gates", "string", "", 1, "Pod readiness gates."),
        ],
        Kind::Deployment => vec![
            name,
            col(
                "Ready",
                "string",
                "",
                0,
                "Number of the pod with ready state",
            ),
            col(
                "Up-to-date",
                "integer",
                "",
                0,
                "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
            ),
            col(
                "Available",
                "integer",
                "",
                0,
                "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
            ),
            age,
        ]
        .into_iter()
        .chain(template_columns())
        .collect(),
        Kind::ReplicaSet => vec![
            name,
            col("Desired", "integer", "", 0, "Number of desired pods."),
            col("Current", "integer", "", 0, "Number of actual replicas."),
            col(
                "Ready",
                "integer",
                "",
                0,
                "The number of ready replicas for this replica set.",
            ),
            age,
        ]
        .into_iter()
        .chain(template_columns())
        .collect(),
        Kind::Service => vec![
            name,
            col("Type", "string", "", 0, "The type of the service."),
            col(
                "Cluster-IP",
                "string",
                "",
                0,
                "The IP address of the service.",
            ),
            col(
                "External-IP",
                "string",
                "",
                0,
                "The external IP address of the service.",
            ),
            col("Port(s)", "string", "", 0, "The ports of the service."),
            age,
            col("Selector", "string", "", 1, "The selector of the service."),
        ],
        Kind::Namespace => vec![
            name,
            col("Status", "string", "", 0, "The status of the namespace"),
            age,
        ],
        Kind::Event => vec![
            col(
                "Last Seen",
                "string",
                "",
                0,
                "Time when last occurrence was observed.",
            ),
            col(
                "Type",
                "string",
                "",
                0,
                "Type of this event (Normal, Warning).",
            ),
            col(
                "Reason",
                "string",
                "",
                0,
                "Short, machine understandable string that gives the reason for this event.",
            ),
            col("Object", "string", "", 0, "The object this Event is about."),
            col(
                "Subobject",
                "string",
                "",
                1,
                "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].",
            ),
            col(
                "Source",
                "string",
                "",
                1,
                "The component reporting this event. Should be a short machine understandable string.",
            ),
            col(
                "Message",
                "string",
                "",
                0,
                "A human-readable description of the status of this operation.",
            ),
            col(
                "First Seen",
                "string",
                "",
                1,
                "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)",
            ),
            col(
                "Count",
                "string",
                "",
                1,
                "The number of times this event has occurred.",
            ),
            col(
                "Name",
                "string",
                "name",
                1,
                "Name must be unique within a namespace.",
            ),
        ],
        Kind::Hpa => vec![
            name,
            col("Reference", "string", "", 0, "The target reference."),
            col(
                "Targets",
                "string",
                "",
                0,
                "The current and target metrics.",
            ),
            col(
                "MinPods",
                "string",
                "",
                0,
                "The lower limit for the number of pods.",
            ),
            col(
                "MaxPods",
                "integer",
                "",
                0,
                "The upper limit for the number of pods.",
            ),
            col("Replicas", "integer", "", 0, "Current replicas."),
            age,
        ],
    }
}

pub fn cells(kind: Kind, o: &Value, now: i64) -> Vec<Value> {
    let name = str_at(o, &["metadata", "name"]);
    let created = age(o, &["metadata", "creationTimestamp"], now);
    match kind {
        Kind::StatefulSet
        | Kind::DaemonSet
        | Kind::ControllerRevision
        | Kind::Job
        | Kind::CronJob
        | Kind::Node => kinds::cells(kind, o, now),
        Kind::Rollout | Kind::AnalysisRun | Kind::AnalysisTemplate => argo::cells(kind, o, now),
        Kind::PodDisruptionBudget => policy::cells(o, now),
        Kind::ConfigMap
        | Kind::Secret
        | Kind::EndpointSlice
        | Kind::Ingress
        | Kind::PersistentVolumeClaim
        | Kind::CustomResourceDefinition
        | Kind::Certificate => resources::cells(kind, o, now),
        Kind::Pod => {
            let printed = print_pod(o);
            let ip = str_at(o, &["status", "podIP"]);
            let node = str_at(o, &["spec", "nodeName"]);
            vec![
                json!(name),
                json!(format!("{}/{}", printed.ready, printed.total)),
                json!(printed.status),
                json!(printed.restarts_text(now)),
                json!(created),
                json!(if ip.is_empty() { "<none>" } else { ip }),
                json!(if node.is_empty() { "<none>" } else { node }),
                json!("<none>"),
                json!("<none>"),
            ]
        }
        Kind::Deployment => {
            let tmpl = at(o, &["spec", "template"]).cloned().unwrap_or(Value::Null);
            vec![
                json!(name),
                json!(format!(
                    "{}/{}",
                    i64_at(o, &["status", "readyReplicas"]).unwrap_or(0),
                    i64_at(o, &["spec", "replicas"]).unwrap_or(1)
                )),
                json!(i64_at(o, &["status", "updatedReplicas"]).unwrap_or(0)),
                json!(i64_at(o, &["status", "availableReplicas"]).unwrap_or(0)),
                json!(created),
                json!(containers_of(&tmpl, "name")),
                json!(containers_of(&tmpl, "image")),
                json!(selector_str(at(o, &["spec", "selector", "matchLabels"]))),
            ]
        }
        Kind::ReplicaSet => {
            let tmpl = at(o, &["spec", "template"]).cloned().unwrap_or(Value::Null);
            vec![
                json!(name),
                json!(i64_at(o, &["spec", "replicas"]).unwrap_or(0)),
                json!(i64_at(o, &["status", "replicas"]).unwrap_or(0)),
                json!(i64_at(o, &["status", "readyReplicas"]).unwrap_or(0)),
                json!(created),
                json!(containers_of(&tmpl, "name")),
                json!(containers_of(&tmpl, "image")),
                json!(selector_str(at(o, &["spec", "selector", "matchLabels"]))),
            ]
        }
        Kind::Service => {
            // as kube-apiserver's printService (with the wide options the server prints
            // with): node ports in PORT(S), the external address by the Service's type
            let ports = at(o, &["spec", "ports"])
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(|p| {
                            let port = i64_at(p, &["port"]).unwrap_or(0);
                            let proto = str_at(p, &["protocol"]);
                            match i64_at(p, &["nodePort"]).filter(|n| *n > 0) {
                                Some(np) => format!("{port}:{np}/{proto}"),
                                None => format!("{port}/{proto}"),
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| "<none>".into());
            let cluster_ip = at(o, &["spec", "clusterIPs"])
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(Value::as_str)
                .unwrap_or("<none>");
            vec![
                json!(name),
                json!(str_at(o, &["spec", "type"])),
                json!(cluster_ip),
                json!(service_external_ip(o)),
                json!(ports),
                json!(created),
                json!(selector_str(at(o, &["spec", "selector"]))),
            ]
        }
        Kind::Namespace => vec![
            json!(name),
            json!(str_at(o, &["status", "phase"])),
            json!(created),
        ],
        Kind::Event => {
            // as printEvent: the first time stands in for a missing last one, the kind
            // alone for an object without a name, the reporting controller and instance
            // for a missing source
            let first = age(o, &["firstTimestamp"], now);
            let last = match str_at(o, &["lastTimestamp"]) {
                "" => first.clone(),
                _ => age(o, &["lastTimestamp"], now),
            };
            let kind = str_at(o, &["involvedObject", "kind"]).to_lowercase();
            let target = match str_at(o, &["involvedObject", "name"]) {
                "" => kind,
                n => format!("{kind}/{n}"),
            };
            let or = |a: &str, b: &str| {
                if a.is_empty() {
                    b.to_string()
                } else {
                    a.to_string()
                }
            };
            let component = or(
                str_at(o, &["source", "component"]),
                str_at(o, &["reportingController"]),
            );
            let instance = or(
                str_at(o, &["source", "host"]),
                str_at(o, &["reportingInstance"]),
            );
            let source = if instance.is_empty() {
                component
            } else {
                format!("{component}, {instance}")
            };
            vec![
                json!(last),
                json!(str_at(o, &["type"])),
                json!(str_at(o, &["reason"])),
                json!(target),
                json!(str_at(o, &["involvedObject", "fieldPath"])),
                json!(source),
                json!(str_at(o, &["message"]).trim()),
                json!(first),
                json!(i64_at(o, &["count"]).filter(|c| *c > 0).unwrap_or(1)),
                json!(str_at(o, &["metadata", "name"])),
            ]
        }
        Kind::Hpa => {
            let cur = at(o, &["status", "currentMetrics"])
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(|m| i64_at(m, &["resource", "current", "averageUtilization"]));
            let target = at(o, &["spec", "metrics"])
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(|m| i64_at(m, &["resource", "target", "averageUtilization"]));
            let targets = match (cur, target) {
                (Some(c), Some(t)) => format!("cpu: {c}%/{t}%"),
                (None, Some(t)) => format!("cpu: <unknown>/{t}%"),
                _ => "<none>".into(),
            };
            vec![
                json!(name),
                json!(format!(
                    "{}/{}",
                    str_at(o, &["spec", "scaleTargetRef", "kind"]),
                    str_at(o, &["spec", "scaleTargetRef", "name"])
                )),
                json!(targets),
                json!(i64_at(o, &["spec", "minReplicas"]).unwrap_or(1).to_string()),
                json!(i64_at(o, &["spec", "maxReplicas"]).unwrap_or(0)),
                json!(i64_at(o, &["status", "currentReplicas"]).unwrap_or(0)),
                json!(created),
            ]
        }
    }
}

/// A Service's EXTERNAL-IP: its `externalIPs` (ClusterIP, NodePort), the load balancer's
/// addresses or `<pending>` (LoadBalancer), the external name (ExternalName).
fn service_external_ip(o: &Value) -> String {
    let strs = |path: &[&str]| -> Vec<String> {
        at(o, path)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let external = strs(&["spec", "externalIPs"]);
    match str_at(o, &["spec", "type"]) {
        "ClusterIP" | "NodePort" | "" => {
            if external.is_empty() {
                "<none>".into()
            } else {
                external.join(",")
            }
        }
        "LoadBalancer" => {
            let mut all: Vec<String> = at(o, &["status", "loadBalancer", "ingress"])
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|i| {
                            [str_at(i, &["ip"]), str_at(i, &["hostname"])]
                                .into_iter()
                                .find(|s| !s.is_empty())
                                .map(str::to_string)
                        })
                        .collect()
                })
                .unwrap_or_default();
            all.extend(external);
            if all.is_empty() {
                "<pending>".into()
            } else {
                all.join(",")
            }
        }
        "ExternalName" => str_at(o, &["spec", "externalName"]).to_string(),
        _ => "<unknown>".into(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum IncludeObject {
    None,
    Metadata,
    Object,
}

pub fn row(kind: Kind, o: &Value, now: i64, inc: IncludeObject, table_version: &str) -> Value {
    let object = match inc {
        IncludeObject::None => Value::Null,
        IncludeObject::Object => o.clone(),
        IncludeObject::Metadata => json!({
            "kind": "PartialObjectMetadata",
            "apiVersion": format!("meta.k8s.io/{table_version}"),
            "metadata": o.get("metadata").cloned().unwrap_or(json!({})),
        }),
    };
    let mut r = json!({"cells": cells(kind, o, now)});
    if !object.is_null() {
        r["object"] = object;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_print_node_ports_and_external_addresses() {
        let lb = json!({"metadata": {"name": "web"}, "spec": {"type": "LoadBalancer",
            "clusterIPs": ["10.96.0.5"], "selector": {"app": "web"},
            "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}]},
            "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]}}});
        let c = cells(Kind::Service, &lb, 0);
        assert_eq!(
            c[1..5],
            [
                json!("LoadBalancer"),
                json!("10.96.0.5"),
                json!("203.0.113.7"),
                json!("80:30080/TCP")
            ]
        );
        let mut pending = lb.clone();
        pending["status"] = json!({"loadBalancer": {}});
        assert_eq!(cells(Kind::Service, &pending, 0)[3], json!("<pending>"));
        let ext = json!({"metadata": {"name": "db"}, "spec": {"type": "ExternalName", "externalName": "db.example.com"}});
        let c = cells(Kind::Service, &ext, 0);
        assert_eq!(
            c[2..5],
            [json!("<none>"), json!("db.example.com"), json!("<none>")]
        );
    }
}
