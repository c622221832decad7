//! Spark literals as Ember SQL literals of the same type (`lit(1)` is an INTEGER, a
//! double keeps an exponent so it is read as a DOUBLE, dates and timestamps as typed
//! literals), and the SQL type names casts use.
//!
//! In: `Expression.Literal` messages and Arrow types. Out: SQL text. May import
//! `super::{proto, types}` and `ember_planner::types`.

use arrow::datatypes::DataType;
use ember_planner::types::SqlType;

use super::expr::string_literal;
use super::proto::expression::{self as pe, literal::LiteralType};
use super::unsupported;
use crate::error::{EmberError, Result};

/// The SQL type to cast to; Ember has no TINYINT or REAL arithmetic worth keeping, so
/// they widen as Ember's SQL would.
pub fn cast_type_sql(t: &DataType) -> Result<String> {
    Ok(match t {
        DataType::Int8 | DataType::Int16 => "SMALLINT".into(),
        DataType::Float32 => "REAL".into(),
        DataType::Binary => return Err(unsupported("cast to BINARY")),
        DataType::Timestamp(_, _) => "TIMESTAMP".into(),
        DataType::List(_) | DataType::Struct(_) | DataType::Map(_, _) => {
            return Err(unsupported(format!("cast to {t}")));
        }
        other => SqlType(other).to_string(),
    })
}

/// A literal as SQL text of the same type.
pub fn literal_sql(l: &pe::Literal) -> Result<String> {
    let Some(v) = &l.literal_type else {
        return Err(EmberError::execution("a literal without its value"));
    };
    Ok(match v {
        LiteralType::Null(t) => {
            let t = super::types::from_spark(t).map_err(EmberError::execution)?;
            if t == DataType::Null {
                "NULL".into()
            } else {
                format!("CAST(NULL AS {})", cast_type_sql(&t)?)
            }
        }
        LiteralType::Boolean(b) => if *b { "TRUE" } else { "FALSE" }.into(),
        LiteralType::Byte(n) | LiteralType::Short(n) => format!("CAST({n} AS SMALLINT)"),
        LiteralType::Integer(n) => format!("CAST({n} AS INTEGER)"),
        LiteralType::Long(n) => {
            if *n < 0 {
                format!("({n})")
            } else {
                n.to_string()
            }
        }
        LiteralType::Float(x) => format!("CAST({} AS REAL)", double_sql(f64::from(*x))),
        LiteralType::Double(x) => double_sql(*x),
        LiteralType::Decimal(d) => {
            let (p, s) = match (d.precision, d.scale) {
                (Some(p), Some(s)) => (p, s),
                _ => {
                    let digits = d.value.trim_start_matches('-');
                    let (i, f) = digits.split_once('.').unwrap_or((digits, ""));
                    let s = f.len() as i32;
                    ((i.len() as i32 + s).max(1), s)
                }
            };
            format!("CAST({} AS DECIMAL({p},{s}))", string_literal(&d.value))
        }
        LiteralType::String(s) => string_literal(s),
        LiteralType::Date(days) => {
            let date = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)
                .and_then(|e| e.checked_add_signed(chrono::Duration::days(i64::from(*days))))
                .ok_or_else(|| EmberError::execution(format!("date {days} out of range")))?;
            format!("DATE '{}'", date.format("%Y-%m-%d"))
        }
        LiteralType::Timestamp(us) | LiteralType::TimestampNtz(us) => {
            let t = chrono::DateTime::from_timestamp_micros(*us)
                .ok_or_else(|| EmberError::execution(format!("timestamp {us} out of range")))?;
            format!(
                "TIMESTAMP '{}'",
                t.naive_utc().format("%Y-%m-%d %H:%M:%S%.6f")
            )
        }
        other => {
            let debug = format!("{other:?}");
            let kind = debug.split('(').next().unwrap_or("?");
            return Err(unsupported(format!("literal of type {kind}")));
        }
    })
}

fn double_sql(x: f64) -> String {
    if x.is_finite() {
        // An exponent makes Ember read a DOUBLE rather than a DECIMAL.
        let text = format!("{x:e}");
        if x < 0.0 { format!("({text})") } else { text }
    } else {
        let name = if x.is_nan() {
            "NaN"
        } else if x > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        };
        format!("CAST('{name}' AS DOUBLE)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_keep_their_types_in_sql() {
        let lit = |t| pe::Literal {
            literal_type: Some(t),
            ..Default::default()
        };
        assert_eq!(
            literal_sql(&lit(LiteralType::Integer(3))).unwrap(),
            "CAST(3 AS INTEGER)"
        );
        assert_eq!(literal_sql(&lit(LiteralType::Double(0.5))).unwrap(), "5e-1");
        assert_eq!(
            literal_sql(&lit(LiteralType::String("it's".into()))).unwrap(),
            "'it''s'"
        );
        assert_eq!(
            literal_sql(&lit(LiteralType::Date(1))).unwrap(),
            "DATE '1970-01-02'"
        );
    }
}
