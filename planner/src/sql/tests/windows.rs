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
fn rollup_aggregates_once_over_an_expand_of_its_sets() {
    let plan = TestCatalog::new()
        .plan("select n_regionkey, n_name, count(*) from nation group by rollup (n_regionkey, n_name)")
        .unwrap()
        .display_indent();
    assert_eq!(plan.matches("Scan: nation").count(), 1, "{plan}");
    assert!(plan.contains("Expand: 3 sets"), "{plan}");
    assert_eq!(plan.matches("Aggregate:").count(), 2, "{plan}");
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

#[test]
fn rollup_reads_its_input_once_through_one_expand() {
    let plan = optimized(
        "select l_returnflag, l_linestatus, grouping(l_returnflag, l_linestatus), \
         sum(l_quantity), count(*) from lineitem group by rollup (l_returnflag, l_linestatus)",
    )
    .display_indent();
    assert_eq!(plan.matches("Scan: lineitem").count(), 1, "{plan}");
    let lines: Vec<&str> = plan.lines().collect();
    let expand = lines
        .iter()
        .position(|l| l.contains("Expand: 3 sets"))
        .unwrap_or_else(|| panic!("{plan}"));
    // Sum and count merge: the input is aggregated by both columns below the
    // expansion, and the sets re-aggregate that.
    assert!(
        lines[expand + 1].contains(
            "Aggregate: groupBy=[lineitem.l_returnflag, lineitem.l_linestatus], aggr=[sum(lineitem.l_quantity)"
        ),
        "{plan}"
    );
    assert!(
        lines[..expand].iter().any(|l| l
            .contains("Aggregate: groupBy=[__grouping_key_0, __grouping_key_1, __grouping_id]")),
        "{plan}"
    );
}

#[test]
fn aggregates_that_do_not_merge_expand_the_input_rows() {
    let plan = optimized(
        "select l_returnflag, count(distinct l_suppkey), avg(l_quantity) from lineitem \
         group by cube (l_returnflag, l_linestatus)",
    )
    .display_indent();
    let lines: Vec<&str> = plan.lines().collect();
    let expand = lines
        .iter()
        .position(|l| l.contains("Expand: 4 sets"))
        .unwrap_or_else(|| panic!("{plan}"));
    assert!(lines[expand + 1].contains("Scan: lineitem"), "{plan}");
    // The empty set's row for an empty input comes from a one-row VALUES.
    assert!(
        plan.contains("Union: 2 inputs") && plan.contains("Values: 1 rows"),
        "{plan}"
    );
    // Pruning keeps only what the keys and the aggregates read.
    assert!(
        lines[expand + 1]
            .contains("projection=[l_suppkey, l_quantity, l_returnflag, l_linestatus]")
            || lines[expand + 1]
                .contains("projection=[l_returnflag, l_linestatus, l_suppkey, l_quantity]"),
        "{plan}"
    );
}

#[test]
fn a_predicate_on_a_grouping_column_stays_above_the_expand() {
    let plan = optimized(
        "select n_regionkey, count(*) from nation group by rollup (n_regionkey) \
         having n_regionkey is null",
    )
    .display_indent();
    let lines: Vec<&str> = plan.lines().collect();
    let expand = lines
        .iter()
        .position(|l| l.contains("Expand:"))
        .unwrap_or_else(|| panic!("{plan}"));
    assert!(
        lines[expand - 1].contains("Filter:") && lines[expand - 1].contains("IS NULL"),
        "{plan}"
    );
    // Nothing below the expansion tests the column.
    let depth = |l: &str| l.len() - l.trim_start().len();
    let below = lines[expand + 1..]
        .iter()
        .take_while(|l| depth(l) > depth(lines[expand]));
    for l in below {
        assert!(!l.contains("IS NULL"), "{plan}");
    }
}

#[test]
fn expand_is_planned_in_the_input_partitions_and_estimated_per_set() {
    let plan = optimized(
        "select o_orderpriority, o_orderstatus, count(*) from orders \
         group by cube (o_orderpriority, o_orderstatus)",
    );
    let physical = PhysicalPlanner::new(PhysicalPlannerConfig::default())
        .plan(&plan)
        .unwrap()
        .display_indent();
    assert!(physical.contains("Expand: 4 sets"), "{physical}");
    let lines: Vec<&str> = physical.lines().collect();
    let expand = lines.iter().position(|l| l.contains("Expand:")).unwrap();
    assert!(!lines[expand + 1].contains("Exchange"), "{physical}");
    let mut expand_rows = None;
    let mut input_rows = None;
    fn find<'a>(p: &'a LogicalPlan, out: &mut Vec<&'a LogicalPlan>) {
        out.push(p);
        for i in p.inputs() {
            find(i, out);
        }
    }
    let mut nodes = Vec::new();
    find(&plan, &mut nodes);
    for n in nodes {
        if let LogicalPlan::Expand { input, .. } = n {
            expand_rows = Some(crate::optimizer::cost::estimate_plan(n).rows);
            input_rows = Some(crate::optimizer::cost::estimate_plan(input).rows);
        }
    }
    let (e, i) = (expand_rows.unwrap(), input_rows.unwrap());
    assert!((e - 4.0 * i).abs() < 1e-6, "{e} vs {i}");
}
