//! A narrow RDD that keeps each partition in the block manager once computed
//! (Spark's `persist`).
//!
//! In: a parent RDD, a [`StorageLevel`] and a [`BlockCodec`]. Out: the
//! parent's partitions, read from the cache while their blocks exist. A block
//! that was evicted or lost is recomputed from lineage inside the task that
//! needs it (counted in `recomputed_partitions`) and stored again.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use hashbrown::HashSet;

use crate::rdd::block_manager::{BlockId, BlockManager};
use crate::rdd::dependency::{Dependency, NarrowDependency};
use crate::rdd::error::Result;
use crate::rdd::parallel_collection::SliceIter;
use crate::rdd::rdd::{Data, PartitionIter, RddBase, RddNode};
use crate::rdd::storage::{BlockCodec, StorageLevel};
use crate::rdd::task::TaskContext;

/// The parent's partitions, persisted. Its blocks are dropped with it.
pub struct CachedRdd<T: Data> {
    id: usize,
    name: String,
    parent: Arc<dyn RddNode<T>>,
    level: StorageLevel,
    codec: Arc<dyn BlockCodec<T>>,
    block_manager: Arc<BlockManager>,
    /// False after `unpersist`: partitions are then computed straight through.
    active: AtomicBool,
    /// Partitions stored at least once, to tell a recomputation from a first computation.
    stored: Mutex<HashSet<usize>>,
}

impl<T: Data> CachedRdd<T> {
    /// Persists `parent`'s partitions at `level`, sized and spilled by `codec`.
    pub(crate) fn new(
        id: usize,
        parent: Arc<dyn RddNode<T>>,
        level: StorageLevel,
        codec: Arc<dyn BlockCodec<T>>,
        block_manager: Arc<BlockManager>,
    ) -> Self {
        CachedRdd {
            id,
            name: format!("persist {level}"),
            parent,
            level,
            codec,
            block_manager,
            active: AtomicBool::new(true),
            stored: Mutex::new(HashSet::new()),
        }
    }

    fn stored(&self) -> std::sync::MutexGuard<'_, HashSet<usize>> {
        // Only inserts and clears happen under this lock; a poisoned set is valid.
        self.stored.lock().unwrap_or_else(|e| e.into_inner())
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
        &self.name
    }
    fn num_partitions(&self) -> usize {
        self.parent.num_partitions()
    }
    fn dependencies(&self) -> Vec<Dependency> {
        let parent = Arc::clone(&self.parent) as Arc<dyn RddBase>;
        vec![Dependency::Narrow(NarrowDependency::OneToOne(parent))]
    }
    fn storage_level(&self) -> Option<StorageLevel> {
        self.active.load(Ordering::Acquire).then_some(self.level)
    }
    fn is_fully_cached(&self) -> bool {
        self.active.load(Ordering::Acquire)
            && (0..self.num_partitions()).all(|p| {
                self.block_manager.contains(BlockId::Rdd {
                    rdd: self.id,
                    partition: p,
                })
            })
    }
    fn unpersist(&self) {
        self.active.store(false, Ordering::Release);
        self.block_manager.remove_rdd(self.id);
        self.stored().clear();
    }
}

impl<T: Data> RddNode<T> for CachedRdd<T> {
    fn compute(&self, partition: usize, task: &TaskContext) -> Result<PartitionIter<T>> {
        if !self.active.load(Ordering::Acquire) {
            return self.parent.compute(partition, task);
        }
        let cached =
            self.block_manager
                .read_cached::<T>(self.id, partition, self.codec.as_ref(), task);
        let slice = match cached {
            Some(block) => block,
            None => {
                let items = self
                    .parent
                    .compute(partition, task)?
                    .collect::<Result<Vec<T>>>()?;
                let block = Arc::new(items);
                if self.stored().contains(&partition) {
                    self.block_manager.metrics().recomputed(1);
                }
                let kept = self.block_manager.put_cached(
                    self.id,
                    partition,
                    Arc::clone(&block),
                    &self.codec,
                    self.level,
                );
                // An unpersist racing with this task must not leave a block behind.
                if !self.active.load(Ordering::Acquire) {
                    self.block_manager.remove_rdd(self.id);
                } else if kept {
                    self.stored().insert(partition);
                }
                block
            }
        };
        Ok(Box::new(SliceIter { slice, pos: 0 }))
    }
}
