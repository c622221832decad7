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
use ember_planner::scalar::{date32_to_naive, format_decimal, format_f32, format_f64};

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
            let _ = write!(out, "{}", a.value(i));
            Cell::Number
        })
    }};
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
                out.push_str(&format_decimal(a.value(i), scale));
                Cell::Number
            })
        }
        DataType::Date32 => {
            let a = array.as_primitive::<Date32Type>();
            Box::new(move |i: usize, out: &mut String| {
                let days = a.value(i);
                match date32_to_naive(days) {
                    Some(d) => {
                        let _ = write!(out, "{}", d.format("%Y-%m-%d"));
                    }
                    None => {
                        let _ = write!(out, "{days}");
                    }
                }
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

        let dates = Date32Array::from(vec![0, 10_561]);
        assert_eq!(texts(&dates)[1].0, "1998-12-01");
        assert_eq!(texts(&Int32Array::from(vec![-7]))[0].0, "-7");
    }
}
