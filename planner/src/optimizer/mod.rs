//! The optimizer: named batches of rewrite rules run to a fixed point, in one
//! ordered list, checking after each rule that the plan's output schema is unchanged.
//!
//! - [`rule`]: the [`OptimizerRule`] trait.
//! - [`rules`]: one rewrite per file.
//! - [`decorrelate`]: subqueries to joins, for callers running without the rule batches.
//! - [`cost`]: statistics and cardinality estimates the cost-based rules use.

pub mod cost;
pub mod rule;
pub mod rules;

use std::cell::Cell;
use std::sync::Arc;

use crate::error::{PlanError, Result};
use crate::logical::LogicalPlan;

pub use rule::OptimizerRule;

thread_local! {
    /// Optimizer runs started on this thread.
    static RUNS: Cell<usize> = const { Cell::new(0) };
}

/// How many optimizer runs this thread has started, or other threads have started on
/// its behalf (see [`count_runs_on_this_thread`]), so tests can check that a query is
/// optimized once.
pub fn optimizer_runs_on_this_thread() -> usize {
    RUNS.with(Cell::get)
}

/// Counts `runs` optimizer runs as this thread's: a thread that plans for another (one
/// with a larger stack) hands its count back to the thread that waited for it.
pub fn count_runs_on_this_thread(runs: usize) {
    RUNS.with(|r| r.set(r.get() + runs));
}

/// A named group of rules run together until none changes the plan.
pub struct RuleBatch {
    /// Name shown by EXPLAIN VERBOSE and used by config switches.
    pub name: &'static str,
    /// The rules, in order.
    pub rules: Vec<Box<dyn OptimizerRule>>,
    /// Passes over the batch before giving up on a fixed point.
    pub max_passes: usize,
}

/// One step of optimization, for EXPLAIN VERBOSE.
#[derive(Debug, Clone)]
pub struct OptimizerStep {
    /// Batch name.
    pub batch: &'static str,
    /// Rule name.
    pub rule: String,
    /// The plan after the rule.
    pub plan: Arc<LogicalPlan>,
}

/// Runs rule batches over a logical plan.
pub struct Optimizer {
    batches: Vec<RuleBatch>,
}

impl Default for Optimizer {
    fn default() -> Self {
        Self::new()
    }
}

impl Optimizer {
    /// The standard rule list. Order matters:
    /// 0. `decorrelate` first: subqueries become joins (the later rules and the physical
    ///    planner know nothing of subquery expressions);
    /// 1. `simplify`: constants are folded and filters that keep every row (or none)
    ///    vanish before anything moves them around; `factor_or_conjuncts` then makes
    ///    the join predicates hidden in an OR of ANDs (TPC-H Q19) plain conjuncts that
    ///    push-down can turn into join keys, and `derive_or_filters` adds the per-table
    ///    predicates such an OR implies (TPC-H Q7, Q19), for push-down to move below
    ///    the joins;
    /// 2. `push_down` turns WHERE equalities over cross joins into join keys
    ///    and moves single-table predicates to the scans, which `reorder_joins` needs
    ///    to see the join graph and the filtered sizes; `push_down_semi_join` then moves
    ///    semi and anti joins (decorrelated subqueries) to the join input they filter,
    ///    which needs the cross joins already turned into inner joins;
    /// 3. `outer_joins` needs push-down done: it looks for a filter above an outer join
    ///    (directly or over inner joins), where push-down leaves whatever it could not
    ///    move into the join; an outer join it makes inner gives `reorder_joins` more
    ///    joins to order;
    /// 4. `join_order`: `reorder_joins` then picks the join order; a second push-down
    ///    pass moves predicates that reordering, or an outer join made inner, left above
    ///    the joins. (No batch before this one pushes filters again, so that switching
    ///    `push_down` off shows what it does.)
    /// 5. `aggregates`: with the joins final, counts over joins without a condition
    ///    become products of each side's counts;
    /// 6. `sort_limit` after every filter has moved (filters do not pass a limit):
    ///    sorts nobody sees go first, so that a limit lands on the sort that matters,
    ///    then limits move down (a limit over a sort stays: that pair is a top-k);
    /// 7. `prune` runs last, once every column reference is final; projections left
    ///    outputting exactly their input go after pruning has settled the columns.
    pub fn new() -> Self {
        use rules::*;
        Optimizer {
            batches: vec![
                RuleBatch {
                    name: "decorrelate",
                    rules: vec![
                        Box::new(DecorrelatePredicateSubquery),
                        Box::new(DecorrelateScalarSubquery),
                    ],
                    max_passes: 16,
                },
                RuleBatch {
                    name: "simplify",
                    rules: vec![
                        Box::new(SimplifyExpressions),
                        Box::new(FactorOrConjuncts),
                        Box::new(DeriveOrFilters),
                    ],
                    max_passes: 3,
                },
                RuleBatch {
                    name: "push_down",
                    rules: vec![Box::new(PushDownFilter), Box::new(PushDownSemiJoin)],
                    max_passes: 5,
                },
                RuleBatch {
                    name: "outer_joins",
                    rules: vec![Box::new(EliminateOuterJoin)],
                    max_passes: 2,
                },
                RuleBatch {
                    name: "join_order",
                    rules: vec![Box::new(ReorderJoins), Box::new(PushDownFilter)],
                    max_passes: 1,
                },
                RuleBatch {
                    name: "aggregates",
                    rules: vec![Box::new(CountCrossJoin)],
                    max_passes: 1,
                },
                RuleBatch {
                    name: "sort_limit",
                    rules: vec![Box::new(EliminateRedundantSort), Box::new(PushDownLimit)],
                    max_passes: 3,
                },
                RuleBatch {
                    name: "prune",
                    rules: vec![
                        Box::new(PruneProjections),
                        Box::new(RemoveRedundantProjection),
                    ],
                    max_passes: 1,
                },
            ],
        }
    }

    /// Removes the batch called `name` (for comparison and bisecting).
    pub fn without_batch(mut self, name: &str) -> Self {
        self.batches.retain(|b| b.name != name);
        self
    }

    /// The batch names, in order.
    pub fn batch_names(&self) -> Vec<&'static str> {
        self.batches.iter().map(|b| b.name).collect()
    }

    /// Each batch's name with the names of its rules, in order (for documentation).
    pub fn batch_rules(&self) -> Vec<(&'static str, Vec<&'static str>)> {
        self.batches
            .iter()
            .map(|b| (b.name, b.rules.iter().map(|r| r.name()).collect()))
            .collect()
    }

    /// Optimizes `plan`; `observer` sees the plan after every rule that changed it.
    pub fn optimize_with(
        &self,
        plan: Arc<LogicalPlan>,
        observer: &mut dyn FnMut(OptimizerStep),
    ) -> Result<Arc<LogicalPlan>> {
        RUNS.with(|runs| runs.set(runs.get() + 1));
        let mut plan = plan;
        for batch in &self.batches {
            for _ in 0..batch.max_passes.max(1) {
                let mut changed = false;
                for rule in &batch.rules {
                    let before = plan.schema();
                    let t = rule.rewrite(plan.clone())?;
                    if t.transformed {
                        let after = t.data.schema();
                        if !same_output(&before, &after) {
                            return Err(PlanError::internal(format!(
                                "rule {} changed the output schema from {before} to {after}",
                                rule.name()
                            )));
                        }
                        changed = true;
                        plan = t.data;
                        observer(OptimizerStep {
                            batch: batch.name,
                            rule: rule.name().to_string(),
                            plan: plan.clone(),
                        });
                    }
                }
                if !changed {
                    break;
                }
            }
        }
        Ok(plan)
    }

    /// Optimizes `plan`.
    pub fn optimize(&self, plan: Arc<LogicalPlan>) -> Result<Arc<LogicalPlan>> {
        self.optimize_with(plan, &mut |_| {})
    }
}

/// Turns every subquery expression of `plan` into joins (the `decorrelate` batch's
/// rules run to a fixed point), then checks that no subquery expression and no outer
/// column reference is left: a form the rules cannot rewrite is an Unsupported error
/// naming the expression. The output columns keep their names and types.
///
/// Call this even with the optimizer's batches switched off: the physical planner cannot
/// plan subquery expressions.
pub fn decorrelate(plan: Arc<LogicalPlan>) -> Result<Arc<LogicalPlan>> {
    let mut aliases = rules::subquery_util::AliasGen::for_plan(&plan);
    let before = plan.schema();
    let out = rules::decorrelate_tree::decorrelate_tree(plan, &mut aliases)?.data;
    if let Some(what) = rules::subquery_util::leftover(&out) {
        return Err(PlanError::unsupported(format!(
            "subquery that could not be decorrelated: {what}"
        )));
    }
    let after = out.schema();
    if !same_output(&before, &after) {
        return Err(PlanError::internal(format!(
            "decorrelation changed the output schema from {before} to {after}"
        )));
    }
    Ok(out)
}

/// Same column names and types (qualifiers and nullability may change).
fn same_output(a: &crate::schema::PlanSchema, b: &crate::schema::PlanSchema) -> bool {
    a.len() == b.len()
        && a.fields
            .iter()
            .zip(&b.fields)
            .all(|(x, y)| x.name == y.name && x.data_type == y.data_type)
}
