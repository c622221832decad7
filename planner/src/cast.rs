//! Casting a constant at plan time: the one rule both the analyzer (folding
//! `CAST(literal AS type)` and literals meeting typed columns) and the physical planner
//! (literals cast to an operator's operand type, VALUES cells) follow.
//!
//! In: a [`ScalarValue`] and a target type. Out: the value in that type when the
//! conversion is exact and in range, else `None`, and the cast is left for execution,
//! which converts or fails on the value with the same rules a column cast follows
//! (`CAST(12345.6 AS DECIMAL(4,1))` is an out-of-range error, never `12345.6` typed
//! DECIMAL(4,1)).

use arrow::datatypes::{DataType, TimeUnit};

use crate::scalar::{ScalarValue, parse_date32, parse_timestamp};
use crate::types::MAX_DECIMAL_PRECISION;

/// `CAST(v AS to)` computed now, when it is exact and the result fits `to`.
pub fn cast_scalar(v: &ScalarValue, to: &DataType) -> Option<ScalarValue> {
    use ScalarValue as S;
    if v.data_type() == *to {
        return Some(v.clone());
    }
    if v.is_null() {
        let n = ScalarValue::null_of(to);
        return (n.data_type() == *to).then_some(n);
    }
    Some(match (v, to) {
        (S::Utf8(Some(s)), DataType::Date32) => S::Date32(Some(parse_date32(s)?)),
        (S::Utf8(Some(s)), DataType::Timestamp(TimeUnit::Microsecond, None)) => {
            S::Timestamp(Some(parse_timestamp(s)?))
        }
        (S::Date32(Some(d)), DataType::Timestamp(TimeUnit::Microsecond, None)) => {
            S::Timestamp(Some(i64::from(*d).checked_mul(86_400_000_000)?))
        }
        (S::Int32(Some(i)), DataType::Utf8) => S::Utf8(Some(i.to_string())),
        (S::Int64(Some(i)), DataType::Utf8) => S::Utf8(Some(i.to_string())),
        (S::Boolean(Some(b)), DataType::Utf8) => S::Utf8(Some(b.to_string())),
        (S::Int32(Some(i)), DataType::Int64) => S::Int64(Some(i64::from(*i))),
        (S::Int64(Some(i)), DataType::Int32) => S::Int32(Some(i32::try_from(*i).ok()?)),
        (S::Int32(Some(i)), DataType::Float64) => S::Float64(Some(f64::from(*i))),
        (S::Int64(Some(i)), DataType::Float64) => S::Float64(Some(*i as f64)),
        (S::Int32(Some(i)), DataType::Decimal128(p, s)) => decimal(i128::from(*i), 0, *p, *s)?,
        (S::Int64(Some(i)), DataType::Decimal128(p, s)) => decimal(i128::from(*i), 0, *p, *s)?,
        (S::Decimal128(Some(v), _, from), DataType::Decimal128(p, s)) => {
            decimal(*v, *from, *p, *s)?
        }
        (S::Decimal128(Some(v), _, s), DataType::Float64) => {
            S::Float64(Some(*v as f64 / 10f64.powi(i32::from(*s))))
        }
        _ => return None,
    })
}

/// The unscaled value `v` at scale `from`, rescaled to DECIMAL(p, s) when no digit is
/// lost and it fits the precision.
fn decimal(v: i128, from: i8, p: u8, s: i8) -> Option<ScalarValue> {
    if s < from || p > MAX_DECIMAL_PRECISION {
        return None;
    }
    let scaled = v.checked_mul(10i128.checked_pow(u32::try_from(s - from).ok()?)?)?;
    let limit = 10i128.checked_pow(u32::from(p))?;
    (scaled.abs() < limit).then_some(ScalarValue::Decimal128(Some(scaled), p, s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casts_only_what_is_exact_and_in_range() {
        assert_eq!(
            cast_scalar(&ScalarValue::Int64(Some(24)), &DataType::Decimal128(21, 2)),
            Some(ScalarValue::Decimal128(Some(2400), 21, 2))
        );
        assert_eq!(
            cast_scalar(&ScalarValue::Int64(Some(1000)), &DataType::Decimal128(3, 0)),
            None
        );
        // 12345.6 does not fit DECIMAL(4,1): left for the runtime cast, which fails.
        assert_eq!(
            cast_scalar(
                &ScalarValue::Decimal128(Some(123456), 6, 1),
                &DataType::Decimal128(4, 1)
            ),
            None
        );
        assert_eq!(
            cast_scalar(
                &ScalarValue::Decimal128(Some(1234), 4, 1),
                &DataType::Decimal128(6, 2)
            ),
            Some(ScalarValue::Decimal128(Some(12340), 6, 2))
        );
        // Dropping a digit would round: also left for execution.
        assert_eq!(
            cast_scalar(
                &ScalarValue::Decimal128(Some(125), 3, 2),
                &DataType::Decimal128(2, 1)
            ),
            None
        );
        assert_eq!(
            cast_scalar(&ScalarValue::Int64(Some(i64::MAX)), &DataType::Int32),
            None
        );
        assert_eq!(
            cast_scalar(
                &ScalarValue::Utf8(Some("1970-01-02".into())),
                &DataType::Date32
            ),
            Some(ScalarValue::Date32(Some(1)))
        );
        assert_eq!(
            cast_scalar(&ScalarValue::Utf8(Some("nope".into())), &DataType::Date32),
            None
        );
        assert_eq!(
            cast_scalar(&ScalarValue::Null, &DataType::Int64),
            Some(ScalarValue::Int64(None))
        );
        assert_eq!(
            cast_scalar(&ScalarValue::Int64(Some(7)), &DataType::Int64),
            Some(ScalarValue::Int64(Some(7)))
        );
    }
}
