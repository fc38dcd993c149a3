//! The Table columns and cells of ConfigMaps, Secrets, EndpointSlices, Ingresses,
//! PersistentVolumeClaims and CustomResourceDefinitions as kube-apiserver prints them, and of
//! a custom resource (cert-manager's Certificate) from its CRD's `additionalPrinterColumns`
//! as the apiextensions server does: each column's JSONPath evaluated on the object.

use serde_json::{Value, json};

use super::print::{age, col};
use crate::json::{at, str_at};
use crate::store::Kind;

const CREATED: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

/// A CRD's printer columns: (name, type, format, priority, description, JSONPath).
struct PrinterColumn {
    pub name: String,
    pub typ: String,
    pub format: String,
    pub priority: i64,
    pub description: String,
    pub json_path: String,
}

/// The printer columns of the served version of a CRD.
fn printer_columns(crd: &Value) -> Vec<PrinterColumn> {
    at(crd, &["spec", "versions"])
        .and_then(Value::as_array)
        .and_then(|vs| {
            vs.iter()
                .find(|v| v.get("served").and_then(Value::as_bool) == Some(true))
        })
        .and_then(|v| v.get("additionalPrinterColumns"))
        .and_then(Value::as_array)
        .map(|cols| {
            cols.iter()
                .map(|c| PrinterColumn {
                    name: str_at(c, &["name"]).to_string(),
                    typ: str_at(c, &["type"]).to_string(),
                    format: str_at(c, &["format"]).to_string(),
                    priority: c.get("priority").and_then(Value::as_i64).unwrap_or(0),
                    description: str_at(c, &["description"]).to_string(),
                    json_path: str_at(c, &["jsonPath"]).to_string(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The Certificate CRD as installed at start (the printer columns do not follow later edits
/// of the CRD object).
fn certificate_columns() -> &'static [PrinterColumn] {
    static COLS: std::sync::OnceLock<Vec<PrinterColumn>> = std::sync::OnceLock::new();
    COLS.get_or_init(|| printer_columns(&crate::world::certificate_crd("", "")))
}

/// The values a simple JSONPath (`.a.b`, `[N]`, `[*]`, `[?(@.f=="v")]`) finds in `v`.
fn json_path<'a>(v: &'a Value, path: &str) -> Vec<&'a Value> {
    let mut cur = vec![v];
    let mut rest = path.trim().trim_start_matches('{').trim_end_matches('}');
    rest = rest.strip_prefix('$').unwrap_or(rest);
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let field = &r[..end];
            rest = &r[end..];
            if field.is_empty() {
                continue;
            }
            cur = cur.into_iter().filter_map(|x| x.get(field)).collect();
        } else if let Some(r) = rest.strip_prefix('[') {
            let Some(end) = r.find(']') else {
                return Vec::new();
            };
            let inner = &r[..end];
            rest = &r[end + 1..];
            let items = cur.into_iter().filter_map(Value::as_array).flatten();
            cur = if inner == "*" {
                items.collect()
            } else if let Ok(i) = inner.parse::<usize>() {
                // an index picks from each array
                let mut out = Vec::new();
                let mut arrays = Vec::new();
                for x in items {
                    arrays.push(x);
                }
                if let Some(x) = arrays.get(i) {
                    out.push(*x);
                }
                out
            } else if let Some(f) = inner.strip_prefix("?(@.").and_then(|s| s.strip_suffix(')')) {
                let Some((field, want)) = f.split_once("==") else {
                    return Vec::new();
                };
                let want = want.trim().trim_matches('"').trim_matches('\'');
                let field: Vec<&str> = field.trim().split('.').collect();
                items
                    .filter(|x| at(x, &field).and_then(Value::as_str) == Some(want))
                    .collect()
            } else {
                return Vec::new();
            };
        } else {
            return Vec::new();
        }
    }
    cur
}

/// One custom-resource cell: nothing found is null; a string column prints the value as
/// JSONPath prints it; a date is an age; integers and numbers stay numbers.
fn crd_cell(c: &PrinterColumn, o: &Value, now: i64) -> Value {
    let Some(v) = json_path(o, &c.json_path).into_iter().next() else {
        return Value::Null;
    };
    match c.typ.as_str() {
        "date" => match v.as_str() {
            Some(s) => json!(super::age_of(s, now)),
            None => Value::Null,
        },
        "string" => match v {
            Value::String(s) => json!(s),
            Value::Null => Value::Null,
            other => json!(other.to_string()),
        },
        _ => v.clone(),
    }
}

pub(super) fn columns(kind: Kind, name: Value, age: Value) -> Vec<Value> {
    let mut v = vec![name];
    match kind {
        Kind::ConfigMap => {
            v.push(col(
                "Data",
                "string",
                "",
                0,
                "Data contains the configuration data.",
            ));
            v.push(age);
        }
        Kind::Secret => {
            v.push(col(
                "Type",
                "string",
                "",
                0,
                "Used to facilitate programmatic handling of secret data.",
            ));
            v.push(col(
                "Data",
                "string",
                "",
                0,
                "Data contains the secret data.",
            ));
            v.push(age);
        }
        Kind::EndpointSlice => {
            v.push(col(
                "AddressType",
                "string",
                "",
                0,
                "addressType specifies the type of address carried by this EndpointSlice.",
            ));
            v.push(col(
                "Ports",
                "string",
                "",
                0,
                "ports specifies the list of network ports exposed by each endpoint in this slice.",
            ));
            v.push(col(
                "Endpoints",
                "string",
                "",
                0,
                "endpoints is a list of unique endpoints in this slice.",
            ));
            v.push(age);
        }
        Kind::Ingress => {
            v.push(col(
                "Class",
                "string",
                "",
                0,
                "The name of the IngressClass resource.",
            ));
            v.push(col(
                "Hosts",
                "string",
                "",
                0,
                "Hosts that incoming requests are matched against before the ingress rule",
            ));
            v.push(col(
                "Address",
                "string",
                "",
                0,
                "Address is a list containing ingress points for the load-balancer",
            ));
            v.push(col(
                "Ports",
                "string",
                "",
                0,
                "Ports of TLS configurations that open",
            ));
            v.push(age);
        }
        Kind::PersistentVolumeClaim => {
            v.push(col(
                "Status",
                "string",
                "",
                0,
                "phase represents the current phase of PersistentVolumeClaim.",
            ));
            v.push(col(
                "Volume",
                "string",
                "",
                0,
                "volumeName is the binding reference to the PersistentVolume backing this claim.",
            ));
            v.push(col(
                "Capacity",
                "string",
                "",
                0,
                "capacity represents the actual resources of the underlying volume.",
            ));
            v.push(col(
                "Access Modes",
                "string",
                "",
                0,
                "accessModes contains the actual access modes the volume backing the PVC has.",
            ));
            v.push(col(
                "StorageClass",
                "string",
                "",
                0,
                "StorageClass of the pvc",
            ));
            v.push(col(
                "VolumeAttributesClass",
                "string",
                "",
                0,
                "VolumeAttributesClass of the pvc",
            ));
            v.push(age);
            v.push(col(
                "VolumeMode",
                "string",
                "",
                1,
                "volumeMode defines what type of volume is required by the claim.",
            ));
        }
        Kind::CustomResourceDefinition => {
            v.push(col("Created At", "date", "", 0, CREATED));
        }
        Kind::Certificate => {
            for c in certificate_columns() {
                v.push(col(&c.name, &c.typ, &c.format, c.priority, &c.description));
            }
        }
        _ => v.push(age),
    }
    v
}

/// At most `max` items joined by ",", then ` + N more...`; `<unset>` when none.
fn list_with_more(items: &[String], max: usize) -> String {
    if items.len() > max {
        return format!("{} + {} more...", items[..max].join(","), items.len() - max);
    }
    if items.is_empty() {
        "<unset>".into()
    } else {
        items.join(",")
    }
}

fn data_count(o: &Value) -> i64 {
    let n = |f: &str| o.get(f).and_then(Value::as_object).map_or(0, |m| m.len()) as i64;
    n("data") + n("binaryData")
}

fn access_modes(modes: Option<&Value>) -> String {
    let mut out = Vec::new();
    for (full, short) in [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ] {
        if modes
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|m| m.as_str() == Some(full)))
        {
            out.push(short);
        }
    }
    out.join(",")
}

pub(super) fn cells(kind: Kind, o: &Value, now: i64) -> Vec<Value> {
    let name = str_at(o, &["metadata", "name"]);
    let created = age(o, &["metadata", "creationTimestamp"], now);
    let arr = |path: &[&str]| {
        at(o, path)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    match kind {
        Kind::ConfigMap => vec![json!(name), json!(data_count(o)), json!(created)],
        Kind::Secret => vec![
            json!(name),
            json!(str_at(o, &["type"])),
            json!(data_count(o)),
            json!(created),
        ],
        Kind::EndpointSlice => {
            let ports: Vec<String> = arr(&["ports"])
                .iter()
                .map(|p| match p.get("port").and_then(Value::as_i64) {
                    Some(n) => n.to_string(),
                    None => match p.get("name").and_then(Value::as_str) {
                        Some(n) => n.to_string(),
                        None => "*".into(),
                    },
                })
                .collect();
            let addrs: Vec<String> = arr(&["endpoints"])
                .iter()
                .flat_map(|e| {
                    e.get("addresses")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default()
                })
                .map(|a| a.as_str().unwrap_or("").to_string())
                .collect();
            vec![
                json!(name),
                json!(str_at(o, &["addressType"])),
                json!(list_with_more(&ports, 3)),
                json!(list_with_more(&addrs, 3)),
                json!(created),
            ]
        }
        Kind::Ingress => {
            let class = match str_at(o, &["spec", "ingressClassName"]) {
                "" => "<none>",
                c => c,
            };
            let hosts: Vec<String> = arr(&["spec", "rules"])
                .iter()
                .map(|r| match str_at(r, &["host"]) {
                    "" => "*".to_string(),
                    h => h.to_string(),
                })
                .collect();
            let hosts = if hosts.is_empty() {
                "*".to_string()
            } else if hosts.len() > 4 {
                format!("{} + {} more...", hosts[..4].join(","), hosts.len() - 4)
            } else {
                hosts.join(",")
            };
            let address: Vec<String> = arr(&["status", "loadBalancer", "ingress"])
                .iter()
                .filter_map(|i| {
                    let ip = str_at(i, &["ip"]);
                    let host = str_at(i, &["hostname"]);
                    if !ip.is_empty() {
                        Some(ip.to_string())
                    } else if !host.is_empty() {
                        Some(host.to_string())
                    } else {
                        None
                    }
                })
                .collect();
            // the server prints with the wide options: the whole list, not cut at 16
            let address = address.join(",");
            let ports = if arr(&["spec", "tls"]).is_empty() {
                "80"
            } else {
                "80, 443"
            };
            vec![
                json!(name),
                json!(class),
                json!(hosts),
                json!(address),
                json!(ports),
                json!(created),
            ]
        }
        Kind::PersistentVolumeClaim => {
            let phase = if at(o, &["metadata", "deletionTimestamp"]).is_some() {
                "Terminating"
            } else {
                str_at(o, &["status", "phase"])
            };
            let volume = str_at(o, &["spec", "volumeName"]);
            let (capacity, modes) = if volume.is_empty() {
                (String::new(), String::new())
            } else {
                (
                    str_at(o, &["status", "capacity", "storage"]).to_string(),
                    access_modes(at(o, &["status", "accessModes"])),
                )
            };
            let class = match at(o, &["spec", "storageClassName"]).and_then(Value::as_str) {
                Some(c) => c.to_string(),
                None => str_at(
                    o,
                    &[
                        "metadata",
                        "annotations",
                        "volume.beta.kubernetes.io/storage-class",
                    ],
                )
                .to_string(),
            };
            let vac = match str_at(o, &["spec", "volumeAttributesClassName"]) {
                "" => "<unset>",
                c => c,
            };
            let mode = match str_at(o, &["spec", "volumeMode"]) {
                "" => "<unset>",
                m => m,
            };
            vec![
                json!(name),
                json!(phase),
                json!(volume),
                json!(capacity),
                json!(modes),
                json!(class),
                json!(vac),
                json!(created),
                json!(mode),
            ]
        }
        Kind::CustomResourceDefinition => vec![
            json!(name),
            json!(str_at(o, &["metadata", "creationTimestamp"])),
        ],
        Kind::Certificate => std::iter::once(json!(name))
            .chain(certificate_columns().iter().map(|c| crd_cell(c, o, now)))
            .collect(),
        _ => vec![json!(name), json!(created)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_path_filters_and_indexes() {
        let o = json!({"status": {"conditions": [
            {"type": "Issuing", "status": "False"},
            {"type": "Ready", "status": "True", "message": "up to date"},
        ]}, "spec": {"secretName": "s"}});
        let first = |p: &str| json_path(&o, p).first().map(|v| (*v).clone());
        assert_eq!(
            first(".status.conditions[?(@.type==\"Ready\")].status"),
            Some(json!("True"))
        );
        assert_eq!(
            first(".status.conditions[1].message"),
            Some(json!("up to date"))
        );
        assert_eq!(first(".spec.secretName"), Some(json!("s")));
        assert_eq!(first(".spec.missing"), None);
        assert_eq!(json_path(&o, ".status.conditions[*].type").len(), 2);
    }

    #[test]
    fn lists_are_cut_after_three() {
        let l: Vec<String> = (1..=5).map(|i| format!("10.0.0.{i}")).collect();
        assert_eq!(
            list_with_more(&l, 3),
            "10.0.0.1,10.0.0.2,10.0.0.3 + 2 more..."
        );
        assert_eq!(list_with_more(&[], 3), "<unset>");
    }
}
