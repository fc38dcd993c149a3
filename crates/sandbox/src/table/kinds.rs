//! The Table columns and cells of the workload kinds beyond deployments (StatefulSets,
//! DaemonSets, ControllerRevisions, Jobs, CronJobs, Nodes), as the API server prints them.

use serde_json::{Value, json};

use super::print::{age, age_of, col, containers_of, human_age, selector_str};
use crate::json::{at, i64_at, str_at};
use crate::store::Kind;

fn wide(desc_selector: bool) -> Vec<Value> {
    let mut v = vec![
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
    ];
    if desc_selector {
        v.push(col("Selector", "string", "", 1, "Label selector for pods."));
    }
    v
}

pub(super) fn columns(kind: Kind, name: Value, age: Value) -> Vec<Value> {
    let mut v = vec![name];
    match kind {
        Kind::StatefulSet => {
            v.push(col(
                "Ready",
                "string",
                "",
                0,
                "Number of the pod with ready state",
            ));
            v.push(age);
            v.extend(wide(false));
        }
        Kind::DaemonSet => {
            for (n, d) in [
                (
                    "Desired",
                    "The desired number of nodes that should be running the daemon pod.",
                ),
                (
                    "Current",
                    "The number of nodes that are running at least 1 daemon pod.",
                ),
                (
                    "Ready",
                    "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.",
                ),
                (
                    "Up-to-date",
                    "The total number of nodes that are running updated daemon pod",
                ),
                (
                    "Available",
                    "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.",
                ),
            ] {
                v.push(col(n, "integer", "", 0, d));
            }
            v.push(col(
                "Node Selector",
                "string",
                "",
                0,
                "NodeSelector is a selector which must be true for the pod to fit on a node.",
            ));
            v.push(age);
            v.extend(wide(true));
        }
        Kind::ControllerRevision => {
            v.push(col(
                "Controller",
                "string",
                "",
                0,
                "Controller of the object with link to controller if available.",
            ));
            v.push(col(
                "Revision",
                "integer",
                "",
                0,
                "Revision indicates the revision of the state represented by Data.",
            ));
            v.push(age);
        }
        Kind::Job => {
            v.push(col("Status", "string", "", 0, "Status of the job."));
            v.push(col(
                "Completions",
                "string",
                "",
                0,
                "The completion status of the job.",
            ));
            v.push(col(
                "Duration",
                "string",
                "",
                0,
                "Time required to complete the job.",
            ));
            v.push(age);
            v.extend(wide(true));
        }
        Kind::CronJob => {
            v.push(col(
                "Schedule",
                "string",
                "",
                0,
                "The schedule in Cron format.",
            ));
            v.push(col(
                "Timezone",
                "string",
                "",
                0,
                "The time zone for the schedule.",
            ));
            v.push(col(
                "Suspend",
                "boolean",
                "",
                0,
                "Whether the cron job is suspended.",
            ));
            v.push(col(
                "Active",
                "integer",
                "",
                0,
                "The number of currently running jobs.",
            ));
            v.push(col(
                "Last Schedule",
                "string",
                "",
                0,
                "When the job was last scheduled.",
            ));
            v.push(age);
            v.extend(wide(true));
        }
        Kind::Node => {
            v.push(col("Status", "string", "", 0, "The status of the node"));
            v.push(col("Roles", "string", "", 0, "The roles of the node"));
            v.push(age);
            v.push(col(
                "Version",
                "string",
                "",
                0,
                "Kubelet Version reported by the node.",
            ));
            v.push(col(
                "Internal-IP",
                "string",
                "",
                1,
                "List of internal IPs for the node.",
            ));
            v.push(col(
                "External-IP",
                "string",
                "",
                1,
                "List of external IPs for the node.",
            ));
            v.push(col(
                "OS-Image",
                "string",
                "",
                1,
                "OS Image reported by the node.",
            ));
            v.push(col(
                "Kernel-Version",
                "string",
                "",
                1,
                "Kernel Version reported by the node.",
            ));
            v.push(col(
                "Container-Runtime",
                "string",
                "",
                1,
                "Container Runtime Version reported by the node.",
            ));
        }
        _ => v.push(age),
    }
    v
}

fn map_str(m: Option<&Value>) -> String {
    let s = selector_str(m);
    if s.is_empty() { "<none>".into() } else { s }
}

/// A Job's STATUS column, from its conditions.
pub(super) fn job_status(o: &Value) -> &'static str {
    let conds = at(o, &["status", "conditions"])
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let has = |t: &str| {
        conds
            .iter()
            .any(|c| str_at(c, &["type"]) == t && str_at(c, &["status"]) == "True")
    };
    if has("Complete") {
        "Complete"
    } else if has("Failed") {
        "Failed"
    } else if has("FailureTarget") {
        "FailureTarget"
    } else if has("SuccessCriteriaMet") {
        "SuccessCriteriaMet"
    } else if at(o, &["spec", "suspend"]).and_then(Value::as_bool) == Some(true) {
        "Suspended"
    } else {
        "Running"
    }
}

fn ms_of(o: &Value, path: &[&str]) -> Option<i64> {
    str_at(o, path)
        .parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_millisecond())
}

pub(super) fn cells(kind: Kind, o: &Value, now: i64) -> Vec<Value> {
    let name = json!(str_at(o, &["metadata", "name"]));
    let created = json!(age(o, &["metadata", "creationTimestamp"], now));
    let tmpl = at(o, &["spec", "template"])
        .or_else(|| at(o, &["spec", "jobTemplate", "spec", "template"]))
        .cloned()
        .unwrap_or(Value::Null);
    let n = |path: &[&str]| json!(i64_at(o, path).unwrap_or(0));
    match kind {
        Kind::StatefulSet => vec![
            name,
            json!(format!(
                "{}/{}",
                i64_at(o, &["status", "readyReplicas"]).unwrap_or(0),
                i64_at(o, &["spec", "replicas"]).unwrap_or(1)
            )),
            created,
            json!(containers_of(&tmpl, "name")),
            json!(containers_of(&tmpl, "image")),
        ],
        Kind::DaemonSet => vec![
            name,
            n(&["status", "desiredNumberScheduled"]),
            n(&["status", "currentNumberScheduled"]),
            n(&["status", "numberReady"]),
            n(&["status", "updatedNumberScheduled"]),
            n(&["status", "numberAvailable"]),
            json!(map_str(at(&tmpl, &["spec", "nodeSelector"]))),
            created,
            json!(containers_of(&tmpl, "name")),
            json!(containers_of(&tmpl, "image")),
            json!(selector_str(at(o, &["spec", "selector", "matchLabels"]))),
        ],
        Kind::ControllerRevision => {
            let owner = at(o, &["metadata", "ownerReferences"])
                .and_then(Value::as_array)
                .and_then(|a| {
                    a.iter()
                        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
                });
            let controller = match owner {
                Some(r) => {
                    let api = str_at(r, &["apiVersion"]);
                    let group = api.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
                    let kind = str_at(r, &["kind"]).to_lowercase();
                    let kind = if group.is_empty() {
                        kind
                    } else {
                        format!("{kind}.{group}")
                    };
                    format!("{kind}/{}", str_at(r, &["name"]))
                }
                None => "<none>".into(),
            };
            vec![name, json!(controller), n(&["revision"]), created]
        }
        Kind::Job => {
            let completions = match i64_at(o, &["spec", "completions"]) {
                Some(c) => format!("{}/{c}", i64_at(o, &["status", "succeeded"]).unwrap_or(0)),
                None => format!(
                    "{}/1 of {}",
                    i64_at(o, &["status", "succeeded"]).unwrap_or(0),
                    i64_at(o, &["spec", "parallelism"]).unwrap_or(1)
                ),
            };
            let duration = match ms_of(o, &["status", "startTime"]) {
                Some(start) => {
                    let end = ms_of(o, &["status", "completionTime"]).unwrap_or(now);
                    human_age(end - start)
                }
                None => String::new(),
            };
            vec![
                name,
                json!(job_status(o)),
                json!(completions),
                json!(duration),
                created,
                json!(containers_of(&tmpl, "name")),
                json!(containers_of(&tmpl, "image")),
                json!(selector_str(at(o, &["spec", "selector", "matchLabels"]))),
            ]
        }
        Kind::CronJob => {
            let tz = str_at(o, &["spec", "timeZone"]);
            let last = str_at(o, &["status", "lastScheduleTime"]);
            vec![
                name,
                json!(str_at(o, &["spec", "schedule"])),
                json!(if tz.is_empty() { "<none>" } else { tz }),
                json!(
                    if at(o, &["spec", "suspend"]).and_then(Value::as_bool) == Some(true) {
                        "True"
                    } else {
                        "False"
                    }
                ),
                json!(
                    at(o, &["status", "active"])
                        .and_then(Value::as_array)
                        .map(Vec::len)
                        .unwrap_or(0)
                ),
                json!(if last.is_empty() {
                    "<none>".to_string()
                } else {
                    age_of(last, now)
                }),
                created,
                json!(containers_of(&tmpl, "name")),
                json!(containers_of(&tmpl, "image")),
                json!(selector_str(at(
                    o,
                    &["spec", "jobTemplate", "spec", "selector", "matchLabels"]
                ))),
            ]
        }
        Kind::Node => {
            let ready = at(o, &["status", "conditions"])
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter().any(|c| {
                        str_at(c, &["type"]) == "Ready" && str_at(c, &["status"]) == "True"
                    })
                })
                .unwrap_or(false);
            let mut status = if ready { "Ready" } else { "NotReady" }.to_string();
            if at(o, &["spec", "unschedulable"]).and_then(Value::as_bool) == Some(true) {
                status.push_str(",SchedulingDisabled");
            }
            let mut roles: Vec<String> = at(o, &["metadata", "labels"])
                .and_then(Value::as_object)
                .map(|m| {
                    m.keys()
                        .filter_map(|k| k.strip_prefix("node-role.kubernetes.io/"))
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default();
            roles.sort();
            let addr = |t: &str| {
                at(o, &["status", "addresses"])
                    .and_then(Value::as_array)
                    .and_then(|a| a.iter().find(|x| str_at(x, &["type"]) == t))
                    .map(|x| str_at(x, &["address"]).to_string())
                    .unwrap_or_else(|| "<none>".into())
            };
            let info = |f: &str| json!(str_at(o, &["status", "nodeInfo", f]));
            vec![
                name,
                json!(status),
                json!(if roles.is_empty() {
                    "<none>".to_string()
                } else {
                    roles.join(",")
                }),
                created,
                info("kubeletVersion"),
                json!(addr("InternalIP")),
                json!(addr("ExternalIP")),
                info("osImage"),
                info("kernelVersion"),
                info("containerRuntimeVersion"),
            ]
        }
        _ => vec![name, created],
    }
}
