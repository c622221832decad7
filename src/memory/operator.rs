//! What `exec` hands an operator: [`OperatorMemory`], its reservation in the pool,
//! where it may spill, and the counters EXPLAIN ANALYZE reads. Operators see only this
//! handle — nothing of tasks or RDDs.
//!
//! In: a [`QueryMemory`] (the pool and the query's spill folder), made once per query
//! by the caller; per operator and task, a name and whether it can spill. Out:
//! reservations that grow and shrink per batch, spill files, and the peak bytes,
//! spilled bytes, spill files and finest input split of each operator.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow::datatypes::SchemaRef;

use crate::error::{EmberError, Result};
use crate::memory::pool::MemoryPool;
use crate::memory::reservation::MemoryReservation;
use crate::memory::spill::{SpillDir, SpillFile, SpillWriter};

/// What one operator held and spilled, over all its tasks.
#[derive(Debug, Default)]
pub struct MemoryCounters {
    peak: AtomicU64,
    spilled_bytes: AtomicU64,
    spill_files: AtomicU64,
    split_parts: AtomicU64,
}

impl MemoryCounters {
    /// The most bytes one of its tasks held at once.
    pub fn peak(&self) -> u64 {
        self.peak.load(Ordering::Relaxed)
    }

    /// Bytes written to spill files.
    pub fn spilled_bytes(&self) -> u64 {
        self.spilled_bytes.load(Ordering::Relaxed)
    }

    /// Spill files written.
    pub fn spill_files(&self) -> u64 {
        self.spill_files.load(Ordering::Relaxed)
    }

    /// The most parts one of its tasks' input was split into to fit in memory (0 or
    /// 1: never split).
    pub fn split_parts(&self) -> u64 {
        self.split_parts.load(Ordering::Relaxed)
    }

    /// Counts a task that ran over one of `parts` parts of its input.
    pub fn record_split(&self, parts: u64) {
        self.split_parts.fetch_max(parts, Ordering::Relaxed);
    }
}

/// The memory side of one query: the executor's pool and the query's spill folder.
#[derive(Debug, Clone)]
pub struct QueryMemory {
    pool: Arc<MemoryPool>,
    spill: Arc<SpillDir>,
}

impl QueryMemory {
    /// Reserves from `pool` and spills under `spill_parent`, at most `max_spill_bytes`
    /// on disk at once.
    pub fn new(pool: Arc<MemoryPool>, spill_parent: &Path, max_spill_bytes: u64) -> Self {
        let spill = SpillDir::new(spill_parent, max_spill_bytes, Arc::clone(&pool));
        QueryMemory { pool, spill }
    }

    /// No limit, spilling to the system temp folder (for operators run in tests).
    pub fn unbounded() -> Self {
        Self::new(MemoryPool::unbounded(), &std::env::temp_dir(), u64::MAX)
    }

    /// The pool.
    pub fn pool(&self) -> &Arc<MemoryPool> {
        &self.pool
    }

    /// The spill folder.
    pub fn spill_dir(&self) -> &Arc<SpillDir> {
        &self.spill
    }

    /// The handle of one operator in one task, named `consumer` in errors; with
    /// `can_spill` it is held to a fair share and may write spill files. `counters`
    /// collect what it did (fresh ones when nobody reads them).
    pub fn operator(
        &self,
        consumer: impl Into<String>,
        can_spill: bool,
        counters: Option<Arc<MemoryCounters>>,
    ) -> OperatorMemory {
        OperatorMemory {
            reservation: self.pool.reserve(consumer, can_spill),
            spill: can_spill.then(|| Arc::clone(&self.spill)),
            counters: counters.unwrap_or_default(),
        }
    }
}

/// An operator's memory in one task: grow before holding more, shrink after letting go.
#[derive(Debug)]
pub struct OperatorMemory {
    reservation: MemoryReservation,
    spill: Option<Arc<SpillDir>>,
    counters: Arc<MemoryCounters>,
}

impl OperatorMemory {
    /// A handle with no limit that cannot spill (for operators run outside a query).
    pub fn unbounded(consumer: &str) -> Self {
        QueryMemory::unbounded().operator(consumer, false, None)
    }

    /// Another handle in the same pool, named `consumer`, that cannot spill and adds
    /// to the same counters (a spilled operator's merge step, which must fit).
    pub fn unspillable_sibling(&self, consumer: impl Into<String>) -> OperatorMemory {
        OperatorMemory {
            reservation: self.reservation.pool().reserve(consumer, false),
            spill: None,
            counters: Arc::clone(&self.counters),
        }
    }

    /// The consumer's name.
    pub fn consumer(&self) -> &str {
        self.reservation.consumer()
    }

    /// Bytes held now.
    pub fn size(&self) -> u64 {
        self.reservation.size()
    }

    /// Holds `bytes` more, or fails with [`EmberError::ResourcesExhausted`].
    pub fn try_grow(&mut self, bytes: u64) -> Result<()> {
        self.reservation.try_grow(bytes)?;
        self.counters
            .peak
            .fetch_max(self.reservation.size(), Ordering::Relaxed);
        Ok(())
    }

    /// Holds exactly `bytes`.
    pub fn try_resize(&mut self, bytes: u64) -> Result<()> {
        self.reservation.try_resize(bytes)?;
        self.counters
            .peak
            .fetch_max(self.reservation.size(), Ordering::Relaxed);
        Ok(())
    }

    /// Gives back `bytes`.
    pub fn shrink(&mut self, bytes: u64) {
        self.reservation.shrink(bytes);
    }

    /// Gives back everything.
    pub fn free(&mut self) {
        self.reservation.free();
    }

    /// Whether it may spill.
    pub fn can_spill(&self) -> bool {
        self.spill.is_some()
    }

    /// A new spill file for batches of `schema`.
    pub fn spill_file(&self, schema: &SchemaRef) -> Result<SpillWriter> {
        let Some(dir) = &self.spill else {
            return Err(EmberError::internal(format!(
                "{} spilled without a spill folder",
                self.reservation.consumer()
            )));
        };
        dir.create_file(self.reservation.consumer(), schema)
    }

    /// Counts a finished spill file in the operator's counters.
    pub fn record_spill(&self, file: &SpillFile) {
        self.counters
            .spilled_bytes
            .fetch_add(file.bytes(), Ordering::Relaxed);
        self.counters.spill_files.fetch_add(1, Ordering::Relaxed);
    }
}
