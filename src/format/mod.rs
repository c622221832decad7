//! Rendering query results: a bordered table, CSV or newline-delimited JSON.
//!
//! In: a schema and the result batches. Out: text on a writer. Every format prints the
//! values the same way (see `cell`): decimals at their scale, floats in shortest
//! round-trip form with an exponent below 1e-4 and from 1e15 (`1e-05`, `1e+20`, as
//! PostgreSQL prints them), dates as `YYYY-MM-DD`.
//!
//! - `cell`: one value as text, per type.
//! - `csv`: RFC 4180 CSV with one header row.
//! - `digits`: integers, decimals and dates as bytes, shared by the formats.
//! - `json`: one JSON object per row per line, keys made unique (`a`, `a_1`).
//! - `table`: a bordered table with a row-count footer.

mod cell;
pub(crate) mod csv;
mod digits;
mod json;
mod table;

use std::io::Write;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;

use crate::error::{EmberError, Result};

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// A bordered table with column names and an `N rows` footer.
    #[default]
    Table,
    /// CSV with one header row; NULL is an empty field.
    Csv,
    /// One JSON object per row per line; NULL is `null`.
    Json,
}

impl std::str::FromStr for OutputFormat {
    type Err = EmberError;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "table" => Ok(OutputFormat::Table),
            "csv" => Ok(OutputFormat::Csv),
            "json" => Ok(OutputFormat::Json),
            other => Err(EmberError::Unsupported(format!(
                "output format '{other}' (expected table, csv or json)"
            ))),
        }
    }
}

/// Renders `batches` (all of `schema`) as text in `format`. A result with no columns
/// renders as nothing.
pub fn render_batches(
    schema: &SchemaRef,
    batches: &[RecordBatch],
    format: OutputFormat,
) -> Result<String> {
    if schema.fields().is_empty() {
        return Ok(String::new());
    }
    match format {
        OutputFormat::Table => table::render(schema, batches),
        OutputFormat::Csv => csv::render(schema, batches),
        OutputFormat::Json => json::render(schema, batches),
    }
}

/// Writes `batches` (all of `schema`) to `out` in `format`. A result with no columns
/// prints nothing.
pub fn write_batches(
    out: &mut dyn Write,
    schema: &SchemaRef,
    batches: &[RecordBatch],
    format: OutputFormat,
) -> Result<()> {
    let text = render_batches(schema, batches, format)?;
    if text.is_empty() {
        return Ok(());
    }
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| EmberError::io("<output>", e))
}

/// Checks that every batch has as many columns as the schema.
fn check_widths(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<()> {
    let n = schema.fields().len();
    match batches.iter().find(|b| b.num_columns() != n) {
        Some(b) => Err(EmberError::internal(format!(
            "result batch has {} columns, its schema {n}",
            b.num_columns()
        ))),
        None => Ok(()),
    }
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
        assert!("xml".parse::<OutputFormat>().is_err());
    }
}
