//! Window functions, set operations, grouping sets and recursive CTEs: their logical
//! plans, what the optimizer may move across a Window, and their physical shape.

use std::sync::Arc;

use super::TestCatalog;
use crate::logical::LogicalPlan;
use crate::optimizer::Optimizer;
use crate::physical::planner::{PhysicalPlanner, PhysicalPlannerConfig};

fn optimized(sql: &str) -> Arc<LogicalPlan> {
    let plan = TestCatalog::new()
        .plan(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let plan = crate::analyzer::coerce_plan(Arc::new(plan)).unwrap();
    Optimizer::new().optimize(plan).unwrap()
}

#[test]
fn one_window_node_per_partitioning_and_ordering() {
    let plan = TestCatalog::new()
        .plan(
            "select n_name, rank() over (partition by n_regionkey order by n_name), \
             count(*) over (partition by n_regionkey order by n_name), \
             sum(n_nationkey) over () from nation",
        )
        .unwrap()
        .display_indent();
    let windows: Vec<&str> = plan.lines().filter(|l| l.contains("Window:")).collect();
    assert_eq!(windows.len(), 2, "{plan}");
    // Stacked: the last window planned is the top node.
    assert!(
        windows[1].contains(
            "rank() OVER (PARTITION BY nation.n_regionkey ORDER BY nation.n_name ASC NULLS LAST)"
        ) && windows[1].contains("count(*) OVER"),
        "{plan}"
    );
    assert!(
        windows[0].contains("sum(nation.n_nationkey) OVER ()"),
        "{plan}"
    );
}

#[test]
fn filters_cross_a_window_only_on_partition_columns() {
    let plan = optimized(
        "select * from (select n_regionkey, n_name, row_number() over (partition by n_regionkey order by n_name) as rn from nation) t \
         where n_regionkey = 1 and rn = 1 and n_name <> 'x'",
    )
    .display_indent();
    let lines: Vec<&str> = plan.lines().collect();
    let window = lines.iter().position(|l| l.contains("Window:")).unwrap();
    let above = lines[..window].join("\n");
    let below = lines[window..].join("\n");
    assert!(
        above.contains("NULLS LAST) = 1") && above.contains("n_name <> 'x'"),
        "{plan}"
    );
    assert!(below.contains("Filter: nation.n_regionkey = 1"), "{plan}");
    assert!(
        !below.contains(") = 1") && !below.contains("<> 'x'"),
        "{plan}"
    );
}

#[test]
fn pruning_keeps_what_windows_read() {
    let plan = optimized(
        "select rn from (select row_number() over (partition by n_regionkey order by n_name) as rn from nation) t",
    )
    .display_indent();
    assert!(
        plan.contains("Scan: nation projection=[n_name, n_regionkey]")
            || plan.contains("Scan: nation projection=[n_regionkey, n_name]"),
        "{plan}"
    );
}

#[test]
fn window_is_exchanged_on_partition_keys_then_sorted() {
    let plan = optimized(
        "select n_name, sum(n_nationkey) over (partition by n_regionkey order by n_name) from nation",
    );
    let physical = PhysicalPlanner::new(PhysicalPlannerConfig::default())
        .plan(&plan)
        .unwrap()
        .display_indent();
    let lines: Vec<&str> = physical.lines().map(str::trim).collect();
    let w = lines.iter().position(|l| l.starts_with("Window:")).unwrap();
    assert!(
        lines[w + 1].starts_with("Sort: [n_regionkey@"),
        "{physical}"
    );
    assert!(
        lines[w + 2].starts_with("Exchange: hash([n_regionkey@"),
        "{physical}"
    );
    let global = optimized("select rank() over (order by n_name) from nation");
    let physical = PhysicalPlanner::new(PhysicalPlannerConfig::default())
        .plan(&global)
        .unwrap()
        .display_indent();
    assert!(physical.contains("Exchange: single"), "{physical}");
}

#[test]
fn intersect_all_numbers_copies_and_counts_sides() {
    let plan = TestCatalog::new()
        .plan("select n_name from nation intersect all select r_name from region")
        .unwrap()
        .display_indent();
    assert!(plan.contains("Filter: (__cl > 0) AND (__cr > 0)"), "{plan}");
    assert!(
        plan.contains("row_number() OVER (PARTITION BY __c0, __l)"),
        "{plan}"
    );
    let except = TestCatalog::new()
        .plan("select n_name from nation except select r_name from region")
        .unwrap()
        .display_indent();
    assert!(
        except.contains("Filter: (__cl > 0) AND (__cr = 0)"),
        "{except}"
    );
    assert!(!except.contains("Window"), "{except}");
}

#[test]
fn rollup_is_a_union_of_one_aggregate_per_set() {
    let plan = TestCatalog::new()
        .plan("select n_regionkey, n_name, count(*) from nation group by rollup (n_regionkey, n_name)")
        .unwrap()
        .display_indent();
    assert_eq!(plan.matches("Aggregate:").count(), 3, "{plan}");
    assert!(plan.contains("Union: 3 inputs"), "{plan}");
}

#[test]
fn recursive_cte_reads_its_work_table() {
    let plan = TestCatalog::new()
        .plan("with recursive t(n) as (select 1 union all select n + 1 from t where n < 3) select n from t")
        .unwrap()
        .display_indent();
    assert!(plan.contains("RecursiveQuery: t (UNION ALL)"), "{plan}");
    assert!(plan.contains("WorkTable: t"), "{plan}");
}
