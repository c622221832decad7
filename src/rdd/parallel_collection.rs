//! A leaf RDD over an in-memory vector, split into contiguous slices.
//!
//! In: the driver's items and a partition count. Out: slice i as partition i.

use std::sync::Arc;

use crate::rdd::dependency::Dependency;
use crate::rdd::error::{RddError, Result};
use crate::rdd::rdd::{Data, PartitionIter, RddBase, RddNode};
use crate::rdd::task::TaskContext;

/// Items held by the driver, one slice per partition.
pub struct ParallelCollectionRdd<T: Data> {
    id: usize,
    slices: Vec<Arc<Vec<T>>>,
}

impl<T: Data> ParallelCollectionRdd<T> {
    /// Splits `data` into `partitions` (at least 1) slices of near-equal size.
    pub fn new(id: usize, data: Vec<T>, partitions: usize) -> Self {
        let partitions = partitions.max(1);
        let len = data.len();
        let mut slices = Vec::with_capacity(partitions);
        let mut rest = data.into_iter();
        for i in 0..partitions {
            let start = i * len / partitions;
            let end = (i + 1) * len / partitions;
            slices.push(Arc::new(rest.by_ref().take(end - start).collect()));
        }
        ParallelCollectionRdd { id, slices }
    }
}

impl<T: Data> RddBase for ParallelCollectionRdd<T> {
    fn id(&self) -> usize {
        self.id
    }
    fn name(&self) -> &str {
        "parallelize"
    }
    fn num_partitions(&self) -> usize {
        self.slices.len()
    }
    fn dependencies(&self) -> Vec<Dependency> {
        Vec::new()
    }
}

impl<T: Data> RddNode<T> for ParallelCollectionRdd<T> {
    fn compute(&self, partition: usize, _task: &TaskContext) -> Result<PartitionIter<T>> {
        let slice = self.slices.get(partition).ok_or_else(|| {
            RddError::internal(format!(
                "parallelize [{}] has no partition {partition}",
                self.id
            ))
        })?;
        Ok(Box::new(SliceIter {
            slice: Arc::clone(slice),
            pos: 0,
        }))
    }
}

/// Clones the items of a shared slice one by one.
pub(crate) struct SliceIter<T> {
    pub(crate) slice: Arc<Vec<T>>,
    pub(crate) pos: usize,
}

impl<T: Data> Iterator for SliceIter<T> {
    type Item = Result<T>;
    fn next(&mut self) -> Option<Result<T>> {
        let item = self.slice.get(self.pos)?.clone();
        self.pos += 1;
        Some(Ok(item))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.slice.len().saturating_sub(self.pos);
        (n, Some(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partition(rdd: &ParallelCollectionRdd<i32>, p: usize) -> Vec<i32> {
        let task = TaskContext::new(0, 0, p, 0, 1);
        rdd.compute(p, &task)
            .and_then(|it| it.collect::<Result<Vec<_>>>())
            .unwrap_or_default()
    }

    #[test]
    fn slices_are_contiguous_and_cover_everything() {
        let rdd = ParallelCollectionRdd::new(0, (0..10).collect(), 3);
        assert_eq!(rdd.num_partitions(), 3);
        assert_eq!(partition(&rdd, 0), vec![0, 1, 2]);
        assert_eq!(partition(&rdd, 1), vec![3, 4, 5]);
        assert_eq!(partition(&rdd, 2), vec![6, 7, 8, 9]);
        let task = TaskContext::new(0, 0, 3, 0, 1);
        assert!(rdd.compute(3, &task).is_err());
    }

    #[test]
    fn more_partitions_than_items_gives_empty_slices() {
        let rdd = ParallelCollectionRdd::new(0, vec![1, 2], 4);
        let sizes: Vec<usize> = (0..4).map(|p| partition(&rdd, p).len()).collect();
        assert_eq!(sizes.iter().sum::<usize>(), 2);
        assert_eq!(
            ParallelCollectionRdd::<i32>::new(0, vec![], 0).num_partitions(),
            1
        );
    }
}
