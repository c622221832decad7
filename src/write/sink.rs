//! One output file being written batch by batch, in any of the formats Ember writes.
//!
//! In: a path, the file's columns (user names) and [`WriteOptions`]; then batches.
//! Out: a complete file once [`FileSink::close`] returns — Parquet with the chosen
//! compression and row group size, CSV with an optional header (timestamps as
//! `YYYY-MM-DD HH:MM:SS[.f]`, NULL as an empty field), or JSON lines (NULL written
//! out as `null`).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use std::collections::HashSet;

use arrow::array::{Array, ArrayRef, RecordBatch};
use arrow::datatypes::SchemaRef;
use arrow::row::{RowConverter, SortField};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression as PqCompression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

use crate::error::{EmberError, Result};
use crate::write::options::{Compression, WriteFormat, WriteOptions};

/// Buffer in front of each file.
const BUFFER_BYTES: usize = 1 << 20;

/// CSV timestamps, as Ember shows them.
const TIMESTAMP_FORMAT: &str = "%Y-%m-%d %H:%M:%S%.f";

enum Writer {
    /// The Parquet writer is made at the first batch, whose values choose the
    /// columns that are dictionary encoded (see [`parquet_properties`]).
    Parquet {
        pending: Option<(BufWriter<File>, SchemaRef, WriteOptions)>,
        writer: Option<Box<ArrowWriter<BufWriter<File>>>>,
    },
    /// Lines encoded as the shell prints CSV, written a batch at a time.
    Csv {
        out: BufWriter<File>,
        delimiter: u8,
        text: Vec<u8>,
    },
    Json(Box<arrow::json::LineDelimitedWriter<BufWriter<File>>>),
}

/// A file being written.
pub struct FileSink {
    path: PathBuf,
    writer: Writer,
    rows: usize,
}

impl FileSink {
    /// Creates the file at `path` (which must not exist) for rows of `schema`.
    pub fn create(path: &Path, schema: &SchemaRef, options: &WriteOptions) -> Result<Self> {
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| EmberError::io(path, e))?;
        let out = BufWriter::with_capacity(BUFFER_BYTES, file);
        let writer = match options.format {
            WriteFormat::Parquet => Writer::Parquet {
                pending: Some((out, schema.clone(), options.clone())),
                writer: None,
            },
            WriteFormat::Csv => {
                let delimiter = options.delimiter;
                let mut text = Vec::new();
                if options.header {
                    crate::format::csv::write_header(schema, delimiter, &mut text);
                }
                Writer::Csv {
                    out,
                    delimiter,
                    text,
                }
            }
            WriteFormat::Json => Writer::Json(Box::new(
                arrow::json::WriterBuilder::new()
                    .with_explicit_nulls(true)
                    .with_timestamp_format(TIMESTAMP_FORMAT.to_string())
                    .build::<_, arrow::json::writer::LineDelimited>(out),
            )),
        };
        Ok(FileSink {
            path: path.to_path_buf(),
            writer,
            rows: 0,
        })
    }

    /// Appends one batch.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        match &mut self.writer {
            Writer::Parquet { pending, writer } => {
                if let Some((out, schema, options)) = pending.take() {
                    let props = parquet_properties(&options, Some(batch))?;
                    *writer = Some(Box::new(ArrowWriter::try_new(out, schema, Some(props))?));
                }
                if let Some(w) = writer {
                    w.write(batch)?;
                }
            }
            Writer::Csv {
                out,
                delimiter,
                text,
            } => {
                crate::format::csv::write_rows(batch, *delimiter, text)?;
                out.write_all(text)
                    .map_err(|e| EmberError::io(&self.path, e))?;
                text.clear();
            }
            Writer::Json(w) => w.write(batch)?,
        }
        self.rows += batch.num_rows();
        Ok(())
    }

    /// Rows written so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Bytes held in memory for the row group being built (Parquet; 0 otherwise).
    pub fn buffered_bytes(&self) -> usize {
        match &self.writer {
            Writer::Parquet {
                writer: Some(w), ..
            } => w.memory_size(),
            _ => 0,
        }
    }

    /// Ends the row group being built, writing it out (Parquet; nothing otherwise).
    pub fn flush_row_group(&mut self) -> Result<()> {
        if let Writer::Parquet {
            writer: Some(w), ..
        } = &mut self.writer
        {
            w.flush()?;
        }
        Ok(())
    }

    /// Finishes the file (footer, buffers flushed) and returns its row count.
    pub fn close(self) -> Result<usize> {
        let path = self.path;
        let flushed = match self.writer {
            Writer::Parquet { pending, writer } => {
                let w = match (writer, pending) {
                    (Some(w), _) => w,
                    (None, Some((out, schema, options))) => Box::new(ArrowWriter::try_new(
                        out,
                        schema,
                        Some(parquet_properties(&options, None)?),
                    )?),
                    (None, None) => return Err(EmberError::internal("no Parquet writer")),
                };
                w.into_inner()?.into_inner()
            }
            Writer::Csv { mut out, text, .. } => {
                // A header not yet written (a file with no rows).
                out.write_all(&text).map_err(|e| EmberError::io(&path, e))?;
                out.into_inner()
            }
            Writer::Json(mut w) => {
                w.finish()?;
                w.into_inner().into_inner()
            }
        };
        let mut file = flushed.map_err(|e| EmberError::io(&path, e.into_error()))?;
        file.flush().map_err(|e| EmberError::io(&path, e))?;
        Ok(self.rows)
    }
}

/// Writer settings for Parquet files. Given the first batch, a string column whose
/// values there are mostly distinct is written without a dictionary: hashing and
/// comparing every string only for the dictionary to overflow and be dropped is much of
/// a write's time. Numbers keep their dictionaries, which make their columns faster to
/// read back.
pub(crate) fn parquet_properties(
    options: &WriteOptions,
    first: Option<&RecordBatch>,
) -> Result<WriterProperties> {
    let compression = match options.compression {
        Compression::None => PqCompression::UNCOMPRESSED,
        Compression::Snappy => PqCompression::SNAPPY,
        Compression::Zstd => PqCompression::ZSTD(ZstdLevel::default()),
        Compression::Lz4 => PqCompression::LZ4_RAW,
    };
    let mut builder = WriterProperties::builder()
        .set_compression(compression)
        .set_max_row_group_row_count(Some(options.row_group_rows.max(1)));
    if let Some(batch) = first {
        for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
            if mostly_distinct(column)? {
                builder = builder
                    .set_column_dictionary_enabled(ColumnPath::from(field.name().as_str()), false);
            }
        }
    }
    Ok(builder.build())
}

/// Rows sampled to judge a column's distinctness.
const DISTINCT_SAMPLE: usize = 4096;

/// Whether more than half of the first rows of a string or binary column hold distinct
/// values (NULLs not counted; samples under 64 values never are).
fn mostly_distinct(column: &ArrayRef) -> Result<bool> {
    use arrow::datatypes::DataType as D;
    if !matches!(
        column.data_type(),
        D::Utf8 | D::LargeUtf8 | D::Utf8View | D::Binary | D::LargeBinary | D::BinaryView
    ) {
        return Ok(false);
    }
    let sample = column.slice(0, column.len().min(DISTINCT_SAMPLE));
    let values = sample.len() - sample.null_count();
    if values < 64 {
        return Ok(false);
    }
    let converter = RowConverter::new(vec![SortField::new(sample.data_type().clone())])?;
    let rows = converter.convert_columns(&[sample])?;
    let distinct: HashSet<&[u8]> = rows.iter().map(|r| r.data()).collect();
    Ok(distinct.len() * 2 > values)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, Int64Array, StringArray};

    use super::mostly_distinct;

    #[test]
    fn only_mostly_distinct_strings_lose_their_dictionary() {
        let unique: ArrayRef = Arc::new(StringArray::from_iter_values(
            (0..1000).map(|i| format!("comment {i}")),
        ));
        let repeated: ArrayRef = Arc::new(StringArray::from_iter_values(
            (0..1000).map(|i| format!("mode {}", i % 7)),
        ));
        let numbers: ArrayRef = Arc::new(Int64Array::from_iter_values(0..1000));
        let few: ArrayRef = Arc::new(StringArray::from_iter_values(["a", "b"]));
        assert!(mostly_distinct(&unique).unwrap());
        assert!(!mostly_distinct(&repeated).unwrap());
        assert!(!mostly_distinct(&numbers).unwrap());
        assert!(!mostly_distinct(&few).unwrap());
    }
}
