//! Filter: keeps the rows where a predicate is true (NULL drops the row).
//!
//! In: a batch and a boolean `PhysExpr`. Out: a batch of the same schema.

use arrow::array::RecordBatch;
use arrow::compute::filter_record_batch;
use ember_planner::physical::PhysExpr;

use crate::error::Result;
use crate::expr::evaluate_predicate;

/// The rows of `batch` where `predicate` is true.
pub fn filter_batch(batch: &RecordBatch, predicate: &PhysExpr) -> Result<RecordBatch> {
    let mask = evaluate_predicate(predicate, batch)?;
    if mask.true_count() == batch.num_rows() {
        return Ok(batch.clone());
    }
    Ok(filter_record_batch(batch, &mask)?)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{AsArray, Int64Array};
    use arrow::datatypes::{DataType, Field, Int64Type, Schema};
    use ember_planner::ScalarValue;
    use ember_planner::expr::BinaryOp;

    use super::*;

    #[test]
    fn keeps_true_rows_and_drops_nulls() {
        let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::Int64, true)]));
        let batch = RecordBatch::try_new(
            schema,
            vec![Arc::new(Int64Array::from(vec![
                Some(1),
                None,
                Some(5),
                Some(3),
            ]))],
        )
        .unwrap();
        let pred = PhysExpr::Binary {
            left: Box::new(PhysExpr::column(0, "a")),
            op: BinaryOp::Gt,
            right: Box::new(PhysExpr::Literal(ScalarValue::Int64(Some(2)))),
            data_type: DataType::Boolean,
        };
        let out = filter_batch(&batch, &pred).unwrap();
        let values: Vec<i64> = out.column(0).as_primitive::<Int64Type>().values().to_vec();
        assert_eq!(values, vec![5, 3]);
    }
}
