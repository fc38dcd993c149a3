//! ControllerRevisions, the history of StatefulSets and DaemonSets: one per distinct pod
//! template, named `OWNER-HASH`, labelled with the template's labels and
//! `controller-revision-hash`, holding in `data` the patch the real controllers store
//! (`{"spec":{"template":{..., "$patch":"replace"}}}`, which `kubectl rollout undo` sends
//! back as a strategic merge patch) and a `revision` number.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{Value, json};

use super::owned::owner_ref;
use super::{World, template_hash, template_without_hash};
use crate::json::{at, i64_at};
use crate::store::{Kind, meta_str};

pub const REVISION_HASH: &str = "controller-revision-hash";

/// The `data` of a revision for a pod template.
pub fn revision_data(template: &Value) -> Value {
    let mut t = template.clone();
    if let Some(o) = t.as_object_mut() {
        o.insert("$patch".into(), json!("replace"));
    }
    json!({"spec": {"template": t}})
}

/// The pod template a revision holds.
pub fn revision_template(rev: &Value) -> Value {
    let mut t = at(rev, &["data", "spec", "template"])
        .cloned()
        .unwrap_or(json!({}));
    if let Some(o) = t.as_object_mut() {
        o.remove("$patch");
    }
    t
}

pub fn revision_number(rev: &Value) -> i64 {
    i64_at(rev, &["revision"]).unwrap_or(0)
}

/// The hash part of a revision (its `controller-revision-hash` label).
pub fn revision_hash(rev: &Value) -> String {
    at(rev, &["metadata", "labels", REVISION_HASH])
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

impl World {
    /// The revisions `owner` controls, oldest revision first.
    pub(super) fn revisions_of(&self, owner: &Value) -> Vec<Arc<Value>> {
        let uid = meta_str(owner, "uid");
        let mut v: Vec<Arc<Value>> = self
            .store
            .in_ns(Kind::ControllerRevision, meta_str(owner, "namespace"))
            .filter(|r| r.owner_uid == uid)
            .map(|r| Arc::new(r.value()))
            .collect();
        v.sort_by_key(|r| revision_number(r));
        v
    }

    /// The revision for the owner's current template: an existing one (renumbered to the
    /// newest when an older template comes back, as after a rollback) or a new one.
    pub(super) fn sync_revision(&mut self, kind: Kind, owner: &Value) -> Arc<Value> {
        let template = at(owner, &["spec", "template"])
            .cloned()
            .unwrap_or(json!({}));
        let want = template_without_hash(&template);
        let revs = self.revisions_of(owner);
        let max = revs.iter().map(|r| revision_number(r)).max().unwrap_or(0);
        if let Some(r) = revs
            .iter()
            .rev()
            .find(|r| template_without_hash(&revision_template(r)) == want)
        {
            if revision_number(r) == max {
                return r.clone();
            }
            let mut nr = (**r).clone();
            nr["revision"] = json!(max + 1);
            return Arc::new(self.store.put(Kind::ControllerRevision, nr).value());
        }
        let ns = meta_str(owner, "namespace").to_string();
        let mut hash = template_hash(&template);
        let owner_name = meta_str(owner, "name").to_string();
        // a name taken by another template (a hash collision) gets a different hash
        let mut salt = 0;
        while self
            .store
            .obj(
                Kind::ControllerRevision,
                &ns,
                &format!("{owner_name}-{hash}"),
            )
            .is_some()
        {
            salt += 1;
            hash = template_hash(&json!({"t": template, "collision": salt}));
        }
        let name = format!("{owner_name}-{hash}");
        let mut meta = self.new_meta(&name, &ns, self.now_ms);
        let mut labels = at(&template, &["metadata", "labels"])
            .cloned()
            .filter(Value::is_object)
            .unwrap_or(json!({}));
        labels[REVISION_HASH] = json!(hash);
        meta["labels"] = labels;
        if let Some(a) = at(owner, &["metadata", "annotations"]).filter(|a| a.is_object()) {
            meta["annotations"] = a.clone();
        }
        meta["ownerReferences"] = json!([owner_ref(kind, owner)]);
        let rev = json!({
            "metadata": meta,
            "data": revision_data(&template),
            "revision": max + 1,
        });
        Arc::new(self.create(Kind::ControllerRevision, rev).value())
    }

    /// Delete the oldest revisions beyond `revisionHistoryLimit` that no live pod uses and
    /// that are not `keep`.
    pub(super) fn prune_revisions(&mut self, owner: &Value, keep: &BTreeSet<String>) {
        let limit = i64_at(owner, &["spec", "revisionHistoryLimit"])
            .unwrap_or(10)
            .max(0) as usize;
        let revs = self.revisions_of(owner);
        let ns = meta_str(owner, "namespace").to_string();
        let old: Vec<String> = revs
            .iter()
            .map(|r| meta_str(r, "name").to_string())
            .filter(|n| !keep.contains(n))
            .collect();
        if old.len() > limit {
            for n in &old[..old.len() - limit] {
                self.store.delete(Kind::ControllerRevision, &ns, n);
            }
        }
    }
}
