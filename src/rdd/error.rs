//! The RDD layer's errors, and whether retrying a task can cure them.
//!
//! In: failures raised by the layer itself (a lost shuffle block, a panic, an injected
//! fault, a spill file that cannot be written, a task out of attempts) and the errors
//! of the closures it runs, carried untouched as a boxed [`std::error::Error`] with a
//! [`Failure`] classification chosen by whoever raised them.
//! Out: [`RddError`], which the scheduler matches on: a lost block is recomputed
//! from lineage, a transient fault is retried, a deterministic error fails the job at
//! once, and a task short of memory may run again over a finer split of its input.
//! Imports only std: the layer knows nothing of the errors above it.

use std::path::PathBuf;

/// Any error a closure run by the RDD layer may return.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Result alias for the RDD layer.
pub type Result<T, E = RddError> = std::result::Result<T, E>;

/// Whether a failed task may succeed when it runs again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The fault may not recur (lost data, I/O, a panic): the task is retried.
    Transient,
    /// The same input fails the same way (division by zero, bad data, a failed
    /// cast): the job fails at once.
    Deterministic,
    /// The task needed more of a bounded resource (memory, spill space) than it could
    /// get: the same input fails the same way, but a smaller part of it may fit, so a
    /// task whose input can be split runs again over a finer split.
    ResourcesExhausted,
}

/// What a task or job of the RDD layer can fail with.
#[derive(Debug, thiserror::Error)]
pub enum RddError {
    /// A shuffle block a task reads is gone; its map output is recomputed from
    /// lineage and the task runs again.
    #[error("shuffle block missing: shuffle {shuffle}, map {map}, reduce {reduce}")]
    FetchFailed {
        /// The shuffle.
        shuffle: usize,
        /// The map partition that wrote the block.
        map: usize,
        /// The reduce partition reading it.
        reduce: usize,
    },
    /// A task failed on every attempt, so its job failed.
    #[error(
        "job failed: task {task} of stage {stage} failed {attempts} times; last error: {cause}"
    )]
    TaskFailed {
        /// Stage id.
        stage: usize,
        /// Partition.
        task: usize,
        /// Attempts made.
        attempts: usize,
        /// The last attempt's error.
        cause: Box<RddError>,
    },
    /// A task short of memory still failed with its input split as finely as allowed.
    #[error("{cause}; splitting the input of {rdd} {parts} ways did not make it fit")]
    SplitLimit {
        /// The splittable RDD whose input was split, as `name [id]`.
        rdd: String,
        /// The parts of the finest split tried.
        parts: usize,
        /// The error of the last attempt.
        cause: Box<RddError>,
    },
    /// The job was cancelled before it finished.
    #[error("query cancelled: {0}")]
    Cancelled(String),
    /// A task needed more of a bounded resource (memory, disk) than it could get.
    #[error("resources exhausted: {0}")]
    ResourcesExhausted(String),
    /// A task panicked.
    #[error("task panicked: {0}")]
    Panicked(String),
    /// Fault injection failed the attempt before it ran.
    #[error("injected task failure (stage {stage}, partition {partition}, attempt {attempt})")]
    InjectedFailure {
        /// Stage id.
        stage: usize,
        /// Partition.
        partition: usize,
        /// Attempt number, from 0.
        attempt: usize,
    },
    /// A file of the layer (an input, a spilled block) could not be read or written.
    #[error("I/O error on '{path}': {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// An input file holds something other than what was expected.
    #[error("bad data in '{path}': {message}")]
    Data {
        /// The file.
        path: String,
        /// What is wrong, and where.
        message: String,
    },
    /// A request the layer cannot serve (partition counts that do not match, a block
    /// codec that cannot spill asked to).
    #[error("{0}")]
    Invalid(String),
    /// A broken invariant of the layer (a bug).
    #[error("internal error: {0}")]
    Internal(String),
    /// The error of a closure the layer ran, untouched.
    #[error("{error}")]
    User {
        /// The error as its closure returned it.
        error: BoxError,
        /// Whether a retry may cure it.
        failure: Failure,
    },
}

impl RddError {
    /// A closure's error that may not recur: the task is retried.
    pub fn transient(error: impl Into<BoxError>) -> Self {
        RddError::User {
            error: error.into(),
            failure: Failure::Transient,
        }
    }

    /// A closure's error that recurs on retry: the job fails at once.
    pub fn deterministic(error: impl Into<BoxError>) -> Self {
        RddError::User {
            error: error.into(),
            failure: Failure::Deterministic,
        }
    }

    /// A closure's error from running short of memory (or another bounded resource):
    /// a task whose input can be split runs again over a finer split.
    pub fn resources_exhausted(error: impl Into<BoxError>) -> Self {
        RddError::User {
            error: error.into(),
            failure: Failure::ResourcesExhausted,
        }
    }

    /// A broken invariant.
    pub fn internal(message: impl Into<String>) -> Self {
        RddError::Internal(message.into())
    }

    /// A request the layer cannot serve.
    pub fn invalid(message: impl Into<String>) -> Self {
        RddError::Invalid(message.into())
    }

    /// An I/O error on a path.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        RddError::Io {
            path: path.into(),
            source,
        }
    }

    /// Whether running the task again may succeed.
    pub fn failure(&self) -> Failure {
        match self {
            RddError::FetchFailed { .. }
            | RddError::Panicked(_)
            | RddError::InjectedFailure { .. }
            | RddError::Io { .. } => Failure::Transient,
            // A failed task already used its attempts (a nested job's, say); a
            // cancelled job stays cancelled; exhausting a budget recurs under it.
            RddError::TaskFailed { .. }
            | RddError::SplitLimit { .. }
            | RddError::Cancelled(_)
            | RddError::Data { .. }
            | RddError::Invalid(_)
            | RddError::Internal(_) => Failure::Deterministic,
            RddError::ResourcesExhausted(_) => Failure::ResourcesExhausted,
            RddError::User { failure, .. } => *failure,
        }
    }

    /// Whether running the task again may succeed.
    pub fn is_transient(&self) -> bool {
        self.failure() == Failure::Transient
    }

    /// Whether the task ran short of a bounded resource (a smaller input may fit).
    pub fn is_resources_exhausted(&self) -> bool {
        self.failure() == Failure::ResourcesExhausted
    }

    /// A copy of the error for a second owner: the same variant and text, with a
    /// closure's error kept as its text (errors are not `Clone` in general).
    pub fn duplicate(&self) -> RddError {
        match self {
            RddError::FetchFailed {
                shuffle,
                map,
                reduce,
            } => RddError::FetchFailed {
                shuffle: *shuffle,
                map: *map,
                reduce: *reduce,
            },
            RddError::TaskFailed {
                stage,
                task,
                attempts,
                cause,
            } => RddError::TaskFailed {
                stage: *stage,
                task: *task,
                attempts: *attempts,
                cause: Box::new(cause.duplicate()),
            },
            RddError::SplitLimit { rdd, parts, cause } => RddError::SplitLimit {
                rdd: rdd.clone(),
                parts: *parts,
                cause: Box::new(cause.duplicate()),
            },
            RddError::Cancelled(m) => RddError::Cancelled(m.clone()),
            RddError::ResourcesExhausted(m) => RddError::ResourcesExhausted(m.clone()),
            RddError::Panicked(m) => RddError::Panicked(m.clone()),
            RddError::InjectedFailure {
                stage,
                partition,
                attempt,
            } => RddError::InjectedFailure {
                stage: *stage,
                partition: *partition,
                attempt: *attempt,
            },
            RddError::Io { path, source } => RddError::Io {
                path: path.clone(),
                source: std::io::Error::new(source.kind(), source.to_string()),
            },
            RddError::Data { path, message } => RddError::Data {
                path: path.clone(),
                message: message.clone(),
            },
            RddError::Invalid(m) => RddError::Invalid(m.clone()),
            RddError::Internal(m) => RddError::Internal(m.clone()),
            RddError::User { error, failure } => RddError::User {
                error: error.to_string().into(),
                failure: *failure,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_by_variant() {
        let lost = RddError::FetchFailed {
            shuffle: 1,
            map: 2,
            reduce: 3,
        };
        assert!(lost.is_transient());
        assert_eq!(
            lost.to_string(),
            "shuffle block missing: shuffle 1, map 2, reduce 3"
        );
        assert!(RddError::Panicked("boom".into()).is_transient());
        assert!(!RddError::Cancelled("by the user".into()).is_transient());
        let short = RddError::ResourcesExhausted("memory".into());
        assert!(!short.is_transient());
        assert!(short.is_resources_exhausted());
        assert!(!RddError::Panicked("boom".into()).is_resources_exhausted());
        let split = RddError::SplitLimit {
            rdd: "Window [7]".into(),
            parts: 16,
            cause: Box::new(short.duplicate()),
        };
        // Out of splits, the job fails as it is: no further retry can cure it.
        assert_eq!(split.failure(), Failure::Deterministic);
        assert_eq!(
            split.duplicate().to_string(),
            "resources exhausted: memory; splitting the input of Window [7] 16 ways did not make it fit"
        );
        let failed = RddError::TaskFailed {
            stage: 0,
            task: 1,
            attempts: 4,
            cause: Box::new(lost),
        };
        assert!(!failed.is_transient());
        assert!(
            failed
                .to_string()
                .ends_with("last error: shuffle block missing: shuffle 1, map 2, reduce 3")
        );
    }

    #[test]
    fn a_closure_error_passes_through_untouched() {
        let error = RddError::deterministic(std::fmt::Error);
        assert!(!error.is_transient());
        assert_eq!(error.to_string(), std::fmt::Error.to_string());
        let RddError::User { error, .. } = error else {
            panic!("expected a user error");
        };
        assert!(error.downcast::<std::fmt::Error>().is_ok());
        let copy = RddError::transient("disk hiccup").duplicate();
        assert!(copy.is_transient());
        assert_eq!(copy.to_string(), "disk hiccup");
    }
}
