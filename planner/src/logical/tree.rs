//! Generic rewrites over logical plans: a rule says what to change at one node (or at
//! one expression of a node, [`LogicalPlan::map_expressions`]), and these helpers walk
//! the tree.

use std::sync::Arc;

use crate::error::Result;
use crate::expr::{Expr, SortExpr};
use crate::logical::builder::LogicalPlanBuilder;
use crate::logical::plan::LogicalPlan;
use crate::schema::{PlanSchema, PlanSchemaRef};
pub use crate::transformed::{Recursion, Transformed};

impl LogicalPlan {
    /// Applies `f` to every node bottom-up (children first).
    pub fn transform_up(
        self: Arc<Self>,
        f: &mut impl FnMut(Arc<LogicalPlan>) -> Result<Transformed<Arc<LogicalPlan>>>,
    ) -> Result<Transformed<Arc<LogicalPlan>>> {
        let children = self.map_inputs(|input| input.transform_up(f))?;
        Ok(children.and_then(f)?.continued())
    }

    /// Applies `f` to every node top-down (a node before its children); when `f`
    /// answers [`Transformed::jump`], the node's children are left as they are.
    pub fn transform_down(
        self: Arc<Self>,
        f: &mut impl FnMut(Arc<LogicalPlan>) -> Result<Transformed<Arc<LogicalPlan>>>,
    ) -> Result<Transformed<Arc<LogicalPlan>>> {
        let t = f(self)?;
        if t.recursion == Recursion::Jump {
            return Ok(t.continued());
        }
        t.and_then(|node| node.map_inputs(|input| input.transform_down(f)))
    }

    /// This node with each input replaced by `f(input)`; rebuilt only when one changed.
    fn map_inputs(
        self: Arc<Self>,
        mut f: impl FnMut(Arc<LogicalPlan>) -> Result<Transformed<Arc<LogicalPlan>>>,
    ) -> Result<Transformed<Arc<LogicalPlan>>> {
        let mut changed = false;
        let mut new_inputs = Vec::new();
        for input in self.inputs() {
            let t = f(input.clone())?;
            changed |= t.transformed;
            new_inputs.push(t.data);
        }
        Ok(if changed {
            Transformed::yes(Arc::new(self.with_new_inputs(new_inputs)?))
        } else {
            Transformed::no(self)
        })
    }

    /// Rewrites each of this node's own expressions (not its inputs', nor those inside
    /// subqueries) with `f`, which gets the expression and the schema it is evaluated
    /// over, and rebuilds the node only when one changed. Expressions that name output
    /// columns (projections, aggregates, windows) keep their names: a rewritten one is
    /// aliased to its old name ([`keep_name`]). Join keys are rewritten one side at a
    /// time (each over its own input), a join filter over both inputs, VALUES cells over
    /// no columns.
    pub fn map_expressions(
        self: Arc<Self>,
        f: &mut impl FnMut(Expr, &PlanSchema) -> Result<Transformed<Expr>>,
    ) -> Result<Transformed<Arc<LogicalPlan>>> {
        let mut changed = false;
        let mut map = |e: &Expr, schema: &PlanSchema| -> Result<Expr> {
            let t = f(e.clone(), schema)?;
            changed |= t.transformed;
            Ok(t.data)
        };
        let rebuilt = match self.as_ref() {
            LogicalPlan::Filter { input, predicate } => {
                let p = map(predicate, &input.schema())?;
                LogicalPlanBuilder::from_arc(input.clone()).filter(p)
            }
            LogicalPlan::Projection { input, exprs, .. } => {
                let schema = input.schema();
                let new = map_keeping_names(exprs, &schema, &mut map)?;
                LogicalPlanBuilder::from_arc(input.clone()).project(new)
            }
            LogicalPlan::Aggregate {
                input,
                group_by,
                aggregates,
                ..
            } => {
                let schema = input.schema();
                let g = map_keeping_names(group_by, &schema, &mut map)?;
                let a = map_keeping_names(aggregates, &schema, &mut map)?;
                LogicalPlanBuilder::from_arc(input.clone()).aggregate(g, a)
            }
            LogicalPlan::Window { input, exprs, .. } => {
                let schema = input.schema();
                let new = map_keeping_names(exprs, &schema, &mut map)?;
                LogicalPlanBuilder::from_arc(input.clone()).window(new)
            }
            LogicalPlan::Expand {
                input, projections, ..
            } => {
                let schema = input.schema();
                let new = projections
                    .iter()
                    .map(|p| map_keeping_names(p, &schema, &mut map))
                    .collect::<Result<Vec<_>>>()?;
                LogicalPlanBuilder::from_arc(input.clone()).expand(new)
            }
            LogicalPlan::Join {
                left,
                right,
                kind,
                on,
                filter,
                ..
            } => {
                let (ls, rs) = (left.schema(), right.schema());
                let on = on
                    .iter()
                    .map(|(l, r)| Ok((map(l, &ls)?, map(r, &rs)?)))
                    .collect::<Result<Vec<_>>>()?;
                let filter = match filter {
                    Some(e) => Some(map(e, &ls.join(&rs))?),
                    None => None,
                };
                LogicalPlanBuilder::from_arc(left.clone()).join_on(right.clone(), *kind, on, filter)
            }
            LogicalPlan::Sort { input, keys } => {
                let schema = input.schema();
                let keys = keys
                    .iter()
                    .map(|k| {
                        Ok(SortExpr {
                            expr: map(&k.expr, &schema)?,
                            ..k.clone()
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                LogicalPlanBuilder::from_arc(input.clone()).sort(keys)
            }
            LogicalPlan::Scan {
                filters, schema, ..
            } => {
                let filters = filters
                    .iter()
                    .map(|e| map(e, schema))
                    .collect::<Result<Vec<_>>>()?;
                Ok(LogicalPlanBuilder::from(self.with_scan_filters(filters)))
            }
            LogicalPlan::Values { rows, schema } => {
                let none = PlanSchema::default();
                let rows = rows
                    .iter()
                    .map(|row| row.iter().map(|cell| map(cell, &none)).collect())
                    .collect::<Result<Vec<Vec<Expr>>>>()?;
                Ok(LogicalPlanBuilder::from(LogicalPlan::Values {
                    rows,
                    schema: schema.clone(),
                }))
            }
            LogicalPlan::Limit { .. }
            | LogicalPlan::Distinct { .. }
            | LogicalPlan::Union { .. }
            | LogicalPlan::SubqueryAlias { .. }
            | LogicalPlan::RecursiveQuery { .. }
            | LogicalPlan::WorkTable { .. }
            | LogicalPlan::Empty { .. } => return Ok(Transformed::no(self)),
        }?;
        Ok(if changed {
            Transformed::yes(rebuilt.build_arc())
        } else {
            Transformed::no(self)
        })
    }

    /// A copy of this scan with `filters` as its pushed-down filters (any other node
    /// is returned as it is).
    pub fn with_scan_filters(&self, filters: Vec<Expr>) -> LogicalPlan {
        self.rebuild_scan(None, Some(filters))
    }

    /// A copy of this scan reading the source's columns `projection` (in that order),
    /// whose output schema is `schema` (any other node is returned as it is).
    pub fn with_scan_projection(
        &self,
        projection: Vec<usize>,
        schema: PlanSchemaRef,
    ) -> LogicalPlan {
        self.rebuild_scan(Some((projection, schema)), None)
    }

    /// The one place a scan is taken apart and rebuilt.
    fn rebuild_scan(
        &self,
        new_projection: Option<(Vec<usize>, PlanSchemaRef)>,
        new_filters: Option<Vec<Expr>>,
    ) -> LogicalPlan {
        let LogicalPlan::Scan {
            table,
            source,
            projection,
            filters,
            schema,
        } = self
        else {
            return self.clone();
        };
        let (projection, schema) = match new_projection {
            Some((p, s)) => (Some(p), s),
            None => (projection.clone(), schema.clone()),
        };
        LogicalPlan::Scan {
            table: table.clone(),
            source: source.clone(),
            projection,
            filters: new_filters.unwrap_or_else(|| filters.clone()),
            schema,
        }
    }
}

/// `new`, the rewrite of `old`, under `old`'s output name (aliased when the rewrite
/// changed the name), so that a node's output columns keep their names.
pub fn keep_name(old: &Expr, new: Expr) -> Expr {
    let name = old.output_name();
    if new.output_name() == name {
        new
    } else {
        new.alias(name)
    }
}

/// Each of `exprs` rewritten by `map` under its old output name.
fn map_keeping_names(
    exprs: &[Expr],
    schema: &PlanSchema,
    map: &mut impl FnMut(&Expr, &PlanSchema) -> Result<Expr>,
) -> Result<Vec<Expr>> {
    exprs
        .iter()
        .map(|e| {
            let new = map(e, schema)?;
            Ok(if new == *e { new } else { keep_name(e, new) })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{col, lit};
    use crate::optimizer::rules::test_util::t;

    /// Replaces every literal 1 by 2.
    fn one_to_two(e: Expr, _: &PlanSchema) -> Result<Transformed<Expr>> {
        e.transform_up(&mut |x| {
            Ok(if x == lit(1) {
                Transformed::yes(lit(2))
            } else {
                Transformed::no(x)
            })
        })
    }

    #[test]
    fn map_expressions_keeps_output_names_and_untouched_nodes() {
        let plan = t()
            .project(vec![col("a").add(lit(1)), col("b")])
            .unwrap()
            .build_arc();
        let before = plan.schema();
        let out = plan.map_expressions(&mut one_to_two).unwrap();
        assert!(out.transformed);
        assert_eq!(out.data.schema(), before);
        assert!(
            out.data.display_indent().contains("a + 2 AS a + 1"),
            "{}",
            out.data.display_indent()
        );

        // Nothing to change: the very same node comes back.
        let plan = t().filter(col("a").gt(lit(5))).unwrap().build_arc();
        let out = plan.clone().map_expressions(&mut one_to_two).unwrap();
        assert!(!out.transformed);
        assert!(Arc::ptr_eq(&out.data, &plan));
    }

    #[test]
    fn transform_down_jump_leaves_children_alone() {
        // (1 + 1) + 1: jumping at the inner sum keeps its ones.
        let e = lit(1).add(lit(1)).add(lit(1));
        let mut seen_inner = false;
        let out = e
            .transform_down(&mut |x| {
                if x == lit(1).add(lit(1)) {
                    seen_inner = true;
                    return Ok(Transformed::no(x).jump());
                }
                Ok(if x == lit(1) {
                    Transformed::yes(lit(2))
                } else {
                    Transformed::no(x)
                })
            })
            .unwrap();
        assert!(seen_inner);
        assert!(out.transformed);
        assert_eq!(out.data, lit(1).add(lit(1)).add(lit(2)));
    }
}
