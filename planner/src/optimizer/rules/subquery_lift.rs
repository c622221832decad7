//! Subqueries correlated two or more levels out: before a subquery is joined to its
//! outer query, the outer values that its own nested subqueries read (skipping it) are
//! brought into it, so that every reference is one level out.
//!
//! At each Filter or Projection `N` of the subquery whose nested subqueries read outer
//! columns `c`, `N`'s input `X` becomes `X × D` filtered by `D.c = outer(c)` (NULL-safe
//! for nullable columns), where `D` is the distinct values of those columns of the outer
//! query; the nested references then read `D.c`, a column of `N`'s input, and the
//! binding predicate is an ordinary correlated equality that decorrelation pulls up:
//! ```text
//! outer: Scan t1
//! Filter: t2.x = outer(t1.a) AND EXISTS (<sub reading outer(t1.b)>)
//!   Scan: t2
//!                     ⇓
//! Filter: t2.x = outer(t1.a) AND EXISTS (<sub reading outer(__sq_1.b)>)
//!   Filter: __sq_1.b IS NULL = outer(t1.b) IS NULL AND coalesce(__sq_1.b, 0) = coalesce(outer(t1.b), 0)
//!     Cross Join:
//!       Scan: t2
//!       SubqueryAlias: __sq_1
//!         Distinct
//!           Projection: t1.b
//!             Scan: t1
//! ```
//! An equality `e = outer(c)` of `N` itself also gives `e = D.c`, which push-down turns
//! into a join key in place of the cross join.
//!
//! In: the outer plan and the subquery. Out: the subquery with no reference skipping a
//! level below its Filters and Projections.

use std::sync::Arc;

use crate::error::{PlanError, Result};
use crate::expr::{Column, Expr};
use crate::logical::builder::field_column;
use crate::logical::{LogicalPlan, LogicalPlanBuilder, Transformed};
use crate::optimizer::rules::subquery_domain::zero_of;
use crate::optimizer::rules::subquery_util::{
    AliasGen, alias_apart, correlation_key, uncorrelated_source,
};
use crate::schema::PlanSchemaRef;

/// `sub` (a subquery of `outer`) with the references of its nested subqueries to
/// `outer`'s columns made one level deep (see the module documentation).
pub(crate) fn lift_deep_references(
    outer: &Arc<LogicalPlan>,
    sub: Arc<LogicalPlan>,
    aliases: &mut AliasGen,
) -> Result<Arc<LogicalPlan>> {
    let outer_schema = outer.schema();
    let t = sub.transform_up(&mut |node| {
        let (input, exprs) = match node.as_ref() {
            LogicalPlan::Filter { input, predicate } => (input, vec![predicate.clone()]),
            LogicalPlan::Projection { input, exprs, .. } => (input, exprs.clone()),
            _ => return Ok(Transformed::no(node)),
        };
        let mut scopes = vec![outer_schema.clone(), input.schema()];
        let mut deep = Vec::new();
        for e in &exprs {
            for s in e.subqueries() {
                deep_refs(&s, &mut scopes, &mut deep);
            }
        }
        if deep.is_empty() {
            return Ok(Transformed::no(node));
        }
        lift(outer, &node, input, deep, aliases).map(Transformed::yes)
    })?;
    Ok(t.data)
}

/// Which scope `c` resolves in, innermost first (the binder's order).
fn level(c: &Column, scopes: &[PlanSchemaRef]) -> Option<usize> {
    scopes
        .iter()
        .rposition(|s| s.find(c.relation.as_deref(), &c.name).is_some())
}

/// The scope the subqueries in `node`'s expressions were planned over.
fn scope_of(node: &LogicalPlan) -> PlanSchemaRef {
    match node {
        LogicalPlan::Filter { input, .. }
        | LogicalPlan::Projection { input, .. }
        | LogicalPlan::Aggregate { input, .. }
        | LogicalPlan::Window { input, .. }
        | LogicalPlan::Expand { input, .. }
        | LogicalPlan::Sort { input, .. } => input.schema(),
        other => other.schema(),
    }
}

/// Adds to `out` the outer columns read anywhere in `plan` that resolve in `scopes[0]`
/// (and in no scope nearer).
fn deep_refs(plan: &LogicalPlan, scopes: &mut Vec<PlanSchemaRef>, out: &mut Vec<Column>) {
    for e in plan.expressions() {
        e.visit(&mut |x| {
            if let Expr::OuterColumn { column, .. } = x
                && level(column, scopes) == Some(0)
                && !out.contains(column)
            {
                out.push(column.clone());
            }
        });
        for s in e.subqueries() {
            scopes.push(scope_of(plan));
            deep_refs(&s, scopes, out);
            scopes.pop();
        }
    }
    for i in plan.inputs() {
        deep_refs(i, scopes, out);
    }
}

/// `node` (a Filter or Projection over `input`) over `input × D` with its nested
/// subqueries reading `D`'s columns in place of the `deep` outer columns.
fn lift(
    outer: &Arc<LogicalPlan>,
    node: &LogicalPlan,
    input: &Arc<LogicalPlan>,
    deep: Vec<Column>,
    aliases: &mut AliasGen,
) -> Result<Arc<LogicalPlan>> {
    let os = outer.schema();
    let fields = deep
        .iter()
        .map(|c| {
            Ok(os
                .field(os.index_of(c.relation.as_deref(), &c.name)?)
                .clone())
        })
        .collect::<Result<Vec<_>>>()?;
    let distinct = LogicalPlanBuilder::from_arc(uncorrelated_source(outer)?)
        .project(fields.iter().map(field_column).collect())?
        .distinct()?
        .build_arc();
    let (domain, dcols) = alias_apart(&input.schema(), distinct, aliases)?;
    let mut binding = Vec::new();
    for (f, d) in fields.iter().zip(&dcols) {
        let o = Expr::OuterColumn {
            column: Column {
                relation: f.qualifier.clone(),
                name: f.name.clone(),
            },
            data_type: f.data_type.clone(),
        };
        if f.nullable {
            let Some(zero) = zero_of(&f.data_type) else {
                return Err(PlanError::unsupported(format!(
                    "subquery correlated two levels out through {o} of type {}",
                    f.data_type
                )));
            };
            let coalesce = |e: Expr| Expr::Function {
                name: "coalesce".into(),
                args: vec![e, Expr::Literal(zero.clone())],
            };
            binding.push(d.clone().is_null().eq(o.clone().is_null()));
            binding.push(coalesce(d.clone()).eq(coalesce(o)));
        } else {
            binding.push(d.clone().eq(o));
        }
    }
    if let LogicalPlan::Filter { predicate, .. } = node {
        for p in predicate.clone().split_conjunction() {
            if let Some((Expr::OuterColumn { column, .. }, inner)) = correlation_key(&p)
                && !p.contains_subquery()
                && let Some(i) = deep.iter().position(|c| *c == column)
                && let Some(d) = dcols.get(i)
            {
                binding.push(inner.eq(d.clone()));
            }
        }
    }
    let mut new_input = LogicalPlanBuilder::from_arc(input.clone()).cross_join(domain)?;
    if let Some(p) = Expr::conjunction(binding) {
        new_input = new_input.filter(p)?;
    }
    let new_input = new_input.build_arc();
    let to_domain = |c: &Column| -> Option<Expr> {
        let i = deep.iter().position(|d| d == c)?;
        let Expr::Column(col) = dcols.get(i)? else {
            return None;
        };
        Some(Expr::OuterColumn {
            column: col.clone(),
            data_type: fields.get(i)?.data_type.clone(),
        })
    };
    let mut scopes = vec![os.clone(), input.schema()];
    let rewrite = |e: &Expr, scopes: &mut Vec<PlanSchemaRef>| rewrite_nested(e, scopes, &to_domain);
    Ok(match node {
        LogicalPlan::Filter { predicate, .. } => {
            let p = rewrite(predicate, &mut scopes)?;
            LogicalPlanBuilder::from_arc(new_input)
                .filter(p)?
                .build_arc()
        }
        LogicalPlan::Projection { exprs, .. } => {
            let exprs = exprs
                .iter()
                .map(|e| rewrite(e, &mut scopes))
                .collect::<Result<Vec<_>>>()?;
            LogicalPlanBuilder::from_arc(new_input)
                .project(exprs)?
                .build_arc()
        }
        other => Arc::new(other.clone()),
    })
}

/// `e` with the references resolving in `scopes[0]` inside its subqueries' plans
/// replaced by `to_domain` (its own outer references are one level out: kept).
fn rewrite_nested(
    e: &Expr,
    scopes: &mut Vec<PlanSchemaRef>,
    to_domain: &impl Fn(&Column) -> Option<Expr>,
) -> Result<Expr> {
    e.clone()
        .transform_down(&mut |x| {
            let rebuilt = match x {
                Expr::ScalarSubquery(p) => {
                    Expr::ScalarSubquery(rewrite_plan(&p, scopes, to_domain)?)
                }
                Expr::Exists { subquery, negated } => Expr::Exists {
                    subquery: rewrite_plan(&subquery, scopes, to_domain)?,
                    negated,
                },
                Expr::InSubquery {
                    expr,
                    subquery,
                    negated,
                } => Expr::InSubquery {
                    expr,
                    subquery: rewrite_plan(&subquery, scopes, to_domain)?,
                    negated,
                },
                other => return Ok(Transformed::no(other)),
            };
            // An IN's tested value is in this scope; its subquery was handled above.
            Ok(Transformed::yes(rebuilt).jump())
        })
        .map(|t| t.data)
}

/// `plan` (a subquery planned over `scopes`) with its references to `scopes[0]`
/// replaced, at every depth.
fn rewrite_plan(
    plan: &Arc<LogicalPlan>,
    scopes: &mut Vec<PlanSchemaRef>,
    to_domain: &impl Fn(&Column) -> Option<Expr>,
) -> Result<Arc<LogicalPlan>> {
    let inputs = plan
        .inputs()
        .into_iter()
        .map(|i| rewrite_plan(i, scopes, to_domain))
        .collect::<Result<Vec<_>>>()?;
    let node = if inputs.is_empty() {
        plan.clone()
    } else {
        Arc::new(plan.with_new_inputs(inputs)?)
    };
    let scope = scope_of(&node);
    Ok(node
        .map_expressions(&mut |e, _| {
            let replaced = replace_outer(e.clone(), scopes, to_domain)?;
            scopes.push(scope.clone());
            let out = rewrite_nested(&replaced, scopes, to_domain);
            scopes.pop();
            let out = out?;
            Ok(Transformed::new(out.clone(), out != e))
        })?
        .data)
}

/// `e`'s own outer references (not inside subqueries) that resolve in `scopes[0]`
/// replaced by `to_domain`.
fn replace_outer(
    e: Expr,
    scopes: &[PlanSchemaRef],
    to_domain: &impl Fn(&Column) -> Option<Expr>,
) -> Result<Expr> {
    e.transform_up(&mut |x| {
        Ok(match x {
            Expr::OuterColumn { column, data_type } => {
                match (level(&column, scopes), to_domain(&column)) {
                    (Some(0), Some(d)) => Transformed::yes(d),
                    _ => Transformed::no(Expr::OuterColumn { column, data_type }),
                }
            }
            other => Transformed::no(other),
        })
    })
    .map(|t| t.data)
}
