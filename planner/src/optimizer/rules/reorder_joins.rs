//! reorder_joins: flattens each maximal tree of inner and cross joins into its
//! relations and predicates, and rebuilds it in the cheapest order the cost-based
//! enumerator finds ([`crate::optimizer::cost::join_enumerator`]: exhaustive over
//! connected subsets for up to ten relations, greedy beyond) — a cross join only where
//! no join predicate connects the rest.
//!
//! ```text
//! Join(Join(Join(customer, orders), lineitem), supplier)   (FROM order)
//! ⇒ Join(Join(lineitem, orders), Join(customer, supplier))  (+ a projection restoring
//!                                                             the column order)
//! ```

use std::sync::Arc;

use crate::error::Result;
use crate::expr::Expr;
use crate::logical::builder::{LogicalPlanBuilder, field_column};
use crate::logical::{JoinKind, LogicalPlan, Transformed};
use crate::optimizer::cost::join_enumerator::order_joins;
use crate::optimizer::rule::OptimizerRule;
use crate::schema::PlanSchema;

/// See the module documentation.
pub struct ReorderJoins;

impl OptimizerRule for ReorderJoins {
    fn name(&self) -> &'static str {
        "reorder_joins"
    }

    fn rewrite(&self, plan: Arc<LogicalPlan>) -> Result<Transformed<Arc<LogicalPlan>>> {
        reorder(plan)
    }
}

/// Reorders every maximal inner-join tree, leaves first.
fn reorder(node: Arc<LogicalPlan>) -> Result<Transformed<Arc<LogicalPlan>>> {
    if !is_inner(&node) {
        let mut changed = false;
        let mut inputs = Vec::new();
        for i in node.inputs() {
            let t = reorder(i.clone())?;
            changed |= t.transformed;
            inputs.push(t.data);
        }
        return Ok(if changed {
            Transformed::yes(Arc::new(node.with_new_inputs(inputs)?))
        } else {
            Transformed::no(node)
        });
    }
    let mut leaves = Vec::new();
    let mut preds = Vec::new();
    flatten(&node, &mut leaves, &mut preds);
    let mut changed = false;
    for leaf in leaves.iter_mut() {
        let t = reorder(leaf.clone())?;
        changed |= t.transformed;
        *leaf = t.data;
    }
    if leaves.len() < 3 || has_duplicate_names(&node.schema()) {
        if !changed {
            return Ok(Transformed::no(node));
        }
        let inputs = node
            .inputs()
            .into_iter()
            .map(|i| reorder(i.clone()).map(|t| t.data))
            .collect::<Result<Vec<_>>>()?;
        return Ok(Transformed::yes(Arc::new(node.with_new_inputs(inputs)?)));
    }
    let reordered = order_joins(leaves, preds)?;
    // Restore the original column order so the rewrite is invisible above.
    let exprs = node.schema().fields.iter().map(field_column).collect();
    let projected = LogicalPlanBuilder::from_arc(reordered)
        .project(exprs)?
        .build_arc();
    Ok(Transformed::yes(projected))
}

fn is_inner(plan: &LogicalPlan) -> bool {
    matches!(
        plan,
        LogicalPlan::Join {
            kind: JoinKind::Inner | JoinKind::Cross,
            ..
        }
    )
}

fn flatten(plan: &Arc<LogicalPlan>, leaves: &mut Vec<Arc<LogicalPlan>>, preds: &mut Vec<Expr>) {
    match plan.as_ref() {
        LogicalPlan::Join {
            left,
            right,
            kind: JoinKind::Inner | JoinKind::Cross,
            on,
            filter,
            ..
        } => {
            flatten(left, leaves, preds);
            flatten(right, leaves, preds);
            preds.extend(on.iter().map(|(l, r)| l.clone().eq(r.clone())));
            if let Some(f) = filter {
                preds.extend(f.clone().split_conjunction());
            }
        }
        _ => leaves.push(plan.clone()),
    }
}

fn has_duplicate_names(schema: &PlanSchema) -> bool {
    let mut names: Vec<String> = schema
        .fields
        .iter()
        .map(|f| f.qualified_name().to_lowercase())
        .collect();
    names.sort();
    names.windows(2).any(|w| w[0] == w[1])
}
