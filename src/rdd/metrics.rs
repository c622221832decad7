//! Counters of the scheduler's work, updated with atomics and read as a
//! [`MetricsSnapshot`].

use std::sync::atomic::{AtomicUsize, Ordering};

/// Live counters, shared by all jobs of a context.
#[derive(Debug, Default)]
pub struct Metrics {
    jobs: AtomicUsize,
    stages: AtomicUsize,
    tasks: AtomicUsize,
    task_attempts: AtomicUsize,
    failed_attempts: AtomicUsize,
    recomputed_partitions: AtomicUsize,
}

/// Totals since the context was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MetricsSnapshot {
    /// Jobs submitted.
    pub jobs: usize,
    /// Stages run (result stages, and shuffle map stages that had work to do).
    pub stages: usize,
    /// Tasks launched (one per partition a stage runs).
    pub tasks: usize,
    /// Task attempts, including retries.
    pub task_attempts: usize,
    /// Attempts that returned an error or panicked.
    pub failed_attempts: usize,
    /// Map partitions recomputed from lineage because their shuffle blocks were lost.
    pub recomputed_partitions: usize,
}

impl Metrics {
    /// Counts a job.
    pub fn job(&self) {
        self.jobs.fetch_add(1, Ordering::Relaxed);
    }
    /// Counts a stage.
    pub fn stage(&self) {
        self.stages.fetch_add(1, Ordering::Relaxed);
    }
    /// Counts a task.
    pub fn task(&self) {
        self.tasks.fetch_add(1, Ordering::Relaxed);
    }
    /// Counts a task attempt.
    pub fn attempt(&self) {
        self.task_attempts.fetch_add(1, Ordering::Relaxed);
    }
    /// Counts a failed attempt.
    pub fn failed_attempt(&self) {
        self.failed_attempts.fetch_add(1, Ordering::Relaxed);
    }
    /// Counts `n` recomputed map partitions.
    pub fn recomputed(&self, n: usize) {
        self.recomputed_partitions.fetch_add(n, Ordering::Relaxed);
    }
    /// Reads all counters.
    pub fn snapshot(&self) -> MetricsSnapshot {
        MetricsSnapshot {
            jobs: self.jobs.load(Ordering::Relaxed),
            stages: self.stages.load(Ordering::Relaxed),
            tasks: self.tasks.load(Ordering::Relaxed),
            task_attempts: self.task_attempts.load(Ordering::Relaxed),
            failed_attempts: self.failed_attempts.load(Ordering::Relaxed),
            recomputed_partitions: self.recomputed_partitions.load(Ordering::Relaxed),
        }
    }
}

impl MetricsSnapshot {
    /// Counter-wise difference `self - earlier` (saturating), for measuring one job.
    pub fn since(&self, earlier: &MetricsSnapshot) -> MetricsSnapshot {
        MetricsSnapshot {
            jobs: self.jobs.saturating_sub(earlier.jobs),
            stages: self.stages.saturating_sub(earlier.stages),
            tasks: self.tasks.saturating_sub(earlier.tasks),
            task_attempts: self.task_attempts.saturating_sub(earlier.task_attempts),
            failed_attempts: self.failed_attempts.saturating_sub(earlier.failed_attempts),
            recomputed_partitions: self
                .recomputed_partitions
                .saturating_sub(earlier.recomputed_partitions),
        }
    }
}
