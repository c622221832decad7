//! Subqueries end to end: SQL → coerced plan → decorrelated, optimized and physical plans.

use std::sync::Arc;

use super::TestCatalog;
use super::tpch::QUERIES;
use crate::error::PlanError;
use crate::logical::LogicalPlan;
use crate::optimizer::rules::subquery_util::leftover;
use crate::optimizer::{Optimizer, decorrelate};
use crate::physical::plan::{AggregateMode, JoinDistribution, Partitioning, PhysicalPlan};
use crate::physical::planner::{PhysicalPlanner, PhysicalPlannerConfig};

/// Plans and coerces `sql`.
fn coerced(sql: &str) -> crate::error::Result<Arc<LogicalPlan>> {
    let plan = TestCatalog::new().plan(sql)?;
    crate::analyzer::coerce_plan(Arc::new(plan))
}

/// Plans, coerces and decorrelates `sql`.
fn decorrelated(sql: &str) -> crate::error::Result<Arc<LogicalPlan>> {
    decorrelate(coerced(sql)?)
}

/// The decorrelated plan's EXPLAIN text, panicking on errors.
fn explain(sql: &str) -> String {
    decorrelated(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .display_indent()
}

fn tpch(name: &str) -> &'static str {
    QUERIES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, sql)| *sql)
        .unwrap_or_else(|| panic!("no query {name}"))
}

fn physical(plan: &LogicalPlan) -> Arc<PhysicalPlan> {
    PhysicalPlanner::new(PhysicalPlannerConfig::default())
        .plan(plan)
        .unwrap_or_else(|e| panic!("physical planning failed: {e}\n{}", plan.display_indent()))
}

/// True when `p` yields at most one row (an aggregate without groups, possibly
/// under projections, filters and exchanges).
fn at_most_one_row(p: &PhysicalPlan) -> bool {
    match p {
        PhysicalPlan::HashAggregate { group_by, .. } => group_by.is_empty(),
        PhysicalPlan::Projection { input, .. }
        | PhysicalPlan::Filter { input, .. }
        | PhysicalPlan::Exchange { input, .. } => at_most_one_row(input),
        _ => false,
    }
}

/// Every nested-loop join in `p` has a side of at most one row.
fn nested_loops_are_small(p: &PhysicalPlan) -> bool {
    let here = match p {
        PhysicalPlan::NestedLoopJoin { left, right, .. } => {
            at_most_one_row(left) || at_most_one_row(right)
        }
        _ => true,
    };
    here && p.inputs().into_iter().all(|i| nested_loops_are_small(i))
}

fn find_physical(p: &PhysicalPlan, f: &impl Fn(&PhysicalPlan) -> bool) -> bool {
    f(p) || p.inputs().into_iter().any(|i| find_physical(i, f))
}

#[test]
fn all_tpch_queries_decorrelate_optimize_and_plan() {
    for (name, sql) in QUERIES {
        let d = decorrelated(sql).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(leftover(&d), None, "{name}");
        assert!(!d.display_indent().contains("outer("), "{name}");
        // Without optimization the FROM lists stay cross joins, but it still plans.
        physical(&d);
        for plan in [
            // The full optimizer decorrelates too (its first batch).
            Optimizer::new()
                .optimize(coerced(sql).unwrap())
                .unwrap_or_else(|e| panic!("{name}: {e}")),
            // With the decorrelate batch off, decorrelate() first, then the rest.
            Optimizer::new()
                .without_batch("decorrelate")
                .optimize(d.clone())
                .unwrap_or_else(|e| panic!("{name}: {e}")),
        ] {
            assert_eq!(leftover(&plan), None, "{name}");
            let p = physical(&plan);
            assert!(
                nested_loops_are_small(&p),
                "{name}: nested-loop join over two large inputs\n{}",
                plan.display_indent()
            );
        }
    }
}

#[test]
fn optimizer_runs_decorrelate_first() {
    assert_eq!(Optimizer::new().batch_names()[0], "decorrelate");
}

#[test]
fn q04_exists_is_a_semi_join_on_the_correlation_key() {
    let text = explain(tpch("q04"));
    assert!(
        text.contains("LeftSemi Join: on=[orders.o_orderkey = lineitem.l_orderkey]\n"),
        "{text}"
    );
    assert!(
        text.contains("Filter: lineitem.l_commitdate < lineitem.l_receiptdate"),
        "{text}"
    );
    assert!(!text.contains("EXISTS"), "{text}");
}

#[test]
fn q16_not_in_of_non_nullable_columns_is_a_plain_anti_join() {
    let text = explain(tpch("q16"));
    assert!(
        text.contains("LeftAnti Join: on=[partsupp.ps_suppkey = supplier.s_suppkey]"),
        "{text}"
    );
}

#[test]
fn q17_correlated_avg_is_grouped_and_left_joined_on_the_part_key() {
    let text = explain(tpch("q17"));
    assert!(
        text.contains("Left Join: on=[part.p_partkey = __sq_1.l_partkey_2]"),
        "{text}"
    );
    assert!(
        text.contains(
            "Aggregate: groupBy=[lineitem.l_partkey], aggr=[avg(lineitem.l_quantity) AS avg(lineitem.l_quantity)]"
        ),
        "{text}"
    );
    assert!(
        text.contains("< (0.2 * __sq_1.avg(lineitem.l_quantity))"),
        "{text}"
    );
}

#[test]
fn q21_exists_and_not_exists_keep_the_inequality_as_join_filter() {
    let text = explain(tpch("q21"));
    assert!(
        text.contains(
            "LeftSemi Join: on=[l1.l_orderkey = l2.l_orderkey] filter=l2.l_suppkey <> l1.l_suppkey"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "LeftAnti Join: on=[l1.l_orderkey = l3.l_orderkey] filter=l3.l_suppkey <> l1.l_suppkey"
        ),
        "{text}"
    );
}

#[test]
fn q22_uncorrelated_avg_is_a_cross_join_and_not_exists_an_anti_join() {
    let text = explain(tpch("q22"));
    assert!(text.contains("Cross Join: on=[]"), "{text}");
    assert!(text.contains("SubqueryAlias: __sq_1"), "{text}");
    assert!(
        text.contains("Aggregate: groupBy=[], aggr=[avg(customer.c_acctbal)"),
        "{text}"
    );
    assert!(text.contains("> __sq_1.avg(c_acctbal)"), "{text}");
    assert!(
        text.contains("LeftAnti Join: on=[customer.c_custkey = orders.o_custkey]"),
        "{text}"
    );
}

#[test]
fn q20_three_levels_decorrelate() {
    let text = explain(tpch("q20"));
    assert!(
        text.contains("LeftSemi Join: on=[supplier.s_suppkey = partsupp.ps_suppkey]"),
        "{text}"
    );
    assert!(
        text.contains("LeftSemi Join: on=[partsupp.ps_partkey = part.p_partkey]"),
        "{text}"
    );
    assert!(
        text.contains(
            "Left Join: on=[partsupp.ps_partkey = __sq_1.l_partkey, partsupp.ps_suppkey = __sq_1.l_suppkey]"
        ),
        "{text}"
    );
}

#[test]
fn q15_max_over_a_cte_becomes_a_join_key_after_push_down() {
    let plan = Optimizer::new()
        .optimize(coerced(tpch("q15")).unwrap())
        .unwrap();
    let text = plan.display_indent();
    assert!(
        text.contains("Inner Join: on=[revenue0.total_revenue = __sq_1.max(total_revenue)]"),
        "{text}"
    );
}

#[test]
fn uncorrelated_scalar_subquery_in_select_list() {
    let text =
        explain("select o_orderkey, (select max(c_acctbal) from customer) as top from orders");
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    assert_eq!(
        lines[0], "Projection: orders.o_orderkey, __sq_1.max(c_acctbal) AS top",
        "{text}"
    );
    assert_eq!(lines[1], "Cross Join: on=[]", "{text}");
    assert_eq!(lines[2], "Scan: orders", "{text}");
    assert_eq!(lines[3], "SubqueryAlias: __sq_1", "{text}");
}

#[test]
fn scalar_subquery_without_aggregate_takes_single_value() {
    let sql = "select o_orderkey from orders \
               where o_custkey = (select c_custkey from customer where c_name = 'x')";
    let plan = decorrelated(sql).unwrap();
    let text = plan.display_indent();
    assert!(
        text.contains("aggr=[single_value(customer.c_custkey) AS c_custkey]"),
        "{text}"
    );
    // One Single-mode aggregate after gathering every row in one partition.
    let p = physical(&plan);
    assert!(
        find_physical(&p, &|n| matches!(
            n,
            PhysicalPlan::HashAggregate { mode: AggregateMode::Single, input, aggregates, .. }
                if aggregates.iter().any(|a| a.func == crate::expr::AggFunc::SingleValue)
                    && matches!(input.as_ref(), PhysicalPlan::Exchange { partitioning: Partitioning::Single, .. })
        )),
        "{p:?}"
    );
}

#[test]
fn correlated_count_is_zero_for_outer_rows_without_a_match() {
    let text = explain(
        "select c_custkey, (select count(*) from orders where o_custkey = c_custkey) as n \
         from customer",
    );
    assert!(text.contains("coalesce(__sq_1.count(*), 0) AS n"), "{text}");
    assert!(
        text.contains("Left Join: on=[customer.c_custkey = __sq_1.o_custkey]"),
        "{text}"
    );
    assert!(
        text.contains("Aggregate: groupBy=[orders.o_custkey], aggr=[count(*) AS count(*)]"),
        "{text}"
    );
}

#[test]
fn not_in_over_a_nullable_column_is_null_aware() {
    // max() of no rows is NULL, so the subquery's column is nullable.
    let sql = "select o_orderkey from orders where o_custkey not in \
               (select max(c_custkey) from customer group by c_nationkey)";
    let plan = decorrelated(sql).unwrap();
    let text = plan.display_indent();
    assert!(
        text.contains("LeftAntiNullAware Join: on=[orders.o_custkey = max(c_custkey)]"),
        "{text}"
    );
    // Always broadcast: every NULL of the build side matters to every probe row.
    let p = physical(&plan);
    assert!(
        find_physical(&p, &|n| matches!(
            n,
            PhysicalPlan::HashJoin {
                kind: crate::logical::JoinKind::LeftAntiNullAware,
                distribution: JoinDistribution::Broadcast,
                ..
            }
        )),
        "{p:?}"
    );
}

#[test]
fn in_subquery_is_a_semi_join_and_not_exists_an_anti_join() {
    let text = explain(
        "select c_name from customer where c_custkey in (select o_custkey from orders) \
         and not exists (select * from nation where n_nationkey = c_nationkey)",
    );
    assert!(
        text.contains("LeftSemi Join: on=[customer.c_custkey = orders.o_custkey]"),
        "{text}"
    );
    assert!(
        text.contains("LeftAnti Join: on=[customer.c_nationkey = nation.n_nationkey]"),
        "{text}"
    );
}

#[test]
fn self_correlation_renames_the_subquery_side() {
    // Both sides read `orders`: the subquery's columns get a fresh alias.
    let text = explain(
        "select o_orderkey from orders where o_totalprice > \
         (select avg(o_totalprice) from orders)",
    );
    assert!(text.contains("SubqueryAlias: __sq_1"), "{text}");
    assert!(text.contains("> __sq_1.avg(o_totalprice)"), "{text}");
}

fn unsupported(sql: &str) -> String {
    match decorrelated(sql) {
        Err(PlanError::Unsupported { what, .. }) => what,
        other => panic!("expected Unsupported for {sql}, got {other:?}"),
    }
}

#[test]
fn exists_inside_or_is_a_mark_join() {
    let sql = "select c_name from customer where c_acctbal > 0 or \
               exists (select * from orders where o_custkey = c_custkey)";
    let plan = decorrelated(sql).unwrap();
    let text = plan.display_indent();
    assert!(
        text.contains("LeftMark Join: on=[customer.c_custkey = orders.o_custkey]"),
        "{text}"
    );
    let p = physical(&plan);
    assert!(
        find_physical(&p, &|n| matches!(
            n,
            PhysicalPlan::HashJoin {
                kind: crate::logical::JoinKind::LeftMark,
                ..
            }
        )),
        "{p:?}"
    );
}

#[test]
fn exists_in_the_select_list_is_a_mark_join() {
    let plan = decorrelated(
        "select c_name, exists (select * from orders where o_custkey = c_custkey) from customer",
    )
    .unwrap();
    let text = plan.display_indent();
    assert!(text.contains("LeftMark Join"), "{text}");
    assert_eq!(
        plan.schema().fields[1].data_type,
        arrow::datatypes::DataType::Boolean
    );
}

#[test]
fn in_over_nullable_values_in_the_select_list_is_a_broadcast_null_aware_mark_join() {
    let plan = decorrelated(
        "select c_name, (case when c_acctbal > 0 then c_custkey end) in \
         (select o_custkey from orders) from customer",
    )
    .unwrap();
    let p = physical(&plan);
    assert!(
        find_physical(&p, &|n| matches!(
            n,
            PhysicalPlan::HashJoin {
                kind: crate::logical::JoinKind::LeftMarkNullAware,
                distribution: JoinDistribution::Broadcast,
                ..
            }
        )),
        "{p:?}"
    );
}

#[test]
fn correlated_scalar_with_inequality_joins_a_domain() {
    let plan = decorrelated(
        "select c_name from customer where c_acctbal > \
         (select max(o_totalprice) from orders where o_custkey < c_custkey)",
    )
    .unwrap();
    let text = plan.display_indent();
    assert!(text.contains("Distinct"), "{text}");
    assert!(
        text.contains("filter=orders.o_custkey < __sq_1.c_custkey"),
        "{text}"
    );
    physical(&plan);
}

#[test]
fn correlated_scalar_without_aggregate_takes_single_value_per_key() {
    let sql = "select c_name from customer where c_acctbal = \
               (select o_totalprice from orders where o_custkey = c_custkey)";
    let plan = decorrelated(sql).unwrap();
    let text = plan.display_indent();
    assert!(
        text.contains(
            "Aggregate: groupBy=[orders.o_custkey], aggr=[single_value(orders.o_totalprice) AS o_totalprice]"
        ),
        "{text}"
    );
    assert!(
        text.contains("Left Join: on=[customer.c_custkey = __sq_1.o_custkey]"),
        "{text}"
    );
    assert!(text.contains("= __sq_1.o_totalprice"), "{text}");
    physical(&plan);
}

#[test]
fn correlation_under_a_limit_is_unsupported() {
    let what = unsupported(
        "select c_name from customer where c_acctbal = \
         (select o_totalprice from orders where o_custkey = c_custkey limit 1)",
    );
    assert!(what.contains("Limit"), "{what}");
}

#[test]
fn scalar_subquery_with_two_columns_is_a_plan_error() {
    let err = TestCatalog::new()
        .plan("select c_name from customer where c_acctbal > (select 1, 2)")
        .unwrap_err();
    match err {
        PlanError::Plan { message, location } => {
            assert!(message.contains("(SELECT 1, 2)"), "{message}");
            assert!(message.contains("returns 2"), "{message}");
            assert_eq!(location.line, 1);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn in_subquery_with_two_columns_is_a_plan_error() {
    let err = TestCatalog::new()
        .plan("select c_name from customer where c_custkey in (select o_custkey, o_orderkey from orders)")
        .unwrap_err();
    assert!(
        matches!(&err, PlanError::Plan { message, .. } if message.contains("one column")),
        "{err:?}"
    );
}

#[test]
fn names_resolve_innermost_first() {
    // Inside the subquery, o_custkey is its own orders' column, c_custkey the outer one.
    let plan = TestCatalog::new()
        .plan(
            "select c_name from customer where exists \
             (select * from orders where o_custkey = c_custkey)",
        )
        .unwrap();
    let text = plan.display_indent();
    assert!(
        text.contains("Filter: orders.o_custkey = outer(customer.c_custkey)"),
        "{text}"
    );
    // An unknown name is still an error naming it.
    let err = TestCatalog::new()
        .plan("select c_name from customer where exists (select * from orders where nope = 1)")
        .unwrap_err();
    assert!(matches!(err, PlanError::NotFound { .. }), "{err:?}");
}

#[test]
fn physical_planner_rejects_leftover_subqueries() {
    let plan = coerced(tpch("q04")).unwrap();
    let err = PhysicalPlanner::new(PhysicalPlannerConfig::default())
        .plan(&plan)
        .unwrap_err();
    assert!(
        matches!(&err, PlanError::Unsupported { what, .. } if what.contains("decorrelat")),
        "{err:?}"
    );
}

#[test]
fn explain_shows_subquery_plans_under_their_node() {
    let plan = coerced(tpch("q04")).unwrap();
    let text = plan.display_indent();
    let lines: Vec<&str> = text.lines().collect();
    let filter = lines
        .iter()
        .position(|l| l.trim_start().starts_with("Filter:") && l.contains("EXISTS"))
        .unwrap_or_else(|| panic!("{text}"));
    let indent = lines[filter].len() - lines[filter].trim_start().len();
    assert_eq!(lines[filter + 1].trim(), "Subquery:", "{text}");
    assert_eq!(
        lines[filter + 1].len() - lines[filter + 1].trim_start().len(),
        indent + 2
    );
    assert!(lines[filter + 2].contains("Projection:"), "{text}");
}

#[test]
fn quantified_comparisons_become_in_or_an_aggregate_subquery() {
    let text = TestCatalog::new()
        .plan(
            "select c_name from customer where c_nationkey = any (select n_nationkey from nation)",
        )
        .unwrap()
        .display_indent();
    assert!(text.contains("IN (<subquery: n_nationkey>)"), "{text}");
    let text = TestCatalog::new()
        .plan("select c_name from customer where c_acctbal > all (select o_totalprice from orders)")
        .unwrap()
        .display_indent();
    assert!(
        text.contains("Aggregate: groupBy=[], aggr=[count(*) AS n, count(orders.o_totalprice) AS nv, max(orders.o_totalprice) AS max_y]"),
        "{text}"
    );
    let plan = decorrelated(
        "select c_name from customer where c_acctbal > all (select o_totalprice from orders)",
    )
    .unwrap();
    physical(&plan);
}
