//! The Table columns and cells of Argo Rollouts' kinds: the CRDs'
//! `additionalPrinterColumns`, as kube-apiserver prints a custom resource.

use serde_json::{Value, json};

use super::print::{age, col};
use crate::json::{at, str_at};
use crate::store::Kind;

pub(super) fn columns(kind: Kind, name: Value) -> Vec<Value> {
    let age = col("Age", "date", "", 0, "Time since resource was created");
    let mut v = vec![name];
    match kind {
        Kind::Rollout => {
            for (n, d) in [
                ("Desired", "Number of desired pods"),
                (
                    "Current",
                    "Total number of non-terminated pods targeted by this rollout",
                ),
                (
                    "Up-to-date",
                    "Total number of non-terminated pods targeted by this rollout that have the desired template spec",
                ),
                (
                    "Available",
                    "Total number of available pods (ready for at least minReadySeconds) targeted by this rollout",
                ),
            ] {
                v.push(col(n, "integer", "", 0, d));
            }
        }
        Kind::AnalysisRun => v.push(col("Status", "string", "", 0, "AnalysisRun status")),
        _ => {}
    }
    v.push(age);
    v
}

pub(super) fn cells(kind: Kind, o: &Value, now: i64) -> Vec<Value> {
    let mut v = vec![json!(str_at(o, &["metadata", "name"]))];
    // a field the object lacks is a null cell, as for any CRD column
    let n = |path: &[&str]| at(o, path).cloned().unwrap_or(Value::Null);
    match kind {
        Kind::Rollout => {
            v.push(n(&["spec", "replicas"]));
            v.push(n(&["status", "replicas"]));
            v.push(n(&["status", "updatedReplicas"]));
            v.push(n(&["status", "availableReplicas"]));
        }
        Kind::AnalysisRun => v.push(n(&["status", "phase"])),
        _ => {}
    }
    v.push(json!(age(o, &["metadata", "creationTimestamp"], now)));
    v
}
