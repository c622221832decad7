//! Long and deep expressions: flat chains of 100,000 ANDs, ORs or OR'ed equalities plan
//! and run (they become balanced trees); a flat `+` chain or nesting deeper than
//! `ember.sql.max_expression_depth` (1000 by default) fails with one clear error, never
//! a stack overflow; nesting up to the limit works, and raising the limit allows more;
//! IN lists of 100,000 constants run with SQL's NULL rules.
//! Every query here runs on the test's own thread (2 MiB of stack): the session plans
//! and runs it on a thread of its own.

use arrow::array::{Array, AsArray};
use arrow::datatypes::Int64Type;
use ember::SessionContext;

/// The single BIGINT or BOOLEAN value of a one-row, one-column result, as text.
fn value(ctx: &SessionContext, sql: &str) -> String {
    let batches = ctx
        .sql(sql)
        .and_then(|df| df.collect())
        .unwrap_or_else(|e| panic!("{e}"));
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, 1);
    let batch = batches.iter().find(|b| b.num_rows() == 1).expect("a row");
    let column = batch.column(0);
    match column.data_type() {
        arrow::datatypes::DataType::Int64 => {
            column.as_primitive::<Int64Type>().value(0).to_string()
        }
        arrow::datatypes::DataType::Boolean => column.as_boolean().value(0).to_string(),
        t => panic!("unexpected type {t}"),
    }
}

fn error(ctx: &SessionContext, sql: &str) -> String {
    match ctx.sql(sql).and_then(|df| df.collect()) {
        Ok(_) => panic!("expected an error"),
        Err(e) => {
            let text = e.to_string();
            assert!(!text.contains('\n'), "error is not one line: {text}");
            text
        }
    }
}

const DEPTH_ERROR: &str = "expression depth limit of 1000 exceeded (raise it with SET ember.sql.max_expression_depth = <n>)";

fn joined(n: usize, sep: &str, item: impl Fn(usize) -> String) -> String {
    (0..n).map(item).collect::<Vec<_>>().join(sep)
}

#[test]
fn flat_chains_of_100000_ands_and_ors_plan_and_run() {
    let ctx = SessionContext::new();
    let rows = "(VALUES (1, 'a'), (5, 'b'), (99999, 'c'), (100000, 'd'), (NULL, NULL)) AS t(x, s)";
    // 100,000 OR'ed equalities, as generated SQL writes them (planned as an IN list).
    let ors = joined(100_000, " OR ", |i| format!("x = {i}"));
    assert_eq!(
        value(&ctx, &format!("SELECT count(*) FROM {rows} WHERE {ors}")),
        "3"
    );
    // The same over two columns, interleaved, with other predicates among them.
    let ors = joined(100_000, " OR ", |i| match i % 4 {
        0 | 1 => format!("x = {i}"),
        2 => format!("s = 'k{i}'"),
        _ if i % 1000 == 3 => format!("x + 0 > {}", 1_000_000 + i),
        _ => format!("x = {i}"),
    });
    assert_eq!(
        value(
            &ctx,
            &format!("SELECT count(*) FROM {rows} WHERE {ors} OR s = 'b'")
        ),
        "3"
    );
    // 100,000 ANDs in a projection.
    let ands = joined(100_000, " AND ", |_| "true".to_string());
    assert_eq!(value(&ctx, &format!("SELECT {ands}")), "true");
    // An OR chain in parentheses inside an AND chain.
    let mixed = format!(
        "SELECT count(*) FROM {rows} WHERE x > 0 AND ({}) AND x < 100000",
        joined(50_000, " OR ", |i| format!("x = {}", 2 * i + 1))
    );
    assert_eq!(value(&ctx, &mixed), "3");
    // 10,000 different conditions ANDed and ORed.
    let ands = joined(10_000, " AND ", |i| format!("x > -{i}"));
    assert_eq!(
        value(&ctx, &format!("SELECT count(*) FROM {rows} WHERE {ands}")),
        "4"
    );
    let ors = joined(10_000, " OR ", |i| format!("x < -{i}"));
    assert_eq!(
        value(&ctx, &format!("SELECT count(*) FROM {rows} WHERE {ors}")),
        "0"
    );
}

#[test]
fn a_flat_plus_chain_past_the_limit_is_a_clear_error() {
    let ctx = SessionContext::new();
    let sum = |n: usize| format!("SELECT {}", joined(n, "+", |_| "1".to_string()));
    // 1000 '+' nest 1000 deep: the limit itself.
    assert_eq!(value(&ctx, &sum(1001)), "1001");
    for n in [1002, 4000, 100_000] {
        let e = error(&ctx, &sum(n));
        assert!(e.contains(DEPTH_ERROR), "{e}");
        assert!(e.contains("line 1, column"), "{e}");
    }
    // The shell's repro: 5,000 terms.
    assert!(error(&ctx, &sum(5000)).contains(DEPTH_ERROR));
}

#[test]
fn nesting_up_to_the_limit_works_and_beyond_it_is_a_clear_error() {
    let ctx = SessionContext::new();
    let nested_plus = |n: usize| format!("SELECT {}1{}", "1+(".repeat(n), ")".repeat(n));
    let nested_case = |n: usize| {
        format!(
            "SELECT {}1{}",
            "CASE WHEN true THEN ".repeat(n),
            " END".repeat(n)
        )
    };
    let parens = |n: usize| format!("SELECT {}1{}", "(".repeat(n), ")".repeat(n));
    assert_eq!(value(&ctx, &nested_plus(1000)), "1001");
    assert_eq!(value(&ctx, &nested_case(1000)), "1");
    assert_eq!(value(&ctx, &parens(1000)), "1");
    for sql in [nested_plus(1001), nested_case(1001)] {
        let e = error(&ctx, &sql);
        assert!(e.contains(DEPTH_ERROR), "{e}");
    }
    // Far too deep for the parser's own limit: the same error.
    let e = error(&ctx, &nested_plus(50_000));
    assert!(e.contains(DEPTH_ERROR), "{e}");
}

#[test]
fn the_limit_is_a_setting() {
    let ctx = SessionContext::new();
    let nested_case = |n: usize| {
        format!(
            "SELECT {}1{}",
            "CASE WHEN true THEN ".repeat(n),
            " END".repeat(n)
        )
    };
    ctx.sql("SET ember.sql.max_expression_depth = 3000")
        .and_then(|df| df.collect())
        .unwrap();
    assert_eq!(value(&ctx, &nested_case(2500)), "1");
    let e = error(&ctx, &nested_case(3001));
    assert!(e.contains("expression depth limit of 3000 exceeded"), "{e}");
    ctx.sql("SET ember.sql.max_expression_depth = 10")
        .and_then(|df| df.collect())
        .unwrap();
    let e = error(&ctx, &nested_case(11));
    assert!(e.contains("expression depth limit of 10 exceeded"), "{e}");
    assert_eq!(value(&ctx, &nested_case(10)), "1");
}

#[test]
fn deep_subqueries_are_bounded_too() {
    let ctx = SessionContext::new();
    let nested = |n: usize| format!("SELECT {}1{}", "(SELECT ".repeat(n), ")".repeat(n));
    assert_eq!(value(&ctx, &nested(100)), "1");
    let e = error(&ctx, &nested(5000));
    assert!(e.contains("expression depth limit"), "{e}");
}

#[test]
fn in_lists_of_100000_constants_run_with_null_semantics() {
    let ctx = SessionContext::new();
    let rows = "(VALUES (1), (5), (99999), (100000), (NULL)) AS t(x)";
    let items = joined(100_000, ", ", |i| i.to_string());
    let count = |predicate: String| {
        value(
            &ctx,
            &format!("SELECT count(*) FROM {rows} WHERE {predicate}"),
        )
    };
    assert_eq!(count(format!("x IN ({items})")), "3");
    assert_eq!(count(format!("x NOT IN ({items})")), "1");
    // Not found and a NULL in the list: NULL, so NOT IN keeps no row.
    assert_eq!(count(format!("x IN ({items}, NULL)")), "3");
    assert_eq!(count(format!("x NOT IN ({items}, NULL)")), "0");
    assert_eq!(value(&ctx, &format!("SELECT 100000 IN ({items})")), "false");
    assert_eq!(value(&ctx, &format!("SELECT 99999 IN ({items})")), "true");
    let e = ctx
        .sql(&format!("SELECT (100000 IN ({items}, NULL)) IS NULL"))
        .and_then(|df| df.collect())
        .unwrap();
    assert!(e[0].column(0).as_boolean().value(0));
}
