//! push_down_limit: moves a LIMIT towards the data, so fewer rows flow up.
//!
//! ```text
//! Limit: skip=0, fetch=10                 Projection: t.a
//!   Projection: t.a                 ⇒       Limit: skip=0, fetch=10
//!     Sort: t.b ASC NULLS LAST                Sort: t.b ASC NULLS LAST
//!       Scan: t                                 Scan: t
//!
//! Limit: skip=5, fetch=10                 Limit: skip=5, fetch=10
//!   Union: 2 inputs                 ⇒       Union: 2 inputs
//!     Scan: t                                 Limit: skip=0, fetch=15
//!     Scan: u                                   Scan: t
//!                                             Limit: skip=0, fetch=15
//!                                               Scan: u
//! ```
//! - through projections and aliases (they keep one output row per input row);
//! - over UNION ALL, each input gets a limit of `skip + fetch` too (the outer limit stays);
//! - over a sort of a UNION ALL, each input gets its own top-`skip + fetch` sort;
//! - a limit over a limit becomes one limit;
//! - `LIMIT 0` is an empty relation.
//!
//! A limit directly over a sort stays there: the physical planner turns that pair into
//! a top-k sort, and moving the limit up through projections lets it see the pair.

use std::sync::Arc;

use crate::error::Result;
use crate::expr::SortExpr;
use crate::logical::builder::field_column;
use crate::logical::{LogicalPlan, Transformed};
use crate::optimizer::rule::OptimizerRule;
use crate::optimizer::rules::util::replace_columns;

/// See the module documentation.
pub struct PushDownLimit;

impl OptimizerRule for PushDownLimit {
    fn name(&self) -> &'static str {
        "push_down_limit"
    }

    fn rewrite(&self, plan: Arc<LogicalPlan>) -> Result<Transformed<Arc<LogicalPlan>>> {
        plan.transform_down(&mut push_limit)
    }
}

fn push_limit(node: Arc<LogicalPlan>) -> Result<Transformed<Arc<LogicalPlan>>> {
    let LogicalPlan::Limit { input, skip, fetch } = node.as_ref() else {
        return Ok(Transformed::no(node));
    };
    let (skip, fetch) = (*skip, *fetch);
    if fetch == Some(0) {
        return Ok(Transformed::yes(Arc::new(LogicalPlan::Empty {
            produce_one_row: false,
            schema: input.schema(),
        })));
    }
    let limit = |input: Arc<LogicalPlan>, skip: usize, fetch: Option<usize>| {
        Arc::new(LogicalPlan::Limit { input, skip, fetch })
    };
    let out = match input.as_ref() {
        LogicalPlan::Limit {
            input: inner,
            skip: s2,
            fetch: f2,
        } => {
            // The inner limit yields rows s2..s2+f2; the outer one takes skip..skip+fetch of those.
            let left_after_skip = f2.map(|f| f.saturating_sub(skip));
            let fetch = match (fetch, left_after_skip) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            limit(inner.clone(), s2 + skip, fetch)
        }
        LogicalPlan::Projection { input: inner, .. }
        | LogicalPlan::SubqueryAlias { input: inner, .. } => {
            Arc::new(input.with_new_inputs(vec![limit(inner.clone(), skip, fetch)])?)
        }
        LogicalPlan::Union { inputs, schema } => {
            let Some(f) = fetch else {
                return Ok(Transformed::no(node));
            };
            let n = skip + f;
            if inputs.iter().all(|i| limited(i, n)) {
                return Ok(Transformed::no(node));
            }
            let inputs = inputs
                .iter()
                .map(|i| {
                    if limited(i, n) {
                        i.clone()
                    } else {
                        limit(i.clone(), 0, Some(n))
                    }
                })
                .collect();
            let union = Arc::new(LogicalPlan::Union {
                inputs,
                schema: schema.clone(),
            });
            limit(union, skip, fetch)
        }
        LogicalPlan::Sort {
            input: sorted,
            keys,
        } => {
            let (Some(f), LogicalPlan::Union { inputs, schema }) = (fetch, sorted.as_ref()) else {
                return Ok(Transformed::no(node));
            };
            let n = skip + f;
            if inputs.iter().all(|i| limited(i, n)) {
                return Ok(Transformed::no(node));
            }
            let mut new_inputs = Vec::with_capacity(inputs.len());
            for i in inputs {
                if limited(i, n) {
                    new_inputs.push(i.clone());
                    continue;
                }
                // The keys name the union's columns; each input has its own names.
                let is = i.schema();
                let keys: Vec<SortExpr> = keys
                    .iter()
                    .map(|k| SortExpr {
                        expr: replace_columns(k.expr.clone(), &|c| {
                            schema
                                .find(c.relation.as_deref(), &c.name)
                                .map(|idx| field_column(is.field(idx)))
                        }),
                        ..k.clone()
                    })
                    .collect();
                let sort = Arc::new(LogicalPlan::Sort {
                    input: i.clone(),
                    keys,
                });
                new_inputs.push(limit(sort, 0, Some(n)));
            }
            let union = Arc::new(LogicalPlan::Union {
                inputs: new_inputs,
                schema: schema.clone(),
            });
            let sort = Arc::new(LogicalPlan::Sort {
                input: union,
                keys: keys.clone(),
            });
            limit(sort, skip, fetch)
        }
        _ => return Ok(Transformed::no(node)),
    };
    Ok(Transformed::yes(out))
}

/// True when `plan` already yields at most `n` rows through a limit of its own (looking
/// through the projections and aliases a limit is pushed below).
fn limited(plan: &LogicalPlan, n: usize) -> bool {
    match plan {
        LogicalPlan::Limit {
            fetch: Some(f),
            skip: 0,
            ..
        } => *f <= n,
        LogicalPlan::Projection { input, .. } | LogicalPlan::SubqueryAlias { input, .. } => {
            limited(input, n)
        }
        LogicalPlan::Empty {
            produce_one_row, ..
        } => n >= usize::from(*produce_one_row),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::col;
    use crate::logical::LogicalPlanBuilder;
    use crate::optimizer::rules::test_util::{t, u};

    fn run(plan: Arc<LogicalPlan>) -> String {
        let out = PushDownLimit.rewrite(plan.clone()).unwrap().data;
        assert_eq!(out.schema(), plan.schema());
        // A second run changes nothing: the rule reaches a fixed point.
        let again = PushDownLimit.rewrite(out.clone()).unwrap();
        assert!(!again.transformed, "{}", again.data.display_indent());
        out.display_indent()
    }

    #[test]
    fn limit_moves_below_projection_onto_the_sort() {
        let plan = t()
            .sort(vec![col("t.b").sort_asc()])
            .unwrap()
            .project(vec![col("t.a")])
            .unwrap()
            .limit(0, Some(10))
            .unwrap()
            .build_arc();
        assert_eq!(
            run(plan),
            "Projection: t.a\n  Limit: skip=0, fetch=10\n    Sort: t.b ASC NULLS LAST\n      Scan: t\n"
        );
    }

    #[test]
    fn limit_over_union_limits_each_input() {
        let plan = t()
            .project(vec![col("t.a"), col("t.b")])
            .unwrap()
            .union(u().build_arc())
            .unwrap()
            .limit(5, Some(10))
            .unwrap()
            .build_arc();
        assert_eq!(
            run(plan),
            "Limit: skip=5, fetch=10\n  Union: 2 inputs\n    Projection: t.a, t.b\n      Limit: skip=0, fetch=15\n        Scan: t\n    Limit: skip=0, fetch=15\n      Scan: u\n"
        );
    }

    #[test]
    fn top_k_over_union_sorts_each_input() {
        let plan = t()
            .project(vec![col("t.a"), col("t.b")])
            .unwrap()
            .union(u().build_arc())
            .unwrap()
            .sort(vec![col("b").sort_desc()])
            .unwrap()
            .limit(0, Some(3))
            .unwrap()
            .build_arc();
        assert_eq!(
            run(plan),
            "Limit: skip=0, fetch=3\n  Sort: b DESC NULLS FIRST\n    Union: 2 inputs\n      Limit: skip=0, fetch=3\n        Sort: t.b DESC NULLS FIRST\n          Projection: t.a, t.b\n            Scan: t\n      Limit: skip=0, fetch=3\n        Sort: u.y DESC NULLS FIRST\n          Scan: u\n"
        );
    }

    #[test]
    fn limits_merge_and_limit_zero_is_empty() {
        let plan = t()
            .limit(2, Some(10))
            .unwrap()
            .limit(3, Some(20))
            .unwrap()
            .build_arc();
        assert_eq!(run(plan), "Limit: skip=5, fetch=7\n  Scan: t\n");
        let plan = t()
            .limit(3, None)
            .unwrap()
            .limit(1, Some(4))
            .unwrap()
            .build_arc();
        assert_eq!(run(plan), "Limit: skip=4, fetch=4\n  Scan: t\n");
        let plan = t().limit(0, Some(0)).unwrap().build_arc();
        assert_eq!(run(plan), "Empty: one_row=false\n");
    }

    #[test]
    fn limit_without_fetch_over_union_stays() {
        let plan = LogicalPlanBuilder::from_arc(
            t().project(vec![col("t.a"), col("t.b")])
                .unwrap()
                .build_arc(),
        )
        .union(u().build_arc())
        .unwrap()
        .limit(4, None)
        .unwrap()
        .build_arc();
        assert_eq!(
            run(plan),
            "Limit: skip=4, fetch=all\n  Union: 2 inputs\n    Projection: t.a, t.b\n      Scan: t\n    Scan: u\n"
        );
    }
}

#[cfg(test)]
mod with_sql {
    use std::sync::Arc;

    use crate::optimizer::Optimizer;
    use crate::sql::tests::TestCatalog;

    #[test]
    fn order_by_limit_puts_the_limit_on_the_sort_for_top_k() {
        let p = TestCatalog::new()
            .plan("select n_name from nation order by n_nationkey desc limit 3")
            .unwrap();
        let p = crate::analyzer::coerce_plan(Arc::new(p)).unwrap();
        let out = Optimizer::new().optimize(p).unwrap().display_indent();
        let lines: Vec<&str> = out.lines().map(str::trim).collect();
        let limit = lines
            .iter()
            .position(|l| l.starts_with("Limit: skip=0, fetch=3"))
            .unwrap_or_else(|| panic!("{out}"));
        assert!(lines[limit + 1].starts_with("Sort: "), "{out}");
    }
}
