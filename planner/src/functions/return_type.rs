//! Return-type rules of the scalar functions: arity and argument types are checked
//! here, so a wrong call fails at planning with a message naming the function, its
//! signature and the offending argument's position.

use arrow::datatypes::{DataType, TimeUnit};

use super::spec_of;
use crate::error::{PlanError, Result};
use crate::scalar::ScalarValue;
use crate::types::{self, SqlType};

/// The timestamp type Ember uses (microseconds, no time zone).
pub const TIMESTAMP: DataType = DataType::Timestamp(TimeUnit::Microsecond, None);

/// The return type of `name(args)`, or a type error naming the function.
pub fn return_type(name: &str, args: &[DataType]) -> Result<DataType> {
    let check = Check { name, args };
    use DataType::*;
    match name {
        "substring" => {
            check.arity(2, 3)?;
            check.string(0)?;
            check.integers(1..args.len())?;
            Ok(Utf8)
        }
        "upper" | "lower" | "reverse" => {
            check.arity(1, 1)?;
            check.string(0)?;
            Ok(Utf8)
        }
        "trim" | "ltrim" | "rtrim" => {
            check.arity(1, 2)?;
            check.strings(0..args.len())?;
            Ok(Utf8)
        }
        "length" | "char_length" => {
            check.arity(1, 1)?;
            check.string(0)?;
            Ok(Int64)
        }
        "replace" => {
            check.arity(3, 3)?;
            check.strings(0..3)?;
            Ok(Utf8)
        }
        "concat" => Ok(Utf8),
        "concat_ws" => {
            check.arity(1, usize::MAX)?;
            check.string(0)?;
            Ok(Utf8)
        }
        "strpos" => {
            check.arity(2, 2)?;
            check.strings(0..2)?;
            Ok(Int64)
        }
        "left" | "right" => {
            check.arity(2, 2)?;
            check.string(0)?;
            check.integer(1)?;
            Ok(Utf8)
        }
        "lpad" | "rpad" => {
            check.arity(2, 3)?;
            check.string(0)?;
            check.integer(1)?;
            if args.len() == 3 {
                check.string(2)?;
            }
            Ok(Utf8)
        }
        "split_part" => {
            check.arity(3, 3)?;
            check.strings(0..2)?;
            check.integer(2)?;
            Ok(Utf8)
        }
        "starts_with" | "ends_with" => {
            check.arity(2, 2)?;
            check.strings(0..2)?;
            Ok(Boolean)
        }
        "regexp_like" => {
            check.arity(2, 3)?;
            check.strings(0..args.len())?;
            Ok(Boolean)
        }
        "regexp_replace" => {
            check.arity(3, 4)?;
            check.strings(0..args.len())?;
            Ok(Utf8)
        }
        "chr" => {
            check.arity(1, 1)?;
            check.integer(0)?;
            Ok(Utf8)
        }
        "typeof" => {
            check.arity(1, 1)?;
            Ok(Utf8)
        }
        "abs" => {
            check.arity(1, 1)?;
            check.numeric(0)?;
            Ok(match &args[0] {
                Null => Int64,
                t if types::is_float(t) => Float64,
                t => t.clone(),
            })
        }
        "round" | "sign" => {
            check.arity(1, if name == "round" { 2 } else { 1 })?;
            check.numeric(0)?;
            check.integers(1..args.len())?;
            Ok(match &args[0] {
                t if types::is_integer(t) || *t == Null => Int64,
                Decimal128(p, s) => Decimal128(*p, *s),
                _ => Float64,
            })
        }
        "ceil" | "ceiling" | "floor" => {
            check.arity(1, 1)?;
            check.numeric(0)?;
            Ok(match &args[0] {
                t if types::is_integer(t) || *t == Null => Int64,
                Decimal128(p, s) => Decimal128((*p - *s as u8 + 1).min(38), 0),
                _ => Float64,
            })
        }
        "sqrt" | "ln" | "log10" | "exp" => {
            check.arity(1, 1)?;
            check.numeric(0)?;
            Ok(Float64)
        }
        "log" => {
            check.arity(1, 2)?;
            check.numerics(0..args.len())?;
            Ok(Float64)
        }
        "power" | "pow" => {
            check.arity(2, 2)?;
            check.numerics(0..2)?;
            Ok(Float64)
        }
        "mod" => {
            check.arity(2, 2)?;
            check.numerics(0..2)?;
            let (l, r) =
                types::coerce_binary_operands(&args[0], crate::expr::BinaryOp::Modulo, &args[1])?;
            types::binary_result_type(&l, crate::expr::BinaryOp::Modulo, &r)
        }
        "coalesce" | "greatest" | "least" | "ifnull" => {
            if name == "ifnull" {
                check.arity(2, 2)?;
            } else {
                check.arity(1, usize::MAX)?;
            }
            args.iter().skip(1).try_fold(args[0].clone(), |acc, t| {
                types::common_type(&acc, t).ok_or_else(|| {
                    let (acc, t) = (SqlType(&acc), SqlType(t));
                    PlanError::type_mismatch(format!("{name}() arguments have types {acc} and {t}"))
                })
            })
        }
        "nullif" => {
            check.arity(2, 2)?;
            if types::common_type(&args[0], &args[1]).is_none() {
                return Err(PlanError::type_mismatch(format!(
                    "nullif() cannot compare {} with {}",
                    SqlType(&args[0]),
                    SqlType(&args[1])
                )));
            }
            Ok(args[0].clone())
        }
        "date_part" => {
            check.arity(2, 2)?;
            check.string(0)?;
            check.temporal(1)?;
            Ok(Int64)
        }
        "date_trunc" => {
            check.arity(2, 2)?;
            check.string(0)?;
            check.temporal(1)?;
            Ok(match &args[1] {
                Null => Date32,
                t => t.clone(),
            })
        }
        "current_date" => {
            check.arity(0, 0)?;
            Ok(Date32)
        }
        "current_timestamp" | "now" => {
            check.arity(0, 0)?;
            Ok(TIMESTAMP)
        }
        "make_date" => {
            check.arity(3, 3)?;
            check.integers(0..3)?;
            Ok(Date32)
        }
        "to_date" | "to_timestamp" => {
            check.arity(2, 2)?;
            check.strings(0..2)?;
            Ok(if name == "to_date" { Date32 } else { TIMESTAMP })
        }
        "to_char" | "strftime" => {
            check.arity(2, 2)?;
            check.temporal(0)?;
            check.string(1)?;
            Ok(Utf8)
        }
        _ => Err(PlanError::not_found(
            "function",
            name,
            super::all_names(),
            Default::default(),
        )),
    }
}

/// The return type of a call whose constant arguments are known (`constants[i]` is
/// argument `i` when it is a literal): `round(x, d)` of a DECIMAL with a constant `d`
/// has scale `d`, as in PostgreSQL (digits past the point are dropped or padded), and
/// `round(x)` scale 0; with `d` computed per row it keeps the type of `x`. Other
/// functions as [`return_type`].
pub fn call_return_type(
    name: &str,
    args: &[DataType],
    constants: &[Option<&ScalarValue>],
) -> Result<DataType> {
    let t = return_type(name, args)?;
    if name != "round" {
        return Ok(t);
    }
    let Some(DataType::Decimal128(p, s)) = args.first() else {
        return Ok(t);
    };
    // `round(x)` rounds to 0 digits.
    let digits = match constants.get(1) {
        None if args.len() == 1 => 0,
        Some(Some(ScalarValue::Int64(Some(d)))) => *d,
        Some(Some(ScalarValue::Int32(Some(d)))) => i64::from(*d),
        _ => return Ok(t),
    };
    Ok(round_decimal_type(*p, *s, digits))
}

/// The type of `round(DECIMAL(p, s), digits)`: scale `digits` (0 when negative), and
/// one more integer digit when rounding can carry (`round(9.96, 1)` is `10.0`), within
/// 38 digits.
fn round_decimal_type(p: u8, s: i8, digits: i64) -> DataType {
    let max = i64::from(types::MAX_DECIMAL_PRECISION);
    let (p, s) = (i64::from(p), i64::from(s));
    let int_digits = p - s;
    let (int_digits, scale) = if digits >= s {
        // Nothing is rounded away: the fraction is padded with zeros, up to what fits.
        (int_digits, digits.min(max - int_digits).max(s))
    } else {
        (int_digits + 1, digits.max(0))
    };
    let precision = (int_digits + scale).clamp(1, max);
    DataType::Decimal128(precision as u8, scale.min(precision) as i8)
}

/// Argument checks for one call; errors quote the signature.
struct Check<'a> {
    name: &'a str,
    args: &'a [DataType],
}

impl Check<'_> {
    fn signature(&self) -> String {
        spec_of(self.name)
            .map(|s| format!(" (expected {})", s.signature))
            .unwrap_or_default()
    }

    fn arity(&self, lo: usize, hi: usize) -> Result<()> {
        let n = self.args.len();
        if n >= lo && n <= hi {
            return Ok(());
        }
        let want = match (lo, hi) {
            (lo, hi) if lo == hi => format!("{lo} argument{}", if lo == 1 { "" } else { "s" }),
            (lo, usize::MAX) => format!("at least {lo} argument{}", if lo == 1 { "" } else { "s" }),
            (lo, hi) => format!("{lo} to {hi} arguments"),
        };
        Err(PlanError::type_mismatch(format!(
            "{}() takes {want}, got {n}{}",
            self.name,
            self.signature()
        )))
    }

    fn want(&self, i: usize, what: &str, ok: impl Fn(&DataType) -> bool) -> Result<()> {
        match self.args.get(i) {
            Some(t) if ok(t) || *t == DataType::Null => Ok(()),
            Some(t) => Err(PlanError::type_mismatch(format!(
                "{}() argument {} must be {what}, got {}{}",
                self.name,
                i + 1,
                SqlType(t),
                self.signature()
            ))),
            None => Ok(()),
        }
    }

    fn string(&self, i: usize) -> Result<()> {
        self.want(i, "a string", types::is_string)
    }
    fn strings(&self, r: std::ops::Range<usize>) -> Result<()> {
        r.into_iter().try_for_each(|i| self.string(i))
    }
    fn integer(&self, i: usize) -> Result<()> {
        self.want(i, "an integer", types::is_integer)
    }
    fn integers(&self, r: std::ops::Range<usize>) -> Result<()> {
        r.into_iter().try_for_each(|i| self.integer(i))
    }
    fn numeric(&self, i: usize) -> Result<()> {
        self.want(i, "numeric", types::is_numeric)
    }
    fn numerics(&self, r: std::ops::Range<usize>) -> Result<()> {
        r.into_iter().try_for_each(|i| self.numeric(i))
    }
    fn temporal(&self, i: usize) -> Result<()> {
        self.want(i, "a DATE or TIMESTAMP", |t| {
            matches!(t, DataType::Date32 | DataType::Timestamp(_, _))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_function_position_and_signature() {
        let err = return_type("left", &[DataType::Utf8, DataType::Utf8]).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("left() argument 2 must be an integer"),
            "{text}"
        );
        assert!(text.contains("left(s VARCHAR, n BIGINT)"), "{text}");
        let err = return_type("sqrt", &[]).unwrap_err().to_string();
        assert!(err.contains("sqrt() takes 1 argument, got 0"), "{err}");
        assert_eq!(
            return_type("ceil", &[DataType::Decimal128(15, 2)]).unwrap(),
            DataType::Decimal128(14, 0)
        );
        assert_eq!(
            return_type("greatest", &[DataType::Int32, DataType::Float64]).unwrap(),
            DataType::Float64
        );
    }

    #[test]
    fn round_of_a_decimal_takes_the_constant_digits_as_scale() {
        let round = |p, s, d: Option<i64>| {
            let digits = d.map(|d| ScalarValue::Int64(Some(d)));
            call_return_type(
                "round",
                &[DataType::Decimal128(p, s), DataType::Int64],
                &[None, digits.as_ref()],
            )
            .unwrap()
        };
        assert_eq!(round(38, 17, Some(2)), DataType::Decimal128(24, 2));
        assert_eq!(round(10, 2, Some(0)), DataType::Decimal128(9, 0));
        assert_eq!(round(10, 2, Some(-2)), DataType::Decimal128(9, 0));
        assert_eq!(round(4, 1, Some(3)), DataType::Decimal128(6, 3));
        assert_eq!(round(38, 0, Some(2)), DataType::Decimal128(38, 0));
        assert_eq!(round(38, 0, Some(-1)), DataType::Decimal128(38, 0));
        // Digits computed per row: the type of x.
        assert_eq!(round(10, 4, None), DataType::Decimal128(10, 4));
        let no_digits = call_return_type("round", &[DataType::Decimal128(3, 2)], &[None]);
        assert_eq!(no_digits.unwrap(), DataType::Decimal128(2, 0));
    }
}
