//! `[NOT] LIKE` and `[NOT] ILIKE` with `%`, `_` and backslash escapes, by Arrow's
//! like kernels.
//!
//! In: a string operand and a pattern operand. Out: a BOOLEAN operand (NULL in,
//! NULL out).

use std::sync::Arc;

use arrow::array::ArrayRef;
use arrow::compute::{ilike, like, nilike, nlike};
use arrow::datatypes::DataType;

use crate::error::Result;
use crate::expr::operand::{Operand, datum_kernel};

/// `value [NOT] [I]LIKE pattern`.
pub fn evaluate_like(
    value: &Operand,
    pattern: &Operand,
    negated: bool,
    case_insensitive: bool,
) -> Result<Operand> {
    let value = to_utf8(value)?;
    let pattern = to_utf8(pattern)?;
    datum_kernel(&value, &pattern, |v, p| {
        let out = match (negated, case_insensitive) {
            (false, false) => like(v, p)?,
            (true, false) => nlike(v, p)?,
            (false, true) => ilike(v, p)?,
            (true, true) => nilike(v, p)?,
        };
        Ok(Arc::new(out) as ArrayRef)
    })
}

fn to_utf8(o: &Operand) -> Result<Operand> {
    if *o.data_type() == DataType::Utf8 {
        return Ok(o.clone());
    }
    o.clone()
        .map(|a| Ok(arrow::compute::cast(a, &DataType::Utf8)?))
}
