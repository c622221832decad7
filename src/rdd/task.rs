//! What a running task knows about itself: its stage, partition and attempt.
//!
//! In: filled in by the scheduler for each attempt. Out: passed to every
//! partition function, so closures can tell retries apart.

/// Identity of one task attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskContext {
    /// The stage the task belongs to.
    pub stage_id: usize,
    /// The partition the task computes.
    pub partition: usize,
    /// 0 for the first attempt, then 1, 2, ...
    pub attempt: usize,
}
