//! Type rules: what an operator returns for given operand types, and which common
//! type two operands are coerced to before an operator runs.
//!
//! Integers widen to Int64, integers meet decimals as DECIMAL(19,0) / DECIMAL(10,0),
//! anything meeting a float becomes Float64, and a string literal meeting a date
//! becomes a date (the analyzer folds the cast). Decimal results follow the usual SQL
//! rules: `+`/`-` keep the larger scale, `*` adds scales, `/` widens the scale to at
//! least 6; precision is capped at 38.
//!
//! Users read types by their SQL names ([`sql_type_name`], [`SqlType`]): BIGINT, VARCHAR,
//! DECIMAL(19,0), TIMESTAMP, never Arrow's `Int64` or `Utf8`.

use std::fmt;

use arrow::datatypes::DataType;

use crate::error::{PlanError, Result};
use crate::expr::operator::BinaryOp;

/// Largest decimal precision.
pub const MAX_DECIMAL_PRECISION: u8 = 38;

/// The SQL name of a type, as DESCRIBE, EXPLAIN and error messages show it (and as
/// `docs/functions.md` writes it): `BIGINT`, `VARCHAR`, `DECIMAL(19,0)`, `TIMESTAMP`.
pub fn sql_type_name(t: &DataType) -> String {
    SqlType(t).to_string()
}

/// Shows a type by its SQL name (see [`sql_type_name`]), for `format!` arguments.
#[derive(Debug, Clone, Copy)]
pub struct SqlType<'a>(pub &'a DataType);

impl fmt::Display for SqlType<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use DataType::*;
        let name = match self.0 {
            Null => "NULL",
            Boolean => "BOOLEAN",
            Int8 => "TINYINT",
            Int16 => "SMALLINT",
            Int32 => "INTEGER",
            Int64 => "BIGINT",
            UInt8 => "UTINYINT",
            UInt16 => "USMALLINT",
            UInt32 => "UINTEGER",
            UInt64 => "UBIGINT",
            Float16 => "HALF",
            Float32 => "REAL",
            Float64 => "DOUBLE",
            Decimal32(p, s) | Decimal64(p, s) => return write!(f, "DECIMAL({p},{s})"),
            Decimal128(p, s) | Decimal256(p, s) => return write!(f, "DECIMAL({p},{s})"),
            Utf8 | LargeUtf8 | Utf8View => "VARCHAR",
            Binary | LargeBinary | BinaryView | FixedSizeBinary(_) => "BLOB",
            Date32 | Date64 => "DATE",
            Time32(_) | Time64(_) => "TIME",
            Timestamp(_, None) => "TIMESTAMP",
            Timestamp(_, Some(_)) => "TIMESTAMP WITH TIME ZONE",
            Interval(_) | Duration(_) => "INTERVAL",
            List(item) | LargeList(item) | ListView(item) | LargeListView(item) => {
                return write!(f, "{}[]", SqlType(item.data_type()));
            }
            FixedSizeList(item, n) => return write!(f, "{}[{n}]", SqlType(item.data_type())),
            Struct(fields) => {
                write!(f, "STRUCT(")?;
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{} {}", field.name(), SqlType(field.data_type()))?;
                }
                return write!(f, ")");
            }
            Dictionary(_, value) => return SqlType(value).fmt(f),
            other => return write!(f, "{other}"),
        };
        f.write_str(name)
    }
}

/// True for the integer types.
pub fn is_integer(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
    )
}

/// True for integers, decimals and floats.
pub fn is_numeric(t: &DataType) -> bool {
    is_integer(t) || is_float(t) || matches!(t, DataType::Decimal128(_, _))
}

/// True for floating point types.
pub fn is_float(t: &DataType) -> bool {
    matches!(t, DataType::Float16 | DataType::Float32 | DataType::Float64)
}

/// True for the string types.
pub fn is_string(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8)
}

/// The decimal type that holds every value of an integer type exactly.
pub fn integer_as_decimal(t: &DataType) -> Option<(u8, i8)> {
    Some(match t {
        DataType::Int8 | DataType::UInt8 => (3, 0),
        DataType::Int16 | DataType::UInt16 => (5, 0),
        DataType::Int32 | DataType::UInt32 => (10, 0),
        DataType::Int64 => (19, 0),
        DataType::UInt64 => (20, 0),
        DataType::Decimal128(p, s) => (*p, *s),
        _ => return None,
    })
}

/// The type both sides of a comparison, IN list, CASE branch or UNION column are cast to.
pub fn common_type(l: &DataType, r: &DataType) -> Option<DataType> {
    use DataType::*;
    if l == r {
        return Some(l.clone());
    }
    Some(match (l, r) {
        (Null, t) | (t, Null) => t.clone(),
        (a, b) if is_string(a) && is_string(b) => Utf8,
        (a, b) if (is_float(a) || is_float(b)) && is_numeric(a) && is_numeric(b) => Float64,
        (a, b) if is_float(a) || is_float(b) => return None,
        (a, b) if is_integer(a) && is_integer(b) => Int64,
        (Decimal128(_, _), _) | (_, Decimal128(_, _)) => {
            let (p1, s1) = integer_as_decimal(l)?;
            let (p2, s2) = integer_as_decimal(r)?;
            let scale = s1.max(s2);
            let int_digits = (p1 as i16 - s1 as i16).max(p2 as i16 - s2 as i16);
            let precision = (int_digits + scale as i16).min(MAX_DECIMAL_PRECISION as i16) as u8;
            Decimal128(precision, scale)
        }
        (Date32, s) | (s, Date32) if is_string(s) => Date32,
        (Timestamp(u, tz), s) | (s, Timestamp(u, tz)) if is_string(s) => Timestamp(*u, tz.clone()),
        (Timestamp(u, tz), Date32) | (Date32, Timestamp(u, tz)) => Timestamp(*u, tz.clone()),
        _ => return None,
    })
}

/// The SQL name of a type, for messages (`INTEGER`, `DECIMAL(15,2)`, `VARCHAR`, ...).
pub fn sql_name(t: &DataType) -> String {
    match t {
        DataType::Int8 => "TINYINT".into(),
        DataType::Int16 => "SMALLINT".into(),
        DataType::Int32 => "INTEGER".into(),
        DataType::Int64 => "BIGINT".into(),
        DataType::Float32 => "REAL".into(),
        DataType::Float64 => "DOUBLE".into(),
        DataType::Decimal128(p, s) => format!("DECIMAL({p},{s})"),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "VARCHAR".into(),
        DataType::Date32 => "DATE".into(),
        DataType::Timestamp(_, _) => "TIMESTAMP".into(),
        DataType::Boolean => "BOOLEAN".into(),
        DataType::Interval(_) => "INTERVAL".into(),
        DataType::Null => "NULL".into(),
        other => other.to_string(),
    }
}

/// Whether a value of type `from` may be stored in a column of type `to` (INSERT,
/// UPDATE, CREATE TABLE AS into a declared table): as PostgreSQL's assignment casts,
/// numbers convert among themselves, anything converts to text, text converts to
/// anything (each value must parse), dates and timestamps convert into each other,
/// and NULL goes anywhere. A boolean never becomes a number nor a number a boolean.
pub fn assignable(from: &DataType, to: &DataType) -> bool {
    use DataType::*;
    from == to
        || *from == Null
        || is_string(to)
        || is_string(from)
        || (is_numeric(from) && is_numeric(to))
        || matches!(
            (from, to),
            (Date32, Timestamp(_, _))
                | (Timestamp(_, _), Date32)
                | (Timestamp(_, _), Timestamp(_, _))
        )
}

/// The result type of `l op r`, after both operands were coerced by
/// [`coerce_binary_operands`].
pub fn binary_result_type(l: &DataType, op: BinaryOp, r: &DataType) -> Result<DataType> {
    use DataType::*;
    if op.is_comparison() || op.is_logical() {
        return Ok(Boolean);
    }
    if op == BinaryOp::StringConcat {
        return Ok(Utf8);
    }
    match (l, r) {
        (Date32, Interval(_)) if matches!(op, BinaryOp::Plus | BinaryOp::Minus) => Ok(Date32),
        (Timestamp(u, tz), Interval(_)) if matches!(op, BinaryOp::Plus | BinaryOp::Minus) => {
            Ok(Timestamp(*u, tz.clone()))
        }
        (Interval(_), Timestamp(u, tz)) if op == BinaryOp::Plus => Ok(Timestamp(*u, tz.clone())),
        (Interval(_), Date32) if op == BinaryOp::Plus => Ok(Date32),
        (Date32, Date32) if op == BinaryOp::Minus => Ok(Int64),
        (Timestamp(_, _), Timestamp(_, _)) if op == BinaryOp::Minus => {
            Ok(Interval(arrow::datatypes::IntervalUnit::MonthDayNano))
        }
        (Date32, a) | (a, Date32)
            if is_integer(a) && matches!(op, BinaryOp::Plus | BinaryOp::Minus) =>
        {
            Ok(Date32)
        }
        (Decimal128(p1, s1), Decimal128(p2, s2)) => Ok(decimal_result(*p1, *s1, op, *p2, *s2)),
        (Null, t) | (t, Null) if is_numeric(t) || *t == Null => {
            Ok(if *t == Null { Int64 } else { t.clone() })
        }
        (a, b) if is_numeric(a) && is_numeric(b) => {
            common_type(a, b).ok_or_else(|| mismatch(l, op, r))
        }
        _ => Err(mismatch(l, op, r)),
    }
}

fn mismatch(l: &DataType, op: BinaryOp, r: &DataType) -> PlanError {
    let (l, r) = (SqlType(l), SqlType(r));
    PlanError::type_mismatch(format!("cannot apply '{op}' to {l} and {r}"))
}

/// The decimal type of `DECIMAL(p1,s1) op DECIMAL(p2,s2)`.
pub fn decimal_result(p1: u8, s1: i8, op: BinaryOp, p2: u8, s2: i8) -> DataType {
    let (p1, s1, p2, s2) = (p1 as i32, s1 as i32, p2 as i32, s2 as i32);
    let (p, s) = match op {
        BinaryOp::Plus | BinaryOp::Minus => {
            let s = s1.max(s2);
            ((p1 - s1).max(p2 - s2) + s + 1, s)
        }
        BinaryOp::Multiply => (p1 + p2 + 1, s1 + s2),
        BinaryOp::Divide => {
            let s = 6.max(s1 + p2 + 1);
            (p1 - s1 + s2 + s, s)
        }
        BinaryOp::Modulo => {
            let s = s1.max(s2);
            ((p1 - s1).min(p2 - s2) + s, s)
        }
        _ => (p1.max(p2), s1.max(s2)),
    };
    let cap = MAX_DECIMAL_PRECISION as i32;
    if p > cap {
        // Keep the integer digits, give up fraction digits (never below 6).
        let s = (s - (p - cap)).max(s.min(6));
        DataType::Decimal128(cap as u8, s as i8)
    } else {
        DataType::Decimal128(p as u8, s as i8)
    }
}

/// The types the operands of `l op r` are cast to before evaluation.
pub fn coerce_binary_operands(
    l: &DataType,
    op: BinaryOp,
    r: &DataType,
) -> Result<(DataType, DataType)> {
    use DataType::*;
    if op.is_logical() {
        for t in [l, r] {
            if !matches!(t, Boolean | Null) {
                let (l, r) = (SqlType(l), SqlType(r));
                return Err(PlanError::type_mismatch(format!(
                    "'{op}' needs BOOLEAN operands, got {l} and {r}"
                )));
            }
        }
        return Ok((Boolean, Boolean));
    }
    if op == BinaryOp::StringConcat {
        return Ok((Utf8, Utf8));
    }
    if op.is_comparison() {
        let t = common_type(l, r).ok_or_else(|| {
            let (l, r) = (SqlType(l), SqlType(r));
            PlanError::type_mismatch(format!("cannot compare {l} with {r} using '{op}'"))
        })?;
        return Ok((t.clone(), t));
    }
    match (l, r) {
        (Date32 | Timestamp(_, _), Interval(_)) | (Interval(_), Date32 | Timestamp(_, _)) => {
            Ok((l.clone(), r.clone()))
        }
        (Date32, Date32) => Ok((Date32, Date32)),
        // `timestamp - timestamp` is an interval; a date meeting a timestamp is one at
        // midnight.
        (Timestamp(u, tz), Timestamp(_, _) | Date32) | (Date32, Timestamp(u, tz))
            if op == BinaryOp::Minus =>
        {
            Ok((Timestamp(*u, tz.clone()), Timestamp(*u, tz.clone())))
        }
        (Date32, a) if is_integer(a) => Ok((Date32, Int64)),
        (a, Date32) if is_integer(a) => Ok((Int64, Date32)),
        (Decimal128(_, _), b) | (b, Decimal128(_, _))
            if is_integer(b) || matches!(b, Decimal128(_, _)) =>
        {
            let (p1, s1) = integer_as_decimal(l).ok_or_else(|| mismatch(l, op, r))?;
            let (p2, s2) = integer_as_decimal(r).ok_or_else(|| mismatch(l, op, r))?;
            Ok((Decimal128(p1, s1), Decimal128(p2, s2)))
        }
        (Null, t) | (t, Null) if is_numeric(t) => Ok((t.clone(), t.clone())),
        (a, b) if is_numeric(a) && is_numeric(b) => {
            let t = common_type(a, b).ok_or_else(|| mismatch(l, op, r))?;
            Ok((t.clone(), t))
        }
        _ => Err(mismatch(l, op, r)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::{Field, TimeUnit};
    use std::sync::Arc;

    #[test]
    fn types_have_sql_names() {
        let name = |t: DataType| sql_type_name(&t);
        assert_eq!(name(DataType::Int64), "BIGINT");
        assert_eq!(name(DataType::Int32), "INTEGER");
        assert_eq!(name(DataType::Float64), "DOUBLE");
        assert_eq!(name(DataType::Utf8), "VARCHAR");
        assert_eq!(name(DataType::Utf8View), "VARCHAR");
        assert_eq!(name(DataType::Decimal128(19, 0)), "DECIMAL(19,0)");
        assert_eq!(
            name(DataType::Timestamp(TimeUnit::Microsecond, None)),
            "TIMESTAMP"
        );
        assert_eq!(name(DataType::Date32), "DATE");
        assert_eq!(name(DataType::Boolean), "BOOLEAN");
        assert_eq!(
            name(DataType::List(Arc::new(Field::new(
                "item",
                DataType::Int64,
                true
            )))),
            "BIGINT[]"
        );
        assert_eq!(
            format!(
                "{} vs {}",
                SqlType(&DataType::Int64),
                SqlType(&DataType::Utf8)
            ),
            "BIGINT vs VARCHAR"
        );
    }

    #[test]
    fn assignment_rules_follow_postgres() {
        use DataType::*;
        assert!(assignable(&Float64, &Int32));
        assert!(assignable(&Int64, &Utf8));
        assert!(assignable(&Utf8, &Date32));
        assert!(assignable(&Null, &Boolean));
        assert!(!assignable(&Boolean, &Int32));
        assert!(!assignable(&Int32, &Boolean));
        assert!(!assignable(&Date32, &Int64));
    }

    #[test]
    fn decimal_rules() {
        assert_eq!(
            decimal_result(15, 2, BinaryOp::Multiply, 15, 2),
            DataType::Decimal128(31, 4)
        );
        assert_eq!(
            decimal_result(15, 2, BinaryOp::Minus, 15, 2),
            DataType::Decimal128(16, 2)
        );
        assert_eq!(
            common_type(&DataType::Int64, &DataType::Decimal128(15, 2)),
            Some(DataType::Decimal128(21, 2))
        );
    }
}
