//! Aggregate calls in SQL: `agg([DISTINCT] x)`, `count(*)`, `FILTER (WHERE c)`,
//! `string_agg(x, sep [ORDER BY x])` and `percentile_cont(f) WITHIN GROUP (ORDER BY x)`.
//!
//! In: a sqlparser function call already known to name an aggregate. Out: an
//! [`Expr::Aggregate`] whose first argument is the aggregated value and whose further
//! arguments are constants (separator, order, fraction). `FILTER (WHERE c)` becomes
//! `CASE WHEN c THEN x END` as the argument: every aggregate skips NULLs, so the rows
//! failing `c` are not seen (`count(*)` counts the constant 1 instead).

use sqlparser::ast::{self, FunctionArg, FunctionArgExpr, OrderBySort};

use crate::error::{Location, PlanError, Result};
use crate::expr::{AggFunc, Expr};
use crate::scalar::ScalarValue;
use crate::sql::errors::loc;
use crate::sql::expr::ExprScope;
use crate::sql::statement::SqlPlanner;

impl SqlPlanner<'_> {
    /// Plans a call of the aggregate `func` (written as `name`).
    #[allow(clippy::too_many_arguments)] // the parts of one parsed call
    pub(crate) fn aggregate_call(
        &self,
        func: AggFunc,
        name: &str,
        f: &ast::Function,
        args: &[&FunctionArg],
        distinct: bool,
        clauses: &[ast::FunctionArgumentClause],
        scope: &ExprScope,
        at: Location,
    ) -> Result<Expr> {
        let mut exprs = Vec::new();
        let mut star = false;
        for a in args {
            match a {
                FunctionArg::Unnamed(FunctionArgExpr::Wildcard)
                    if func == AggFunc::Count && args.len() == 1 && !distinct =>
                {
                    star = true;
                }
                FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) => {
                    exprs.push(self.plain_argument(x, name, scope)?);
                }
                other => {
                    return Err(PlanError::unsupported_at(
                        format!("argument '{other}' of {name}()"),
                        at,
                    ));
                }
            }
        }
        let mut order: Option<&ast::OrderByExpr> = None;
        let mut filter = f
            .filter
            .as_deref()
            .map(|c| self.plain_argument(c, name, scope));
        for c in clauses {
            match c {
                ast::FunctionArgumentClause::OrderBy(keys) if func == AggFunc::StringAgg => {
                    match keys.as_slice() {
                        [k] => order = Some(k),
                        _ => {
                            return Err(PlanError::unsupported_at(
                                "string_agg() ordered by more than one key",
                                at,
                            ));
                        }
                    }
                }
                ast::FunctionArgumentClause::Where(c) if filter.is_none() => {
                    filter = Some(self.plain_argument(c, name, scope));
                }
                other => {
                    return Err(PlanError::unsupported_at(
                        format!("'{other}' in {name}()"),
                        at,
                    ));
                }
            }
        }
        let signature = crate::functions::spec_of(name)
            .map(|s| format!(" (expected {})", s.signature))
            .unwrap_or_default();
        let arity_error = |got: usize| PlanError::TypeMismatch {
            message: format!(
                "{name}() takes {} argument{}, got {got}{signature}",
                1 + *func.constant_args().start(),
                if *func.constant_args().start() == 0 {
                    ""
                } else {
                    "s"
                }
            ),
            location: at,
        };
        if func == AggFunc::PercentileCont {
            let [key] = f.within_group.as_slice() else {
                return Err(PlanError::plan_at(
                    format!("percentile_cont() needs WITHIN GROUP (ORDER BY x){signature}"),
                    at,
                ));
            };
            let [fraction] = exprs.as_slice() else {
                return Err(arity_error(exprs.len()));
            };
            let mut fraction = constant_fraction(fraction, at)?;
            if matches!(key.options.sort, Some(OrderBySort::Desc)) {
                fraction = 1.0 - fraction;
            }
            let value = self.plain_argument(&key.expr, name, scope)?;
            exprs = vec![value, Expr::Literal(ScalarValue::Float64(Some(fraction)))];
        } else if !f.within_group.is_empty() {
            return Err(PlanError::plan_at(
                format!("WITHIN GROUP is only for percentile_cont(), not {name}()"),
                at,
            ));
        }
        let constants = func.constant_args();
        let values = exprs.len().saturating_sub(*constants.start());
        if !star && (values != 1 || exprs.len() > 1 + *constants.end()) {
            return Err(arity_error(exprs.len()));
        }
        if func == AggFunc::StringAgg {
            match exprs.get(1) {
                Some(Expr::Literal(ScalarValue::Utf8(_) | ScalarValue::Null)) => {}
                _ => {
                    return Err(PlanError::plan_at(
                        format!("string_agg() separator must be a constant string{signature}"),
                        at,
                    ));
                }
            }
            if let Some(k) = order {
                let key = self.plain_argument(&k.expr, name, scope)?;
                if exprs.first() != Some(&key) {
                    return Err(PlanError::unsupported_at(
                        "string_agg() ordered by anything but its value",
                        loc(&k.expr),
                    ));
                }
                let dir = match k.options.sort {
                    Some(OrderBySort::Desc) => "DESC",
                    _ => "ASC",
                };
                exprs.push(Expr::Literal(ScalarValue::Utf8(Some(dir.into()))));
            }
        }
        if let Some(cond) = filter {
            let cond = cond?;
            let value = if star {
                star = false;
                Expr::Literal(ScalarValue::Int64(Some(1)))
            } else {
                exprs.remove(0)
            };
            exprs.insert(
                0,
                Expr::Case {
                    operand: None,
                    when_then: vec![(cond, value)],
                    else_expr: None,
                },
            );
        }
        let _ = star;
        Ok(Expr::Aggregate {
            func,
            args: exprs,
            distinct,
        })
    }

    /// An argument planned over the input: no aggregate or window call may be nested
    /// in it.
    fn plain_argument(&self, x: &ast::Expr, name: &str, scope: &ExprScope) -> Result<Expr> {
        let e = self.sql_to_expr(x, scope)?;
        if e.contains_aggregate() {
            return Err(PlanError::plan_at(
                format!("aggregate calls cannot be nested in {name}()"),
                loc(x),
            ));
        }
        if e.contains_window() {
            return Err(PlanError::plan_at(
                format!("window function calls are not allowed in {name}()"),
                loc(x),
            ));
        }
        Ok(e)
    }
}

/// The fraction of `percentile_cont(f)`: a numeric constant in [0, 1].
fn constant_fraction(e: &Expr, at: Location) -> Result<f64> {
    let v = match e {
        Expr::Literal(ScalarValue::Float64(Some(v))) => *v,
        Expr::Literal(ScalarValue::Int64(Some(v))) => *v as f64,
        Expr::Literal(ScalarValue::Int32(Some(v))) => *v as f64,
        Expr::Literal(ScalarValue::Decimal128(Some(v), _, s)) => *v as f64 / 10f64.powi(*s as i32),
        other => {
            return Err(PlanError::plan_at(
                format!("percentile_cont() fraction must be a numeric constant, got {other}"),
                at,
            ));
        }
    };
    if !(0.0..=1.0).contains(&v) {
        return Err(PlanError::plan_at(
            format!("percentile_cont() fraction {v} is not between 0 and 1"),
            at,
        ));
    }
    Ok(v)
}
