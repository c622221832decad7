//! What a running task knows about itself: its job, stage, partition and attempt,
//! its job's cancel token, and how its input is split when it runs again short of
//! memory.
//!
//! In: filled in by the scheduler for each attempt (and, for the part of a split
//! input being computed, by the splittable RDDs in the task, see [`crate::rdd::split`]).
//! Out: passed to every partition function, so closures can tell retries and parts
//! apart, and to block reads, so fault injection can spare a task's last attempt.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::rdd::cancel::CancelToken;
use crate::rdd::progress::ProgressCounters;
use crate::rdd::split::{InputPart, SplitTracker};

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
    /// The task's runs so far, this one included: every attempt, retry over a split
    /// input and retry after lost shuffle output counts (1 for the first run).
    pub run: usize,
    /// The job's cancel token: long-running task code checks it between items.
    pub cancel: CancelToken,
    /// Whether this computation gives items already computed in this run: below a
    /// split point, for every part after the first (each part reads all of the input
    /// below it again).
    pub repeat: bool,
    /// The part of its input a splittable RDD's closure runs over, when the task runs
    /// with that input split; `None` when it runs over all of it.
    pub input_part: Option<InputPart>,
    /// The job's progress counters, where sources add the rows they read.
    progress: Option<Arc<ProgressCounters>>,
    /// How many parts each splittable RDD of the task splits its input into, by RDD
    /// id (absent: one, unsplit).
    splits: Arc<BTreeMap<usize, usize>>,
    /// The part being computed at each split point below, by the split point's id.
    parts: Vec<(usize, InputPart)>,
    /// Where the attempt's splittable RDDs note a failure short of memory as theirs.
    tracker: Arc<SplitTracker>,
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
            run: 1,
            repeat: false,
            cancel: CancelToken::new(),
            input_part: None,
            progress: None,
            splits: Arc::default(),
            parts: Vec::new(),
            tracker: Arc::default(),
        }
    }

    /// The same attempt, as the task's `run`th run.
    pub(crate) fn with_run(mut self, run: usize) -> Self {
        self.run = run;
        self
    }

    /// The same attempt, with the input of each splittable RDD in `splits` (by id)
    /// split into that many parts.
    pub(crate) fn with_splits(mut self, splits: BTreeMap<usize, usize>) -> Self {
        self.splits = Arc::new(splits);
        self
    }

    /// Parts the splittable RDD `rdd` splits its input into (1: unsplit).
    pub(crate) fn split_parts(&self, rdd: usize) -> usize {
        self.splits.get(&rdd).copied().unwrap_or(1).max(1)
    }

    /// The context in which a splittable RDD computes `part` of its input: the split
    /// point `point` keeps only that part, and the closure sees it as its input part
    /// (`None`: all of the input).
    pub(crate) fn in_part(&self, point: usize, part: Option<InputPart>) -> TaskContext {
        let mut sub = self.clone();
        sub.parts.retain(|(p, _)| *p != point);
        if let Some(part) = part {
            sub.parts.push((point, part));
        }
        sub.input_part = part;
        sub
    }

    /// The same context, marked as repeating items already computed when `repeat`
    /// (it stays so for everything computed below).
    pub(crate) fn repeating(&self, repeat: bool) -> TaskContext {
        let mut sub = self.clone();
        sub.repeat |= repeat;
        sub
    }

    /// The part the split point `point` keeps, if its input is split.
    pub(crate) fn part_at(&self, point: usize) -> Option<InputPart> {
        self.parts
            .iter()
            .find(|(p, _)| *p == point)
            .map(|(_, part)| *part)
    }

    /// Where the attempt's splittable RDDs note a failure short of memory as theirs.
    pub(crate) fn split_tracker(&self) -> &Arc<SplitTracker> {
        &self.tracker
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
