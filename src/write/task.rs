//! The writing side of one task: its partition's batches become files in the task
//! attempt's folder.
//!
//! In: batches with every output column, the positions of the partition columns, and
//! [`WriteOptions`]. Out: files named `part-<task>-<job id>-c<n>.<ext>`, under
//! `col=value/` folders when there are partition columns (those columns are left out
//! of the files, as Hive does), each holding at most `max_rows_per_file` rows. A task
//! keeps one open file per partition folder it has seen.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, UInt32Array};
use arrow::compute::take_record_batch;
use arrow::datatypes::{Schema, SchemaRef};
use arrow::row::{RowConverter, SortField};
use arrow::util::display::{ArrayFormatter, FormatOptions};

use crate::error::{EmberError, Result};
use crate::sources::hive;
use crate::write::options::WriteOptions;
use crate::write::sink::FileSink;

/// Bytes one task's open Parquet files may hold in unfinished row groups together.
const BUFFER_BUDGET: usize = 64 << 20;

/// The open file of one folder (with its index in the list of files written), and
/// how many files the folder has had.
struct OpenFile {
    sink: Option<(FileSink, usize)>,
    next_seq: usize,
}

/// Writes one task's rows into files.
pub struct TaskWriter<'a> {
    dir: PathBuf,
    options: &'a WriteOptions,
    task: usize,
    job_id: &'a str,
    partition_columns: Vec<usize>,
    data_columns: Vec<usize>,
    file_schema: SchemaRef,
    open: HashMap<String, OpenFile>,
    converter: Option<RowConverter>,
    written: Vec<(PathBuf, usize)>,
}

impl<'a> TaskWriter<'a> {
    /// A writer for task `task` into `dir`, for batches of `schema` whose columns at
    /// `partition_columns` name folders.
    pub fn new(
        dir: PathBuf,
        options: &'a WriteOptions,
        task: usize,
        job_id: &'a str,
        schema: &SchemaRef,
        partition_columns: Vec<usize>,
    ) -> Result<Self> {
        let data_columns: Vec<usize> = (0..schema.fields().len())
            .filter(|i| !partition_columns.contains(i))
            .collect();
        let file_schema = Arc::new(Schema::new(
            data_columns
                .iter()
                .map(|&i| schema.field(i).clone())
                .collect::<Vec<_>>(),
        ));
        let converter = if partition_columns.is_empty() {
            None
        } else {
            Some(RowConverter::new(
                partition_columns
                    .iter()
                    .map(|&i| SortField::new(schema.field(i).data_type().clone()))
                    .collect(),
            )?)
        };
        Ok(TaskWriter {
            dir,
            options,
            task,
            job_id,
            partition_columns,
            data_columns,
            file_schema,
            open: HashMap::new(),
            converter,
            written: Vec::new(),
        })
    }

    /// Writes one batch.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let Some(converter) = &self.converter else {
            return self.write_to(String::new(), batch.clone());
        };
        let keys: Vec<ArrayRef> = self
            .partition_columns
            .iter()
            .map(|&i| batch.column(i).clone())
            .collect();
        let rows = converter.convert_columns(&keys)?;
        // Row indices per distinct key, in order of first appearance.
        let mut groups: HashMap<&[u8], Vec<u32>> = HashMap::new();
        let mut order: Vec<&[u8]> = Vec::new();
        for r in 0..rows.num_rows() {
            let key = rows.row(r).data();
            groups
                .entry(key)
                .or_insert_with(|| {
                    order.push(key);
                    Vec::new()
                })
                .push(r as u32);
        }
        let data = batch.project(&self.data_columns)?;
        if order.len() == 1 {
            let folder = folder_name(&self.partition_columns, batch, 0)?;
            return self.write_to(folder, data);
        }
        for key in order {
            let indices = UInt32Array::from(groups.remove(key).unwrap_or_default());
            let first = indices.value(0) as usize;
            let folder = folder_name(&self.partition_columns, batch, first)?;
            let part = take_record_batch(&data, &indices)?;
            self.write_to(folder, part)?;
        }
        Ok(())
    }

    /// Appends rows to the open file of `folder`, starting new files at the row limit.
    fn write_to(&mut self, folder: String, mut batch: RecordBatch) -> Result<()> {
        let limit = self.options.max_rows_per_file;
        let ext = self.options.format.extension();
        loop {
            let entry = self.open.entry(folder.clone()).or_insert(OpenFile {
                sink: None,
                next_seq: 0,
            });
            if entry.sink.is_none() {
                let relative = Path::new(&folder).join(format!(
                    "part-{:05}-{}-c{:03}.{ext}",
                    self.task, self.job_id, entry.next_seq
                ));
                let path = self.dir.join(&relative);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| EmberError::io(parent, e))?;
                }
                entry.next_seq += 1;
                let sink = FileSink::create(&path, &self.file_schema, self.options)?;
                entry.sink = Some((sink, self.written.len()));
                self.written.push((relative, 0));
            }
            let Some((sink, _)) = entry.sink.as_mut() else {
                return Err(EmberError::internal("no open file"));
            };
            let room = if limit == 0 {
                usize::MAX
            } else {
                limit - sink.rows()
            };
            if batch.num_rows() <= room {
                sink.write(&batch)?;
                if limit > 0 && sink.rows() >= limit {
                    self.close_file(&folder)?;
                }
                return self.bound_buffers();
            }
            sink.write(&batch.slice(0, room))?;
            batch = batch.slice(room, batch.num_rows() - room);
            self.close_file(&folder)?;
        }
    }

    /// With many files open (one per partition folder), each building a Parquet row
    /// group in memory, ends the largest row group while they hold more than
    /// [`BUFFER_BUDGET`] bytes together.
    fn bound_buffers(&mut self) -> Result<()> {
        if self.open.len() < 2 {
            return Ok(());
        }
        let sizes = || {
            self.open
                .values()
                .filter_map(|f| f.sink.as_ref())
                .map(|(s, _)| s.buffered_bytes())
        };
        if sizes().sum::<usize>() <= BUFFER_BUDGET {
            return Ok(());
        }
        let largest = self
            .open
            .values_mut()
            .filter_map(|f| f.sink.as_mut())
            .max_by_key(|(s, _)| s.buffered_bytes());
        if let Some((sink, _)) = largest {
            sink.flush_row_group()?;
        }
        Ok(())
    }

    fn close_file(&mut self, folder: &str) -> Result<()> {
        if let Some((sink, index)) = self.open.get_mut(folder).and_then(|f| f.sink.take()) {
            let rows = sink.close()?;
            if let Some(entry) = self.written.get_mut(index) {
                entry.1 = rows;
            }
        }
        Ok(())
    }

    /// Closes every open file; returns the files written (relative to the attempt's
    /// folder) with their rows.
    pub fn close(mut self) -> Result<Vec<(PathBuf, usize)>> {
        let folders: Vec<String> = self.open.keys().cloned().collect();
        for folder in folders {
            self.close_file(&folder)?;
        }
        Ok(self.written)
    }
}

/// `a=1/b=x` for row `row` of the partition columns.
fn folder_name(columns: &[usize], batch: &RecordBatch, row: usize) -> Result<String> {
    let options = FormatOptions::default().with_timestamp_format(Some("%Y-%m-%d %H:%M:%S%.f"));
    let schema = batch.schema();
    let mut parts = Vec::with_capacity(columns.len());
    for &c in columns {
        let array = batch.column(c);
        let value = if array.is_null(row) {
            None
        } else {
            let f = ArrayFormatter::try_new(array.as_ref(), &options)?;
            Some(f.value(row).to_string())
        };
        parts.push(format!(
            "{}={}",
            hive::escape(Some(schema.field(c).name())),
            hive::escape(value.as_deref())
        ));
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::options::WriteFormat;
    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field};

    #[test]
    fn splits_by_partition_values_and_row_limit() {
        let dir = std::env::temp_dir().join(format!("ember-task-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Utf8, true),
            Field::new("v", DataType::Int64, false),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(vec![
                    Some("a"),
                    Some("b/c"),
                    Some("a"),
                    None,
                    Some("a"),
                ])),
                Arc::new(Int64Array::from(vec![1, 2, 3, 4, 5])),
            ],
        )
        .unwrap();
        let mut options = WriteOptions::new(WriteFormat::Csv);
        options.max_rows_per_file = 2;
        let mut w = TaskWriter::new(dir.clone(), &options, 3, "j1", &schema, vec![0]).unwrap();
        w.write(&batch).unwrap();
        let mut files = w.close().unwrap();
        files.sort();
        let names: Vec<String> = files
            .iter()
            .map(|(p, n)| format!("{}:{n}", p.display()))
            .collect();
        assert_eq!(
            names,
            vec![
                "k=__HIVE_DEFAULT_PARTITION__/part-00003-j1-c000.csv:1",
                "k=a/part-00003-j1-c000.csv:2",
                "k=a/part-00003-j1-c001.csv:1",
                "k=b%2Fc/part-00003-j1-c000.csv:1",
            ]
        );
        let text = std::fs::read_to_string(dir.join("k=a/part-00003-j1-c000.csv")).unwrap();
        assert_eq!(text, "v\n1\n3\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
