//! Join enumeration: given the relations of an inner-join graph and the predicates
//! over them, builds the join tree with the lowest estimated cost.
//!
//! - Up to [`DP_MAX_RELATIONS`] relations: exhaustive dynamic programming over
//!   connected subsets (bushy trees included). Each subset keeps its cheapest plan;
//!   a subset is built from two disjoint connected halves joined by at least one
//!   equality, so no cross join is ever considered while a join predicate connects.
//! - Beyond that, or when the graph is not connected: a greedy order that starts
//!   from the largest relation and repeatedly adds the connected relation whose join
//!   is estimated smallest (a cross join only when nothing connects).
//!
//! The cost of a plan is the sum of the estimated rows of every join output (each
//! intermediate row is produced, and then read by the next join), plus the rows of
//! each join's build side (a hash table is built on the smaller input).

use std::sync::Arc;

use crate::error::Result;
use crate::expr::{BinaryOp, Expr};
use crate::logical::builder::LogicalPlanBuilder;
use crate::logical::{JoinKind, LogicalPlan};
use crate::optimizer::cost::{estimate_rows, join_rows_with, rows_from_inputs};
use crate::optimizer::rules::util::resolves_in;
use crate::schema::PlanSchema;

/// Largest join graph ordered exhaustively.
pub const DP_MAX_RELATIONS: usize = 10;

/// The join tree over `leaves` applying every one of `preds` (join keys where they
/// are equalities across the two inputs, join filters otherwise; predicates on no
/// relation pair end up in a filter on top).
pub fn order_joins(leaves: Vec<Arc<LogicalPlan>>, preds: Vec<Expr>) -> Result<Arc<LogicalPlan>> {
    if leaves.len() <= DP_MAX_RELATIONS
        && let Some(plan) = dp_order(&leaves, &preds)?
    {
        return Ok(plan);
    }
    greedy_order(leaves, preds)
}

/// Is `p` an equality with columns on both sides (a candidate join key)?
fn is_key_equality(p: &Expr) -> bool {
    matches!(p, Expr::Binary { op: BinaryOp::Eq, left, right }
        if !left.columns().is_empty() && !right.columns().is_empty())
}

/// The relations (bit i = `schemas[i]`) whose columns `p` reads.
fn relations_of(p: &Expr, schemas: &[Arc<PlanSchema>]) -> u32 {
    let mut mask = 0;
    for c in p.columns() {
        if let Some(i) = schemas
            .iter()
            .position(|s| s.find(c.relation.as_deref(), &c.name).is_some())
        {
            mask |= 1 << i;
        }
    }
    mask
}

/// Estimated rows of a join of two planned halves (`l` and `r` rows), under the
/// filter that holds its remaining predicates, without walking below the halves.
fn pair_rows(plan: &LogicalPlan, l: f64, r: f64) -> f64 {
    match plan {
        LogicalPlan::Filter { input, .. } => rows_from_inputs(plan, &[pair_rows(input, l, r)]),
        _ => rows_from_inputs(plan, &[l, r]),
    }
}

/// The best plan found for one subset of relations.
struct Best {
    plan: Arc<LogicalPlan>,
    rows: f64,
    cost: f64,
}

/// Exhaustive search over connected subsets; `None` when the relations are not all
/// connected by equalities.
fn dp_order(leaves: &[Arc<LogicalPlan>], preds: &[Expr]) -> Result<Option<Arc<LogicalPlan>>> {
    let n = leaves.len();
    let schemas: Vec<Arc<PlanSchema>> = leaves.iter().map(|l| l.schema()).collect();
    let masks: Vec<u32> = preds.iter().map(|p| relations_of(p, &schemas)).collect();
    let keys: Vec<bool> = preds.iter().map(is_key_equality).collect();
    let full: u32 = (1 << n) - 1;
    let mut best: Vec<Option<Best>> = (0..=full).map(|_| None).collect();
    for (i, leaf) in leaves.iter().enumerate() {
        best[1 << i] = Some(Best {
            plan: leaf.clone(),
            rows: estimate_rows(leaf),
            cost: 0.0,
        });
    }
    for set in 1..=full {
        if set.count_ones() < 2 {
            continue;
        }
        // The cheapest split of `set` into two planned halves joined by a key.
        let mut choice: Option<(u32, u32, f64)> = None;
        let low = set & set.wrapping_neg();
        let mut sub = (set - 1) & set;
        while sub > 0 {
            // Each unordered pair once: the half holding the lowest relation is `a`.
            if sub & low != 0 {
                let (a, b) = (sub, set ^ sub);
                if let (Some(ba), Some(bb)) = (&best[a as usize], &best[b as usize]) {
                    let connected = masks
                        .iter()
                        .zip(&keys)
                        .any(|(&m, &k)| k && m & set == m && m & a != 0 && m & b != 0);
                    if connected {
                        let cost = ba.cost + bb.cost + ba.rows.min(bb.rows);
                        if choice.is_none_or(|(_, _, c)| cost < c) {
                            choice = Some((a, b, cost));
                        }
                    }
                }
            }
            sub = (sub - 1) & set;
        }
        let Some((a, b, cost)) = choice else {
            continue;
        };
        let (ba, bb) = match (&best[a as usize], &best[b as usize]) {
            (Some(x), Some(y)) => (x, y),
            _ => continue,
        };
        // The larger half on the left (probe side), the smaller to build on.
        let (probe, build) = if ba.rows >= bb.rows {
            (ba, bb)
        } else {
            (bb, ba)
        };
        let applicable: Vec<Expr> = preds
            .iter()
            .zip(&masks)
            .filter(|&(_, &m)| m & set == m && m & a != 0 && m & b != 0)
            .map(|(p, _)| p.clone())
            .collect();
        let (plan, rest) = join_pair(probe.plan.clone(), build.plan.clone(), applicable)?;
        let plan = match Expr::conjunction(rest) {
            Some(p) => Arc::new(LogicalPlan::Filter {
                input: plan,
                predicate: p,
            }),
            None => plan,
        };
        let rows = pair_rows(&plan, probe.rows, build.rows);
        best[set as usize] = Some(Best {
            plan,
            rows,
            cost: cost + rows,
        });
    }
    let Some(done) = best[full as usize].take() else {
        return Ok(None);
    };
    // Predicates over a single relation or none (not expected after push-down, but
    // kept rather than lost).
    let leftover: Vec<Expr> = preds
        .iter()
        .zip(&masks)
        .filter(|&(_, &m)| m.count_ones() < 2)
        .map(|(p, _)| p.clone())
        .collect();
    Ok(Some(match Expr::conjunction(leftover) {
        Some(p) => Arc::new(LogicalPlan::Filter {
            input: done.plan,
            predicate: p,
        }),
        None => done.plan,
    }))
}

/// Joins `left` and `right` on those of `preds` that read both: equalities with one
/// side over each input become keys, the rest a join filter. Returns the join and
/// the predicates it could not use.
fn join_pair(
    left: Arc<LogicalPlan>,
    right: Arc<LogicalPlan>,
    preds: Vec<Expr>,
) -> Result<(Arc<LogicalPlan>, Vec<Expr>)> {
    let ls = left.schema();
    let rs = right.schema();
    let both = ls.join(&rs);
    let (usable, rest): (Vec<Expr>, Vec<Expr>) =
        preds.into_iter().partition(|p| resolves_in(p, &both));
    let mut keys = Vec::new();
    let mut filter = Vec::new();
    for p in usable {
        match p {
            Expr::Binary {
                left: a,
                op: BinaryOp::Eq,
                right: b,
            } if !a.columns().is_empty() && !b.columns().is_empty() => {
                if resolves_in(&a, &ls) && resolves_in(&b, &rs) {
                    keys.push((*a, *b));
                } else if resolves_in(&b, &ls) && resolves_in(&a, &rs) {
                    keys.push((*b, *a));
                } else {
                    filter.push(Expr::Binary {
                        left: a,
                        op: BinaryOp::Eq,
                        right: b,
                    });
                }
            }
            other => filter.push(other),
        }
    }
    let kind = if keys.is_empty() && filter.is_empty() {
        JoinKind::Cross
    } else {
        JoinKind::Inner
    };
    let plan = LogicalPlanBuilder::from_arc(left)
        .join_on(right, kind, keys, Expr::conjunction(filter))?
        .build_arc();
    Ok((plan, rest))
}

/// Builds a left-deep join tree: start from the largest leaf, then repeatedly add the
/// leaf connected to the joined set whose join is estimated smallest.
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
    let mut current_rows = sizes[start];
    while !remaining.is_empty() {
        let cur_schema = current.schema();
        let join_estimate = |i: usize| {
            let keys = connecting_keys(&preds, &cur_schema, &leaves[i].schema());
            if keys.is_empty() {
                f64::INFINITY
            } else {
                join_rows_with(&current, current_rows, &leaves[i], sizes[i], &keys)
            }
        };
        let pick = remaining
            .iter()
            .copied()
            .map(|i| (i, join_estimate(i)))
            .filter(|(_, e)| e.is_finite())
            .min_by(|a, b| a.1.total_cmp(&b.1).then(sizes[a.0].total_cmp(&sizes[b.0])))
            .map(|(i, _)| i)
            .or_else(|| {
                remaining
                    .iter()
                    .copied()
                    .min_by(|&a, &b| sizes[a].total_cmp(&sizes[b]))
            })
            .unwrap_or(remaining[0]);
        remaining.retain(|&i| i != pick);
        let (joined, rest) = join_pair(current, leaves[pick].clone(), preds)?;
        current_rows = pair_rows(&joined, current_rows, sizes[pick]);
        current = joined;
        preds = rest;
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
