//! Projection: evaluates one expression per output column.
//!
//! In: a batch, the expressions and the output schema. Out: a batch of that schema
//! with the input's row count (also when there are no input or output columns).

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use ember_planner::physical::PhysExpr;

use crate::error::Result;
use crate::expr::evaluate;
use crate::ops::batch_with_schema;

/// Evaluates `exprs` over `batch` into a batch of `schema`.
pub fn project_batch(
    batch: &RecordBatch,
    exprs: &[PhysExpr],
    schema: &SchemaRef,
) -> Result<RecordBatch> {
    let columns = exprs
        .iter()
        .map(|e| evaluate(e, batch))
        .collect::<Result<Vec<_>>>()?;
    batch_with_schema(schema, columns, batch.num_rows())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{AsArray, RecordBatchOptions};
    use arrow::datatypes::{DataType, Field, Int64Type, Schema};
    use ember_planner::ScalarValue;
    use ember_planner::expr::BinaryOp;

    use super::*;

    #[test]
    fn select_one_without_input_columns() {
        let input = RecordBatch::try_new_with_options(
            Arc::new(Schema::empty()),
            vec![],
            &RecordBatchOptions::new().with_row_count(Some(1)),
        )
        .unwrap();
        let expr = PhysExpr::Binary {
            left: Box::new(PhysExpr::Literal(ScalarValue::Int64(Some(1)))),
            op: BinaryOp::Plus,
            right: Box::new(PhysExpr::Literal(ScalarValue::Int64(Some(2)))),
            data_type: DataType::Int64,
        };
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
        let out = project_batch(&input, &[expr], &schema).unwrap();
        assert_eq!(out.num_rows(), 1);
        assert_eq!(out.column(0).as_primitive::<Int64Type>().value(0), 3);
    }

    #[test]
    fn zero_output_columns_keep_row_count() {
        let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::Int64, true)]));
        let input = RecordBatch::try_new(
            schema,
            vec![Arc::new(arrow::array::Int64Array::from(vec![1, 2, 3]))],
        )
        .unwrap();
        let out = project_batch(&input, &[], &Arc::new(Schema::empty())).unwrap();
        assert_eq!(out.num_rows(), 3);
    }
}
