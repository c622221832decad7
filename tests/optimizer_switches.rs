//! The per-batch optimizer switches (`ember.optimizer.batch.<name>`): each one changes
//! the optimized plan of a query that batch rewrites, and TPC-H answers at scale factor
//! 0.01 stay right with any one batch switched off.

mod common;

use std::path::PathBuf;

use ember::SessionContext;
use ember::config::REQUIRED_BATCHES;
use ember::planner::optimizer::Optimizer;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/tpch")
}

/// The "Optimized Logical Plan" section of EXPLAIN.
fn optimized(ctx: &SessionContext, sql: &str) -> String {
    let text = ctx.sql(sql).unwrap().explain(false).unwrap();
    let start = text
        .find("== Optimized Logical Plan ==")
        .expect("optimized section");
    let end = text.find("== Physical Plan ==").expect("physical section");
    text[start..end].to_string()
}

fn sorted_rows(ctx: &SessionContext, sql: &str) -> Vec<Vec<String>> {
    let df = ctx.sql(sql).unwrap();
    let batches = df.collect().unwrap();
    let csv = common::to_csv(&df.schema(), &batches);
    let mut rows = common::parse_csv(&csv);
    rows.sort();
    rows
}

/// For each batch, a query whose optimized plan that batch changes.
const EXAMPLES: &[(&str, &str)] = &[
    (
        "simplify",
        "SELECT n_name FROM nation WHERE n_nationkey > 1 + 1 AND (1 = 1 OR n_name = 'x')",
    ),
    (
        // The later batches push filters too, but reorder_joins sees the filtered scans
        // only when push_down ran before it.
        "push_down",
        "SELECT count(*) FROM lineitem, orders, customer \
         WHERE l_orderkey = o_orderkey AND o_custkey = c_custkey AND c_mktsegment = 'BUILDING'",
    ),
    (
        "outer_joins",
        "SELECT c_name, o_orderkey FROM customer LEFT JOIN orders ON c_custkey = o_custkey \
         WHERE o_totalprice > 1000",
    ),
    (
        "join_order",
        "SELECT count(*) FROM lineitem, orders, customer \
         WHERE l_orderkey = o_orderkey AND o_custkey = c_custkey AND c_mktsegment = 'BUILDING'",
    ),
    (
        "aggregates",
        "SELECT count(*), count(s_comment) FROM supplier, nation",
    ),
    (
        "sort_limit",
        "SELECT n_name FROM (SELECT n_name, n_nationkey FROM nation ORDER BY n_nationkey) \
         ORDER BY n_name LIMIT 3",
    ),
    ("prune", "SELECT n_name FROM nation"),
];

#[test]
fn each_batch_switch_changes_the_plan_but_not_the_rows() {
    let ctx = SessionContext::new();
    ctx.register_tpch(0.01).expect("generate TPC-H SF 0.01");
    let names = Optimizer::new().batch_names();
    let switchable: Vec<_> = names
        .iter()
        .filter(|n| !REQUIRED_BATCHES.contains(n))
        .collect();
    assert_eq!(
        switchable.len(),
        EXAMPLES.len(),
        "every batch that can be switched off needs an example: {names:?}"
    );
    for (batch, sql) in EXAMPLES {
        assert!(names.contains(batch), "no batch {batch}");
        let key = format!("ember.optimizer.batch.{batch}");
        let on = optimized(&ctx, sql);
        let rows_on = sorted_rows(&ctx, sql);
        ctx.set(&key, "false").unwrap();
        let off = optimized(&ctx, sql);
        let rows_off = sorted_rows(&ctx, sql);
        ctx.set(&key, "true").unwrap();
        assert_ne!(on, off, "{key} did not change the plan of {sql}");
        assert_eq!(rows_on, rows_off, "{key} changed the rows of {sql}");
        assert!(rows_on.len() > 1, "{sql} returned no rows");
    }
}

#[test]
fn the_decorrelate_batch_cannot_be_switched_off() {
    let ctx = SessionContext::new();
    let e = match ctx.sql("SET ember.optimizer.batch.decorrelate = false") {
        Ok(_) => panic!("the decorrelate batch was switched off"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains("cannot be switched off"), "{e}");
}

#[test]
fn show_all_lists_the_batch_switches() {
    let ctx = SessionContext::new();
    let text = ctx.sql("SHOW ALL").unwrap().to_table_string().unwrap();
    for batch in Optimizer::new().batch_names() {
        assert!(
            text.contains(&format!("ember.optimizer.batch.{batch}")),
            "{batch} missing from\n{text}"
        );
    }
    ctx.sql("SET ember.optimizer.batch.prune = false").unwrap();
    let text = ctx.sql("SHOW ALL").unwrap().to_table_string().unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("ember.optimizer.batch.prune"))
        .unwrap();
    assert!(line.contains("false"), "{line}");
}

#[test]
fn tpch_answers_hold_with_each_batch_off() {
    let ctx = SessionContext::new();
    ctx.register_tpch(0.01).expect("generate TPC-H SF 0.01");
    // Subqueries, outer, semi and anti joins, sorts with limits. Not Q19: without
    // factor_or_conjuncts (the simplify batch) its join is a cross product of lineitem
    // and part, right but slow; not Q18, which is slow without push-down.
    let queries = ["q03", "q04", "q07", "q13", "q16", "q20", "q21", "q22"];
    let mut failures = Vec::new();
    for batch in Optimizer::new().batch_names() {
        if REQUIRED_BATCHES.contains(&batch) {
            continue;
        }
        let key = format!("ember.optimizer.batch.{batch}");
        ctx.set(&key, "false").unwrap();
        for q in queries {
            let sql = std::fs::read_to_string(data_dir().join(format!("queries/{q}.sql"))).unwrap();
            let expected =
                std::fs::read_to_string(data_dir().join(format!("answers/sf0.01/{q}.csv")))
                    .unwrap();
            let actual = ctx.sql(&sql).and_then(|df| {
                let batches = df.collect()?;
                Ok(common::to_csv(&df.schema(), &batches))
            });
            match actual {
                Ok(a) => {
                    if let Err(e) = common::compare_csv(&expected, &a) {
                        failures.push(format!("{key} = false, {q}: {e}"));
                    }
                }
                Err(e) => failures.push(format!("{key} = false, {q}: {e}")),
            }
        }
        ctx.set(&key, "true").unwrap();
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
