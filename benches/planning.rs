//! Planning benchmark: times how long Ember takes to turn SQL into a physical plan
//! (parse, analyze, optimize, physical planning with estimates) and to render EXPLAIN,
//! without running anything. Tables are the built-in TPC-H tables at SF 0.01.
//!
//! ```text
//! cargo bench --bench planning -- [--iterations K]
//! ```
//! Cases: TPC-H Q8 (eight tables), a twelve-table join (both from SQL text), and
//! DataFrames that are a UNION ALL of a growing number of filtered scans (planned from
//! the built DataFrame), whose times show how planning grows with plan size: linear
//! growth doubles the time when the branches double; and chains of 20 to 80 joined
//! tables, whose join order is chosen greedily. Prints
//! `case,median_ms,min_ms,max_ms` rows.

use std::time::Instant;

use ember::{DataFrame, SessionContext};

const Q8: &str = include_str!("../tests/data/tpch/queries/q08.sql");

/// Twelve relations: the TPC-H tables with nation and region twice, and supplier
/// and customer as a second pair joined through their own nations.
const JOIN12: &str = "
SELECT count(*)
FROM lineitem l, orders o, customer c, nation n1, region r1, supplier s,
     nation n2, region r2, part p, partsupp ps, customer c2, nation n3
WHERE l.l_orderkey = o.o_orderkey
  AND o.o_custkey = c.c_custkey
  AND c.c_nationkey = n1.n_nationkey
  AND n1.n_regionkey = r1.r_regionkey
  AND l.l_suppkey = s.s_suppkey
  AND s.s_nationkey = n2.n_nationkey
  AND n2.n_regionkey = r2.r_regionkey
  AND l.l_partkey = p.p_partkey
  AND ps.ps_partkey = l.l_partkey AND ps.ps_suppkey = l.l_suppkey
  AND c2.c_nationkey = n1.n_nationkey AND c2.c_custkey = c.c_custkey
  AND n3.n_nationkey = c2.c_nationkey
  AND r1.r_name = 'ASIA' AND p.p_size < 10";

/// A UNION ALL of `branches` filtered scans of orders.
fn union_of(ctx: &SessionContext, branches: usize) -> DataFrame {
    let branch = |i: usize| {
        ctx.sql(&format!(
            "SELECT o_orderkey, o_totalprice FROM orders WHERE o_custkey = {i}"
        ))
        .expect("branch plans")
    };
    (1..branches).fold(branch(0), |df, i| df.union(&branch(i)).expect("union"))
}

/// `tables` copies of nation, each joined to the one before it on its key (beyond ten
/// relations the join order is chosen greedily).
fn join_chain(tables: usize) -> String {
    let mut sql = "SELECT count(*) FROM nation t0".to_string();
    for i in 1..tables {
        let prev = i - 1;
        sql.push_str(&format!(
            " JOIN nation t{i} ON t{prev}.n_nationkey = t{i}.n_nationkey"
        ));
    }
    sql
}

/// Median, min and max of `times`.
fn median_ms(times: &mut [f64]) -> (f64, f64, f64) {
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[0], times[times.len() - 1])
}

/// Times `plan` `iterations` times and prints one row.
fn report(name: &str, iterations: usize, plan: impl Fn() -> ember::Result<String>) {
    let mut times = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let start = Instant::now();
        std::hint::black_box(plan().expect("EXPLAIN renders"));
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    let (median, min, max) = median_ms(&mut times);
    println!("{name},{median:.3},{min:.3},{max:.3}");
}

fn main() {
    let mut iterations = 20;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--iterations" => {
                iterations = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|&n| n > 0)
                    .expect("--iterations takes a positive number")
            }
            // cargo bench passes --bench to every bench binary.
            "--bench" => {}
            other => panic!("unknown argument {other}; expected --iterations K"),
        }
    }
    let ctx = SessionContext::new();
    ctx.register_tpch(0.01).expect("built-in TPC-H tables");
    println!("case,median_ms,min_ms,max_ms");
    for (name, sql) in [("tpch_q08", Q8), ("join_12_tables", JOIN12)] {
        report(name, iterations, || {
            ctx.sql(sql).expect("query plans").explain(false)
        });
    }
    for branches in [100, 200, 400] {
        let df = union_of(&ctx, branches);
        report(&format!("union_{branches}"), iterations, || {
            df.explain(false)
        });
    }
    for tables in [20, 40, 80] {
        let sql = join_chain(tables);
        report(&format!("join_chain_{tables}"), iterations, || {
            ctx.sql(&sql).expect("query plans").explain(false)
        });
    }
}
