//! How far a running job has got: stages and tasks done out of those it needs, and
//! the rows its sources have read.
//!
//! In: the scheduler counts the stages and tasks a job needs when it starts (the
//! shuffles whose map output is missing, and the result partitions), more as
//! stages start inside the job, and each finished stage and task; sources add the
//! rows they read through their [`crate::rdd::TaskContext`]. Out: a
//! [`JobProgress`] snapshot of each running job, which a shell polls to draw a bar.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

/// Live counters of one job, updated from task threads.
#[derive(Debug, Default)]
pub struct ProgressCounters {
    stages_planned: AtomicUsize,
    stages_started: AtomicUsize,
    stages_done: AtomicUsize,
    tasks_planned: AtomicUsize,
    tasks_started: AtomicUsize,
    tasks_done: AtomicUsize,
    rows_read: AtomicU64,
}

impl ProgressCounters {
    /// Counts the stages and tasks the job is known to need before it runs.
    pub(crate) fn plan(&self, stages: usize, tasks: usize) {
        self.stages_planned.store(stages, Ordering::Relaxed);
        self.tasks_planned.store(tasks, Ordering::Relaxed);
    }

    pub(crate) fn stage_started(&self, tasks: usize) {
        self.stages_started.fetch_add(1, Ordering::Relaxed);
        self.tasks_started.fetch_add(tasks, Ordering::Relaxed);
    }

    pub(crate) fn stage_done(&self) {
        self.stages_done.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn task_done(&self) {
        self.tasks_done.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds rows read by a source.
    pub fn add_rows_read(&self, rows: u64) {
        self.rows_read.fetch_add(rows, Ordering::Relaxed);
    }

    /// The counters now, for the job `job_id` that has run for `elapsed`.
    pub(crate) fn snapshot(&self, job_id: usize, elapsed: Duration) -> JobProgress {
        let load = |a: &AtomicUsize| a.load(Ordering::Relaxed);
        let stages_done = load(&self.stages_done);
        let tasks_done = load(&self.tasks_done);
        JobProgress {
            job_id,
            // Stages started inside the job (its iterations) raise the totals.
            stages_total: load(&self.stages_planned)
                .max(load(&self.stages_started))
                .max(stages_done),
            stages_done,
            tasks_total: load(&self.tasks_planned)
                .max(load(&self.tasks_started))
                .max(tasks_done),
            tasks_done,
            rows_read: self.rows_read.load(Ordering::Relaxed),
            elapsed,
        }
    }
}

/// One running job's progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobProgress {
    /// The job.
    pub job_id: usize,
    /// Stages finished.
    pub stages_done: usize,
    /// Stages the job needs, as known now.
    pub stages_total: usize,
    /// Tasks finished.
    pub tasks_done: usize,
    /// Tasks the job needs, as known now.
    pub tasks_total: usize,
    /// Rows its sources have read.
    pub rows_read: u64,
    /// Time since the job started.
    pub elapsed: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_grow_with_stages_started_inside_the_job() {
        let p = ProgressCounters::default();
        p.plan(2, 10);
        p.stage_started(8);
        p.task_done();
        p.add_rows_read(500);
        let s = p.snapshot(3, Duration::from_secs(1));
        assert_eq!((s.stages_done, s.stages_total), (0, 2));
        assert_eq!((s.tasks_done, s.tasks_total), (1, 10));
        assert_eq!(s.rows_read, 500);
        p.stage_started(4);
        p.stage_started(4);
        p.stage_done();
        let s = p.snapshot(3, Duration::from_secs(2));
        assert_eq!((s.stages_done, s.stages_total), (1, 3));
        assert_eq!(s.tasks_total, 16);
    }
}
