//! The scalar functions of `ember_planner::functions::FUNCTIONS`, one small function
//! each; [`evaluate_function`] dispatches by name.
//!
//! In: evaluated argument operands, the result type and the row count. Out: an
//! operand (a scalar when every argument is one). String functions walk the values
//! of a `StringArray` directly (no per-row `ScalarValue`).

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int64Array, Int64Builder, PrimitiveArray, StringArray,
    StringBuilder, new_null_array,
};
use arrow::compute::kernels::zip::zip;
use arrow::compute::{is_not_null, nullif, prep_null_mask_filter};
use arrow::datatypes::{DataType, Date32Type, Decimal128Type, Float64Type, Int64Type};
use chrono::Datelike;
use ember_planner::expr::BinaryOp;
use ember_planner::scalar::date32_to_naive;

use crate::error::{EmberError, Result};
use crate::expr::arithmetic::{div_round, pow10};
use crate::expr::cast::cast_array;
use crate::expr::compare::{align_types, compare, to_boolean};
use crate::expr::eval::Operand;

/// Evaluates the scalar function `name` over its evaluated arguments.
pub fn evaluate_function(
    name: &str,
    args: &[Operand],
    data_type: &DataType,
    len: usize,
) -> Result<Operand> {
    let all_scalar = args.iter().all(Operand::is_scalar);
    let rows = if all_scalar { 1 } else { len };
    let arrays = args
        .iter()
        .map(|a| a.clone().into_array(rows))
        .collect::<Result<Vec<_>>>()?;
    let out = match name {
        "substring" => substring(name, &arrays)?,
        "upper" => map_strings(name, &arrays, |s, out| out.push_str(&s.to_uppercase()))?,
        "lower" => map_strings(name, &arrays, |s, out| out.push_str(&s.to_lowercase()))?,
        "trim" => map_strings(name, &arrays, |s, out| out.push_str(s.trim_matches(' ')))?,
        "length" => length(name, &arrays)?,
        "concat" => concat(&arrays, rows)?,
        "abs" => abs(name, &arrays)?,
        "round" => round(name, &arrays, rows)?,
        "coalesce" => coalesce(name, &arrays, data_type)?,
        "nullif" => null_if(name, &arrays)?,
        "date_part" => date_part(name, &arrays)?,
        other => {
            return Err(EmberError::Unsupported(format!(
                "unknown scalar function {other}()"
            )));
        }
    };
    let out = cast_array(&out, data_type)?;
    Ok(if all_scalar {
        Operand::Scalar(out)
    } else {
        Operand::Array(out)
    })
}

fn arity(name: &str, args: &[ArrayRef], lo: usize, hi: usize) -> Result<()> {
    if args.len() < lo || args.len() > hi {
        return Err(EmberError::execution(format!(
            "{name}() takes {lo} to {hi} arguments, got {}",
            args.len()
        )));
    }
    Ok(())
}

fn utf8(a: &ArrayRef) -> Result<ArrayRef> {
    cast_array(a, &DataType::Utf8)
}

fn int64(a: &ArrayRef) -> Result<Int64Array> {
    Ok(cast_array(a, &DataType::Int64)?
        .as_primitive::<Int64Type>()
        .clone())
}

/// Applies `f` to every non-NULL string of the only argument.
fn map_strings(name: &str, args: &[ArrayRef], f: impl Fn(&str, &mut String)) -> Result<ArrayRef> {
    arity(name, args, 1, 1)?;
    let input = utf8(&args[0])?;
    let input = input.as_string::<i32>();
    let mut out = StringBuilder::with_capacity(input.len(), input.value_data().len());
    let mut buf = String::new();
    for v in input.iter() {
        match v {
            Some(s) => {
                buf.clear();
                f(s, &mut buf);
                out.append_value(&buf);
            }
            None => out.append_null(),
        }
    }
    Ok(Arc::new(out.finish()))
}

/// `substring(s, start [, count])`: characters at 1-based positions
/// `start .. start + count`, clipped to the string (so a start below 1 eats into count).
fn substring(name: &str, args: &[ArrayRef]) -> Result<ArrayRef> {
    arity(name, args, 2, 3)?;
    let input = utf8(&args[0])?;
    let input = input.as_string::<i32>();
    let starts = int64(&args[1])?;
    let counts = args.get(2).map(int64).transpose()?;
    let mut out = StringBuilder::with_capacity(input.len(), input.value_data().len());
    for i in 0..input.len() {
        let count = match &counts {
            Some(c) if c.is_null(i) => None,
            Some(c) => Some(Some(c.value(i))),
            None => Some(None),
        };
        if input.is_null(i) || starts.is_null(i) || count.is_none() {
            out.append_null();
            continue;
        }
        let (s, start) = (input.value(i), starts.value(i));
        let end = match count.flatten() {
            Some(c) if c < 0 => {
                return Err(EmberError::execution(
                    "negative substring length not allowed",
                ));
            }
            Some(c) => Some(start.saturating_add(c)),
            None => None,
        };
        let first = start.max(1);
        let taken = match end {
            Some(e) if e <= first => 0,
            Some(e) => (e - first) as usize,
            None => usize::MAX,
        };
        let skip = (first - 1) as usize;
        out.append_value(char_slice(s, skip, taken));
    }
    Ok(Arc::new(out.finish()))
}

/// The `take` characters of `s` after the first `skip`.
fn char_slice(s: &str, skip: usize, take: usize) -> &str {
    if s.is_ascii() {
        let from = skip.min(s.len());
        let to = from.saturating_add(take).min(s.len());
        return &s[from..to];
    }
    let mut bounds = s
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(s.len()));
    let from = bounds.nth(skip).unwrap_or(s.len());
    let to = if take == 0 {
        from
    } else {
        bounds.nth(take - 1).unwrap_or(s.len())
    };
    &s[from..to.max(from)]
}

fn length(name: &str, args: &[ArrayRef]) -> Result<ArrayRef> {
    arity(name, args, 1, 1)?;
    let input = utf8(&args[0])?;
    let out: Int64Array = input
        .as_string::<i32>()
        .iter()
        .map(|v| v.map(|s| s.chars().count() as i64))
        .collect();
    Ok(Arc::new(out))
}

/// `concat(a, ...)`: the non-NULL arguments joined.
fn concat(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let strings = args.iter().map(utf8).collect::<Result<Vec<_>>>()?;
    let strings: Vec<&StringArray> = strings.iter().map(|a| a.as_string::<i32>()).collect();
    let mut out = StringBuilder::with_capacity(rows, rows * 16);
    let mut buf = String::new();
    for i in 0..rows {
        buf.clear();
        for s in &strings {
            if s.is_valid(i) {
                buf.push_str(s.value(i));
            }
        }
        out.append_value(&buf);
    }
    Ok(Arc::new(out.finish()))
}

fn abs(name: &str, args: &[ArrayRef]) -> Result<ArrayRef> {
    arity(name, args, 1, 1)?;
    let a = &args[0];
    let overflow = || EmberError::execution("numeric overflow in abs()");
    Ok(match a.data_type() {
        DataType::Float64 => Arc::new(
            a.as_primitive::<Float64Type>()
                .unary::<_, Float64Type>(f64::abs),
        ),
        DataType::Decimal128(_, _) => {
            let d = a.as_primitive::<Decimal128Type>();
            let out: PrimitiveArray<Decimal128Type> =
                d.try_unary(|v| v.checked_abs().ok_or_else(overflow))?;
            Arc::new(out.with_data_type(a.data_type().clone()))
        }
        DataType::Null => a.clone(),
        t if ember_planner::types::is_integer(t) => {
            let ints = int64(a)?;
            let out: Int64Array = ints.try_unary(|v| v.checked_abs().ok_or_else(overflow))?;
            cast_array(&(Arc::new(out) as ArrayRef), t)?
        }
        DataType::Float32 | DataType::Float16 => abs(name, &[cast_array(a, &DataType::Float64)?])?,
        t => return Err(EmberError::execution(format!("abs() of {t}"))),
    })
}

/// `round(x [, digits])`, half away from zero; decimals keep their scale.
fn round(name: &str, args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    arity(name, args, 1, 2)?;
    let digits = match args.get(1) {
        Some(d) => int64(d)?,
        None => Int64Array::from(vec![0i64; rows]),
    };
    let a = &args[0];
    let overflow = || EmberError::execution("numeric overflow in round()");
    Ok(match a.data_type() {
        DataType::Decimal128(_, s) => {
            let s = *s as i64;
            let d = a.as_primitive::<Decimal128Type>();
            let mut out = Vec::with_capacity(d.len());
            for i in 0..d.len() {
                let v = d.value(i);
                let keep = if digits.is_null(i) {
                    0
                } else {
                    digits.value(i)
                };
                out.push(if d.is_null(i) || keep >= s {
                    v
                } else {
                    let f = pow10((s - keep).min(38) as u32).ok_or_else(overflow)?;
                    div_round(v, f).checked_mul(f).ok_or_else(overflow)?
                });
            }
            let out = PrimitiveArray::<Decimal128Type>::new(out.into(), d.nulls().cloned());
            Arc::new(out.with_data_type(a.data_type().clone()))
        }
        DataType::Null => a.clone(),
        t if ember_planner::types::is_integer(t) => {
            let ints = int64(a)?;
            let mut out = Int64Builder::with_capacity(ints.len());
            for i in 0..ints.len() {
                if ints.is_null(i) {
                    out.append_null();
                    continue;
                }
                let keep = if digits.is_null(i) {
                    0
                } else {
                    digits.value(i)
                };
                let v = ints.value(i);
                if keep >= 0 {
                    out.append_value(v);
                } else {
                    let f = pow10((-keep).min(38) as u32).ok_or_else(overflow)?;
                    let r = div_round(v as i128, f) * f;
                    out.append_value(i64::try_from(r).map_err(|_| overflow())?);
                }
            }
            Arc::new(out.finish())
        }
        _ => {
            let floats = cast_array(a, &DataType::Float64)?;
            let floats = floats.as_primitive::<Float64Type>();
            let out: Float64Array = floats
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    v.map(|x| {
                        let keep = if digits.is_null(i) {
                            0
                        } else {
                            digits.value(i)
                        };
                        let f = 10f64.powi(keep.clamp(-300, 300) as i32);
                        (x * f).round() / f
                    })
                })
                .collect();
            Arc::new(out)
        }
    })
}

/// `coalesce(a, b, ...)`: the first non-NULL argument.
fn coalesce(name: &str, args: &[ArrayRef], data_type: &DataType) -> Result<ArrayRef> {
    let Some(last) = args.last() else {
        return Err(EmberError::execution(format!(
            "{name}() needs at least one argument"
        )));
    };
    let mut result = cast_array(last, data_type)?;
    for a in args.iter().rev().skip(1) {
        let a = cast_array(a, data_type)?;
        let present = is_not_null(a.as_ref())?;
        result = zip(&present, &a, &result)?;
    }
    Ok(result)
}

/// `nullif(a, b)`: NULL where `a = b`, else `a`.
fn null_if(name: &str, args: &[ArrayRef]) -> Result<ArrayRef> {
    arity(name, args, 2, 2)?;
    let (a, b) = align_types(
        &Operand::Array(args[0].clone()),
        &Operand::Array(args[1].clone()),
    )?;
    let equal = to_boolean(compare(BinaryOp::Eq, &a, &b)?.into_array(args[0].len())?)?;
    let equal = prep_null_mask_filter(&equal);
    if *args[0].data_type() == DataType::Null {
        return Ok(args[0].clone());
    }
    Ok(nullif(a.array().as_ref(), &equal)?)
}

/// `date_part(part, d)`: a numbered field of a date.
fn date_part(name: &str, args: &[ArrayRef]) -> Result<ArrayRef> {
    arity(name, args, 2, 2)?;
    let parts = utf8(&args[0])?;
    let parts = parts.as_string::<i32>();
    let dates = cast_array(&args[1], &DataType::Date32)?;
    let dates = dates.as_primitive::<Date32Type>();
    if *args[0].data_type() == DataType::Null {
        return Ok(new_null_array(&DataType::Int64, dates.len()));
    }
    let mut out = Int64Builder::with_capacity(dates.len());
    for i in 0..dates.len() {
        if dates.is_null(i) || parts.is_null(i) {
            out.append_null();
            continue;
        }
        let part = parts.value(i);
        let date = date32_to_naive(dates.value(i))
            .ok_or_else(|| EmberError::execution("date out of range in date_part()"))?;
        let is = |p: &str| part.eq_ignore_ascii_case(p);
        let v = if is("year") {
            date.year() as i64
        } else if is("quarter") {
            (date.month0() / 3 + 1) as i64
        } else if is("month") {
            date.month() as i64
        } else if is("day") {
            date.day() as i64
        } else if is("dow") {
            date.weekday().num_days_from_sunday() as i64
        } else if is("doy") {
            date.ordinal() as i64
        } else if is("week") {
            date.iso_week().week() as i64
        } else {
            return Err(EmberError::execution(format!(
                "date_part() does not know the field '{part}' (year, quarter, month, day, dow, doy, week)"
            )));
        };
        out.append_value(v);
    }
    Ok(Arc::new(out.finish()))
}
