//! Arithmetic: `+ - * / %` and negation.
//!
//! In: two [`Operand`]s with the types `ember_planner::types::coerce_binary_operands`
//! chose, and the node's result type. Out: an `Operand` of that type.
//! Integers use Arrow's checked kernels (overflow and division by zero are errors);
//! decimals are computed here over `i128` with the SQL scale rules and half-up
//! rounding, and a result with more digits than its type's precision is an overflow
//! error; dates move by days or by interval months (clamped to the month's end), and
//! the difference of two timestamps is an interval.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, ArrowPrimitiveType, AsArray, PrimitiveArray, new_null_array};
use arrow::buffer::NullBuffer;
use arrow::compute::kernels::numeric;
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Int64Type, IntervalMonthDayNano,
    IntervalMonthDayNanoType, IntervalUnit, TimeUnit, TimestampMicrosecondType,
};
use arrow::error::ArrowError;
use ember_planner::expr::BinaryOp;
use ember_planner::scalar::{date32_to_naive, naive_to_date32};
use ember_planner::types::sql_type_name;

use crate::error::{EmberError, Result};
use crate::expr::operand::{Operand, datum_kernel};

const NANOS_PER_DAY: i64 = 86_400_000_000_000;

/// The message of a division or modulo by zero; the evaluator adds the expression.
pub(crate) const DIVISION_BY_ZERO: &str = "division by zero";

/// `l op r` for an arithmetic operator, producing `data_type`.
pub fn binary(op: BinaryOp, l: &Operand, r: &Operand, data_type: &DataType) -> Result<Operand> {
    use DataType::*;
    let (lt, rt) = (l.data_type().clone(), r.data_type().clone());
    if lt == Null || rt == Null {
        let rows = match (l, r) {
            (Operand::Array(a), _) | (_, Operand::Array(a)) => a.len(),
            _ => 1,
        };
        let nulls = new_null_array(data_type, rows);
        return Ok(if l.is_scalar() && r.is_scalar() {
            Operand::Scalar(nulls)
        } else {
            Operand::Array(nulls)
        });
    }
    match (&lt, &rt) {
        (Date32, Interval(_)) => date_plus_interval(op, l, r),
        (Timestamp(_, _), Interval(_)) | (Interval(_), Timestamp(_, _)) => {
            datum_kernel(l, r, |a, b| {
                let out = if op == BinaryOp::Minus {
                    numeric::sub(a, b)
                } else {
                    numeric::add(a, b)
                };
                out.map_err(|e| arrow_error(op, e))
            })
        }
        (Interval(_), Date32) if op == BinaryOp::Plus => date_plus_interval(op, r, l),
        (Timestamp(_, _), Timestamp(_, _)) if op == BinaryOp::Minus => timestamp_difference(l, r),
        (Date32, Date32) if op == BinaryOp::Minus => {
            zip_map::<Date32Type, Date32Type, Int64Type>(l, r, &Int64, |a, b| {
                Ok(a as i64 - b as i64)
            })
        }
        (Date32, _) if matches!(op, BinaryOp::Plus | BinaryOp::Minus) => {
            let r = to_type(r, &Int64)?;
            date_plus_days(op, l, &r)
        }
        (_, Date32) if op == BinaryOp::Plus => {
            let l = to_type(l, &Int64)?;
            date_plus_days(op, r, &l)
        }
        (Decimal128(_, _), _) | (_, Decimal128(_, _)) => {
            let target = match data_type {
                Decimal128(p, s) => (*p, *s),
                t => {
                    return Err(EmberError::internal(format!(
                        "decimal '{op}' with result type {}",
                        sql_type_name(t)
                    )));
                }
            };
            let l = to_decimal(l)?;
            let r = to_decimal(r)?;
            decimal_binary(op, &l, &r, target)
        }
        _ => {
            let l = to_type(l, data_type)?;
            let r = to_type(r, data_type)?;
            datum_kernel(&l, &r, |a, b| {
                let out = match op {
                    BinaryOp::Plus => numeric::add(a, b),
                    BinaryOp::Minus => numeric::sub(a, b),
                    BinaryOp::Multiply => numeric::mul(a, b),
                    BinaryOp::Divide => numeric::div(a, b),
                    BinaryOp::Modulo => numeric::rem(a, b),
                    other => {
                        return Err(EmberError::internal(format!("'{other}' is not arithmetic")));
                    }
                };
                out.map_err(|e| arrow_error(op, e))
            })
        }
    }
}

/// Turns Arrow's arithmetic errors into execution errors naming the operation.
fn arrow_error(op: BinaryOp, e: ArrowError) -> EmberError {
    match e {
        ArrowError::DivideByZero => EmberError::execution(DIVISION_BY_ZERO),
        ArrowError::ArithmeticOverflow(m) => {
            EmberError::execution(format!("numeric overflow in '{op}': {m}"))
        }
        other => EmberError::Arrow(other),
    }
}

/// Arithmetic negation.
pub fn negate(array: &ArrayRef) -> Result<ArrayRef> {
    if *array.data_type() == DataType::Null {
        return Ok(array.clone());
    }
    numeric::neg(array.as_ref()).map_err(|e| match e {
        ArrowError::ArithmeticOverflow(m) => {
            EmberError::execution(format!("numeric overflow in negation: {m}"))
        }
        other => EmberError::Arrow(other),
    })
}

fn to_type(o: &Operand, t: &DataType) -> Result<Operand> {
    if o.data_type() == t {
        return Ok(o.clone());
    }
    o.clone().map(|a| Ok(arrow::compute::cast(a, t)?))
}

/// Integers become DECIMAL(p, 0); decimals stay.
fn to_decimal(o: &Operand) -> Result<Operand> {
    match o.data_type() {
        DataType::Decimal128(_, _) => Ok(o.clone()),
        _ => to_type(o, &DataType::Decimal128(38, 0)),
    }
}

/// Applies `f` to each row where both sides are non-NULL; NULL elsewhere. Shapes:
/// a scalar on either side is repeated; two scalars give a scalar.
pub(crate) fn zip_map<A, B, O>(
    l: &Operand,
    r: &Operand,
    out_type: &DataType,
    mut f: impl FnMut(A::Native, B::Native) -> Result<O::Native>,
) -> Result<Operand>
where
    A: ArrowPrimitiveType,
    B: ArrowPrimitiveType,
    O: ArrowPrimitiveType,
{
    let la = l.array().as_primitive::<A>();
    let ra = r.array().as_primitive::<B>();
    let both_scalar = l.is_scalar() && r.is_scalar();
    let len = match (l, r) {
        (Operand::Array(a), _) | (_, Operand::Array(a)) => a.len(),
        _ => 1,
    };
    let scalar_null = (l.is_scalar() && la.is_null(0)) || (r.is_scalar() && ra.is_null(0));
    if scalar_null {
        let nulls = new_null_array(out_type, len);
        return Ok(if both_scalar {
            Operand::Scalar(nulls)
        } else {
            Operand::Array(nulls)
        });
    }
    let nulls = NullBuffer::union(
        if l.is_scalar() { None } else { la.nulls() },
        if r.is_scalar() { None } else { ra.nulls() },
    );
    let lv = la.values();
    let rv = ra.values();
    let (ls, rs) = (l.is_scalar(), r.is_scalar());
    let mut out: Vec<O::Native> = Vec::with_capacity(len);
    for i in 0..len {
        let valid = nulls.as_ref().is_none_or(|n| n.is_valid(i));
        if valid {
            let a = lv[if ls { 0 } else { i }];
            let b = rv[if rs { 0 } else { i }];
            out.push(f(a, b)?);
        } else {
            out.push(O::Native::default());
        }
    }
    let array = PrimitiveArray::<O>::new(out.into(), nulls).with_data_type(out_type.clone());
    let array = Arc::new(array) as ArrayRef;
    Ok(if both_scalar {
        Operand::Scalar(array)
    } else {
        Operand::Array(array)
    })
}

fn date_plus_days(op: BinaryOp, date: &Operand, days: &Operand) -> Result<Operand> {
    let sign = if op == BinaryOp::Minus { -1 } else { 1 };
    zip_map::<Date32Type, Int64Type, Date32Type>(date, days, &DataType::Date32, |d, n| {
        (d as i64)
            .checked_add(sign * n)
            .and_then(|v| i32::try_from(v).ok())
            .ok_or_else(|| EmberError::execution(format!("date out of range in '{op}'")))
    })
}

fn date_plus_interval(op: BinaryOp, date: &Operand, interval: &Operand) -> Result<Operand> {
    let interval = to_type(interval, &DataType::Interval(IntervalUnit::MonthDayNano))?;
    let minus = op == BinaryOp::Minus;
    zip_map::<Date32Type, IntervalMonthDayNanoType, Date32Type>(
        date,
        &interval,
        &DataType::Date32,
        |d, iv| {
            let (months, days) = if minus {
                (
                    -(iv.months as i64),
                    -(iv.days as i64 + iv.nanoseconds / NANOS_PER_DAY),
                )
            } else {
                (
                    iv.months as i64,
                    iv.days as i64 + iv.nanoseconds / NANOS_PER_DAY,
                )
            };
            add_months_days(d, months, days)
                .ok_or_else(|| EmberError::execution(format!("date out of range in '{op}'")))
        },
    )
}

/// `a - b` of two timestamps as an interval of days and time (no months), both parts
/// with the sign of the difference, as in PostgreSQL: one day three hours is
/// `1 day 03:00:00`, its negation `-1 days -03:00:00`.
fn timestamp_difference(a: &Operand, b: &Operand) -> Result<Operand> {
    const MICROS_PER_DAY: i64 = 86_400_000_000;
    let a = to_type(a, &DataType::Timestamp(TimeUnit::Microsecond, None))?;
    let b = to_type(b, &DataType::Timestamp(TimeUnit::Microsecond, None))?;
    zip_map::<TimestampMicrosecondType, TimestampMicrosecondType, IntervalMonthDayNanoType>(
        &a,
        &b,
        &DataType::Interval(IntervalUnit::MonthDayNano),
        |x, y| {
            let out_of_range =
                || EmberError::execution("interval out of range in timestamp '-' timestamp");
            let micros = x.checked_sub(y).ok_or_else(out_of_range)?;
            let days = i32::try_from(micros / MICROS_PER_DAY).map_err(|_| out_of_range())?;
            Ok(IntervalMonthDayNano::new(
                0,
                days,
                (micros % MICROS_PER_DAY) * 1000,
            ))
        },
    )
}

/// Adds months (clamping to the month's last day) and then days to a date.
pub fn add_months_days(date: i32, months: i64, days: i64) -> Option<i32> {
    let mut d = date32_to_naive(date)?;
    if months != 0 {
        let m = chrono::Months::new(u32::try_from(months.unsigned_abs()).ok()?);
        d = if months > 0 {
            d.checked_add_months(m)?
        } else {
            d.checked_sub_months(m)?
        };
    }
    d = d.checked_add_signed(chrono::TimeDelta::try_days(days)?)?;
    Some(naive_to_date32(d))
}

/// 10^n as i128, when it fits.
pub fn pow10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

/// `n / d` rounded half away from zero; `d` must not be 0.
pub fn div_round(n: i128, d: i128) -> i128 {
    let q = n / d;
    let rem = (n % d).unsigned_abs();
    let half_reached = rem >= d.unsigned_abs() - rem;
    if rem != 0 && half_reached {
        if (n < 0) != (d < 0) { q - 1 } else { q + 1 }
    } else {
        q
    }
}

/// Moves an unscaled decimal from scale `from` to scale `to` (half-up rounding when
/// digits are dropped); `None` on overflow.
pub fn rescale(v: i128, from: i8, to: i8) -> Option<i128> {
    let diff = to as i32 - from as i32;
    if diff >= 0 {
        v.checked_mul(pow10(diff as u32)?)
    } else {
        Some(div_round(v, pow10((-diff) as u32)?))
    }
}

fn decimal_binary(op: BinaryOp, l: &Operand, r: &Operand, target: (u8, i8)) -> Result<Operand> {
    let (p, s) = target;
    let s1 = decimal_scale(l.data_type());
    let s2 = decimal_scale(r.data_type());
    let out_type = DataType::Decimal128(p, s);
    if let Some(out) = decimal_unchecked(op, l, r, &out_type) {
        return Ok(out);
    }
    let overflow = || {
        EmberError::execution(format!(
            "decimal overflow in '{op}': the result does not fit DECIMAL({p},{s})"
        ))
    };
    // Every result must fit the precision of its type, not merely an i128.
    let limit = pow10(u32::from(p)).ok_or_else(overflow)?;
    let fit = |v: i128| {
        if v.unsigned_abs() < limit.unsigned_abs() {
            Ok(v)
        } else {
            Err(overflow())
        }
    };
    match op {
        BinaryOp::Plus | BinaryOp::Minus => {
            zip_map::<Decimal128Type, Decimal128Type, Decimal128Type>(l, r, &out_type, |a, b| {
                let a = rescale(a, s1, s).ok_or_else(overflow)?;
                let b = rescale(b, s2, s).ok_or_else(overflow)?;
                let v = if op == BinaryOp::Plus {
                    a.checked_add(b)
                } else {
                    a.checked_sub(b)
                };
                fit(v.ok_or_else(overflow)?)
            })
        }
        BinaryOp::Multiply => {
            let product_scale = s1 as i32 + s2 as i32;
            zip_map::<Decimal128Type, Decimal128Type, Decimal128Type>(l, r, &out_type, |a, b| {
                let v = a.checked_mul(b).ok_or_else(overflow)?;
                let diff = s as i32 - product_scale;
                let v = if diff >= 0 {
                    v.checked_mul(pow10(diff as u32).ok_or_else(overflow)?)
                } else {
                    pow10((-diff) as u32).map(|f| div_round(v, f))
                };
                fit(v.ok_or_else(overflow)?)
            })
        }
        BinaryOp::Divide => {
            let k = s as i32 - s1 as i32 + s2 as i32;
            zip_map::<Decimal128Type, Decimal128Type, Decimal128Type>(l, r, &out_type, |a, b| {
                if b == 0 {
                    return Err(EmberError::execution(DIVISION_BY_ZERO));
                }
                if k >= 0 {
                    let n = a
                        .checked_mul(pow10(k as u32).ok_or_else(overflow)?)
                        .ok_or_else(overflow)?;
                    fit(div_round(n, b))
                } else {
                    let d = b
                        .checked_mul(pow10((-k) as u32).ok_or_else(overflow)?)
                        .ok_or_else(overflow)?;
                    fit(div_round(a, d))
                }
            })
        }
        BinaryOp::Modulo => {
            let common = s1.max(s2);
            zip_map::<Decimal128Type, Decimal128Type, Decimal128Type>(l, r, &out_type, |a, b| {
                let a = rescale(a, s1, common).ok_or_else(overflow)?;
                let b = rescale(b, s2, common).ok_or_else(overflow)?;
                if b == 0 {
                    return Err(EmberError::execution(DIVISION_BY_ZERO));
                }
                fit(rescale(a % b, common, s).ok_or_else(overflow)?)
            })
        }
        other => Err(EmberError::internal(format!("'{other}' is not arithmetic"))),
    }
}

/// Decimal `+ - *` without per-row checks, when the operands' precisions prove that
/// no result can overflow and no rounding is needed: sums whose result scale is the
/// larger input scale, products whose result scale is the sum of the input scales.
/// `None` when that cannot be shown (or a scalar operand is NULL): the checked path
/// runs instead.
fn decimal_unchecked(
    op: BinaryOp,
    l: &Operand,
    r: &Operand,
    out_type: &DataType,
) -> Option<Operand> {
    let (DataType::Decimal128(p1, s1), DataType::Decimal128(p2, s2), DataType::Decimal128(p, s)) =
        (l.data_type(), r.data_type(), out_type)
    else {
        return None;
    };
    let (p1, s1, p2, s2, p, s) = (
        *p1 as i32, *s1 as i32, *p2 as i32, *s2 as i32, *p as i32, *s as i32,
    );
    let (ma, mb) = match op {
        BinaryOp::Plus | BinaryOp::Minus => {
            let digits = (p1 - s1).max(p2 - s2) + s1.max(s2) + 1;
            if s != s1.max(s2) || digits > p || s1 < 0 || s2 < 0 {
                return None;
            }
            (pow10((s - s1) as u32)?, pow10((s - s2) as u32)?)
        }
        BinaryOp::Multiply => {
            if s != s1 + s2 || p1 + p2 > p {
                return None;
            }
            (1, 1)
        }
        _ => return None,
    };
    let la = l.array().as_primitive::<Decimal128Type>();
    let ra = r.array().as_primitive::<Decimal128Type>();
    if (l.is_scalar() && la.is_null(0)) || (r.is_scalar() && ra.is_null(0)) {
        return None;
    }
    // In range by the precision bounds above, so plain arithmetic cannot overflow;
    // slots under a NULL hold arbitrary values and are computed with wrapping
    // arithmetic, then masked by the null buffer.
    let f = |a: i128, b: i128| -> i128 {
        let (a, b) = (a.wrapping_mul(ma), b.wrapping_mul(mb));
        match op {
            BinaryOp::Plus => a.wrapping_add(b),
            BinaryOp::Minus => a.wrapping_sub(b),
            _ => a.wrapping_mul(b),
        }
    };
    let values: Vec<i128> = match (l.is_scalar(), r.is_scalar()) {
        (false, false) => la
            .values()
            .iter()
            .zip(ra.values().iter())
            .map(|(&a, &b)| f(a, b))
            .collect(),
        (true, false) => {
            let a = la.value(0);
            ra.values().iter().map(|&b| f(a, b)).collect()
        }
        (false, true) => {
            let b = ra.value(0);
            la.values().iter().map(|&a| f(a, b)).collect()
        }
        (true, true) => vec![f(la.value(0), ra.value(0))],
    };
    let nulls = NullBuffer::union(
        if l.is_scalar() { None } else { la.nulls() },
        if r.is_scalar() { None } else { ra.nulls() },
    );
    let array = PrimitiveArray::<Decimal128Type>::new(values.into(), nulls)
        .with_data_type(out_type.clone());
    let array = Arc::new(array) as ArrayRef;
    Some(if l.is_scalar() && r.is_scalar() {
        Operand::Scalar(array)
    } else {
        Operand::Array(array)
    })
}

fn decimal_scale(t: &DataType) -> i8 {
    match t {
        DataType::Decimal128(_, s) => *s,
        _ => 0,
    }
}
