//! Scalar values: one typed value of any Ember data type, used for literals and constants.
//!
//! Data types themselves are Arrow's [`DataType`]; strings are `Utf8` inside the
//! engine (sources turn `Utf8View` and `LargeUtf8` into `Utf8` as they read).

use std::fmt;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Decimal128Array, Float64Array, Int32Array, Int64Array,
    IntervalMonthDayNanoArray, NullArray, StringArray, TimestampMicrosecondArray, new_null_array,
};
use arrow::datatypes::{DataType, IntervalMonthDayNano, IntervalUnit, TimeUnit};

/// A single value with its type. `None` inside a variant is a typed NULL.
#[derive(Debug, Clone, PartialEq)]
pub enum ScalarValue {
    /// An untyped NULL literal.
    Null,
    /// BOOLEAN.
    Boolean(Option<bool>),
    /// INT (32 bit).
    Int32(Option<i32>),
    /// BIGINT (64 bit); integer literals are this type.
    Int64(Option<i64>),
    /// DOUBLE.
    Float64(Option<f64>),
    /// DECIMAL(precision, scale): the unscaled value.
    Decimal128(Option<i128>, u8, i8),
    /// VARCHAR.
    Utf8(Option<String>),
    /// DATE: days since 1970-01-01.
    Date32(Option<i32>),
    /// INTERVAL: months, days and nanoseconds.
    Interval(Option<IntervalMonthDayNano>),
    /// TIMESTAMP: microseconds since 1970-01-01 00:00:00, no time zone.
    Timestamp(Option<i64>),
}

impl ScalarValue {
    /// The Arrow type of this value.
    pub fn data_type(&self) -> DataType {
        match self {
            ScalarValue::Null => DataType::Null,
            ScalarValue::Boolean(_) => DataType::Boolean,
            ScalarValue::Int32(_) => DataType::Int32,
            ScalarValue::Int64(_) => DataType::Int64,
            ScalarValue::Float64(_) => DataType::Float64,
            ScalarValue::Decimal128(_, p, s) => DataType::Decimal128(*p, *s),
            ScalarValue::Utf8(_) => DataType::Utf8,
            ScalarValue::Date32(_) => DataType::Date32,
            ScalarValue::Interval(_) => DataType::Interval(IntervalUnit::MonthDayNano),
            ScalarValue::Timestamp(_) => DataType::Timestamp(TimeUnit::Microsecond, None),
        }
    }

    /// True for NULL of any type.
    pub fn is_null(&self) -> bool {
        match self {
            ScalarValue::Null => true,
            ScalarValue::Boolean(v) => v.is_none(),
            ScalarValue::Int32(v) => v.is_none(),
            ScalarValue::Int64(v) => v.is_none(),
            ScalarValue::Float64(v) => v.is_none(),
            ScalarValue::Decimal128(v, _, _) => v.is_none(),
            ScalarValue::Utf8(v) => v.is_none(),
            ScalarValue::Date32(v) => v.is_none(),
            ScalarValue::Interval(v) => v.is_none(),
            ScalarValue::Timestamp(v) => v.is_none(),
        }
    }

    /// A NULL of the given type (an untyped NULL for types without a variant).
    pub fn null_of(data_type: &DataType) -> ScalarValue {
        match data_type {
            DataType::Boolean => ScalarValue::Boolean(None),
            DataType::Int32 => ScalarValue::Int32(None),
            DataType::Int64 => ScalarValue::Int64(None),
            DataType::Float64 => ScalarValue::Float64(None),
            DataType::Decimal128(p, s) => ScalarValue::Decimal128(None, *p, *s),
            DataType::Utf8 => ScalarValue::Utf8(None),
            DataType::Date32 => ScalarValue::Date32(None),
            DataType::Interval(_) => ScalarValue::Interval(None),
            DataType::Timestamp(TimeUnit::Microsecond, None) => ScalarValue::Timestamp(None),
            _ => ScalarValue::Null,
        }
    }

    /// An array of `len` copies of this value.
    pub fn to_array(&self, len: usize) -> ArrayRef {
        match self {
            ScalarValue::Null => Arc::new(NullArray::new(len)),
            ScalarValue::Boolean(v) => Arc::new(BooleanArray::from(vec![*v; len])),
            ScalarValue::Int32(v) => Arc::new(Int32Array::from(vec![*v; len])),
            ScalarValue::Int64(v) => Arc::new(Int64Array::from(vec![*v; len])),
            ScalarValue::Float64(v) => Arc::new(Float64Array::from(vec![*v; len])),
            ScalarValue::Decimal128(v, p, s) => {
                match Decimal128Array::from(vec![*v; len]).with_precision_and_scale(*p, *s) {
                    Ok(a) => Arc::new(a),
                    Err(_) => new_null_array(&self.data_type(), len),
                }
            }
            ScalarValue::Utf8(v) => Arc::new(StringArray::from(vec![v.as_deref(); len])),
            ScalarValue::Date32(v) => Arc::new(Date32Array::from(vec![*v; len])),
            ScalarValue::Interval(v) => Arc::new(IntervalMonthDayNanoArray::from(vec![*v; len])),
            ScalarValue::Timestamp(v) => Arc::new(TimestampMicrosecondArray::from(vec![*v; len])),
        }
    }

    /// Reads row `row` of `array` as a scalar, for the types Ember supports.
    pub fn try_from_array(array: &dyn arrow::array::Array, row: usize) -> Option<ScalarValue> {
        use arrow::array::AsArray;
        use arrow::datatypes::*;
        let null = array.is_null(row);
        Some(match array.data_type() {
            DataType::Null => ScalarValue::Null,
            DataType::Boolean => {
                ScalarValue::Boolean((!null).then(|| array.as_boolean().value(row)))
            }
            DataType::Int32 => {
                ScalarValue::Int32((!null).then(|| array.as_primitive::<Int32Type>().value(row)))
            }
            DataType::Int64 => {
                ScalarValue::Int64((!null).then(|| array.as_primitive::<Int64Type>().value(row)))
            }
            DataType::Float64 => ScalarValue::Float64(
                (!null).then(|| array.as_primitive::<Float64Type>().value(row)),
            ),
            DataType::Decimal128(p, s) => ScalarValue::Decimal128(
                (!null).then(|| array.as_primitive::<Decimal128Type>().value(row)),
                *p,
                *s,
            ),
            DataType::Utf8 => {
                ScalarValue::Utf8((!null).then(|| array.as_string::<i32>().value(row).to_string()))
            }
            DataType::Utf8View => {
                ScalarValue::Utf8((!null).then(|| array.as_string_view().value(row).to_string()))
            }
            DataType::Date32 => {
                ScalarValue::Date32((!null).then(|| array.as_primitive::<Date32Type>().value(row)))
            }
            DataType::Timestamp(TimeUnit::Microsecond, None) => ScalarValue::Timestamp(
                (!null).then(|| array.as_primitive::<TimestampMicrosecondType>().value(row)),
            ),
            _ => return None,
        })
    }
}

impl fmt::Display for ScalarValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_null() {
            return write!(f, "NULL");
        }
        match self {
            ScalarValue::Boolean(Some(v)) => write!(f, "{v}"),
            ScalarValue::Int32(Some(v)) => write!(f, "{v}"),
            ScalarValue::Int64(Some(v)) => write!(f, "{v}"),
            ScalarValue::Float64(Some(v)) => write!(f, "{v}"),
            ScalarValue::Decimal128(Some(v), _, s) => write!(f, "{}", format_decimal(*v, *s)),
            ScalarValue::Utf8(Some(v)) => write!(f, "'{}'", v.replace('\'', "''")),
            ScalarValue::Date32(Some(v)) => match date32_to_naive(*v) {
                Some(d) => write!(f, "DATE '{d}'"),
                None => write!(f, "DATE {v}"),
            },
            ScalarValue::Timestamp(Some(v)) => match timestamp_to_naive(*v) {
                Some(t) => write!(f, "TIMESTAMP '{}'", t.format("%Y-%m-%d %H:%M:%S%.f")),
                None => write!(f, "TIMESTAMP {v}"),
            },
            ScalarValue::Interval(Some(v)) => write!(
                f,
                "INTERVAL '{} months {} days {} nanoseconds'",
                v.months, v.days, v.nanoseconds
            ),
            _ => write!(f, "NULL"),
        }
    }
}

/// Formats an unscaled decimal at its scale: `format_decimal(12345, 2) == "123.45"`.
pub fn format_decimal(value: i128, scale: i8) -> String {
    if scale <= 0 {
        let mut s = value.to_string();
        s.extend(std::iter::repeat_n('0', (-scale) as usize));
        return s;
    }
    let scale = scale as usize;
    let neg = value < 0;
    let digits = value.unsigned_abs().to_string();
    let digits = if digits.len() <= scale {
        format!("{}{}", "0".repeat(scale + 1 - digits.len()), digits)
    } else {
        digits
    };
    let (int, frac) = digits.split_at(digits.len() - scale);
    format!("{}{int}.{frac}", if neg { "-" } else { "" })
}

/// Formats a DOUBLE as PostgreSQL prints it: the shortest text that reads back to the
/// same value, in plain notation when the decimal exponent is from -4 to 14
/// (`100`, `1.5`, `0.0001`, `123456789012345`) and in exponent notation otherwise, with a
/// sign and at least two exponent digits (`1e-300`, `1e+20`, `1.2345678901234568e+17`,
/// `1e-05`); `NaN`, `Infinity`, `-Infinity`.
pub fn format_f64(v: f64) -> String {
    if !v.is_finite() {
        return non_finite(v.is_nan(), v > 0.0);
    }
    shortest(format!("{v:e}"), || format!("{v}"), 15)
}

/// Formats a REAL as [`format_f64`] does, switching to exponent notation from a decimal
/// exponent of 6 (PostgreSQL's rule for `float4`): `123456`, `1.234567e+06`.
pub fn format_f32(v: f32) -> String {
    if !v.is_finite() {
        return non_finite(v.is_nan(), v > 0.0);
    }
    shortest(format!("{v:e}"), || format!("{v}"), 6)
}

fn non_finite(nan: bool, positive: bool) -> String {
    match (nan, positive) {
        (true, _) => "NaN".into(),
        (false, true) => "Infinity".into(),
        (false, false) => "-Infinity".into(),
    }
}

/// `scientific` is Rust's shortest round-trip `{:e}` text (`1.5e-7`); `plain` gives the
/// shortest round-trip plain text, used when the exponent is in `-4..digits`.
fn shortest(scientific: String, plain: impl FnOnce() -> String, digits: i32) -> String {
    let Some((mantissa, exponent)) = scientific.split_once('e') else {
        return scientific;
    };
    let Ok(exponent) = exponent.parse::<i32>() else {
        return scientific;
    };
    if (-4..digits).contains(&exponent) {
        return plain();
    }
    let sign = if exponent < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exponent.unsigned_abs())
}

/// Microseconds since the epoch to a date-time.
pub fn timestamp_to_naive(micros: i64) -> Option<chrono::NaiveDateTime> {
    chrono::DateTime::from_timestamp_micros(micros).map(|t| t.naive_utc())
}

/// Parses `YYYY-MM-DD[ HH:MM:SS[.fraction]]` (a `T` may separate date and time) into
/// microseconds since the epoch.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let text = text.trim();
    let t = [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| chrono::NaiveDateTime::parse_from_str(text, f).ok())
    .or_else(|| {
        chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .map(|d| d.and_time(chrono::NaiveTime::MIN))
    })?;
    Some(t.and_utc().timestamp_micros())
}

/// Days since the epoch to a calendar date.
pub fn date32_to_naive(days: i32) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?
        .checked_add_signed(chrono::TimeDelta::try_days(days as i64)?)
}

/// A calendar date to days since the epoch.
pub fn naive_to_date32(date: chrono::NaiveDate) -> i32 {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch is a valid date");
    (date - epoch).num_days() as i32
}

/// Parses `YYYY-MM-DD` into days since the epoch.
pub fn parse_date32(text: &str) -> Option<i32> {
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .ok()
        .map(naive_to_date32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_print_at_scale() {
        assert_eq!(format_decimal(12345, 2), "123.45");
        assert_eq!(format_decimal(-5, 2), "-0.05");
        assert_eq!(format_decimal(7, 0), "7");
    }

    #[test]
    fn floats_print_shortest_with_an_exponent_outside_minus_4_to_14() {
        let cases = [
            (1e-300, "1e-300"),
            (1e20, "1e+20"),
            (1e15, "1e+15"),
            (123456789012345.0, "123456789012345"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5, "1.5"),
            (100.0, "100"),
            (-2.5e-7, "-2.5e-07"),
            (0.1 + 0.2, "0.30000000000000004"),
            (f64::MAX, "1.7976931348623157e+308"),
            (-0.0, "-0"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (v, text) in cases {
            assert_eq!(format_f64(v), text, "{v:?}");
            if v.is_finite() {
                assert_eq!(
                    format_f64(v).parse::<f64>().unwrap(),
                    v,
                    "{text} reads back"
                );
            }
        }
        assert_eq!(format_f32(123456.0), "123456");
        assert_eq!(format_f32(1234567.0), "1.234567e+06");
        assert_eq!(format_f32(0.1), "0.1");
        assert_eq!(format_f32(f32::INFINITY), "Infinity");
    }

    #[test]
    fn dates_round_trip() {
        let d = parse_date32("1998-12-01").unwrap();
        assert_eq!(date32_to_naive(d).unwrap().to_string(), "1998-12-01");
    }
}
