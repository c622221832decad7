//! `df.show()` as Spark prints it: PySpark asks the server for the text (the
//! `ShowString` relation) and prints what comes back, so the layout is Spark's —
//! `+---+` rules, cells right-aligned (left-aligned with `truncate=False`), long
//! values cut to `truncate` characters with `...`, `NULL` for nulls, a vertical form
//! with `-RECORD n-` headers, and `only showing top N rows` when rows were left out.
//!
//! In: the rows (at most `num_rows + 1` of them, to know whether more exist) and the
//! options. Out: the text. May import `arrow` and `unicode-width`.

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{DataType, SchemaRef, TimeUnit};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use unicode_width::UnicodeWidthStr;

/// How to lay out the rows.
pub struct ShowOptions {
    /// Rows to show.
    pub num_rows: usize,
    /// Longest cell in characters (0: no limit; cells then align left).
    pub truncate: usize,
    /// One `-RECORD n-` block per row.
    pub vertical: bool,
}

/// The text Spark's `show()` prints for `batches` (which may hold one row more than
/// `options.num_rows`, telling that there are more).
pub fn show_string(schema: &SchemaRef, batches: &[RecordBatch], options: &ShowOptions) -> String {
    let header: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let mut rows: Vec<Vec<String>> = Vec::new();
    'outer: for batch in batches {
        for r in 0..batch.num_rows() {
            if rows.len() > options.num_rows {
                break 'outer;
            }
            rows.push(
                batch
                    .columns()
                    .iter()
                    .map(|c| cut(&escape(&cell(c, r)), options.truncate))
                    .collect(),
            );
        }
    }
    let has_more = rows.len() > options.num_rows;
    rows.truncate(options.num_rows);
    let header: Vec<String> = header.iter().map(|h| cut(h, options.truncate)).collect();
    let mut out = if options.vertical {
        vertical(&header, &rows)
    } else {
        table(&header, &rows, options.truncate > 0)
    };
    if has_more {
        let noun = if options.num_rows == 1 { "row" } else { "rows" };
        out.push_str(&format!("only showing top {} {noun}\n", options.num_rows));
    }
    out
}

fn table(header: &[String], rows: &[Vec<String>], align_right: bool) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| width(h).max(3)).collect();
    for row in rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(c));
        }
    }
    let rule: String = widths
        .iter()
        .map(|w| "-".repeat(*w))
        .collect::<Vec<_>>()
        .join("+");
    let rule = format!("+{rule}+\n");
    let line = |cells: &[String]| {
        let cells: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| pad(c, *w, align_right))
            .collect();
        format!("|{}|\n", cells.join("|"))
    };
    let mut out = rule.clone();
    out.push_str(&line(header));
    out.push_str(&rule);
    for row in rows {
        out.push_str(&line(row));
    }
    out.push_str(&rule);
    out
}

fn vertical(header: &[String], rows: &[Vec<String>]) -> String {
    let name_width = header.iter().map(|h| width(h)).max().unwrap_or(0);
    let data_width = rows
        .iter()
        .flat_map(|r| r.iter().map(|c| width(c)))
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        let title = format!("-RECORD {i}");
        let dashes = (name_width + data_width + 5).saturating_sub(title.len());
        out.push_str(&title);
        out.push_str(&"-".repeat(dashes));
        out.push('\n');
        for (name, c) in header.iter().zip(row) {
            out.push_str(&format!(
                " {} | {} \n",
                pad(name, name_width, false),
                pad(c, data_width, false)
            ));
        }
    }
    if rows.is_empty() {
        out.push_str("(0 rows)\n");
    }
    out
}

/// Columns a string takes on a terminal: East Asian wide characters take two.
fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

fn pad(s: &str, to: usize, right: bool) -> String {
    let fill = " ".repeat(to.saturating_sub(width(s)));
    if right {
        format!("{fill}{s}")
    } else {
        format!("{s}{fill}")
    }
}

/// At most `truncate` characters: longer ones end in `...` (Spark's rule).
fn cut(s: &str, truncate: usize) -> String {
    let n = s.chars().count();
    if truncate == 0 || n <= truncate {
        return s.to_string();
    }
    if truncate < 4 {
        s.chars().take(truncate).collect()
    } else {
        let mut t: String = s.chars().take(truncate - 3).collect();
        t.push_str("...");
        t
    }
}

/// Control characters shown as their escapes, so a cell stays on its line.
fn escape(s: &str) -> String {
    if !s.contains(['\n', '\r', '\t', '\u{8}', '\u{b}', '\u{c}']) {
        return s.to_string();
    }
    s.replace('\n', "\\n")
        .replace('\r', "\\r")
        .replace('\t', "\\t")
        .replace('\u{8}', "\\b")
        .replace('\u{b}', "\\v")
        .replace('\u{c}', "\\f")
}

/// One value as Spark casts it to a string.
fn cell(col: &ArrayRef, row: usize) -> String {
    if col.is_null(row) {
        return "NULL".into();
    }
    match col.data_type() {
        DataType::Float64 => java_double(
            col.as_primitive::<arrow::datatypes::Float64Type>()
                .value(row),
        ),
        DataType::Float32 => java_double(f64::from(
            col.as_primitive::<arrow::datatypes::Float32Type>()
                .value(row),
        )),
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            let us = col
                .as_primitive::<arrow::datatypes::TimestampMicrosecondType>()
                .value(row);
            timestamp(us)
        }
        DataType::List(_) => {
            let list = col.as_list::<i32>().value(row);
            let items: Vec<String> = (0..list.len()).map(|i| cell(&list, i)).collect();
            format!("[{}]", items.join(", "))
        }
        DataType::Struct(_) => {
            let s = col.as_struct();
            let items: Vec<String> = s.columns().iter().map(|c| cell(c, row)).collect();
            format!("{{{}}}", items.join(", "))
        }
        _ => {
            let options = FormatOptions::default();
            match ArrayFormatter::try_new(col.as_ref(), &options) {
                Ok(f) => f.value(row).to_string(),
                Err(_) => "?".into(),
            }
        }
    }
}

/// `yyyy-MM-dd HH:mm:ss[.ffffff]`, trailing zeros of the fraction dropped.
fn timestamp(us: i64) -> String {
    let Some(t) = chrono::DateTime::from_timestamp_micros(us) else {
        return us.to_string();
    };
    let base = t.format("%Y-%m-%d %H:%M:%S").to_string();
    let frac = us.rem_euclid(1_000_000);
    if frac == 0 {
        return base;
    }
    let digits = format!("{frac:06}");
    format!("{base}.{}", digits.trim_end_matches('0'))
}

/// A double as Java prints it (Spark's cast to string): `1.0`, `0.001`, `1.0E7`,
/// `1.0E-4`, `NaN`, `Infinity`.
pub fn java_double(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    let a = x.abs();
    if (1e-3..1e7).contains(&a) {
        let s = format!("{x}");
        if s.contains('.') { s } else { format!("{s}.0") }
    } else {
        // Shortest digits, then Java's `d.dddE±n` form.
        let s = format!("{x:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.to_string()
        } else {
            format!("{mantissa}.0")
        };
        format!("{mantissa}E{exp}")
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{Field, Schema};

    use super::*;

    fn batch() -> (SchemaRef, RecordBatch) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("name", DataType::Utf8, true),
        ]));
        let b = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from(vec![1, 22, 333])),
                Arc::new(StringArray::from(vec![
                    Some("a"),
                    None,
                    Some("a long value here"),
                ])),
            ],
        )
        .unwrap();
        (schema, b)
    }

    #[test]
    fn tables_are_laid_out_as_spark_does() {
        let (schema, b) = batch();
        let opts = ShowOptions {
            num_rows: 2,
            truncate: 20,
            vertical: false,
        };
        let text = show_string(&schema, std::slice::from_ref(&b), &opts);
        assert_eq!(
            text,
            "+---+----+\n| id|name|\n+---+----+\n|  1|   a|\n| 22|NULL|\n+---+----+\nonly showing top 2 rows\n"
        );
        let opts = ShowOptions {
            num_rows: 20,
            truncate: 8,
            vertical: false,
        };
        let text = show_string(&schema, std::slice::from_ref(&b), &opts);
        assert!(text.contains("|333|a lon...|\n"), "{text}");
        let opts = ShowOptions {
            num_rows: 1,
            truncate: 0,
            vertical: true,
        };
        let text = show_string(&schema, &[b], &opts);
        assert_eq!(
            text,
            "-RECORD 0-\n id   | 1 \n name | a \nonly showing top 1 row\n"
        );
    }

    #[test]
    fn doubles_print_as_java_does() {
        assert_eq!(java_double(1.0), "1.0");
        assert_eq!(java_double(0.1), "0.1");
        assert_eq!(java_double(1e7), "1.0E7");
        assert_eq!(java_double(1.5e-5), "1.5E-5");
        assert_eq!(java_double(-2.5), "-2.5");
    }
}
