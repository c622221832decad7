//! `expr [NOT] IN (v1, v2, ...)` with SQL's NULL semantics: true on a match, else
//! NULL when the value or any candidate is NULL, else false; NOT IN negates that.
//!
//! In: the tested value and the candidates, evaluated by the caller, with the constant
//! candidates apart (as values). Out: a BOOLEAN operand.
//! Constants of the tested value's type go into a hash set, so a list of 100,000
//! constants costs one pass over the list and one probe per row (comparing each row
//! with each candidate would cost their product); any other candidate is compared row
//! by row.

use std::collections::HashSet;
use std::hash::Hash;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, ArrowPrimitiveType, AsArray, BooleanArray};
use arrow::compute::kernels::boolean::{not, or_kleene};
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Float64Type, Int32Type, Int64Type, TimeUnit,
    TimestampMicrosecondType,
};
use ember_planner::ScalarValue;
use ember_planner::expr::BinaryOp;

use crate::error::Result;
use crate::expr::compare::{compare, to_boolean};
use crate::expr::operand::Operand;

/// `value [NOT] IN (constants, others)` over `len` rows: `constants` are the candidates
/// that are literals, `others` the rest, evaluated as they are asked for.
pub fn evaluate_in_list(
    value: &Operand,
    constants: &[&ScalarValue],
    others: impl IntoIterator<Item = Result<Operand>>,
    negated: bool,
    len: usize,
) -> Result<Operand> {
    let values = value.clone().into_array(len)?;
    let value_type = values.data_type();
    let (hashable, rest): (Vec<&ScalarValue>, Vec<&ScalarValue>) = constants
        .iter()
        .partition(|c| c.is_null() || c.data_type() == *value_type);
    let mut found = match_constants(&values, &hashable);
    // Constants that could not be hashed are compared like any other candidate.
    let compared: Vec<&ScalarValue> = if found.is_some() {
        rest
    } else {
        constants.to_vec()
    };
    let compared = compared
        .into_iter()
        .map(|c| Ok(Operand::Scalar(c.to_array(1))));
    for candidate in compared.chain(others) {
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

/// Each row's `IN (constants)`: true when its value is one of them, NULL when it is
/// NULL or unmatched while a constant is NULL, else false. `None` when the value's
/// type has no hashed form here (the caller compares instead).
fn match_constants(values: &ArrayRef, constants: &[&ScalarValue]) -> Option<BooleanArray> {
    use ScalarValue as S;
    if constants.is_empty() {
        return None;
    }
    let any_null = constants.iter().any(|c| c.is_null());
    let present = constants.iter().filter(|c| !c.is_null());
    Some(match values.data_type() {
        DataType::Int32 => probe_primitive::<Int32Type>(
            values,
            present.filter_map(|c| match c {
                S::Int32(v) => *v,
                _ => None,
            }),
            any_null,
        ),
        DataType::Int64 => probe_primitive::<Int64Type>(
            values,
            present.filter_map(|c| match c {
                S::Int64(v) => *v,
                _ => None,
            }),
            any_null,
        ),
        DataType::Date32 => probe_primitive::<Date32Type>(
            values,
            present.filter_map(|c| match c {
                S::Date32(v) => *v,
                _ => None,
            }),
            any_null,
        ),
        DataType::Timestamp(TimeUnit::Microsecond, None) => {
            probe_primitive::<TimestampMicrosecondType>(
                values,
                present.filter_map(|c| match c {
                    S::Timestamp(v) => *v,
                    _ => None,
                }),
                any_null,
            )
        }
        DataType::Decimal128(_, _) => probe_primitive::<Decimal128Type>(
            values,
            present.filter_map(|c| match c {
                S::Decimal128(v, _, _) => *v,
                _ => None,
            }),
            any_null,
        ),
        DataType::Float64 => {
            // Equal as the comparison kernels see it: by total order, i.e. by bits.
            let set: HashSet<u64> = present
                .filter_map(|c| match c {
                    S::Float64(v) => v.map(f64::to_bits),
                    _ => None,
                })
                .collect();
            let floats = values.as_primitive::<Float64Type>();
            probe(
                floats.len(),
                |i| {
                    floats
                        .is_valid(i)
                        .then(|| set.contains(&floats.value(i).to_bits()))
                },
                any_null,
            )
        }
        DataType::Utf8 => {
            let set: HashSet<&str> = present
                .filter_map(|c| match c {
                    S::Utf8(v) => v.as_deref(),
                    _ => None,
                })
                .collect();
            let strings = values.as_string::<i32>();
            probe(
                strings.len(),
                |i| strings.is_valid(i).then(|| set.contains(strings.value(i))),
                any_null,
            )
        }
        DataType::Boolean => {
            let set: HashSet<bool> = present
                .filter_map(|c| match c {
                    S::Boolean(v) => *v,
                    _ => None,
                })
                .collect();
            let bools = values.as_boolean();
            probe(
                bools.len(),
                |i| bools.is_valid(i).then(|| set.contains(&bools.value(i))),
                any_null,
            )
        }
        _ => return None,
    })
}

/// [`probe`] over a primitive array with the constants in a hash set.
fn probe_primitive<T>(
    values: &ArrayRef,
    constants: impl Iterator<Item = T::Native>,
    any_null: bool,
) -> BooleanArray
where
    T: ArrowPrimitiveType,
    T::Native: Hash + Eq,
{
    let set: HashSet<T::Native> = constants.collect();
    let array = values.as_primitive::<T>();
    probe(
        array.len(),
        |i| array.is_valid(i).then(|| set.contains(&array.value(i))),
        any_null,
    )
}

/// One result per row from `hit(i)` (`None` for a NULL value) under IN's rules.
fn probe(len: usize, hit: impl Fn(usize) -> Option<bool>, any_null: bool) -> BooleanArray {
    (0..len)
        .map(|i| match hit(i) {
            Some(true) => Some(true),
            Some(false) if !any_null => Some(false),
            _ => None,
        })
        .collect()
}
