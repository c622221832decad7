//! Filter: keeps the rows where a predicate is true (NULL drops the row).
//!
//! In: a batch and a boolean `PhysExpr`. Out: a batch of the same schema.
//!
//! A predicate of several conjuncts (`a AND b AND ...`) is evaluated one conjunct at a
//! time, the cheap ones first (comparisons of numbers and dates before anything that
//! reads strings or calls functions). The batch is cut down to the rows kept so far
//! when that saves work: once at most half the rows are left and a costly conjunct
//! is still to come, or at most an eighth; otherwise the conjuncts' verdicts are
//! combined and applied at the end, so a cheap conjunct never costs a copy of the
//! batch. A row is kept when every conjunct is true, as with the whole predicate.

use arrow::array::{BooleanArray, RecordBatch};
use arrow::compute::{and, filter_record_batch};
use arrow::datatypes::DataType;
use ember_planner::expr::BinaryOp;
use ember_planner::physical::PhysExpr;

use crate::error::Result;
use crate::expr::evaluate_predicate;

/// The rows of `batch` where `predicate` is true.
pub fn filter_batch(batch: &RecordBatch, predicate: &PhysExpr) -> Result<RecordBatch> {
    let mut conjuncts = Vec::new();
    split_and(predicate, &mut conjuncts);
    if conjuncts.len() == 1 {
        let mask = evaluate_predicate(predicate, batch)?;
        return apply(batch, &mask);
    }
    // Stable: conjuncts of one cost keep the order they were written in.
    let mut costed: Vec<(u32, &PhysExpr)> =
        conjuncts.iter().map(|c| (cost(c, batch), *c)).collect();
    costed.sort_by_key(|(c, _)| *c);
    let mut current = batch.clone();
    // The conjuncts' verdicts on `current` not yet applied to it.
    let mut pending: Option<BooleanArray> = None;
    for (i, &(_, conjunct)) in costed.iter().enumerate() {
        let mask = evaluate_predicate(conjunct, &current)?;
        let mask = match pending.take() {
            Some(before) => and(&before, &mask)?,
            None => mask,
        };
        let rows = current.num_rows();
        let kept = mask.true_count();
        if kept == 0 {
            return Ok(current.slice(0, 0));
        }
        let costly_rest = costed[i + 1..].iter().any(|(c, _)| *c >= COSTLY);
        if kept * 8 <= rows || (costly_rest && kept * 2 <= rows) {
            current = filter_record_batch(&current, &mask)?;
        } else if kept < rows {
            pending = Some(mask);
        }
    }
    match pending {
        Some(mask) => apply(&current, &mask),
        None => Ok(current),
    }
}

/// The cost from which a conjunct is worth evaluating over fewer rows (one that reads a
/// string column or calls a function).
const COSTLY: u32 = 8;

/// The rows of `batch` where `mask` is true.
fn apply(batch: &RecordBatch, mask: &BooleanArray) -> Result<RecordBatch> {
    if mask.true_count() == batch.num_rows() {
        return Ok(batch.clone());
    }
    Ok(filter_record_batch(batch, mask)?)
}

/// The conjuncts of `expr`, in the order written.
fn split_and<'e>(expr: &'e PhysExpr, out: &mut Vec<&'e PhysExpr>) {
    match expr {
        PhysExpr::Binary {
            left,
            op: BinaryOp::And,
            right,
            ..
        } => {
            split_and(left, out);
            split_and(right, out);
        }
        other => out.push(other),
    }
}

/// A rough cost of evaluating `expr` over `batch`: one per node, more for reading a
/// string or binary column, and more again for a pattern match or a function call.
fn cost(expr: &PhysExpr, batch: &RecordBatch) -> u32 {
    let mut total = 0u32;
    let mut pending = vec![expr];
    while let Some(e) = pending.pop() {
        total = total.saturating_add(match e {
            PhysExpr::Column { index, .. } => {
                let wide = batch.schema().fields().get(*index).is_some_and(|f| {
                    matches!(
                        f.data_type(),
                        DataType::Utf8
                            | DataType::LargeUtf8
                            | DataType::Utf8View
                            | DataType::Binary
                            | DataType::LargeBinary
                            | DataType::BinaryView
                            | DataType::Dictionary(_, _)
                    )
                });
                if wide { 8 } else { 1 }
            }
            PhysExpr::Like { .. } | PhysExpr::Function { .. } => 16,
            _ => 1,
        });
        e.for_each_child(|c| pending.push(c));
    }
    total
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

    fn compare(column: usize, op: BinaryOp, value: i64) -> PhysExpr {
        PhysExpr::Binary {
            left: Box::new(PhysExpr::column(column, "c")),
            op,
            right: Box::new(PhysExpr::Literal(ScalarValue::Int64(Some(value)))),
            data_type: DataType::Boolean,
        }
    }

    fn and_all(mut conjuncts: Vec<PhysExpr>) -> PhysExpr {
        let first = conjuncts.remove(0);
        conjuncts
            .into_iter()
            .fold(first, |left, right| PhysExpr::Binary {
                left: Box::new(left),
                op: BinaryOp::And,
                right: Box::new(right),
                data_type: DataType::Boolean,
            })
    }

    /// Conjuncts one at a time keep exactly the rows the whole predicate keeps, with
    /// NULLs, whichever conjunct drops most, and when none or all rows survive.
    #[test]
    fn conjuncts_one_at_a_time_keep_what_the_whole_predicate_keeps() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("a", DataType::Int64, true),
            Field::new("b", DataType::Int64, true),
        ]));
        let a: Vec<Option<i64>> = (0..1000).map(|i| (i % 13 != 0).then_some(i)).collect();
        let b: Vec<Option<i64>> = (0..1000).map(|i| (i % 7 != 0).then_some(i % 10)).collect();
        let batch = RecordBatch::try_new(
            schema,
            vec![Arc::new(Int64Array::from(a)), Arc::new(Int64Array::from(b))],
        )
        .unwrap();
        let cases = [
            vec![compare(0, BinaryOp::Gt, 100), compare(1, BinaryOp::Lt, 8)],
            vec![compare(1, BinaryOp::Eq, 3), compare(0, BinaryOp::GtEq, 0)],
            vec![
                compare(0, BinaryOp::Lt, 900),
                compare(1, BinaryOp::NotEq, 5),
                compare(0, BinaryOp::Gt, 50),
            ],
            vec![compare(0, BinaryOp::Lt, 0), compare(1, BinaryOp::Eq, 1)],
            vec![
                compare(0, BinaryOp::GtEq, -1),
                compare(1, BinaryOp::GtEq, 0),
            ],
        ];
        for conjuncts in cases {
            let whole = and_all(conjuncts);
            let mask = evaluate_predicate(&whole, &batch).unwrap();
            let expected = filter_record_batch(&batch, &mask).unwrap();
            assert_eq!(filter_batch(&batch, &whole).unwrap(), expected, "{whole}");
        }
    }
}
