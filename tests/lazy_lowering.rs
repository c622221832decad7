//! One query, one job: `DataFrame::rdd()` runs nothing, and the action on it runs
//! every operator of the query — broadcast build sides, the marking pass of joins
//! built on their left side, nested loop joins, the rounds of a recursive query — as
//! stages of a single job. And one query, one planner run: EXPLAIN VERBOSE and caching
//! optimize a query once.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use arrow::array::{Array, Int64Array};
use ember::SessionContext;
use ember_planner::optimizer::optimizer_runs_on_this_thread;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/tpch")
}

fn tpch_query(name: &str) -> String {
    std::fs::read_to_string(data_dir().join(format!("queries/{name}.sql"))).unwrap()
}

fn expected(name: &str) -> String {
    std::fs::read_to_string(data_dir().join(format!("answers/sf0.01/{name}.csv"))).unwrap()
}

fn jobs(ctx: &SessionContext) -> usize {
    ctx.rdd_context().metrics().jobs
}

/// Lowers `sql` (checking that no job ran), runs it (checking that exactly one job
/// ran) and returns the result as CSV.
fn run_as_one_job(ctx: &SessionContext, what: &str, sql: &str) -> String {
    let df = ctx.sql(sql).unwrap_or_else(|e| panic!("{what}: {e}"));
    let before = jobs(ctx);
    let rdd = df.rdd().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(jobs(ctx), before, "{what}: lowering ran a job");
    let batches = rdd.collect().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(
        jobs(ctx),
        before + 1,
        "{what}: the action ran more than one job"
    );
    let stages: Vec<_> = ctx
        .rdd_context()
        .stage_log()
        .into_iter()
        .filter(|s| s.job_id >= before)
        .collect();
    assert!(
        stages.iter().all(|s| s.job_id == before),
        "{what}: {stages:?}"
    );
    common::to_csv(&df.schema(), &batches)
}

/// The physical operators of `sql`, as their EXPLAIN names (`HashJoin(.., Broadcast)`).
fn join_kinds(ctx: &SessionContext, sql: &str) -> BTreeSet<String> {
    let plan = ctx.sql(sql).unwrap().physical_plan().unwrap();
    plan.preorder()
        .into_iter()
        .map(|n| n.describe())
        .filter(|d| d.contains("Join"))
        .map(|d| d.split(':').next().unwrap_or_default().to_string())
        .map(|d| {
            d.split_once(", ")
                .map_or(d.clone(), |(_, dist)| dist.to_string())
        })
        .collect()
}

#[test]
fn every_tpch_query_lowers_without_a_job_and_runs_as_one() {
    // Broadcast everything that fits, then almost nothing: both kinds of hash join,
    // and the joins built on their left side, each come up.
    for threshold in ["1000000", "1000"] {
        let ctx = SessionContext::new();
        ctx.register_tpch(0.01).unwrap();
        ctx.set("ember.optimizer.broadcast_threshold_rows", threshold)
            .unwrap();
        let mut seen = BTreeSet::new();
        for i in 1..=22 {
            let name = format!("q{i:02}");
            let sql = tpch_query(&name);
            seen.extend(join_kinds(&ctx, &sql));
            let csv = run_as_one_job(&ctx, &name, &sql);
            common::compare_csv(&expected(&name), &csv).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        for kind in ["Broadcast)", "BroadcastLeft)"] {
            assert!(
                seen.iter().any(|s| s.ends_with(kind)),
                "threshold {threshold}: no {kind} join in {seen:?}"
            );
        }
        if threshold == "1000" {
            assert!(seen.iter().any(|s| s.ends_with("Partitioned)")), "{seen:?}");
        }
    }
}

/// The single BIGINT of a one-row, one-column result.
fn single_int(csv: &str) -> i64 {
    let rows = common::parse_csv(csv);
    assert_eq!(rows.len(), 2, "{csv}");
    rows[1][0].parse().unwrap_or_else(|e| panic!("{csv}: {e}"))
}

#[test]
fn nested_loop_and_recursive_queries_run_as_one_job() {
    let ctx = SessionContext::new();
    ctx.register_tpch(0.01).unwrap();

    let pairs = "SELECT count(*) FROM nation a JOIN nation b ON a.n_nationkey < b.n_nationkey";
    assert!(
        join_kinds(&ctx, pairs)
            .iter()
            .any(|k| k.starts_with("NestedLoopJoin")),
        "{:?}",
        join_kinds(&ctx, pairs)
    );
    // 25 nations: 25 * 24 / 2 ordered pairs.
    assert_eq!(single_int(&run_as_one_job(&ctx, "pairs", pairs)), 300);

    let sum = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) \
               SELECT sum(n) FROM r";
    assert_eq!(single_int(&run_as_one_job(&ctx, "sum", sum)), 55);

    // Every round joins the work table with a table: a broadcast inside each round.
    let chain = "WITH RECURSIVE r(k) AS (SELECT 0 UNION \
                 SELECT n_nationkey FROM nation JOIN r ON n_nationkey = k + 1) \
                 SELECT count(*), sum(k) FROM r";
    let rows = common::parse_csv(&run_as_one_job(&ctx, "chain", chain));
    assert_eq!(rows.get(1).map(|r| r.join(",")), Some("25,300".to_string()));
}

#[test]
fn explain_verbose_and_caching_optimize_once() {
    let ctx = SessionContext::new();
    ctx.register_tpch(0.01).unwrap();
    let sql = tpch_query("q05");

    let df = ctx.sql(&sql).unwrap();
    let before = optimizer_runs_on_this_thread();
    let text = df.explain(true).unwrap();
    assert_eq!(
        optimizer_runs_on_this_thread() - before,
        1,
        "EXPLAIN VERBOSE"
    );
    assert!(text.contains("== After "), "{text}");
    assert!(text.contains("== Physical Plan =="), "{text}");

    // The statement renders its text when planned (its result is then a plain table).
    let before = optimizer_runs_on_this_thread();
    ctx.sql(&format!("EXPLAIN VERBOSE {sql}")).unwrap();
    assert_eq!(
        optimizer_runs_on_this_thread() - before,
        1,
        "EXPLAIN VERBOSE through SQL"
    );

    let before = optimizer_runs_on_this_thread();
    let cached = ctx.sql(&sql).unwrap().cache().unwrap();
    assert_eq!(
        optimizer_runs_on_this_thread() - before,
        1,
        "DataFrame::cache"
    );
    let before = jobs(&ctx);
    let batches = cached.collect().unwrap();
    assert_eq!(jobs(&ctx), before + 1);
    common::compare_csv(
        &expected("q05"),
        &common::to_csv(&cached.schema(), &batches),
    )
    .unwrap();

    let before = optimizer_runs_on_this_thread();
    ctx.sql("CREATE VIEW revenue AS SELECT n_name, count(*) AS n FROM nation GROUP BY n_name")
        .unwrap();
    ctx.sql("CACHE TABLE revenue").unwrap();
    assert_eq!(optimizer_runs_on_this_thread() - before, 1, "CACHE TABLE");
    let counted = ctx
        .sql("SELECT sum(n) FROM revenue")
        .unwrap()
        .collect()
        .unwrap();
    let total = counted[0]
        .column(0)
        .as_any()
        .downcast_ref::<Int64Array>()
        .map(|a| a.value(0));
    assert_eq!(total, Some(25));
}
