//! Newline-delimited JSON output: one object per row, keys in column order, numbers
//! (decimals too, at their scale) bare, NULL as `null`, dates and other values as strings.

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;

use super::cell::{Cell, cell_writer};
use super::check_widths;
use crate::error::Result;

/// Renders the whole result, one JSON object per line.
pub(super) fn render(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<String> {
    check_widths(schema, batches)?;
    let keys: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| {
            let mut k = String::new();
            push_string(&mut k, f.name());
            k
        })
        .collect();
    let mut out = String::new();
    let mut value = String::new();
    for batch in batches {
        let writers = batch
            .columns()
            .iter()
            .map(|c| cell_writer(c.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        for row in 0..batch.num_rows() {
            out.push('{');
            for (i, (w, key)) in writers.iter().zip(&keys).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(key);
                out.push(':');
                value.clear();
                match w(row, &mut value) {
                    Cell::Null => out.push_str("null"),
                    Cell::Number | Cell::Bool => out.push_str(&value),
                    Cell::Text => push_string(&mut out, &value),
                }
            }
            out.push_str("}\n");
        }
    }
    Ok(out)
}

/// Appends `text` as a JSON string literal.
fn push_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::test_data::sample;

    #[test]
    fn one_object_per_row() {
        let (schema, batches) = sample();
        let text = render(&schema, &batches).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            vec![
                r#"{"id":1,"name":"plain","price":123.40,"ratio":0.1,"day":"1998-12-01","ok":true}"#,
                r#"{"id":2,"name":"a,b \"q\"","price":-0.05,"ratio":1000000000000000000000,"day":"1970-01-01","ok":false}"#,
                r#"{"id":null,"name":"line\nbreak","price":null,"ratio":null,"day":null,"ok":null}"#,
            ]
        );
        assert_eq!(render(&schema, &[]).unwrap(), "");
    }

    #[test]
    fn control_characters_are_escaped() {
        let mut s = String::new();
        push_string(&mut s, "a\u{1}\t\\");
        assert_eq!(s, r#""a\u0001\t\\""#);
    }
}
