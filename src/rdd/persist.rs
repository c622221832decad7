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
