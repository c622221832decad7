//! A whole query: WITH, the body (SELECT, UNION, VALUES, nested queries), ORDER BY,
//! LIMIT and OFFSET.
//!
//! In: a sqlparser `Query` and the CTEs of enclosing queries. Out: a logical plan.

use std::sync::Arc;

use sqlparser::ast::{
    self, LimitClause, OrderByExpr, OrderByKind, SetExpr, SetOperator, SetQuantifier,
};

use crate::error::{PlanError, Result};
use crate::expr::SortExpr;
use crate::logical::builder::field_column;
use crate::logical::set_ops::SetOperation;
use crate::logical::{LogicalPlan, LogicalPlanBuilder};
use crate::sql::errors::{loc, unsupported};
use crate::sql::expr::ExprScope;
use crate::sql::from::{Ctes, with_alias};
use crate::sql::order_by::{SortOrder, sort_order};
use crate::sql::select::ordinal;
use crate::sql::statement::SqlPlanner;

impl SqlPlanner<'_> {
    /// Plans a query with the CTEs of its enclosing queries in scope.
    pub(crate) fn plan_query(&self, q: &ast::Query, outer: &Ctes) -> Result<Arc<LogicalPlan>> {
        if let Some(f) = &q.fetch {
            return Err(PlanError::unsupported_at(
                format!(
                    "FETCH {}",
                    f.quantity
                        .as_ref()
                        .map(|e| e.to_string())
                        .unwrap_or_default()
                ),
                loc(q),
            ));
        }
        if !q.locks.is_empty() {
            return Err(PlanError::unsupported_at("FOR UPDATE/SHARE", loc(q)));
        }
        if q.for_clause.is_some() {
            return Err(PlanError::unsupported_at("FOR XML/JSON", loc(q)));
        }
        if q.settings.is_some() {
            return Err(PlanError::unsupported_at("SETTINGS", loc(q)));
        }
        if q.format_clause.is_some() {
            return Err(PlanError::unsupported_at("FORMAT", loc(q)));
        }
        if !q.pipe_operators.is_empty() {
            return Err(PlanError::unsupported_at("pipe operators", loc(q)));
        }
        let mut ctes = outer.clone();
        if let Some(with) = &q.with {
            for cte in &with.cte_tables {
                if cte.materialized.is_some() || cte.from.is_some() {
                    return Err(PlanError::unsupported_at(
                        format!("CTE options in '{cte}'"),
                        cte.alias.name.span,
                    ));
                }
                let recursive = if with.recursive {
                    self.plan_recursive_cte(cte, &ctes)?
                } else {
                    None
                };
                let plan = match recursive {
                    Some(p) => p,
                    None => LogicalPlanBuilder::from_arc(self.plan_query(&cte.query, &ctes)?),
                };
                let plan = with_alias(plan, Some(&cte.alias))?;
                ctes.insert(cte.alias.name.value.to_ascii_lowercase(), plan.build_arc());
            }
        }
        let order_by: &[OrderByExpr] = match &q.order_by {
            None => &[],
            Some(o) => {
                if o.interpolate.is_some() {
                    return Err(unsupported("ORDER BY ... INTERPOLATE", o));
                }
                match &o.kind {
                    OrderByKind::All(_) => return Err(unsupported("ORDER BY ALL", o)),
                    OrderByKind::Expressions(e) => e,
                }
            }
        };
        let mut plan = match q.body.as_ref() {
            SetExpr::Select(s) => self.plan_select(s, order_by, &ctes)?,
            body => {
                let plan = self.plan_set_expr(body, &ctes)?;
                self.order_output(plan, order_by)?
            }
        };
        if let Some(limit) = &q.limit_clause {
            let (skip, fetch) = match limit {
                LimitClause::LimitOffset {
                    limit,
                    offset,
                    limit_by,
                } => {
                    if let Some(e) = limit_by.first() {
                        return Err(unsupported("LIMIT BY", e));
                    }
                    let skip = match offset {
                        Some(o) => count(&o.value, "OFFSET")?,
                        None => 0,
                    };
                    let fetch = limit.as_ref().map(|l| count(l, "LIMIT")).transpose()?;
                    (skip, fetch)
                }
                LimitClause::OffsetCommaLimit { offset, limit } => {
                    (count(offset, "OFFSET")?, Some(count(limit, "LIMIT")?))
                }
            };
            plan = plan.limit(skip, fetch)?;
        }
        Ok(plan.build_arc())
    }

    pub(crate) fn plan_set_expr(&self, body: &SetExpr, ctes: &Ctes) -> Result<LogicalPlanBuilder> {
        match body {
            SetExpr::Select(s) => self.plan_select(s, &[], ctes),
            SetExpr::Query(q) => Ok(LogicalPlanBuilder::from_arc(self.plan_query(q, ctes)?)),
            SetExpr::SetOperation {
                left,
                op,
                set_quantifier,
                right,
            } => {
                let all = match set_quantifier {
                    SetQuantifier::All => true,
                    SetQuantifier::Distinct | SetQuantifier::None => false,
                    other => return Err(unsupported(format!("{op} {other}"), body)),
                };
                let l = self.plan_set_expr(left, ctes)?;
                let r = self.plan_set_expr(right, ctes)?;
                let at = loc(body);
                let (ln, rn) = (l.schema().len(), r.schema().len());
                if ln != rn {
                    return Err(PlanError::plan_at(
                        format!(
                            "each {op} query must have the same number of columns, got {ln} and {rn}"
                        ),
                        at,
                    ));
                }
                let r = r.build_arc();
                match op {
                    SetOperator::Union => {
                        let u = l.union(r).map_err(|e| e.with_location(at))?;
                        if all { Ok(u) } else { u.distinct() }
                    }
                    SetOperator::Intersect | SetOperator::Except => {
                        let kind = if *op == SetOperator::Intersect {
                            SetOperation::Intersect
                        } else {
                            SetOperation::Except
                        };
                        l.set_operation(r, kind, all)
                            .map_err(|e| e.with_location(at))
                    }
                    other => Err(unsupported(format!("{other}"), body)),
                }
            }
            SetExpr::Values(v) => {
                if v.explicit_row {
                    return Err(unsupported("VALUES ROW(...)", body));
                }
                let empty = Default::default();
                let scope = ExprScope {
                    schema: &empty,
                    using: &[],
                    star: None,
                    aliases: &[],
                };
                let rows = v
                    .rows
                    .iter()
                    .map(|r| {
                        r.content
                            .iter()
                            .map(|e| self.sql_to_expr(e, &scope))
                            .collect::<Result<Vec<_>>>()
                    })
                    .collect::<Result<Vec<_>>>()?;
                LogicalPlanBuilder::values(rows).map_err(|e| e.with_location(loc(body)))
            }
            other => Err(unsupported(
                format!("'{}' as a query", first_word(&other.to_string())),
                other,
            )),
        }
    }

    /// ORDER BY over a set operation's output columns (by ordinal, name or expression).
    fn order_output(
        &self,
        plan: LogicalPlanBuilder,
        order_by: &[OrderByExpr],
    ) -> Result<LogicalPlanBuilder> {
        if order_by.is_empty() {
            return Ok(plan);
        }
        let schema = plan.schema();
        let scope = ExprScope {
            schema: &schema,
            using: &[],
            star: None,
            aliases: &[],
        };
        let mut keys = Vec::new();
        for o in order_by {
            if o.with_fill.is_some() {
                return Err(unsupported("ORDER BY ... WITH FILL", &o.expr));
            }
            let SortOrder { asc, nulls_first } = sort_order(o)?;
            let expr = match ordinal(&o.expr, schema.len(), "ORDER BY")? {
                Some(i) => field_column(schema.field(i)),
                None => self.sql_to_expr(&o.expr, &scope)?,
            };
            keys.push(SortExpr {
                expr,
                asc,
                nulls_first,
            });
        }
        plan.sort(keys)
    }
}

fn first_word(s: &str) -> String {
    s.split_whitespace().next().unwrap_or("").to_string()
}

/// A non-negative integer literal for LIMIT / OFFSET.
fn count(e: &ast::Expr, clause: &str) -> Result<usize> {
    if let ast::Expr::Value(v) = e
        && let ast::Value::Number(text, _) = &v.value
        && let Ok(n) = text.parse::<usize>()
    {
        return Ok(n);
    }
    Err(PlanError::unsupported_at(
        format!("{clause} {e} (only a non-negative integer literal)"),
        loc(e),
    ))
}
