//! [`RddContext`]: the shared entry point of the RDD layer — thread pool and
//! scheduler, block manager, fault injection, metrics, id counters and
//! configuration.
//!
//! In: an [`RddConfig`]. Out: leaf RDDs (`parallelize`, `source`,
//! `text_file`), jobs (`run_job`), metrics and logs. Shared as
//! `Arc<RddContext>` by every RDD handle.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::memory::MemoryPool;
use crate::rdd::block_manager::{BlockId, BlockManager};
use crate::rdd::error::Result;
use crate::rdd::faults::{FaultConfig, FaultInjector};
use crate::rdd::metrics::{JobRecord, Metrics, MetricsSnapshot, StageRecord, TaskRecord};
use crate::rdd::parallel_collection::ParallelCollectionRdd;
use crate::rdd::progress::JobProgress;
use crate::rdd::rdd::{Data, PartitionIter, Rdd};
use crate::rdd::scheduler::{DEFAULT_MAX_SPLIT, DagScheduler};
use crate::rdd::source::SourceRdd;
use crate::rdd::task::TaskContext;

/// Default memory budget for cached blocks: 4 GiB.
pub const DEFAULT_CACHE_BUDGET_BYTES: usize = 4 << 30;

/// Settings of an [`RddContext`].
#[derive(Debug, Clone, PartialEq)]
pub struct RddConfig {
    /// Threads in the task pool (at least 1 is used).
    pub threads: usize,
    /// Attempts per task before its job fails (default 4; at least 1 is used).
    pub max_task_attempts: usize,
    /// Bytes of cached blocks kept in memory (default 4 GiB); beyond it the
    /// least-recently-used blocks are evicted.
    pub cache_budget_bytes: usize,
    /// Where `MemoryAndDisk` blocks go when evicted (default
    /// `<temp dir>/ember-<pid>`; created when first needed).
    pub spill_dir: PathBuf,
    /// Faults to inject (default none); see also [`RddContext::set_faults`].
    pub faults: FaultConfig,
    /// Bytes the tasks' operators may reserve at once from the executor's
    /// [`MemoryPool`] (default: no limit); see also [`RddContext::memory_pool`].
    pub memory_limit: u64,
    /// Most parts the input of a splittable task is split into when it runs short of
    /// memory (default 16; 1 never splits); see [`crate::rdd::split`].
    pub max_split: usize,
}

impl Default for RddConfig {
    fn default() -> Self {
        RddConfig {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            max_task_attempts: 4,
            cache_budget_bytes: DEFAULT_CACHE_BUDGET_BYTES,
            spill_dir: std::env::temp_dir().join(format!("ember-{}", std::process::id())),
            faults: FaultConfig::default(),
            memory_limit: u64::MAX,
            max_split: DEFAULT_MAX_SPLIT,
        }
    }
}

/// The shared state behind every RDD of one engine instance.
pub struct RddContext {
    config: RddConfig,
    block_manager: Arc<BlockManager>,
    scheduler: DagScheduler,
    metrics: Arc<Metrics>,
    faults: Arc<FaultInjector>,
    memory_pool: Arc<MemoryPool>,
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
        let metrics = Arc::new(Metrics::default());
        let faults = Arc::new(FaultInjector::new(config.faults));
        let memory_pool = MemoryPool::new(config.memory_limit);
        let block_manager = Arc::new(BlockManager::with_parts(
            config.cache_budget_bytes,
            config.spill_dir.clone(),
            Arc::clone(&metrics),
            Arc::clone(&faults),
            &memory_pool,
        ));
        let scheduler = DagScheduler::new(
            config.threads,
            config.max_task_attempts,
            Arc::clone(&block_manager),
            Arc::clone(&metrics),
            Arc::clone(&faults),
        );
        scheduler.set_max_split(config.max_split);
        Arc::new(RddContext {
            config,
            memory_pool,
            block_manager,
            scheduler,
            metrics,
            faults,
            next_rdd_id: AtomicUsize::new(0),
            next_shuffle_id: AtomicUsize::new(0),
        })
    }

    /// The configuration it was created with (faults: see [`RddContext::faults`]).
    pub fn config(&self) -> &RddConfig {
        &self.config
    }

    /// Changes how many attempts each task gets, for jobs started from now on.
    pub fn set_max_task_attempts(&self, attempts: usize) {
        self.scheduler.set_max_task_attempts(attempts);
    }

    /// Attempts each task gets before its job fails.
    pub fn max_task_attempts(&self) -> usize {
        self.scheduler.max_task_attempts()
    }

    /// Changes the most parts a splittable task's input is split into when it runs
    /// short of memory (at least 1), for jobs started from now on.
    pub fn set_max_split(&self, parts: usize) {
        self.scheduler.set_max_split(parts);
    }

    /// Most parts a splittable task's input is split into when it runs short of memory.
    pub fn max_split(&self) -> usize {
        self.scheduler.max_split()
    }

    /// Changes the faults injected from now on (running jobs included).
    pub fn set_faults(&self, faults: FaultConfig) {
        self.faults.set(faults);
    }

    /// The faults currently injected.
    pub fn faults(&self) -> FaultConfig {
        self.faults.config()
    }

    /// Fails the running `task` here if fault injection says so (see
    /// [`FaultInjector::should_fail_at`]): tasks call it at points of their own, e.g.
    /// between writing output and publishing it.
    pub fn inject_fault_at(&self, task: &TaskContext, point: u64) -> Result<()> {
        if self.faults.should_fail_at(task, point) {
            self.metrics.injected_failures(1);
            return Err(crate::rdd::RddError::InjectedFailure {
                stage: task.stage_id,
                partition: task.partition,
                attempt: task.attempt,
            });
        }
        Ok(())
    }

    /// The memory pool every task of this executor reserves from (its limit may
    /// change while it runs).
    pub fn memory_pool(&self) -> &Arc<MemoryPool> {
        &self.memory_pool
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

    /// Drops one cached partition, as if it were lost (for recovery tests);
    /// true if it was present. The next task needing it recomputes it.
    pub fn lose_cached_block(&self, rdd: usize, partition: usize) -> bool {
        self.block_manager
            .remove_block(BlockId::Rdd { rdd, partition })
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

    /// Runs a job whose per-partition results go to `sink` in partition order, on the
    /// calling thread, while later partitions are still computing (at most `window`
    /// results ahead of the sink). `sink` returning `Ok(false)` stops the job.
    pub fn run_job_ordered<T: Data, U: Send + 'static>(
        &self,
        rdd: &Rdd<T>,
        window: usize,
        func: impl Fn(&TaskContext, PartitionIter<T>) -> Result<U> + Send + Sync,
        mut sink: impl FnMut(U) -> Result<bool>,
    ) -> Result<()> {
        let partitions: Vec<usize> = (0..rdd.num_partitions()).collect();
        self.scheduler
            .run_job_ordered(rdd.node(), &partitions, &func, window, &mut sink)
    }

    /// Cancels every running job.
    pub fn cancel_all(&self) {
        self.scheduler.cancel_all();
    }

    /// Task attempts running now.
    pub fn running_tasks(&self) -> usize {
        self.scheduler.running_tasks()
    }

    /// The progress of each running job, oldest first.
    pub fn progress(&self) -> Vec<JobProgress> {
        self.scheduler.progress()
    }

    /// Runs `func` over every partition of `rdd` from inside `task`, as further stages
    /// of `task`'s job rather than a job of its own (work whose shape is known only
    /// while the job runs, such as the rounds of an iteration).
    pub fn run_within_task<T: Data, U: Send + 'static>(
        &self,
        task: &TaskContext,
        rdd: &Rdd<T>,
        func: impl Fn(&TaskContext, PartitionIter<T>) -> Result<U> + Send + Sync,
    ) -> Result<Vec<U>> {
        let partitions: Vec<usize> = (0..rdd.num_partitions()).collect();
        self.scheduler
            .run_within(task, rdd.node(), &partitions, &func)
    }

    /// Totals since the context was created.
    pub fn metrics(&self) -> MetricsSnapshot {
        self.metrics.snapshot()
    }

    /// The totals as one JSON object: `{"jobs":..,"stages":..,"tasks":..,
    /// "task_attempts":..,"failed_attempts":..,"recomputed_partitions":..,`
    /// then the other counters of [`MetricsSnapshot`] in declaration order.
    pub fn metrics_json(&self) -> String {
        self.metrics.snapshot().to_json()
    }

    /// The latest task attempts (at most [`crate::rdd::metrics::TASK_LOG_CAPACITY`]),
    /// in the order they ended.
    pub fn task_log(&self) -> Vec<TaskRecord> {
        self.metrics.task_log()
    }

    /// The latest stages, in the order they ended.
    pub fn stage_log(&self) -> Vec<StageRecord> {
        self.metrics.stage_log()
    }

    /// The latest jobs, in the order they ended.
    pub fn job_log(&self) -> Vec<JobRecord> {
        self.metrics.job_log()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    /// A job of `tasks` tasks, each sleeping `ms` milliseconds.
    fn slow_job(ctx: &Arc<RddContext>, tasks: usize, ms: u64) -> Result<Vec<usize>> {
        ctx.parallelize((0..tasks).collect::<Vec<usize>>(), tasks)
            .map(move |x| {
                std::thread::sleep(Duration::from_millis(ms));
                x
            })
            .collect()
    }

    #[test]
    fn tasks_of_two_concurrent_jobs_interleave() {
        let ctx = RddContext::new(RddConfig {
            threads: 2,
            ..RddConfig::default()
        });
        let a_ctx = Arc::clone(&ctx);
        let a = std::thread::spawn(move || slow_job(&a_ctx, 5, 100));
        std::thread::sleep(Duration::from_millis(20));
        let b_ctx = Arc::clone(&ctx);
        let b = std::thread::spawn(move || slow_job(&b_ctx, 5, 100));
        let a = a.join().ok().and_then(|r| r.ok());
        let b = b.join().ok().and_then(|r| r.ok());
        assert_eq!(a, Some((0..5).collect()));
        assert_eq!(b, Some((0..5).collect()));

        let log = ctx.task_log();
        assert_eq!(log.len(), 10);
        let jobs = ctx.job_log();
        assert_eq!(jobs.len(), 2);
        let first = jobs
            .iter()
            .min_by_key(|j| j.start)
            .map_or(usize::MAX, |j| j.job_id);
        let (job_a, job_b): (Vec<_>, Vec<_>) = log.iter().partition(|t| t.job_id == first);
        assert_eq!((job_a.len(), job_b.len()), (5, 5));
        let a_first_start = job_a.iter().map(|t| t.start).min();
        let a_last_end = job_a.iter().map(|t| t.end).max();
        let b_first_start = job_b.iter().map(|t| t.start).min();
        let b_last_end = job_b.iter().map(|t| t.end).max();
        // A task of job B started before the last task of job A ended, and
        // the other way round: the jobs shared the pool.
        assert!(b_first_start < a_last_end, "{log:#?}");
        assert!(a_first_start < b_last_end, "{log:#?}");
        for t in &log {
            assert!(t.succeeded && t.end >= t.start + Duration::from_millis(100));
            assert_eq!(t.rows, 1);
        }
        for job in &jobs {
            assert!(job.succeeded);
            assert_eq!(
                (job.totals.stages, job.totals.tasks, job.totals.rows),
                (1, 5, 5)
            );
        }
        let stages = ctx.stage_log();
        assert_eq!(stages.len(), 2);
        assert!(
            stages
                .iter()
                .all(|s| s.kind == crate::rdd::StageKind::Result)
        );
    }

    #[test]
    fn metrics_json_starts_with_the_core_counters() {
        let ctx = RddContext::new(RddConfig::default());
        let pairs = ctx.parallelize(vec![(1, 2), (1, 3), (2, 4)], 2);
        assert_eq!(pairs.reduce_by_key(|a, b| a + b, 2).count().ok(), Some(2));
        let json = ctx.metrics_json();
        assert!(
            json.starts_with(
                "{\"jobs\":1,\"stages\":2,\"tasks\":4,\"task_attempts\":4,\"failed_attempts\":0,\"recomputed_partitions\":0,\"evicted_blocks\":0,\"cached_blocks_read\":0,\"shuffle_blocks_written\":4,"
            ),
            "{json}"
        );
        let stages = ctx.stage_log();
        assert_eq!(
            stages.first().map(|s| s.kind),
            Some(crate::rdd::StageKind::ShuffleMap { shuffle: 0 })
        );
        assert_eq!(stages.first().map(|s| s.totals.rows), Some(3));
        let job = ctx.job_log();
        assert_eq!(
            job.first().map(|j| (j.totals.stages, j.totals.tasks)),
            Some((2, 4))
        );
    }
}
