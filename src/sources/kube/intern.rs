//! Sharing what pods of one template have in common. The pods of a ReplicaSet carry the
//! same labels and the same container specs (image, resources, probes); held once per
//! pod, they were most of a 150,000-pod cluster's memory. Rows hold them behind an `Arc`
//! and each watcher thread keeps a pool of the ones it has made, so equal values are one
//! allocation. A pool forgets what no row holds any more whenever it has doubled.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::hash::Hash;
use std::sync::Arc;

use super::rows::ContainerSpec;

/// Values shared by equality.
struct Pool<T> {
    set: HashSet<Arc<T>>,
    /// the size at which the pool next drops what only it holds
    sweep_at: usize,
}

const FIRST_SWEEP: usize = 4096;

impl<T: Hash + Eq> Pool<T> {
    fn new() -> Self {
        Pool {
            set: HashSet::new(),
            sweep_at: FIRST_SWEEP,
        }
    }

    fn share(&mut self, value: T) -> Arc<T> {
        if let Some(shared) = self.set.get(&value) {
            return shared.clone();
        }
        if self.set.len() >= self.sweep_at {
            self.set.retain(|v| Arc::strong_count(v) > 1);
            self.sweep_at = (self.set.len() * 2).max(FIRST_SWEEP);
        }
        let shared = Arc::new(value);
        self.set.insert(shared.clone());
        shared
    }
}

thread_local! {
    static LABELS: RefCell<Pool<BTreeMap<String, String>>> = RefCell::new(Pool::new());
    static SPECS: RefCell<Pool<ContainerSpec>> = RefCell::new(Pool::new());
}

/// Labels, shared with every equal set this thread has made.
pub fn labels(value: BTreeMap<String, String>) -> Arc<BTreeMap<String, String>> {
    LABELS.with(|p| p.borrow_mut().share(value))
}

/// A container spec, shared with every equal one this thread has made.
pub fn spec(value: ContainerSpec) -> Arc<ContainerSpec> {
    SPECS.with(|p| p.borrow_mut().share(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_are_one_allocation_and_unheld_ones_are_forgotten() {
        let mut pool = Pool::new();
        let a = pool.share(vec![1, 2]);
        let b = pool.share(vec![1, 2]);
        assert!(Arc::ptr_eq(&a, &b));
        let c = pool.share(vec![3]);
        assert!(!Arc::ptr_eq(&a, &c));
        drop(c);
        for i in 0..FIRST_SWEEP {
            drop(pool.share(vec![i + 10]));
        }
        // the sweep kept the one still held and dropped the rest
        assert!(pool.set.len() < FIRST_SWEEP);
        assert!(pool.set.contains(&vec![1, 2]));
        assert!(Arc::ptr_eq(&a, &pool.share(vec![1, 2])));
    }
}
