//! Keeps `docs/functions.md` honest: every registered function and aggregate has a row
//! there, every row names a registered one, and each row's example, run through
//! `SessionContext::sql`, gives the documented result.

use std::collections::BTreeSet;

use arrow::util::display::{ArrayFormatter, FormatOptions};
use ember::SessionContext;
use ember_planner::functions::{AGGREGATES, FUNCTIONS};

/// One documented row: name, example SQL and expected text.
struct Row {
    name: String,
    example: String,
    result: String,
}

/// Splits a markdown table line at `|` that are not escaped as `\|`.
fn cells(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                chars.next();
                cur.push('|');
            }
            '|' => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect()
}

fn code(cell: &str) -> String {
    cell.trim().trim_matches('`').to_string()
}

fn documented_rows() -> Vec<Row> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/functions.md");
    let text = std::fs::read_to_string(path).expect("docs/functions.md exists");
    text.lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let c = cells(l);
            assert_eq!(
                c.len(),
                4,
                "a row needs name, signature, example, result: {l}"
            );
            Row {
                name: code(&c[0]),
                example: code(&c[2]),
                result: code(&c[3]),
            }
        })
        .collect()
}

#[test]
fn page_and_registry_name_the_same_functions() {
    let documented: BTreeSet<String> = documented_rows().into_iter().map(|r| r.name).collect();
    let registered: BTreeSet<String> = FUNCTIONS
        .iter()
        .chain(AGGREGATES)
        .map(|f| f.name.to_string())
        .collect();
    let undocumented: Vec<_> = registered.difference(&documented).collect();
    let unknown: Vec<_> = documented.difference(&registered).collect();
    assert!(
        undocumented.is_empty(),
        "registered but not in docs/functions.md: {undocumented:?}"
    );
    assert!(
        unknown.is_empty(),
        "in docs/functions.md but not registered: {unknown:?}"
    );
    // Each name appears once.
    assert_eq!(
        documented.len(),
        documented_rows().len(),
        "a function is documented twice"
    );
}

#[test]
fn every_example_gives_its_documented_result() {
    let ctx = SessionContext::new();
    let options = FormatOptions::default()
        .with_null("NULL")
        .with_timestamp_format(Some("%Y-%m-%d %H:%M:%S%.f"));
    let mut wrong = Vec::new();
    for row in documented_rows() {
        if !row.example.to_lowercase().contains(&row.name) {
            wrong.push(format!(
                "the example of {} does not call it: {}",
                row.name, row.example
            ));
            continue;
        }
        let got = ctx
            .sql(&row.example)
            .and_then(|df| df.collect())
            .map_err(|e| e.to_string())
            .and_then(|batches| {
                let batch = batches.iter().find(|b| b.num_rows() > 0).ok_or("no rows")?;
                if batch.num_rows() != 1 || batch.num_columns() != 1 {
                    return Err(format!(
                        "{} rows of {} columns",
                        batch.num_rows(),
                        batch.num_columns()
                    ));
                }
                let f = ArrayFormatter::try_new(batch.column(0).as_ref(), &options)
                    .map_err(|e| e.to_string())?;
                Ok(f.value(0).to_string())
            });
        match got {
            Ok(v) if v == row.result => {}
            Ok(v) => wrong.push(format!(
                "{}: {} gave {v}, documented {}",
                row.name, row.example, row.result
            )),
            Err(e) => wrong.push(format!("{}: {} failed: {e}", row.name, row.example)),
        }
    }
    assert!(
        wrong.is_empty(),
        "{} examples disagree:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
