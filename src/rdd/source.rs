//! A leaf RDD whose partitions come from a closure (a table scan, a generator).
//!
//! In: a name, a partition count and `compute(partition, task)`.
//! Out: whatever the closure yields for each partition.

use std::sync::Arc;

use crate::rdd::cancel::checked;
use crate::rdd::dependency::Dependency;
use crate::rdd::error::{RddError, Result};
use crate::rdd::rdd::{Data, PartitionIter, RddBase, RddNode};
use crate::rdd::task::TaskContext;

/// The closure behind a [`SourceRdd`].
pub type SourceFn<T> = Arc<dyn Fn(usize, &TaskContext) -> Result<PartitionIter<T>> + Send + Sync>;

/// A leaf RDD computed by a closure.
pub struct SourceRdd<T: Data> {
    id: usize,
    name: String,
    num_partitions: usize,
    compute: SourceFn<T>,
}

impl<T: Data> SourceRdd<T> {
    /// A source of `num_partitions` partitions.
    pub fn new(id: usize, name: &str, num_partitions: usize, compute: SourceFn<T>) -> Self {
        SourceRdd {
            id,
            name: name.to_string(),
            num_partitions,
            compute,
        }
    }
}

impl<T: Data> RddBase for SourceRdd<T> {
    fn id(&self) -> usize {
        self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn num_partitions(&self) -> usize {
        self.num_partitions
    }
    fn dependencies(&self) -> Vec<Dependency> {
        Vec::new()
    }
}

impl<T: Data> RddNode<T> for SourceRdd<T> {
    fn compute(&self, partition: usize, task: &TaskContext) -> Result<PartitionIter<T>> {
        if partition >= self.num_partitions {
            return Err(RddError::internal(format!(
                "{} [{}] has no partition {partition}",
                self.name, self.id
            )));
        }
        Ok(checked((self.compute)(partition, task)?, &task.cancel))
    }
}
