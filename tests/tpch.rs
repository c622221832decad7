//! TPC-H queries at scale factor 0.01, generated in memory, checked against the
//! reference answers kept in tests/data/tpch/answers/sf0.01.

mod common;

use std::path::PathBuf;

use ember::SessionContext;

/// All 22 queries, exactly as the specification writes them.
const QUERIES: &[&str] = &[
    "q01", "q02", "q03", "q04", "q05", "q06", "q07", "q08", "q09", "q10", "q11", "q12", "q13",
    "q14", "q15", "q16", "q17", "q18", "q19", "q20", "q21", "q22",
];

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/tpch")
}

fn run_query(ctx: &SessionContext, name: &str) -> Result<String, String> {
    let sql = std::fs::read_to_string(data_dir().join(format!("queries/{name}.sql")))
        .map_err(|e| e.to_string())?;
    let df = ctx.sql(&sql).map_err(|e| format!("{name}: {e}"))?;
    let batches = df.collect().map_err(|e| format!("{name}: {e}"))?;
    Ok(common::to_csv(&df.schema(), &batches))
}

#[test]
fn tpch_sf001_matches_reference_answers() {
    let ctx = SessionContext::new();
    ctx.register_tpch(0.01).expect("generate TPC-H SF 0.01");
    let mut failures = Vec::new();
    for q in QUERIES {
        let expected = std::fs::read_to_string(data_dir().join(format!("answers/sf0.01/{q}.csv")))
            .expect("answer");
        match run_query(&ctx, q) {
            Ok(actual) => {
                if let Err(e) = common::compare_csv(&expected, &actual) {
                    failures.push(format!("{q}: {e}"));
                }
            }
            Err(e) => failures.push(e),
        }
    }
    assert!(
        failures.is_empty(),
        "TPC-H mismatches:\n{}",
        failures.join("\n")
    );
}

#[test]
fn tpch_answers_hold_with_one_partition_and_without_cost_based_planning() {
    let ctx = SessionContext::new();
    ctx.register_tpch(0.01).expect("generate TPC-H SF 0.01");
    ctx.set("ember.execution.target_partitions", "1").unwrap();
    ctx.set("ember.optimizer.cost_based", "false").unwrap();
    ctx.set("ember.optimizer.broadcast_threshold_rows", "0")
        .unwrap();
    for q in ["q03", "q10", "q12"] {
        let expected =
            std::fs::read_to_string(data_dir().join(format!("answers/sf0.01/{q}.csv"))).unwrap();
        let actual = run_query(&ctx, q).unwrap();
        common::compare_csv(&expected, &actual).unwrap_or_else(|e| panic!("{q}: {e}"));
    }
}
