//! Counters and logs of the scheduler's and block manager's work.
//!
//! In: events from the scheduler (jobs, stages, task attempts) and the block
//! manager (cached and shuffle blocks written, read, evicted, lost).
//! Out: totals as a [`MetricsSnapshot`] (also as one line of JSON), and
//! bounded logs of the latest jobs, stages and task attempts, timed from the
//! context's start.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Task attempts kept in the task log (the oldest are dropped first).
pub const TASK_LOG_CAPACITY: usize = 10_000;
/// Stages and jobs kept in their logs.
pub const STAGE_LOG_CAPACITY: usize = 1_000;

/// Declares the counters once: the live atomics, the snapshot fields, and
/// the snapshot's reading, difference and JSON in field order.
macro_rules! counters {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        /// Totals since the context was created.
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct MetricsSnapshot {
            $($(#[$doc])* pub $name: usize,)*
        }

        #[derive(Debug, Default)]
        struct Counters {
            $($name: AtomicUsize,)*
        }

        impl Counters {
            fn snapshot(&self) -> MetricsSnapshot {
                MetricsSnapshot { $($name: self.$name.load(Ordering::Relaxed),)* }
            }
        }

        impl MetricsSnapshot {
            /// Counter-wise difference `self - earlier` (saturating), for measuring one job.
            pub fn since(&self, earlier: &MetricsSnapshot) -> MetricsSnapshot {
                MetricsSnapshot { $($name: self.$name.saturating_sub(earlier.$name),)* }
            }

            /// The counters as one JSON object, in declaration order.
            pub fn to_json(&self) -> String {
                let fields: Vec<String> = vec![
                    $(format!("\"{}\":{}", stringify!($name), self.$name),)*
                ];
                format!("{{{}}}", fields.join(","))
            }
        }
    };
}

counters! {
    /// Jobs submitted.
    jobs,
    /// Stages run (result stages, and shuffle map stages that had work to do).
    stages,
    /// Tasks launched (one per partition a stage runs).
    tasks,
    /// Task attempts, including retries.
    task_attempts,
    /// Attempts that returned an error or panicked (injected failures included).
    failed_attempts,
    /// Partitions recomputed from lineage because their shuffle output or
    /// cached block was lost or evicted.
    recomputed_partitions,
    /// Cached blocks evicted from memory to make room (dropped or spilled).
    evicted_blocks,
    /// Cached blocks read (from memory or disk).
    cached_blocks_read,
    /// Shuffle blocks written by map tasks.
    shuffle_blocks_written,
    /// Cached blocks stored (in memory or on disk).
    cached_blocks_written,
    /// Cached blocks written to the spill directory.
    spilled_blocks,
    /// Cached blocks read back from the spill directory.
    disk_blocks_read,
    /// Task attempts failed by fault injection.
    injected_task_failures,
    /// Blocks removed by fault injection just before a read.
    injected_block_losses,
    /// Task attempts that ran short of memory and were run again with their input
    /// split more finely (not counted in `failed_attempts`).
    oom_retries,
}

/// One task attempt, timed from the context's start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRecord {
    /// The job.
    pub job_id: usize,
    /// The stage.
    pub stage_id: usize,
    /// The partition.
    pub partition: usize,
    /// 0 for the first attempt.
    pub attempt: usize,
    /// When the attempt started.
    pub start: Duration,
    /// When it ended.
    pub end: Duration,
    /// Items it produced (result tasks: items the job function was given;
    /// map tasks: items written to shuffle blocks).
    pub rows: usize,
    /// Whether it succeeded.
    pub succeeded: bool,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// The index of the pool thread that ran it; `None` when it ran on the thread
    /// that submitted the job (no pool).
    pub worker: Option<usize>,
}

/// What a stage computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageKind {
    /// Map tasks writing the blocks of a shuffle.
    ShuffleMap {
        /// The shuffle.
        shuffle: usize,
    },
    /// The tasks of a job's final RDD.
    Result,
}

/// Totals of one stage or one job.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkTotals {
    /// Stages run (1 for a stage).
    pub stages: usize,
    /// Tasks launched.
    pub tasks: usize,
    /// Attempts made.
    pub attempts: usize,
    /// Attempts failed.
    pub failed_attempts: usize,
    /// Attempts short of memory, run again over a finer split of their input.
    pub oom_retries: usize,
    /// Items produced by successful attempts.
    pub rows: usize,
}

impl WorkTotals {
    fn add(&mut self, other: &WorkTotals) {
        self.stages += other.stages;
        self.tasks += other.tasks;
        self.attempts += other.attempts;
        self.failed_attempts += other.failed_attempts;
        self.oom_retries += other.oom_retries;
        self.rows += other.rows;
    }
}

/// One stage run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageRecord {
    /// The job it ran for.
    pub job_id: usize,
    /// The stage.
    pub stage_id: usize,
    /// Map or result stage.
    pub kind: StageKind,
    /// Its tasks' totals.
    pub totals: WorkTotals,
    /// When it started.
    pub start: Duration,
    /// When it ended.
    pub end: Duration,
    /// Whether every task succeeded.
    pub succeeded: bool,
    /// The shuffles its tasks read (written by the map stages it waits for).
    pub reads: Vec<usize>,
}

/// One job run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRecord {
    /// The job.
    pub job_id: usize,
    /// Totals over its stages (rows: those of all stages).
    pub totals: WorkTotals,
    /// When it was submitted.
    pub start: Duration,
    /// When it ended.
    pub end: Duration,
    /// Whether it succeeded.
    pub succeeded: bool,
}

/// Live counters and logs, shared by all jobs of a context.
#[derive(Debug)]
pub struct Metrics {
    start: Instant,
    counters: Counters,
    next_job_id: AtomicUsize,
    tasks: Mutex<VecDeque<TaskRecord>>,
    stages: Mutex<VecDeque<StageRecord>>,
    jobs: Mutex<VecDeque<JobRecord>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            start: Instant::now(),
            counters: Counters::default(),
            next_job_id: AtomicUsize::new(0),
            tasks: Mutex::new(VecDeque::new()),
            stages: Mutex::new(VecDeque::new()),
            jobs: Mutex::new(VecDeque::new()),
        }
    }
}

fn push_bounded<T>(log: &Mutex<VecDeque<T>>, capacity: usize, record: T) {
    // Each update is one push (and pop), so a poisoned log is still valid.
    let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
    if log.len() >= capacity {
        log.pop_front();
    }
    log.push_back(record);
}

fn read_log<T: Clone>(log: &Mutex<VecDeque<T>>) -> Vec<T> {
    log.lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .cloned()
        .collect()
}

macro_rules! bump {
    ($($(#[$doc:meta])* $fn_name:ident => $field:ident),* $(,)?) => {
        impl Metrics {
            $($(#[$doc])* pub fn $fn_name(&self, n: usize) {
                self.counters.$field.fetch_add(n, Ordering::Relaxed);
            })*
        }
    };
}

bump! {
    /// Counts `n` stages.
    stages => stages,
    /// Counts `n` tasks.
    tasks => tasks,
    /// Counts `n` task attempts.
    attempts => task_attempts,
    /// Counts `n` failed attempts.
    failed_attempts => failed_attempts,
    /// Counts `n` partitions recomputed from lineage.
    recomputed => recomputed_partitions,
    /// Counts `n` cached blocks evicted from memory.
    evicted => evicted_blocks,
    /// Counts `n` cached blocks read.
    cached_read => cached_blocks_read,
    /// Counts `n` shuffle blocks written.
    shuffle_written => shuffle_blocks_written,
    /// Counts `n` cached blocks stored.
    cached_written => cached_blocks_written,
    /// Counts `n` cached blocks spilled to disk.
    spilled => spilled_blocks,
    /// Counts `n` cached blocks read from disk.
    disk_read => disk_blocks_read,
    /// Counts `n` injected task failures.
    injected_failures => injected_task_failures,
    /// Counts `n` injected block losses.
    injected_losses => injected_block_losses,
    /// Counts `n` attempts run again over a finer split of their input.
    oom_retries => oom_retries,
}

impl Metrics {
    /// Counts a job and returns its id.
    pub fn new_job(&self) -> usize {
        self.counters.jobs.fetch_add(1, Ordering::Relaxed);
        self.next_job_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Time since the context started.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// Logs a finished task attempt.
    pub fn log_task(&self, record: TaskRecord) {
        push_bounded(&self.tasks, TASK_LOG_CAPACITY, record);
    }

    /// Logs a finished stage.
    pub fn log_stage(&self, record: StageRecord) {
        push_bounded(&self.stages, STAGE_LOG_CAPACITY, record);
    }

    /// Logs a finished job.
    pub fn log_job(&self, record: JobRecord) {
        push_bounded(&self.jobs, STAGE_LOG_CAPACITY, record);
    }

    /// The latest task attempts, oldest first.
    pub fn task_log(&self) -> Vec<TaskRecord> {
        read_log(&self.tasks)
    }

    /// The latest stages, oldest first.
    pub fn stage_log(&self) -> Vec<StageRecord> {
        read_log(&self.stages)
    }

    /// The latest jobs, oldest first.
    pub fn job_log(&self) -> Vec<JobRecord> {
        read_log(&self.jobs)
    }

    /// Reads all counters.
    pub fn snapshot(&self) -> MetricsSnapshot {
        self.counters.snapshot()
    }
}

/// Adds a stage's totals into a job's.
pub(crate) fn add_totals(job: &Mutex<WorkTotals>, stage: &WorkTotals) {
    job.lock().unwrap_or_else(|e| e.into_inner()).add(stage);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lists_the_required_fields_first() {
        let metrics = Metrics::default();
        metrics.new_job();
        metrics.attempts(3);
        metrics.failed_attempts(1);
        let json = metrics.snapshot().to_json();
        assert!(
            json.starts_with(
                "{\"jobs\":1,\"stages\":0,\"tasks\":0,\"task_attempts\":3,\"failed_attempts\":1,\"recomputed_partitions\":0,"
            ),
            "{json}"
        );
        assert!(
            json.ends_with("\"injected_block_losses\":0,\"oom_retries\":0}"),
            "{json}"
        );
    }

    #[test]
    fn logs_are_bounded() {
        let metrics = Metrics::default();
        for i in 0..TASK_LOG_CAPACITY + 5 {
            metrics.log_task(TaskRecord {
                job_id: 0,
                stage_id: 0,
                partition: i,
                attempt: 0,
                start: Duration::ZERO,
                end: Duration::ZERO,
                rows: 0,
                succeeded: true,
                error: None,
                worker: None,
            });
        }
        let log = metrics.task_log();
        assert_eq!(log.len(), TASK_LOG_CAPACITY);
        assert_eq!(log.first().map(|r| r.partition), Some(5));
    }
}
