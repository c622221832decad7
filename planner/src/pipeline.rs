//! The query pipeline in one call: analyze (type coercion) → decorrelate → optimize →
//! physical planning, keeping every stage's plan so that EXPLAIN, caching and running a
//! query all read the same single run.
//!
//! In: a logical plan as built (from SQL or a DataFrame) and the [`PipelineSettings`].
//! Out: a [`PlannedQuery`] with the plan after each stage, the optimizer's rule trace
//! (for EXPLAIN VERBOSE) and each physical node's estimated rows.
//! Imports the analyzer, the optimizer and the physical planner; nothing runs here.

use std::sync::Arc;

use crate::analyzer::coerce_plan;
use crate::error::Result;
use crate::logical::LogicalPlan;
use crate::optimizer::cost::Estimate;
use crate::optimizer::{Optimizer, OptimizerStep, decorrelate};
use crate::physical::PhysicalPlan;
use crate::physical::planner::{PhysicalPlanner, PhysicalPlannerConfig};

/// What the pipeline needs to know of the session.
pub struct PipelineSettings {
    /// The rule batches to run; `None` runs none (subqueries are still decorrelated).
    pub optimizer: Option<Optimizer>,
    /// Settings of the physical planner.
    pub physical: PhysicalPlannerConfig,
}

/// Every stage's plan of one query.
#[derive(Debug, Clone)]
pub struct PlannedQuery {
    /// The plan with types coerced.
    pub analyzed: Arc<LogicalPlan>,
    /// The plan with subquery expressions turned into joins.
    pub decorrelated: Arc<LogicalPlan>,
    /// The plan after every rule batch.
    pub optimized: Arc<LogicalPlan>,
    /// The physical plan of `optimized`.
    pub physical: Arc<PhysicalPlan>,
    /// Each physical node's estimated output rows and where they came from, in
    /// pre-order ([`PhysicalPlan::preorder`]); `None` where no estimate was made.
    pub estimates: Vec<Option<Estimate>>,
    /// The plan after every rule that changed it, in the order they ran.
    pub rule_trace: Vec<OptimizerStep>,
}

/// The batch of rules that turns subqueries into joins.
const DECORRELATE_BATCH: &str = "decorrelate";

/// Runs every stage of the pipeline over `plan`, each once.
pub fn plan_query(plan: Arc<LogicalPlan>, settings: &PipelineSettings) -> Result<PlannedQuery> {
    let analyzed = coerce_plan(plan)?;
    let mut rule_trace = Vec::new();
    let (decorrelated, optimized) = match &settings.optimizer {
        // Without rule batches, subqueries still have to become joins.
        None => {
            let decorrelated = decorrelate(analyzed.clone())?;
            (decorrelated.clone(), decorrelated)
        }
        Some(optimizer) if optimizer.batch_names().contains(&DECORRELATE_BATCH) => {
            let optimized =
                optimizer.optimize_with(analyzed.clone(), &mut |s| rule_trace.push(s))?;
            let decorrelated = rule_trace
                .iter()
                .rev()
                .find(|s| s.batch == DECORRELATE_BATCH)
                .map_or_else(|| analyzed.clone(), |s| s.plan.clone());
            (decorrelated, optimized)
        }
        Some(optimizer) => {
            let decorrelated = decorrelate(analyzed.clone())?;
            let optimized =
                optimizer.optimize_with(decorrelated.clone(), &mut |s| rule_trace.push(s))?;
            (decorrelated, optimized)
        }
    };
    let planner = PhysicalPlanner::new(settings.physical.clone());
    let (physical, estimates) = planner.plan_with_estimates(&optimized)?;
    Ok(PlannedQuery {
        analyzed,
        decorrelated,
        optimized,
        physical,
        estimates,
        rule_trace,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{col, lit};
    use crate::optimizer::optimizer_runs_on_this_thread;
    use crate::optimizer::rules::test_util::t;

    fn settings(optimizer: Option<Optimizer>) -> PipelineSettings {
        PipelineSettings {
            optimizer,
            physical: PhysicalPlannerConfig::default(),
        }
    }

    fn filtered_scan() -> Arc<LogicalPlan> {
        t().filter(col("t.a").gt(lit(1)).and(lit(true)))
            .map(|b| b.build_arc())
            .expect("a filter over t")
    }

    #[test]
    fn one_call_runs_the_optimizer_once_and_keeps_every_stage() {
        let before = optimizer_runs_on_this_thread();
        let q = plan_query(filtered_scan(), &settings(Some(Optimizer::new())))
            .expect("the query plans");
        assert_eq!(optimizer_runs_on_this_thread() - before, 1);
        // Simplification dropped `AND true`, and the trace shows the rule that did it.
        assert!(q.analyzed.display_indent().contains("AND true"), "{q:?}");
        assert!(!q.optimized.display_indent().contains("AND true"), "{q:?}");
        assert!(
            q.rule_trace
                .iter()
                .any(|s| s.rule == "simplify_expressions"),
            "{:?}",
            q.rule_trace
        );
        assert_eq!(
            q.rule_trace.last().map(|s| s.plan.display_indent()),
            Some(q.optimized.display_indent())
        );
        assert_eq!(q.estimates.len(), q.physical.preorder().len());
    }

    #[test]
    fn without_rule_batches_the_plan_is_only_decorrelated() {
        let before = optimizer_runs_on_this_thread();
        let q = plan_query(filtered_scan(), &settings(None)).expect("the query plans");
        assert_eq!(optimizer_runs_on_this_thread(), before);
        assert!(q.rule_trace.is_empty());
        assert_eq!(
            q.optimized.display_indent(),
            q.decorrelated.display_indent()
        );
        assert_eq!(q.decorrelated.display_indent(), q.analyzed.display_indent());
    }
}
