//! The block manager: shuffle blocks (in memory) and cached partitions (in
//! the [`CacheStore`], under a memory budget, spilling to disk if allowed).
//!
//! In: whole blocks (`Vec<T>`), written once per map task or cached partition.
//! Out: shared `Arc<Vec<T>>` blocks for readers. A shuffle block is stored
//! type-erased and read back with its item type; one lock guards the map,
//! taken once per block batch, never per item. Reads made by a task go
//! through fault injection first, which may remove the block just before it
//! is read.

use std::any::Any;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use hashbrown::HashMap;

use crate::memory::{MemoryPool, MemoryReservation};
use crate::rdd::cache_store::CacheStore;
use crate::rdd::faults::FaultInjector;
use crate::rdd::metrics::Metrics;
use crate::rdd::rdd::Data;
use crate::rdd::shuffle_spill::SpilledBlock;
use crate::rdd::storage::{BlockCodec, InlineSizeCodec, StorageLevel};
use crate::rdd::task::TaskContext;

/// The name of a stored block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockId {
    /// The items map task `map` of shuffle `shuffle` sent to reduce partition `reduce`.
    Shuffle {
        /// Shuffle id.
        shuffle: usize,
        /// Map partition.
        map: usize,
        /// Reduce partition.
        reduce: usize,
    },
    /// A cached partition of an RDD.
    Rdd {
        /// RDD id.
        rdd: usize,
        /// Partition.
        partition: usize,
    },
}

type Block = Arc<dyn Any + Send + Sync>;

/// A shuffle block as a reduce task reads it.
pub enum ShuffleData<T> {
    /// Every item in memory.
    Memory(Arc<Vec<T>>),
    /// Runs on disk, then items in memory.
    Spilled(Arc<SpilledBlock<T>>),
}

/// Store of blocks, shared by all jobs of a context.
pub struct BlockManager {
    blocks: RwLock<HashMap<BlockId, Block>>,
    /// The pool's bytes held by each (shuffle, map) output kept in memory.
    shuffle_memory: Mutex<HashMap<(usize, usize), MemoryReservation>>,
    cache: Arc<CacheStore>,
    metrics: Arc<Metrics>,
    faults: Arc<FaultInjector>,
}

impl std::fmt::Debug for BlockManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "BlockManager({} shuffle blocks, {:?})",
            self.read().len(),
            self.cache
        )
    }
}

impl Default for BlockManager {
    fn default() -> Self {
        Self::new()
    }
}

impl BlockManager {
    /// An empty block manager with an unbounded cache, no fault injection and
    /// counters of its own.
    pub fn new() -> Self {
        Self::with_parts(
            usize::MAX,
            std::env::temp_dir().join(format!("ember-{}", std::process::id())),
            Arc::new(Metrics::default()),
            Arc::new(FaultInjector::default()),
            &MemoryPool::unbounded(),
        )
    }

    /// A block manager keeping at most `cache_budget` bytes of cached blocks
    /// in memory (reserved from `pool`, which may have them evicted) and spilling
    /// to `spill_dir`, counting into `metrics` and losing blocks as `faults` says.
    pub fn with_parts(
        cache_budget: usize,
        spill_dir: PathBuf,
        metrics: Arc<Metrics>,
        faults: Arc<FaultInjector>,
        pool: &Arc<MemoryPool>,
    ) -> Self {
        BlockManager {
            blocks: RwLock::new(HashMap::new()),
            shuffle_memory: Mutex::new(HashMap::new()),
            cache: CacheStore::new(cache_budget, spill_dir, Arc::clone(&metrics), pool),
            metrics,
            faults,
        }
    }

    /// The counters this block manager updates.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// The cached partitions.
    pub fn cache(&self) -> &CacheStore {
        &self.cache
    }

    /// Whether fault injection removes block `id` now, before `task` reads it.
    fn injected_loss(&self, id: BlockId, task: &TaskContext) -> bool {
        // Only a block that exists can be lost (and count toward the cap).
        if self.faults.config().block_loss_rate <= 0.0
            || !self.contains(id)
            || !self.faults.should_lose_block(id, task)
        {
            return false;
        }
        let removed = match id {
            BlockId::Shuffle { .. } => self.write().remove(&id).is_some(),
            BlockId::Rdd { rdd, partition } => self.cache.remove(rdd, partition),
        };
        if removed {
            self.metrics.injected_losses(1);
        }
        removed
    }

    // A panic while holding the lock cannot leave the map half-updated (each
    // update is one insert or remove), so a poisoned lock is still usable.
    fn read(&self) -> RwLockReadGuard<'_, HashMap<BlockId, Block>> {
        self.blocks.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, HashMap<BlockId, Block>> {
        self.blocks.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores a map task's output: `buckets[r]` becomes block (shuffle, map, r).
    pub fn put_shuffle_output<T: Data>(&self, shuffle: usize, map: usize, buckets: Vec<Vec<T>>) {
        self.put_map_output(
            shuffle,
            map,
            buckets.into_iter().map(|b| Arc::new(b) as Block),
        );
    }

    /// Stores block (shuffle, map, r) for each `blocks[r]`.
    fn put_map_output(&self, shuffle: usize, map: usize, blocks: impl Iterator<Item = Block>) {
        let blocks: Vec<(BlockId, Block)> = blocks
            .enumerate()
            .map(|(reduce, block)| {
                let id = BlockId::Shuffle {
                    shuffle,
                    map,
                    reduce,
                };
                (id, block)
            })
            .collect();
        self.metrics.shuffle_written(blocks.len());
        self.write().extend(blocks);
    }

    /// Stores a map task's output written under the memory limit: `blocks[r]`
    /// becomes block (shuffle, map, r); `reservation` (what stayed in memory) is
    /// held until the shuffle is dropped or the output replaced.
    pub fn put_spilled_shuffle_output<T: Data>(
        &self,
        shuffle: usize,
        map: usize,
        blocks: Vec<SpilledBlock<T>>,
        reservation: MemoryReservation,
    ) {
        self.put_map_output(
            shuffle,
            map,
            blocks.into_iter().map(|b| Arc::new(b) as Block),
        );
        self.shuffle_memory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert((shuffle, map), reservation);
    }

    /// Block (shuffle, map, reduce) as read by `task`, in memory or with runs on
    /// disk; fault injection may remove it just before, so it reads as missing.
    pub fn read_shuffle_data<T: Data>(
        &self,
        shuffle: usize,
        map: usize,
        reduce: usize,
        task: &TaskContext,
    ) -> Option<ShuffleData<T>> {
        let id = BlockId::Shuffle {
            shuffle,
            map,
            reduce,
        };
        if self.injected_loss(id, task) {
            return None;
        }
        let block = Arc::clone(self.read().get(&id)?);
        match block.downcast::<Vec<T>>() {
            Ok(items) => Some(ShuffleData::Memory(items)),
            Err(block) => block
                .downcast::<SpilledBlock<T>>()
                .ok()
                .map(ShuffleData::Spilled),
        }
    }

    /// Block (shuffle, map, reduce), if present and holding items of type `T`.
    pub fn get_shuffle_block<T: Data>(
        &self,
        shuffle: usize,
        map: usize,
        reduce: usize,
    ) -> Option<Arc<Vec<T>>> {
        self.get(BlockId::Shuffle {
            shuffle,
            map,
            reduce,
        })
    }

    /// The map partitions of a shuffle with at least one reduce block missing.
    pub fn missing_map_outputs(
        &self,
        shuffle: usize,
        num_maps: usize,
        num_reduces: usize,
    ) -> Vec<usize> {
        let blocks = self.read();
        (0..num_maps)
            .filter(|&map| {
                (0..num_reduces).any(|reduce| {
                    !blocks.contains_key(&BlockId::Shuffle {
                        shuffle,
                        map,
                        reduce,
                    })
                })
            })
            .collect()
    }

    /// Drops every block of a shuffle.
    pub fn remove_shuffle(&self, shuffle: usize) {
        self.faults.forget_shuffle(shuffle);
        self.write()
            .retain(|id, _| !matches!(id, BlockId::Shuffle { shuffle: s, .. } if *s == shuffle));
        self.shuffle_memory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|(s, _), _| *s != shuffle);
    }

    /// Stores a cached partition in memory, sized by [`InlineSizeCodec`];
    /// returns whether it was kept.
    pub fn put_rdd_block<T: Data>(&self, rdd: usize, partition: usize, items: Arc<Vec<T>>) -> bool {
        let codec: Arc<dyn BlockCodec<T>> = Arc::new(InlineSizeCodec::new());
        self.cache
            .put(rdd, partition, items, &codec, StorageLevel::MemoryOnly)
    }

    /// Stores a cached partition at `level`, sized (and spilled) by `codec`;
    /// returns whether it was kept.
    pub fn put_cached<T: Data>(
        &self,
        rdd: usize,
        partition: usize,
        items: Arc<Vec<T>>,
        codec: &Arc<dyn BlockCodec<T>>,
        level: StorageLevel,
    ) -> bool {
        self.cache.put(rdd, partition, items, codec, level)
    }

    /// A cached partition, if present in memory.
    pub fn get_rdd_block<T: Data>(&self, rdd: usize, partition: usize) -> Option<Arc<Vec<T>>> {
        self.cache.get(rdd, partition, &InlineSizeCodec::new())
    }

    /// A cached partition as read by `task`, from memory or decoded from disk
    /// with `codec`; fault injection may remove it just before.
    pub fn read_cached<T: Data>(
        &self,
        rdd: usize,
        partition: usize,
        codec: &dyn BlockCodec<T>,
        task: &TaskContext,
    ) -> Option<Arc<Vec<T>>> {
        if self.injected_loss(BlockId::Rdd { rdd, partition }, task) {
            return None;
        }
        self.cache.get(rdd, partition, codec)
    }

    /// Drops every cached partition of an RDD.
    pub fn remove_rdd(&self, rdd: usize) {
        self.faults.forget_rdd(rdd);
        self.cache.remove_rdd(rdd);
    }

    /// Drops one block (as if it were lost); true if it was present.
    pub fn remove_block(&self, id: BlockId) -> bool {
        match id {
            BlockId::Shuffle { .. } => self.write().remove(&id).is_some(),
            BlockId::Rdd { rdd, partition } => self.cache.remove(rdd, partition),
        }
    }

    /// Whether a block is present.
    pub fn contains(&self, id: BlockId) -> bool {
        match id {
            BlockId::Shuffle { .. } => self.read().contains_key(&id),
            BlockId::Rdd { rdd, partition } => self.cache.contains(rdd, partition),
        }
    }

    /// Number of blocks held (shuffle and cached).
    pub fn len(&self) -> usize {
        self.read().len() + self.cache.len()
    }

    /// Whether no block is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn get<T: Data>(&self, id: BlockId) -> Option<Arc<Vec<T>>> {
        let block = Arc::clone(self.read().get(&id)?);
        block.downcast::<Vec<T>>().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shuffle_blocks_round_trip_and_go_missing() {
        let bm = BlockManager::new();
        bm.put_shuffle_output(7, 0, vec![vec![1, 2], vec![], vec![3]]);
        bm.put_shuffle_output(7, 1, vec![vec![4], vec![5], vec![6]]);
        assert_eq!(bm.len(), 6);
        assert_eq!(
            bm.get_shuffle_block::<i32>(7, 0, 0).as_deref(),
            Some(&vec![1, 2])
        );
        assert_eq!(
            bm.get_shuffle_block::<i32>(7, 0, 1).as_deref(),
            Some(&vec![])
        );
        // Wrong item type reads as absent rather than panicking.
        assert!(bm.get_shuffle_block::<String>(7, 0, 0).is_none());
        assert!(bm.missing_map_outputs(7, 2, 3).is_empty());
        assert_eq!(bm.missing_map_outputs(7, 3, 3), vec![2]);
        let lost = BlockId::Shuffle {
            shuffle: 7,
            map: 1,
            reduce: 2,
        };
        assert!(bm.remove_block(lost));
        assert!(!bm.contains(lost));
        assert_eq!(bm.missing_map_outputs(7, 2, 3), vec![1]);
        bm.remove_shuffle(7);
        assert!(bm.is_empty());
    }

    #[test]
    fn rdd_blocks_are_kept_apart_from_shuffle_blocks() {
        let bm = BlockManager::new();
        bm.put_rdd_block(3, 0, Arc::new(vec!["a".to_string()]));
        bm.put_shuffle_output(3, 0, vec![vec![1u8]]);
        bm.remove_shuffle(3);
        assert_eq!(
            bm.get_rdd_block::<String>(3, 0).as_deref(),
            Some(&vec!["a".to_string()])
        );
        bm.remove_rdd(3);
        assert!(bm.is_empty());
    }
}
