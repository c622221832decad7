//! The runtime's error type: one enum, variants by kind, each rendering as one line.

use std::path::PathBuf;

use ember_planner::PlanError;
pub use ember_planner::error::Location;

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
    /// A query failed while running (division by zero, a failed cast, ...).
    #[error("execution error: {0}")]
    Execution(String),
    /// A task failed more often than allowed, so its job failed.
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
        cause: String,
    },
    /// A feature the runtime does not support.
    #[error("not supported: {0}")]
    Unsupported(String),
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
    /// Malformed data in a file.
    pub fn data(path: impl Into<String>, message: impl Into<String>) -> Self {
        EmberError::Data {
            path: path.into(),
            message: message.into(),
        }
    }
}
