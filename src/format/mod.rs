//! Writing query results as text: grids (an ASCII table, a unicode box, a markdown
//! table), CSV, newline-delimited JSON, or one `column = value` line per value.
//!
//! In: a schema, then the result's batches one at a time as a stream yields them.
//! Out: text on a writer. CSV, JSON and line output are written batch by batch in
//! constant memory; grids need every column's width, so they keep the rows they show
//! (all of them, or the head and tail of a long result under a row limit) and draw at
//! the end. Every format prints values the same way (see `cell`): decimals at their
//! scale, floats in shortest round-trip form with an exponent below 1e-4 and from 1e15
//! (`1e-05`, `1e+20`, as PostgreSQL prints them), dates as `YYYY-MM-DD`.
//!
//! - `cell`: one value as text, per type.
//! - `csv`: RFC 4180 CSV with one header row.
//! - `digits`: integers, decimals and dates as bytes, shared by the formats.
//! - `json`: one JSON object per row per line, keys made unique (`a`, `a_1`).
//! - `line`: one `name = value` line per column, a blank line between rows.
//! - `table`: the grids, with a row-count footer.
//! - `preview`: the head and tail rows a grid keeps of a long result.
//! - `layout`: fitting a grid's columns into the terminal's width.
//! - `width`: terminal widths of text (CJK and emoji take two columns), cutting with `…`.

mod cell;
pub(crate) mod csv;
mod digits;
mod json;
mod layout;
mod line;
mod preview;
mod table;
mod width;

use std::fmt;
use std::io::{ErrorKind, Write};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;

use crate::error::{EmberError, Result};

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// A bordered ASCII table with column names and an `N rows` footer.
    #[default]
    Table,
    /// A table drawn with unicode box characters, column types under the names.
    Box,
    /// CSV with one header row; NULL is an empty field.
    Csv,
    /// One JSON object per row per line; NULL is `null`.
    Json,
    /// One `name = value` line per column, a blank line between rows.
    Line,
    /// A GitHub markdown pipe table.
    Markdown,
}

impl OutputFormat {
    /// Every format, as `.mode` and `--format` name them.
    pub const ALL: [OutputFormat; 6] = [
        OutputFormat::Table,
        OutputFormat::Box,
        OutputFormat::Csv,
        OutputFormat::Json,
        OutputFormat::Line,
        OutputFormat::Markdown,
    ];

    /// The format's name: `table`, `box`, `csv`, `json`, `line`, `markdown`.
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Table => "table",
            OutputFormat::Box => "box",
            OutputFormat::Csv => "csv",
            OutputFormat::Json => "json",
            OutputFormat::Line => "line",
            OutputFormat::Markdown => "markdown",
        }
    }

    /// Whether the format draws a grid, which the row and width limits shorten.
    pub fn is_grid(self) -> bool {
        matches!(
            self,
            OutputFormat::Table | OutputFormat::Box | OutputFormat::Markdown
        )
    }
}

impl fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `table, box, csv, json, line or markdown`.
pub fn format_names() -> String {
    let names: Vec<&str> = OutputFormat::ALL.iter().map(|f| f.name()).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

impl std::str::FromStr for OutputFormat {
    type Err = EmberError;
    fn from_str(s: &str) -> Result<Self> {
        OutputFormat::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                EmberError::Unsupported(format!(
                    "output format '{s}' (expected {})",
                    format_names()
                ))
            })
    }
}

/// Rows shown by the shell's grids unless `.maxrows` says otherwise.
pub const SHELL_MAX_ROWS: usize = 40;

/// Limits on what a grid shows; CSV, JSON and line output always print everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DisplayOptions {
    /// Rows shown: with more, the first half and the last half of them with a `…` row
    /// between. 0 shows every row.
    pub max_rows: usize,
    /// The terminal's width: longer values are cut with `…` and middle columns hidden
    /// so that the grid fits. `None`: no limit.
    pub max_width: Option<usize>,
}

/// Prints a result as its batches arrive.
pub trait ResultWriter {
    /// Takes the next batch (of the schema the writer was made for).
    fn write_batch(&mut self, batch: &RecordBatch) -> Result<()>;
    /// Ends the result: grids are drawn now, and the output is flushed.
    fn finish(self: Box<Self>) -> Result<()>;
}

/// A writer of results of `schema` to `out` in `format`. A result with no columns
/// prints nothing. A failed write is an [`EmberError::Io`] of path `<output>`
/// that keeps the cause's kind, so a closed pipe can be told apart
/// ([`is_output_closed`]).
pub fn result_writer<'a>(
    out: &'a mut dyn Write,
    schema: &SchemaRef,
    format: OutputFormat,
    options: &DisplayOptions,
) -> Box<dyn ResultWriter + 'a> {
    if schema.fields().is_empty() {
        return Box::new(Silent);
    }
    match format {
        OutputFormat::Table => Box::new(table::GridWriter::new(
            out,
            schema,
            table::GridStyle::Table,
            options,
        )),
        OutputFormat::Box => Box::new(table::GridWriter::new(
            out,
            schema,
            table::GridStyle::Box,
            options,
        )),
        OutputFormat::Markdown => Box::new(table::GridWriter::new(
            out,
            schema,
            table::GridStyle::Markdown,
            options,
        )),
        OutputFormat::Csv => Box::new(csv::CsvWriter::new(out, schema)),
        OutputFormat::Json => Box::new(json::JsonWriter::new(out, schema)),
        OutputFormat::Line => Box::new(line::LineWriter::new(out, schema)),
    }
}

/// Whether `e` says that the reader of the output went away (`ember ... | head`).
pub fn is_output_closed(e: &EmberError) -> bool {
    matches!(e, EmberError::Io { source, .. } if source.kind() == ErrorKind::BrokenPipe)
}

/// Renders `batches` (all of `schema`) as text in `format`, every row at full width.
/// A result with no columns renders as nothing.
pub fn render_batches(
    schema: &SchemaRef,
    batches: &[RecordBatch],
    format: OutputFormat,
) -> Result<String> {
    let mut out = Vec::new();
    write_batches(&mut out, schema, batches, format)?;
    String::from_utf8(out).map_err(|e| EmberError::internal(format!("result text: {e}")))
}

/// Writes `batches` (all of `schema`) to `out` in `format`, every row at full width.
/// A result with no columns prints nothing.
pub fn write_batches(
    out: &mut dyn Write,
    schema: &SchemaRef,
    batches: &[RecordBatch],
    format: OutputFormat,
) -> Result<()> {
    let mut writer = result_writer(out, schema, format, &DisplayOptions::default());
    for batch in batches {
        writer.write_batch(batch)?;
    }
    writer.finish()
}

/// The writer of a result without columns.
struct Silent;

impl ResultWriter for Silent {
    fn write_batch(&mut self, _batch: &RecordBatch) -> Result<()> {
        Ok(())
    }
    fn finish(self: Box<Self>) -> Result<()> {
        Ok(())
    }
}

/// Writes `bytes` and flushes, so that the reader sees each batch as it comes.
fn write_text(out: &mut dyn Write, bytes: &[u8]) -> Result<()> {
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| EmberError::io("<output>", e))
}

/// Checks that `batch` has as many columns as the schema.
fn check_widths(schema: &SchemaRef, batch: &RecordBatch) -> Result<()> {
    let n = schema.fields().len();
    if batch.num_columns() == n {
        Ok(())
    } else {
        Err(EmberError::internal(format!(
            "result batch has {} columns, its schema {n}",
            batch.num_columns()
        )))
    }
}

/// The writers of the cells of each column of `batch`, once it is checked against
/// the schema.
fn column_writers<'a>(
    schema: &SchemaRef,
    batch: &'a RecordBatch,
) -> Result<Vec<cell::CellWriter<'a>>> {
    check_widths(schema, batch)?;
    batch
        .columns()
        .iter()
        .map(|c| cell::cell_writer(c.as_ref()))
        .collect()
}

#[cfg(test)]
pub(crate) mod test_data {
    use std::sync::Arc;

    use arrow::array::{
        ArrayRef, BooleanArray, Date32Array, Decimal128Array, Float64Array, Int64Array,
        RecordBatch, StringArray,
    };
    use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

    /// Two batches covering every value kind, with NULLs and characters that need quoting.
    pub(crate) fn sample() -> (SchemaRef, Vec<RecordBatch>) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, true),
            Field::new("name", DataType::Utf8, true),
            Field::new("price", DataType::Decimal128(10, 2), true),
            Field::new("ratio", DataType::Float64, true),
            Field::new("day", DataType::Date32, true),
            Field::new("ok", DataType::Boolean, true),
        ]));
        let b1 = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from(vec![Some(1), Some(2)])) as ArrayRef,
                Arc::new(StringArray::from(vec![Some("plain"), Some("a,b \"q\"")])),
                Arc::new(
                    Decimal128Array::from(vec![Some(12340), Some(-5)])
                        .with_precision_and_scale(10, 2)
                        .unwrap(),
                ),
                Arc::new(Float64Array::from(vec![Some(0.1), Some(1e21)])),
                Arc::new(Date32Array::from(vec![Some(10_561), Some(0)])),
                Arc::new(BooleanArray::from(vec![Some(true), Some(false)])),
            ],
        )
        .unwrap();
        let b2 = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from(vec![None])) as ArrayRef,
                Arc::new(StringArray::from(vec![Some("line\nbreak")])),
                Arc::new(
                    Decimal128Array::from(vec![None::<i128>])
                        .with_precision_and_scale(10, 2)
                        .unwrap(),
                ),
                Arc::new(Float64Array::from(vec![None])),
                Arc::new(Date32Array::from(vec![None])),
                Arc::new(BooleanArray::from(vec![None])),
            ],
        )
        .unwrap();
        (schema, vec![b1, b2])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_columns_prints_nothing_and_formats_parse() {
        let schema = std::sync::Arc::new(arrow::datatypes::Schema::empty());
        let mut out = Vec::new();
        write_batches(&mut out, &schema, &[], OutputFormat::Table).unwrap();
        assert!(out.is_empty());
        assert_eq!("CSV".parse::<OutputFormat>().unwrap(), OutputFormat::Csv);
        for format in OutputFormat::ALL {
            assert_eq!(format.name().parse::<OutputFormat>().unwrap(), format);
        }
        let e = "xml".parse::<OutputFormat>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "not supported: output format 'xml' (expected table, box, csv, json, line or markdown)"
        );
    }

    #[test]
    fn a_closed_pipe_is_told_apart() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::from(ErrorKind::BrokenPipe))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let (schema, batches) = test_data::sample();
        for format in OutputFormat::ALL {
            let e = write_batches(&mut Closed, &schema, &batches, format).unwrap_err();
            assert!(is_output_closed(&e), "{format}: {e}");
        }
        let other = EmberError::io("<output>", std::io::Error::other("disk full"));
        assert!(!is_output_closed(&other));
    }
}
