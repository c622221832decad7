//! The store of cached partitions: a memory budget with least-recently-used
//! eviction, and a spill directory for `MemoryAndDisk` blocks.
//!
//! The blocks held in memory are an evictable consumer of the executor's
//! [`MemoryPool`]: the store keeps only what the pool has free (and at most its own
//! budget), and when a query's operator finds the pool full the pool asks the store
//! ([`Reclaim`]) to evict least-recently-used blocks — spilled to disk if they may
//! be, otherwise dropped and recomputed from lineage when next read.
//!
//! In: whole partitions (`Arc<Vec<T>>`) with their size and, for spillable
//! blocks, the codec that writes them. Out: the partitions again, from memory
//! or decoded from disk; `None` when a block was evicted, lost or never
//! stored, which the caller answers by recomputing it from lineage.
//!
//! Blocks are stored type-erased; each keeps a closure (made at `put`, where
//! the item type is known) that writes it to disk. Eviction and spilling run
//! under the store's write lock, so the budget holds at every moment; reading
//! a spilled block decodes it outside the lock. A block larger than the whole
//! budget is not kept in memory: spilled straight away if it may be,
//! otherwise not cached at all.

use std::any::Any;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use hashbrown::HashMap;

use crate::memory::{ConsumerKind, MemoryPool, MemoryReservation, Reclaim};
use crate::rdd::error::{RddError, Result};
use crate::rdd::metrics::Metrics;
use crate::rdd::rdd::Data;
use crate::rdd::storage::{BlockCodec, StorageLevel};

type Block = Arc<dyn Any + Send + Sync>;

/// Numbers the stores of this process, so stores sharing a spill directory
/// (several contexts, the default directory) never share a file name.
static NEXT_STORE: AtomicUsize = AtomicUsize::new(0);

/// Writes a type-erased block with the codec it was stored with.
type SpillFn = Arc<dyn Fn(&Block, &mut dyn Write) -> Result<()> + Send + Sync>;

enum Stored {
    Memory(Block),
    Disk(PathBuf),
}

struct Entry {
    stored: Stored,
    size: usize,
    last_used: AtomicU64,
    /// Set for blocks that may go to disk when evicted.
    spill: Option<SpillFn>,
}

struct State {
    entries: HashMap<(usize, usize), Entry>,
    /// The pool's bytes for the blocks held in memory.
    memory: MemoryReservation,
}

impl State {
    fn memory_used(&self) -> usize {
        usize::try_from(self.memory.size()).unwrap_or(usize::MAX)
    }

    fn release(&mut self, size: usize) {
        self.memory.shrink(size as u64);
    }
}

/// Cached partitions of all persisted RDDs of a context, keyed by (rdd, partition).
pub struct CacheStore {
    store_id: usize,
    budget: usize,
    spill_dir: PathBuf,
    state: RwLock<State>,
    clock: AtomicU64,
    next_file: AtomicUsize,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for CacheStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.read();
        write!(
            f,
            "CacheStore({} blocks, {} of {} bytes in memory, spill dir {})",
            state.entries.len(),
            state.memory_used(),
            self.budget,
            self.spill_dir.display()
        )
    }
}

impl CacheStore {
    /// A store keeping at most `budget` bytes in memory, reserved from `pool` (which
    /// may ask for them back), and spilling to `spill_dir`.
    pub fn new(
        budget: usize,
        spill_dir: PathBuf,
        metrics: Arc<Metrics>,
        pool: &Arc<MemoryPool>,
    ) -> Arc<Self> {
        let store = Arc::new(CacheStore {
            store_id: NEXT_STORE.fetch_add(1, Ordering::Relaxed),
            budget,
            spill_dir,
            state: RwLock::new(State {
                entries: HashMap::new(),
                memory: pool.reserve_as("cached blocks", ConsumerKind::Evictable),
            }),
            clock: AtomicU64::new(0),
            next_file: AtomicUsize::new(0),
            metrics,
        });
        let weak = Arc::downgrade(&store);
        pool.add_reclaimer(weak as std::sync::Weak<dyn Reclaim>);
        store
    }

    // Every update of the state completes before the lock is released except
    // for I/O, which never leaves an entry half-made; a poisoned lock is usable.
    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::Relaxed)
    }

    /// Stores partition `partition` of RDD `rdd`, evicting least-recently-used
    /// blocks as needed. Returns whether the block was kept (in memory or on
    /// disk); a block that cannot be kept is simply recomputed when needed.
    pub fn put<T: Data>(
        &self,
        rdd: usize,
        partition: usize,
        items: Arc<Vec<T>>,
        codec: &Arc<dyn BlockCodec<T>>,
        level: StorageLevel,
    ) -> bool {
        let size = codec.size_of(&items);
        let spill: Option<SpillFn> = (level == StorageLevel::MemoryAndDisk && codec.can_spill())
            .then(|| {
                let codec = Arc::clone(codec);
                Arc::new(move |block: &Block, w: &mut dyn Write| {
                    let items = block.downcast_ref::<Vec<T>>().ok_or_else(|| {
                        RddError::internal("cached block has an unexpected item type")
                    })?;
                    codec.encode(items, w)
                }) as SpillFn
            });
        let block = items as Block;
        let mut state = self.write();
        if let Some(old) = state.entries.remove(&(rdd, partition)) {
            self.discard(&mut state, old);
        }
        let in_memory = size <= self.budget && {
            while state.memory_used() + size > self.budget && self.evict_one(&mut state) {}
            // The pool may have less free than the budget: older blocks make way.
            loop {
                if state.memory.try_grow(size as u64).is_ok() {
                    break true;
                }
                if !self.evict_one(&mut state) {
                    break false;
                }
            }
        };
        let stored = if in_memory {
            Stored::Memory(block)
        } else {
            match &spill {
                Some(write) => match self.write_file(rdd, partition, &block, write) {
                    Ok(path) => Stored::Disk(path),
                    Err(_) => return false,
                },
                None => return false,
            }
        };
        let entry = Entry {
            stored,
            size,
            last_used: AtomicU64::new(self.tick()),
            spill,
        };
        state.entries.insert((rdd, partition), entry);
        self.metrics.cached_written(1);
        true
    }

    /// Evicts the least-recently-used block held in memory (to disk if it may go
    /// there); false when no block is in memory.
    fn evict_one(&self, state: &mut State) -> bool {
        let victim = state
            .entries
            .iter()
            .filter(|(_, e)| matches!(e.stored, Stored::Memory(_)))
            .min_by_key(|(_, e)| e.last_used.load(Ordering::Relaxed))
            .map(|(key, _)| *key);
        let Some(key) = victim else { return false };
        let Some(mut entry) = state.entries.remove(&key) else {
            return false;
        };
        state.release(entry.size);
        self.metrics.evicted(1);
        let spilled = match (&entry.stored, &entry.spill) {
            (Stored::Memory(block), Some(write)) => {
                self.write_file(key.0, key.1, block, write).ok()
            }
            _ => None,
        };
        // A block that could not be spilled is dropped: it will be recomputed.
        if let Some(path) = spilled {
            entry.stored = Stored::Disk(path);
            state.entries.insert(key, entry);
        }
        true
    }

    fn write_file(
        &self,
        rdd: usize,
        partition: usize,
        block: &Block,
        write: &SpillFn,
    ) -> Result<PathBuf> {
        std::fs::create_dir_all(&self.spill_dir).map_err(|e| RddError::io(&self.spill_dir, e))?;
        let n = self.next_file.fetch_add(1, Ordering::Relaxed);
        let path = self.spill_dir.join(format!(
            "store{}-rdd{rdd}-part{partition}-{n}.block",
            self.store_id
        ));
        let written = std::fs::File::create(&path)
            .map_err(|e| RddError::io(&path, e))
            .and_then(|file| {
                let mut out = BufWriter::new(file);
                write(block, &mut out)?;
                out.flush().map_err(|e| RddError::io(&path, e))
            });
        match written {
            Ok(()) => {
                self.metrics.spilled(1);
                Ok(path)
            }
            Err(error) => {
                remove_file(&path);
                Err(error)
            }
        }
    }

    /// Partition `partition` of RDD `rdd`, from memory or decoded from disk.
    /// A block that cannot be decoded is dropped and reads as absent.
    pub fn get<T: Data>(
        &self,
        rdd: usize,
        partition: usize,
        codec: &dyn BlockCodec<T>,
    ) -> Option<Arc<Vec<T>>> {
        let path = {
            let state = self.read();
            let entry = state.entries.get(&(rdd, partition))?;
            entry.last_used.store(self.tick(), Ordering::Relaxed);
            match &entry.stored {
                Stored::Memory(block) => {
                    let items = Arc::clone(block).downcast::<Vec<T>>().ok()?;
                    self.metrics.cached_read(1);
                    return Some(items);
                }
                Stored::Disk(path) => path.clone(),
            }
        };
        let decoded = std::fs::File::open(&path)
            .map_err(|e| RddError::io(&path, e))
            .and_then(|file| codec.decode(&mut BufReader::new(file)));
        match decoded {
            Ok(items) => {
                self.metrics.cached_read(1);
                self.metrics.disk_read(1);
                Some(Arc::new(items))
            }
            Err(_) => {
                self.remove(rdd, partition);
                None
            }
        }
    }

    /// Drops one block (memory or disk); true if it was present.
    pub fn remove(&self, rdd: usize, partition: usize) -> bool {
        let mut state = self.write();
        match state.entries.remove(&(rdd, partition)) {
            Some(entry) => {
                self.discard(&mut state, entry);
                true
            }
            None => false,
        }
    }

    /// Drops every block of an RDD.
    pub fn remove_rdd(&self, rdd: usize) {
        let mut state = self.write();
        let keys: Vec<(usize, usize)> = state
            .entries
            .keys()
            .filter(|(r, _)| *r == rdd)
            .copied()
            .collect();
        for key in keys {
            if let Some(entry) = state.entries.remove(&key) {
                self.discard(&mut state, entry);
            }
        }
    }

    fn discard(&self, state: &mut State, entry: Entry) {
        match entry.stored {
            Stored::Memory(_) => state.release(entry.size),
            Stored::Disk(path) => remove_file(&path),
        }
    }

    /// Whether a block is held (in memory or on disk).
    pub fn contains(&self, rdd: usize, partition: usize) -> bool {
        self.read().entries.contains_key(&(rdd, partition))
    }

    /// Whether a block is held on disk.
    pub fn is_on_disk(&self, rdd: usize, partition: usize) -> bool {
        self.read()
            .entries
            .get(&(rdd, partition))
            .is_some_and(|e| matches!(e.stored, Stored::Disk(_)))
    }

    /// Number of blocks held (in memory or on disk).
    pub fn len(&self) -> usize {
        self.read().entries.len()
    }

    /// Whether no block is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of cached blocks held in memory.
    pub fn memory_used(&self) -> usize {
        self.read().memory_used()
    }

    /// The memory budget in bytes.
    pub fn budget(&self) -> usize {
        self.budget
    }
}

impl Reclaim for CacheStore {
    fn reclaim(&self, bytes: u64) -> u64 {
        let mut state = self.write();
        let before = state.memory.size();
        while before - state.memory.size() < bytes && self.evict_one(&mut state) {}
        before - state.memory.size()
    }
}

impl Drop for CacheStore {
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        for entry in state.entries.values() {
            if let Stored::Disk(path) = &entry.stored {
                remove_file(path);
            }
        }
        // Removes the directory only if no other store still uses it.
        let _ = std::fs::remove_dir(&self.spill_dir);
    }
}

/// Deletes a spill file; one already gone is fine.
fn remove_file(path: &Path) {
    let _ = std::fs::remove_file(path);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rdd::storage::U64Codec;

    fn store(budget: usize, test: &str) -> Arc<CacheStore> {
        store_in(budget, test, &MemoryPool::unbounded())
    }

    fn store_in(budget: usize, test: &str, pool: &Arc<MemoryPool>) -> Arc<CacheStore> {
        let dir = std::env::temp_dir().join(format!("ember-store-{}-{test}", std::process::id()));
        CacheStore::new(budget, dir, Arc::new(Metrics::default()), pool)
    }

    fn put(store: &CacheStore, partition: usize, level: StorageLevel) -> bool {
        let codec: Arc<dyn BlockCodec<u64>> = Arc::new(U64Codec);
        store.put(
            7,
            partition,
            Arc::new(vec![partition as u64]),
            &codec,
            level,
        )
    }

    #[test]
    fn a_read_makes_a_block_recently_used() {
        let store = store(24, "lru");
        for p in 0..3 {
            assert!(put(&store, p, StorageLevel::MemoryOnly));
        }
        assert_eq!(store.memory_used(), 24);
        assert_eq!(store.get::<u64>(7, 0, &U64Codec).as_deref(), Some(&vec![0]));
        assert!(put(&store, 3, StorageLevel::MemoryOnly));
        // Block 1 was the least recently used, not block 0.
        assert!(store.contains(7, 0) && !store.contains(7, 1));
        assert!(store.contains(7, 2) && store.contains(7, 3));
        assert_eq!(store.memory_used(), 24);
        // Storing a block again replaces it without charging twice.
        assert!(put(&store, 3, StorageLevel::MemoryOnly));
        assert_eq!((store.len(), store.memory_used()), (3, 24));
        assert!(store.remove(7, 3));
        assert_eq!(store.memory_used(), 16);
        // The wrong item type reads as absent.
        assert!(
            store
                .get::<u32>(7, 0, &crate::rdd::InlineSizeCodec::new())
                .is_none()
        );
        store.remove_rdd(7);
        assert!(store.is_empty());
        assert_eq!(store.memory_used(), 0);
    }

    #[test]
    fn spilled_blocks_live_on_disk_until_removed() {
        let store = store(8, "spill");
        assert!(put(&store, 0, StorageLevel::MemoryAndDisk));
        assert!(put(&store, 1, StorageLevel::MemoryAndDisk));
        assert!(store.is_on_disk(7, 0) && !store.is_on_disk(7, 1));
        assert_eq!(store.get::<u64>(7, 0, &U64Codec).as_deref(), Some(&vec![0]));
        assert_eq!(store.memory_used(), 8);
        let files = || {
            std::fs::read_dir(&store.spill_dir)
                .map(|d| d.count())
                .unwrap_or(0)
        };
        assert_eq!(files(), 1);
        // A corrupt spill file reads as absent, and its block is dropped.
        let codec_fails = crate::rdd::InlineSizeCodec::<u64>::new();
        assert!(store.get::<u64>(7, 0, &codec_fails).is_none());
        assert!(!store.contains(7, 0));
        assert_eq!(files(), 0);
        let _ = std::fs::remove_dir(&store.spill_dir);
    }

    #[test]
    fn the_pool_has_cached_blocks_evicted_for_a_query_and_they_come_back() {
        let pool = MemoryPool::new(32);
        let store = store_in(1 << 20, "pool", &pool);
        for p in 0..3 {
            assert!(put(&store, p, StorageLevel::MemoryAndDisk));
        }
        assert_eq!(pool.snapshot().evictable, 24);
        // The pool has 8 bytes free: a fourth block makes the oldest go to disk.
        assert!(put(&store, 3, StorageLevel::MemoryAndDisk));
        assert!(put(&store, 4, StorageLevel::MemoryAndDisk));
        assert!(store.is_on_disk(7, 0));
        assert_eq!(store.memory_used(), 32);
        // An operator that needs 20 bytes has three blocks evicted, least recent first.
        let mut build = pool.reserve("HashJoin build", false);
        build.try_grow(20).unwrap();
        assert_eq!(store.memory_used(), 8);
        assert_eq!(pool.snapshot().reserved, 28);
        assert!((0..4).all(|p| store.is_on_disk(7, p)) && !store.is_on_disk(7, 4));
        // Every block reads back.
        for p in 0..5 {
            assert_eq!(
                store.get::<u64>(7, p, &U64Codec).as_deref(),
                Some(&vec![p as u64])
            );
        }
        // A memory-only block that must make way is dropped (recomputed when read).
        assert!(put(&store, 5, StorageLevel::MemoryOnly));
        build.try_grow(8).unwrap();
        assert!(!store.contains(7, 5) && store.is_on_disk(7, 4));
        // With nothing free a new block goes straight to disk, or is not kept.
        assert!(put(&store, 6, StorageLevel::MemoryAndDisk));
        assert!(store.is_on_disk(7, 6));
        assert!(!put(&store, 8, StorageLevel::MemoryOnly));
        drop(build);
        store.remove_rdd(7);
        assert_eq!(pool.snapshot().reserved, 0);
        let _ = std::fs::remove_dir(&store.spill_dir);
    }
}
