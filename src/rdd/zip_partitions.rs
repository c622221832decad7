//! A narrow RDD that combines partition i of two parents with a closure.
//!
//! In: two parents with the same partition count and `f(task, left, right)`.
//! Out: partition i is `f(left partition i, right partition i)`.

use std::sync::Arc;

use crate::rdd::cancel::checked;
use crate::rdd::dependency::{Dependency, NarrowDependency};
use crate::rdd::error::Result;
use crate::rdd::rdd::{Data, PartitionIter, RddBase, RddNode};
use crate::rdd::task::TaskContext;

/// The closure behind a [`ZipPartitionsRdd`].
pub type ZipFn<T, U, V> = Arc<
    dyn Fn(&TaskContext, PartitionIter<T>, PartitionIter<U>) -> Result<PartitionIter<V>>
        + Send
        + Sync,
>;

/// Partition i is `f(left i, right i)`.
pub struct ZipPartitionsRdd<T: Data, U: Data, V: Data> {
    id: usize,
    name: String,
    left: Arc<dyn RddNode<T>>,
    right: Arc<dyn RddNode<U>>,
    f: ZipFn<T, U, V>,
}

impl<T: Data, U: Data, V: Data> ZipPartitionsRdd<T, U, V> {
    /// Zips `left` and `right`; the caller checked their partition counts match.
    pub(crate) fn new(
        id: usize,
        name: &str,
        left: Arc<dyn RddNode<T>>,
        right: Arc<dyn RddNode<U>>,
        f: ZipFn<T, U, V>,
    ) -> Self {
        ZipPartitionsRdd {
            id,
            name: name.to_string(),
            left,
            right,
            f,
        }
    }
}

impl<T: Data, U: Data, V: Data> RddBase for ZipPartitionsRdd<T, U, V> {
    fn id(&self) -> usize {
        self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn num_partitions(&self) -> usize {
        self.left.num_partitions()
    }
    fn dependencies(&self) -> Vec<Dependency> {
        vec![
            Dependency::Narrow(NarrowDependency::OneToOne(
                Arc::clone(&self.left) as Arc<dyn RddBase>
            )),
            Dependency::Narrow(NarrowDependency::OneToOne(
                Arc::clone(&self.right) as Arc<dyn RddBase>
            )),
        ]
    }
}

impl<T: Data, U: Data, V: Data> RddNode<V> for ZipPartitionsRdd<T, U, V> {
    fn compute(&self, partition: usize, task: &TaskContext) -> Result<PartitionIter<V>> {
        let left = self.left.compute(partition, task)?;
        let right = self.right.compute(partition, task)?;
        Ok(checked((self.f)(task, left, right)?, &task.cancel))
    }
}

#[cfg(test)]
mod tests {
    use crate::rdd::error::Result;
    use crate::rdd::{PartitionIter, RddConfig, RddContext};

    #[test]
    fn zips_partition_by_partition() {
        let ctx = RddContext::new(RddConfig::default());
        let nums = ctx.parallelize(vec![1, 2, 3, 4], 2);
        let names = ctx.parallelize(vec!["a", "b", "c", "d"], 2);
        let zipped = nums
            .zip_partitions(&names, "zip", |_, left, right| {
                let pairs = left
                    .zip(right)
                    .map(|(l, r)| Ok::<_, crate::rdd::error::RddError>((l?, r?)))
                    .collect::<Result<Vec<_>>>()?;
                Ok(Box::new(pairs.into_iter().map(Ok)) as PartitionIter<(i32, &str)>)
            })
            .and_then(|rdd| rdd.collect())
            .unwrap_or_default();
        assert_eq!(zipped, vec![(1, "a"), (2, "b"), (3, "c"), (4, "d")]);
    }

    #[test]
    fn different_partition_counts_are_an_error() {
        let ctx = RddContext::new(RddConfig::default());
        let a = ctx.parallelize(vec![1], 2);
        let b = ctx.parallelize(vec![1], 3);
        let out = a.zip_partitions(&b, "zip", |_, l, _| Ok(l));
        let message = out.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("has 2 partitions but"), "{message}");
    }
}
