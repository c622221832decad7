//! push_down_semi_join: a semi or anti join over an inner join moves to the inner
//! join's input that holds every left-side column it reads, so it filters that input
//! before the join rather than the joined rows after it.
//!
//! ```text
//! LeftSemi Join: on=[o.key = s.key]              Inner Join: on=[l.key = o.key]
//!   Inner Join: on=[l.key = o.key]         ⇒       Scan: l
//!     Scan: l                                      LeftSemi Join: on=[o.key = s.key]
//!     Scan: o                                        Scan: o
//!   Scan: s                                          Scan: s
//! ```
//! Whether a row survives a semi or anti join depends on that row's own columns
//! only, so it can be decided before the inner join as well as after it (TPC-H Q18:
//! the 57 orders of the IN subquery are found before lineitem is joined, not after).
//! It moves only when the subquery side is estimated no larger than that input.

use std::sync::Arc;

use crate::error::Result;
use crate::expr::Expr;
use crate::logical::builder::LogicalPlanBuilder;
use crate::logical::{JoinKind, LogicalPlan, Transformed};
use crate::optimizer::cost::estimate_rows;
use crate::optimizer::rule::OptimizerRule;
use crate::optimizer::rules::util::resolves_in;
use crate::schema::PlanSchema;

/// See the module documentation.
pub struct PushDownSemiJoin;

impl OptimizerRule for PushDownSemiJoin {
    fn name(&self) -> &'static str {
        "push_down_semi_join"
    }

    fn rewrite(&self, plan: Arc<LogicalPlan>) -> Result<Transformed<Arc<LogicalPlan>>> {
        plan.transform_down(&mut push_semi)
    }
}

/// Does every column `e` reads from the semi join's left input resolve in `side`?
/// (Columns of the right input `right` may appear too, in the join filter.)
fn left_part_in(e: &Expr, side: &PlanSchema, right: &PlanSchema) -> bool {
    e.columns().iter().all(|c| {
        side.find(c.relation.as_deref(), &c.name).is_some()
            || right.find(c.relation.as_deref(), &c.name).is_some()
    })
}

fn push_semi(node: Arc<LogicalPlan>) -> Result<Transformed<Arc<LogicalPlan>>> {
    let LogicalPlan::Join {
        left,
        right,
        kind: kind @ (JoinKind::LeftSemi | JoinKind::LeftAnti | JoinKind::LeftAntiNullAware),
        on,
        filter,
        ..
    } = node.as_ref()
    else {
        return Ok(Transformed::no(node));
    };
    let LogicalPlan::Join {
        left: a,
        right: b,
        kind: inner @ (JoinKind::Inner | JoinKind::Cross),
        on: inner_on,
        filter: inner_filter,
        ..
    } = left.as_ref()
    else {
        return Ok(Transformed::no(node));
    };
    let right_schema = right.schema();
    let fits = |side: &PlanSchema| {
        on.iter().all(|(l, _)| resolves_in(l, side))
            && filter
                .as_ref()
                .is_none_or(|f| left_part_in(f, side, &right_schema))
    };
    let semi = |input: &Arc<LogicalPlan>| -> Result<Arc<LogicalPlan>> {
        Ok(LogicalPlanBuilder::from_arc(input.clone())
            .join_on(right.clone(), *kind, on.clone(), filter.clone())?
            .build_arc())
    };
    // Only where the subquery side is no larger than the input it would filter: a
    // large subquery (TPC-H Q21's second lineitem) is better met by the fewer rows
    // left after a selective inner join.
    let small_enough = |side: &LogicalPlan| estimate_rows(right) <= estimate_rows(side);
    let (new_a, new_b) = if fits(&a.schema()) && small_enough(a) {
        (semi(a)?, b.clone())
    } else if fits(&b.schema()) && small_enough(b) {
        (a.clone(), semi(b)?)
    } else {
        return Ok(Transformed::no(node));
    };
    let joined = LogicalPlanBuilder::from_arc(new_a)
        .join_on(new_b, *inner, inner_on.clone(), inner_filter.clone())?
        .build_arc();
    Ok(Transformed::yes(joined))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::col;
    use crate::optimizer::rules::test_util::scan;
    use arrow::datatypes::DataType;

    #[test]
    fn moves_below_the_inner_join_to_the_side_with_its_keys() {
        let l = scan("l", &[("k", DataType::Int64, true)]);
        let o = scan(
            "o",
            &[("k", DataType::Int64, true), ("x", DataType::Int64, true)],
        );
        let s = scan("s", &[("k", DataType::Int64, true)]);
        let plan = l
            .join_on(
                o.build_arc(),
                JoinKind::Inner,
                vec![(col("l.k"), col("o.k"))],
                None,
            )
            .unwrap()
            .join_on(
                s.build_arc(),
                JoinKind::LeftSemi,
                vec![(col("o.x"), col("s.k"))],
                None,
            )
            .unwrap()
            .build_arc();
        let out = PushDownSemiJoin.rewrite(plan.clone()).unwrap();
        assert!(out.transformed);
        assert_eq!(out.data.schema(), plan.schema());
        assert_eq!(
            out.data.display_indent(),
            "Inner Join: on=[l.k = o.k]\n  Scan: l\n  LeftSemi Join: on=[o.x = s.k]\n    Scan: o\n    Scan: s\n"
        );
    }

    #[test]
    fn stays_when_its_keys_span_both_sides() {
        let l = scan("l", &[("k", DataType::Int64, true)]);
        let o = scan("o", &[("k", DataType::Int64, true)]);
        let s = scan(
            "s",
            &[("a", DataType::Int64, true), ("b", DataType::Int64, true)],
        );
        let plan = l
            .join_on(
                o.build_arc(),
                JoinKind::Inner,
                vec![(col("l.k"), col("o.k"))],
                None,
            )
            .unwrap()
            .join_on(
                s.build_arc(),
                JoinKind::LeftAnti,
                vec![(col("l.k"), col("s.a")), (col("o.k"), col("s.b"))],
                None,
            )
            .unwrap()
            .build_arc();
        assert!(!PushDownSemiJoin.rewrite(plan).unwrap().transformed);
    }
}
