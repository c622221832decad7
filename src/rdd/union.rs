//! A narrow RDD that concatenates the partitions of several parents.
//!
//! In: parents with the same item type. Out: the first parent's partitions,
//! then the second's, and so on; no data moves.

use std::sync::Arc;

use crate::rdd::dependency::{Dependency, NarrowDependency};
use crate::rdd::error::{RddError, Result};
use crate::rdd::rdd::{Data, PartitionIter, RddBase, RddNode};
use crate::rdd::task::TaskContext;

/// The partitions of all parents, in order.
pub struct UnionRdd<T: Data> {
    id: usize,
    parents: Vec<Arc<dyn RddNode<T>>>,
}

impl<T: Data> UnionRdd<T> {
    /// The union of `parents`.
    pub(crate) fn new(id: usize, parents: Vec<Arc<dyn RddNode<T>>>) -> Self {
        UnionRdd { id, parents }
    }

    /// The parent holding union partition `partition`, and its index there.
    fn locate(&self, partition: usize) -> Option<(&Arc<dyn RddNode<T>>, usize)> {
        let mut start = 0;
        for parent in &self.parents {
            let n = parent.num_partitions();
            if partition < start + n {
                return Some((parent, partition - start));
            }
            start += n;
        }
        None
    }
}

impl<T: Data> RddBase for UnionRdd<T> {
    fn id(&self) -> usize {
        self.id
    }
    fn name(&self) -> &str {
        "union"
    }
    fn num_partitions(&self) -> usize {
        self.parents.iter().map(|p| p.num_partitions()).sum()
    }
    fn dependencies(&self) -> Vec<Dependency> {
        let mut out_start = 0;
        self.parents
            .iter()
            .map(|parent| {
                let length = parent.num_partitions();
                let dep = NarrowDependency::Range {
                    rdd: Arc::clone(parent) as Arc<dyn RddBase>,
                    in_start: 0,
                    out_start,
                    length,
                };
                out_start += length;
                Dependency::Narrow(dep)
            })
            .collect()
    }
}

impl<T: Data> RddNode<T> for UnionRdd<T> {
    fn compute(&self, partition: usize, task: &TaskContext) -> Result<PartitionIter<T>> {
        let (parent, index) = self.locate(partition).ok_or_else(|| {
            RddError::internal(format!("union [{}] has no partition {partition}", self.id))
        })?;
        parent.compute(index, task)
    }
}

#[cfg(test)]
mod tests {
    use crate::rdd::{RddConfig, RddContext};

    #[test]
    fn union_concatenates_partitions() {
        let ctx = RddContext::new(RddConfig::default());
        let a = ctx.parallelize(vec![1, 2, 3], 2);
        let b = ctx.parallelize(vec![4], 1);
        let c = ctx.parallelize(vec![5, 6], 3);
        let all = a.union(&[b, c]);
        assert_eq!(all.num_partitions(), 6);
        assert_eq!(all.collect().unwrap_or_default(), vec![1, 2, 3, 4, 5, 6]);
        let per_partition = ctx
            .run_job(&all, |_, items| Ok(items.count()))
            .unwrap_or_default();
        assert_eq!(per_partition.len(), 6);
        assert_eq!(per_partition[2], 1);
    }
}
