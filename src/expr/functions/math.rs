//! Numeric functions. Integers and decimals keep exact arithmetic where SQL keeps
//! their type (abs, round, ceil, floor, sign, mod); the others work in DOUBLE and
//! reject arguments outside their domain instead of returning NaN.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int64Array, Int64Builder, PrimitiveArray,
};
use arrow::compute::kernels::cmp::{gt, lt};
use arrow::compute::kernels::zip::zip;
use arrow::compute::{and, is_null, not, or};
use arrow::datatypes::{DataType, Decimal128Type, Float64Type};
use ember_planner::expr::BinaryOp;

use super::{Call, build_floats};
use crate::error::{EmberError, Result};
use crate::expr::arithmetic::{self, div_round, pow10};
use crate::expr::cast::cast_array;
use crate::expr::operand::Operand;

/// Evaluates one numeric function.
pub(super) fn evaluate(c: &Call) -> Result<ArrayRef> {
    match c.name {
        "abs" => abs(c),
        "round" => round(c),
        "ceil" | "ceiling" => ceil_floor(c, true),
        "floor" => ceil_floor(c, false),
        "sign" => sign(c),
        "sqrt" => float_unary(c, |x| {
            if x < 0.0 {
                Err("cannot take square root of a negative number")
            } else {
                Ok(x.sqrt())
            }
        }),
        "ln" => float_unary(c, |x| log_check(x).map(f64::ln)),
        "log10" => float_unary(c, |x| log_check(x).map(f64::log10)),
        "exp" => float_unary(c, |x| {
            let v = x.exp();
            if v.is_infinite() {
                Err("value out of range: overflow")
            } else {
                Ok(v)
            }
        }),
        "log" if c.args.len() == 1 => float_unary(c, |x| log_check(x).map(f64::log10)),
        "log" => float_binary(c, |b, x| {
            let (lb, lx) = (log_check(b)?, log_check(x)?);
            if lb == 1.0 {
                return Err("division by zero");
            }
            Ok(lx.ln() / lb.ln())
        }),
        "power" | "pow" => float_binary(c, |x, y| {
            if x == 0.0 && y < 0.0 {
                return Err("zero raised to a negative power is undefined");
            }
            if x < 0.0 && y.fract() != 0.0 {
                return Err(
                    "a negative number raised to a non-integer power yields a complex result",
                );
            }
            let v = x.powf(y);
            if v.is_infinite() && x.is_finite() && y.is_finite() {
                return Err("value out of range: overflow");
            }
            Ok(v)
        }),
        "mod" => {
            c.arity(2, 2)?;
            let l = Operand::Array(c.args[0].clone());
            let r = Operand::Array(c.args[1].clone());
            arithmetic::binary(BinaryOp::Modulo, &l, &r, c.data_type)?.into_array(c.rows)
        }
        "greatest" | "least" => extreme(c, c.name == "greatest"),
        other => Err(c.error(format!("{other} is not a numeric function"))),
    }
}

fn log_check(x: f64) -> std::result::Result<f64, &'static str> {
    if x == 0.0 {
        Err("cannot take logarithm of zero")
    } else if x < 0.0 {
        Err("cannot take logarithm of a negative number")
    } else {
        Ok(x)
    }
}

fn float_unary(
    c: &Call,
    f: impl Fn(f64) -> std::result::Result<f64, &'static str>,
) -> Result<ArrayRef> {
    c.arity(1, 1)?;
    let x = c.floats(0)?;
    build_floats(c.rows, |i| {
        if x.is_null(i) {
            return Ok(None);
        }
        f(x.value(i)).map(Some).map_err(|m| c.error(m))
    })
}

fn float_binary(
    c: &Call,
    f: impl Fn(f64, f64) -> std::result::Result<f64, &'static str>,
) -> Result<ArrayRef> {
    c.arity(2, 2)?;
    let (a, b) = (c.floats(0)?, c.floats(1)?);
    build_floats(c.rows, |i| {
        if a.is_null(i) || b.is_null(i) {
            return Ok(None);
        }
        f(a.value(i), b.value(i)).map(Some).map_err(|m| c.error(m))
    })
}

fn overflow(c: &Call) -> EmberError {
    c.error("numeric overflow")
}

fn abs(c: &Call) -> Result<ArrayRef> {
    c.arity(1, 1)?;
    let a = &c.args[0];
    Ok(match a.data_type() {
        DataType::Decimal128(_, _) => {
            let d = a.as_primitive::<Decimal128Type>();
            let out: PrimitiveArray<Decimal128Type> =
                d.try_unary(|v| v.checked_abs().ok_or_else(|| overflow(c)))?;
            Arc::new(out.with_data_type(a.data_type().clone()))
        }
        DataType::Null => a.clone(),
        t if ember_planner::types::is_integer(t) => {
            let ints = c.ints(0)?;
            let out: Int64Array = ints.try_unary(|v| v.checked_abs().ok_or_else(|| overflow(c)))?;
            Arc::new(out)
        }
        _ => {
            let f = c.floats(0)?;
            Arc::new(f.unary::<_, Float64Type>(f64::abs))
        }
    })
}

/// The digits argument of round, 0 when absent or NULL.
fn digits(c: &Call) -> Result<Int64Array> {
    match c.args.get(1) {
        Some(_) => c.ints(1),
        None => Ok(Int64Array::from(vec![0i64; c.rows])),
    }
}

/// `round(x [, digits])`: decimals and integers half away from zero, keeping their
/// type; a DOUBLE without digits half to even (with digits, half away from zero).
fn round(c: &Call) -> Result<ArrayRef> {
    c.arity(1, 2)?;
    let digits = digits(c)?;
    let keep = |i: usize| digits.is_valid(i).then(|| digits.value(i));
    let a = &c.args[0];
    Ok(match a.data_type() {
        DataType::Decimal128(_, s) => {
            let s = *s as i64;
            let d = a.as_primitive::<Decimal128Type>();
            let mut out = Vec::with_capacity(d.len());
            let mut valid = Vec::with_capacity(d.len());
            for i in 0..d.len() {
                let v = d.value(i);
                let Some(k) = keep(i).filter(|_| d.is_valid(i)) else {
                    out.push(0);
                    valid.push(false);
                    continue;
                };
                valid.push(true);
                out.push(if k >= s {
                    v
                } else {
                    match pow10(s.saturating_sub(k).min(38) as u32) {
                        Some(f) => div_round(v, f).checked_mul(f).ok_or_else(|| overflow(c))?,
                        None => 0,
                    }
                });
            }
            let out = PrimitiveArray::<Decimal128Type>::new(out.into(), Some(valid.into()));
            Arc::new(out.with_data_type(a.data_type().clone()))
        }
        DataType::Null => a.clone(),
        t if ember_planner::types::is_integer(t) => {
            let ints = c.ints(0)?;
            let mut out = Int64Builder::with_capacity(ints.len());
            for i in 0..ints.len() {
                let (Some(k), true) = (keep(i), ints.is_valid(i)) else {
                    out.append_null();
                    continue;
                };
                let v = ints.value(i);
                if k >= 0 {
                    out.append_value(v);
                } else if k < -18 {
                    out.append_value(0);
                } else {
                    let f = pow10((-k) as u32).ok_or_else(|| overflow(c))?;
                    let r = div_round(v as i128, f) * f;
                    out.append_value(i64::try_from(r).map_err(|_| overflow(c))?);
                }
            }
            Arc::new(out.finish())
        }
        _ => {
            let floats = c.floats(0)?;
            let out: Float64Array = (0..floats.len())
                .map(|i| {
                    let k = keep(i)?;
                    floats.is_valid(i).then(|| {
                        let x = floats.value(i);
                        if k == 0 {
                            // DOUBLE rounds half to even, as the C library's rint does.
                            return x.round_ties_even();
                        }
                        let f = 10f64.powi(k.clamp(-300, 300) as i32);
                        (x * f).round() / f
                    })
                })
                .collect();
            Arc::new(out)
        }
    })
}

fn ceil_floor(c: &Call, up: bool) -> Result<ArrayRef> {
    c.arity(1, 1)?;
    let a = &c.args[0];
    Ok(match a.data_type() {
        DataType::Decimal128(_, s) => {
            let f = pow10(*s as u32).ok_or_else(|| overflow(c))?;
            let d = a.as_primitive::<Decimal128Type>();
            let out: PrimitiveArray<Decimal128Type> = d.unary(|v| {
                let q = v.div_euclid(f);
                if up && v.rem_euclid(f) != 0 { q + 1 } else { q }
            });
            Arc::new(out.with_data_type(c.data_type.clone()))
        }
        DataType::Null => a.clone(),
        t if ember_planner::types::is_integer(t) => cast_array(a, &DataType::Int64)?,
        _ => {
            let f = c.floats(0)?;
            Arc::new(f.unary::<_, Float64Type>(|x| if up { x.ceil() } else { x.floor() }))
        }
    })
}

fn sign(c: &Call) -> Result<ArrayRef> {
    c.arity(1, 1)?;
    let a = &c.args[0];
    Ok(match a.data_type() {
        DataType::Decimal128(_, s) => {
            let one = pow10(*s as u32).ok_or_else(|| overflow(c))?;
            let d = a.as_primitive::<Decimal128Type>();
            let out: PrimitiveArray<Decimal128Type> = d.unary(|v| v.signum() * one);
            Arc::new(out.with_data_type(a.data_type().clone()))
        }
        DataType::Null => a.clone(),
        t if ember_planner::types::is_integer(t) => {
            let ints = c.ints(0)?;
            Arc::new(ints.unary::<_, arrow::datatypes::Int64Type>(i64::signum))
        }
        _ => {
            let f = c.floats(0)?;
            Arc::new(f.unary::<_, Float64Type>(|x| if x == 0.0 { 0.0 } else { x.signum() }))
        }
    })
}

/// `greatest` / `least`: the extreme non-NULL argument (NULL only when all are).
fn extreme(c: &Call, greatest: bool) -> Result<ArrayRef> {
    c.arity(1, usize::MAX)?;
    let mut best = cast_array(&c.args[0], c.data_type)?;
    for a in &c.args[1..] {
        let a = cast_array(a, c.data_type)?;
        if *a.data_type() == DataType::Null {
            continue;
        }
        if *best.data_type() == DataType::Null {
            best = a;
            continue;
        }
        let better = if greatest {
            gt(&a, &best)?
        } else {
            lt(&a, &best)?
        };
        // Take `a` where it beats best, or where best is NULL and a is not.
        let better = if better.null_count() > 0 {
            arrow::compute::prep_null_mask_filter(&better)
        } else {
            better
        };
        let best_null = is_null(best.as_ref())?;
        let a_present = not(&is_null(a.as_ref())?)?;
        let take_a = or(&better, &and(&best_null, &a_present)?)?;
        best = zip(&take_a, &a, &best)?;
    }
    Ok(best)
}
