//! Expand: each input row once per projection — the grouping sets of GROUP BY
//! ROLLUP / CUBE / GROUPING SETS read their input once this way.
//!
//! In: a batch, the projections (each one expression per output column) and the
//! output schema. Out: one batch per projection, each with the input's row count.
//! Imports `crate::expr` for evaluation and [`crate::ops::project`].

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use ember_planner::physical::PhysExpr;

use crate::error::Result;
use crate::ops::project::project_batch;

/// Evaluates every projection over `batch`: one output batch of `schema` per
/// projection, in order (none for an empty input batch).
pub fn expand_batch(
    batch: &RecordBatch,
    projections: &[Vec<PhysExpr>],
    schema: &SchemaRef,
) -> Result<Vec<RecordBatch>> {
    if batch.num_rows() == 0 {
        return Ok(vec![]);
    }
    projections
        .iter()
        .map(|exprs| project_batch(batch, exprs, schema))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use ember_planner::ScalarValue;

    use super::*;
    use crate::ops::sorted_rows;

    fn column(name: &str, index: usize) -> PhysExpr {
        PhysExpr::Column {
            name: name.to_string(),
            index,
        }
    }

    #[test]
    fn each_row_comes_out_once_per_projection() {
        let input_schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Utf8, true),
            Field::new("v", DataType::Int64, true),
        ]));
        let batch = RecordBatch::try_new(
            input_schema,
            vec![
                Arc::new(StringArray::from(vec!["a", "b"])),
                Arc::new(Int64Array::from(vec![1, 2])),
            ],
        )
        .unwrap();
        let out_schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Utf8, true),
            Field::new("gid", DataType::Int64, false),
            Field::new("v", DataType::Int64, true),
        ]));
        let v = column("v", 1);
        let projections = vec![
            vec![
                column("k", 0),
                PhysExpr::Literal(ScalarValue::Int64(Some(0))),
                v.clone(),
            ],
            vec![
                PhysExpr::Literal(ScalarValue::Utf8(None)),
                PhysExpr::Literal(ScalarValue::Int64(Some(1))),
                v,
            ],
        ];
        let out = expand_batch(&batch, &projections, &out_schema).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(
            sorted_rows(&out),
            vec!["NULL|1|1", "NULL|1|2", "a|0|1", "b|0|2"]
        );
        let empty = batch.slice(0, 0);
        assert!(
            expand_batch(&empty, &projections, &out_schema)
                .unwrap()
                .is_empty()
        );
    }
}
