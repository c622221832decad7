//! Ember's constants and types as Spark sees them: a [`ScalarValue`] becomes a typed
//! Spark Connect literal (decimals keep precision and scale, dates are days, timestamps
//! are microseconds without a time zone, intervals are calendar intervals), and an
//! Arrow type becomes Spark's DDL type name for casts.
//!
//! In: scalars and Arrow types. Out: literal expressions and type names. May import
//! `ember_planner::scalar`, `super::builders` and `crate::connect::proto`.

use arrow::datatypes::{DataType, TimeUnit};
use ember_planner::ScalarValue;

use super::builders::{cast, expression};
use super::untranslatable;
use crate::connect::proto::Expression;
use crate::connect::proto::expression::literal::{CalendarInterval, Decimal, LiteralType};
use crate::connect::proto::expression::{ExprType, Literal};
use crate::error::Result;

/// The literal for `value`; a typed NULL is a NULL cast to its type.
pub(super) fn literal(value: &ScalarValue) -> Result<Expression> {
    let typed = |t: LiteralType| {
        Ok(expression(ExprType::Literal(Literal {
            data_type: None,
            literal_type: Some(t),
        })))
    };
    if value.is_null() {
        let null = expression(ExprType::Literal(Literal {
            data_type: None,
            literal_type: Some(LiteralType::Null(crate::connect::proto::DataType {
                kind: Some(crate::connect::proto::data_type::Kind::Null(
                    crate::connect::proto::data_type::Null {
                        type_variation_reference: 0,
                    },
                )),
            })),
        }));
        return match value {
            ScalarValue::Null => Ok(null),
            other => Ok(cast(null, &spark_type(&other.data_type())?)),
        };
    }
    match value {
        ScalarValue::Boolean(Some(b)) => typed(LiteralType::Boolean(*b)),
        ScalarValue::Int32(Some(v)) => typed(LiteralType::Integer(*v)),
        ScalarValue::Int64(Some(v)) => typed(LiteralType::Long(*v)),
        ScalarValue::Float64(Some(v)) => typed(LiteralType::Double(*v)),
        ScalarValue::Decimal128(Some(v), p, s) => typed(LiteralType::Decimal(Decimal {
            value: ember_planner::scalar::format_decimal(*v, *s),
            precision: Some(i32::from(*p)),
            scale: Some(i32::from(*s)),
        })),
        ScalarValue::Utf8(Some(s)) => typed(LiteralType::String(s.clone())),
        ScalarValue::Date32(Some(d)) => typed(LiteralType::Date(*d)),
        ScalarValue::Timestamp(Some(t)) => typed(LiteralType::TimestampNtz(*t)),
        ScalarValue::Interval(Some(i)) => {
            if i.nanoseconds % 1000 != 0 {
                return Err(untranslatable(format!(
                    "an interval with nanoseconds ({value}): Spark's intervals stop at microseconds"
                )));
            }
            typed(LiteralType::CalendarInterval(CalendarInterval {
                months: i.months,
                days: i.days,
                microseconds: i.nanoseconds / 1000,
            }))
        }
        other => Err(untranslatable(format!("the constant {other}"))),
    }
}

/// Spark's DDL name of an Arrow type (`decimal(15,2)`, `bigint`, `timestamp_ntz`).
pub(super) fn spark_type(data_type: &DataType) -> Result<String> {
    Ok(match data_type {
        DataType::Null => "void".into(),
        DataType::Boolean => "boolean".into(),
        DataType::Int8 => "tinyint".into(),
        DataType::Int16 => "smallint".into(),
        DataType::Int32 => "int".into(),
        DataType::Int64 => "bigint".into(),
        DataType::Float32 => "float".into(),
        DataType::Float64 => "double".into(),
        DataType::Decimal128(p, s) => format!("decimal({p},{s})"),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "string".into(),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => "binary".into(),
        DataType::Date32 => "date".into(),
        DataType::Timestamp(TimeUnit::Microsecond, None) => "timestamp_ntz".into(),
        DataType::Timestamp(TimeUnit::Microsecond, Some(_)) => "timestamp".into(),
        other => {
            return Err(untranslatable(format!(
                "the type {} (no Spark type is the same)",
                ember_planner::types::SqlType(other)
            )));
        }
    })
}

/// True for types whose values Spark may compute in another width or scale than
/// Ember (numbers, dates, booleans): the result is cast to Ember's type on the server.
pub(super) fn cast_on_server(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Boolean
            | DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::Float32
            | DataType::Float64
            | DataType::Decimal128(..)
            | DataType::Date32
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_have_spark_names() {
        assert_eq!(
            spark_type(&DataType::Decimal128(15, 2)).unwrap(),
            "decimal(15,2)"
        );
        assert_eq!(
            spark_type(&DataType::Timestamp(TimeUnit::Microsecond, None)).unwrap(),
            "timestamp_ntz"
        );
        assert!(spark_type(&DataType::UInt64).is_err());
    }

    #[test]
    fn literals_keep_their_type() {
        let e = literal(&ScalarValue::Decimal128(Some(-1234), 15, 2)).unwrap();
        let Some(ExprType::Literal(Literal {
            literal_type: Some(LiteralType::Decimal(d)),
            ..
        })) = e.expr_type
        else {
            panic!("not a decimal literal: {e:?}");
        };
        assert_eq!(d.value, "-12.34");
        assert_eq!((d.precision, d.scale), (Some(15), Some(2)));
        let null = literal(&ScalarValue::Int64(None)).unwrap();
        assert!(matches!(null.expr_type, Some(ExprType::Cast(_))));
    }
}
