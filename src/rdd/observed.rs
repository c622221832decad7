//! A narrow RDD that passes its parent's partitions through unchanged while
//! reporting what went by to an observer: each item, and the time spent computing
//! the parent (the call that opens the partition plus every `next`). Spark's
//! accumulator-backed operator metrics play the same part.
//!
//! In: a parent RDD and an [`Observer`]. Out: the same items, in the same order.
//! The time is inclusive: it contains the work of every RDD computed in the same
//! task below this one.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::rdd::dependency::{Dependency, NarrowDependency};
use crate::rdd::error::Result;
use crate::rdd::rdd::{Data, PartitionIter, Rdd, RddBase, RddNode};
use crate::rdd::task::TaskContext;

/// Receives what an [`ObservedRdd`] sees; called from task threads.
pub trait Observer<T>: Send + Sync {
    /// One item went by, computed by `task`.
    fn item(&self, task: &TaskContext, item: &T);
    /// Time spent producing items (called several times per partition).
    fn time(&self, spent: Duration);
}

/// Partition i is the parent's partition i, observed.
pub struct ObservedRdd<T: Data> {
    id: usize,
    parent: Arc<dyn RddNode<T>>,
    observer: Arc<dyn Observer<T>>,
}

impl<T: Data> RddBase for ObservedRdd<T> {
    fn id(&self) -> usize {
        self.id
    }
    fn name(&self) -> &str {
        "Observed"
    }
    fn num_partitions(&self) -> usize {
        self.parent.num_partitions()
    }
    fn dependencies(&self) -> Vec<Dependency> {
        let parent = Arc::clone(&self.parent) as Arc<dyn RddBase>;
        vec![Dependency::Narrow(NarrowDependency::OneToOne(parent))]
    }
    fn transparent(&self) -> bool {
        true
    }
}

impl<T: Data> RddNode<T> for ObservedRdd<T> {
    fn compute(&self, partition: usize, task: &TaskContext) -> Result<PartitionIter<T>> {
        let start = Instant::now();
        let inner = self.parent.compute(partition, task);
        self.observer.time(start.elapsed());
        let observer = Arc::clone(&self.observer);
        let task = task.clone();
        let mut inner = inner?;
        Ok(Box::new(std::iter::from_fn(move || {
            let start = Instant::now();
            let next = inner.next();
            observer.time(start.elapsed());
            if let Some(Ok(item)) = &next {
                observer.item(&task, item);
            }
            next
        })))
    }
}

impl<T: Data> Rdd<T> {
    /// The same partitions, reported to `observer` as they are computed.
    pub fn observe(&self, observer: Arc<dyn Observer<T>>) -> Rdd<T> {
        let node = ObservedRdd {
            id: self.context().new_rdd_id(),
            parent: Arc::clone(self.node()),
            observer,
        };
        Rdd::from_node(Arc::clone(self.context()), Arc::new(node))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::rdd::{RddConfig, RddContext};

    #[derive(Default)]
    struct Count {
        items: AtomicUsize,
        sum: AtomicUsize,
        timings: AtomicUsize,
    }

    impl Observer<usize> for Count {
        fn item(&self, _: &TaskContext, item: &usize) {
            self.items.fetch_add(1, Ordering::Relaxed);
            self.sum.fetch_add(*item, Ordering::Relaxed);
        }
        fn time(&self, _: Duration) {
            self.timings.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[test]
    fn passes_items_through_and_reports_them() {
        let ctx = RddContext::new(RddConfig::default());
        let count = Arc::new(Count::default());
        let rdd = ctx
            .parallelize((1..=100).collect::<Vec<usize>>(), 4)
            .observe(count.clone());
        let out = rdd.collect().unwrap();
        assert_eq!(out, (1..=100).collect::<Vec<_>>());
        assert_eq!(count.items.load(Ordering::Relaxed), 100);
        assert_eq!(count.sum.load(Ordering::Relaxed), 5050);
        // One timing for opening each partition, one per `next` (items + the end).
        assert_eq!(count.timings.load(Ordering::Relaxed), 4 + 100 + 4);
    }

    #[test]
    fn lineage_shows_the_parent_in_its_place() {
        let ctx = RddContext::new(RddConfig::default());
        let parent = ctx
            .parallelize((1..=10).collect::<Vec<usize>>(), 2)
            .map(|x| x + 1);
        let observed = parent.observe(Arc::new(Count::default()));
        assert_eq!(observed.to_debug_string(), parent.to_debug_string());
    }
}
