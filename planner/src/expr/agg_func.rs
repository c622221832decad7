//! Aggregate functions: [`AggFunc`], its SQL names, the constant arguments some take
//! (string_agg's separator, percentile_cont's fraction) and its result types.

use arrow::datatypes::DataType;

use crate::error::{PlanError, Result};
use crate::types::{self, SqlType};

/// Aggregate functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggFunc {
    /// `count(x)` counts non-NULL values; with no argument it is `count(*)`.
    Count,
    /// `sum(x)`
    Sum,
    /// `avg(x)`
    Avg,
    /// `min(x)`
    Min,
    /// `max(x)`
    Max,
    /// The only value of its input; more than one row is an error 'scalar subquery
    /// returned more than one row', and no rows give NULL. Made by decorrelation for a
    /// scalar subquery not known to return one row; not callable from SQL.
    SingleValue,
    /// `stddev_samp(x)` (also `stddev`).
    StddevSamp,
    /// `stddev_pop(x)`
    StddevPop,
    /// `var_samp(x)` (also `variance`).
    VarSamp,
    /// `var_pop(x)`
    VarPop,
    /// `bool_and(x)`
    BoolAnd,
    /// `bool_or(x)`
    BoolOr,
    /// `string_agg(x, sep)`: the separator is a constant second argument; an
    /// `ORDER BY x` inside the call is a third argument, the constant 'ASC' or 'DESC'.
    StringAgg,
    /// `approx_count_distinct(x)` by HyperLogLog.
    ApproxCountDistinct,
    /// `median(x)`, i.e. `percentile_cont(0.5)`.
    Median,
    /// `percentile_cont(f) WITHIN GROUP (ORDER BY x)`: args are `x` then the constant `f`.
    PercentileCont,
}

impl AggFunc {
    /// Looks up an aggregate by SQL name.
    pub fn from_name(name: &str) -> Option<AggFunc> {
        Some(match name.to_ascii_lowercase().as_str() {
            "count" => AggFunc::Count,
            "sum" => AggFunc::Sum,
            "avg" | "mean" => AggFunc::Avg,
            "min" => AggFunc::Min,
            "max" => AggFunc::Max,
            "stddev" | "stddev_samp" => AggFunc::StddevSamp,
            "stddev_pop" => AggFunc::StddevPop,
            "variance" | "var_samp" => AggFunc::VarSamp,
            "var_pop" => AggFunc::VarPop,
            "bool_and" => AggFunc::BoolAnd,
            "bool_or" => AggFunc::BoolOr,
            "string_agg" => AggFunc::StringAgg,
            "approx_count_distinct" => AggFunc::ApproxCountDistinct,
            "median" => AggFunc::Median,
            "percentile_cont" => AggFunc::PercentileCont,
            _ => return None,
        })
    }

    /// The SQL name.
    pub fn name(self) -> &'static str {
        match self {
            AggFunc::Count => "count",
            AggFunc::Sum => "sum",
            AggFunc::Avg => "avg",
            AggFunc::Min => "min",
            AggFunc::Max => "max",
            AggFunc::SingleValue => "single_value",
            AggFunc::StddevSamp => "stddev_samp",
            AggFunc::StddevPop => "stddev_pop",
            AggFunc::VarSamp => "var_samp",
            AggFunc::VarPop => "var_pop",
            AggFunc::BoolAnd => "bool_and",
            AggFunc::BoolOr => "bool_or",
            AggFunc::StringAgg => "string_agg",
            AggFunc::ApproxCountDistinct => "approx_count_distinct",
            AggFunc::Median => "median",
            AggFunc::PercentileCont => "percentile_cont",
        }
    }

    /// How many constant arguments follow the aggregated value (separator, fraction).
    pub fn constant_args(self) -> std::ops::RangeInclusive<usize> {
        match self {
            AggFunc::StringAgg => 1..=2,
            AggFunc::PercentileCont => 1..=1,
            _ => 0..=0,
        }
    }

    /// True when the aggregate needs all rows of a group in one task (no partial state).
    pub fn needs_all_rows(self) -> bool {
        matches!(
            self,
            AggFunc::SingleValue | AggFunc::StringAgg | AggFunc::Median | AggFunc::PercentileCont
        )
    }

    /// The result type for an argument of type `arg` (`None` for `count(*)`).
    pub fn return_type(self, arg: Option<&DataType>) -> Result<DataType> {
        use DataType::*;
        let need = |what: &str| {
            PlanError::type_mismatch(format!("{}() needs {what} argument", self.name()))
        };
        match self {
            AggFunc::Count | AggFunc::ApproxCountDistinct => Ok(Int64),
            AggFunc::StddevSamp
            | AggFunc::StddevPop
            | AggFunc::VarSamp
            | AggFunc::VarPop
            | AggFunc::Median
            | AggFunc::PercentileCont => match arg.ok_or_else(|| need("one"))? {
                t if types::is_numeric(t) || *t == Null => Ok(Float64),
                t => Err(PlanError::type_mismatch(format!(
                    "{}() needs a numeric argument, got {}",
                    self.name(),
                    SqlType(t)
                ))),
            },
            AggFunc::BoolAnd | AggFunc::BoolOr => match arg.ok_or_else(|| need("one"))? {
                Boolean | Null => Ok(Boolean),
                t => Err(PlanError::type_mismatch(format!(
                    "{}() needs a BOOLEAN argument, got {}",
                    self.name(),
                    SqlType(t)
                ))),
            },
            AggFunc::StringAgg => match arg.ok_or_else(|| need("one"))? {
                t if types::is_string(t) || *t == Null => Ok(Utf8),
                t => Err(PlanError::type_mismatch(format!(
                    "string_agg() needs a string argument, got {}",
                    SqlType(t)
                ))),
            },
            AggFunc::Min | AggFunc::Max | AggFunc::SingleValue => {
                arg.cloned().ok_or_else(|| need("one"))
            }
            AggFunc::Sum => match arg.ok_or_else(|| need("one"))? {
                Decimal128(p, s) => Ok(Decimal128((*p + 10).min(types::MAX_DECIMAL_PRECISION), *s)),
                t if types::is_integer(t) => Ok(Int64),
                t if types::is_float(t) => Ok(Float64),
                Null => Ok(Int64),
                t => Err(PlanError::type_mismatch(format!(
                    "sum() needs a numeric argument, got {}",
                    SqlType(t)
                ))),
            },
            AggFunc::Avg => match arg.ok_or_else(|| need("one"))? {
                Decimal128(p, s) => Ok(Decimal128(
                    (*p + 4).min(types::MAX_DECIMAL_PRECISION),
                    (*s + 4).min(types::MAX_DECIMAL_PRECISION as i8),
                )),
                t if types::is_numeric(t) || *t == Null => Ok(Float64),
                t => Err(PlanError::type_mismatch(format!(
                    "avg() needs a numeric argument, got {}",
                    SqlType(t)
                ))),
            },
        }
    }
}
