//! The StatefulSet controller: pods `NAME-0`, `NAME-1`, … made in order, each waiting for the
//! one before to be Running and Ready (OrderedReady; `Parallel` makes them at once), removed
//! from the highest ordinal down, and a rolling update that replaces pods from the highest
//! ordinal down to `spec.updateStrategy.rollingUpdate.partition`, one at a time. Each pod
//! carries its revision's name in `controller-revision-hash`; the status counts pods at the
//! current and the update revision.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::{Value, json};

use super::World;
use super::owned::{NewPod, owner_ref};
use super::revisions::{REVISION_HASH, revision_template};
use crate::json::{at, i64_at, str_at};
use crate::store::{Kind, Obj, meta_str};

/// Pods a set owns, by ordinal (pods whose name has no ordinal are left out).
fn pods_by_ordinal(w: &World, set: &Value) -> BTreeMap<i64, Arc<Obj>> {
    let uid = meta_str(set, "uid");
    let prefix = format!("{}-", meta_str(set, "name"));
    w.store
        .in_ns(Kind::Pod, meta_str(set, "namespace"))
        .filter(|p| p.owner_uid == uid)
        .filter_map(|p| {
            let ord = p.name.strip_prefix(&prefix)?.parse::<i64>().ok()?;
            Some((ord, p.clone()))
        })
        .collect()
}

fn healthy(p: &Obj) -> bool {
    p.phase == "Running" && p.ready
}

impl World {
    /// Run the StatefulSet controller once. Returns true while it still has work to do.
    pub(super) fn reconcile_statefulset(&mut self, ns: &str, name: &str) -> bool {
        let Some(set) = self.store.get(Kind::StatefulSet, ns, name) else {
            return false;
        };
        let update_rev = self.sync_revision(Kind::StatefulSet, &set);
        let update_name = meta_str(&update_rev, "name").to_string();
        let revs = self.revisions_of(&set);
        let cur_status = str_at(&set, &["status", "currentRevision"]);
        let current_rev = revs
            .iter()
            .find(|r| meta_str(r, "name") == cur_status)
            .cloned()
            .unwrap_or_else(|| update_rev.clone());
        let current_name = meta_str(&current_rev, "name").to_string();
        let replicas = i64_at(&set, &["spec", "replicas"]).unwrap_or(1).max(0);
        let rolling = str_at(&set, &["spec", "updateStrategy", "type"]) != "OnDelete";
        let partition = i64_at(
            &set,
            &["spec", "updateStrategy", "rollingUpdate", "partition"],
        )
        .unwrap_or(0)
        .max(0);
        let parallel = str_at(&set, &["spec", "podManagementPolicy"]) == "Parallel";
        let mut moving = false;
        let mut pods = pods_by_ordinal(self, &set);
        // make (or replace failed) pods in order
        for ord in 0..replicas {
            let p = pods.get(&ord).cloned();
            if let Some(p) = &p
                && (p.phase == "Failed" || p.phase == "Succeeded")
            {
                self.delete_pod(ns, &p.name);
                pods.remove(&ord);
                moving = true;
                if !parallel {
                    break;
                }
                continue;
            }
            match p {
                None => {
                    let (rev_name, template) = if rolling && ord < partition {
                        (current_name.clone(), revision_template(&current_rev))
                    } else {
                        (update_name.clone(), revision_template(&update_rev))
                    };
                    self.create_set_pod(&set, ord, &rev_name, &template);
                    self.record_event(
                        &set,
                        Kind::StatefulSet,
                        "Normal",
                        "SuccessfulCreate",
                        &format!("create Pod {name}-{ord} in StatefulSet {name} successful"),
                    );
                    if !self.instant {
                        moving = true;
                        if !parallel {
                            break;
                        }
                    }
                }
                Some(p) if !healthy(&p) => {
                    moving = true;
                    if !parallel {
                        break;
                    }
                }
                Some(_) => {}
            }
        }
        // scale down: the highest ordinal first, once every lower one is healthy
        let condemned: Vec<String> = pods
            .range(replicas..)
            .rev()
            .map(|(_, p)| p.name.clone())
            .collect();
        if !condemned.is_empty() && (!moving || parallel) {
            let n = if parallel || self.instant {
                condemned.len()
            } else {
                1
            };
            for pname in condemned.iter().take(n) {
                self.delete_pod(ns, pname);
                self.record_event(
                    &set,
                    Kind::StatefulSet,
                    "Normal",
                    "SuccessfulDelete",
                    &format!("delete Pod {pname} in StatefulSet {name} successful"),
                );
            }
            moving = true;
        }
        // rolling update: from the highest ordinal down to the partition
        if rolling && !moving {
            let pods = pods_by_ordinal(self, &set);
            for ord in (partition..replicas).rev() {
                if let Some(p) = pods.get(&ord)
                    && p.label(REVISION_HASH) != Some(update_name.as_str())
                {
                    let pname = p.name.clone();
                    self.delete_pod(ns, &pname);
                    self.record_event(
                        &set,
                        Kind::StatefulSet,
                        "Normal",
                        "SuccessfulDelete",
                        &format!("delete Pod {pname} in StatefulSet {name} successful"),
                    );
                    moving = true;
                    if !self.instant {
                        break;
                    }
                }
            }
            if moving && self.instant {
                return self.reconcile_statefulset(ns, name);
            }
        }
        self.update_set_status(&set, &current_name, &update_name);
        moving
    }

    fn create_set_pod(&mut self, set: &Value, ord: i64, rev_name: &str, template: &Value) {
        let ns = meta_str(set, "namespace").to_string();
        let name = format!("{}-{ord}", meta_str(set, "name"));
        let mut spec_extra = vec![("hostname", json!(name))];
        let svc = str_at(set, &["spec", "serviceName"]);
        if !svc.is_empty() {
            spec_extra.push(("subdomain", json!(svc)));
        }
        let claims = self.set_claims(set, ord);
        if !claims.is_empty() {
            let mut volumes = at(template, &["spec", "volumes"])
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            volumes.extend(claims);
            spec_extra.push(("volumes", json!(volumes)));
        }
        self.create_owned_pod(NewPod {
            ns: &ns,
            name: name.clone(),
            generate_name: None,
            template,
            owner: Some(owner_ref(Kind::StatefulSet, set)),
            extra_labels: vec![
                (REVISION_HASH.into(), rev_name.to_string()),
                ("statefulset.kubernetes.io/pod-name".into(), name.clone()),
                ("apps.kubernetes.io/pod-index".into(), ord.to_string()),
            ],
            node: None,
            spec_extra,
            finish: None,
        });
    }

    fn update_set_status(&mut self, set: &Value, current: &str, update: &str) {
        let ns = meta_str(set, "namespace").to_string();
        let name = meta_str(set, "name").to_string();
        // read again: the passes above may have changed the set's pods
        let Some(set) = self.store.get(Kind::StatefulSet, &ns, &name) else {
            return;
        };
        let pods = pods_by_ordinal(self, &set);
        let count = |f: &dyn Fn(&Obj) -> bool| pods.values().filter(|p| f(p)).count() as i64;
        let total = pods.len() as i64;
        let ready = count(&|p| healthy(p));
        let mut current_n = count(&|p| p.label(REVISION_HASH) == Some(current));
        let updated = count(&|p| p.label(REVISION_HASH) == Some(update));
        let mut current = current.to_string();
        let rolling = str_at(&set, &["spec", "updateStrategy", "type"]) != "OnDelete";
        if rolling && updated == total && ready == total {
            current = update.to_string();
            current_n = updated;
        }
        let mut status = json!({
            "replicas": total,
            "availableReplicas": ready,
            "currentRevision": current,
            "updateRevision": update,
            "observedGeneration": i64_at(&set, &["metadata", "generation"]).unwrap_or(1),
            "collisionCount": 0,
        });
        for (k, v) in [
            ("readyReplicas", ready),
            ("currentReplicas", current_n),
            ("updatedReplicas", updated),
        ] {
            if v > 0 {
                status[k] = json!(v);
            }
        }
        if set.get("status") != Some(&status) {
            let mut s = (*set).clone();
            s["status"] = status;
            self.store.put(Kind::StatefulSet, s);
        }
        let keep: BTreeSet<String> = pods
            .values()
            .filter_map(|p| p.label(REVISION_HASH).map(String::from))
            .chain([current, update.to_string()])
            .collect();
        self.prune_revisions(&set, &keep);
    }
}

/// API defaults for a StatefulSet, as the API server fills them in on create.
pub fn statefulset_defaults(s: &mut Value) {
    let spec = &mut s["spec"];
    if !spec.is_object() {
        *spec = json!({});
    }
    for (k, v) in [
        ("replicas", json!(1)),
        ("podManagementPolicy", json!("OrderedReady")),
        ("revisionHistoryLimit", json!(10)),
        (
            "updateStrategy",
            json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}),
        ),
        (
            "persistentVolumeClaimRetentionPolicy",
            json!({"whenDeleted": "Retain", "whenScaled": "Retain"}),
        ),
    ] {
        if spec.get(k).is_none_or(Value::is_null) {
            spec[k] = v;
        }
    }
    if str_at(spec, &["updateStrategy", "type"]) == "RollingUpdate"
        && at(spec, &["updateStrategy", "rollingUpdate", "partition"]).is_none()
    {
        spec["updateStrategy"]["rollingUpdate"] = json!({"partition": 0});
    }
}
