//! CAST: Arrow's cast kernel in strict mode, with SQL's rounding and text forms where
//! they differ from Arrow's, and an error that names the first value that could not be
//! converted.
//!
//! In: an array and a target type. Out: the array in that type, or
//! `cannot cast 'abc' to INTEGER`. Floats and decimals become integers rounded (half
//! to even for floats, half away from zero for decimals) rather than truncated;
//! timestamps print as `YYYY-MM-DD HH:MM:SS[.ffffff]` and floats as results print them
//! (`1e+20`, `100`, `0.1`; see `ember_planner::scalar::format_f64`); text loses
//! surrounding spaces before it becomes a number, date, timestamp or boolean.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, StringArray};
use arrow::compute::{CastOptions, can_cast_types, cast_with_options};
use arrow::datatypes::{DataType, Float32Type, Float64Type, TimeUnit, TimestampMicrosecondType};
use arrow::util::display::{ArrayFormatter, FormatOptions};

use ember_planner::scalar::{format_f32, format_f64};
use ember_planner::types::sql_type_name;

use crate::error::{EmberError, Result};

/// Casts `array` to `to`; a value that does not convert is an execution error naming it.
pub fn cast_array(array: &ArrayRef, to: &DataType) -> Result<ArrayRef> {
    let from = array.data_type();
    if from == to {
        return Ok(array.clone());
    }
    if matches!(from, DataType::Timestamp(_, _)) && ember_planner::types::is_string(to) {
        return timestamp_text(array, to);
    }
    if ember_planner::types::is_float(from) && ember_planner::types::is_string(to) {
        return float_text(array, to);
    }
    if *from == DataType::Utf8 && !ember_planner::types::is_string(to) {
        // Text is read without its surrounding spaces, as SQL's input functions do.
        let text = array.as_string::<i32>();
        if text.iter().flatten().any(|v| v.trim() != v) {
            let trimmed: ArrayRef = Arc::new(
                text.iter()
                    .map(|v| v.map(str::trim))
                    .collect::<StringArray>(),
            );
            return cast_array(&trimmed, to);
        }
    }
    if ember_planner::types::is_integer(to) {
        if ember_planner::types::is_float(from) {
            let f = cast_array(array, &DataType::Float64)?;
            let rounded: ArrayRef = Arc::new(
                f.as_primitive::<Float64Type>()
                    .unary::<_, Float64Type>(f64::round_ties_even),
            );
            return strict(&rounded, to, array);
        }
        if let DataType::Decimal128(p, s) = from
            && *s > 0
        {
            let whole = strict(array, &DataType::Decimal128(*p, 0), array)?;
            return strict(&whole, to, array);
        }
    }
    if !can_cast_types(from, to) {
        return Err(EmberError::execution(format!(
            "cannot cast {} to {}",
            sql_type_name(from),
            sql_type_name(to)
        )));
    }
    strict(array, to, array)
}

/// Arrow's strict cast of `array`; failures name the value of `original` at the row.
fn strict(array: &ArrayRef, to: &DataType, original: &ArrayRef) -> Result<ArrayRef> {
    let options = CastOptions {
        safe: false,
        format_options: FormatOptions::default(),
    };
    match cast_with_options(array, to, &options) {
        Ok(a) => Ok(a),
        Err(err) => Err(explain_failure(array, to, original).unwrap_or_else(|| {
            EmberError::execution(format!("cannot cast to {}: {err}", sql_type_name(to)))
        })),
    }
}

/// Finds the first non-NULL value that became NULL in a lenient cast and names it.
fn explain_failure(array: &ArrayRef, to: &DataType, original: &ArrayRef) -> Option<EmberError> {
    let lenient = cast_with_options(array, to, &CastOptions::default()).ok()?;
    let row = (0..array.len()).find(|&i| array.is_valid(i) && lenient.is_null(i))?;
    let formatter = ArrayFormatter::try_new(original.as_ref(), &FormatOptions::default()).ok()?;
    let value = formatter.value(row).to_string();
    // A number that does not become another number is one too large for the target.
    let numeric = |t: &DataType| ember_planner::types::is_numeric(t);
    let why = if numeric(original.data_type()) && numeric(to) {
        ": out of range"
    } else {
        ""
    };
    Some(EmberError::execution(format!(
        "cannot cast '{value}' to {}{why}",
        sql_type_name(to)
    )))
}

/// Timestamps as `YYYY-MM-DD HH:MM:SS`, with the fraction only when it is not zero.
/// Floats as text, in the form results print them in.
fn float_text(array: &ArrayRef, to: &DataType) -> Result<ArrayRef> {
    let out: StringArray = match array.data_type() {
        DataType::Float32 => array
            .as_primitive::<Float32Type>()
            .iter()
            .map(|v| v.map(format_f32))
            .collect(),
        _ => cast_array(array, &DataType::Float64)?
            .as_primitive::<Float64Type>()
            .iter()
            .map(|v| v.map(format_f64))
            .collect(),
    };
    let out: ArrayRef = Arc::new(out);
    if *to == DataType::Utf8 {
        Ok(out)
    } else {
        strict(&out, to, &out)
    }
}

fn timestamp_text(array: &ArrayRef, to: &DataType) -> Result<ArrayRef> {
    let micros = strict(
        array,
        &DataType::Timestamp(TimeUnit::Microsecond, None),
        array,
    )?;
    let micros = micros.as_primitive::<TimestampMicrosecondType>();
    let out: StringArray = micros
        .iter()
        .map(|v| {
            v.map(|v| match chrono::DateTime::from_timestamp_micros(v) {
                Some(t) if v.rem_euclid(1_000_000) == 0 => {
                    t.naive_utc().format("%Y-%m-%d %H:%M:%S").to_string()
                }
                Some(t) => {
                    let s = t.naive_utc().format("%Y-%m-%d %H:%M:%S%.6f").to_string();
                    s.trim_end_matches('0').to_string()
                }
                None => v.to_string(),
            })
        })
        .collect();
    let out: ArrayRef = Arc::new(out);
    if *to == DataType::Utf8 {
        Ok(out)
    } else {
        strict(&out, to, &out)
    }
}
