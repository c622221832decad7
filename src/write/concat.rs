//! Joins the parts written by a job's tasks into the one file a single-file target
//! asks for, at job commit.
//!
//! In: the part files in partition order (same columns, same format), the columns and
//! [`WriteOptions`]. Out: one file — CSV and JSON parts are appended byte for byte
//! after one header line; Parquet parts' row groups are copied as they are, without
//! decoding (as `parquet-concat` does), under one footer. No parts: an empty file
//! with the columns.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parquet::column::writer::ColumnCloseResult;
use parquet::file::metadata::ParquetMetaDataReader;
use parquet::file::writer::SerializedFileWriter;

use crate::error::{EmberError, Result};
use crate::write::options::{WriteFormat, WriteOptions};
use crate::write::sink::{FileSink, parquet_properties};

/// Writes the concatenation of `parts` to `out`.
pub fn concat_files(
    parts: &[PathBuf],
    out: &Path,
    schema: &SchemaRef,
    options: &WriteOptions,
) -> Result<()> {
    if parts.is_empty() {
        let mut sink = FileSink::create(out, schema, options)?;
        sink.write(&RecordBatch::new_empty(schema.clone()))?;
        sink.close()?;
        return Ok(());
    }
    match options.format {
        WriteFormat::Parquet => concat_parquet(parts, out, options),
        WriteFormat::Csv | WriteFormat::Json => concat_text(parts, out, schema, options),
    }
}

/// A header line (CSV with a header), then every part's bytes.
fn concat_text(
    parts: &[PathBuf],
    out: &Path,
    schema: &SchemaRef,
    options: &WriteOptions,
) -> Result<()> {
    if options.format == WriteFormat::Csv && options.header {
        let mut sink = FileSink::create(out, schema, options)?;
        sink.write(&RecordBatch::new_empty(schema.clone()))?;
        sink.close()?;
    } else {
        File::create(out).map_err(|e| EmberError::io(out, e))?;
    }
    // File to file, so that the copy stays in the kernel (copy_file_range on Linux,
    // which refuses a file opened for appending: hence the seek to the end).
    let mut file = File::options()
        .write(true)
        .open(out)
        .map_err(|e| EmberError::io(out, e))?;
    file.seek(SeekFrom::End(0))
        .map_err(|e| EmberError::io(out, e))?;
    for part in parts {
        let mut input = File::open(part).map_err(|e| EmberError::io(part, e))?;
        std::io::copy(&mut input, &mut file).map_err(|e| EmberError::io(out, e))?;
    }
    file.flush().map_err(|e| EmberError::io(out, e))
}

/// Every row group of every part, copied under one footer.
fn concat_parquet(parts: &[PathBuf], out: &Path, options: &WriteOptions) -> Result<()> {
    let inputs = parts
        .iter()
        .map(|p| {
            let file = File::open(p).map_err(|e| EmberError::io(p, e))?;
            let metadata = ParquetMetaDataReader::new().parse_and_finish(&file)?;
            Ok((file, metadata))
        })
        .collect::<Result<Vec<_>>>()?;
    let first = &inputs[0].1;
    let schema = first.file_metadata().schema_descr().root_schema_ptr();
    let output = File::create(out).map_err(|e| EmberError::io(out, e))?;
    let props = Arc::new(parquet_properties(options, None)?);
    let mut writer =
        SerializedFileWriter::new(BufWriter::with_capacity(1 << 20, output), schema, props)?;
    // The Arrow schema the parts carry, so readers get the same Arrow types back.
    for kv in first
        .file_metadata()
        .key_value_metadata()
        .into_iter()
        .flatten()
    {
        writer.append_key_value_metadata(kv.clone());
    }
    for (input, metadata) in &inputs {
        for rg in metadata.row_groups() {
            let mut rg_out = writer.next_row_group()?;
            for column in rg.columns() {
                let result = ColumnCloseResult {
                    bytes_written: column.compressed_size() as _,
                    rows_written: rg.num_rows() as _,
                    metadata: column.clone(),
                    bloom_filter: None,
                    column_index: None,
                    offset_index: None,
                };
                rg_out.append_column(input, result)?;
            }
            rg_out.close()?;
        }
    }
    writer.close()?;
    Ok(())
}
