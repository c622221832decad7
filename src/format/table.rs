//! Grids: the bordered ASCII table, the unicode box (column types under the names)
//! and the GitHub markdown table.
//!
//! In: result batches as they come. Out, once the last has come: the grid and a
//! footer (`3 rows`, `600,572 rows (40 shown)`). Numbers are right-aligned, NULL shows
//! as `NULL`, line breaks and tabs inside values as `\n` and `\t`, and widths are
//! terminal columns (see `width`). With a row limit only the head and tail of the
//! result are kept (see `preview`), with one `…` row between them; with a width limit
//! long values are cut and middle columns hidden (see `layout`).

use std::io::Write;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use ember_planner::types::{is_numeric, sql_type_name};

use super::cell::{Cell, CellWriter};
use super::layout::{Layout, Slot, fit};
use super::preview::{Preview, RowPreview};
use super::width::{
    Align, ELLIPSIS, display_width, escape_controls, group_thousands, push_padded, push_repeated,
    rows_phrase, truncate,
};
use super::{DisplayOptions, ResultWriter, column_writers, write_text};
use crate::error::Result;

/// Which grid to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum GridStyle {
    /// `+---+` rules and `|` borders.
    Table,
    /// Unicode box drawing, centered names over the column types.
    Box,
    /// A GitHub pipe table; a footer only when rows or columns were left out.
    Markdown,
}

/// One horizontal rule: its left end, fill, joints and right end.
struct Rule {
    left: char,
    fill: char,
    join: char,
    right: char,
}

const ASCII_RULE: Rule = Rule {
    left: '+',
    fill: '-',
    join: '+',
    right: '+',
};

impl GridStyle {
    fn border(self) -> char {
        match self {
            GridStyle::Box => '│',
            GridStyle::Table | GridStyle::Markdown => '|',
        }
    }

    fn top(self) -> Option<Rule> {
        match self {
            GridStyle::Table => Some(ASCII_RULE),
            GridStyle::Box => Some(Rule {
                left: '┌',
                fill: '─',
                join: '┬',
                right: '┐',
            }),
            GridStyle::Markdown => None,
        }
    }

    fn middle(self) -> Rule {
        match self {
            GridStyle::Box => Rule {
                left: '├',
                fill: '─',
                join: '┼',
                right: '┤',
            },
            GridStyle::Table | GridStyle::Markdown => ASCII_RULE,
        }
    }

    fn bottom(self) -> Option<Rule> {
        match self {
            GridStyle::Table => Some(ASCII_RULE),
            GridStyle::Box => Some(Rule {
                left: '└',
                fill: '─',
                join: '┴',
                right: '┘',
            }),
            GridStyle::Markdown => None,
        }
    }

    /// A value's text as the grid shows it.
    fn escape(self, text: &str) -> String {
        let text = escape_controls(text);
        match self {
            GridStyle::Markdown if text.contains('|') => text.replace('|', "\\|"),
            _ => text.into_owned(),
        }
    }
}

/// One cell ready to draw.
#[derive(Debug, Clone)]
struct Shown {
    text: String,
    width: usize,
    align: Align,
}

impl Shown {
    fn new(text: String, align: Align) -> Self {
        Shown {
            width: display_width(&text),
            text,
            align,
        }
    }
}

/// Collects a result's rows and draws them as a grid at the end.
pub(super) struct GridWriter<'a> {
    out: &'a mut dyn Write,
    schema: SchemaRef,
    style: GridStyle,
    max_width: Option<usize>,
    rows: RowPreview<Vec<Shown>>,
}

impl<'a> GridWriter<'a> {
    pub(super) fn new(
        out: &'a mut dyn Write,
        schema: &SchemaRef,
        style: GridStyle,
        options: &DisplayOptions,
    ) -> Self {
        GridWriter {
            out,
            schema: schema.clone(),
            style,
            max_width: options.max_width,
            rows: RowPreview::new(options.max_rows),
        }
    }
}

impl ResultWriter for GridWriter<'_> {
    fn write_batch(&mut self, batch: &RecordBatch) -> Result<()> {
        let writers = column_writers(&self.schema, batch)?;
        let style = self.style;
        self.rows.push_rows(batch.num_rows(), |row| {
            Ok(writers.iter().map(|w| shown_cell(w, row, style)).collect())
        })
    }

    fn finish(self: Box<Self>) -> Result<()> {
        let GridWriter {
            out,
            schema,
            style,
            max_width,
            rows,
        } = *self;
        let text = draw(&schema, style, max_width, rows.finish());
        write_text(out, text.as_bytes())
    }
}

fn shown_cell(writer: &CellWriter<'_>, row: usize, style: GridStyle) -> Shown {
    let mut text = String::new();
    match writer(row, &mut text) {
        Cell::Null => Shown::new("NULL".to_string(), Align::Left),
        Cell::Number => Shown::new(text, Align::Right),
        Cell::Bool | Cell::Text => Shown::new(style.escape(&text), Align::Left),
    }
}

/// Draws the kept rows of a result as a grid, with its footer.
fn draw(
    schema: &SchemaRef,
    style: GridStyle,
    max_width: Option<usize>,
    rows: Preview<Vec<Shown>>,
) -> String {
    let name_align = match style {
        GridStyle::Box => Align::Center,
        GridStyle::Table | GridStyle::Markdown => Align::Left,
    };
    let names: Vec<Shown> = schema
        .fields()
        .iter()
        .map(|f| Shown::new(style.escape(f.name()), name_align))
        .collect();
    let types: Option<Vec<Shown>> = (style == GridStyle::Box).then(|| {
        schema
            .fields()
            .iter()
            .map(|f| {
                let name = sql_type_name(f.data_type()).to_lowercase();
                Shown::new(name, Align::Center)
            })
            .collect()
    });

    let mut natural: Vec<usize> = names.iter().map(|n| n.width).collect();
    let mut widen = |row: &[Shown]| {
        for (w, cell) in natural.iter_mut().zip(row) {
            *w = (*w).max(cell.width);
        }
    };
    types.iter().for_each(|t| widen(t));
    rows.head.iter().chain(&rows.tail).for_each(|r| widen(r));
    if rows.hidden > 0 {
        natural.iter_mut().for_each(|w| *w = (*w).max(1));
    }
    let layout = fit(&natural, max_width);

    let grid = Grid {
        style,
        layout: &layout,
    };
    let mut out = String::new();
    if let Some(rule) = style.top() {
        grid.push_rule(&mut out, &rule);
    }
    grid.push_row(&mut out, &names);
    if let Some(types) = &types {
        grid.push_row(&mut out, types);
    }
    let any_rows = !rows.head.is_empty() || !rows.tail.is_empty();
    match style {
        GridStyle::Markdown => grid.push_alignment_rule(&mut out, schema),
        GridStyle::Box if !any_rows => {}
        GridStyle::Table | GridStyle::Box => grid.push_rule(&mut out, &style.middle()),
    }
    for row in &rows.head {
        grid.push_row(&mut out, row);
    }
    if rows.hidden > 0 {
        grid.push_ellipsis_row(&mut out);
    }
    for row in &rows.tail {
        grid.push_row(&mut out, row);
    }
    if let Some(rule) = style.bottom()
        && (any_rows || style == GridStyle::Box)
    {
        grid.push_rule(&mut out, &rule);
    }
    let shown_rows = rows.head.len() + rows.tail.len();
    if style != GridStyle::Markdown || rows.hidden > 0 || layout.hidden > 0 {
        out.push_str(&footer(
            shown_rows as u64 + rows.hidden,
            shown_rows,
            rows.hidden,
            names.len(),
            layout.hidden,
        ));
        out.push('\n');
    }
    out
}

/// `3 rows`, `600,572 rows (40 shown)`, `3 rows (16 columns, 6 shown)`.
fn footer(
    total_rows: u64,
    shown_rows: usize,
    hidden_rows: u64,
    columns: usize,
    hidden_columns: usize,
) -> String {
    let mut notes = Vec::new();
    if hidden_rows > 0 {
        notes.push(format!("{} shown", group_thousands(shown_rows as u64)));
    }
    if hidden_columns > 0 {
        notes.push(format!(
            "{columns} columns, {} shown",
            columns - hidden_columns
        ));
    }
    let mut text = rows_phrase(total_rows);
    if !notes.is_empty() {
        text.push_str(&format!(" ({})", notes.join("; ")));
    }
    text
}

/// Draws lines of one grid.
struct Grid<'a> {
    style: GridStyle,
    layout: &'a Layout,
}

impl Grid<'_> {
    fn slot_width(slot: &Slot) -> usize {
        match slot {
            Slot::Column { width, .. } => *width,
            Slot::Hidden => 1,
        }
    }

    fn push_rule(&self, out: &mut String, rule: &Rule) {
        out.push(rule.left);
        for (i, slot) in self.layout.slots.iter().enumerate() {
            if i > 0 {
                out.push(rule.join);
            }
            push_repeated(out, rule.fill, Self::slot_width(slot) + 2);
        }
        out.push(rule.right);
        out.push('\n');
    }

    /// Markdown's header rule: `---:` under numeric columns.
    fn push_alignment_rule(&self, out: &mut String, schema: &SchemaRef) {
        out.push('|');
        for slot in &self.layout.slots {
            let width = Self::slot_width(slot) + 2;
            let numeric = matches!(slot, Slot::Column { index, .. }
                if is_numeric(schema.field(*index).data_type()));
            if numeric {
                push_repeated(out, '-', width - 1);
                out.push(':');
            } else {
                push_repeated(out, '-', width);
            }
            out.push('|');
        }
        out.push('\n');
    }

    fn push_row(&self, out: &mut String, cells: &[Shown]) {
        let border = self.style.border();
        out.push(border);
        for slot in &self.layout.slots {
            out.push(' ');
            match slot {
                Slot::Column { index, width } => {
                    let cell = &cells[*index];
                    if cell.width > *width {
                        let cut = truncate(&cell.text, *width);
                        push_padded(out, &cut, display_width(&cut), *width, cell.align);
                    } else {
                        push_padded(out, &cell.text, cell.width, *width, cell.align);
                    }
                }
                Slot::Hidden => out.push_str(ELLIPSIS),
            }
            out.push(' ');
            out.push(border);
        }
        out.push('\n');
    }

    /// The row standing for the rows left out: `…` in every column.
    fn push_ellipsis_row(&self, out: &mut String) {
        let border = self.style.border();
        out.push(border);
        for slot in &self.layout.slots {
            out.push(' ');
            push_padded(out, ELLIPSIS, 1, Self::slot_width(slot), Align::Center);
            out.push(' ');
            out.push(border);
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;
    use crate::format::test_data::sample;
    use crate::format::{OutputFormat, result_writer};

    fn render(
        schema: &SchemaRef,
        batches: &[RecordBatch],
        format: OutputFormat,
        options: DisplayOptions,
    ) -> String {
        let mut out = Vec::new();
        let mut writer = result_writer(&mut out, schema, format, &options);
        for batch in batches {
            writer.write_batch(batch).unwrap();
        }
        writer.finish().unwrap();
        String::from_utf8(out).unwrap()
    }

    fn all_rows(format: OutputFormat) -> String {
        let (schema, batches) = sample();
        render(&schema, &batches, format, DisplayOptions::default())
    }

    /// Columns of strings, one batch of one row.
    fn strings(columns: &[(&str, &str)]) -> (SchemaRef, Vec<RecordBatch>) {
        let schema = Arc::new(Schema::new(
            columns
                .iter()
                .map(|(name, _)| Field::new(*name, DataType::Utf8, true))
                .collect::<Vec<_>>(),
        ));
        let arrays = columns
            .iter()
            .map(|(_, value)| Arc::new(StringArray::from(vec![*value])) as ArrayRef)
            .collect();
        let batch = RecordBatch::try_new(schema.clone(), arrays).unwrap();
        (schema, vec![batch])
    }

    /// `n` = 0..rows in batches of `batch_rows`.
    fn numbers(rows: i64, batch_rows: i64) -> (SchemaRef, Vec<RecordBatch>) {
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, false)]));
        let batches = (0..rows)
            .step_by(batch_rows as usize)
            .map(|start| {
                let values: Vec<i64> = (start..(start + batch_rows).min(rows)).collect();
                RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(values))])
                    .unwrap()
            })
            .collect();
        (schema, batches)
    }

    #[test]
    fn bordered_table_with_footer() {
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
        assert_eq!(all_rows(OutputFormat::Table), expected);
    }

    #[test]
    fn box_with_column_types() {
        let expected = "\
┌────────┬─────────────┬───────────────┬────────┬────────────┬─────────┐
│   id   │    name     │     price     │ ratio  │    day     │   ok    │
│ bigint │   varchar   │ decimal(10,2) │ double │    date    │ boolean │
├────────┼─────────────┼───────────────┼────────┼────────────┼─────────┤
│      1 │ plain       │        123.40 │    0.1 │ 1998-12-01 │ true    │
│      2 │ a,b \"q\"     │         -0.05 │  1e+21 │ 1970-01-01 │ false   │
│ NULL   │ line\\nbreak │ NULL          │ NULL   │ NULL       │ NULL    │
└────────┴─────────────┴───────────────┴────────┴────────────┴─────────┘
3 rows
";
        assert_eq!(all_rows(OutputFormat::Box), expected);
    }

    #[test]
    fn markdown_pipe_table() {
        let expected = "\
| id   | name        | price  | ratio | day        | ok    |
|-----:|-------------|-------:|------:|------------|-------|
|    1 | plain       | 123.40 |   0.1 | 1998-12-01 | true  |
|    2 | a,b \"q\"     |  -0.05 | 1e+21 | 1970-01-01 | false |
| NULL | line\\nbreak | NULL   | NULL  | NULL       | NULL  |
";
        assert_eq!(all_rows(OutputFormat::Markdown), expected);
        let (schema, batches) = strings(&[("a|b", "x|y")]);
        let text = render(
            &schema,
            &batches,
            OutputFormat::Markdown,
            DisplayOptions::default(),
        );
        assert_eq!(text, "| a\\|b |\n|------|\n| x\\|y |\n");
    }

    #[test]
    fn empty_results_keep_the_header() {
        let (schema, _) = sample();
        let text = render(&schema, &[], OutputFormat::Table, DisplayOptions::default());
        assert!(text.starts_with("+----+"), "{text}");
        assert!(text.contains("| id | name |"), "{text}");
        assert!(text.ends_with("+\n0 rows\n"), "{text}");
        let (schema, _) = numbers(0, 1);
        let text = render(&schema, &[], OutputFormat::Box, DisplayOptions::default());
        assert_eq!(
            text,
            "┌────────┐\n│   n    │\n│ bigint │\n└────────┘\n0 rows\n"
        );
    }

    #[test]
    fn long_results_show_head_and_tail() {
        let (schema, batches) = numbers(1000, 7);
        let options = DisplayOptions {
            max_rows: 6,
            max_width: None,
        };
        let text = render(&schema, &batches, OutputFormat::Table, options);
        let expected = "\
+-----+
| n   |
+-----+
|   0 |
|   1 |
|   2 |
|  …  |
| 997 |
| 998 |
| 999 |
+-----+
1,000 rows (6 shown)
";
        assert_eq!(text, expected);

        let options = DisplayOptions {
            max_rows: 5,
            max_width: None,
        };
        let text = render(&schema, &batches, OutputFormat::Markdown, options);
        let expected = "\
| n   |
|----:|
|   0 |
|   1 |
|   2 |
|  …  |
| 998 |
| 999 |
1,000 rows (5 shown)
";
        assert_eq!(text, expected);

        // The shell's default: 40 rows of 600,572 between the rules, names and types
        // above, `…` among them, the footer below.
        let (schema, batches) = numbers(600_572, 4096);
        let options = DisplayOptions {
            max_rows: 40,
            max_width: None,
        };
        let text = render(&schema, &batches, OutputFormat::Box, options);
        assert_eq!(text.lines().count(), 4 + 40 + 1 + 1 + 1, "{text}");
        assert!(text.contains("│ 600571 │\n└"), "{text}");
        assert!(
            text.contains("│     19 │\n│   …    │\n│ 600552 │"),
            "{text}"
        );
        assert!(text.ends_with("\n600,572 rows (40 shown)\n"), "{text}");

        // Within the limit every row shows, with the plain footer.
        let (schema, batches) = numbers(40, 7);
        let text = render(&schema, &batches, OutputFormat::Table, options);
        assert!(!text.contains('…'), "{text}");
        assert!(text.ends_with("| 39 |\n+----+\n40 rows\n"), "{text}");
    }

    #[test]
    fn wide_characters_align_by_terminal_width() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("name", DataType::Utf8, false),
            Field::new("n", DataType::Int64, false),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(vec!["日本", "😀x", "e\u{301}"])),
                Arc::new(Int64Array::from(vec![1, 22, 3])),
            ],
        )
        .unwrap();
        let text = render(
            &schema,
            &[batch],
            OutputFormat::Table,
            DisplayOptions::default(),
        );
        let expected = "\
+------+----+
| name | n  |
+------+----+
| 日本 |  1 |
| 😀x  | 22 |
| e\u{301}    |  3 |
+------+----+
3 rows
";
        assert_eq!(text, expected);
    }

    #[test]
    fn long_values_are_cut_to_the_width() {
        let (schema, batches) = strings(&[("a", "abcdefghijklmnopqrstuvwxyz0123"), ("b", "12345")]);
        let options = DisplayOptions {
            max_rows: 0,
            max_width: Some(25),
        };
        let text = render(&schema, &batches, OutputFormat::Table, options);
        let expected = "\
+---------------+-------+
| a             | b     |
+---------------+-------+
| abcdefghijkl… | 12345 |
+---------------+-------+
1 row
";
        assert_eq!(text, expected);
        // CJK cut on a character boundary, padded to the column.
        let (schema, batches) = strings(&[("s", "日本語の文字列です"), ("t", "x")]);
        let options = DisplayOptions {
            max_rows: 0,
            max_width: Some(26),
        };
        let text = render(&schema, &batches, OutputFormat::Box, options);
        assert!(text.contains("│ 日本語の文…  │ x       │\n"), "{text}");
        assert!(
            text.lines().take(6).all(|l| display_width(l) == 26),
            "{text}"
        );
    }

    #[test]
    fn middle_columns_hide_behind_an_ellipsis_column() {
        let names: Vec<String> = (0..8).map(|i| format!("c{i}")).collect();
        let columns: Vec<(&str, &str)> = names
            .iter()
            .map(|n| (n.as_str(), "aaaaaaaaaaaaaaaaaaaa"))
            .collect();
        let (schema, batches) = strings(&columns);
        let options = DisplayOptions {
            max_rows: 0,
            max_width: Some(40),
        };
        let text = render(&schema, &batches, OutputFormat::Table, options);
        let expected = "\
+-----------------+---+----------------+
| c0              | … | c7             |
+-----------------+---+----------------+
| aaaaaaaaaaaaaa… | … | aaaaaaaaaaaaa… |
+-----------------+---+----------------+
1 row (8 columns, 2 shown)
";
        assert_eq!(text, expected);
    }
}
