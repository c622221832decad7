//! eliminate_redundant_sort: drops sorts whose order nobody can see.
//!
//! ```text
//! Sort: t.a ASC NULLS LAST                Sort: t.a ASC NULLS LAST
//!   Projection: t.a, t.b            ⇒       Projection: t.a, t.b
//!     Sort: t.b DESC NULLS FIRST              Scan: t
//!       Scan: t
//! ```
//! A sort's order is lost under another sort, under an aggregate or DISTINCT (they
//! hash their input), and on the build (right) side of a join; it survives the
//! projections, filters, aliases and UNION ALL between them, so the rule looks through
//! those. A limit stops the search: a sort under a limit picks which rows come out.

use std::sync::Arc;

use crate::error::Result;
use crate::logical::{LogicalPlan, Transformed};
use crate::optimizer::rule::OptimizerRule;

/// See the module documentation.
pub struct EliminateRedundantSort;

impl OptimizerRule for EliminateRedundantSort {
    fn name(&self) -> &'static str {
        "eliminate_redundant_sort"
    }

    fn rewrite(&self, plan: Arc<LogicalPlan>) -> Result<Transformed<Arc<LogicalPlan>>> {
        plan.transform_up(&mut drop_unseen_sorts)
    }
}

fn drop_unseen_sorts(node: Arc<LogicalPlan>) -> Result<Transformed<Arc<LogicalPlan>>> {
    let inputs = node.inputs();
    let order_unseen: Vec<bool> = match node.as_ref() {
        LogicalPlan::Sort { .. } | LogicalPlan::Aggregate { .. } | LogicalPlan::Distinct { .. } => {
            vec![true]
        }
        LogicalPlan::Join { .. } => vec![false, true],
        _ => return Ok(Transformed::no(node)),
    };
    let mut changed = false;
    let mut new_inputs = Vec::with_capacity(inputs.len());
    for (input, unseen) in inputs.into_iter().zip(order_unseen) {
        match unseen.then(|| without_sorts(input)).transpose()?.flatten() {
            Some(new) => {
                changed = true;
                new_inputs.push(new);
            }
            None => new_inputs.push(input.clone()),
        }
    }
    if !changed {
        return Ok(Transformed::no(node));
    }
    Ok(Transformed::yes(Arc::new(
        node.with_new_inputs(new_inputs)?,
    )))
}

/// `plan` without the sorts at its top (looking through nodes that keep row order),
/// or `None` when there are none.
fn without_sorts(plan: &Arc<LogicalPlan>) -> Result<Option<Arc<LogicalPlan>>> {
    match plan.as_ref() {
        LogicalPlan::Sort { input, .. } => Ok(Some(without_sorts(input)?.unwrap_or(input.clone()))),
        LogicalPlan::Projection { .. }
        | LogicalPlan::Filter { .. }
        | LogicalPlan::SubqueryAlias { .. }
        | LogicalPlan::Union { .. } => {
            let mut changed = false;
            let mut new_inputs = Vec::new();
            for i in plan.inputs() {
                match without_sorts(i)? {
                    Some(n) => {
                        changed = true;
                        new_inputs.push(n);
                    }
                    None => new_inputs.push(i.clone()),
                }
            }
            if changed {
                Ok(Some(Arc::new(plan.with_new_inputs(new_inputs)?)))
            } else {
                Ok(None)
            }
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{col, lit};
    use crate::logical::JoinKind;
    use crate::optimizer::rules::test_util::{t, u};

    fn run(plan: Arc<LogicalPlan>) -> String {
        let out = EliminateRedundantSort.rewrite(plan.clone()).unwrap().data;
        assert_eq!(out.schema(), plan.schema());
        out.display_indent()
    }

    #[test]
    fn sort_under_sort_goes() {
        let plan = t()
            .sort(vec![col("t.b").sort_desc()])
            .unwrap()
            .filter(col("t.a").gt(lit(1)))
            .unwrap()
            .sort(vec![col("t.a").sort_asc()])
            .unwrap()
            .build_arc();
        assert_eq!(
            run(plan),
            "Sort: t.a ASC NULLS LAST\n  Filter: t.a > 1\n    Scan: t\n"
        );
    }

    #[test]
    fn sort_under_a_limit_stays() {
        let plan = t()
            .sort(vec![col("t.b").sort_desc()])
            .unwrap()
            .limit(0, Some(3))
            .unwrap()
            .sort(vec![col("t.a").sort_asc()])
            .unwrap()
            .build_arc();
        let before = plan.display_indent();
        assert_eq!(run(plan), before);
    }

    #[test]
    fn sort_under_aggregate_and_join_build_side_goes() {
        let plan = t()
            .sort(vec![col("t.b").sort_desc()])
            .unwrap()
            .aggregate(vec![col("t.a")], vec![])
            .unwrap()
            .build_arc();
        assert_eq!(run(plan), "Aggregate: groupBy=[t.a], aggr=[]\n  Scan: t\n");

        let right = u().sort(vec![col("u.y").sort_asc()]).unwrap().build_arc();
        let plan = t()
            .sort(vec![col("t.b").sort_asc()])
            .unwrap()
            .join_on(right, JoinKind::Left, vec![(col("t.a"), col("u.x"))], None)
            .unwrap()
            .build_arc();
        assert_eq!(
            run(plan),
            "Left Join: on=[t.a = u.x]\n  Sort: t.b ASC NULLS LAST\n    Scan: t\n  Scan: u\n"
        );
    }

    #[test]
    fn a_final_sort_stays() {
        let plan = t().sort(vec![col("t.b").sort_desc()]).unwrap().build_arc();
        let before = plan.display_indent();
        assert_eq!(run(plan), before);
    }
}
