//! Constant folding done while coercing: `BIGINT op BIGINT` of literals, and
//! `DATE literal ± INTERVAL literal` as a date literal. Casts of literals follow
//! [`crate::cast::cast_scalar`].
//!
//! In: literals. Out: the folded literal, or `None` to leave the expression for execution.

use chrono::{Days, Months};

use crate::expr::BinaryOp;
use crate::scalar::{ScalarValue, date32_to_naive, naive_to_date32};

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
    use crate::scalar::parse_date32;
    use arrow::datatypes::IntervalMonthDayNano;

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
