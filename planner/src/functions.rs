//! The scalar function registry: every function's name, signature and return type.
//!
//! The runtime (`src/expr/functions.rs`) implements each name listed here; a test
//! there checks that the two lists agree.

use arrow::datatypes::DataType;

use crate::error::{PlanError, Result};
use crate::types;

/// One registered scalar function.
#[derive(Debug, Clone, Copy)]
pub struct FunctionSpec {
    /// Lower-case SQL name.
    pub name: &'static str,
    /// Human-readable signature.
    pub signature: &'static str,
    /// A short description.
    pub description: &'static str,
}

/// Every scalar function Ember knows.
pub const FUNCTIONS: &[FunctionSpec] = &[
    FunctionSpec {
        name: "substring",
        signature: "substring(s VARCHAR, start BIGINT [, length BIGINT]) -> VARCHAR",
        description: "characters of s from 1-based start, at most length of them",
    },
    FunctionSpec {
        name: "upper",
        signature: "upper(s VARCHAR) -> VARCHAR",
        description: "s in upper case",
    },
    FunctionSpec {
        name: "lower",
        signature: "lower(s VARCHAR) -> VARCHAR",
        description: "s in lower case",
    },
    FunctionSpec {
        name: "length",
        signature: "length(s VARCHAR) -> BIGINT",
        description: "number of characters in s",
    },
    FunctionSpec {
        name: "trim",
        signature: "trim(s VARCHAR) -> VARCHAR",
        description: "s without leading and trailing spaces",
    },
    FunctionSpec {
        name: "concat",
        signature: "concat(a VARCHAR, ...) -> VARCHAR",
        description: "the arguments joined, NULLs skipped",
    },
    FunctionSpec {
        name: "abs",
        signature: "abs(x NUMERIC) -> NUMERIC",
        description: "absolute value",
    },
    FunctionSpec {
        name: "round",
        signature: "round(x NUMERIC [, digits BIGINT]) -> NUMERIC",
        description: "x rounded half away from zero",
    },
    FunctionSpec {
        name: "coalesce",
        signature: "coalesce(a, b, ...) -> common type",
        description: "the first non-NULL argument",
    },
    FunctionSpec {
        name: "nullif",
        signature: "nullif(a, b) -> type of a",
        description: "NULL when a = b, else a",
    },
    FunctionSpec {
        name: "date_part",
        signature: "date_part(part VARCHAR, d DATE) -> BIGINT",
        description: "a field of a date: year, quarter, month, day, dow, doy, week; also EXTRACT(part FROM d)",
    },
];

/// True when `name` is a registered scalar function.
pub fn is_scalar_function(name: &str) -> bool {
    FUNCTIONS.iter().any(|f| f.name == name)
}

/// The return type of `name(args)`, or a type error naming the function.
pub fn return_type(name: &str, args: &[DataType]) -> Result<DataType> {
    let arity = |lo: usize, hi: usize| -> Result<()> {
        if args.len() < lo || args.len() > hi {
            let want = if lo == hi {
                format!("{lo}")
            } else {
                format!("{lo} to {hi}")
            };
            Err(PlanError::type_mismatch(format!(
                "{name}() takes {want} arguments, got {}",
                args.len()
            )))
        } else {
            Ok(())
        }
    };
    let string_arg = |i: usize| -> Result<()> {
        match &args[i] {
            t if types::is_string(t) || *t == DataType::Null => Ok(()),
            t => Err(PlanError::type_mismatch(format!(
                "{name}() needs a string argument, got {t}"
            ))),
        }
    };
    let numeric_arg = |i: usize| -> Result<()> {
        match &args[i] {
            t if types::is_numeric(t) || *t == DataType::Null => Ok(()),
            t => Err(PlanError::type_mismatch(format!(
                "{name}() needs a numeric argument, got {t}"
            ))),
        }
    };
    match name {
        "substring" => {
            arity(2, 3)?;
            string_arg(0)?;
            Ok(DataType::Utf8)
        }
        "upper" | "lower" | "trim" => {
            arity(1, 1)?;
            string_arg(0)?;
            Ok(DataType::Utf8)
        }
        "length" => {
            arity(1, 1)?;
            string_arg(0)?;
            Ok(DataType::Int64)
        }
        "concat" => Ok(DataType::Utf8),
        "abs" => {
            arity(1, 1)?;
            numeric_arg(0)?;
            Ok(args[0].clone())
        }
        "round" => {
            arity(1, 2)?;
            numeric_arg(0)?;
            Ok(match &args[0] {
                t if types::is_integer(t) => DataType::Int64,
                DataType::Decimal128(p, s) => DataType::Decimal128(*p, *s),
                _ => DataType::Float64,
            })
        }
        "coalesce" => {
            if args.is_empty() {
                return Err(PlanError::type_mismatch(
                    "coalesce() needs at least one argument",
                ));
            }
            args.iter().skip(1).try_fold(args[0].clone(), |acc, t| {
                types::common_type(&acc, t).ok_or_else(|| {
                    PlanError::type_mismatch(format!(
                        "coalesce() arguments have types {acc} and {t}"
                    ))
                })
            })
        }
        "nullif" => {
            arity(2, 2)?;
            Ok(args[0].clone())
        }
        "date_part" => {
            arity(2, 2)?;
            string_arg(0)?;
            match &args[1] {
                DataType::Date32 | DataType::Timestamp(_, _) | DataType::Null => {
                    Ok(DataType::Int64)
                }
                t => Err(PlanError::type_mismatch(format!(
                    "date_part() needs a DATE, got {t}"
                ))),
            }
        }
        _ => Err(PlanError::not_found(
            "function",
            name,
            FUNCTIONS.iter().map(|f| f.name),
            Default::default(),
        )),
    }
}
