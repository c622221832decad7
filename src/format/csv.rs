//! CSV output: one header row (even for an empty result), RFC 4180 quoting, NULL as an
//! empty field and the empty string as `""` so the two stay apart. The same encoder
//! writes the shell's `--format csv`, batch by batch as results stream in, and CSV
//! files (`COPY ... TO`, `df.write().csv`).
//!
//! Values print as everywhere else (see `cell`); the common column types (strings,
//! integers, decimals, dates) are encoded here straight into bytes, which is most of
//! the time a CSV write takes.

use std::io::Write;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Int16Type, Int32Type, Int64Type, SchemaRef,
};

use super::cell::{Cell, CellWriter, cell_writer};
use super::digits::{push_date, push_decimal, push_i128};
use super::{ResultWriter, check_widths, write_text};
use crate::error::Result;

/// Writes CSV as batches come: the header first (also for an empty result), then each
/// batch's lines, flushed.
pub(super) struct CsvWriter<'a> {
    out: &'a mut dyn Write,
    schema: SchemaRef,
    header_written: bool,
    text: Vec<u8>,
}

impl<'a> CsvWriter<'a> {
    pub(super) fn new(out: &'a mut dyn Write, schema: &SchemaRef) -> Self {
        CsvWriter {
            out,
            schema: schema.clone(),
            header_written: false,
            text: Vec::new(),
        }
    }

    fn push_header_once(&mut self) {
        if !self.header_written {
            write_header(&self.schema, b',', &mut self.text);
            self.header_written = true;
        }
    }
}

impl ResultWriter for CsvWriter<'_> {
    fn write_batch(&mut self, batch: &RecordBatch) -> Result<()> {
        check_widths(&self.schema, batch)?;
        self.text.clear();
        self.push_header_once();
        write_rows(batch, b',', &mut self.text)?;
        write_text(self.out, &self.text)
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        self.text.clear();
        self.push_header_once();
        write_text(self.out, &self.text)
    }
}

/// Appends the header line: the column names separated by `delimiter`.
pub(crate) fn write_header(schema: &SchemaRef, delimiter: u8, out: &mut Vec<u8>) {
    for (i, field) in schema.fields().iter().enumerate() {
        if i > 0 {
            out.push(delimiter);
        }
        push_field(out, field.name().as_bytes(), false, delimiter);
    }
    out.push(b'\n');
}

/// How one column's values become bytes.
enum Encoder<'a> {
    Text(&'a arrow::array::StringArray),
    Int64(&'a arrow::array::Int64Array),
    Int32(&'a arrow::array::Int32Array),
    Int16(&'a arrow::array::Int16Array),
    Decimal(&'a arrow::array::Decimal128Array, i8),
    Date(&'a arrow::array::Date32Array),
    Other(CellWriter<'a>),
}

impl<'a> Encoder<'a> {
    fn new(array: &'a dyn Array) -> Result<Self> {
        Ok(match array.data_type() {
            DataType::Utf8 => Encoder::Text(array.as_string::<i32>()),
            DataType::Int64 => Encoder::Int64(array.as_primitive::<Int64Type>()),
            DataType::Int32 => Encoder::Int32(array.as_primitive::<Int32Type>()),
            DataType::Int16 => Encoder::Int16(array.as_primitive::<Int16Type>()),
            DataType::Decimal128(_, scale) => {
                Encoder::Decimal(array.as_primitive::<Decimal128Type>(), *scale)
            }
            DataType::Date32 => Encoder::Date(array.as_primitive::<Date32Type>()),
            _ => Encoder::Other(cell_writer(array)?),
        })
    }

    /// Appends row `row`'s field (not NULL: the caller checked).
    fn push(&self, row: usize, delimiter: u8, out: &mut Vec<u8>, scratch: &mut String) {
        match self {
            Encoder::Text(a) => push_field(out, a.value(row).as_bytes(), true, delimiter),
            Encoder::Int64(a) => push_i128(out, i128::from(a.value(row))),
            Encoder::Int32(a) => push_i128(out, i128::from(a.value(row))),
            Encoder::Int16(a) => push_i128(out, i128::from(a.value(row))),
            Encoder::Decimal(a, scale) => push_decimal(out, a.value(row), *scale),
            Encoder::Date(a) => push_date(out, a.value(row)),
            Encoder::Other(w) => {
                scratch.clear();
                match w(row, scratch) {
                    Cell::Null => {}
                    Cell::Text => push_field(out, scratch.as_bytes(), true, delimiter),
                    Cell::Number | Cell::Bool => out.extend_from_slice(scratch.as_bytes()),
                }
            }
        }
    }
}

/// Appends one line per row of `batch`, fields separated by `delimiter`.
pub(crate) fn write_rows(batch: &RecordBatch, delimiter: u8, out: &mut Vec<u8>) -> Result<()> {
    let columns = batch
        .columns()
        .iter()
        .map(|c| Ok((c.logical_nulls(), Encoder::new(c.as_ref())?)))
        .collect::<Result<Vec<_>>>()?;
    let mut scratch = String::new();
    for row in 0..batch.num_rows() {
        for (i, (nulls, encoder)) in columns.iter().enumerate() {
            if i > 0 {
                out.push(delimiter);
            }
            if nulls.as_ref().is_none_or(|n| n.is_valid(row)) {
                encoder.push(row, delimiter, out, &mut scratch);
            }
        }
        out.push(b'\n');
    }
    Ok(())
}

/// Appends one field, quoted when it holds the delimiter, a quote, CR or LF (or is an
/// empty string and `quote_empty`), with inner quotes doubled.
fn push_field(out: &mut Vec<u8>, text: &[u8], quote_empty: bool, delimiter: u8) {
    let needs_quotes = (quote_empty && text.is_empty())
        || memchr::memchr3(b'"', b'\n', delimiter, text).is_some()
        || memchr::memchr(b'\r', text).is_some();
    if !needs_quotes {
        out.extend_from_slice(text);
        return;
    }
    out.push(b'"');
    for &b in text {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::test_data::sample;
    use crate::format::{OutputFormat, render_batches};

    fn render(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<String> {
        render_batches(schema, batches, OutputFormat::Csv)
    }

    #[test]
    fn quotes_nulls_decimals_floats_dates() {
        let (schema, batches) = sample();
        let text = render(&schema, &batches).unwrap();
        assert_eq!(
            text,
            "id,name,price,ratio,day,ok\n\
             1,plain,123.40,0.1,1998-12-01,true\n\
             2,\"a,b \"\"q\"\"\",-0.05,1e+21,1970-01-01,false\n\
             ,\"line\nbreak\",,,,\n"
        );
    }

    #[test]
    fn empty_result_has_only_the_header_and_empty_strings_are_quoted() {
        let (schema, batches) = sample();
        assert_eq!(
            render(&schema, &[]).unwrap(),
            "id,name,price,ratio,day,ok\n"
        );
        let empty = batches[0].slice(0, 0);
        assert_eq!(
            render(&schema, &[empty]).unwrap(),
            "id,name,price,ratio,day,ok\n"
        );
        let mut s = Vec::new();
        push_field(&mut s, b"", true, b',');
        push_field(&mut s, b"x\ry", false, b',');
        push_field(&mut s, b"a;b", false, b';');
        assert_eq!(s, b"\"\"\"x\ry\"\"a;b\"");
        // Numbers and dates as the other formats print them.
        let mut n = Vec::new();
        for v in [0i128, 7, -42, 100, 1234567890123, i128::from(i64::MIN)] {
            push_i128(&mut n, v);
            n.push(b' ');
        }
        for (v, scale) in [(12340i128, 2i8), (-5, 2), (5, 3), (0, 2), (7, -2), (-1, 0)] {
            push_decimal(&mut n, v, scale);
            n.push(b' ');
        }
        for d in [0, 10_561, -719_528, 2_932_896, 3_000_000] {
            push_date(&mut n, d);
            n.push(b' ');
        }
        assert_eq!(
            String::from_utf8(n).unwrap(),
            "0 7 -42 100 1234567890123 -9223372036854775808 123.40 -0.05 0.005 0.00 700 -1 \
             1970-01-01 1998-12-01 0000-01-01 9999-12-31 +10183-09-21 "
        );
    }

    #[test]
    fn streaming_many_batches_equals_the_whole_result_at_once() {
        let (schema, batches) = sample();
        let whole = arrow::compute::concat_batches(&schema, &batches).unwrap();
        let big = arrow::compute::concat_batches(&schema, &vec![whole; 334]).unwrap();
        let mut expected = Vec::new();
        write_header(&schema, b',', &mut expected);
        write_rows(&big, b',', &mut expected).unwrap();

        let mut streamed = Vec::new();
        let mut writer = CsvWriter::new(&mut streamed, &schema);
        for start in (0..big.num_rows()).step_by(7) {
            let len = 7.min(big.num_rows() - start);
            writer.write_batch(&big.slice(start, len)).unwrap();
        }
        Box::new(writer).finish().unwrap();
        assert_eq!(big.num_rows(), 1002);
        assert_eq!(
            String::from_utf8(streamed).unwrap(),
            String::from_utf8(expected).unwrap()
        );
    }
}
