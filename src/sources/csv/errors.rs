//! CSV errors as users read them: the file, the physical line (and column or field
//! name) and what was expected, from the errors of Arrow's CSV reader.
//!
//! In: an `ArrowError` from schema inference or from reading a file, the file and its
//! columns. Out: an [`EmberError::Data`] such as `bad data in 'f.csv': line 12, column
//! 'id': expected a BIGINT, found 'abc'`. Arrow counts records, not lines (and counts
//! from 0 in value errors, from 1 elsewhere), and stops counting a record's fields at
//! the expected number plus one; a record's line and fields are found by scanning the
//! file again with `scanner`, which only happens once reading has failed.
//!
//! May import: `arrow`, `ember_planner::types`, `super::scanner`, `crate::error`.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use arrow::datatypes::{DataType, Schema};
use arrow::error::ArrowError;
use ember_planner::types::sql_type_name;

use super::scanner::{RecordInfo, find_record, unterminated_quote_in};
use crate::error::EmberError;

/// A failed read of `path` (with columns `schema`, fields split by `delimiter`).
pub(super) fn read_error(
    e: &ArrowError,
    path: &Path,
    schema: &Schema,
    delimiter: u8,
) -> EmberError {
    let data = |message: String| EmberError::data(path.display().to_string(), message);
    let find = |record: usize| record_in_file(path, delimiter, record);
    match e {
        ArrowError::IoError(_, io) => match unterminated_quote_in(io) {
            Some(fault) => data(fault.to_string()),
            None => EmberError::io(path, std::io::Error::new(io.kind(), io.to_string())),
        },
        ArrowError::CsvError(m) | ArrowError::ParseError(m) => {
            data(record_message(m, schema, find).unwrap_or_else(|| m.clone()))
        }
        other => data(other.to_string()),
    }
}

/// A failed schema inference of `path`; `text` is the message of the CSV crate.
pub(super) fn inference_error(e: &ArrowError, path: &Path) -> EmberError {
    let text = match e {
        ArrowError::CsvError(m) => m.clone(),
        other => other.to_string(),
    };
    // "... Expected <n> records, found <m> records at line <l>": the CSV crate's line
    // is the physical line the record starts on.
    let message = text
        .strip_prefix("Encountered unequal lengths between records on CSV file. Expected ")
        .and_then(|rest| {
            let (expected, rest) = rest.split_once(" records, found ")?;
            let (found, line) = rest.split_once(" records at line ")?;
            Some(format!(
                "line {line}: expected {expected} fields, found {found}"
            ))
        })
        .unwrap_or(text);
    EmberError::data(path.display().to_string(), message)
}

/// Record `record` (1-based, the header counting) of the file, scanned again.
fn record_in_file(path: &Path, delimiter: u8, record: usize) -> Option<RecordInfo> {
    let file = File::open(path).ok()?;
    find_record(BufReader::new(file), delimiter, record as u64)
        .ok()
        .flatten()
}

/// Rewrites Arrow's messages about one record; `None` for other messages. `find`
/// gives record `r` (1-based, the header counting) as scanned from the file.
fn record_message(
    text: &str,
    schema: &Schema,
    find: impl Fn(usize) -> Option<RecordInfo>,
) -> Option<String> {
    // Without the file to scan again, the record number stands in for the line.
    let line_of = |record: usize| find(record).map_or(record as u64, |r| r.line);
    // "incorrect number of fields for line <r>, expected <n> got [more than ]<m>"
    if let Some(rest) = text.strip_prefix("incorrect number of fields for line ") {
        let (record, counts) = rest.split_once(", expected ")?;
        let (expected, found) = counts.split_once(" got ")?;
        let record: usize = record.parse().ok()?;
        let (line, found) = match find(record) {
            Some(r) => (r.line, r.fields.to_string()),
            None => (record as u64, found.to_string()),
        };
        return Some(format!(
            "line {line}: expected {expected} fields, found {found}"
        ));
    }
    // "Error while parsing value '<v>' as type '<t>' for column <c> at line <r0>. Row
    // data: ..." where r0 counts records from 0.
    if let Some(rest) = text.strip_prefix("Error while parsing value '") {
        let (value, rest) = rest.split_once("' as type '")?;
        let (_, rest) = rest.split_once("' for column ")?;
        let (column, rest) = rest.split_once(" at line ")?;
        let record: usize = rest.split('.').next()?.parse().ok()?;
        let line = line_of(record + 1);
        let (name, expected) = column_and_expectation(schema, column.parse().ok()?);
        return Some(format!(
            "line {line}, column '{name}': expected {expected}, found '{value}'"
        ));
    }
    // "Error parsing column <c> at line <r0>: <cause>" (timestamps).
    if let Some(rest) = text.strip_prefix("Error parsing column ") {
        let (column, rest) = rest.split_once(" at line ")?;
        let (record, cause) = rest.split_once(": ")?;
        let line = line_of(record.parse::<usize>().ok()? + 1);
        let (name, expected) = column_and_expectation(schema, column.parse().ok()?);
        return Some(format!(
            "line {line}, column '{name}': expected {expected} ({cause})"
        ));
    }
    // "Encountered invalid UTF-8 data for line <r> and field <f>"
    if let Some(rest) = text.strip_prefix("Encountered invalid UTF-8 data for line ") {
        let (record, field) = rest.split_once(" and field ")?;
        let line = line_of(record.parse().ok()?);
        return Some(format!("line {line}, field {field}: invalid UTF-8"));
    }
    None
}

/// The name of column `index` and what its values must look like.
fn column_and_expectation(schema: &Schema, index: usize) -> (String, String) {
    match schema.fields().get(index) {
        Some(f) => (f.name().clone(), expectation(f.data_type())),
        None => (format!("#{}", index + 1), "a value of its type".to_string()),
    }
}

fn expectation(t: &DataType) -> String {
    let name = sql_type_name(t);
    match t {
        DataType::Boolean => format!("a {name} (true or false)"),
        DataType::Date32 | DataType::Date64 => format!("a {name} (YYYY-MM-DD)"),
        DataType::Timestamp(_, _) => format!("a {name} (YYYY-MM-DD HH:MM:SS)"),
        _ if name.starts_with(['A', 'E', 'I', 'O', 'U']) => format!("an {name}"),
        _ => format!("a {name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::Field;

    fn schema() -> Schema {
        Schema::new(vec![
            Field::new("id", DataType::Int64, true),
            Field::new("n", DataType::Int32, true),
            Field::new("ok", DataType::Boolean, true),
        ])
    }

    #[test]
    fn arrow_record_numbers_become_lines() {
        // Record r starts on line 10 * r here and has 5 fields.
        let line_of = |r: usize| {
            Some(RecordInfo {
                line: 10 * r as u64,
                fields: 5,
            })
        };
        let s = schema();
        assert_eq!(
            record_message(
                "incorrect number of fields for line 3, expected 3 got more than 3",
                &s,
                line_of
            )
            .unwrap(),
            "line 30: expected 3 fields, found 5"
        );
        assert_eq!(
            record_message(
                "incorrect number of fields for line 3, expected 3 got 2",
                &s,
                |_| None
            )
            .unwrap(),
            "line 3: expected 3 fields, found 2"
        );
        assert_eq!(
            record_message(
                "Error while parsing value 'abc' as type 'Int32' for column 1 at line 3. Row data: '[1,abc,true]'",
                &s,
                line_of
            )
            .unwrap(),
            "line 40, column 'n': expected an INTEGER, found 'abc'"
        );
        assert_eq!(
            record_message(
                "Error while parsing value 'y' as type 'Boolean' for column 2 at line 0. Row data: ''",
                &s,
                line_of
            )
            .unwrap(),
            "line 10, column 'ok': expected a BOOLEAN (true or false), found 'y'"
        );
        assert_eq!(
            record_message(
                "Encountered invalid UTF-8 data for line 2 and field 1",
                &s,
                line_of
            )
            .unwrap(),
            "line 20, field 1: invalid UTF-8"
        );
        assert_eq!(record_message("something else", &s, line_of), None);
    }

    #[test]
    fn inference_messages_name_fields() {
        let e = ArrowError::CsvError(
            "Encountered unequal lengths between records on CSV file. Expected 2 records, found 3 records at line 4"
                .into(),
        );
        assert_eq!(
            inference_error(&e, Path::new("r.csv")).to_string(),
            "bad data in 'r.csv': line 4: expected 2 fields, found 3"
        );
    }
}
