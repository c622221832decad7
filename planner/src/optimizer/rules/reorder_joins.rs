//! reorder_joins: picks the order of a tree of inner joins greedily from estimated
//! sizes, so that the largest relation is streamed (probe side) and every join adds
//! the smallest relation connected to what is joined so far — a cross join only where
//! no join predicate connects the rest.
//!
//! ```text
//! Join(Join(Join(customer, orders), lineitem), supplier)   (FROM order)
//! ⇒ Join(Join(Join(lineitem, supplier), orders), customer) (+ a projection restoring
//!                                                             the column order)
//! ```

use std::sync::Arc;

use crate::error::Result;
use crate::expr::{BinaryOp, Expr};
use crate::logical::builder::{LogicalPlanBuilder, field_column};
use crate::logical::{JoinKind, LogicalPlan, Transformed};
use crate::optimizer::cost::{estimate_rows, join_rows};
use crate::optimizer::rule::OptimizerRule;
use crate::optimizer::rules::util::resolves_in;
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
    let reordered = greedy_order(leaves, preds)?;
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

/// Builds a left-deep join tree: start from the largest leaf, then repeatedly add the
/// smallest leaf connected to the joined set by an equality.
fn greedy_order(leaves: Vec<Arc<LogicalPlan>>, mut preds: Vec<Expr>) -> Result<Arc<LogicalPlan>> {
    let sizes: Vec<f64> = leaves.iter().map(|l| estimate_rows(l)).collect();
    let mut remaining: Vec<usize> = (0..leaves.len()).collect();
    let start = remaining
        .iter()
        .copied()
        .max_by(|&a, &b| sizes[a].total_cmp(&sizes[b]))
        .unwrap_or(0);
    remaining.retain(|&i| i != start);
    let mut current = leaves[start].clone();
    while !remaining.is_empty() {
        let cur_schema = current.schema();
        let connected = |i: usize| {
            let both = cur_schema.join(&leaves[i].schema());
            preds.iter().any(|p| {
                matches!(
                    p,
                    Expr::Binary {
                        op: BinaryOp::Eq,
                        ..
                    }
                ) && resolves_in(p, &both)
                    && !resolves_in(p, &cur_schema)
                    && !resolves_in(p, &leaves[i].schema())
            })
        };
        // The connected leaf whose join with what is joined so far is estimated
        // smallest; a cross join only when nothing connects.
        let join_estimate = |i: usize| {
            let keys = connecting_keys(&preds, &cur_schema, &leaves[i].schema());
            if keys.is_empty() {
                f64::INFINITY
            } else {
                join_rows(&current, &leaves[i], &keys)
            }
        };
        let pick = remaining
            .iter()
            .copied()
            .filter(|&i| connected(i))
            .min_by(|&a, &b| {
                join_estimate(a)
                    .total_cmp(&join_estimate(b))
                    .then(sizes[a].total_cmp(&sizes[b]))
            })
            .or_else(|| {
                remaining
                    .iter()
                    .copied()
                    .min_by(|&a, &b| sizes[a].total_cmp(&sizes[b]))
            })
            .unwrap_or(remaining[0]);
        remaining.retain(|&i| i != pick);
        let next = leaves[pick].clone();
        let both = cur_schema.join(&next.schema());
        let (usable, rest): (Vec<Expr>, Vec<Expr>) =
            preds.into_iter().partition(|p| resolves_in(p, &both));
        preds = rest;
        let mut keys = Vec::new();
        let mut filter = Vec::new();
        for p in usable {
            match p {
                Expr::Binary {
                    left,
                    op: BinaryOp::Eq,
                    right,
                } if resolves_in(&left, &cur_schema)
                    && resolves_in(&right, &next.schema())
                    && !left.columns().is_empty()
                    && !right.columns().is_empty() =>
                {
                    keys.push((*left, *right))
                }
                Expr::Binary {
                    left,
                    op: BinaryOp::Eq,
                    right,
                } if resolves_in(&right, &cur_schema)
                    && resolves_in(&left, &next.schema())
                    && !left.columns().is_empty()
                    && !right.columns().is_empty() =>
                {
                    keys.push((*right, *left))
                }
                other => filter.push(other),
            }
        }
        let kind = if keys.is_empty() && filter.is_empty() {
            JoinKind::Cross
        } else {
            JoinKind::Inner
        };
        current = LogicalPlanBuilder::from_arc(current)
            .join_on(next, kind, keys, Expr::conjunction(filter))?
            .build_arc();
    }
    if let Some(p) = Expr::conjunction(preds) {
        current = Arc::new(LogicalPlan::Filter {
            input: current,
            predicate: p,
        });
    }
    Ok(current)
}

/// The equalities in `preds` with one side over `left` and the other over `right`, as
/// (left expr, right expr) pairs.
fn connecting_keys(preds: &[Expr], left: &PlanSchema, right: &PlanSchema) -> Vec<(Expr, Expr)> {
    preds
        .iter()
        .filter_map(|p| match p {
            Expr::Binary {
                left: a,
                op: BinaryOp::Eq,
                right: b,
            } if !a.columns().is_empty() && !b.columns().is_empty() => {
                if resolves_in(a, left) && resolves_in(b, right) {
                    Some((a.as_ref().clone(), b.as_ref().clone()))
                } else if resolves_in(b, left) && resolves_in(a, right) {
                    Some((b.as_ref().clone(), a.as_ref().clone()))
                } else {
                    None
                }
            }
            _ => None,
        })
        .collect()
}
