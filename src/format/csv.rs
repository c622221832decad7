//! CSV output: one header row (even for an empty result), RFC 4180 quoting, NULL as an
//! empty field and the empty string as `""` so the two stay apart.

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;

use super::cell::{Cell, cell_writer};
use super::check_widths;
use crate::error::Result;

/// Renders the whole result as CSV text, lines ending in `\n`.
pub(super) fn render(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<String> {
    check_widths(schema, batches)?;
    let mut out = String::new();
    for (i, field) in schema.fields().iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_field(&mut out, field.name(), false);
    }
    out.push('\n');
    let mut value = String::new();
    for batch in batches {
        let writers = batch
            .columns()
            .iter()
            .map(|c| cell_writer(c.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        for row in 0..batch.num_rows() {
            for (i, w) in writers.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                value.clear();
                match w(row, &mut value) {
                    Cell::Null => {}
                    Cell::Text => push_field(&mut out, &value, true),
                    Cell::Number | Cell::Bool => out.push_str(&value),
                }
            }
            out.push('\n');
        }
    }
    Ok(out)
}

/// Appends one field, quoted when it holds a comma, quote, CR or LF (or is an empty
/// string and `quote_empty`), with inner quotes doubled.
fn push_field(out: &mut String, text: &str, quote_empty: bool) {
    let needs_quotes = (quote_empty && text.is_empty()) || text.contains([',', '"', '\r', '\n']);
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
        push_field(&mut s, "", true);
        push_field(&mut s, "x\ry", false);
        assert_eq!(s, "\"\"\"x\ry\"");
    }
}
