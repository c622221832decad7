//! Text of one cell: each column gets a formatter, built once, that writes row `i` as
//! text and says what kind of value it was (so CSV can quote, JSON can leave numbers
//! bare, and tables can right-align them).
//!
//! Decimals print at their scale, floats in their shortest round-trip form with an
//! exponent outside 1e-4..1e15 as PostgreSQL prints them (`1.5`, `100`, `1e-300`,
//! `1e+20`; see `ember_planner::scalar::format_f64`), dates as `YYYY-MM-DD`; types
//! without a rule here fall back to Arrow's display.

use std::fmt::Write as _;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type,
    Int64Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use ember_planner::scalar::{format_f32, format_f64};

use super::digits;

/// Timestamps print as SQL writes them: `2024-01-02 03:04:05[.fraction]`.
pub const TIMESTAMP_FORMAT: &str = "%Y-%m-%d %H:%M:%S%.f";

use crate::error::Result;

/// What a cell holds, once written as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cell {
    /// NULL (nothing was written).
    Null,
    /// A finite number.
    Number,
    /// `true` or `false`.
    Bool,
    /// Anything else, written as text (strings, dates, NaN and infinities, ...).
    Text,
}

/// Writes row `i` of one column into the buffer and reports its kind.
pub(crate) type CellWriter<'a> = Box<dyn Fn(usize, &mut String) -> Cell + 'a>;

macro_rules! integer {
    ($array:expr, $t:ty) => {{
        let a = $array.as_primitive::<$t>();
        Box::new(move |i: usize, out: &mut String| {
            push_integer(out, i128::from(a.value(i)));
            Cell::Number
        })
    }};
}

/// Appends what `write` writes as bytes (ASCII digits and signs) to `out`.
fn push_bytes(out: &mut String, write: impl FnOnce(&mut Vec<u8>)) {
    let mut bytes = std::mem::take(out).into_bytes();
    write(&mut bytes);
    *out = String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
}

fn push_integer(out: &mut String, v: i128) {
    push_bytes(out, |b| digits::push_i128(b, v));
}

fn push_decimal(out: &mut String, v: i128, scale: i8) {
    push_bytes(out, |b| digits::push_decimal(b, v, scale));
}

fn push_date(out: &mut String, days: i32) {
    push_bytes(out, |b| digits::push_date(b, days));
}

macro_rules! float {
    ($array:expr, $t:ty, $format:path) => {{
        let a = $array.as_primitive::<$t>();
        Box::new(move |i: usize, out: &mut String| {
            let v = a.value(i);
            out.push_str(&$format(v));
            if v.is_finite() {
                Cell::Number
            } else {
                Cell::Text
            }
        })
    }};
}

/// A writer for every row of `array`.
pub(crate) fn cell_writer<'a>(array: &'a dyn Array) -> Result<CellWriter<'a>> {
    let typed: CellWriter<'a> = match array.data_type() {
        DataType::Null => Box::new(|_: usize, _: &mut String| Cell::Null),
        DataType::Boolean => {
            let a = array.as_boolean();
            Box::new(move |i: usize, out: &mut String| {
                out.push_str(if a.value(i) { "true" } else { "false" });
                Cell::Bool
            })
        }
        DataType::Int8 => integer!(array, Int8Type),
        DataType::Int16 => integer!(array, Int16Type),
        DataType::Int32 => integer!(array, Int32Type),
        DataType::Int64 => integer!(array, Int64Type),
        DataType::UInt8 => integer!(array, UInt8Type),
        DataType::UInt16 => integer!(array, UInt16Type),
        DataType::UInt32 => integer!(array, UInt32Type),
        DataType::UInt64 => integer!(array, UInt64Type),
        DataType::Float32 => float!(array, Float32Type, format_f32),
        DataType::Float64 => float!(array, Float64Type, format_f64),
        DataType::Decimal128(_, scale) => {
            let a = array.as_primitive::<Decimal128Type>();
            let scale = *scale;
            Box::new(move |i: usize, out: &mut String| {
                push_decimal(out, a.value(i), scale);
                Cell::Number
            })
        }
        DataType::Date32 => {
            let a = array.as_primitive::<Date32Type>();
            Box::new(move |i: usize, out: &mut String| {
                push_date(out, a.value(i));
                Cell::Text
            })
        }
        DataType::Utf8 => {
            let a = array.as_string::<i32>();
            Box::new(move |i: usize, out: &mut String| {
                out.push_str(a.value(i));
                Cell::Text
            })
        }
        DataType::LargeUtf8 => {
            let a = array.as_string::<i64>();
            Box::new(move |i: usize, out: &mut String| {
                out.push_str(a.value(i));
                Cell::Text
            })
        }
        DataType::Utf8View => {
            let a = array.as_string_view();
            Box::new(move |i: usize, out: &mut String| {
                out.push_str(a.value(i));
                Cell::Text
            })
        }
        _ => {
            let f = ArrayFormatter::try_new(
                array,
                &FormatOptions::default().with_timestamp_format(Some(TIMESTAMP_FORMAT)),
            )?;
            Box::new(move |i: usize, out: &mut String| {
                let _ = write!(out, "{}", f.value(i));
                Cell::Text
            })
        }
    };
    // NULLs are checked once here so the typed writers only see values.
    Ok(Box::new(move |i: usize, out: &mut String| {
        if array.is_null(i) {
            Cell::Null
        } else {
            typed(i, out)
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Date32Array, Decimal128Array, Float64Array, Int32Array};

    fn texts(array: &dyn Array) -> Vec<(String, Cell)> {
        let w = cell_writer(array).unwrap();
        (0..array.len())
            .map(|i| {
                let mut s = String::new();
                let k = w(i, &mut s);
                (s, k)
            })
            .collect()
    }

    #[test]
    fn dates_agree_with_chrono_in_every_year() {
        use chrono::Datelike;
        for days in (-719_528..=2_932_896).step_by(97) {
            let d = ember_planner::scalar::date32_to_naive(days).unwrap();
            assert_eq!(
                digits::civil_from_days(i64::from(days)),
                (i64::from(d.year()), d.month(), d.day()),
                "{days}"
            );
        }
    }

    #[test]
    fn numbers_dates_and_nulls() {
        let d = Decimal128Array::from(vec![Some(12340), None, Some(-5)])
            .with_precision_and_scale(10, 2)
            .unwrap();
        let t = texts(&d);
        assert_eq!(t[0], ("123.40".into(), Cell::Number));
        assert_eq!(t[1], (String::new(), Cell::Null));
        assert_eq!(t[2].0, "-0.05");

        let f = Float64Array::from(vec![0.1, 1e21, f64::NAN, 2.0, 1e-300, f64::INFINITY]);
        let t: Vec<String> = texts(&f).into_iter().map(|(s, _)| s).collect();
        assert_eq!(t, vec!["0.1", "1e+21", "NaN", "2", "1e-300", "Infinity"]);
        assert_eq!(texts(&f)[2].1, Cell::Text);

        let dates = Date32Array::from(vec![0, 10_561, -719_528, 2_932_896, 3_000_000]);
        let d: Vec<String> = texts(&dates).into_iter().map(|(s, _)| s).collect();
        assert_eq!(
            d,
            [
                "1970-01-01",
                "1998-12-01",
                "0000-01-01",
                "9999-12-31",
                "+10183-09-21"
            ]
        );
        let ints: Vec<String> = texts(&Int32Array::from(vec![-7, 0, i32::MIN, 120]))
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        assert_eq!(ints, ["-7", "0", "-2147483648", "120"]);
        // The same text as the planner's decimal formatting, for every scale.
        for (v, scale) in [
            (0, 2),
            (5, 3),
            (-5, 2),
            (12340, 2),
            (-1, 0),
            (7, -2),
            (i128::MAX, 10),
        ] {
            let mut s = String::new();
            push_decimal(&mut s, v, scale);
            assert_eq!(
                s,
                ember_planner::scalar::format_decimal(v, scale),
                "{v} at {scale}"
            );
        }
    }
}
