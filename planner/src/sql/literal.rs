//! Literal values: numbers (integers are BIGINT, `0.05` is DECIMAL(2,2)), strings
//! (`'...'` and `E'...'` with backslash escapes),
//! `DATE '...'` and `INTERVAL '3' MONTH`.
//!
//! In: sqlparser values and interval nodes. Out: [`ScalarValue`]s.

use arrow::datatypes::IntervalMonthDayNano;
use sqlparser::ast::{self, DateTimeField, Value};

use crate::error::{Location, PlanError, Result};
use crate::scalar::{ScalarValue, parse_date32};
use crate::types::MAX_DECIMAL_PRECISION;

/// A literal value as written.
pub(crate) fn value_to_scalar(v: &Value, at: Location) -> Result<ScalarValue> {
    Ok(match v {
        Value::Number(text, _) => number(text, at)?,
        // `E'...'` strings arrive with their backslash escapes already read.
        Value::SingleQuotedString(s)
        | Value::DoubleQuotedString(s)
        | Value::EscapedStringLiteral(s) => ScalarValue::Utf8(Some(s.clone())),
        Value::Boolean(b) => ScalarValue::Boolean(Some(*b)),
        Value::Null => ScalarValue::Null,
        other => return Err(PlanError::unsupported_at(format!("literal {other}"), at)),
    })
}

/// An integer is BIGINT (DECIMAL when too large), `1.25` is DECIMAL(3,2), `1e3` is DOUBLE.
/// A number of more than 38 digits (trailing zeros after the point aside) fits no
/// DECIMAL and is an error: read as a DOUBLE it would look exact but compare wrongly.
pub(crate) fn number(text: &str, at: Location) -> Result<ScalarValue> {
    let bad = || PlanError::Parse {
        message: format!("invalid number '{text}'"),
        location: at,
    };
    if text.contains(['e', 'E']) {
        return text
            .parse::<f64>()
            .map(|f| ScalarValue::Float64(Some(f)))
            .map_err(|_| bad());
    }
    if let Ok(i) = text.parse::<i64>() {
        return Ok(ScalarValue::Int64(Some(i)));
    }
    let (int_part, frac_part) = text.split_once('.').unwrap_or((text, ""));
    if !int_part
        .chars()
        .chain(frac_part.chars())
        .all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let int_digits = int_part.trim_start_matches('0').len();
    let mut frac_part = frac_part;
    if int_digits + frac_part.len() > MAX_DECIMAL_PRECISION as usize {
        // Zeros at the end of the fraction change nothing but the scale.
        frac_part = frac_part.trim_end_matches('0');
    }
    let scale = frac_part.len();
    let precision = (int_digits + scale).max(1);
    if precision > MAX_DECIMAL_PRECISION as usize {
        return Err(PlanError::plan_at(
            format!(
                "numeric literal '{text}' has {precision} digits, more than the \
                 {MAX_DECIMAL_PRECISION} a DECIMAL holds (write it with an exponent, \
                 e.g. 1e40, for an approximate DOUBLE)"
            ),
            at,
        ));
    }
    let unscaled: i128 = format!("{int_part}{frac_part}")
        .parse()
        .map_err(|_| bad())?;
    Ok(ScalarValue::Decimal128(
        Some(unscaled),
        precision as u8,
        scale as i8,
    ))
}

/// `DATE 'YYYY-MM-DD'`.
pub(crate) fn date(text: &str, at: Location) -> Result<ScalarValue> {
    parse_date32(text)
        .map(|d| ScalarValue::Date32(Some(d)))
        .ok_or_else(|| PlanError::Parse {
            message: format!("invalid date '{text}' (expected YYYY-MM-DD)"),
            location: at,
        })
}

/// `INTERVAL '90' DAY`, `INTERVAL '3' MONTH`, `INTERVAL '1 year 2 days'`.
pub(crate) fn interval(i: &ast::Interval, at: Location) -> Result<ScalarValue> {
    if i.last_field.is_some() || i.fractional_seconds_precision.is_some() {
        return Err(PlanError::unsupported_at(format!("interval {i}"), at));
    }
    let text = match i.value.as_ref() {
        ast::Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) | Value::Number(s, _) => s.clone(),
            _ => return Err(PlanError::unsupported_at(format!("interval {i}"), at)),
        },
        _ => return Err(PlanError::unsupported_at(format!("interval {i}"), at)),
    };
    let mut total = IntervalMonthDayNano::new(0, 0, 0);
    match &i.leading_field {
        Some(field) => {
            let n = parse_count(text.trim(), at)?;
            add_unit(&mut total, n, &field_unit(field, at)?, at)?;
        }
        None => {
            let words: Vec<&str> = text.split_whitespace().collect();
            if words.is_empty() || !words.len().is_multiple_of(2) {
                return Err(invalid_interval(&text, at));
            }
            for pair in words.chunks(2) {
                let [n, unit] = pair else {
                    return Err(invalid_interval(&text, at));
                };
                let n = parse_count(n, at)?;
                add_unit(&mut total, n, &unit.to_ascii_lowercase(), at)?;
            }
        }
    }
    Ok(ScalarValue::Interval(Some(total)))
}

fn invalid_interval(text: &str, at: Location) -> PlanError {
    PlanError::Parse {
        message: format!("invalid interval '{text}'"),
        location: at,
    }
}

fn parse_count(text: &str, at: Location) -> Result<i64> {
    text.parse::<i64>().map_err(|_| invalid_interval(text, at))
}

fn field_unit(field: &DateTimeField, at: Location) -> Result<String> {
    Ok(match field {
        DateTimeField::Year | DateTimeField::Years => "year",
        DateTimeField::Month | DateTimeField::Months => "month",
        DateTimeField::Week(None) | DateTimeField::Weeks => "week",
        DateTimeField::Day | DateTimeField::Days => "day",
        DateTimeField::Hour | DateTimeField::Hours => "hour",
        DateTimeField::Minute | DateTimeField::Minutes => "minute",
        DateTimeField::Second | DateTimeField::Seconds => "second",
        other => {
            return Err(PlanError::unsupported_at(
                format!("interval unit {other}"),
                at,
            ));
        }
    }
    .to_string())
}

fn add_unit(total: &mut IntervalMonthDayNano, n: i64, unit: &str, at: Location) -> Result<()> {
    let overflow = || PlanError::Parse {
        message: format!("interval of {n} {unit} is out of range"),
        location: at,
    };
    let small = |v: i64| i32::try_from(v).map_err(|_| overflow());
    let unit = unit.trim_end_matches('s');
    const NANOS_PER_SECOND: i64 = 1_000_000_000;
    match unit {
        "year" => total.months += small(n.checked_mul(12).ok_or_else(overflow)?)?,
        "month" | "mon" => total.months += small(n)?,
        "week" => total.days += small(n.checked_mul(7).ok_or_else(overflow)?)?,
        "day" => total.days += small(n)?,
        "hour" => {
            total.nanoseconds += n
                .checked_mul(3600 * NANOS_PER_SECOND)
                .ok_or_else(overflow)?
        }
        "minute" => {
            total.nanoseconds += n.checked_mul(60 * NANOS_PER_SECOND).ok_or_else(overflow)?
        }
        "second" => total.nanoseconds += n.checked_mul(NANOS_PER_SECOND).ok_or_else(overflow)?,
        other => {
            return Err(PlanError::unsupported_at(
                format!("interval unit '{other}'"),
                at,
            ));
        }
    }
    Ok(())
}

/// The `date_part` name of an EXTRACT field.
pub(crate) fn extract_part(field: &DateTimeField, at: Location) -> Result<&'static str> {
    Ok(match field {
        DateTimeField::Year => "year",
        DateTimeField::Quarter => "quarter",
        DateTimeField::Month => "month",
        DateTimeField::Week(None) => "week",
        DateTimeField::Day => "day",
        DateTimeField::Dow | DateTimeField::DayOfWeek => "dow",
        DateTimeField::Doy | DateTimeField::DayOfYear => "doy",
        DateTimeField::Hour => "hour",
        DateTimeField::Minute => "minute",
        DateTimeField::Second => "second",
        DateTimeField::Millisecond | DateTimeField::Milliseconds => "millisecond",
        DateTimeField::Microsecond | DateTimeField::Microseconds => "microsecond",
        DateTimeField::Epoch => "epoch",
        DateTimeField::Isodow => "isodow",
        other => {
            return Err(PlanError::unsupported_at(
                format!("EXTRACT({other} ...)"),
                at,
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_get_their_written_precision() {
        let at = Location::default();
        assert_eq!(number("24", at).unwrap(), ScalarValue::Int64(Some(24)));
        assert_eq!(
            number("0.05", at).unwrap(),
            ScalarValue::Decimal128(Some(5), 2, 2)
        );
        assert_eq!(
            number("123.456", at).unwrap(),
            ScalarValue::Decimal128(Some(123456), 6, 3)
        );
        assert_eq!(
            number("1e3", at).unwrap(),
            ScalarValue::Float64(Some(1000.0))
        );
    }

    #[test]
    fn numbers_beyond_38_digits_are_errors_unless_the_extra_digits_are_trailing_zeros() {
        let at = Location::default();
        let max = "9".repeat(38);
        assert_eq!(
            number(&max, at).unwrap(),
            ScalarValue::Decimal128(Some(10i128.pow(38) - 1), 38, 0)
        );
        let err = number(&"9".repeat(41), at).unwrap_err().to_string();
        assert!(err.contains("has 41 digits, more than the 38"), "{err}");
        assert!(number(&format!("0.{}1", "0".repeat(38)), at).is_err());
        assert_eq!(
            number(&format!("1.5{}", "0".repeat(40)), at).unwrap(),
            ScalarValue::Decimal128(Some(15), 2, 1)
        );
    }
}
