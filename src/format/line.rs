//! Line output, written batch by batch: one `name = value` line per column, the names
//! right-aligned (by terminal width) to the longest, a blank line between rows, NULL
//! as `NULL`. Values print as everywhere else (see `cell`), line breaks included, so a
//! long value reads whole where a grid would cut it.

use std::io::Write;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;

use super::cell::Cell;
use super::width::{Align, display_width, push_padded};
use super::{ResultWriter, column_writers, write_text};
use crate::error::Result;

/// Writes each row as a block of `name = value` lines.
pub(super) struct LineWriter<'a> {
    out: &'a mut dyn Write,
    schema: SchemaRef,
    /// Each column's `name = `, padded so that the `=` line up.
    labels: Vec<String>,
    first_row: bool,
    text: String,
}

impl<'a> LineWriter<'a> {
    pub(super) fn new(out: &'a mut dyn Write, schema: &SchemaRef) -> Self {
        let widths: Vec<usize> = schema
            .fields()
            .iter()
            .map(|f| display_width(f.name()))
            .collect();
        let longest = widths.iter().copied().max().unwrap_or(0);
        let labels = schema
            .fields()
            .iter()
            .zip(widths)
            .map(|(f, w)| {
                let mut label = String::new();
                push_padded(&mut label, f.name(), w, longest, Align::Right);
                label.push_str(" = ");
                label
            })
            .collect();
        LineWriter {
            out,
            schema: schema.clone(),
            labels,
            first_row: true,
            text: String::new(),
        }
    }
}

impl ResultWriter for LineWriter<'_> {
    fn write_batch(&mut self, batch: &RecordBatch) -> Result<()> {
        let writers = column_writers(&self.schema, batch)?;
        let out = &mut self.text;
        out.clear();
        for row in 0..batch.num_rows() {
            if !self.first_row {
                out.push('\n');
            }
            self.first_row = false;
            for (w, label) in writers.iter().zip(&self.labels) {
                out.push_str(label);
                if w(row, out) == Cell::Null {
                    out.push_str("NULL");
                }
                out.push('\n');
            }
        }
        write_text(self.out, self.text.as_bytes())
    }

    fn finish(self: Box<Self>) -> Result<()> {
        write_text(self.out, &[])
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::StringArray;
    use arrow::datatypes::{DataType, Field, Schema};

    use crate::format::test_data::sample;
    use crate::format::{OutputFormat, render_batches};

    use super::*;

    #[test]
    fn one_line_per_value_and_a_blank_line_between_rows() {
        let (schema, batches) = sample();
        let text = render_batches(&schema, &batches, OutputFormat::Line).unwrap();
        let expected = "   id = 1
 name = plain
price = 123.40
ratio = 0.1
  day = 1998-12-01
   ok = true

   id = 2
 name = a,b \"q\"
price = -0.05
ratio = 1e+21
  day = 1970-01-01
   ok = false

   id = NULL
 name = line
break
price = NULL
ratio = NULL
  day = NULL
   ok = NULL
";
        assert_eq!(text, expected);
        assert_eq!(
            render_batches(&schema, &[], OutputFormat::Line).unwrap(),
            ""
        );
    }

    #[test]
    fn wide_names_line_up_by_terminal_width() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("名前", DataType::Utf8, true),
            Field::new("city", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(vec!["山田"])),
                Arc::new(StringArray::from(vec!["Kyoto"])),
            ],
        )
        .unwrap();
        let text = render_batches(&schema, &[batch], OutputFormat::Line).unwrap();
        assert_eq!(text, "名前 = 山田\ncity = Kyoto\n");
    }
}
