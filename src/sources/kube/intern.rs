//! Sharing what pods of one template have in common. The pods of a ReplicaSet carry the
//! same labels and the same container specs (image, resources, probes); held once per
//! pod, they were most of a 150,000-pod cluster's memory. Rows hold them behind an `Arc`
//! and each watcher thread keeps a pool of the ones it has made, so equal values are one
//! allocation. A pool forgets what no row holds any more whenever it has doubled.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::sync::Arc;

use super::model::ContainerSpec;
use super::slim::Container;

/// A map of what a thread has made, swept of what only the pool still holds whenever it
/// has doubled since the last sweep.
struct Pool<K, V> {
    map: HashMap<K, V>,
    /// the size at which the pool next drops what only it holds
    sweep_at: usize,
}

const FIRST_SWEEP: usize = 4096;

impl<K: Hash + Eq, V> Pool<K, V> {
    fn new() -> Self {
        Pool {
            map: HashMap::new(),
            sweep_at: FIRST_SWEEP,
        }
    }

    /// Before an insert: drops the entries `held` says no row holds, once due.
    fn sweep_if_due(&mut self, held: impl Fn(&K, &V) -> bool) {
        if self.map.len() >= self.sweep_at {
            self.map.retain(|k, v| held(k, v));
            self.sweep_at = (self.map.len() * 2).max(FIRST_SWEEP);
        }
    }
}

impl<T: Hash + Eq> Pool<Arc<T>, ()> {
    /// `value`, shared with every equal one made before.
    fn share(&mut self, value: T) -> Arc<T> {
        if let Some((shared, _)) = self.map.get_key_value(&value) {
            return shared.clone();
        }
        self.sweep_if_due(|v, _| Arc::strong_count(v) > 1);
        let shared = Arc::new(value);
        self.map.insert(shared.clone(), ());
        shared
    }
}

/// Container specs by the container as declared (name, image, and its resources and
/// probes as JSON text), with the GPUs it asks for.
type Containers = Pool<Container, (Arc<ContainerSpec>, u32)>;

thread_local! {
    static LABELS: RefCell<Pool<Arc<BTreeMap<String, String>>, ()>> = RefCell::new(Pool::new());
    static CONTAINERS: RefCell<Containers> = RefCell::new(Pool::new());
}

/// Labels, shared with every equal set this thread has made.
pub fn labels(value: BTreeMap<String, String>) -> Arc<BTreeMap<String, String>> {
    LABELS.with(|p| p.borrow_mut().share(value))
}

/// The spec of a container as declared, and the GPUs it asks for: made by `make` the
/// first time this thread sees the declaration, shared after.
pub fn container(
    declared: &Container,
    make: impl FnOnce(&Container) -> (ContainerSpec, u32),
) -> (Arc<ContainerSpec>, u32) {
    CONTAINERS.with(|c| {
        let mut c = c.borrow_mut();
        if let Some((spec, gpus)) = c.map.get(declared) {
            return (spec.clone(), *gpus);
        }
        c.sweep_if_due(|_, (spec, _)| Arc::strong_count(spec) > 1);
        let (spec, gpus) = make(declared);
        let spec = Arc::new(spec);
        c.map.insert(declared.clone(), (spec.clone(), gpus));
        (spec, gpus)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_declared_alike_share_one_spec_made_once() {
        let declared: Container = serde_json::from_value(serde_json::json!({
            "name": "app", "image": "img:1",
            "resources": {"limits": {"nvidia.com/gpu": "2"}}
        }))
        .expect("container");
        let mut made = 0;
        let a = container(&declared, |_| {
            made += 1;
            (ContainerSpec::default(), 2)
        });
        let b = container(&declared.clone(), |_| {
            made += 1;
            (ContainerSpec::default(), 0)
        });
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert_eq!((b.1, made), (2, 1));
        let other = Container {
            image: Some("img:2".into()),
            ..declared
        };
        let c = container(&other, |_| {
            made += 1;
            (ContainerSpec::default(), 0)
        });
        assert!(!Arc::ptr_eq(&a.0, &c.0));
        assert_eq!(made, 2);
    }

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
        assert!(pool.map.len() < FIRST_SWEEP);
        assert!(pool.map.contains_key(&vec![1, 2]));
        assert!(Arc::ptr_eq(&a, &pool.share(vec![1, 2])));
    }
}
