//! Helpers shared by the integration tests: rendering results as CSV text and
//! comparing them with reference answers. `benches/tpch.rs` includes this file too
//! (`#[path]`), for its `--verify` check.

#![allow(dead_code)]

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use ember::format::{OutputFormat, write_batches};

/// The text of TPC-H query `name` (`q01` ... `q22`) as the tests keep it.
pub fn tpch_query(name: &str) -> String {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/tpch/queries")
        .join(format!("{name}.sql"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The rows of a result as CSV text, header first.
pub fn to_csv(schema: &SchemaRef, batches: &[RecordBatch]) -> String {
    let mut out = Vec::new();
    write_batches(&mut out, schema, batches, OutputFormat::Csv).expect("CSV rendering");
    String::from_utf8(out).expect("CSV is UTF-8")
}

/// Parses CSV text (RFC 4180 quoting) into rows of cells.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if cell.is_empty() => quoted = true,
            (',', false) => row.push(std::mem::take(&mut cell)),
            ('\n', false) => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            ('\r', false) => {}
            (c, _) => cell.push(c),
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    rows
}

/// True when two cells match: equal text, or numbers within 1e-6 relative, or the
/// actual cell printed with fewer decimals and within one unit of its last digit.
pub fn cells_match(expected: &str, actual: &str) -> bool {
    let (e, a) = (expected.trim(), actual.trim());
    if e == a {
        return true;
    }
    let (Ok(x), Ok(y)) = (e.parse::<f64>(), a.parse::<f64>()) else {
        return false;
    };
    if (x - y).abs() <= 1e-9_f64.max(1e-6 * x.abs().max(y.abs())) {
        return true;
    }
    let decimals = a.split_once('.').map(|(_, f)| f.len()).unwrap_or(0);
    decimals >= 2 && (x - y).abs() <= 10f64.powi(-(decimals as i32))
}

/// Compares CSV results in order; returns a description of the first difference.
pub fn compare_csv(expected: &str, actual: &str) -> Result<(), String> {
    let e = parse_csv(expected);
    let a = parse_csv(actual);
    if e.len() != a.len() {
        return Err(format!(
            "{} rows, expected {}",
            a.len().saturating_sub(1),
            e.len().saturating_sub(1)
        ));
    }
    for (i, (er, ar)) in e.iter().zip(&a).enumerate() {
        if er.len() != ar.len() {
            return Err(format!(
                "row {i}: {} columns, expected {}",
                ar.len(),
                er.len()
            ));
        }
        if i == 0 {
            continue;
        }
        for (j, (x, y)) in er.iter().zip(ar).enumerate() {
            if !cells_match(x, y) {
                return Err(format!(
                    "row {i} column {} ({}): got {y:?}, expected {x:?}",
                    j + 1,
                    e[0][j]
                ));
            }
        }
    }
    Ok(())
}
