//! Rows into a table's columns: each value converted to its column's type and checked
//! against the column's constraints, with errors that name the row.
//!
//! In: batches of a statement's rows (INSERT's source, UPDATE's new rows), which source
//! column fills each table column, the table's declared columns (NOT NULL fields,
//! `VARCHAR(n)` lengths in the metadata) and its unique keys. Out: batches in the
//! table's schema, or an error like `row 3: column 'a' of table 't' is INTEGER: cannot
//! cast 'abc' to INTEGER` — rows counted from 1 in the order the statement produced
//! them.

use std::collections::HashSet;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, new_null_array};
use arrow::datatypes::{DataType, SchemaRef};
use arrow::row::{RowConverter, SortField};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use ember_planner::sql::{MAX_LENGTH_KEY, SMALLINT_KEY};

use crate::error::{EmberError, Result};
use crate::expr::cast::cast_array;
use ember_planner::types::sql_type_name;

/// The table being written, for conversions and messages.
pub struct Target<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its declared columns.
    pub schema: &'a SchemaRef,
    /// The partition of the statement's rows being converted, when rows are counted
    /// per partition (rows written by parallel tasks).
    pub partition: Option<usize>,
}

impl Target<'_> {
    /// `batch` in the table's columns: table column `i` takes source column
    /// `columns[i]` (NULL when `None`). `first_row` is the number of the batch's first
    /// row, counted from 1.
    pub fn conform(
        &self,
        batch: &RecordBatch,
        columns: &[Option<usize>],
        first_row: usize,
    ) -> Result<RecordBatch> {
        let rows = batch.num_rows();
        let mut arrays = Vec::with_capacity(self.schema.fields().len());
        for (i, field) in self.schema.fields().iter().enumerate() {
            let to = field.data_type();
            let array = match columns.get(i).copied().flatten() {
                None => new_null_array(to, rows),
                Some(s) => {
                    let source = batch.column(s);
                    if source.data_type() == to {
                        source.clone()
                    } else {
                        cast_array(source, to).map_err(|e| {
                            let row = failing_row(source, to).unwrap_or(0);
                            self.row_error(
                                first_row + row,
                                format!("column '{}' is {}: {e}", field.name(), sql_type_name(to)),
                            )
                        })?
                    }
                }
            };
            if !field.is_nullable() && array.null_count() > 0 {
                let row = (0..rows).find(|&r| array.is_null(r)).unwrap_or(0);
                return Err(self.row_error(
                    first_row + row,
                    format!("NULL in column '{}', which is NOT NULL", field.name()),
                ));
            }
            if let Some(max) = field
                .metadata()
                .get(MAX_LENGTH_KEY)
                .and_then(|m| m.parse::<usize>().ok())
                && *to == DataType::Utf8
            {
                let text = array.as_string::<i32>();
                if let Some((row, v)) = text
                    .iter()
                    .enumerate()
                    .find_map(|(r, v)| v.filter(|v| v.chars().count() > max).map(|v| (r, v)))
                {
                    return Err(self.row_error(
                        first_row + row,
                        format!(
                            "value '{v}' is too long for column '{}' (VARCHAR({max}))",
                            field.name()
                        ),
                    ));
                }
            }
            if field.metadata().contains_key(SMALLINT_KEY) && *to == DataType::Int32 {
                let ints = array.as_primitive::<arrow::datatypes::Int32Type>();
                if let Some((row, v)) = ints
                    .iter()
                    .enumerate()
                    .find_map(|(r, v)| v.filter(|v| i16::try_from(*v).is_err()).map(|v| (r, v)))
                {
                    return Err(self.row_error(
                        first_row + row,
                        format!(
                            "value {v} is out of range for column '{}' (SMALLINT)",
                            field.name()
                        ),
                    ));
                }
            }
            arrays.push(array);
        }
        let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(rows));
        Ok(RecordBatch::try_new_with_options(
            self.schema.clone(),
            arrays,
            &options,
        )?)
    }

    /// Checks that no two rows of `batches` share a value of any unique key (keys with
    /// a NULL part never clash, as in PostgreSQL). Rows before `first_new` were there
    /// before the statement; a clash is reported at the statement's row.
    pub fn check_unique(
        &self,
        batches: &[RecordBatch],
        keys: &[Vec<usize>],
        first_new: usize,
    ) -> Result<()> {
        for key in keys {
            let converter = RowConverter::new(
                key.iter()
                    .map(|&c| SortField::new(self.schema.field(c).data_type().clone()))
                    .collect(),
            )?;
            let mut seen: HashSet<Vec<u8>> = HashSet::new();
            let mut row_number = 0usize;
            for batch in batches {
                let columns: Vec<ArrayRef> = key.iter().map(|&c| batch.column(c).clone()).collect();
                let rows = converter.convert_columns(&columns)?;
                for r in 0..batch.num_rows() {
                    row_number += 1;
                    if columns.iter().any(|c| c.is_null(r)) {
                        continue;
                    }
                    if !seen.insert(rows.row(r).data().to_vec()) {
                        let names: Vec<&str> = key
                            .iter()
                            .map(|&c| self.schema.field(c).name().as_str())
                            .collect();
                        let values = key
                            .iter()
                            .map(|&c| display(batch.column(c), r))
                            .collect::<Vec<_>>();
                        return Err(self.row_error(
                            row_number.saturating_sub(first_new),
                            format!(
                                "duplicate key ({})=({}) violates a unique key",
                                names.join(", "),
                                values.join(", ")
                            ),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    fn row_error(&self, row: usize, message: String) -> EmberError {
        match self.partition {
            None => EmberError::execution(format!("table '{}', row {row}: {message}", self.name)),
            Some(p) => EmberError::execution(format!(
                "table '{}', row {row} of partition {p}: {message}",
                self.name
            )),
        }
    }
}

/// The index (from 0) of the first row whose value alone does not cast to `to`.
fn failing_row(array: &ArrayRef, to: &DataType) -> Option<usize> {
    (0..array.len()).find(|&r| array.is_valid(r) && cast_array(&array.slice(r, 1), to).is_err())
}

fn display(array: &ArrayRef, row: usize) -> String {
    ArrayFormatter::try_new(array.as_ref(), &FormatOptions::default())
        .map(|f| f.value(row).to_string())
        .unwrap_or_default()
}

/// An empty batch of the table's columns (for tables with no rows).
pub fn empty(schema: &SchemaRef) -> RecordBatch {
    RecordBatch::new_empty(Arc::clone(schema))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{Field, Schema};
    use std::collections::HashMap;

    fn table() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("a", DataType::Int32, false),
            Field::new("b", DataType::Utf8, true).with_metadata(HashMap::from([(
                MAX_LENGTH_KEY.to_string(),
                "3".to_string(),
            )])),
        ]))
    }

    fn source(a: Vec<Option<&str>>, b: Vec<Option<&str>>) -> RecordBatch {
        let s = Arc::new(Schema::new(vec![
            Field::new("x", DataType::Utf8, true),
            Field::new("y", DataType::Utf8, true),
        ]));
        RecordBatch::try_new(
            s,
            vec![
                Arc::new(StringArray::from(a)),
                Arc::new(StringArray::from(b)),
            ],
        )
        .unwrap()
    }

    #[test]
    fn converts_and_names_the_failing_row() {
        let schema = table();
        let t = Target {
            name: "t",
            schema: &schema,
            partition: None,
        };
        let ok = t
            .conform(
                &source(vec![Some("1"), Some(" 2")], vec![Some("x"), None]),
                &[Some(0), Some(1)],
                1,
            )
            .unwrap();
        assert_eq!(ok.column(0).data_type(), &DataType::Int32);
        let e = t
            .conform(
                &source(vec![Some("1"), Some("zz")], vec![None, None]),
                &[Some(0), Some(1)],
                11,
            )
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "table 't', row 12: column 'a' is INTEGER: cannot cast 'zz' to INTEGER"
        );
        let e = t
            .conform(
                &source(vec![Some("1"), None], vec![None, None]),
                &[Some(0), Some(1)],
                1,
            )
            .unwrap_err()
            .to_string();
        assert_eq!(e, "table 't', row 2: NULL in column 'a', which is NOT NULL");
        let e = t
            .conform(
                &source(vec![Some("1")], vec![Some("abcd")]),
                &[Some(0), Some(1)],
                1,
            )
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("row 1: value 'abcd' is too long for column 'b' (VARCHAR(3))"),
            "{e}"
        );
        let e = t
            .conform(&source(vec![Some("1")], vec![None]), &[None, Some(1)], 1)
            .unwrap_err()
            .to_string();
        assert!(e.contains("NULL in column 'a'"), "{e}");
    }

    #[test]
    fn unique_keys_ignore_nulls_and_name_the_clash() {
        let schema: SchemaRef = Arc::new(Schema::new(vec![Field::new("k", DataType::Int64, true)]));
        let t = Target {
            name: "t",
            schema: &schema,
            partition: None,
        };
        let b = |v: Vec<Option<i64>>| {
            RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(v))]).unwrap()
        };
        t.check_unique(
            &[b(vec![Some(1), None]), b(vec![None, Some(2)])],
            &[vec![0]],
            0,
        )
        .unwrap();
        let e = t
            .check_unique(
                &[b(vec![Some(1), Some(2)]), b(vec![Some(3), Some(2)])],
                &[vec![0]],
                2,
            )
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "table 't', row 2: duplicate key (k)=(2) violates a unique key"
        );
    }
}
