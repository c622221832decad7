//! Helpers shared by the decorrelation rules: fresh `__sq_N` aliases, pulling the
//! correlated predicates (those reading [`Expr::OuterColumn`]s) up out of a subquery plan,
//! renaming a subquery's columns so they cannot collide with the outer query's. The
//! walk that decorrelates a whole tree is in `decorrelate_tree`.
//!
//! In: logical plans holding subquery expressions. Out: the pieces the two rules
//! (`decorrelate_predicate_subquery`, `decorrelate_scalar_subquery`) assemble into joins.

use std::sync::Arc;

use crate::error::{PlanError, Result};
use crate::expr::{Column, Expr};
use crate::logical::builder::field_column;
use crate::logical::{LogicalPlan, LogicalPlanBuilder, Transformed};
use crate::schema::PlanSchema;

/// Prefix of the aliases given to decorrelated subqueries.
const ALIAS_PREFIX: &str = "__sq_";

/// Prefix of the names given to mark columns.
const MARK_PREFIX: &str = "__mark_";

/// Hands out `__sq_1`, `__sq_2`, ... (and mark column names `__mark_N`) not yet used
/// anywhere in a plan.
pub(crate) struct AliasGen {
    next: usize,
}

impl AliasGen {
    /// Starts after the highest `__sq_N` or `__mark_N` already in `plan` (subquery
    /// plans included).
    pub(crate) fn for_plan(plan: &LogicalPlan) -> Self {
        let mut max = 0;
        let mut see = |name: &str, prefix: &str| {
            if let Some(n) = name.strip_prefix(prefix)
                && let Ok(n) = n.parse::<usize>()
            {
                max = max.max(n);
            }
        };
        visit_plans(plan, &mut |p| {
            if let LogicalPlan::SubqueryAlias { alias, .. } = p {
                see(alias, ALIAS_PREFIX);
            }
            if let LogicalPlan::Projection { schema, .. } = p {
                for f in &schema.fields {
                    see(&f.name, MARK_PREFIX);
                }
            }
        });
        AliasGen { next: max + 1 }
    }

    /// A fresh alias.
    pub(crate) fn fresh(&mut self) -> String {
        let n = self.next;
        self.next += 1;
        format!("{ALIAS_PREFIX}{n}")
    }

    /// A fresh name for a mark column.
    pub(crate) fn fresh_mark(&mut self) -> String {
        let n = self.next;
        self.next += 1;
        format!("{MARK_PREFIX}{n}")
    }
}

/// Calls `f` on every node of `plan`, including the plans of subquery expressions.
pub(crate) fn visit_plans(plan: &LogicalPlan, f: &mut impl FnMut(&LogicalPlan)) {
    f(plan);
    for e in plan.expressions() {
        for sub in e.subqueries() {
            visit_plans(&sub, f);
        }
    }
    for i in plan.inputs() {
        visit_plans(i, f);
    }
}

/// True when any node of `plan` (subquery plans included) reads an outer column.
pub(crate) fn plan_has_outer(plan: &LogicalPlan) -> bool {
    let mut found = false;
    visit_plans(plan, &mut |p| {
        found |= p.expressions().iter().any(Expr::contains_outer_column);
    });
    found
}

/// The first subquery or outer-column expression left anywhere in `plan`, as text.
pub(crate) fn leftover(plan: &LogicalPlan) -> Option<String> {
    let mut found = None;
    visit_plans(plan, &mut |p| {
        if found.is_some() {
            return;
        }
        for e in p.expressions() {
            if e.contains_subquery() || e.contains_outer_column() {
                found = Some(format!("'{e}' in {}", p.describe()));
                return;
            }
        }
    });
    found
}

/// Every outer column reference turned into an ordinary column reference.
pub(crate) fn outer_to_column(e: Expr) -> Expr {
    e.clone()
        .transform_up(&mut |x| {
            Ok(match x {
                Expr::OuterColumn { column, .. } => Transformed::yes(Expr::Column(column)),
                other => Transformed::no(other),
            })
        })
        .map_or(e, |t| t.data)
}

/// The outer columns `e` reads.
pub(crate) fn outer_columns(e: &Expr) -> Vec<Column> {
    let mut out = Vec::new();
    e.visit(&mut |x| {
        if let Expr::OuterColumn { column, .. } = x
            && !out.contains(column)
        {
            out.push(column.clone());
        }
    });
    out
}

/// Reads outer columns and no columns of its own query.
pub(crate) fn only_outer(e: &Expr) -> bool {
    e.contains_outer_column() && e.columns().is_empty()
}

/// Reads columns of its own query and no outer columns.
pub(crate) fn only_inner(e: &Expr) -> bool {
    !e.contains_outer_column() && !e.columns().is_empty()
}

/// `inner = outer` (either order) as `(outer expr, inner expr)`.
pub(crate) fn correlation_key(p: &Expr) -> Option<(Expr, Expr)> {
    let Expr::Binary {
        left,
        op: crate::expr::BinaryOp::Eq,
        right,
    } = p
    else {
        return None;
    };
    if only_outer(left) && only_inner(right) {
        Some((*left.clone(), *right.clone()))
    } else if only_inner(left) && only_outer(right) {
        Some((*right.clone(), *left.clone()))
    } else {
        None
    }
}

/// Checks that every outer column of `preds` is a column of `outer` (the query the
/// subquery is being joined to), not of a query further out.
pub(crate) fn check_outer_resolves(preds: &[Expr], outer: &PlanSchema) -> Result<()> {
    for p in preds {
        for c in outer_columns(p) {
            if outer.find(c.relation.as_deref(), &c.name).is_none() {
                return Err(PlanError::unsupported(format!(
                    "subquery correlated with a query more than one level out ('{p}' reads {c})"
                )));
            }
        }
    }
    Ok(())
}

fn unsupported_below(node: &LogicalPlan) -> PlanError {
    PlanError::unsupported(format!(
        "correlated subquery with an outer reference under '{}'",
        node.describe()
    ))
}

/// Removes the correlated conjuncts from the Filters of `plan` and returns them with the
/// rewritten plan. The predicates are over the rewritten plan's output columns (plus
/// outer columns): projections on the way up are widened with the columns they need.
/// Correlation under anything but Filter, Projection, SubqueryAlias and the preserved
/// side of joins is Unsupported.
pub(crate) fn pull_up_correlation(
    plan: &Arc<LogicalPlan>,
) -> Result<(Arc<LogicalPlan>, Vec<Expr>)> {
    if !plan_has_outer(plan) {
        return Ok((plan.clone(), vec![]));
    }
    match plan.as_ref() {
        LogicalPlan::Filter { input, predicate } => {
            let (input, mut preds) = pull_up_correlation(input)?;
            let mut keep = Vec::new();
            for c in predicate.clone().split_conjunction() {
                if c.contains_outer_column() {
                    if c.contains_subquery() {
                        return Err(PlanError::unsupported(format!(
                            "correlated predicate holding a subquery: '{c}'"
                        )));
                    }
                    preds.push(c);
                } else {
                    keep.push(c);
                }
            }
            let node = match Expr::conjunction(keep) {
                Some(p) => LogicalPlanBuilder::from_arc(input).filter(p)?.build_arc(),
                None => input,
            };
            Ok((node, preds))
        }
        LogicalPlan::Projection { input, exprs, .. } => {
            if exprs.iter().any(|e| e.contains_outer_column()) {
                return Err(unsupported_below(plan));
            }
            let (input, preds) = pull_up_correlation(input)?;
            let in_schema = input.schema();
            let mut exprs = exprs.clone();
            for p in &preds {
                for c in p.columns() {
                    let i = in_schema.index_of(c.relation.as_deref(), &c.name)?;
                    let column = field_column(in_schema.field(i));
                    if !exprs.contains(&column) {
                        exprs.push(column);
                    }
                }
            }
            let node = LogicalPlanBuilder::from_arc(input)
                .project(exprs)?
                .build_arc();
            Ok((node, preds))
        }
        LogicalPlan::SubqueryAlias { input, alias, .. } => {
            let (input, preds) = pull_up_correlation(input)?;
            let in_schema = input.schema();
            let node = LogicalPlanBuilder::from_arc(input)
                .alias(alias)?
                .build_arc();
            let out_schema = node.schema();
            let preds = preds
                .into_iter()
                .map(|p| {
                    crate::optimizer::rules::util::replace_columns(p, &|c| {
                        in_schema
                            .find(c.relation.as_deref(), &c.name)
                            .map(|i| field_column(out_schema.field(i)))
                    })
                })
                .collect();
            Ok((node, preds))
        }
        LogicalPlan::Join {
            left,
            right,
            kind,
            on,
            filter,
            ..
        } => {
            use crate::logical::JoinKind;
            let own = on
                .iter()
                .flat_map(|(l, r)| [l, r])
                .chain(filter.iter())
                .any(|e| e.contains_outer_column());
            let both_sides = matches!(kind, JoinKind::Inner | JoinKind::Cross);
            // Joins keeping each left row (once, for semi, anti and mark joins) let a
            // left-side predicate pass up.
            let left_side = kind.left_only() || kind.is_mark() || *kind == JoinKind::Left;
            if own || !(both_sides || left_side && !plan_has_outer(right)) {
                return Err(unsupported_below(plan));
            }
            let (l, mut preds) = pull_up_correlation(left)?;
            let (r, rp) = pull_up_correlation(right)?;
            preds.extend(rp);
            let node = LogicalPlanBuilder::from_arc(l)
                .join_on(r, *kind, on.clone(), filter.clone())?
                .build_arc();
            Ok((node, preds))
        }
        _ => Err(unsupported_below(plan)),
    }
}

/// `plan` with its correlated predicates dropped, as a source of distinct values for a
/// domain: it yields every row `plan` does, and maybe more, which a domain may hold.
pub(crate) fn uncorrelated_source(plan: &Arc<LogicalPlan>) -> Result<Arc<LogicalPlan>> {
    if !plan_has_outer(plan) {
        return Ok(plan.clone());
    }
    let (source, _) = pull_up_correlation(plan)?;
    if plan_has_outer(&source) {
        return Err(PlanError::unsupported(format!(
            "a domain of outer values over a correlated input: {}",
            source.describe()
        )));
    }
    Ok(source)
}

/// `plan` without the ORDER BYs at its top (through projections and aliases): a
/// subquery's row order means nothing unless a LIMIT uses it, which stops the walk.
pub(crate) fn drop_top_sorts(plan: Arc<LogicalPlan>) -> Result<Arc<LogicalPlan>> {
    Ok(match plan.as_ref() {
        LogicalPlan::Sort { input, .. } => drop_top_sorts(input.clone())?,
        LogicalPlan::Projection { input, .. } | LogicalPlan::SubqueryAlias { input, .. } => {
            let new = drop_top_sorts(input.clone())?;
            if Arc::ptr_eq(&new, input) {
                plan
            } else {
                Arc::new(plan.with_new_inputs(vec![new])?)
            }
        }
        _ => plan,
    })
}

/// Names for `right`'s columns that are unique among themselves and differ from every
/// column name of `left` (suffixes `_2`, `_3`, ... where needed).
fn fresh_names(left: &PlanSchema, right: &PlanSchema) -> Vec<String> {
    let mut taken: Vec<String> = left
        .fields
        .iter()
        .map(|f| f.name.to_ascii_lowercase())
        .collect();
    let mut out = Vec::with_capacity(right.len());
    for f in &right.fields {
        let mut name = f.name.clone();
        let mut k = 2;
        while taken.contains(&name.to_ascii_lowercase()) {
            name = format!("{}_{k}", f.name);
            k += 1;
        }
        taken.push(name.to_ascii_lowercase());
        out.push(name);
    }
    out
}

/// `plan` under a fresh alias, its columns renamed where they would clash with `left`'s
/// names; returns the new plan and its output columns (in `plan`'s column order).
pub(crate) fn alias_apart(
    left: &PlanSchema,
    plan: Arc<LogicalPlan>,
    aliases: &mut AliasGen,
) -> Result<(Arc<LogicalPlan>, Vec<Expr>)> {
    let schema = plan.schema();
    let names = fresh_names(left, &schema);
    let renamed = schema.fields.iter().zip(&names).any(|(f, n)| f.name != *n);
    let plan = if renamed {
        let exprs = schema
            .fields
            .iter()
            .zip(&names)
            .map(|(f, n)| {
                let c = field_column(f);
                if f.name == *n { c } else { c.alias(n) }
            })
            .collect();
        LogicalPlanBuilder::from_arc(plan)
            .project(exprs)?
            .build_arc()
    } else {
        plan
    };
    let plan = LogicalPlanBuilder::from_arc(plan)
        .alias(&aliases.fresh())?
        .build_arc();
    let columns = plan.schema().fields.iter().map(field_column).collect();
    Ok((plan, columns))
}

/// True when some column of `right` has the same name as a column of `left` and a
/// reference could not tell them apart.
pub(crate) fn clashes(left: &PlanSchema, right: &PlanSchema) -> bool {
    right.fields.iter().any(|r| {
        left.fields.iter().any(|l| {
            l.name.eq_ignore_ascii_case(&r.name)
                && match (&l.qualifier, &r.qualifier) {
                    (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                    _ => true,
                }
        })
    })
}

/// Rewrites columns of `right_before` in `e` to the matching entry of `columns`
/// (same order as `right_before`'s fields); outer columns are left alone.
pub(crate) fn map_right_columns(e: Expr, right_before: &PlanSchema, columns: &[Expr]) -> Expr {
    crate::optimizer::rules::util::replace_columns(e, &|c| {
        right_before
            .find(c.relation.as_deref(), &c.name)
            .and_then(|i| columns.get(i).cloned())
    })
}
