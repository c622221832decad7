//! Table output: a bordered grid with the column names, numbers right-aligned, NULL
//! shown as `NULL`, and an `N rows` footer line.

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;

use super::cell::{Cell, cell_writer};
use super::check_widths;
use crate::error::Result;

/// Renders the whole result as a bordered table followed by the row count.
pub(super) fn render(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<String> {
    check_widths(schema, batches)?;
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let mut widths: Vec<usize> = names.iter().map(|n| n.chars().count()).collect();
    let mut rows: Vec<Vec<(String, bool)>> = Vec::new();
    for batch in batches {
        let writers = batch
            .columns()
            .iter()
            .map(|c| cell_writer(c.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        for row in 0..batch.num_rows() {
            let cells: Vec<(String, bool)> = writers
                .iter()
                .map(|w| {
                    let mut text = String::new();
                    let kind = w(row, &mut text);
                    match kind {
                        Cell::Null => ("NULL".to_string(), false),
                        Cell::Number => (text, true),
                        Cell::Bool | Cell::Text => (printable(&text), false),
                    }
                })
                .collect();
            for (w, (text, _)) in widths.iter_mut().zip(&cells) {
                *w = (*w).max(text.chars().count());
            }
            rows.push(cells);
        }
    }

    let mut out = String::new();
    let rule = {
        let mut r = String::from("+");
        for w in &widths {
            r.push_str(&"-".repeat(w + 2));
            r.push('+');
        }
        r.push('\n');
        r
    };
    out.push_str(&rule);
    let header: Vec<(String, bool)> = names.into_iter().map(|n| (n, false)).collect();
    push_row(&mut out, &header, &widths);
    out.push_str(&rule);
    for row in &rows {
        push_row(&mut out, row, &widths);
    }
    if !rows.is_empty() {
        out.push_str(&rule);
    }
    let n = rows.len();
    out.push_str(&format!("{n} {}\n", if n == 1 { "row" } else { "rows" }));
    Ok(out)
}

/// Keeps the grid intact: line breaks and tabs in text are shown escaped.
fn printable(text: &str) -> String {
    if text.contains(['\n', '\r', '\t']) {
        text.replace('\n', "\\n")
            .replace('\r', "\\r")
            .replace('\t', "\\t")
    } else {
        text.to_string()
    }
}

fn push_row(out: &mut String, cells: &[(String, bool)], widths: &[usize]) {
    out.push('|');
    for ((text, right), w) in cells.iter().zip(widths) {
        let pad = w.saturating_sub(text.chars().count());
        out.push(' ');
        if *right {
            out.push_str(&" ".repeat(pad));
            out.push_str(text);
        } else {
            out.push_str(text);
            out.push_str(&" ".repeat(pad));
        }
        out.push_str(" |");
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::test_data::sample;

    #[test]
    fn bordered_table_with_footer() {
        let (schema, batches) = sample();
        let text = render(&schema, &batches).unwrap();
        let expected = "\
+------+-------------+--------+-------+------------+-------+
| id   | name        | price  | ratio | day        | ok    |
+------+-------------+--------+-------+------------+-------+
|    1 | plain       | 123.40 |   0.1 | 1998-12-01 | true  |
|    2 | a,b \"q\"     |  -0.05 | 1e+21 | 1970-01-01 | false |
| NULL | line\\nbreak | NULL   | NULL  | NULL       | NULL  |
+------+-------------+--------+-------+------------+-------+
3 rows
";
        assert_eq!(text, expected);
    }

    #[test]
    fn empty_result_keeps_the_header() {
        let (schema, _) = sample();
        let text = render(&schema, &[]).unwrap();
        assert!(text.starts_with("+----+"), "{text}");
        assert!(text.contains("| id | name |"), "{text}");
        assert!(text.ends_with("+\n0 rows\n"), "{text}");
    }
}
