//! push_down_filter: moves predicates as close to the data as they can go, and turns
//! equalities between the two sides of a join into join keys.
//!
//! ```text
//! Filter: a.x = b.y AND a.z > 5          Inner Join: on=[a.x = b.y]
//!   Cross Join                      ⇒      Filter: a.z > 5
//!     Scan: a                                Scan: a filters=[a.z > 5]
//!     Scan: b                              Scan: b
//! ```
//! Predicates pass through projections (with the projected expressions inlined),
//! aliases, sorts and DISTINCT, through aggregates with a GROUP BY when they read only
//! grouping columns, through windows when they read only PARTITION BY columns, into
//! every input of a UNION ALL, into both sides of inner joins, into the preserved side
//! of outer joins (and an outer join's ON conjuncts over the NULL-supplying side alone
//! into that side), and into scans (as `filters` hints; the Filter above the scan
//! stays). They never pass a limit, nor an Expand: a predicate on a grouping column
//! would see the column before the grouping sets replace it by NULL.

use std::collections::HashSet;
use std::sync::Arc;

use crate::error::Result;
use crate::expr::{BinaryOp, Expr};
use crate::logical::builder::{LogicalPlanBuilder, field_column};
use crate::logical::{JoinKind, LogicalPlan, Transformed};
use crate::optimizer::rule::OptimizerRule;
use crate::optimizer::rules::util::{replace_columns, resolves_in};
use crate::schema::PlanSchema;

/// See the module documentation.
pub struct PushDownFilter;

impl OptimizerRule for PushDownFilter {
    fn name(&self) -> &'static str {
        "push_down_filter"
    }

    fn rewrite(&self, plan: Arc<LogicalPlan>) -> Result<Transformed<Arc<LogicalPlan>>> {
        let new = push(plan.clone(), vec![])?;
        if new.same_as(&plan) {
            Ok(Transformed::no(new))
        } else {
            Ok(Transformed::yes(new))
        }
    }
}

/// Pushes `preds` (over `plan`'s output) into `plan`, and optimizes below it.
fn push(plan: Arc<LogicalPlan>, mut preds: Vec<Expr>) -> Result<Arc<LogicalPlan>> {
    dedupe(&mut preds);
    match plan.as_ref() {
        LogicalPlan::Filter { input, predicate } => {
            preds.extend(predicate.clone().split_conjunction());
            push(input.clone(), preds)
        }
        LogicalPlan::Join {
            left,
            right,
            kind,
            on,
            filter,
            ..
        } => push_join(left, right, *kind, on, filter, preds),
        LogicalPlan::Projection { input, exprs, .. } => {
            let schema = plan.schema();
            let (movable, stay): (Vec<Expr>, Vec<Expr>) = preds.into_iter().partition(|p| {
                p.columns().iter().all(|c| {
                    schema
                        .index_of(c.relation.as_deref(), &c.name)
                        .is_ok_and(|i| !exprs[i].unalias().contains_aggregate())
                })
            });
            let inlined = movable
                .into_iter()
                .map(|p| {
                    replace_columns(p, &|c| {
                        schema
                            .find(c.relation.as_deref(), &c.name)
                            .map(|i| exprs[i].unalias().clone())
                    })
                })
                .collect();
            let new_input = push(input.clone(), inlined)?;
            let node = LogicalPlanBuilder::from_arc(new_input)
                .project(exprs.clone())?
                .build_arc();
            wrap(node, stay)
        }
        LogicalPlan::SubqueryAlias { input, .. } => {
            let schema = plan.schema();
            let in_schema = input.schema();
            let mapped = preds
                .into_iter()
                .map(|p| {
                    replace_columns(p, &|c| {
                        schema
                            .find(c.relation.as_deref(), &c.name)
                            .map(|i| field_column(in_schema.field(i)))
                    })
                })
                .collect();
            let new_input = push(input.clone(), mapped)?;
            Ok(Arc::new(plan.with_new_inputs(vec![new_input])?))
        }
        LogicalPlan::Aggregate {
            input,
            group_by,
            aggregates,
            ..
        } => {
            let schema = plan.schema();
            let n = group_by.len();
            // Without GROUP BY the aggregate yields one row even from no input rows, so
            // not even a constant predicate may go below it (`HAVING 1 = 2` keeps no row,
            // a filter below would leave `count(*) = 0`).
            let (movable, stay): (Vec<Expr>, Vec<Expr>) = preds.into_iter().partition(|p| {
                n > 0
                    && p.columns().iter().all(|c| {
                        schema
                            .index_of(c.relation.as_deref(), &c.name)
                            .is_ok_and(|i| i < n)
                    })
            });
            let inlined = movable
                .into_iter()
                .map(|p| {
                    replace_columns(p, &|c| {
                        schema
                            .find(c.relation.as_deref(), &c.name)
                            .map(|i| group_by[i].unalias().clone())
                    })
                })
                .collect();
            let new_input = push(input.clone(), inlined)?;
            let node = LogicalPlanBuilder::from_arc(new_input)
                .aggregate(group_by.clone(), aggregates.clone())?
                .build_arc();
            wrap(node, stay)
        }
        LogicalPlan::Window { input, exprs, .. } => {
            // A predicate on PARTITION BY columns only removes whole partitions, so it
            // may run first; anything else would change what the windows see.
            let keys: Vec<Expr> = match exprs.first().map(|e| e.unalias()) {
                Some(Expr::Window(w)) => w.partition_by.clone(),
                _ => vec![],
            };
            let in_schema = input.schema();
            let (movable, stay): (Vec<Expr>, Vec<Expr>) = preds.into_iter().partition(|p| {
                let cols = p.columns();
                !cols.is_empty()
                    && cols.iter().all(|c| {
                        in_schema.find(c.relation.as_deref(), &c.name).is_some()
                            && keys.iter().any(|k| match k {
                                Expr::Column(kc) => {
                                    in_schema.find(kc.relation.as_deref(), &kc.name)
                                        == in_schema.find(c.relation.as_deref(), &c.name)
                                }
                                _ => false,
                            })
                    })
            });
            let new_input = push(input.clone(), movable)?;
            let node = LogicalPlanBuilder::from_arc(new_input)
                .window(exprs.clone())?
                .build_arc();
            wrap(node, stay)
        }
        LogicalPlan::Sort { input, keys } => {
            let new_input = push(input.clone(), preds)?;
            Ok(Arc::new(LogicalPlan::Sort {
                input: new_input,
                keys: keys.clone(),
            }))
        }
        LogicalPlan::Distinct { input } => {
            let new_input = push(input.clone(), preds)?;
            Ok(Arc::new(LogicalPlan::Distinct { input: new_input }))
        }
        LogicalPlan::Scan { filters, .. } => {
            let mut all = filters.clone();
            for p in &preds {
                if !all.contains(p) && !p.columns().is_empty() {
                    all.push(p.clone());
                }
            }
            let scan = Arc::new(plan.with_scan_filters(all));
            wrap(scan, preds)
        }
        LogicalPlan::Union { inputs, schema } => {
            // Each input gets the predicates over its own columns (same positions).
            let mut new_inputs = Vec::with_capacity(inputs.len());
            for input in inputs {
                let in_schema = input.schema();
                let mapped = preds
                    .iter()
                    .map(|p| {
                        replace_columns(p.clone(), &|c| {
                            schema
                                .find(c.relation.as_deref(), &c.name)
                                .map(|i| field_column(in_schema.field(i)))
                        })
                    })
                    .collect();
                new_inputs.push(push(input.clone(), mapped)?);
            }
            Ok(Arc::new(LogicalPlan::Union {
                inputs: new_inputs,
                schema: schema.clone(),
            }))
        }
        _ => {
            // Limit, Expand, Values, Empty: predicates stay above; optimize below.
            let inputs = plan
                .inputs()
                .into_iter()
                .map(|i| push(i.clone(), vec![]))
                .collect::<Result<Vec<_>>>()?;
            let node = if inputs.is_empty() {
                plan.clone()
            } else {
                Arc::new(plan.with_new_inputs(inputs)?)
            };
            wrap(node, preds)
        }
    }
}

fn push_join(
    left: &Arc<LogicalPlan>,
    right: &Arc<LogicalPlan>,
    kind: JoinKind,
    on: &[(Expr, Expr)],
    filter: &Option<Expr>,
    preds: Vec<Expr>,
) -> Result<Arc<LogicalPlan>> {
    let ls = left.schema();
    let rs = right.schema();
    let mut to_left = Vec::new();
    let mut to_right = Vec::new();
    let mut keys: Vec<(Expr, Expr)> = on.to_vec();
    let mut join_filter = Vec::new();
    let mut above = Vec::new();
    let on_conjuncts: Vec<Expr> = filter
        .clone()
        .map(|f| f.split_conjunction())
        .unwrap_or_default();

    match kind {
        JoinKind::Inner | JoinKind::Cross => {
            for p in preds.into_iter().chain(on_conjuncts) {
                classify_inner(
                    p,
                    &ls,
                    &rs,
                    &mut to_left,
                    &mut to_right,
                    &mut keys,
                    &mut join_filter,
                );
            }
        }
        // A mark join keeps every left row once; a null-aware one's first key pair stays
        // first (keys found here are appended after it).
        JoinKind::Left
        | JoinKind::LeftSemi
        | JoinKind::LeftAnti
        | JoinKind::LeftAntiNullAware
        | JoinKind::LeftMark
        | JoinKind::LeftMarkNullAware => {
            let sides = OuterSides {
                preserved: &ls,
                other: &rs,
            };
            above = sides.split_where(preds, &mut to_left);
            for p in on_conjuncts {
                sides.split_on(p, &ls, &rs, &mut to_right, &mut keys, &mut join_filter);
            }
        }
        JoinKind::Right => {
            let sides = OuterSides {
                preserved: &rs,
                other: &ls,
            };
            above = sides.split_where(preds, &mut to_right);
            for p in on_conjuncts {
                sides.split_on(p, &ls, &rs, &mut to_left, &mut keys, &mut join_filter);
            }
        }
        JoinKind::Full => {
            above = preds;
            for p in on_conjuncts {
                match as_key(&p, &ls, &rs) {
                    Some(k) => keys.push(k),
                    None => join_filter.push(p),
                }
            }
        }
    }
    let new_left = push(left.clone(), to_left)?;
    let new_right = push(right.clone(), to_right)?;
    dedupe(&mut join_filter);
    let kind = if kind == JoinKind::Cross && (!keys.is_empty() || !join_filter.is_empty()) {
        JoinKind::Inner
    } else {
        kind
    };
    let node = LogicalPlanBuilder::from_arc(new_left)
        .join_on(new_right, kind, keys, Expr::conjunction(join_filter))?
        .build_arc();
    wrap(node, above)
}

/// The two inputs of an outer join: the preserved side keeps every row, the other
/// side supplies NULLs.
struct OuterSides<'a> {
    preserved: &'a PlanSchema,
    other: &'a PlanSchema,
}

impl OuterSides<'_> {
    /// WHERE conjuncts over the preserved side alone go down to it; the rest stay above.
    fn split_where(&self, preds: Vec<Expr>, to_preserved: &mut Vec<Expr>) -> Vec<Expr> {
        let mut above = Vec::new();
        for p in preds {
            if resolves_in(&p, self.preserved) && !resolves_in(&p, self.other)
                || p.columns().is_empty()
            {
                to_preserved.push(p)
            } else {
                above.push(p)
            }
        }
        above
    }

    /// An ON conjunct over the NULL-supplying side alone filters that side before the
    /// join; an equality across is a key; anything else stays in the join filter.
    fn split_on(
        &self,
        p: Expr,
        ls: &PlanSchema,
        rs: &PlanSchema,
        to_other: &mut Vec<Expr>,
        keys: &mut Vec<(Expr, Expr)>,
        join_filter: &mut Vec<Expr>,
    ) {
        if !p.columns().is_empty()
            && resolves_in(&p, self.other)
            && !resolves_in(&p, self.preserved)
        {
            to_other.push(p);
        } else if let Some(k) = as_key(&p, ls, rs) {
            keys.push(k);
        } else {
            join_filter.push(p);
        }
    }
}

/// Sorts one conjunct of an inner join: to a side, into the keys, or into the join filter.
fn classify_inner(
    p: Expr,
    ls: &PlanSchema,
    rs: &PlanSchema,
    to_left: &mut Vec<Expr>,
    to_right: &mut Vec<Expr>,
    keys: &mut Vec<(Expr, Expr)>,
    join_filter: &mut Vec<Expr>,
) {
    // A constant predicate resolves everywhere; it goes left like any left-only one.
    if resolves_in(&p, ls) {
        to_left.push(p);
    } else if resolves_in(&p, rs) {
        to_right.push(p);
    } else if let Some(k) = as_key(&p, ls, rs) {
        if !keys.contains(&k) {
            keys.push(k);
        }
    } else {
        join_filter.push(p);
    }
}

/// `l = r` with one side over each input, as a key pair (left expr, right expr).
fn as_key(p: &Expr, ls: &PlanSchema, rs: &PlanSchema) -> Option<(Expr, Expr)> {
    let Expr::Binary {
        left,
        op: BinaryOp::Eq,
        right,
    } = p
    else {
        return None;
    };
    let l_cols = !left.columns().is_empty();
    let r_cols = !right.columns().is_empty();
    if !l_cols || !r_cols {
        return None;
    }
    if resolves_in(left, ls) && resolves_in(right, rs) {
        Some((*left.clone(), *right.clone()))
    } else if resolves_in(left, rs) && resolves_in(right, ls) {
        Some((*right.clone(), *left.clone()))
    } else {
        None
    }
}

fn wrap(node: Arc<LogicalPlan>, preds: Vec<Expr>) -> Result<Arc<LogicalPlan>> {
    match Expr::conjunction(preds) {
        Some(p) => Ok(Arc::new(LogicalPlan::Filter {
            input: node,
            predicate: p,
        })),
        None => Ok(node),
    }
}

fn dedupe(preds: &mut Vec<Expr>) {
    if preds.len() < 2 {
        return;
    }
    let mut seen = HashSet::new();
    preds.retain(|p| seen.insert(p.to_string()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{col, lit};
    use crate::sql::tests::TestCatalog;

    fn plan(sql: &str) -> Arc<LogicalPlan> {
        let p = TestCatalog::new().plan(sql).unwrap();
        crate::analyzer::coerce_plan(Arc::new(p)).unwrap()
    }

    #[test]
    fn semi_and_anti_joins_take_left_predicates_left_and_right_only_filters_right() {
        for kind in [
            JoinKind::LeftSemi,
            JoinKind::LeftAnti,
            JoinKind::LeftAntiNullAware,
        ] {
            let left = plan("select c_custkey, c_acctbal from customer");
            let right = plan("select o_custkey, o_totalprice from orders");
            let join = LogicalPlanBuilder::from_arc(left)
                .join_on(
                    right,
                    kind,
                    vec![(col("customer.c_custkey"), col("orders.o_custkey"))],
                    Some(
                        col("orders.o_totalprice")
                            .gt(lit(5))
                            .and(col("orders.o_totalprice").gt(col("customer.c_acctbal"))),
                    ),
                )
                .unwrap()
                .filter(col("customer.c_acctbal").gt(lit(0)))
                .unwrap()
                .build_arc();
            let out = PushDownFilter.rewrite(join).unwrap().data;
            let text = out.display_indent();
            let lines: Vec<&str> = text.lines().map(str::trim).collect();
            assert_eq!(
                lines[0],
                format!(
                    "{kind} Join: on=[customer.c_custkey = orders.o_custkey] \
                     filter=orders.o_totalprice > customer.c_acctbal"
                ),
                "{text}"
            );
            assert_eq!(lines[2], "Filter: customer.c_acctbal > 0", "{text}");
            assert!(text.contains("Filter: orders.o_totalprice > 5"), "{text}");
            // Nothing from above the join reaches its right side.
            let right_part = &text[text.find("Projection: orders").unwrap_or(0)..];
            assert!(!right_part.contains("c_acctbal"), "{text}");
        }
    }
}

#[cfg(test)]
mod placement_tests {
    //! Where each kind of predicate ends up, one case per place it may (or may not) go.
    use super::*;
    use crate::sql::tests::TestCatalog;

    /// The plan of `sql` after push-down, one trimmed line per node.
    fn pushed(sql: &str) -> Vec<String> {
        let p = TestCatalog::new().plan(sql).unwrap();
        let p = crate::analyzer::coerce_plan(Arc::new(p)).unwrap();
        let out = PushDownFilter.rewrite(p).unwrap().data;
        out.display_indent()
            .lines()
            .map(|l| l.trim().to_string())
            .collect()
    }

    /// The index of the first line starting with `prefix`.
    fn at(lines: &[String], prefix: &str) -> usize {
        lines
            .iter()
            .position(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line starting with {prefix:?} in\n{}", lines.join("\n")))
    }

    #[test]
    fn through_aggregates_only_on_grouping_columns() {
        let l = pushed(
            "select * from (select o_custkey, count(*) as c from orders group by o_custkey) \
             where o_custkey > 5 and c > 1",
        );
        assert!(
            at(&l, "Filter: count(*) > 1") < at(&l, "Aggregate:"),
            "{l:#?}"
        );
        assert!(
            at(&l, "Aggregate:") < at(&l, "Filter: orders.o_custkey > 5"),
            "{l:#?}"
        );
    }

    #[test]
    fn never_below_an_aggregate_without_group_by() {
        let l = pushed("select count(*) from orders having 1 = 2");
        assert!(at(&l, "Filter: 1 = 2") < at(&l, "Aggregate:"), "{l:#?}");
        assert_eq!(l.iter().filter(|x| x.starts_with("Filter")).count(), 1);
    }

    #[test]
    fn into_both_sides_of_an_inner_join_and_into_scans() {
        let l = pushed(
            "select c_name from customer join orders on c_custkey = o_custkey \
             where c_acctbal > 0 and o_totalprice > 5",
        );
        let join = at(&l, "Inner Join: on=[customer.c_custkey = orders.o_custkey]");
        assert!(join < at(&l, "Filter: customer.c_acctbal > 0.00"), "{l:#?}");
        assert!(
            join < at(&l, "Filter: orders.o_totalprice > 5.00"),
            "{l:#?}"
        );
        assert!(
            l.iter().any(|x| x.starts_with("Scan: customer")
                && x.contains("filters=[customer.c_acctbal > 0.00]")),
            "{l:#?}"
        );
        assert!(
            l.iter().any(|x| x.starts_with("Scan: orders")
                && x.contains("filters=[orders.o_totalprice > 5.00]")),
            "{l:#?}"
        );
    }

    #[test]
    fn left_join_takes_on_predicates_right_and_where_predicates_left() {
        let l = pushed(
            "select c_name from customer left join orders \
             on c_custkey = o_custkey and o_totalprice > 5 and c_acctbal < 3 \
             where c_nationkey = 1 and o_orderkey < 10",
        );
        let join = at(&l, "Left Join:");
        // The ON conjunct over the preserved side stays in the join.
        assert!(l[join].contains("filter=customer.c_acctbal < 3"), "{l:#?}");
        assert!(
            join < at(&l, "Filter: orders.o_totalprice > 5.00"),
            "{l:#?}"
        );
        assert!(join < at(&l, "Filter: customer.c_nationkey = 1"), "{l:#?}");
        // A WHERE predicate over the NULL-supplying side must stay above the join.
        assert!(at(&l, "Filter: orders.o_orderkey < 10") < join, "{l:#?}");
    }

    #[test]
    fn full_join_keeps_where_predicates_above() {
        let l = pushed(
            "select c_name from customer full join orders on c_custkey = o_custkey \
             where c_nationkey = 1",
        );
        assert!(
            at(&l, "Filter: customer.c_nationkey = 1") < at(&l, "Full Join:"),
            "{l:#?}"
        );
    }

    #[test]
    fn into_each_union_input_but_not_below_a_limit() {
        let l = pushed(
            "select * from (select n_nationkey as k from nation union all \
             select r_regionkey from region) where k > 2",
        );
        assert!(
            at(&l, "Union:") < at(&l, "Filter: nation.n_nationkey > 2"),
            "{l:#?}"
        );
        assert!(
            at(&l, "Union:") < at(&l, "Filter: region.r_regionkey > 2"),
            "{l:#?}"
        );

        let l =
            pushed("select * from (select n_nationkey from nation limit 3) where n_nationkey > 2");
        assert!(at(&l, "Filter: ") < at(&l, "Limit:"), "{l:#?}");
    }
}
