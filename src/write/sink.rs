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

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression as PqCompression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::error::{EmberError, Result};
use crate::write::options::{Compression, WriteFormat, WriteOptions};

/// Buffer in front of each file.
const BUFFER_BYTES: usize = 1 << 20;

/// CSV timestamps, as Ember shows them.
const TIMESTAMP_FORMAT: &str = "%Y-%m-%d %H:%M:%S%.f";

enum Writer {
    Parquet(Box<ArrowWriter<BufWriter<File>>>),
    /// Lines encoded as the shell prints CSV, written a batch at a time.
    Csv {
        out: BufWriter<File>,
        delimiter: char,
        text: String,
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
            WriteFormat::Parquet => Writer::Parquet(Box::new(ArrowWriter::try_new(
                out,
                schema.clone(),
                Some(parquet_properties(options)?),
            )?)),
            WriteFormat::Csv => {
                let delimiter = char::from(options.delimiter);
                let mut text = String::new();
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
            Writer::Parquet(w) => w.write(batch)?,
            Writer::Csv {
                out,
                delimiter,
                text,
            } => {
                crate::format::csv::write_rows(batch, *delimiter, text)?;
                out.write_all(text.as_bytes())
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

    /// Finishes the file (footer, buffers flushed) and returns its row count.
    pub fn close(self) -> Result<usize> {
        let path = self.path;
        let flushed = match self.writer {
            Writer::Parquet(w) => w.into_inner()?.into_inner(),
            Writer::Csv { mut out, text, .. } => {
                // A header not yet written (a file with no rows).
                out.write_all(text.as_bytes())
                    .map_err(|e| EmberError::io(&path, e))?;
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

/// Writer settings for Parquet files.
pub(crate) fn parquet_properties(options: &WriteOptions) -> Result<WriterProperties> {
    let compression = match options.compression {
        Compression::None => PqCompression::UNCOMPRESSED,
        Compression::Snappy => PqCompression::SNAPPY,
        Compression::Zstd => PqCompression::ZSTD(ZstdLevel::default()),
        Compression::Lz4 => PqCompression::LZ4_RAW,
    };
    Ok(WriterProperties::builder()
        .set_compression(compression)
        .set_max_row_group_row_count(Some(options.row_group_rows.max(1)))
        .build())
}
