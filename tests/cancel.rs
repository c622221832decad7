//! Stopping queries: a cancelled job stops its tasks (none is left running in the
//! pool), a statement timeout cancels by itself, and results stream in order to a
//! reader that may stop early.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ember::SessionContext;
use ember::rdd::{CancelToken, RddConfig, RddContext, RddError};

/// A cross join whose count takes far longer than any test waits (3.6 billion pairs).
const LONG_QUERY: &str = "SELECT count(*) FROM lineitem a, lineitem b WHERE a.l_tax < b.l_tax";

fn tpch() -> SessionContext {
    let ctx = SessionContext::new();
    ctx.register_tpch(0.01).unwrap();
    ctx
}

#[test]
fn cancelling_a_job_stops_its_tasks() {
    let ctx = RddContext::new(RddConfig {
        threads: 2,
        ..RddConfig::default()
    });
    let started = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&started);
    // 40 partitions of 50 slow items: 2 s of work per partition.
    let slow = ctx
        .parallelize((0..2000).collect::<Vec<u32>>(), 40)
        .map_partitions("slow", move |_, items| {
            counter.fetch_add(1, Ordering::Relaxed);
            Ok(Box::new(items.inspect(|_| {
                std::thread::sleep(Duration::from_millis(40))
            })))
        });
    let token = CancelToken::new();
    let canceller = token.clone();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        canceller.cancel();
        Instant::now()
    });
    let result = token.scope(|| slow.count());
    let returned = Instant::now();
    let cancelled_at = t.join().unwrap();
    let e = result.unwrap_err();
    assert!(matches!(e, RddError::Cancelled(_)), "{e}");
    assert_eq!(ctx.running_tasks(), 0, "no task of the job runs on");
    // Each running task stops at its next item (40 ms apart).
    assert!(
        returned.duration_since(cancelled_at) < Duration::from_millis(500),
        "took {:?}",
        returned.duration_since(cancelled_at)
    );
    assert!(started.load(Ordering::Relaxed) < 40, "tasks kept starting");
    // The pool is free for the next job.
    assert_eq!(ctx.parallelize(vec![1, 2, 3], 2).count().unwrap(), 3);
}

#[test]
fn cancel_all_stops_a_running_query_and_the_session_goes_on() {
    let ctx = tpch();
    let other = ctx.clone();
    let t = std::thread::spawn(move || {
        // cancel_all stops running jobs: wait for the query's to start.
        while other.rdd_context().progress().is_empty() {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(200));
        other.cancel_all();
        Instant::now()
    });
    let result = ctx.sql(LONG_QUERY).and_then(|df| df.collect());
    let returned = Instant::now();
    let cancelled_at = t.join().unwrap();
    let e = result.unwrap_err().to_string();
    assert!(e.contains("cancelled"), "{e}");
    assert!(
        returned.duration_since(cancelled_at) < Duration::from_secs(2),
        "took {:?}",
        returned.duration_since(cancelled_at)
    );
    assert_eq!(ctx.rdd_context().running_tasks(), 0);
    let n = ctx
        .sql("SELECT count(*) FROM nation")
        .unwrap()
        .collect()
        .unwrap();
    assert_eq!(n[0].num_rows(), 1);
}

#[test]
fn a_statement_timeout_cancels_the_statement() {
    let ctx = tpch();
    ctx.sql("SET ember.execution.statement_timeout = '300ms'")
        .unwrap();
    let start = Instant::now();
    let e = ctx
        .sql(LONG_QUERY)
        .and_then(|df| df.collect())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("the statement timeout (300ms) was reached"),
        "{e}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(ctx.rdd_context().running_tasks(), 0);
    // Quick statements are untouched by it; 0 turns it off.
    ctx.sql("SET ember.execution.statement_timeout = 0")
        .unwrap();
    assert!(ctx.sql("SELECT 1").unwrap().collect().is_ok());
    let e = ctx
        .sql("SET ember.execution.statement_timeout = 'soon'")
        .unwrap_err()
        .to_string();
    assert!(e.contains("expected a duration"), "{e}");
}

#[test]
fn batches_stream_in_order_and_a_reader_may_stop() {
    let ctx = tpch();
    let df = ctx
        .sql("SELECT l_orderkey, l_linenumber FROM lineitem ORDER BY l_orderkey, l_linenumber")
        .unwrap();
    let all = df.collect().unwrap();
    let mut streamed = Vec::new();
    df.for_each_batch(|b| {
        streamed.push(b);
        Ok(true)
    })
    .unwrap();
    assert_eq!(streamed, all, "the same batches in the same order");

    // Stopping after the first batch ends the query early, with no task left.
    let scan = ctx.sql("SELECT * FROM lineitem").unwrap();
    let mut seen = 0;
    scan.for_each_batch(|_| {
        seen += 1;
        Ok(false)
    })
    .unwrap();
    assert_eq!(seen, 1);
    assert_eq!(ctx.rdd_context().running_tasks(), 0);

    // The iterator form, dropped early.
    let first = ctx
        .sql("SELECT * FROM lineitem")
        .unwrap()
        .execute_stream()
        .next();
    assert!(first.unwrap().unwrap().num_rows() > 0);
    assert_eq!(ctx.rdd_context().running_tasks(), 0);
    // And cancelled while it runs.
    let mut stream = ctx.sql(LONG_QUERY).unwrap().execute_stream();
    while ctx.rdd_context().progress().is_empty() {
        std::thread::sleep(Duration::from_millis(5));
    }
    stream.cancel();
    let e = stream.next().unwrap().unwrap_err().to_string();
    assert!(e.contains("query cancelled: by the user"), "{e}");
    drop(stream);
    assert_eq!(ctx.rdd_context().running_tasks(), 0);
}
