//! The keys of the cluster store and its name indexes: an owner's key → the names of
//! what it owns.

use std::collections::{BTreeSet, HashMap};

use crate::sources::kube::{ObjKey, WorkloadKind};

pub fn owner_key(ns: &str, name: &Option<String>) -> Option<ObjKey> {
    name.as_ref().map(|n| ObjKey::new(ns, n))
}

/// Adds or removes `name` under `key` of a name index, dropping empty sets.
pub fn index_name<K: std::hash::Hash + Eq>(
    index: &mut HashMap<K, BTreeSet<String>>,
    key: K,
    name: &str,
    add: bool,
) {
    if add {
        index.entry(key).or_default().insert(name.to_owned());
    } else if let Some(set) = index.get_mut(&key) {
        set.remove(name);
        if set.is_empty() {
            index.remove(&key);
        }
    }
}

/// A workload: an object of one of the kinds that run pods (a row of the Workloads table).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WorkloadRef {
    pub kind: WorkloadKind,
    pub key: ObjKey,
}

impl WorkloadRef {
    pub fn new(kind: WorkloadKind, key: ObjKey) -> WorkloadRef {
        WorkloadRef { kind, key }
    }
}
