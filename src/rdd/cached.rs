//! A narrow RDD that keeps each partition in the block manager once computed.
//!
//! In: a parent RDD. Out: the parent's partitions, computed at most once while
//! their blocks exist (a lost block is simply recomputed from lineage).

use std::sync::Arc;

use crate::error::Result;
use crate::rdd::block_manager::BlockManager;
use crate::rdd::dependency::{Dependency, NarrowDependency};
use crate::rdd::parallel_collection::SliceIter;
use crate::rdd::rdd::{Data, PartitionIter, RddBase, RddNode};
use crate::rdd::task::TaskContext;

/// The parent's partitions, cached. Its blocks are dropped with it.
pub struct CachedRdd<T: Data> {
    id: usize,
    parent: Arc<dyn RddNode<T>>,
    block_manager: Arc<BlockManager>,
}

impl<T: Data> CachedRdd<T> {
    /// Caches `parent`'s partitions.
    pub(crate) fn new(
        id: usize,
        parent: Arc<dyn RddNode<T>>,
        block_manager: Arc<BlockManager>,
    ) -> Self {
        CachedRdd {
            id,
            parent,
            block_manager,
        }
    }
}

impl<T: Data> Drop for CachedRdd<T> {
    fn drop(&mut self) {
        self.block_manager.remove_rdd(self.id);
    }
}

impl<T: Data> RddBase for CachedRdd<T> {
    fn id(&self) -> usize {
        self.id
    }
    fn name(&self) -> &str {
        "cache"
    }
    fn num_partitions(&self) -> usize {
        self.parent.num_partitions()
    }
    fn dependencies(&self) -> Vec<Dependency> {
        let parent = Arc::clone(&self.parent) as Arc<dyn RddBase>;
        vec![Dependency::Narrow(NarrowDependency::OneToOne(parent))]
    }
}

impl<T: Data> RddNode<T> for CachedRdd<T> {
    fn compute(&self, partition: usize, task: &TaskContext) -> Result<PartitionIter<T>> {
        let slice = match self.block_manager.get_rdd_block::<T>(self.id, partition) {
            Some(block) => block,
            None => {
                let items = self
                    .parent
                    .compute(partition, task)?
                    .collect::<Result<Vec<T>>>()?;
                let block = Arc::new(items);
                self.block_manager
                    .put_rdd_block(self.id, partition, Arc::clone(&block));
                block
            }
        };
        Ok(Box::new(SliceIter { slice, pos: 0 }))
    }
}
