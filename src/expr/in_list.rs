//! `expr [NOT] IN (v1, v2, ...)` with SQL's NULL semantics: true on a match, else
//! NULL when the value or any candidate is NULL, else false; NOT IN negates that.
//!
//! In: the tested expression, the candidates and a batch. Out: a BOOLEAN operand.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::array::{ArrayRef, BooleanArray};
use arrow::compute::kernels::boolean::{not, or_kleene};
use arrow::datatypes::DataType;
use ember_planner::expr::BinaryOp;
use ember_planner::physical::PhysExpr;

use crate::error::Result;
use crate::expr::compare::{compare, to_boolean};
use crate::expr::eval::{Operand, evaluate_operand};

/// Evaluates `expr [NOT] IN (list)` over `batch`.
pub fn evaluate_in_list(
    expr: &PhysExpr,
    list: &[PhysExpr],
    negated: bool,
    batch: &RecordBatch,
) -> Result<Operand> {
    let len = batch.num_rows();
    let value = evaluate_operand(expr, batch)?;
    let mut found: Option<BooleanArray> = None;
    for item in list {
        let candidate = evaluate_operand(item, batch)?;
        let eq = to_boolean(compare(BinaryOp::Eq, &value, &candidate)?.into_array(len)?)?;
        found = Some(match found {
            None => eq,
            Some(acc) => or_kleene(&acc, &eq)?,
        });
    }
    let found = match found {
        Some(f) => f,
        // An empty list matches nothing.
        None => BooleanArray::from(vec![false; len]),
    };
    let out = if negated { not(&found)? } else { found };
    let out = Arc::new(out) as ArrayRef;
    debug_assert_eq!(out.data_type(), &DataType::Boolean);
    Ok(Operand::Array(out))
}
