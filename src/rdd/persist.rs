//! Persistence in Spark's vocabulary: `persist`, `persist_with`, `cache` and
//! `unpersist` on [`Rdd<T>`].
//!
//! In: an RDD, a [`StorageLevel`] and optionally a [`BlockCodec`]. Out: an RDD
//! over the same items whose partitions are computed once, kept in the block
//! manager under the context's cache budget, and recomputed from lineage when
//! evicted or lost.

use std::sync::Arc;

use crate::rdd::cached::CachedRdd;
use crate::rdd::rdd::{Data, Rdd};
use crate::rdd::storage::{BlockCodec, InlineSizeCodec, StorageLevel};

impl<T: Data> Rdd<T> {
    /// The same items, each partition kept at `level` once first computed.
    /// Blocks are sized as `items × size_of::<T>()` and cannot be written to
    /// disk, so `MemoryAndDisk` behaves as `MemoryOnly` here (an evicted block
    /// is dropped and recomputed); use [`Rdd::persist_with`] to spill.
    /// The blocks are dropped with the last handle on the returned RDD.
    pub fn persist(&self, level: StorageLevel) -> Rdd<T> {
        self.persist_with(level, Arc::new(InlineSizeCodec::new()))
    }

    /// The same items, each partition kept at `level` once first computed,
    /// sized by `codec` and, for `MemoryAndDisk`, written to the spill
    /// directory with it when evicted from memory.
    pub fn persist_with(&self, level: StorageLevel, codec: Arc<dyn BlockCodec<T>>) -> Rdd<T> {
        let ctx = Arc::clone(self.context());
        let node = CachedRdd::new(
            ctx.new_rdd_id(),
            Arc::clone(self.node()),
            level,
            codec,
            Arc::clone(ctx.block_manager()),
        );
        Rdd::from_node(ctx, Arc::new(node))
    }

    /// `persist(StorageLevel::MemoryOnly)`.
    pub fn cache(&self) -> Rdd<T> {
        self.persist(StorageLevel::MemoryOnly)
    }

    /// Stops persisting this RDD (one returned by `persist` or `cache`) and
    /// drops its stored blocks; later jobs compute it from lineage. A no-op
    /// on an RDD that is not persisted.
    pub fn unpersist(&self) {
        self.node().unpersist();
    }

    /// Where this RDD's partitions are persisted, if they are.
    pub fn storage_level(&self) -> Option<StorageLevel> {
        self.node().storage_level()
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use crate::rdd::storage::U64Codec;
    use crate::rdd::{BlockId, Rdd, RddConfig, RddContext, StorageLevel};

    fn context(budget: usize, spill_dir: PathBuf) -> Arc<RddContext> {
        RddContext::new(RddConfig {
            threads: 1,
            cache_budget_bytes: budget,
            spill_dir,
            ..RddConfig::default()
        })
    }

    fn spill_dir(test: &str) -> PathBuf {
        std::env::temp_dir().join(format!("ember-spill-{}-{test}", std::process::id()))
    }

    /// 1000 items in 4 partitions of 250 u64 (2000 bytes each); counts computations.
    fn counted(ctx: &Arc<RddContext>) -> (Rdd<u64>, Arc<AtomicUsize>) {
        let computed = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&computed);
        let rdd = ctx.parallelize((0..1000u64).collect(), 4).map(move |x| {
            seen.fetch_add(1, Ordering::SeqCst);
            x * 3
        });
        (rdd, computed)
    }

    const SUM: u64 = 3 * 999 * 1000 / 2;

    #[test]
    fn cache_computes_once_and_later_jobs_read_the_cache() {
        let ctx = context(usize::MAX, spill_dir("once"));
        let (rdd, computed) = counted(&ctx);
        let cached = rdd.cache();
        assert_eq!(cached.storage_level(), Some(StorageLevel::MemoryOnly));
        assert_eq!(cached.count().ok(), Some(1000));
        let first = ctx.metrics();
        assert_eq!(
            (first.cached_blocks_written, first.cached_blocks_read),
            (4, 0)
        );
        assert_eq!(cached.fold(0, |a, b| a + b).ok(), Some(SUM));
        assert_eq!(computed.load(Ordering::SeqCst), 1000);
        let second = ctx.metrics().since(&first);
        assert_eq!(second.cached_blocks_read, 4);
        assert_eq!(second.cached_blocks_written, 0);
        assert_eq!(second.recomputed_partitions, 0);
        assert_eq!(ctx.block_manager().len(), 4);

        cached.unpersist();
        assert_eq!(cached.storage_level(), None);
        assert!(ctx.block_manager().is_empty());
        assert_eq!(cached.count().ok(), Some(1000));
        assert_eq!(computed.load(Ordering::SeqCst), 2000);
        assert!(ctx.block_manager().is_empty());

        let again = rdd.cache();
        assert_eq!(again.count().ok(), Some(1000));
        assert_eq!(ctx.block_manager().len(), 4);
        drop(again);
        assert!(ctx.block_manager().is_empty());
    }

    #[test]
    fn small_budget_evicts_least_recently_used_and_recomputes() {
        // Room for two of the four 2000-byte blocks.
        let ctx = context(4500, spill_dir("lru"));
        let (rdd, computed) = counted(&ctx);
        let cached = rdd.persist(StorageLevel::MemoryOnly);
        assert_eq!(cached.fold(0, |a, b| a + b).ok(), Some(SUM));
        let m = ctx.metrics();
        assert_eq!((m.cached_blocks_written, m.evicted_blocks), (4, 2));
        assert_eq!(ctx.block_manager().cache().memory_used(), 4000);
        // With one thread, partitions 0 and 1 were the least recently used.
        let held = |p| {
            ctx.block_manager().contains(BlockId::Rdd {
                rdd: cached.id(),
                partition: p,
            })
        };
        assert_eq!(
            (held(0), held(1), held(2), held(3)),
            (false, false, true, true)
        );

        assert_eq!(
            cached.collect().unwrap_or_default(),
            (0..1000).map(|x| x * 3).collect::<Vec<u64>>()
        );
        let used = ctx.metrics().since(&m);
        assert_eq!(used.recomputed_partitions, 4, "{used:?}");
        assert!(used.evicted_blocks >= 2, "{used:?}");
        assert!(ctx.block_manager().cache().memory_used() <= 4500);
        assert_eq!(computed.load(Ordering::SeqCst), 2000);

        // A block larger than the whole budget is not cached at all.
        let tiny = context(100, spill_dir("tiny"));
        let (rdd, computed) = counted(&tiny);
        let cached = rdd.cache();
        assert_eq!(cached.count().ok(), Some(1000));
        assert_eq!(cached.count().ok(), Some(1000));
        assert_eq!(computed.load(Ordering::SeqCst), 2000);
        assert!(tiny.block_manager().is_empty());
    }

    #[test]
    fn memory_and_disk_spills_evicted_blocks_and_reads_them_back() {
        let dir = spill_dir("disk");
        let ctx = context(4500, dir.clone());
        let (rdd, computed) = counted(&ctx);
        let cached = rdd.persist_with(StorageLevel::MemoryAndDisk, Arc::new(U64Codec));
        assert_eq!(cached.count().ok(), Some(1000));
        let m = ctx.metrics();
        assert_eq!((m.evicted_blocks, m.spilled_blocks), (2, 2));
        let files = || std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
        assert_eq!(files(), 2);
        let on_disk = |p| ctx.block_manager().cache().is_on_disk(cached.id(), p);
        assert!(on_disk(0) && on_disk(1) && !on_disk(2));

        assert_eq!(
            cached.collect().unwrap_or_default(),
            (0..1000).map(|x| x * 3).collect::<Vec<u64>>()
        );
        let used = ctx.metrics().since(&m);
        assert_eq!((used.disk_blocks_read, used.cached_blocks_read), (2, 4));
        assert_eq!(used.recomputed_partitions, 0);
        assert_eq!(computed.load(Ordering::SeqCst), 1000);

        drop(cached);
        assert_eq!(files(), 0);
        assert!(ctx.block_manager().is_empty());

        // Without a codec, MemoryAndDisk behaves as MemoryOnly.
        let (rdd, _) = counted(&ctx);
        let plain = rdd.persist(StorageLevel::MemoryAndDisk);
        let before = ctx.metrics();
        assert_eq!(plain.count().ok(), Some(1000));
        let used = ctx.metrics().since(&before);
        assert_eq!((used.evicted_blocks, used.spilled_blocks), (2, 0));
        let _ = std::fs::remove_dir(&dir);
    }

    #[test]
    fn lost_cached_block_is_recomputed_from_lineage() {
        let ctx = context(usize::MAX, spill_dir("lost"));
        let (rdd, computed) = counted(&ctx);
        let cached = rdd.cache();
        assert_eq!(cached.count().ok(), Some(1000));
        let lost = BlockId::Rdd {
            rdd: cached.id(),
            partition: 2,
        };
        assert!(ctx.block_manager().remove_block(lost));
        let before = ctx.metrics();
        assert_eq!(cached.fold(0, |a, b| a + b).ok(), Some(SUM));
        let used = ctx.metrics().since(&before);
        assert_eq!(used.recomputed_partitions, 1);
        assert_eq!(used.cached_blocks_read, 3);
        // Exactly the lost partition's 250 items were computed again.
        assert_eq!(computed.load(Ordering::SeqCst), 1250);
        assert!(ctx.block_manager().contains(lost));
    }

    #[test]
    fn a_fully_cached_rdd_hides_the_stages_behind_it() {
        let ctx = context(usize::MAX, spill_dir("skip"));
        let sums = ctx
            .parallelize((0..100u32).map(|i| (i % 4, 1u32)).collect(), 3)
            .reduce_by_key(|a, b| a + b, 2)
            .cache();
        assert_eq!(sums.count().ok(), Some(4));
        let shuffle = sums.shuffle_dependencies().first().map(|d| d.shuffle_id());
        assert_eq!(shuffle, Some(0));
        // Even with a shuffle block gone, a job over the cached RDD runs one stage.
        assert!(ctx.lose_shuffle_block(0, 1, 1));
        let before = ctx.metrics();
        assert_eq!(sums.map(|(_, n)| n).fold(0, |a, b| a + b).ok(), Some(100));
        let used = ctx.metrics().since(&before);
        assert_eq!(
            (used.stages, used.tasks, used.cached_blocks_read),
            (1, 2, 2)
        );
        // A lost cached partition needs the shuffle again: the job sees it
        // is missing and recomputes the lost map output first.
        assert!(ctx.lose_cached_block(sums.id(), 1));
        let before = ctx.metrics();
        assert_eq!(sums.map(|(_, n)| n).fold(0, |a, b| a + b).ok(), Some(100));
        let used = ctx.metrics().since(&before);
        assert_eq!(
            (used.stages, used.recomputed_partitions),
            (2, 2),
            "{used:?}"
        );
        assert_eq!(used.failed_attempts, 0, "{used:?}");

        // Lost while the job runs (after its stages were planned): the retry
        // walks the lineage again and recomputes the shuffle output it needs.
        let bm = Arc::clone(ctx.block_manager());
        let id = sums.id();
        let flaky = sums.map_partitions("loses its input", move |task, items| {
            if task.partition == 1 && task.attempt == 0 {
                bm.remove_block(BlockId::Rdd {
                    rdd: id,
                    partition: 1,
                });
                bm.remove_block(BlockId::Shuffle {
                    shuffle: 0,
                    map: 2,
                    reduce: 1,
                });
                return Err(crate::rdd::error::RddError::transient("lost my input"));
            }
            Ok(items)
        });
        let before = ctx.metrics();
        assert_eq!(flaky.map(|(_, n)| n).fold(0, |a, b| a + b).ok(), Some(100));
        let used = ctx.metrics().since(&before);
        assert_eq!(used.failed_attempts, 1, "{used:?}");
        assert_eq!(used.recomputed_partitions, 2, "{used:?}");
    }
}
