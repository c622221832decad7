//! The walk that decorrelates a whole plan: both decorrelation rules at every node,
//! bottom-up, until neither applies.
//!
//! In: a logical plan holding subquery expressions. Out: the plan with joins in their
//! place. A subquery nested in a subquery is decorrelated when its rule reaches it: the
//! rules call back into [`decorrelate_tree`] for the subquery's own plan, so this file
//! and the rules use each other by design (the recursion of nested queries); the
//! helpers they share (`subquery_util`) import neither.

use std::sync::Arc;

use crate::error::{PlanError, Result};
use crate::logical::{LogicalPlan, Transformed};
use crate::optimizer::rules::subquery_util::AliasGen;
use crate::optimizer::rules::{decorrelate_predicate_subquery, decorrelate_scalar_subquery};

/// Decorrelates every subquery in `plan` (nested ones first, as each is reached), with
/// both rules, until none applies. Outer columns that belong to queries enclosing `plan`
/// itself are left for the caller.
pub(crate) fn decorrelate_tree(
    plan: Arc<LogicalPlan>,
    aliases: &mut AliasGen,
) -> Result<Transformed<Arc<LogicalPlan>>> {
    let mut plan = plan;
    let mut changed = false;
    for _ in 0..32 {
        let t = plan.transform_up(&mut |node| {
            let a = decorrelate_predicate_subquery::rewrite_node(node, aliases)?;
            a.and_then(|node| decorrelate_scalar_subquery::rewrite_node(node, aliases))
        })?;
        plan = t.data;
        if !t.transformed {
            return Ok(Transformed::new(plan, changed));
        }
        changed = true;
    }
    Err(PlanError::internal(
        "decorrelation did not reach a fixed point",
    ))
}
