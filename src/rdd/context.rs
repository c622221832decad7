//! [`RddContext`]: the shared entry point of the RDD layer — thread pool and
//! scheduler, block manager, id counters and configuration.
//!
//! In: an [`RddConfig`]. Out: leaf RDDs (`parallelize`, `source`), jobs
//! (`run_job`) and metrics. Shared as `Arc<RddContext>` by every RDD handle.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::Result;
use crate::rdd::block_manager::{BlockId, BlockManager};
use crate::rdd::metrics::MetricsSnapshot;
use crate::rdd::parallel_collection::ParallelCollectionRdd;
use crate::rdd::rdd::{Data, PartitionIter, Rdd};
use crate::rdd::scheduler::DagScheduler;
use crate::rdd::source::SourceRdd;
use crate::rdd::task::TaskContext;

/// Settings of an [`RddContext`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RddConfig {
    /// Threads in the task pool (at least 1 is used).
    pub threads: usize,
    /// Attempts per task before its job fails (default 4; at least 1 is used).
    pub max_task_attempts: usize,
}

impl Default for RddConfig {
    fn default() -> Self {
        RddConfig {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            max_task_attempts: 4,
        }
    }
}

/// The shared state behind every RDD of one engine instance.
pub struct RddContext {
    config: RddConfig,
    block_manager: Arc<BlockManager>,
    scheduler: DagScheduler,
    next_rdd_id: AtomicUsize,
    next_shuffle_id: AtomicUsize,
}

impl std::fmt::Debug for RddContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RddContext")
            .field("config", &self.config)
            .field("block_manager", &self.block_manager)
            .finish()
    }
}

impl RddContext {
    /// A context with its own thread pool of `config.threads` threads.
    pub fn new(config: RddConfig) -> Arc<Self> {
        let block_manager = Arc::new(BlockManager::new());
        let scheduler = DagScheduler::new(
            config.threads,
            config.max_task_attempts,
            Arc::clone(&block_manager),
        );
        Arc::new(RddContext {
            config,
            block_manager,
            scheduler,
            next_rdd_id: AtomicUsize::new(0),
            next_shuffle_id: AtomicUsize::new(0),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &RddConfig {
        &self.config
    }

    /// The block manager (shuffle blocks and cached partitions).
    pub fn block_manager(&self) -> &Arc<BlockManager> {
        &self.block_manager
    }

    /// Drops one shuffle block, as if it were lost (for recovery tests);
    /// true if it was present. The next job needing it recomputes its map
    /// partition from lineage.
    pub fn lose_shuffle_block(&self, shuffle: usize, map: usize, reduce: usize) -> bool {
        self.block_manager.remove_block(BlockId::Shuffle {
            shuffle,
            map,
            reduce,
        })
    }

    /// A fresh RDD id.
    pub fn new_rdd_id(&self) -> usize {
        self.next_rdd_id.fetch_add(1, Ordering::Relaxed)
    }

    /// A fresh shuffle id.
    pub fn new_shuffle_id(&self) -> usize {
        self.next_shuffle_id.fetch_add(1, Ordering::Relaxed)
    }

    /// An RDD over `data`, split into `partitions` (at least 1) contiguous slices.
    pub fn parallelize<T: Data>(self: &Arc<Self>, data: Vec<T>, partitions: usize) -> Rdd<T> {
        let node = ParallelCollectionRdd::new(self.new_rdd_id(), data, partitions);
        Rdd::from_node(Arc::clone(self), Arc::new(node))
    }

    /// A leaf RDD whose partition i is `compute(i, task)` (a table scan).
    pub fn source<T: Data>(
        self: &Arc<Self>,
        name: &str,
        num_partitions: usize,
        compute: impl Fn(usize, &TaskContext) -> Result<PartitionIter<T>> + Send + Sync + 'static,
    ) -> Rdd<T> {
        let node = SourceRdd::new(self.new_rdd_id(), name, num_partitions, Arc::new(compute));
        Rdd::from_node(Arc::clone(self), Arc::new(node))
    }

    /// Runs a job: `func` over every partition of `rdd`, one result per
    /// partition in partition order. Stages before it run first as needed.
    pub fn run_job<T: Data, U: Send + 'static>(
        &self,
        rdd: &Rdd<T>,
        func: impl Fn(&TaskContext, PartitionIter<T>) -> Result<U> + Send + Sync,
    ) -> Result<Vec<U>> {
        let partitions: Vec<usize> = (0..rdd.num_partitions()).collect();
        self.scheduler.run_job(rdd.node(), &partitions, &func)
    }

    /// Runs a job over some partitions of `rdd` only; results in the order of
    /// `partitions`. An out-of-range partition is an error.
    pub fn run_job_on_partitions<T: Data, U: Send + 'static>(
        &self,
        rdd: &Rdd<T>,
        partitions: &[usize],
        func: impl Fn(&TaskContext, PartitionIter<T>) -> Result<U> + Send + Sync,
    ) -> Result<Vec<U>> {
        self.scheduler.run_job(rdd.node(), partitions, &func)
    }

    /// Totals since the context was created.
    pub fn metrics(&self) -> MetricsSnapshot {
        self.scheduler.metrics().snapshot()
    }
}
