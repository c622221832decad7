//! Writing data out: rows into files (COPY TO, the DataFrame writer, INSERT INTO a
//! table of files) as jobs with Spark's commit protocol, and rows into tables Ember
//! owns (INSERT, UPDATE, CREATE TABLE AS).
//!
//! A tour, in the order data flows:
//! - [`options`]: [`WriteOptions`] — format, [`SaveMode`], partition columns,
//!   compression, CSV header and delimiter, rows per file.
//! - [`job`]: [`write_rdd`] runs one task per partition and commits the job.
//! - [`task`]: a task's batches into files, split by partition folders and the row
//!   limit per file.
//! - [`sink`]: one file being written (Parquet, CSV or JSON lines).
//! - [`commit`]: the commit protocol — staging folder, task attempts, job commit
//!   by rename, abort.
//! - [`concat`]: the parts of a single-file target joined at job commit.
//! - [`conform`]: rows converted to a table's column types and checked against its
//!   NOT NULL, length and unique constraints, with errors naming the row.
//!
//! May import: `arrow`, `parquet`, `crate::rdd` (jobs), `crate::sources` (Hive
//! folder names), `crate::expr::cast` and `crate::error`. Knows no SQL.

pub mod commit;
pub mod concat;
pub mod conform;
pub mod job;
pub mod options;
pub mod sink;
pub mod task;

pub use job::{WriteSummary, write_rdd};
pub use options::{Compression, SaveMode, WriteFormat, WriteOptions};
