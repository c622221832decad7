//! The one table of Ember's functions as Spark computes them: scalar functions,
//! aggregates and window functions, each either Spark's function of a (possibly
//! other) name with the same arguments, a rewrite into Spark's functions, or refused
//! with the reason (no Spark function gives the same answer). `docs/remote.md` shows
//! the same table; a test checks that every function Ember knows has a row here.
//!
//! In: a function's name, Ember's argument expressions (for constants) and their
//! translations. Out: a Spark Connect expression. May import `ember_planner::expr`,
//! `super::{builders, literal}` and `crate::connect::proto`.

use arrow::datatypes::DataType;
use ember_planner::ScalarValue;
use ember_planner::expr::{AggFunc, Expr, WindowFunc};
use ember_planner::types::MAX_DECIMAL_PRECISION as MAX_PRECISION;

use super::builders::{call, call_with, cast, int, string};
use super::literal::spark_type;
use super::untranslatable;
use crate::connect::proto::Expression;
use crate::error::{EmberError, Result};

/// How Spark computes one of Ember's functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SparkForm {
    /// Spark's function of this name, with the same arguments.
    Named(&'static str),
    /// Spark's functions combined as described.
    Rewritten(&'static str),
    /// Nothing in Spark gives the same answer: the reason.
    Refused(&'static str),
}

/// One row of the table: Ember's function and its Spark form.
#[derive(Debug, Clone, Copy)]
pub struct FunctionMapping {
    /// Ember's name (lower case).
    pub ember: &'static str,
    /// How Spark computes it.
    pub spark: SparkForm,
}

const fn named(ember: &'static str, spark: &'static str) -> FunctionMapping {
    FunctionMapping {
        ember,
        spark: SparkForm::Named(spark),
    }
}

const fn rewritten(ember: &'static str, how: &'static str) -> FunctionMapping {
    FunctionMapping {
        ember,
        spark: SparkForm::Rewritten(how),
    }
}

const fn refused(ember: &'static str, why: &'static str) -> FunctionMapping {
    FunctionMapping {
        ember,
        spark: SparkForm::Refused(why),
    }
}

/// Extra decimal digits an average of decimals is computed with before the rounding
/// cast to Ember's scale. Some servers cut the average at its scale, others round it;
/// with k extra digits the final rounding is Ember's for any group of fewer than
/// 10^k rows (a remainder m/c just under one half is at least 1/(2c) away from it).
const AVG_EXTRA_DIGITS: u8 = 10;

/// Scalar functions.
pub static SCALAR_FUNCTIONS: &[FunctionMapping] = &[
    rewritten(
        "substring",
        "substring(s, start, len), a start below 1 moved to 1 and the length shortened by as much (Spark would count a negative start from the end)",
    ),
    named("upper", "upper"),
    named("lower", "lower"),
    named("length", "char_length"),
    named("char_length", "char_length"),
    rewritten("trim", "trim(s); with characters btrim(s, chars)"),
    rewritten("ltrim", "ltrim(s); refused with characters"),
    rewritten("rtrim", "rtrim(s); refused with characters"),
    named("replace", "replace"),
    rewritten(
        "concat",
        "concat_ws('', ...), which skips NULLs as Ember's concat does",
    ),
    named("concat_ws", "concat_ws"),
    named("strpos", "instr"),
    named("left", "left"),
    named("right", "right"),
    named("lpad", "lpad"),
    named("rpad", "rpad"),
    named("split_part", "split_part"),
    named("starts_with", "startswith"),
    named("ends_with", "endswith"),
    rewritten("regexp_like", "regexp_like(s, pattern); refused with flags"),
    refused(
        "regexp_replace",
        "Ember replaces the first match (every match with flag 'g') and writes groups as \\1; Spark replaces every match and writes $1",
    ),
    named("reverse", "reverse"),
    named("chr", "chr"),
    named("abs", "abs"),
    rewritten(
        "round",
        "round(x, d); a DOUBLE to whole numbers bround(x), half to even as Ember",
    ),
    named("ceil", "ceil"),
    named("ceiling", "ceil"),
    named("floor", "floor"),
    named("sqrt", "sqrt"),
    named("power", "power"),
    named("pow", "power"),
    named("ln", "ln"),
    rewritten("log", "log10(x); log(b, x) as written"),
    named("log10", "log10"),
    named("exp", "exp"),
    rewritten("mod", "the % operator"),
    named("sign", "signum"),
    named("greatest", "greatest"),
    named("least", "least"),
    named("coalesce", "coalesce"),
    named("ifnull", "coalesce"),
    named("nullif", "nullif"),
    refused("typeof", "Spark names types its own way"),
    rewritten(
        "date_part",
        "year, quarter, month, day, hour, minute, week (weekofyear), doy (dayofyear), dow (dayofweek - 1); other fields refused",
    ),
    rewritten("date_trunc", "date_trunc(unit, x) cast back to x's type"),
    named("current_date", "current_date"),
    named("current_timestamp", "localtimestamp"),
    named("now", "localtimestamp"),
    named("make_date", "make_date"),
    refused("to_date", "Ember's format patterns are not Spark's"),
    refused("to_timestamp", "Ember's format patterns are not Spark's"),
    refused("to_char", "Ember's format patterns are not Spark's"),
    refused("strftime", "Ember's format patterns are not Spark's"),
];

/// Aggregates (also as window functions).
pub static AGGREGATE_FUNCTIONS: &[FunctionMapping] = &[
    rewritten("count", "count(x); count(*) as count(1)"),
    named("sum", "sum"),
    rewritten(
        "avg",
        "avg(x); of DECIMAL(p,s): avg(CAST(x AS DECIMAL(p+k,s+k))) cast to DECIMAL(p+4,s+4), k = min(10, 28 - p), so the last digit is rounded as Ember rounds it whether the server cuts or rounds",
    ),
    named("min", "min"),
    named("max", "max"),
    named("stddev_samp", "stddev_samp"),
    named("stddev_pop", "stddev_pop"),
    named("var_samp", "var_samp"),
    named("var_pop", "var_pop"),
    named("bool_and", "bool_and"),
    named("bool_or", "bool_or"),
    rewritten(
        "string_agg",
        "array_join(collect_list(x), sep), the list sorted (array_sort, reverse) for ORDER BY x",
    ),
    named("approx_count_distinct", "approx_count_distinct"),
    rewritten("median", "percentile(x, 0.5)"),
    rewritten("percentile_cont", "percentile(x, f)"),
    rewritten(
        "single_value",
        "a scalar subquery's value: max(x), or raise_error when the group has more than one row",
    ),
];

/// Window functions (aggregates as in [`AGGREGATE_FUNCTIONS`]).
pub static WINDOW_FUNCTIONS: &[FunctionMapping] = &[
    named("row_number", "row_number"),
    named("rank", "rank"),
    named("dense_rank", "dense_rank"),
    named("percent_rank", "percent_rank"),
    named("cume_dist", "cume_dist"),
    named("ntile", "ntile"),
    named("lag", "lag"),
    named("lead", "lead"),
    named("first_value", "first_value"),
    named("last_value", "last_value"),
    named("nth_value", "nth_value"),
];

fn mapping(table: &[FunctionMapping], name: &str) -> Option<SparkForm> {
    table.iter().find(|m| m.ember == name).map(|m| m.spark)
}

fn refusal(kind: &str, name: &str, why: &str) -> EmberError {
    untranslatable(format!(
        "the {kind} {name}() has no Spark equivalent: {why}"
    ))
}

fn constant(args: &[Expr], i: usize) -> Option<&ScalarValue> {
    match args.get(i) {
        Some(Expr::Literal(v)) => Some(v),
        Some(Expr::Cast { expr, .. }) => match expr.as_ref() {
            Expr::Literal(v) => Some(v),
            _ => None,
        },
        _ => None,
    }
}

fn constant_text(args: &[Expr], i: usize) -> Option<String> {
    match constant(args, i) {
        Some(ScalarValue::Utf8(Some(s))) => Some(s.to_ascii_lowercase()),
        _ => None,
    }
}

/// The Spark call for Ember's scalar function `name`; `result_type` is Ember's type
/// of the call (some rewrites cast back to it).
pub(super) fn scalar_call(
    name: &str,
    ember_args: &[Expr],
    mut args: Vec<Expression>,
    arg_types: &[DataType],
    result_type: &DataType,
) -> Result<Expression> {
    let Some(form) = mapping(SCALAR_FUNCTIONS, name) else {
        return Err(untranslatable(format!(
            "the function {name}() (not in the Spark translation table)"
        )));
    };
    let n = args.len();
    match form {
        SparkForm::Named(spark) => Ok(call(spark, args)),
        SparkForm::Refused(why) => Err(refusal("function", name, why)),
        SparkForm::Rewritten(_) => match (name, n) {
            ("substring", 2 | 3) => Ok(substring(ember_args, args)),
            ("round", 1 | 2) => {
                let whole = n == 1
                    || matches!(
                        constant(ember_args, 1),
                        Some(ScalarValue::Int32(Some(0)) | ScalarValue::Int64(Some(0)))
                    );
                if whole
                    && arg_types
                        .first()
                        .is_some_and(ember_planner::types::is_float)
                {
                    args.truncate(1);
                    Ok(call("bround", args))
                } else {
                    Ok(call("round", args))
                }
            }
            ("trim" | "ltrim" | "rtrim", 1) => Ok(call(name, args)),
            ("trim", 2) => Ok(call("btrim", args)),
            ("ltrim" | "rtrim", _) => Err(refusal(
                "function",
                name,
                "Spark's form with trim characters is not the same call",
            )),
            ("concat", _) => {
                let mut all = vec![string("")];
                all.extend(args);
                Ok(call("concat_ws", all))
            }
            ("regexp_like", 2) => Ok(call("regexp_like", args)),
            ("regexp_like", _) => Err(refusal(
                "function",
                name,
                "Ember's flags argument has no Spark form",
            )),
            ("log", 1) => Ok(call("log10", args)),
            ("log", _) => Ok(call("log", args)),
            ("mod", 2) => Ok(call("%", args)),
            ("date_part", 2) => date_part(ember_args, args),
            ("date_trunc", 2) => Ok(cast(call("date_trunc", args), &spark_type(result_type)?)),
            _ => Err(untranslatable(format!(
                "the function {name}() with {n} argument(s)"
            ))),
        },
    }
}

/// SQL's substring: a start below 1 counts the characters before the string against
/// the length; Spark counts a negative start from the end instead.
fn substring(ember_args: &[Expr], mut args: Vec<Expression>) -> Expression {
    let start_is_positive = matches!(
        constant(ember_args, 1),
        Some(ScalarValue::Int32(Some(1..)) | ScalarValue::Int64(Some(1..)))
    );
    if start_is_positive {
        return call("substring", args);
    }
    let start = args.remove(1);
    let before = call("<", vec![start.clone(), int(1)]);
    let mut spark_args = vec![
        args.remove(0),
        call("when", vec![before.clone(), int(1), start.clone()]),
    ];
    if let Some(len) = args.pop() {
        let shortened = call("-", vec![call("+", vec![len.clone(), start]), int(1)]);
        let len = call("when", vec![before, shortened, len]);
        spark_args.push(call(
            "when",
            vec![call("<", vec![len.clone(), int(0)]), int(0), len],
        ));
    }
    call("substring", spark_args)
}

fn date_part(ember_args: &[Expr], mut args: Vec<Expression>) -> Result<Expression> {
    let Some(field) = constant_text(ember_args, 0) else {
        return Err(untranslatable("date_part() whose field is not a constant"));
    };
    let value = args.remove(1);
    let spark = match field.as_str() {
        "year" | "years" => "year",
        "quarter" => "quarter",
        "month" | "months" => "month",
        "day" | "days" => "day",
        "hour" | "hours" => "hour",
        "minute" | "minutes" => "minute",
        "week" | "weeks" => "weekofyear",
        "doy" | "dayofyear" => "dayofyear",
        "dow" | "dayofweek" => {
            // Spark counts Sunday as 1; Ember (as PostgreSQL) as 0.
            return Ok(call("-", vec![call("dayofweek", vec![value]), int(1)]));
        }
        other => {
            return Err(untranslatable(format!(
                "date_part('{other}', ...) (no Spark function gives that field the same way)"
            )));
        }
    };
    Ok(call(spark, vec![value]))
}

/// The Spark call for an aggregate.
pub(super) fn aggregate_call(
    func: AggFunc,
    ember_args: &[Expr],
    mut args: Vec<Expression>,
    distinct: bool,
    arg_type: Option<&DataType>,
) -> Result<Expression> {
    let name = func.name();
    let Some(form) = mapping(AGGREGATE_FUNCTIONS, name) else {
        return Err(untranslatable(format!("the aggregate {name}()")));
    };
    match form {
        SparkForm::Named(spark) => Ok(call_with(spark, args, distinct)),
        SparkForm::Refused(why) => Err(refusal("aggregate", name, why)),
        SparkForm::Rewritten(_) => {
            if distinct && !matches!(func, AggFunc::Count | AggFunc::Avg) {
                return Err(untranslatable(format!("{name}(DISTINCT ...)")));
            }
            match func {
                AggFunc::Count if args.is_empty() => Ok(call("count", vec![int(1)])),
                AggFunc::Count => Ok(call_with("count", args, distinct)),
                AggFunc::Avg => match arg_type {
                    Some(DataType::Decimal128(p, s))
                        if args.len() == 1 && *p < MAX_PRECISION - 10 =>
                    {
                        let k = AVG_EXTRA_DIGITS.min(MAX_PRECISION - 10 - *p);
                        let wider = DataType::Decimal128(*p + k, *s + k as i8);
                        let result = func.return_type(arg_type)?;
                        let value = cast(args.remove(0), &spark_type(&wider)?);
                        Ok(cast(
                            call_with("avg", vec![value], distinct),
                            &spark_type(&result)?,
                        ))
                    }
                    _ => Ok(call_with("avg", args, distinct)),
                },
                AggFunc::Median if args.len() == 1 => {
                    args.push(super::literal::literal(&ScalarValue::Float64(Some(0.5)))?);
                    Ok(call("percentile", args))
                }
                AggFunc::PercentileCont if args.len() == 2 => Ok(call("percentile", args)),
                AggFunc::StringAgg => string_agg(ember_args, args),
                AggFunc::SingleValue if args.len() == 1 => {
                    let value = args.remove(0);
                    Ok(call(
                        "when",
                        vec![
                            call(">", vec![call("count", vec![int(1)]), int(1)]),
                            call(
                                "raise_error",
                                vec![string("scalar subquery returned more than one row")],
                            ),
                            call("max", vec![value]),
                        ],
                    ))
                }
                _ => Err(untranslatable(format!(
                    "the aggregate {name}() with {} argument(s)",
                    args.len()
                ))),
            }
        }
    }
}

fn string_agg(ember_args: &[Expr], mut args: Vec<Expression>) -> Result<Expression> {
    if args.len() < 2 {
        return Err(untranslatable("string_agg() without a separator"));
    }
    let order = constant_text(ember_args, 2);
    args.truncate(2);
    let separator = args.remove(1);
    let mut list = call("collect_list", args);
    match order.as_deref() {
        None => {}
        Some("asc") => list = call("array_sort", vec![list]),
        Some("desc") => list = call("reverse", vec![call("array_sort", vec![list])]),
        Some(other) => {
            return Err(untranslatable(format!("string_agg() ordered by '{other}'")));
        }
    }
    Ok(call("array_join", vec![list, separator]))
}

/// The Spark function of a window call (without its OVER clause).
pub(super) fn window_call(
    func: WindowFunc,
    ember_args: &[Expr],
    args: Vec<Expression>,
    arg_type: Option<&DataType>,
) -> Result<Expression> {
    if let WindowFunc::Aggregate(agg) = func {
        return aggregate_call(agg, ember_args, args, false, arg_type);
    }
    let name = func.name();
    match mapping(WINDOW_FUNCTIONS, name) {
        Some(SparkForm::Named(spark)) => Ok(call(spark, args)),
        Some(SparkForm::Refused(why)) => Err(refusal("window function", name, why)),
        _ => Err(untranslatable(format!("the window function {name}()"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_ember_knows_has_a_row() {
        for f in ember_planner::functions::FUNCTIONS
            .iter()
            .chain(ember_planner::functions::AGGREGATES)
        {
            let known = mapping(SCALAR_FUNCTIONS, f.name)
                .or_else(|| mapping(AGGREGATE_FUNCTIONS, f.name))
                .or_else(|| {
                    AggFunc::from_name(f.name).and_then(|a| mapping(AGGREGATE_FUNCTIONS, a.name()))
                });
            assert!(known.is_some(), "{} has no row in the Spark table", f.name);
        }
    }

    #[test]
    fn refused_functions_say_why() {
        let e = scalar_call("to_char", &[], vec![], &[], &DataType::Utf8).unwrap_err();
        assert!(
            e.to_string().contains("to_char() has no Spark equivalent"),
            "{e}"
        );
    }
}
