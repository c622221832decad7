//! count_cross_join: counts the rows of a cross join without forming its pairs.
//!
//! ```text
//! Aggregate: groupBy=[], aggr=[count(*)]      Projection: __left_0 * __right_0 AS count(*)
//!   Cross Join                          ⇒       Cross Join
//!     Scan: a                                     Aggregate: groupBy=[], aggr=[count(*) AS __left_0]
//!     Scan: b                                       Scan: a
//!                                                 Aggregate: groupBy=[], aggr=[count(*) AS __right_0]
//!                                                   Scan: b
//! ```
//! A product of n and m rows has n × m rows, and `count(x)` of a column of one side
//! counts that side's non-NULL values once per row of the other side. So an ungrouped
//! aggregate whose calls are all plain counts (`count(*)`, `count(1)`, `count(x)`
//! with `x` from one side) of a join without any condition becomes the product of
//! counts of each side — two one-row aggregates whose cross join is one row. A side
//! that is itself such a join is counted the same way. Groups, DISTINCT, other
//! aggregates and joins with a condition are left alone.

use std::sync::Arc;

use crate::error::Result;
use crate::expr::{AggFunc, Expr};
use crate::logical::builder::LogicalPlanBuilder;
use crate::logical::{JoinKind, LogicalPlan, Transformed};
use crate::optimizer::rule::OptimizerRule;
use crate::schema::PlanSchema;

/// See the module documentation.
pub struct CountCrossJoin;

impl OptimizerRule for CountCrossJoin {
    fn name(&self) -> &'static str {
        "count_cross_join"
    }

    fn rewrite(&self, plan: Arc<LogicalPlan>) -> Result<Transformed<Arc<LogicalPlan>>> {
        plan.transform_up(&mut |node| {
            Ok(match count_product(&node)? {
                Some(new) => Transformed::yes(new),
                None => Transformed::no(node),
            })
        })
    }
}

/// Which side of the join a count reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    /// `count(*)` or a count of a constant: every pair.
    Both,
    Left,
    Right,
}

/// The rewritten `node`, when it is an ungrouped aggregate of plain counts over a join
/// without a condition.
fn count_product(node: &Arc<LogicalPlan>) -> Result<Option<Arc<LogicalPlan>>> {
    let LogicalPlan::Aggregate {
        input,
        group_by,
        aggregates,
        schema,
    } = node.as_ref()
    else {
        return Ok(None);
    };
    let LogicalPlan::Join {
        left,
        right,
        kind: JoinKind::Cross | JoinKind::Inner,
        on,
        filter: None,
        ..
    } = input.as_ref()
    else {
        return Ok(None);
    };
    if !group_by.is_empty() || !on.is_empty() || aggregates.is_empty() {
        return Ok(None);
    }
    let (left_schema, right_schema) = (left.schema(), right.schema());
    let mut sides = Vec::with_capacity(aggregates.len());
    for aggregate in aggregates {
        match plain_count(aggregate, &left_schema, &right_schema) {
            Some(side) => sides.push(side),
            None => return Ok(None),
        }
    }
    // Each side counts its rows (`__left_0`) and the values of each count of one of
    // its columns.
    let mut left_counts = vec![count_star().alias("__left_0")];
    let mut right_counts = vec![count_star().alias("__right_0")];
    let mut products = Vec::with_capacity(aggregates.len());
    for ((aggregate, side), field) in aggregates.iter().zip(&sides).zip(schema.fields.iter()) {
        let (l, r) = match side {
            Side::Both => ("__left_0".to_string(), "__right_0".to_string()),
            Side::Left => {
                let name = format!("__left_{}", left_counts.len());
                left_counts.push(unaliased(aggregate).clone().alias(&name));
                (name, "__right_0".to_string())
            }
            Side::Right => {
                let name = format!("__right_{}", right_counts.len());
                right_counts.push(unaliased(aggregate).clone().alias(&name));
                ("__left_0".to_string(), name)
            }
        };
        let product = column(&l).mul(column(&r)).alias(&field.name);
        products.push(product);
    }
    let count_side = |side: &Arc<LogicalPlan>, counts: Vec<Expr>| -> Result<Arc<LogicalPlan>> {
        let counted = LogicalPlanBuilder::from_arc(side.clone())
            .aggregate(vec![], counts)?
            .build_arc();
        // A side that is itself a join without a condition is counted the same way.
        Ok(count_product(&counted)?.unwrap_or(counted))
    };
    let left_counted = count_side(left, left_counts)?;
    let right_counted = count_side(right, right_counts)?;
    let plan = LogicalPlanBuilder::from_arc(left_counted)
        .cross_join(right_counted)?
        .project(products)?
        .build_arc();
    // The aggregate's output had no qualifier; the projection's names are the same.
    if plan
        .schema()
        .fields
        .iter()
        .map(|f| &f.name)
        .ne(schema.fields.iter().map(|f| &f.name))
    {
        return Ok(None);
    }
    Ok(Some(plan))
}

/// `count(*)`.
fn count_star() -> Expr {
    Expr::Aggregate {
        func: AggFunc::Count,
        args: vec![],
        distinct: false,
    }
}

/// An unqualified column reference.
fn column(name: &str) -> Expr {
    Expr::Column(crate::expr::Column::new(name))
}

/// `e` without its alias.
fn unaliased(e: &Expr) -> &Expr {
    match e {
        Expr::Alias { expr, .. } => unaliased(expr),
        e => e,
    }
}

/// Which side a plain count reads: `count(*)`, a count of a non-NULL constant, or of an
/// expression over the columns of one side. `None` for anything else.
fn plain_count(aggregate: &Expr, left: &PlanSchema, right: &PlanSchema) -> Option<Side> {
    let Expr::Aggregate {
        func: AggFunc::Count,
        args,
        distinct: false,
    } = unaliased(aggregate)
    else {
        return None;
    };
    match args.as_slice() {
        [] => Some(Side::Both),
        [Expr::Literal(value)] if !value.is_null() => Some(Side::Both),
        [arg] => {
            let columns = arg.columns();
            let within = |schema: &PlanSchema| {
                columns
                    .iter()
                    .all(|c| schema.index_of(c.relation.as_deref(), &c.name).is_ok())
            };
            match (columns.is_empty(), within(left), within(right)) {
                (false, true, false) => Some(Side::Left),
                (false, false, true) => Some(Side::Right),
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::col;
    use crate::optimizer::rules::test_util::{t, u};

    fn count(args: Vec<Expr>) -> Expr {
        Expr::Aggregate {
            func: AggFunc::Count,
            args,
            distinct: false,
        }
    }

    fn rewrite(plan: Arc<LogicalPlan>) -> Option<String> {
        let out = CountCrossJoin.rewrite(plan.clone()).unwrap();
        out.transformed.then(|| {
            assert_eq!(
                out.data
                    .schema()
                    .fields
                    .iter()
                    .map(|f| &f.name)
                    .collect::<Vec<_>>(),
                plan.schema()
                    .fields
                    .iter()
                    .map(|f| &f.name)
                    .collect::<Vec<_>>()
            );
            out.data.display_indent()
        })
    }

    #[test]
    fn counts_of_a_cross_join_become_products_of_counts() {
        let plan = t()
            .cross_join(u().build_arc())
            .unwrap()
            .aggregate(
                vec![],
                vec![
                    count(vec![]).alias("n"),
                    count(vec![col("t.a")]).alias("na"),
                    count(vec![col("u.x")]).alias("nx"),
                ],
            )
            .unwrap()
            .build_arc();
        let text = rewrite(plan).expect("rewritten");
        assert!(text.contains("__left_0 * __right_0 AS n"), "{text}");
        assert!(text.contains("__left_1 * __right_0 AS na"), "{text}");
        assert!(text.contains("__left_0 * __right_1 AS nx"), "{text}");
        assert!(!text.contains("Cross Join: on=[]\n    Scan"), "{text}");
    }

    fn three_way() -> Arc<LogicalPlan> {
        t().cross_join(u().build_arc())
            .unwrap()
            .cross_join(u().alias("v").unwrap().build_arc())
            .unwrap()
            .aggregate(vec![], vec![count(vec![])])
            .unwrap()
            .build_arc()
    }

    #[test]
    fn three_way_products_are_counted_side_by_side() {
        let text = rewrite(three_way()).expect("rewritten");
        // Every table is counted once, and every join is over one-row aggregates.
        assert_eq!(text.matches("Aggregate").count(), 3, "{text}");
        fn joins_over_counts(plan: &LogicalPlan) -> bool {
            let counted = |p: &Arc<LogicalPlan>| {
                matches!(
                    p.as_ref(),
                    LogicalPlan::Aggregate { .. } | LogicalPlan::Projection { .. }
                )
            };
            match plan {
                LogicalPlan::Join { left, right, .. } if !counted(left) || !counted(right) => false,
                _ => plan.inputs().into_iter().all(|p| joins_over_counts(p)),
            }
        }
        let out = CountCrossJoin.rewrite(three_way()).unwrap().data;
        assert!(joins_over_counts(&out), "{text}");
    }

    #[test]
    fn other_aggregates_groups_and_conditions_stay() {
        let cross = || t().cross_join(u().build_arc()).unwrap();
        let distinct = Expr::Aggregate {
            func: AggFunc::Count,
            args: vec![col("t.a")],
            distinct: true,
        };
        let sum = Expr::Aggregate {
            func: AggFunc::Sum,
            args: vec![col("t.a")],
            distinct: false,
        };
        let both = count(vec![col("t.a").add(col("u.x"))]);
        for aggregate in [distinct, sum, both] {
            let plan = cross()
                .aggregate(vec![], vec![aggregate])
                .unwrap()
                .build_arc();
            assert_eq!(rewrite(plan), None);
        }
        let grouped = cross()
            .aggregate(vec![col("t.a")], vec![count(vec![])])
            .unwrap()
            .build_arc();
        assert_eq!(rewrite(grouped), None);
        let on = t()
            .join_on(
                u().build_arc(),
                JoinKind::Inner,
                vec![(col("t.a"), col("u.x"))],
                None,
            )
            .unwrap()
            .aggregate(vec![], vec![count(vec![])])
            .unwrap()
            .build_arc();
        assert_eq!(rewrite(on), None);
    }
}
