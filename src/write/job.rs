//! A write job: the partitions of an RDD of batches written to a path, one task per
//! partition, under the commit protocol of [`crate::write::commit`].
//!
//! In: the RDD, its columns (user names), the target path and [`WriteOptions`]. Out: a
//! [`WriteSummary`] once the files are in place — or an error, with the target as it
//! was and no staging left. A path naming a file of the format's extension (and no
//! partition columns) gets one file, which the job commit concatenates from the
//! tasks' parts; any other path is a folder of `part-*` files.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{Field, Schema, SchemaRef};

use crate::error::{EmberError, Result};
use crate::rdd::{Rdd, RddError};
use crate::write::commit::WriteJob;
use crate::write::concat::concat_files;
use crate::write::options::{WriteFormat, WriteOptions};
use crate::write::sink::FileSink;
use crate::write::task::TaskWriter;

/// Where in a write task fault injection may strike: after its files are written,
/// before they are committed.
const FAULT_AFTER_WRITING: u64 = 1;

/// What a write job did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteSummary {
    /// Rows written.
    pub rows: usize,
    /// Files now at the target from this job.
    pub files: usize,
    /// True when nothing was written because the target existed (save mode Ignore).
    pub skipped: bool,
}

/// Writes every row of `rdd` (columns `schema`) to `path`.
pub fn write_rdd(
    rdd: &Rdd<RecordBatch>,
    schema: &SchemaRef,
    path: &str,
    options: &WriteOptions,
) -> Result<WriteSummary> {
    options.validate()?;
    let schema = output_schema(schema)?;
    let partition_columns = partition_columns(&schema, &options.partition_by)?;
    let target = PathBuf::from(path);
    let single_file = partition_columns.is_empty()
        && options.single_file.unwrap_or_else(|| {
            !path.ends_with('/') && !target.is_dir() && WriteFormat::from_extension(path).is_some()
        });
    let Some(job) = WriteJob::setup(&target, options.mode)? else {
        return Ok(WriteSummary {
            skipped: true,
            ..WriteSummary::default()
        });
    };
    // Parts of one file carry no header of their own: the commit writes it once.
    let mut task_options = options.clone();
    if single_file {
        task_options.header = false;
        task_options.max_rows_per_file = 0;
    }
    let context = rdd.context().clone();
    // Each task writes a file per folder it sees: a scan's many small partitions
    // (a Parquet row group each) are written by two tasks per worker thread, each
    // reading a run of them, so that the files are few and large.
    let tasks = 2 * context.config().threads.max(1);
    let coalesced;
    let rdd = if rdd.num_partitions() > tasks {
        coalesced = rdd.coalesce(tasks);
        &coalesced
    } else {
        rdd
    };
    let ran = context.run_job(rdd, |task, batches| {
        let dir = job.setup_task(task.partition, task.attempt)?;
        let result = (|| -> std::result::Result<usize, RddError> {
            let mut writer = TaskWriter::new(
                dir,
                &task_options,
                task.partition,
                job.job_id(),
                &schema,
                partition_columns.clone(),
            )?;
            for batch in batches {
                let batch = RecordBatch::try_new(schema.clone(), batch?.columns().to_vec())?;
                writer.write(&batch)?;
            }
            let rows = writer.close()?.iter().map(|(_, n)| n).sum();
            context.inject_fault_at(task, FAULT_AFTER_WRITING)?;
            job.commit_task(task.partition, task.attempt)?;
            Ok(rows)
        })();
        if result.is_err() {
            job.abort_task(task.partition, task.attempt);
        }
        result
    });
    let rows: usize = match ran {
        Ok(counts) => counts.iter().sum(),
        Err(e) => {
            job.abort();
            return Err(e.into());
        }
    };
    let files = if single_file {
        job.commit_file(|parts, out| finish_file(parts, out, &schema, options))?;
        1
    } else {
        if rows == 0 && partition_columns.is_empty() {
            // An empty result still leaves a readable folder: one file with the columns.
            empty_part(&job, rdd.num_partitions(), &schema, options)?;
        }
        job.commit_folder()?.files.len()
    };
    Ok(WriteSummary {
        rows,
        files,
        skipped: false,
    })
}

/// The columns as files carry them: the user's names, all nullable; two columns of
/// one name are refused (a file could not tell them apart).
fn output_schema(schema: &SchemaRef) -> Result<SchemaRef> {
    let mut seen = std::collections::HashSet::new();
    let mut fields = Vec::with_capacity(schema.fields().len());
    for f in schema.fields() {
        if !seen.insert(f.name().to_ascii_lowercase()) {
            return Err(EmberError::execution(format!(
                "the output has two columns named '{}'; give them distinct names (AS ...)",
                f.name()
            )));
        }
        fields.push(Field::new(f.name(), f.data_type().clone(), true));
    }
    if fields.is_empty() {
        return Err(EmberError::execution("the output has no columns to write"));
    }
    Ok(Arc::new(Schema::new(fields)))
}

/// Positions of the partition columns, by name (any case).
fn partition_columns(schema: &SchemaRef, names: &[String]) -> Result<Vec<usize>> {
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let Some(i) = schema
            .fields()
            .iter()
            .position(|f| f.name().eq_ignore_ascii_case(name))
        else {
            let columns: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            return Err(EmberError::execution(format!(
                "partition column '{name}' is not a column of the output ({})",
                columns.join(", ")
            )));
        };
        if out.contains(&i) {
            return Err(EmberError::execution(format!(
                "partition column '{name}' is named twice"
            )));
        }
        out.push(i);
    }
    if !out.is_empty() && out.len() == schema.fields().len() {
        return Err(EmberError::execution(
            "every column is a partition column; the files would hold no data",
        ));
    }
    Ok(out)
}

/// Builds the one output file at `out` from the tasks' parts.
fn finish_file(
    parts: &[PathBuf],
    out: &Path,
    schema: &SchemaRef,
    options: &WriteOptions,
) -> Result<()> {
    let header = options.format == WriteFormat::Csv && options.header;
    match parts {
        [one] if !header => std::fs::rename(one, out).map_err(|e| EmberError::io(out, e)),
        _ => concat_files(parts, out, schema, options),
    }
}

/// One empty file as the output of a task number no task used (`task`), so an empty
/// result is still a readable folder.
fn empty_part(
    job: &WriteJob,
    task: usize,
    schema: &SchemaRef,
    options: &WriteOptions,
) -> Result<()> {
    let dir = job.setup_task(task, 0)?;
    let path = dir.join(format!(
        "part-{task:05}-{}-c000.{}",
        job.job_id(),
        options.format.extension()
    ));
    let mut sink = FileSink::create(&path, schema, options)?;
    sink.write(&RecordBatch::new_empty(schema.clone()))?;
    sink.close()?;
    job.commit_task(task, 0)
}
