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
