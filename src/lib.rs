//! Ember: a SQL-first DataFrame query engine on Apache Arrow, with a Spark-like
//! execution layer of resilient distributed datasets on one machine.
//!
//! The data path, module by module:
//! - [`session`] and [`dataframe`]: the entry points — SQL text or DataFrame calls
//!   become a logical plan (crate `ember_planner`), which is optimized and turned
//!   into a physical plan.
//! - [`exec`]: lowers a physical plan into RDDs of Arrow record batches.
//! - [`explain`]: EXPLAIN text, and per-operator estimated and actual rows.
//! - [`report`]: one analyzed run as a self-contained HTML page (stages, task
//!   timeline, operators).
//! - [`rdd`]: lineage, the DAG scheduler (stages cut at shuffles, one task per
//!   partition on a thread pool), shuffles and the block manager. Knows no SQL.
//! - [`ops`]: columnar operators, batches in and batches out. Knows no RDDs.
//! - [`memory`]: the memory pool operators reserve from, and spill files.
//! - [`expr`]: evaluation of physical expressions with Arrow kernels.
//! - [`sources`]: Parquet, CSV, in-memory tables and the built-in TPC-H generator.
//! - [`write`]: files out (COPY TO, DataFrame writers) as jobs with a commit
//!   protocol, and rows into tables (INSERT, UPDATE, CREATE TABLE AS).
//! - [`writer`]: `df.write()` and `ctx.read()` in Spark's vocabulary.
//! - [`format`]: rendering results as tables, CSV or JSON.
//! - [`shell`]: the `ember` command-line shell.
//! - [`connect`]: `ember serve`, a Spark Connect server: PySpark programs run on Ember.
//! - `stack`: planning on a thread with a stack deep enough for nested expressions.
#![warn(missing_docs)]

pub mod config;
pub mod connect;
mod context;
mod copy;
pub mod dataframe;
mod dml;
pub mod error;
pub mod exec;
pub mod explain;
pub mod expr;
pub mod format;
pub mod memory;
pub mod ops;
pub mod rdd;
pub mod remote;
pub mod report;
pub mod session;
pub mod shell;
pub mod sources;
mod stack;
pub mod write;
pub mod writer;

pub use config::SessionConfig;
pub use dataframe::DataFrame;
pub use ember_planner as planner;
pub use ember_planner::logical::JoinKind;
pub use error::{EmberError, Result};
pub use session::SessionContext;
pub use write::SaveMode;
pub use writer::{DataFrameReader, DataFrameWriter};
