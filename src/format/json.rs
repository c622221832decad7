//! Newline-delimited JSON output, written batch by batch: one object per row, keys in
//! column order, numbers (decimals too, at their scale) bare, NULL as `null`, dates
//! and other values as strings. Keys are unique: a column whose name an earlier
//! column already has gets the first free suffix `_1`, `_2`, ... (`SELECT 1 AS a,
//! 2 AS a` prints `{"a":1,"a_1":2}`).

use std::collections::HashSet;
use std::io::Write;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;

use super::cell::Cell;
use super::{ResultWriter, column_writers, write_text};
use crate::error::Result;

/// Writes one object per row as batches come, each batch flushed.
pub(super) struct JsonWriter<'a> {
    out: &'a mut dyn Write,
    schema: SchemaRef,
    /// Each column's key, as a JSON string literal.
    keys: Vec<String>,
    text: String,
    value: String,
}

impl<'a> JsonWriter<'a> {
    pub(super) fn new(out: &'a mut dyn Write, schema: &SchemaRef) -> Self {
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        let keys = unique_keys(&names)
            .iter()
            .map(|name| {
                let mut k = String::new();
                push_string(&mut k, name);
                k
            })
            .collect();
        JsonWriter {
            out,
            schema: schema.clone(),
            keys,
            text: String::new(),
            value: String::new(),
        }
    }
}

impl ResultWriter for JsonWriter<'_> {
    fn write_batch(&mut self, batch: &RecordBatch) -> Result<()> {
        let writers = column_writers(&self.schema, batch)?;
        let (out, value) = (&mut self.text, &mut self.value);
        out.clear();
        for row in 0..batch.num_rows() {
            out.push('{');
            for (i, (w, key)) in writers.iter().zip(&self.keys).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(key);
                out.push(':');
                value.clear();
                match w(row, value) {
                    Cell::Null => out.push_str("null"),
                    Cell::Number | Cell::Bool => out.push_str(value),
                    Cell::Text => push_string(out, value),
                }
            }
            out.push_str("}\n");
        }
        write_text(self.out, self.text.as_bytes())
    }

    fn finish(self: Box<Self>) -> Result<()> {
        write_text(self.out, &[])
    }
}

/// The column names made unique: the first of equal names keeps it, later ones get the
/// smallest suffix `_N` that is neither a column's name nor a key given before.
fn unique_keys(names: &[&str]) -> Vec<String> {
    let taken: HashSet<&str> = names.iter().copied().collect();
    let mut used: HashSet<String> = HashSet::new();
    names
        .iter()
        .map(|&name| {
            let key = if used.contains(name) {
                (1..)
                    .map(|n| format!("{name}_{n}"))
                    .find(|k| !taken.contains(k.as_str()) && !used.contains(k))
                    .unwrap_or_else(|| name.to_string())
            } else {
                name.to_string()
            };
            used.insert(key.clone());
            key
        })
        .collect()
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
    use crate::format::{OutputFormat, render_batches};

    fn render(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<String> {
        render_batches(schema, batches, OutputFormat::Json)
    }

    #[test]
    fn one_object_per_row() {
        let (schema, batches) = sample();
        let text = render(&schema, &batches).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            vec![
                r#"{"id":1,"name":"plain","price":123.40,"ratio":0.1,"day":"1998-12-01","ok":true}"#,
                r#"{"id":2,"name":"a,b \"q\"","price":-0.05,"ratio":1e+21,"day":"1970-01-01","ok":false}"#,
                r#"{"id":null,"name":"line\nbreak","price":null,"ratio":null,"day":null,"ok":null}"#,
            ]
        );
        assert_eq!(render(&schema, &[]).unwrap(), "");
    }

    #[test]
    fn duplicate_column_names_get_suffixes() {
        assert_eq!(
            unique_keys(&["a", "a", "b", "a"]),
            vec!["a", "a_1", "b", "a_2"]
        );
        // `a_1` is a column of its own, so the second `a` skips it.
        assert_eq!(unique_keys(&["a", "a", "a_1"]), vec!["a", "a_2", "a_1"]);
        assert_eq!(unique_keys(&["x", "y"]), vec!["x", "y"]);
    }

    #[test]
    fn control_characters_are_escaped() {
        let mut s = String::new();
        push_string(&mut s, "a\u{1}\t\\");
        assert_eq!(s, r#""a\u0001\t\\""#);
    }
}
