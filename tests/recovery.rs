//! Spark-style resilience through SQL: answers stay right when tasks fail and blocks
//! are lost (retries and recomputation from lineage), when the cache evicts, and when
//! two queries share the executor pool.

mod common;

use std::path::PathBuf;
use std::sync::{Arc, Barrier};

use ember::{SessionConfig, SessionContext};

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/tpch")
}

fn query_csv(ctx: &SessionContext, name: &str) -> String {
    let sql = std::fs::read_to_string(data_dir().join(format!("queries/{name}.sql"))).unwrap();
    let df = ctx.sql(&sql).unwrap_or_else(|e| panic!("{name}: {e}"));
    let batches = df.collect().unwrap_or_else(|e| panic!("{name}: {e}"));
    common::to_csv(&df.schema(), &batches)
}

fn expected(name: &str) -> String {
    std::fs::read_to_string(data_dir().join(format!("answers/sf0.01/{name}.csv"))).unwrap()
}

#[test]
fn all_queries_survive_task_failures_and_lost_blocks() {
    let ctx = SessionContext::with_config(SessionConfig {
        threads: 2,
        ..SessionConfig::default()
    });
    ctx.register_tpch(0.01).unwrap();
    ctx.set("ember.optimizer.broadcast_threshold_rows", "1000")
        .unwrap();
    ctx.set("ember.faults.task_failure_rate", "0.2").unwrap();
    ctx.set("ember.faults.block_loss_rate", "0.1").unwrap();
    ctx.set("ember.faults.seed", "7").unwrap();
    let before = ctx.rdd_context().metrics();
    for i in 1..=22 {
        let name = format!("q{i:02}");
        common::compare_csv(&expected(&name), &query_csv(&ctx, &name))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let m = ctx.rdd_context().metrics().since(&before);
    assert!(m.failed_attempts > 0, "{m:?}");
    assert!(m.recomputed_partitions > 0, "{m:?}");
}

#[test]
fn a_small_cache_budget_evicts_and_results_stay_right() {
    let ctx = SessionContext::with_config(SessionConfig {
        threads: 2,
        // About two of the eight lineitem partitions fit.
        cache_budget_bytes: 4 << 20,
        cache_storage_level: "memory_only".into(),
        ..SessionConfig::default()
    });
    ctx.set("ember.execution.target_partitions", "8").unwrap();
    ctx.register_tpch(0.01).unwrap();
    let plain = query_csv(&ctx, "q01");
    ctx.sql("CACHE TABLE lineitem").unwrap();
    let first = query_csv(&ctx, "q01");
    let second = query_csv(&ctx, "q01");
    let m = ctx.rdd_context().metrics();
    assert!(m.evicted_blocks > 0, "{m:?}");
    assert!(
        m.recomputed_partitions > 0,
        "evicted partitions are recomputed: {m:?}"
    );
    assert_eq!(first, plain);
    assert_eq!(second, plain);
    common::compare_csv(&expected("q01"), &second).unwrap();
    ctx.sql("UNCACHE TABLE lineitem").unwrap();
    assert_eq!(query_csv(&ctx, "q01"), plain);
}

/// Runs q01 and q06 from two threads at once on one session; returns whether some job
/// had a task of another job start between its own first and last task.
fn run_two_queries_together() -> bool {
    let ctx = SessionContext::with_config(SessionConfig {
        threads: 2,
        ..SessionConfig::default()
    });
    ctx.register_tpch(0.01).unwrap();
    ctx.set("ember.execution.target_partitions", "16").unwrap();
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = ["q01", "q06"]
        .into_iter()
        .map(|q| {
            let ctx = ctx.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                (q, query_csv(&ctx, q))
            })
        })
        .collect();
    for h in handles {
        let (q, csv) = h.join().unwrap();
        common::compare_csv(&expected(q), &csv).unwrap_or_else(|e| panic!("{q}: {e}"));
    }
    let mut log = ctx.rdd_context().task_log();
    log.sort_by_key(|t| t.start);
    let jobs: Vec<usize> = log.iter().map(|t| t.job_id).collect();
    jobs.iter().any(|j| {
        let first = jobs.iter().position(|k| k == j).unwrap_or(0);
        let last = jobs.iter().rposition(|k| k == j).unwrap_or(0);
        jobs[first..last].iter().any(|k| k != j)
    })
}

#[test]
fn two_queries_from_two_threads_interleave_their_tasks() {
    // Every round must give the right answers. Whether two small queries overlap in
    // time depends on the OS scheduler, so a round may legitimately run them one after
    // the other; a scheduler that serialises jobs would never interleave in any round.
    let rounds = 20;
    let interleaved = (0..rounds).filter(|_| run_two_queries_together()).count();
    eprintln!("{interleaved} of {rounds} rounds interleaved");
    assert!(
        interleaved > 0,
        "in {rounds} rounds the tasks of the two queries never interleaved"
    );
}

/// Every shuffle in the lineage of `rdd`, across stage boundaries (broadcast build
/// sides included), each once.
fn all_shuffles(rdd: &std::sync::Arc<dyn ember::rdd::RddBase>) -> Vec<(usize, usize, usize)> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    let mut stack = vec![rdd.clone()];
    while let Some(node) = stack.pop() {
        for dep in node.dependencies() {
            if let ember::rdd::Dependency::Shuffle(s) = &dep
                && seen.insert(s.shuffle_id())
            {
                out.push((
                    s.shuffle_id(),
                    s.num_map_partitions(),
                    s.num_reduce_partitions(),
                ));
            }
            stack.push(dep.rdd());
        }
    }
    out
}

#[test]
fn joins_recompute_lost_build_and_mark_blocks() {
    let ctx = SessionContext::with_config(SessionConfig {
        threads: 2,
        ..SessionConfig::default()
    });
    ctx.register_tpch(0.01).unwrap();
    let broadcast = "SELECT o_orderkey, c_name FROM orders JOIN customer ON o_custkey = c_custkey \
                     WHERE c_nationkey = 3 ORDER BY o_orderkey";
    let mark_left = "SELECT o_orderkey FROM orders WHERE o_orderdate < date '1992-03-01' \
                     AND EXISTS (SELECT * FROM lineitem WHERE l_orderkey = o_orderkey \
                     AND l_returnflag = 'R') ORDER BY o_orderkey";
    for (sql, distribution) in [(broadcast, "Broadcast)"), (mark_left, "BroadcastLeft)")] {
        let df = ctx.sql(sql).unwrap();
        let plan = df.physical_plan().unwrap().display_indent();
        assert!(plan.contains(distribution), "{plan}");
        // The same query with every join partitioned is the reference.
        ctx.set("ember.optimizer.broadcast_threshold_rows", "0")
            .unwrap();
        let reference = ctx.sql(sql).unwrap();
        assert!(
            !reference
                .physical_plan()
                .unwrap()
                .display_indent()
                .contains("Broadcast"),
            "{sql}"
        );
        let reference = common::to_csv(&reference.schema(), &reference.collect().unwrap());
        ctx.set("ember.optimizer.broadcast_threshold_rows", "1000000")
            .unwrap();
        assert!(common::parse_csv(&reference).len() > 10, "{reference}");

        let rdd = df.rdd().unwrap();
        let first = common::to_csv(&df.schema(), &rdd.collect().unwrap());
        assert_eq!(first, reference, "{sql}");
        // Lose every block of every shuffle, the build (and mark) sides' included.
        let shuffles = all_shuffles(&rdd.base());
        let mut lost = 0;
        for &(shuffle, maps, reduces) in &shuffles {
            for map in 0..maps {
                for reduce in 0..reduces {
                    lost += usize::from(ctx.rdd_context().lose_shuffle_block(shuffle, map, reduce));
                }
            }
        }
        assert!(lost > 0, "{sql}: {shuffles:?}");
        let before = ctx.rdd_context().metrics();
        let again = common::to_csv(&df.schema(), &rdd.collect().unwrap());
        assert_eq!(again, reference, "{sql}");
        let used = ctx.rdd_context().metrics().since(&before);
        let maps: usize = shuffles.iter().map(|s| s.1).sum();
        assert_eq!(used.jobs, 1, "{sql}: {used:?}");
        // Every lost map partition is recomputed. A shuffle that a stage and a task of
        // the same job (building a broadcast inside it) both find missing may be
        // recomputed by both at once (the blocks agree): at most once more each.
        assert!(
            (maps..=2 * maps).contains(&used.recomputed_partitions),
            "{sql}: {maps} map partitions lost: {used:?}"
        );

        // Blocks lost while the job runs are recomputed before the retry.
        ctx.set("ember.faults.block_loss_rate", "0.5").unwrap();
        ctx.set("ember.faults.seed", "11").unwrap();
        let before = ctx.rdd_context().metrics();
        let df = ctx.sql(sql).unwrap();
        let faulty = common::to_csv(&df.schema(), &df.collect().unwrap());
        ctx.set("ember.faults.block_loss_rate", "0").unwrap();
        assert_eq!(faulty, reference, "{sql}");
        let used = ctx.rdd_context().metrics().since(&before);
        assert!(used.recomputed_partitions > 0, "{sql}: {used:?}");
        assert_eq!(used.jobs, 1, "{sql}: {used:?}");
    }
}

#[test]
fn recursive_queries_survive_task_failures_and_lost_blocks() {
    let ctx = SessionContext::with_config(SessionConfig {
        threads: 2,
        ..SessionConfig::default()
    });
    ctx.register_tpch(0.01).unwrap();
    // Every round joins the work table with a table, so each round runs a broadcast
    // build side and a probe as stages inside the recursive query's task.
    let chain = "WITH RECURSIVE r(k) AS (SELECT 0 UNION \
                 SELECT n_nationkey FROM nation JOIN r ON n_nationkey = k + 1) \
                 SELECT count(*), sum(k) FROM r";
    let run = |ctx: &SessionContext| {
        let df = ctx.sql(chain).unwrap();
        common::to_csv(&df.schema(), &df.collect().unwrap())
    };
    // Nation keys 0..=24 chain from 0: 25 rows summing to 300.
    let reference = run(&ctx);
    assert_eq!(common::parse_csv(&reference)[1].join(","), "25,300");
    ctx.set("ember.faults.task_failure_rate", "0.2").unwrap();
    ctx.set("ember.faults.block_loss_rate", "0.2").unwrap();
    let before = ctx.rdd_context().metrics();
    for seed in 1..=4 {
        ctx.set("ember.faults.seed", &seed.to_string()).unwrap();
        assert_eq!(run(&ctx), reference, "seed {seed}");
    }
    let m = ctx.rdd_context().metrics().since(&before);
    assert_eq!(m.jobs, 4, "{m:?}");
    assert!(m.failed_attempts > 0, "{m:?}");
    assert!(m.recomputed_partitions > 0, "{m:?}");
}
