//! The DaemonSet controller: one pod on each Ready node whose labels satisfy the template's
//! `nodeSelector` (cordoned nodes included, as DaemonSet pods tolerate that), none elsewhere; a rolling update that replaces old pods while no
//! more than `maxUnavailable` nodes lack a ready pod; pods labelled with the revision's hash
//! (`controller-revision-hash`) and `pod-template-generation`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::{Value, json};

use super::World;
use super::nodes::node_fits;
use super::owned::{NewPod, owner_ref};
use super::revisions::{REVISION_HASH, revision_hash, revision_template};
use crate::json::{at, i64_at, str_at};
use crate::store::{Kind, Obj, meta_str};

fn max_unavailable(ds: &Value, desired: i64) -> i64 {
    match at(
        ds,
        &["spec", "updateStrategy", "rollingUpdate", "maxUnavailable"],
    ) {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(1),
        Some(Value::String(s)) if s.ends_with('%') => {
            let p: f64 = s.trim_end_matches('%').parse().unwrap_or(0.0);
            // a percentage rounds up for DaemonSets
            ((p / 100.0) * desired as f64).ceil() as i64
        }
        _ => 1,
    }
    .max(1)
}

impl World {
    /// Run the DaemonSet controller once. Returns true while it still has work to do.
    pub(super) fn reconcile_daemonset(&mut self, ns: &str, name: &str) -> bool {
        let Some(ds) = self.store.get(Kind::DaemonSet, ns, name) else {
            return false;
        };
        let rev = self.sync_revision(Kind::DaemonSet, &ds);
        let hash = revision_hash(&rev);
        let template = revision_template(&rev);
        let nodes: Vec<String> = self
            .store
            .in_ns(Kind::Node, "")
            .filter(|n| node_fits(n, &template))
            .map(|n| n.name.clone())
            .collect();
        let uid = meta_str(&ds, "uid").to_string();
        let owned: Vec<Arc<Obj>> = self
            .store
            .in_ns(Kind::Pod, ns)
            .filter(|p| p.owner_uid == uid)
            .cloned()
            .collect();
        let mut moving = false;
        // pods on nodes that no longer fit, extra pods on a node, and finished pods go
        let mut by_node: BTreeMap<String, Arc<Obj>> = BTreeMap::new();
        for p in owned {
            let gone = p.phase == "Failed" || p.phase == "Succeeded";
            if gone || !nodes.contains(&p.node) || by_node.contains_key(&p.node) {
                self.delete_pod(ns, &p.name);
                self.record_event(
                    &ds,
                    Kind::DaemonSet,
                    "Normal",
                    "SuccessfulDelete",
                    &format!("Deleted pod: {}", p.name),
                );
                moving = true;
                continue;
            }
            by_node.insert(p.node.clone(), p);
        }
        // rolling update: old pods go while availability allows
        let rolling = str_at(&ds, &["spec", "updateStrategy", "type"]) != "OnDelete";
        if rolling {
            let desired = nodes.len() as i64;
            let available = by_node.values().filter(|p| p.ready).count() as i64;
            let mut budget = max_unavailable(&ds, desired) - (desired - available);
            if self.instant {
                budget = desired;
            }
            let mut old: Vec<Arc<Obj>> = by_node
                .values()
                .filter(|p| p.label(REVISION_HASH) != Some(hash.as_str()))
                .cloned()
                .collect();
            // unready old pods first: replacing them costs no availability
            old.sort_by_key(|p| p.ready);
            for p in old {
                if !p.ready || budget > 0 {
                    if p.ready {
                        budget -= 1;
                    }
                    self.delete_pod(ns, &p.name);
                    by_node.remove(&p.node);
                    moving = true;
                }
            }
        }
        // a pod on every fitting node that has none
        let generation = i64_at(&ds, &["metadata", "generation"]).unwrap_or(1);
        for node in &nodes {
            if by_node.contains_key(node) {
                continue;
            }
            let suffix = self.rng.name_suffix(5);
            let pname = format!("{name}-{suffix}");
            self.create_owned_pod(NewPod {
                ns,
                name: pname.clone(),
                generate_name: Some(format!("{name}-")),
                template: &template,
                owner: Some(owner_ref(Kind::DaemonSet, &ds)),
                extra_labels: vec![
                    (REVISION_HASH.into(), hash.clone()),
                    ("pod-template-generation".into(), generation.to_string()),
                ],
                node: Some(node.clone()),
                spec_extra: vec![],
                finish: None,
            });
            self.record_event(
                &ds,
                Kind::DaemonSet,
                "Normal",
                "SuccessfulCreate",
                &format!("Created pod: {pname}"),
            );
            moving = true;
        }
        let done = self.update_daemonset_status(ns, name, &nodes, &hash);
        moving || !done
    }

    /// Write the status; true when every fitting node runs a ready pod of the current revision.
    fn update_daemonset_status(
        &mut self,
        ns: &str,
        name: &str,
        nodes: &[String],
        hash: &str,
    ) -> bool {
        let Some(ds) = self.store.get(Kind::DaemonSet, ns, name) else {
            return true;
        };
        let uid = meta_str(&ds, "uid").to_string();
        let pods: Vec<Arc<Obj>> = self
            .store
            .in_ns(Kind::Pod, ns)
            .filter(|p| p.owner_uid == uid)
            .cloned()
            .collect();
        let on = |f: &dyn Fn(&Obj) -> bool| {
            nodes
                .iter()
                .filter(|n| pods.iter().any(|p| &p.node == *n && f(p)))
                .count() as i64
        };
        let desired = nodes.len() as i64;
        let current = on(&|_| true);
        let ready = on(&|p| p.ready);
        let updated = on(&|p| p.label(REVISION_HASH) == Some(hash));
        let misscheduled = pods.iter().filter(|p| !nodes.contains(&p.node)).count() as i64;
        let mut status = json!({
            "currentNumberScheduled": current,
            "desiredNumberScheduled": desired,
            "numberMisscheduled": misscheduled,
            "numberReady": ready,
            "observedGeneration": i64_at(&ds, &["metadata", "generation"]).unwrap_or(1),
        });
        for (k, v) in [
            ("updatedNumberScheduled", updated),
            ("numberAvailable", ready),
            ("numberUnavailable", desired - ready),
        ] {
            if v > 0 {
                status[k] = json!(v);
            }
        }
        if ds.get("status") != Some(&status) {
            let mut d = (*ds).clone();
            d["status"] = status;
            self.store.put(Kind::DaemonSet, d);
        }
        let keep: BTreeSet<String> = self
            .revisions_of(&ds)
            .iter()
            .filter(|r| {
                let h = revision_hash(r);
                h == hash
                    || pods
                        .iter()
                        .any(|p| p.label(REVISION_HASH) == Some(h.as_str()))
            })
            .map(|r| meta_str(r, "name").to_string())
            .collect();
        self.prune_revisions(&ds, &keep);
        updated == desired && ready == desired && current == desired && misscheduled == 0
    }
}

/// API defaults for a DaemonSet.
pub fn daemonset_defaults(d: &mut Value) {
    let spec = &mut d["spec"];
    if !spec.is_object() {
        *spec = json!({});
    }
    if spec.get("revisionHistoryLimit").is_none_or(Value::is_null) {
        spec["revisionHistoryLimit"] = json!(10);
    }
    if spec.get("updateStrategy").is_none_or(Value::is_null) {
        spec["updateStrategy"] = json!({"type": "RollingUpdate"});
    }
    if str_at(spec, &["updateStrategy", "type"]) == "RollingUpdate"
        && at(spec, &["updateStrategy", "rollingUpdate"]).is_none()
    {
        spec["updateStrategy"]["rollingUpdate"] = json!({"maxUnavailable": 1, "maxSurge": 0});
    }
}
