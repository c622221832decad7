//! What a running task knows about itself: its job, stage, partition and attempt.
//!
//! In: filled in by the scheduler for each attempt. Out: passed to every
//! partition function, so closures can tell retries apart, and to block reads,
//! so fault injection can spare a task's last attempt.

/// Identity of one task attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
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
}

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
        }
    }

    /// Whether a failure of this attempt fails the job.
    pub fn is_last_attempt(&self) -> bool {
        self.attempt + 1 >= self.max_attempts
    }
}
