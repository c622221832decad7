//! A narrow RDD that transforms each parent partition with a closure.
//!
//! In: a parent RDD and `f(task, items) -> items`. Out: partition i is
//! `f` applied to parent partition i, computed in the same task.

use std::sync::Arc;

use crate::rdd::cancel::checked;
use crate::rdd::dependency::{Dependency, NarrowDependency};
use crate::rdd::error::Result;
use crate::rdd::rdd::{Data, PartitionFn, PartitionIter, RddBase, RddNode};
use crate::rdd::task::TaskContext;

/// Partition i is `f(parent partition i)`.
pub struct MapPartitionsRdd<T: Data, U: Data> {
    id: usize,
    name: String,
    parent: Arc<dyn RddNode<T>>,
    f: PartitionFn<T, U>,
}

impl<T: Data, U: Data> MapPartitionsRdd<T, U> {
    /// A map over `parent`'s partitions.
    pub(crate) fn new(
        id: usize,
        name: &str,
        parent: Arc<dyn RddNode<T>>,
        f: PartitionFn<T, U>,
    ) -> Self {
        MapPartitionsRdd {
            id,
            name: name.to_string(),
            parent,
            f,
        }
    }
}

impl<T: Data, U: Data> RddBase for MapPartitionsRdd<T, U> {
    fn id(&self) -> usize {
        self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn num_partitions(&self) -> usize {
        self.parent.num_partitions()
    }
    fn dependencies(&self) -> Vec<Dependency> {
        let parent = Arc::clone(&self.parent) as Arc<dyn RddBase>;
        vec![Dependency::Narrow(NarrowDependency::OneToOne(parent))]
    }
}

impl<T: Data, U: Data> RddNode<U> for MapPartitionsRdd<T, U> {
    fn compute(&self, partition: usize, task: &TaskContext) -> Result<PartitionIter<U>> {
        let input = self.parent.compute(partition, task)?;
        Ok(checked((self.f)(task, input)?, &task.cancel))
    }
}
