//! What a running task knows about itself: its job, stage, partition and attempt,
//! and its job's cancel token.
//!
//! In: filled in by the scheduler for each attempt. Out: passed to every
//! partition function, so closures can tell retries apart, and to block reads,
//! so fault injection can spare a task's last attempt.

use std::sync::Arc;

use crate::rdd::cancel::CancelToken;
use crate::rdd::progress::ProgressCounters;

/// Identity of one task attempt.
#[derive(Debug, Clone)]
pub struct TaskContext {
    /// The job the task runs for.
    pub job_id: usize,
    /// The stage the task belongs to.
    pub stage_id: usize,
    /// The partition the task computes.
    pub partition: usize,
    /// 0 for the first attempt, then 1, 2, ...
    pub attempt: usize,
    /// Attempts allowed for this task (at least 1).
    pub max_attempts: usize,
    /// The job's cancel token: long-running task code checks it between items.
    pub cancel: CancelToken,
    /// The job's progress counters, where sources add the rows they read.
    progress: Option<Arc<ProgressCounters>>,
}

/// Two contexts are equal when they name the same attempt of the same task.
impl PartialEq for TaskContext {
    fn eq(&self, other: &Self) -> bool {
        (
            self.job_id,
            self.stage_id,
            self.partition,
            self.attempt,
            self.max_attempts,
        ) == (
            other.job_id,
            other.stage_id,
            other.partition,
            other.attempt,
            other.max_attempts,
        )
    }
}

impl Eq for TaskContext {}

impl TaskContext {
    /// The context of one attempt.
    pub fn new(
        job_id: usize,
        stage_id: usize,
        partition: usize,
        attempt: usize,
        max_attempts: usize,
    ) -> Self {
        TaskContext {
            job_id,
            stage_id,
            partition,
            attempt,
            max_attempts: max_attempts.max(1),
            cancel: CancelToken::new(),
            progress: None,
        }
    }

    /// The same attempt, counting into its job's `progress`.
    pub(crate) fn with_progress(mut self, progress: Arc<ProgressCounters>) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Counts rows a source read, for the job's progress.
    pub fn add_rows_read(&self, rows: u64) {
        if let Some(p) = &self.progress {
            p.add_rows_read(rows);
        }
    }

    /// The same attempt, stopped by `cancel`.
    pub fn with_cancel(mut self, cancel: CancelToken) -> Self {
        self.cancel = cancel;
        self
    }

    /// Whether a failure of this attempt fails the job.
    pub fn is_last_attempt(&self) -> bool {
        self.attempt + 1 >= self.max_attempts
    }
}
