//! Values: literal rows as one batch.
//!
//! In: rows of scalars and the schema. Out: one batch (zero columns allowed; the
//! row count is kept).

use arrow::array::{ArrayRef, RecordBatch, new_empty_array};
use arrow::compute::concat;
use arrow::datatypes::SchemaRef;
use ember_planner::ScalarValue;

use crate::error::{EmberError, Result};
use crate::expr::cast::cast_array;
use crate::ops::batch_with_schema;

/// The literal `rows` as a batch of `schema`.
pub fn values_batch(rows: &[Vec<ScalarValue>], schema: &SchemaRef) -> Result<RecordBatch> {
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for (c, field) in schema.fields().iter().enumerate() {
        let mut pieces = Vec::with_capacity(rows.len());
        for (r, row) in rows.iter().enumerate() {
            let value = row
                .get(c)
                .ok_or_else(|| EmberError::internal(format!("VALUES row {r} has no column {c}")))?;
            pieces.push(cast_array(&value.to_array(1), field.data_type())?);
        }
        let column = if pieces.is_empty() {
            new_empty_array(field.data_type())
        } else {
            let refs: Vec<&dyn arrow::array::Array> = pieces.iter().map(|p| p.as_ref()).collect();
            concat(&refs)?
        };
        columns.push(column);
    }
    batch_with_schema(schema, columns, rows.len())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{DataType, Field, Int64Type, Schema};

    use super::*;

    #[test]
    fn builds_rows_with_nulls_and_casts() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("a", DataType::Int64, true),
            Field::new("b", DataType::Utf8, true),
        ]));
        let rows = vec![
            vec![
                ScalarValue::Int64(Some(1)),
                ScalarValue::Utf8(Some("x".into())),
            ],
            vec![ScalarValue::Null, ScalarValue::Utf8(None)],
        ];
        let out = values_batch(&rows, &schema).unwrap();
        assert_eq!(out.num_rows(), 2);
        assert_eq!(out.column(0).as_primitive::<Int64Type>().value(0), 1);
        assert!(out.column(0).is_null(1));
        assert_eq!(out.column(1).as_string::<i32>().value(0), "x");
    }

    #[test]
    fn zero_columns_keep_rows() {
        let out = values_batch(&[vec![], vec![]], &Arc::new(Schema::empty())).unwrap();
        assert_eq!(out.num_rows(), 2);
        assert_eq!(out.num_columns(), 0);
    }
}
