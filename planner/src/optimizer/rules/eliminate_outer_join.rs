//! eliminate_outer_join: an outer join under a filter that drops every row whose
//! NULL-padded side is all NULL keeps no padded rows, so it can be a plainer join.
//!
//! ```text
//! Filter: u.y > 5                         Filter: u.y > 5
//!   Left Join: on=[t.a = u.x]       ⇒       Inner Join: on=[t.a = u.x]
//!     Scan: t                                 Scan: t
//!     Scan: u                                 Scan: u
//! ```
//! LEFT and RIGHT become INNER when the filter rejects NULLs from the padded side. FULL
//! becomes INNER when it rejects them from both sides; when it rejects a NULL left side
//! only, the rows left are those with a real left row, which is a LEFT join (and RIGHT
//! the other way round).
//!
//! A conjunct rejects NULLs from a side when it cannot be true once every column of that
//! side is NULL: a comparison, `IN`, `BETWEEN`, `LIKE`, `IS NOT NULL` or arithmetic over
//! one of the side's columns, `NOT` of one that is then NULL, an AND with one such
//! operand, an OR whose branches all are. `IS NULL`, `coalesce` and CASE never do.
//!
//! The filter may sit directly above the outer join or above inner joins over it (an
//! inner join's own condition rejects NULLs just as well); `push_down_filter` has put
//! the WHERE predicates there before this rule runs.

use std::sync::Arc;

use crate::error::Result;
use crate::expr::{BinaryOp, Expr};
use crate::logical::{JoinKind, LogicalPlan, LogicalPlanBuilder, Transformed};
use crate::optimizer::rule::OptimizerRule;
use crate::schema::PlanSchema;

/// See the module documentation.
pub struct EliminateOuterJoin;

impl OptimizerRule for EliminateOuterJoin {
    fn name(&self) -> &'static str {
        "eliminate_outer_join"
    }

    fn rewrite(&self, plan: Arc<LogicalPlan>) -> Result<Transformed<Arc<LogicalPlan>>> {
        plan.transform_up(&mut eliminate)
    }
}

fn eliminate(node: Arc<LogicalPlan>) -> Result<Transformed<Arc<LogicalPlan>>> {
    let LogicalPlan::Filter { input, predicate } = node.as_ref() else {
        return Ok(Transformed::no(node));
    };
    match convert(input, &predicate.clone().split_conjunction())? {
        Some(new_input) => Ok(Transformed::yes(Arc::new(LogicalPlan::Filter {
            input: new_input,
            predicate: predicate.clone(),
        }))),
        None => Ok(Transformed::no(node)),
    }
}

/// `plan` with its outer joins made plainer where `conjuncts` — true of every row
/// that survives above `plan` — reject their NULL padding; `None` when nothing changes.
/// Looks through filters and inner joins (whose own conditions then count too).
fn convert(plan: &Arc<LogicalPlan>, conjuncts: &[Expr]) -> Result<Option<Arc<LogicalPlan>>> {
    match plan.as_ref() {
        LogicalPlan::Filter { input, predicate } => {
            let mut all = conjuncts.to_vec();
            all.extend(predicate.clone().split_conjunction());
            Ok(convert(input, &all)?.map(|input| {
                Arc::new(LogicalPlan::Filter {
                    input,
                    predicate: predicate.clone(),
                })
            }))
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
            let rejects_left = conjuncts.iter().any(|c| rejects_nulls(c, &ls, &rs));
            let rejects_right = conjuncts.iter().any(|c| rejects_nulls(c, &rs, &ls));
            let new_kind = match (*kind, rejects_left, rejects_right) {
                (JoinKind::Left, _, true)
                | (JoinKind::Right, true, _)
                | (JoinKind::Full, true, true) => JoinKind::Inner,
                (JoinKind::Full, true, false) => JoinKind::Left,
                (JoinKind::Full, false, true) => JoinKind::Right,
                (k, _, _) => k,
            };
            let (mut new_left, mut new_right) = (None, None);
            if matches!(new_kind, JoinKind::Inner | JoinKind::Cross) {
                // Every row of an inner join also meets the join's own condition.
                let mut all = conjuncts.to_vec();
                all.extend(on.iter().map(|(l, r)| l.clone().eq(r.clone())));
                all.extend(
                    filter
                        .clone()
                        .map(Expr::split_conjunction)
                        .unwrap_or_default(),
                );
                new_left = convert(left, &all)?;
                new_right = convert(right, &all)?;
            }
            if new_kind == *kind && new_left.is_none() && new_right.is_none() {
                return Ok(None);
            }
            let join = LogicalPlanBuilder::from_arc(new_left.unwrap_or(left.clone()))
                .join_on(
                    new_right.unwrap_or(right.clone()),
                    new_kind,
                    on.clone(),
                    filter.clone(),
                )?
                .build_arc();
            Ok(Some(join))
        }
        _ => Ok(None),
    }
}

/// True when `pred` is never true for a row whose `side` columns are all NULL
/// (`other` is the join's other input, to tell which side a column belongs to).
fn rejects_nulls(pred: &Expr, side: &PlanSchema, other: &PlanSchema) -> bool {
    match pred {
        Expr::Binary {
            left,
            op: BinaryOp::And,
            right,
        } => rejects_nulls(left, side, other) || rejects_nulls(right, side, other),
        Expr::Binary {
            left,
            op: BinaryOp::Or,
            right,
        } => rejects_nulls(left, side, other) && rejects_nulls(right, side, other),
        Expr::Not(inner) => null_when_side_null(inner, side, other),
        Expr::IsNotNull(inner) => null_when_side_null(inner, side, other),
        Expr::Alias { expr, .. } => rejects_nulls(expr, side, other),
        e => null_when_side_null(e, side, other),
    }
}

/// True when `e` is NULL whenever every column of `side` is NULL: it reads such a
/// column through operators that give NULL for a NULL operand.
fn null_when_side_null(e: &Expr, side: &PlanSchema, other: &PlanSchema) -> bool {
    match e {
        Expr::Column(c) => {
            side.find(c.relation.as_deref(), &c.name).is_some()
                && other.find(c.relation.as_deref(), &c.name).is_none()
        }
        Expr::Binary { left, op, right } => match op {
            // NULL AND false is false, NULL OR true is true.
            // `||` is not assumed to give NULL for a NULL operand.
            BinaryOp::StringConcat => false,
            BinaryOp::And | BinaryOp::Or => {
                null_when_side_null(left, side, other) && null_when_side_null(right, side, other)
            }
            _ => null_when_side_null(left, side, other) || null_when_side_null(right, side, other),
        },
        Expr::Not(x) | Expr::Negative(x) | Expr::Cast { expr: x, .. } => {
            null_when_side_null(x, side, other)
        }
        Expr::Alias { expr, .. } => null_when_side_null(expr, side, other),
        Expr::InList { expr, .. } => null_when_side_null(expr, side, other),
        Expr::Between { expr, .. } => null_when_side_null(expr, side, other),
        Expr::Like { expr, pattern, .. } => {
            null_when_side_null(expr, side, other) || null_when_side_null(pattern, side, other)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{col, lit};
    use crate::optimizer::rules::test_util::{t, u};

    fn join_under(kind: JoinKind, pred: Expr) -> String {
        let plan = t()
            .join_on(u().build_arc(), kind, vec![(col("t.a"), col("u.x"))], None)
            .unwrap()
            .filter(pred)
            .unwrap()
            .build_arc();
        let out = EliminateOuterJoin.rewrite(plan.clone()).unwrap().data;
        assert_eq!(out.schema().len(), plan.schema().len());
        let text = out.display_indent();
        text.lines().nth(1).unwrap().trim().to_string()
    }

    #[test]
    fn null_rejecting_filters_turn_outer_joins_inner() {
        let on = "Join: on=[t.a = u.x]";
        assert_eq!(
            join_under(JoinKind::Left, col("u.y").gt(lit(5))),
            format!("Inner {on}")
        );
        assert_eq!(
            join_under(JoinKind::Left, col("u.y").is_not_null()),
            format!("Inner {on}")
        );
        assert_eq!(
            join_under(
                JoinKind::Left,
                col("u.y").add(lit(1)).in_list(vec![lit(1), lit(2)])
            ),
            format!("Inner {on}")
        );
        assert_eq!(
            join_under(
                JoinKind::Left,
                Expr::Not(Box::new(col("u.y").eq(col("t.b"))))
            ),
            format!("Inner {on}")
        );
        assert_eq!(
            join_under(
                JoinKind::Left,
                col("u.y").gt(lit(1)).or(col("u.x").lt(lit(0)))
            ),
            format!("Inner {on}")
        );
        assert_eq!(
            join_under(JoinKind::Right, col("t.b").lt(lit(3))),
            format!("Inner {on}")
        );
        assert_eq!(
            join_under(
                JoinKind::Full,
                col("t.b").lt(lit(3)).and(col("u.y").gt(lit(0)))
            ),
            format!("Inner {on}")
        );
        assert_eq!(
            join_under(JoinKind::Full, col("t.b").lt(lit(3))),
            format!("Left {on}")
        );
        assert_eq!(
            join_under(JoinKind::Full, col("u.y").lt(lit(3))),
            format!("Right {on}")
        );
    }

    #[test]
    fn looks_through_inner_joins_and_their_conditions() {
        // Filter over (t LEFT JOIN u) JOIN v ON u.y = v.x: the inner join's condition
        // rejects a NULL u.y, so the left join becomes inner.
        let v = || {
            crate::optimizer::rules::test_util::scan(
                "v",
                &[("x", arrow::datatypes::DataType::Int64, true)],
            )
        };
        let outer = t()
            .join_on(
                u().build_arc(),
                JoinKind::Left,
                vec![(col("t.a"), col("u.x"))],
                None,
            )
            .unwrap();
        let plan = outer
            .join_on(
                v().build_arc(),
                JoinKind::Inner,
                vec![(col("u.y"), col("v.x"))],
                None,
            )
            .unwrap()
            .filter(col("t.b").gt(lit(0)))
            .unwrap()
            .build_arc();
        let out = EliminateOuterJoin.rewrite(plan).unwrap().data;
        assert_eq!(
            out.display_indent(),
            "Filter: t.b > 0\n  Inner Join: on=[u.y = v.x]\n    Inner Join: on=[t.a = u.x]\n      Scan: t\n      Scan: u\n    Scan: v\n"
        );
        // A condition over the preserved side only does not.
        let outer = t()
            .join_on(
                u().build_arc(),
                JoinKind::Left,
                vec![(col("t.a"), col("u.x"))],
                None,
            )
            .unwrap();
        let plan = outer
            .join_on(
                v().build_arc(),
                JoinKind::Inner,
                vec![(col("t.b"), col("v.x"))],
                None,
            )
            .unwrap()
            .filter(col("t.b").gt(lit(0)))
            .unwrap()
            .build_arc();
        let out = EliminateOuterJoin.rewrite(plan).unwrap();
        assert!(!out.transformed, "{}", out.data.display_indent());
    }

    #[test]
    fn filters_that_keep_padded_rows_leave_the_join_alone() {
        let on = "Join: on=[t.a = u.x]";
        // Rows padded with NULLs pass these.
        for p in [
            col("u.y").is_null(),
            Expr::Function {
                name: "coalesce".into(),
                args: vec![col("u.y"), lit(0)],
            }
            .eq(lit(0)),
            col("u.y").gt(lit(1)).or(col("t.b").gt(lit(1))),
            Expr::Not(Box::new(col("u.y").is_null())).or(lit(true)),
            col("t.b").gt(lit(5)),
        ] {
            assert_eq!(
                join_under(JoinKind::Left, p.clone()),
                format!("Left {on}"),
                "{p}"
            );
        }
        assert_eq!(
            join_under(JoinKind::Right, col("u.y").gt(lit(1))),
            format!("Right {on}")
        );
    }
}
