//! Comparisons (`= <> < <= > >=`) with NULL in, NULL out; booleans for AND/OR/NOT;
//! and string concatenation `||`.
//!
//! In: two [`Operand`]s of equal type (the planner coerced them). Out: an `Operand`.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, StringBuilder, new_null_array};
use arrow::compute::kernels::cmp;
use arrow::datatypes::DataType;
use ember_planner::expr::BinaryOp;
use ember_planner::types::sql_type_name;

use crate::error::{EmberError, Result};
use crate::expr::operand::{Operand, datum_kernel};

/// `l op r` for a comparison operator.
pub fn compare(op: BinaryOp, l: &Operand, r: &Operand) -> Result<Operand> {
    if *l.data_type() == DataType::Null || *r.data_type() == DataType::Null {
        return Ok(null_booleans(l, r));
    }
    let (l, r) = align_types(l, r)?;
    datum_kernel(&l, &r, |a, b| {
        let out = match op {
            BinaryOp::Eq => cmp::eq(a, b)?,
            BinaryOp::NotEq => cmp::neq(a, b)?,
            BinaryOp::Lt => cmp::lt(a, b)?,
            BinaryOp::LtEq => cmp::lt_eq(a, b)?,
            BinaryOp::Gt => cmp::gt(a, b)?,
            BinaryOp::GtEq => cmp::gt_eq(a, b)?,
            other => {
                return Err(EmberError::internal(format!(
                    "'{other}' is not a comparison"
                )));
            }
        };
        Ok(Arc::new(out) as ArrayRef)
    })
}

/// A NULL boolean of the shape of the longer operand.
fn null_booleans(l: &Operand, r: &Operand) -> Operand {
    match (l, r) {
        (Operand::Array(a), _) | (_, Operand::Array(a)) => {
            Operand::Array(new_null_array(&DataType::Boolean, a.len()))
        }
        _ => Operand::Scalar(new_null_array(&DataType::Boolean, 1)),
    }
}

/// Casts the operands to one type when they differ (decimals to a common scale,
/// anything else to the left type), so kernels that need equal types accept them.
pub(crate) fn align_types(l: &Operand, r: &Operand) -> Result<(Operand, Operand)> {
    let (lt, rt) = (l.data_type(), r.data_type());
    if lt == rt {
        return Ok((l.clone(), r.clone()));
    }
    let target = match (lt, rt) {
        (DataType::Decimal128(_, s1), DataType::Decimal128(_, s2)) => {
            DataType::Decimal128(38, (*s1).max(*s2))
        }
        (DataType::Utf8View | DataType::LargeUtf8, _) => DataType::Utf8,
        _ => lt.clone(),
    };
    let cast = |o: &Operand| -> Result<Operand> {
        if *o.data_type() == target {
            Ok(o.clone())
        } else {
            o.clone().map(|a| Ok(arrow::compute::cast(a, &target)?))
        }
    };
    Ok((cast(l)?, cast(r)?))
}

/// A BOOLEAN array from a BOOLEAN (or NULL-typed) array.
pub fn to_boolean(array: ArrayRef) -> Result<BooleanArray> {
    match array.data_type() {
        DataType::Boolean => Ok(array.as_boolean().clone()),
        DataType::Null => Ok(BooleanArray::from(vec![None; array.len()])),
        t => Err(EmberError::internal(format!(
            "expected a BOOLEAN operand, got {}",
            sql_type_name(t)
        ))),
    }
}

/// `l || r`: NULL when either side is NULL.
pub fn concat_strings(l: &Operand, r: &Operand, len: usize) -> Result<Operand> {
    let to_utf8 = |o: &Operand| -> Result<Operand> {
        if *o.data_type() == DataType::Utf8 {
            Ok(o.clone())
        } else {
            o.clone()
                .map(|a| Ok(arrow::compute::cast(a, &DataType::Utf8)?))
        }
    };
    let (l, r) = (to_utf8(l)?, to_utf8(r)?);
    let rows = if l.is_scalar() && r.is_scalar() {
        1
    } else {
        len
    };
    let la = l.array().as_string::<i32>();
    let ra = r.array().as_string::<i32>();
    let mut builder = StringBuilder::with_capacity(rows, rows * 16);
    let mut buf = String::new();
    for i in 0..rows {
        let li = if l.is_scalar() { 0 } else { i };
        let ri = if r.is_scalar() { 0 } else { i };
        if la.is_valid(li) && ra.is_valid(ri) {
            buf.clear();
            buf.push_str(la.value(li));
            buf.push_str(ra.value(ri));
            builder.append_value(&buf);
        } else {
            builder.append_null();
        }
    }
    let array = Arc::new(builder.finish()) as ArrayRef;
    Ok(if rows == 1 && l.is_scalar() && r.is_scalar() {
        Operand::Scalar(array)
    } else {
        Operand::Array(array)
    })
}
