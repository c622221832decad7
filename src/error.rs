//! The runtime's error type: one enum, variants by kind, each rendering as one line.
//!
//! Also the bridge to the RDD layer's [`RddError`], which knows nothing of this type:
//! an `EmberError` raised inside a task travels through the layer untouched (boxed,
//! classed transient or deterministic by [`EmberError::failure`]) and comes back
//! as itself; the layer's own failures come back as [`EmberError::Job`].

use std::path::PathBuf;

use ember_planner::PlanError;
pub use ember_planner::error::Location;

use crate::rdd::{Failure, RddError};

/// Errors from parsing, planning, reading data or running a job.
#[derive(Debug, thiserror::Error)]
pub enum EmberError {
    /// Parsing, name resolution, typing or planning failed.
    #[error("{0}")]
    Plan(#[from] PlanError),
    /// A file could not be read or written.
    #[error("I/O error on '{path}': {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A data file is malformed or not what was expected.
    #[error("bad data in '{path}': {message}")]
    Data {
        /// The file.
        path: String,
        /// What is wrong, with row or column where known.
        message: String,
    },
    /// An Arrow kernel failed.
    #[error("arrow error: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// A Parquet file could not be decoded.
    #[error("parquet error: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// A query failed while running (division by zero, a failed cast, ...); the
    /// message is the cause.
    #[error("{0}")]
    Execution(String),
    /// A setting or option was given a name or value it does not take.
    #[error("{0}")]
    Config(String),
    /// The RDD layer failed a job: a task out of attempts, a cancelled job, a lost
    /// block that kept vanishing, ...
    #[error(transparent)]
    Job(RddError),
    /// An operator could not reserve the memory (or spill space) it needed.
    #[error(transparent)]
    ResourcesExhausted(#[from] crate::memory::pool::ResourcesExhausted),
    /// A feature the runtime does not support.
    #[error("not supported: {0}")]
    Unsupported(String),
    /// Remote mode cannot express part of a query for the Spark cluster (a function
    /// with no Spark equivalent, rows held in memory, ...); nothing was sent.
    #[error("cannot run remotely: {0}")]
    Untranslatable(String),
    /// The Spark Connect server could not be reached, refused the request or failed
    /// the query; the message is its first line.
    #[error("remote: {0}")]
    Remote(String),
    /// A broken invariant (a bug).
    #[error("internal error: {0}")]
    Internal(String),
}

/// Result alias for the runtime.
pub type Result<T, E = EmberError> = std::result::Result<T, E>;

impl EmberError {
    /// An execution error.
    pub fn execution(message: impl Into<String>) -> Self {
        EmberError::Execution(message.into())
    }
    /// An internal error.
    pub fn internal(message: impl Into<String>) -> Self {
        EmberError::Internal(message.into())
    }
    /// An I/O error on a path.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        EmberError::Io {
            path: path.into(),
            source,
        }
    }
    /// A setting's error.
    pub fn config(message: impl Into<String>) -> Self {
        EmberError::Config(message.into())
    }
    /// Malformed data in a file.
    pub fn data(path: impl Into<String>, message: impl Into<String>) -> Self {
        EmberError::Data {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl EmberError {
    /// Whether a task that failed with this error may succeed when it runs again:
    /// I/O may; a division by zero, a failed cast, an overflow or bad data recur; an
    /// operator short of memory may fit over a smaller part of its input.
    pub fn failure(&self) -> Failure {
        match self {
            EmberError::Io { .. } => Failure::Transient,
            EmberError::Arrow(arrow::error::ArrowError::IoError(..)) => Failure::Transient,
            EmberError::Parquet(parquet::errors::ParquetError::External(e))
                if e.is::<std::io::Error>() =>
            {
                Failure::Transient
            }
            EmberError::ResourcesExhausted(_) => Failure::ResourcesExhausted,
            EmberError::Job(e) => e.failure(),
            _ => Failure::Deterministic,
        }
    }
}

/// An error raised inside a task enters the RDD layer boxed, untouched; one that came
/// from the layer goes back as it was (so a lost block is still recognised).
impl From<EmberError> for RddError {
    fn from(error: EmberError) -> Self {
        match error {
            EmberError::Job(e) => e,
            error => RddError::User {
                failure: error.failure(),
                error: Box::new(error),
            },
        }
    }
}

/// A job's error: a task's own `EmberError` comes back as itself, the layer's files
/// and bugs as the matching kinds, and the rest as [`EmberError::Job`]. An operator
/// short of memory even over the finest split of its task's input comes back as its
/// own [`EmberError::ResourcesExhausted`], saying how far the input was split.
impl From<RddError> for EmberError {
    fn from(error: RddError) -> Self {
        match error {
            RddError::SplitLimit { rdd, parts, cause } => match EmberError::from(*cause) {
                EmberError::ResourcesExhausted(mut refused) => {
                    refused.note = Some(Box::from(format!(
                        "still so with the task's input split {parts} ways, \
                         the most ember.memory.oom_max_split allows"
                    )));
                    EmberError::ResourcesExhausted(refused)
                }
                other => EmberError::Job(RddError::SplitLimit {
                    rdd,
                    parts,
                    cause: Box::new(other.into()),
                }),
            },
            RddError::User { error, failure } => match error.downcast::<EmberError>() {
                Ok(error) => *error,
                Err(error) => EmberError::Job(RddError::User { error, failure }),
            },
            RddError::Io { path, source } => EmberError::Io { path, source },
            RddError::Data { path, message } => EmberError::Data { path, message },
            RddError::Internal(message) => EmberError::Internal(message),
            other => EmberError::Job(other),
        }
    }
}

/// Arrow's errors inside tasks, for `?` in closures returning the RDD layer's result.
impl From<arrow::error::ArrowError> for RddError {
    fn from(error: arrow::error::ArrowError) -> Self {
        EmberError::from(error).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_error_round_trips_through_the_rdd_layer() {
        let original = EmberError::execution("division by zero in 1 / 0");
        let rdd: RddError = original.into();
        assert!(!rdd.is_transient());
        let back = EmberError::from(rdd);
        assert!(matches!(&back, EmberError::Execution(m) if m == "division by zero in 1 / 0"));

        let io = EmberError::io("/x", std::io::Error::other("disk"));
        assert!(RddError::from(io).is_transient());

        let lost = RddError::FetchFailed {
            shuffle: 0,
            map: 1,
            reduce: 2,
        };
        let through = RddError::from(EmberError::from(lost));
        assert!(matches!(through, RddError::FetchFailed { map: 1, .. }));
    }

    #[test]
    fn an_operator_short_of_memory_stays_typed_through_a_split_limit() {
        let refused = crate::memory::ResourcesExhausted {
            consumer: "Window (partition 1, part 1 of 16)".to_string(),
            resource: "memory",
            setting: "ember.memory.limit",
            wanted: 4 << 20,
            held: 0,
            cap: 1 << 20,
            limit_kind: "what is left of the limit",
            limit: 1 << 20,
            note: None,
        };
        let rdd = RddError::from(EmberError::ResourcesExhausted(refused));
        assert!(rdd.is_resources_exhausted());
        let failed = RddError::SplitLimit {
            rdd: "Window [9]".to_string(),
            parts: 16,
            cause: Box::new(rdd),
        };
        let back = EmberError::from(failed);
        let text = back.to_string();
        assert!(
            matches!(back, EmberError::ResourcesExhausted(ref r) if r.wanted == 4 << 20),
            "{text}"
        );
        assert!(
            text.contains("Window (partition 1, part 1 of 16)"),
            "{text}"
        );
        assert!(text.contains("could not reserve 4.0MiB"), "{text}");
        assert!(
            text.ends_with(
                "; still so with the task's input split 16 ways, the most ember.memory.oom_max_split allows"
            ),
            "{text}"
        );
    }
}
