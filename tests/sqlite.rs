//! SQLite's conformance files (`tests/sqlite/select1.test` … `select5.test`, from
//! SQLite's public-domain sqllogictest suite) run through the sqllogictest crate.
//!
//! Values print as SQLite's own runner prints them, by the column type the record
//! expects: `I` as an integer (a real truncated toward zero), `R` with three decimals,
//! `T` as text; NULL as `NULL`, an empty string as `(empty)`. The files were copied
//! with a header that sets what SQLite's own runner assumes: results compared value by
//! value (`control resultmode valuewise`) and, where the file does not set it, a hash
//! threshold of 8. Records where SQLite's semantics differ from Ember's (which follows
//! PostgreSQL) would be marked `skipif ember` with a comment naming the difference;
//! select1–5 need none.
//!
//! Prints, per file, the queries that passed, were skipped and failed; any failure
//! fails the test.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use ember::{EmberError, SessionContext};
use sqllogictest::{Condition, DBOutput, DefaultColumnType, QueryExpect, Record};

/// The column types the record being run expects.
type Expected = Arc<Mutex<Vec<DefaultColumnType>>>;

struct SqliteDb {
    ctx: SessionContext,
    expected: Expected,
}

/// One value as SQLite's runner prints it for a column of type `t`.
fn format_value(
    array: &dyn Array,
    row: usize,
    t: &DefaultColumnType,
) -> Result<String, EmberError> {
    if array.is_null(row) {
        return Ok("NULL".into());
    }
    let number = || -> Option<f64> {
        match array.data_type() {
            DataType::Float64 => Some(array.as_primitive::<Float64Type>().value(row)),
            DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => {
                let v = arrow::compute::cast(&array.slice(row, 1), &DataType::Int64).ok()?;
                Some(v.as_primitive::<arrow::datatypes::Int64Type>().value(0) as f64)
            }
            DataType::Decimal128(_, _) | DataType::Float32 => {
                let v = arrow::compute::cast(&array.slice(row, 1), &DataType::Float64).ok()?;
                Some(v.as_primitive::<Float64Type>().value(0))
            }
            DataType::Boolean => Some(f64::from(u8::from(array.as_boolean().value(row)))),
            _ => None,
        }
    };
    let text = || -> Result<String, EmberError> {
        let options = FormatOptions::default();
        let f = ArrayFormatter::try_new(array, &options)?;
        Ok(f.value(row).to_string())
    };
    Ok(match t {
        DefaultColumnType::Integer => match array.data_type() {
            DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => text()?,
            _ => match number() {
                Some(v) => format!("{}", v.trunc() as i64),
                None => {
                    // Text in an integer column: SQLite reads its leading number.
                    let s = text()?;
                    let digits: String = s
                        .trim_start()
                        .chars()
                        .enumerate()
                        .take_while(|(i, c)| {
                            c.is_ascii_digit() || (*i == 0 && (*c == '-' || *c == '+'))
                        })
                        .map(|(_, c)| c)
                        .collect();
                    digits.parse::<i64>().unwrap_or(0).to_string()
                }
            },
        },
        DefaultColumnType::FloatingPoint => match number() {
            Some(v) => format!("{v:.3}"),
            None => text()?
                .trim()
                .parse::<f64>()
                .map(|v| format!("{v:.3}"))
                .unwrap_or_else(|_| "0.000".into()),
        },
        _ => {
            let s = text()?;
            if s.is_empty() { "(empty)".into() } else { s }
        }
    })
}

fn rows_of(
    batches: &[RecordBatch],
    types: &[DefaultColumnType],
) -> Result<Vec<Vec<String>>, EmberError> {
    let mut rows = Vec::new();
    for batch in batches {
        for r in 0..batch.num_rows() {
            let mut row = Vec::with_capacity(batch.num_columns());
            for (c, column) in batch.columns().iter().enumerate() {
                let t = types.get(c).unwrap_or(&DefaultColumnType::Any);
                row.push(format_value(column.as_ref(), r, t)?);
            }
            rows.push(row);
        }
    }
    Ok(rows)
}

impl sqllogictest::DB for SqliteDb {
    type Error = EmberError;
    type ColumnType = DefaultColumnType;

    fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, EmberError> {
        let df = self.ctx.sql(sql)?;
        let schema = df.schema();
        let batches = df.collect()?;
        if schema.fields().is_empty() {
            return Ok(DBOutput::StatementComplete(0));
        }
        let expected = self.expected.lock().map(|t| t.clone()).unwrap_or_default();
        let types: Vec<DefaultColumnType> = if expected.len() == schema.fields().len() {
            expected
        } else {
            vec![DefaultColumnType::Any; schema.fields().len()]
        };
        Ok(DBOutput::Rows {
            rows: rows_of(&batches, &types)?,
            types,
        })
    }

    fn engine_name(&self) -> &str {
        "ember"
    }
}

/// Runs one file; returns (passed, skipped, failures).
fn run_file(path: &PathBuf) -> (usize, usize, Vec<String>) {
    let records = sqllogictest::parse_file::<DefaultColumnType>(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let expected: Expected = Arc::default();
    let for_db = expected.clone();
    let mut runner = sqllogictest::Runner::new(move || {
        let expected = for_db.clone();
        async move {
            Ok::<_, EmberError>(SqliteDb {
                ctx: SessionContext::new(),
                expected,
            })
        }
    });
    runner.add_label("ember");
    runner.with_hash_threshold(8);
    let (mut passed, mut skipped, mut failures) = (0, 0, Vec::new());
    for record in records {
        let query = match &record {
            Record::Query {
                conditions,
                expected: q,
                ..
            } => {
                if conditions
                    .iter()
                    .any(|c| matches!(c, Condition::SkipIf { label } if label == "ember"))
                {
                    skipped += 1;
                    continue;
                }
                if let QueryExpect::Results { types, .. } = q
                    && let Ok(mut e) = expected.lock()
                {
                    *e = types.clone();
                }
                true
            }
            _ => false,
        };
        match runner.run(record) {
            Ok(_) if query => passed += 1,
            Ok(_) => {}
            Err(e) => failures.push(e.display(false).to_string()),
        }
    }
    (passed, skipped, failures)
}

/// Runs `tests/sqlite/<name>` and fails with its first failures, if any.
fn check_file(name: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/sqlite")
        .join(name);
    let (passed, skipped, failures) = run_file(&path);
    let report = format!(
        "{name}: {passed} passed, {skipped} skipped, {} failed",
        failures.len()
    );
    println!("{report}");
    assert!(passed > 0, "{report}: no query ran");
    assert!(
        failures.is_empty(),
        "{report}\n{}",
        failures
            .iter()
            .take(50)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}

// One test per file, so that the files run in parallel.

#[test]
fn sqlite_select1() {
    check_file("select1.test");
}

#[test]
fn sqlite_select2() {
    check_file("select2.test");
}

#[test]
fn sqlite_select3() {
    check_file("select3.test");
}

#[test]
fn sqlite_select4() {
    check_file("select4.test");
}

#[test]
fn sqlite_select5() {
    check_file("select5.test");
}
