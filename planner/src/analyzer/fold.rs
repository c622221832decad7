//! Constant folding done while coercing: a literal cast to another type becomes a
//! literal of that type (`'1994-01-01'` → `DATE '1994-01-01'`, `24` → `24.00` as
//! DECIMAL), and `DATE literal ± INTERVAL literal` becomes a date literal.
//!
//! In: literals and target types. Out: the folded literal, or `None` to keep a runtime cast.

use arrow::datatypes::{DataType, TimeUnit};
use chrono::{Days, Months};

use crate::expr::BinaryOp;
use crate::scalar::{ScalarValue, date32_to_naive, naive_to_date32, parse_date32};
use crate::types::MAX_DECIMAL_PRECISION;

/// `CAST(v AS to)` computed now, when it is exact.
pub(crate) fn cast_literal(v: &ScalarValue, to: &DataType) -> Option<ScalarValue> {
    use ScalarValue as S;
    if v.is_null() {
        let n = ScalarValue::null_of(to);
        return (n.data_type() == *to).then_some(n);
    }
    Some(match (v, to) {
        (S::Utf8(Some(s)), DataType::Date32) => S::Date32(Some(parse_date32(s)?)),
        (S::Utf8(Some(s)), DataType::Timestamp(TimeUnit::Microsecond, None)) => {
            S::Timestamp(Some(crate::scalar::parse_timestamp(s)?))
        }
        (S::Date32(Some(d)), DataType::Timestamp(TimeUnit::Microsecond, None)) => {
            S::Timestamp(Some(*d as i64 * 86_400_000_000))
        }
        (S::Int32(Some(i)), DataType::Int64) => S::Int64(Some(*i as i64)),
        (S::Int64(Some(i)), DataType::Int32) => S::Int32(Some(i32::try_from(*i).ok()?)),
        (S::Int32(Some(i)), DataType::Float64) => S::Float64(Some(*i as f64)),
        (S::Int64(Some(i)), DataType::Float64) => S::Float64(Some(*i as f64)),
        (S::Int32(Some(i)), DataType::Decimal128(p, s)) => decimal(*i as i128, 0, *p, *s)?,
        (S::Int64(Some(i)), DataType::Decimal128(p, s)) => decimal(*i as i128, 0, *p, *s)?,
        (S::Decimal128(Some(v), _, from), DataType::Decimal128(p, s)) => {
            decimal(*v, *from, *p, *s)?
        }
        (S::Decimal128(Some(v), _, s), DataType::Float64) => {
            S::Float64(Some(*v as f64 / 10f64.powi(*s as i32)))
        }
        _ => return None,
    })
}

/// The unscaled value `v` at scale `from`, rescaled to DECIMAL(p, s) when exact and in range.
fn decimal(v: i128, from: i8, p: u8, s: i8) -> Option<ScalarValue> {
    if s < from || p > MAX_DECIMAL_PRECISION {
        return None;
    }
    let scaled = v.checked_mul(10i128.checked_pow((s - from) as u32)?)?;
    let limit = 10i128.checked_pow(p as u32)?;
    (scaled.abs() < limit).then_some(ScalarValue::Decimal128(Some(scaled), p, s))
}

/// `a op b` of two BIGINT literals for `+`, `-`, `*`, when it does not overflow.
pub(crate) fn integer_arithmetic(
    a: &ScalarValue,
    op: BinaryOp,
    b: &ScalarValue,
) -> Option<ScalarValue> {
    let (ScalarValue::Int64(Some(a)), ScalarValue::Int64(Some(b))) = (a, b) else {
        return None;
    };
    let v = match op {
        BinaryOp::Plus => a.checked_add(*b)?,
        BinaryOp::Minus => a.checked_sub(*b)?,
        BinaryOp::Multiply => a.checked_mul(*b)?,
        _ => return None,
    };
    Some(ScalarValue::Int64(Some(v)))
}

/// `date op interval` (or `interval + date`) of two literals, as a date literal.
pub(crate) fn date_interval(l: &ScalarValue, op: BinaryOp, r: &ScalarValue) -> Option<ScalarValue> {
    let (days, iv, sign) = match (l, op, r) {
        (ScalarValue::Date32(Some(d)), BinaryOp::Plus, ScalarValue::Interval(Some(i))) => {
            (*d, *i, 1)
        }
        (ScalarValue::Interval(Some(i)), BinaryOp::Plus, ScalarValue::Date32(Some(d))) => {
            (*d, *i, 1)
        }
        (ScalarValue::Date32(Some(d)), BinaryOp::Minus, ScalarValue::Interval(Some(i))) => {
            (*d, *i, -1)
        }
        _ => return None,
    };
    if iv.nanoseconds != 0 {
        return None;
    }
    let date = date32_to_naive(days)?;
    let months = iv.months as i64 * sign;
    let date = if months >= 0 {
        date.checked_add_months(Months::new(u32::try_from(months).ok()?))?
    } else {
        date.checked_sub_months(Months::new(u32::try_from(-months).ok()?))?
    };
    let delta = iv.days as i64 * sign;
    let date = if delta >= 0 {
        date.checked_add_days(Days::new(delta as u64))?
    } else {
        date.checked_sub_days(Days::new(delta.unsigned_abs()))?
    };
    Some(ScalarValue::Date32(Some(naive_to_date32(date))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::IntervalMonthDayNano;

    #[test]
    fn folds_exact_casts_only() {
        assert_eq!(
            cast_literal(&ScalarValue::Int64(Some(24)), &DataType::Decimal128(21, 2)),
            Some(ScalarValue::Decimal128(Some(2400), 21, 2))
        );
        assert_eq!(
            cast_literal(&ScalarValue::Int64(Some(1000)), &DataType::Decimal128(3, 0)),
            None
        );
        assert_eq!(
            cast_literal(
                &ScalarValue::Utf8(Some("1970-01-02".into())),
                &DataType::Date32
            ),
            Some(ScalarValue::Date32(Some(1)))
        );
        assert_eq!(
            cast_literal(&ScalarValue::Utf8(Some("nope".into())), &DataType::Date32),
            None
        );
    }

    #[test]
    fn date_minus_interval() {
        let d = ScalarValue::Date32(parse_date32("1998-12-01"));
        let days = ScalarValue::Interval(Some(IntervalMonthDayNano::new(0, 90, 0)));
        let months = ScalarValue::Interval(Some(IntervalMonthDayNano::new(3, 0, 0)));
        assert_eq!(
            date_interval(&d, BinaryOp::Minus, &days),
            Some(ScalarValue::Date32(parse_date32("1998-09-02")))
        );
        assert_eq!(
            date_interval(&d, BinaryOp::Plus, &months),
            Some(ScalarValue::Date32(parse_date32("1999-03-01")))
        );
    }
}
