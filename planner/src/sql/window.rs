//! Window functions in SQL: `f(args) OVER (PARTITION BY .. ORDER BY .. frame)`, or over
//! a window named in the WINDOW clause, to a [`WindowCall`]; and the Window nodes a
//! SELECT block needs.
//!
//! In: a sqlparser `Function` with OVER, or a select list holding window calls. Out:
//! [`Expr::Window`], or a plan with one Window node per distinct (PARTITION BY,
//! ORDER BY) and the calls replaced by the columns those nodes add.

use sqlparser::ast::{
    self, FunctionArg, FunctionArgExpr, FunctionArguments, NamedWindowExpr, WindowSpec, WindowType,
};

use crate::error::{Location, PlanError, Result};
use crate::expr::{
    AggFunc, Column, Expr, FrameBound, FrameUnits, SortExpr, WindowCall, WindowFrame, WindowFunc,
};
use crate::logical::LogicalPlanBuilder;
use crate::scalar::ScalarValue;
use crate::sql::errors::loc;
use crate::sql::expr::ExprScope;
use crate::sql::order_by::{SortOrder, sort_order};
use crate::sql::statement::SqlPlanner;
use crate::transformed::Transformed;
use crate::types;

impl SqlPlanner<'_> {
    /// Plans a call with OVER.
    pub(crate) fn window_function(
        &self,
        f: &ast::Function,
        name: &str,
        scope: &ExprScope,
        at: Location,
    ) -> Result<Expr> {
        let Some(func) = WindowFunc::from_name(name) else {
            return Err(PlanError::plan_at(
                format!("{name}() is not a window function and cannot be used with OVER"),
                at,
            ));
        };
        let spec = match &f.over {
            Some(over) => self.resolve_window(over, at, 0)?,
            None => return Err(PlanError::internal("window function without OVER")),
        };
        let spec = &spec;
        if f.filter.is_some() || f.null_treatment.is_some() || !f.within_group.is_empty() {
            return Err(PlanError::unsupported_at(
                format!("FILTER, IGNORE NULLS or WITHIN GROUP on window function {name}()"),
                at,
            ));
        }
        let raw: Vec<&FunctionArg> = match &f.args {
            FunctionArguments::None => vec![],
            FunctionArguments::List(list) => {
                if list.duplicate_treatment == Some(ast::DuplicateTreatment::Distinct) {
                    return Err(PlanError::unsupported_at(
                        format!("DISTINCT in window function {name}()"),
                        at,
                    ));
                }
                if let Some(c) = list.clauses.first() {
                    return Err(PlanError::unsupported_at(format!("'{c}' in {name}()"), at));
                }
                list.args.iter().collect()
            }
            FunctionArguments::Subquery(_) => {
                return Err(PlanError::unsupported_at(
                    "subquery as function argument",
                    at,
                ));
            }
        };
        let mut args = Vec::new();
        for a in &raw {
            match a {
                FunctionArg::Unnamed(FunctionArgExpr::Wildcard)
                    if func == WindowFunc::Aggregate(AggFunc::Count) && raw.len() == 1 => {}
                FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) => {
                    let e = self.sql_to_expr(x, scope)?;
                    if e.contains_window() {
                        return Err(PlanError::plan_at(
                            "window function calls cannot be nested",
                            loc(x),
                        ));
                    }
                    args.push((e, loc(x)));
                }
                other => {
                    return Err(PlanError::unsupported_at(
                        format!("argument '{other}' of {name}()"),
                        at,
                    ));
                }
            }
        }
        check_arguments(func, name, &args, at)?;
        let args: Vec<Expr> = args.into_iter().map(|(e, _)| e).collect();

        let mut partition_by = Vec::new();
        for p in &spec.partition_by {
            let e = self.sql_to_expr(p, scope)?;
            if e.contains_window() {
                return Err(PlanError::plan_at(
                    "window function calls cannot be nested",
                    loc(p),
                ));
            }
            partition_by.push(e);
        }
        let mut order_by = Vec::new();
        for o in &spec.order_by {
            let SortOrder { asc, nulls_first } = sort_order(o)?;
            let expr = self.sql_to_expr(&o.expr, scope)?;
            if expr.contains_window() {
                return Err(PlanError::plan_at(
                    "window function calls cannot be nested",
                    loc(&o.expr),
                ));
            }
            order_by.push(SortExpr {
                expr,
                asc,
                nulls_first,
            });
        }
        let frame = match &spec.window_frame {
            None => WindowFrame::default_for(!order_by.is_empty()),
            Some(fr) => self.frame(fr, &order_by, scope, at)?,
        };
        let call = WindowCall {
            func,
            args,
            partition_by,
            order_by,
            frame,
        };
        call.data_type(scope.schema)
            .map_err(|e| e.with_location(at))?;
        Ok(Expr::Window(Box::new(call)))
    }

    /// The window an OVER clause means, with names from the WINDOW clause resolved
    /// (`OVER w`, or `OVER (w ORDER BY ..)` adding to `w` as SQL allows).
    fn resolve_window(&self, over: &WindowType, at: Location, depth: usize) -> Result<WindowSpec> {
        if depth > 32 {
            return Err(PlanError::plan_at(
                "named windows refer to each other in a cycle",
                at,
            ));
        }
        let (name, own) = match over {
            WindowType::NamedWindow(id) => (id, None),
            WindowType::WindowSpec(spec) => match &spec.window_name {
                None => return Ok(spec.clone()),
                Some(id) => (id, Some(spec)),
            },
        };
        let defs = self
            .named_windows
            .borrow()
            .last()
            .cloned()
            .unwrap_or_default();
        let Some(def) = defs
            .iter()
            .find(|d| d.0.value.eq_ignore_ascii_case(&name.value))
        else {
            let names: Vec<&str> = defs.iter().map(|d| d.0.value.as_str()).collect();
            return Err(PlanError::not_found("window", &name.value, names, at));
        };
        let base = match &def.1 {
            NamedWindowExpr::NamedWindow(id) => {
                self.resolve_window(&WindowType::NamedWindow(id.clone()), at, depth + 1)?
            }
            NamedWindowExpr::WindowSpec(s) => {
                self.resolve_window(&WindowType::WindowSpec(s.clone()), at, depth + 1)?
            }
        };
        let Some(own) = own else {
            return Ok(base);
        };
        let refuse = |what: &str| {
            Err(PlanError::plan_at(
                format!("cannot {what} of window '{}'", name.value),
                at,
            ))
        };
        if !own.partition_by.is_empty() {
            return refuse("override the PARTITION BY");
        }
        if !own.order_by.is_empty() && !base.order_by.is_empty() {
            return refuse("override the ORDER BY");
        }
        if base.window_frame.is_some() {
            return refuse("copy the frame");
        }
        Ok(WindowSpec {
            window_name: None,
            partition_by: base.partition_by,
            order_by: if own.order_by.is_empty() {
                base.order_by
            } else {
                own.order_by.clone()
            },
            window_frame: own.window_frame.clone(),
        })
    }

    fn frame(
        &self,
        fr: &ast::WindowFrame,
        order_by: &[SortExpr],
        scope: &ExprScope,
        at: Location,
    ) -> Result<WindowFrame> {
        let units = match fr.units {
            ast::WindowFrameUnits::Rows => FrameUnits::Rows,
            ast::WindowFrameUnits::Range => FrameUnits::Range,
            ast::WindowFrameUnits::Groups => {
                return Err(PlanError::unsupported_at("GROUPS frames", at));
            }
        };
        let bound = |b: &ast::WindowFrameBound| -> Result<FrameBound> {
            let offset = |e: &ast::Expr| -> Result<ScalarValue> {
                let v = match self.sql_to_expr(e, scope)? {
                    Expr::Literal(v) => v,
                    _ => {
                        return Err(PlanError::plan_at(
                            format!("frame offset '{e}' must be a constant"),
                            loc(e),
                        ));
                    }
                };
                let ok = match (&v, units) {
                    (ScalarValue::Int64(Some(n)), _) => *n >= 0,
                    (ScalarValue::Float64(Some(x)), FrameUnits::Range) => *x >= 0.0,
                    (ScalarValue::Decimal128(Some(x), _, _), FrameUnits::Range) => *x >= 0,
                    _ => false,
                };
                if !ok {
                    let what = match units {
                        FrameUnits::Rows => "ROWS frame offset must be a non-negative integer",
                        FrameUnits::Range => "RANGE frame offset must be a non-negative number",
                    };
                    return Err(PlanError::plan_at(format!("{what}, got {e}"), loc(e)));
                }
                Ok(v)
            };
            Ok(match b {
                ast::WindowFrameBound::CurrentRow => FrameBound::CurrentRow,
                ast::WindowFrameBound::Preceding(None) => FrameBound::UnboundedPreceding,
                ast::WindowFrameBound::Following(None) => FrameBound::UnboundedFollowing,
                ast::WindowFrameBound::Preceding(Some(e)) => FrameBound::Preceding(offset(e)?),
                ast::WindowFrameBound::Following(Some(e)) => FrameBound::Following(offset(e)?),
            })
        };
        let frame = WindowFrame {
            units,
            start: bound(&fr.start_bound)?,
            end: match &fr.end_bound {
                Some(b) => bound(b)?,
                None => FrameBound::CurrentRow,
            },
        };
        frame.check().map_err(|e| e.with_location(at))?;
        let has_offset = frame.start.offset().is_some() || frame.end.offset().is_some();
        if units == FrameUnits::Range && has_offset {
            let [key] = order_by else {
                return Err(PlanError::plan_at(
                    "RANGE with an offset needs exactly one ORDER BY column",
                    at,
                ));
            };
            let t = key.expr.data_type(scope.schema)?;
            if !(types::is_numeric(&t) || t == arrow::datatypes::DataType::Date32) {
                return Err(PlanError::plan_at(
                    format!(
                        "RANGE with an offset needs a numeric or date ORDER BY column, got {}",
                        types::SqlType(&t)
                    ),
                    at,
                ));
            }
            let integral =
                |v: Option<&ScalarValue>| v.is_none_or(|v| matches!(v, ScalarValue::Int64(_)));
            if t == arrow::datatypes::DataType::Date32
                && !(integral(frame.start.offset()) && integral(frame.end.offset()))
            {
                return Err(PlanError::plan_at(
                    "RANGE offsets over a date are whole days (an integer)",
                    at,
                ));
            }
        }
        Ok(frame)
    }

    /// Adds one Window node per distinct window (PARTITION BY, ORDER BY) that `exprs`
    /// use, and returns `exprs` with each window call replaced by its column.
    pub(crate) fn plan_windows(
        &self,
        mut plan: LogicalPlanBuilder,
        exprs: Vec<Expr>,
        at: Location,
    ) -> Result<(LogicalPlanBuilder, Vec<Expr>)> {
        let mut calls: Vec<Expr> = Vec::new();
        for e in &exprs {
            e.visit(&mut |x| {
                if matches!(x, Expr::Window(_)) && !calls.contains(x) {
                    calls.push(x.clone());
                }
            });
        }
        if calls.is_empty() {
            return Ok((plan, exprs));
        }
        let mut groups: Vec<Vec<Expr>> = Vec::new();
        for c in &calls {
            let Expr::Window(w) = c else { continue };
            let slot = groups.iter_mut().find(|g| match g.first() {
                Some(Expr::Window(first)) => first.same_window(w),
                _ => false,
            });
            match slot {
                Some(g) => g.push(c.clone()),
                None => groups.push(vec![c.clone()]),
            }
        }
        for g in groups {
            let aliased = g.iter().map(|c| c.clone().alias(c.to_string())).collect();
            plan = plan.window(aliased).map_err(|e| e.with_location(at))?;
        }
        let exprs = exprs
            .into_iter()
            .map(|e| {
                Ok(e.transform_down(&mut |x| {
                    if matches!(x, Expr::Window(_)) {
                        let c = Expr::Column(Column::new(x.to_string()));
                        return Ok(Transformed::yes(c).jump());
                    }
                    Ok(Transformed::no(x))
                })?
                .data)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((plan, exprs))
    }
}

/// Argument counts and constant parameters of each window function.
fn check_arguments(
    func: WindowFunc,
    name: &str,
    args: &[(Expr, Location)],
    at: Location,
) -> Result<()> {
    let count = |lo: usize, hi: usize| -> Result<()> {
        if args.len() < lo || args.len() > hi {
            let want = if lo == hi {
                format!("{lo}")
            } else {
                format!("{lo} to {hi}")
            };
            return Err(PlanError::TypeMismatch {
                message: format!("{name}() takes {want} arguments, got {}", args.len()),
                location: at,
            });
        }
        Ok(())
    };
    let positive = |i: usize, what: &str| -> Result<()> {
        match args.get(i) {
            Some((Expr::Literal(ScalarValue::Int64(Some(n))), _)) if *n > 0 => Ok(()),
            Some((e, l)) => Err(PlanError::plan_at(
                format!("{what} of {name}() must be a positive integer constant, got {e}"),
                *l,
            )),
            None => Ok(()),
        }
    };
    match func {
        WindowFunc::Aggregate(AggFunc::Count) => count(0, 1),
        WindowFunc::Aggregate(_) => count(1, 1),
        WindowFunc::RowNumber
        | WindowFunc::Rank
        | WindowFunc::DenseRank
        | WindowFunc::PercentRank
        | WindowFunc::CumeDist => count(0, 0),
        WindowFunc::Ntile => {
            count(1, 1)?;
            positive(0, "the bucket count")
        }
        WindowFunc::FirstValue | WindowFunc::LastValue => count(1, 1),
        WindowFunc::NthValue => {
            count(2, 2)?;
            positive(1, "n")
        }
        WindowFunc::Lag | WindowFunc::Lead => {
            count(1, 3)?;
            match args.get(1) {
                None | Some((Expr::Literal(ScalarValue::Int64(Some(_))), _)) => Ok(()),
                Some((e, l)) => Err(PlanError::plan_at(
                    format!("the offset of {name}() must be an integer constant, got {e}"),
                    *l,
                )),
            }
        }
    }
}
