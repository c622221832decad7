//! `expr [NOT] IN (v1, v2, ...)` with SQL's NULL semantics: true on a match, else
//! NULL when the value or any candidate is NULL, else false; NOT IN negates that.
//!
//! In: the tested value and the candidates, evaluated by the caller (one at a time, as
//! this file asks for them). Out: a BOOLEAN operand.

use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray};
use arrow::compute::kernels::boolean::{not, or_kleene};
use arrow::datatypes::DataType;
use ember_planner::expr::BinaryOp;

use crate::error::Result;
use crate::expr::compare::{compare, to_boolean};
use crate::expr::operand::Operand;

/// `value [NOT] IN (candidates)` over `len` rows.
pub fn evaluate_in_list(
    value: &Operand,
    candidates: impl IntoIterator<Item = Result<Operand>>,
    negated: bool,
    len: usize,
) -> Result<Operand> {
    let mut found: Option<BooleanArray> = None;
    for candidate in candidates {
        let candidate = candidate?;
        let eq = to_boolean(compare(BinaryOp::Eq, value, &candidate)?.into_array(len)?)?;
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
