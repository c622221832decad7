//! CSV output: one header row (even for an empty result), RFC 4180 quoting, NULL as an
//! empty field and the empty string as `""` so the two stay apart. The same encoder
//! writes the shell's `--format csv` and CSV files (`COPY ... TO`, `df.write().csv`).

use arrow::array::{Array, AsArray, RecordBatch, StringArray};
use arrow::datatypes::SchemaRef;

use super::cell::{Cell, CellWriter, cell_writer};
use super::check_widths;
use crate::error::Result;

/// Renders the whole result as CSV text, lines ending in `\n`.
pub(super) fn render(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<String> {
    check_widths(schema, batches)?;
    let mut out = String::new();
    write_header(schema, ',', &mut out);
    for batch in batches {
        write_rows(batch, ',', &mut out)?;
    }
    Ok(out)
}

/// Appends the header line: the column names separated by `delimiter`.
pub(crate) fn write_header(schema: &SchemaRef, delimiter: char, out: &mut String) {
    for (i, field) in schema.fields().iter().enumerate() {
        if i > 0 {
            out.push(delimiter);
        }
        push_field(out, field.name(), false, delimiter);
    }
    out.push('\n');
}

/// Appends one line per row of `batch`, fields separated by `delimiter`.
pub(crate) fn write_rows(batch: &RecordBatch, delimiter: char, out: &mut String) -> Result<()> {
    /// Strings are quoted straight from the array; other types go through their text.
    enum Column<'a> {
        Text(&'a StringArray),
        Other(CellWriter<'a>),
    }
    let columns = batch
        .columns()
        .iter()
        .map(|c| match c.as_string_opt::<i32>() {
            Some(s) => Ok(Column::Text(s)),
            None => cell_writer(c.as_ref()).map(Column::Other),
        })
        .collect::<Result<Vec<_>>>()?;
    let mut value = String::new();
    for row in 0..batch.num_rows() {
        for (i, column) in columns.iter().enumerate() {
            if i > 0 {
                out.push(delimiter);
            }
            match column {
                Column::Text(s) => {
                    if s.is_valid(row) {
                        push_field(out, s.value(row), true, delimiter);
                    }
                }
                Column::Other(w) => {
                    value.clear();
                    match w(row, &mut value) {
                        Cell::Null => {}
                        Cell::Text => push_field(out, &value, true, delimiter),
                        Cell::Number | Cell::Bool => out.push_str(&value),
                    }
                }
            }
        }
        out.push('\n');
    }
    Ok(())
}

/// Appends one field, quoted when it holds the delimiter, a quote, CR or LF (or is an
/// empty string and `quote_empty`), with inner quotes doubled.
fn push_field(out: &mut String, text: &str, quote_empty: bool, delimiter: char) {
    let needs_quotes = (quote_empty && text.is_empty())
        || text
            .bytes()
            .any(|b| matches!(b, b'"' | b'\r' | b'\n') || u32::from(b) == u32::from(delimiter))
        || (!delimiter.is_ascii() && text.contains(delimiter));
    if !needs_quotes {
        out.push_str(text);
        return;
    }
    out.push('"');
    for c in text.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::test_data::sample;

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
        let mut s = String::new();
        push_field(&mut s, "", true, ',');
        push_field(&mut s, "x\ry", false, ',');
        push_field(&mut s, "a;b", false, ';');
        assert_eq!(s, "\"\"\"x\ry\"\"a;b\"");
    }
}
