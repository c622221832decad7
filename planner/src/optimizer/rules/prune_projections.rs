//! prune_projections: reads only the columns a query uses, and drops projected
//! columns nobody reads.
//!
//! ```text
//! Projection: a                 Projection: a
//!   Filter: b > 1          ⇒      Filter: b > 1
//!     Scan: t                       Scan: t projection=[a, b]
//! ```
//! Walks top-down with the set of output columns each node's parent needs; the
//! root keeps its whole output.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::error::Result;
use crate::expr::Expr;
use crate::logical::builder::{LogicalPlanBuilder, field_column};
use crate::logical::{LogicalPlan, Transformed};
use crate::optimizer::rule::OptimizerRule;
use crate::schema::{PlanSchema, PlanSchemaRef};

/// See the module documentation.
pub struct PruneProjections;

impl OptimizerRule for PruneProjections {
    fn name(&self) -> &'static str {
        "prune_projections"
    }

    fn rewrite(&self, plan: Arc<LogicalPlan>) -> Result<Transformed<Arc<LogicalPlan>>> {
        let all: BTreeSet<usize> = (0..plan.schema().len()).collect();
        let new = prune(plan.clone(), &all, true)?;
        if new.same_as(&plan) {
            Ok(Transformed::no(new))
        } else {
            Ok(Transformed::yes(new))
        }
    }
}

/// Indices into `schema` of the columns `exprs` read.
fn used_columns<'a>(
    exprs: impl IntoIterator<Item = &'a Expr>,
    schema: &PlanSchema,
    out: &mut BTreeSet<usize>,
) {
    for e in exprs {
        for c in e.columns() {
            if let Ok(i) = schema.index_of(c.relation.as_deref(), &c.name) {
                out.insert(i);
            }
        }
    }
}

/// Returns a plan whose output includes (by name) at least the `required` columns of
/// `plan`'s output.
fn prune(
    plan: Arc<LogicalPlan>,
    required: &BTreeSet<usize>,
    is_root: bool,
) -> Result<Arc<LogicalPlan>> {
    match plan.as_ref() {
        LogicalPlan::Scan {
            projection,
            filters,
            schema,
            ..
        } => {
            let mut need = required.clone();
            used_columns(filters, schema, &mut need);
            // Read one column to count rows by, if the table has any.
            if need.is_empty() && !schema.is_empty() {
                need.insert(0);
            }
            if need.len() == schema.len() {
                return Ok(plan);
            }
            let base: Vec<usize> = projection
                .clone()
                .unwrap_or_else(|| (0..schema.len()).collect());
            let new_proj: Vec<usize> = need.iter().filter_map(|&i| base.get(i).copied()).collect();
            let new_schema: PlanSchemaRef = Arc::new(PlanSchema::new(
                need.iter().map(|&i| schema.field(i).clone()).collect(),
            ));
            Ok(Arc::new(plan.with_scan_projection(new_proj, new_schema)))
        }
        LogicalPlan::Projection { input, exprs, .. } => {
            let kept: Vec<Expr> = if is_root {
                exprs.clone()
            } else {
                let mut k: Vec<Expr> = exprs
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| required.contains(i))
                    .map(|(_, e)| e.clone())
                    .collect();
                if k.is_empty()
                    && let Some(first) = exprs.first()
                {
                    k.push(first.clone());
                }
                k
            };
            let mut need = BTreeSet::new();
            used_columns(&kept, &input.schema(), &mut need);
            let new_input = prune(input.clone(), &need, false)?;
            Ok(LogicalPlanBuilder::from_arc(new_input)
                .project(kept)?
                .build_arc())
        }
        LogicalPlan::Filter { input, predicate } => {
            let mut need = required.clone();
            used_columns([predicate], &input.schema(), &mut need);
            let new_input = prune(input.clone(), &need, false)?;
            Ok(Arc::new(LogicalPlan::Filter {
                input: new_input,
                predicate: predicate.clone(),
            }))
        }
        LogicalPlan::Sort { input, keys } => {
            let mut need = required.clone();
            used_columns(keys.iter().map(|k| &k.expr), &input.schema(), &mut need);
            let new_input = prune(input.clone(), &need, false)?;
            Ok(Arc::new(LogicalPlan::Sort {
                input: new_input,
                keys: keys.clone(),
            }))
        }
        LogicalPlan::Limit { input, skip, fetch } => {
            let new_input = prune(input.clone(), required, false)?;
            Ok(Arc::new(LogicalPlan::Limit {
                input: new_input,
                skip: *skip,
                fetch: *fetch,
            }))
        }
        LogicalPlan::SubqueryAlias { input, .. } => {
            let new_input = prune(input.clone(), required, false)?;
            Ok(Arc::new(plan.with_new_inputs(vec![new_input])?))
        }
        LogicalPlan::Aggregate {
            input,
            group_by,
            aggregates,
            ..
        } => {
            let mut need = BTreeSet::new();
            used_columns(
                group_by.iter().chain(aggregates),
                &input.schema(),
                &mut need,
            );
            let new_input = prune(input.clone(), &need, false)?;
            Ok(Arc::new(plan.with_new_inputs(vec![new_input])?))
        }
        LogicalPlan::Expand {
            input, projections, ..
        } => {
            // Columns nobody reads leave every projection alike; the input keeps what
            // the remaining expressions read. At least one column stays so each copy of
            // a row is still a row.
            let width = plan.schema().len();
            let mut keep: Vec<usize> = (0..width).filter(|i| required.contains(i)).collect();
            if keep.is_empty() && width > 0 {
                keep.push(0);
            }
            let kept: Vec<Vec<Expr>> = projections
                .iter()
                .map(|p| keep.iter().map(|&i| p[i].clone()).collect())
                .collect();
            let mut need = BTreeSet::new();
            used_columns(kept.iter().flatten(), &input.schema(), &mut need);
            let new_input = prune(input.clone(), &need, false)?;
            Ok(LogicalPlanBuilder::from_arc(new_input)
                .expand(kept)?
                .build_arc())
        }
        LogicalPlan::Window { input, exprs, .. } => {
            // Every window call stays (they are cheap next to the sort); the input
            // keeps what the parent reads plus what the calls read.
            let in_schema = input.schema();
            let mut need: BTreeSet<usize> = required
                .iter()
                .copied()
                .filter(|&i| i < in_schema.len())
                .collect();
            used_columns(exprs, &in_schema, &mut need);
            let new_input = prune(input.clone(), &need, false)?;
            Ok(Arc::new(plan.with_new_inputs(vec![new_input])?))
        }
        LogicalPlan::Join {
            left,
            right,
            kind,
            on,
            filter,
            ..
        } => {
            let ls = left.schema();
            let rs = right.schema();
            let n = ls.len();
            let mut need_l: BTreeSet<usize> = required.iter().copied().filter(|&i| i < n).collect();
            let mut need_r: BTreeSet<usize> = if kind.left_only() || kind.is_mark() {
                BTreeSet::new()
            } else {
                required
                    .iter()
                    .filter(|&&i| i >= n)
                    .map(|&i| i - n)
                    .collect()
            };
            used_columns(on.iter().map(|(l, _)| l), &ls, &mut need_l);
            used_columns(on.iter().map(|(_, r)| r), &rs, &mut need_r);
            if let Some(f) = filter {
                for c in f.columns() {
                    if let Ok(i) = ls.index_of(c.relation.as_deref(), &c.name) {
                        need_l.insert(i);
                    } else if let Ok(i) = rs.index_of(c.relation.as_deref(), &c.name) {
                        need_r.insert(i);
                    }
                }
            }
            let new_l = narrow(prune(left.clone(), &need_l, false)?, &ls, &need_l)?;
            let new_r = narrow(prune(right.clone(), &need_r, false)?, &rs, &need_r)?;
            Ok(Arc::new(plan.with_new_inputs(vec![new_l, new_r])?))
        }
        _ => {
            // Distinct, Union, Values, Empty: every input column matters.
            let inputs = plan
                .inputs()
                .into_iter()
                .map(|i| {
                    let all: BTreeSet<usize> = (0..i.schema().len()).collect();
                    prune(i.clone(), &all, false)
                })
                .collect::<Result<Vec<_>>>()?;
            if inputs.is_empty() {
                Ok(plan)
            } else {
                Ok(Arc::new(plan.with_new_inputs(inputs)?))
            }
        }
    }
}

/// A join's input reduced to the `need`ed columns of `schema` (its schema before
/// pruning), when it gives more: columns a filter below reads go no further, so a
/// build side holds, and an exchange ships, only what the join and its parent read.
fn narrow(
    input: Arc<LogicalPlan>,
    schema: &PlanSchema,
    need: &BTreeSet<usize>,
) -> Result<Arc<LogicalPlan>> {
    if need.is_empty() || input.schema().len() <= need.len() {
        return Ok(input);
    }
    let exprs: Vec<Expr> = need
        .iter()
        .map(|&i| field_column(schema.field(i)))
        .collect();
    Ok(LogicalPlanBuilder::from_arc(input)
        .project(exprs)?
        .build_arc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{col, lit};
    use crate::optimizer::rules::test_util::{scan, t};

    fn run(plan: Arc<LogicalPlan>) -> String {
        let out = PruneProjections.rewrite(plan.clone()).unwrap().data;
        assert_eq!(out.schema(), plan.schema());
        out.display_indent()
    }

    #[test]
    fn scans_read_only_the_columns_used() {
        let plan = t()
            .project(vec![col("t.c"), col("t.a")])
            .unwrap()
            .project(vec![col("t.a")])
            .unwrap()
            .build_arc();
        assert_eq!(
            run(plan),
            "Projection: t.a\n  Projection: t.a\n    Scan: t projection=[a]\n"
        );
    }

    #[test]
    fn a_table_without_columns_is_no_panic() {
        let plan = scan("e", &[])
            .project(vec![lit(1i64).alias("one")])
            .unwrap()
            .project(vec![])
            .unwrap()
            .build_arc();
        assert_eq!(
            run(plan),
            "Projection: \n  Projection: 1 AS one\n    Scan: e\n"
        );
    }
}
