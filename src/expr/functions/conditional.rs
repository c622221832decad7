//! Conditional functions: `coalesce`, `ifnull` and `nullif`. Their arguments are
//! already of one common type (the analyzer unified them), except nullif's second.

use arrow::array::{Array, ArrayRef};
use arrow::compute::kernels::zip::zip;
use arrow::compute::{is_not_null, nullif, prep_null_mask_filter};
use arrow::datatypes::DataType;
use ember_planner::expr::BinaryOp;

use super::Call;
use crate::error::Result;
use crate::expr::cast::cast_array;
use crate::expr::compare::{align_types, compare, to_boolean};
use crate::expr::operand::Operand;

/// Evaluates one conditional function.
pub(super) fn evaluate(c: &Call) -> Result<ArrayRef> {
    match c.name {
        "coalesce" | "ifnull" => coalesce(c),
        "nullif" => null_if(c),
        other => Err(c.error(format!("{other} is not a conditional function"))),
    }
}

/// The first non-NULL argument.
fn coalesce(c: &Call) -> Result<ArrayRef> {
    let Some(last) = c.args.last() else {
        return Err(c.error("needs at least one argument"));
    };
    let mut result = cast_array(last, c.data_type)?;
    for a in c.args.iter().rev().skip(1) {
        let a = cast_array(a, c.data_type)?;
        let present = is_not_null(a.as_ref())?;
        result = zip(&present, &a, &result)?;
    }
    Ok(result)
}

/// NULL where `a = b`, else `a`.
fn null_if(c: &Call) -> Result<ArrayRef> {
    c.arity(2, 2)?;
    let (a0, b0) = (&c.args[0], &c.args[1]);
    if *a0.data_type() == DataType::Null || *b0.data_type() == DataType::Null {
        return Ok(a0.clone());
    }
    let (a, b) = align_types(&Operand::Array(a0.clone()), &Operand::Array(b0.clone()))?;
    let equal = to_boolean(compare(BinaryOp::Eq, &a, &b)?.into_array(c.rows)?)?;
    let equal = if equal.null_count() > 0 {
        prep_null_mask_filter(&equal)
    } else {
        equal
    };
    let out = nullif(a.array().as_ref(), &equal)?;
    cast_array(&out, a0.data_type())
}
