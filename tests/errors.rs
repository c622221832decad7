//! Bad input gets a one-line error naming the problem and where it is — never a panic.

use ember::SessionContext;

fn error_of(ctx: &SessionContext, sql: &str) -> String {
    let result = ctx.sql(sql).and_then(|df| df.collect());
    match result {
        Ok(_) => panic!("expected an error for: {sql}"),
        Err(e) => {
            let text = e.to_string();
            assert!(!text.contains('\n'), "error is not one line: {text}");
            text
        }
    }
}

fn session() -> SessionContext {
    let ctx = SessionContext::new();
    ctx.register_tpch(0.001).unwrap();
    ctx
}

#[test]
fn malformed_sql_names_line_and_column() {
    let e = error_of(
        &session(),
        "SELECT n_name\nFROM nation\nWHERE n_name = = 'x'",
    );
    assert!(e.contains("syntax error"), "{e}");
    assert!(e.contains("line 3"), "{e}");
}

#[test]
fn unknown_table_suggests_the_nearest_name() {
    let e = error_of(&session(), "SELECT * FROM natoin");
    assert!(e.contains("table 'natoin' not found"), "{e}");
    assert!(e.contains("did you mean 'nation'"), "{e}");
    assert!(e.contains("line 1, column 15"), "{e}");
}

#[test]
fn unknown_column_suggests_the_nearest_name() {
    let e = error_of(&session(), "SELECT n_nmae FROM nation");
    assert!(e.contains("column 'n_nmae' not found"), "{e}");
    assert!(e.contains("did you mean 'n_name'"), "{e}");
    assert!(e.contains("line 1, column 8"), "{e}");
}

#[test]
fn missing_file_names_the_path() {
    let e = error_of(
        &session(),
        "CREATE EXTERNAL TABLE t STORED AS PARQUET LOCATION '/no/such/file.parquet'",
    );
    assert!(e.contains("/no/such/file.parquet"), "{e}");
    let e = error_of(&session(), "SELECT * FROM '/no/such/data.csv'");
    assert!(e.contains("/no/such/data.csv"), "{e}");
}

#[test]
fn type_mismatch_names_the_types_and_place() {
    let e = error_of(&session(), "SELECT n_name FROM nation WHERE n_name > 5");
    assert!(e.contains("type mismatch"), "{e}");
    assert!(
        e.contains("cannot compare VARCHAR with BIGINT using '>'"),
        "types are named in SQL: {e}"
    );
    assert!(e.contains("line 1"), "{e}");
    // Every type a message names is a SQL type name, never Arrow's.
    for sql in [
        "SELECT CAST('2024-01-01' AS TIMESTAMP) + 1",
        "SELECT 1 + 'a'",
        "SELECT CASE WHEN true THEN 1 ELSE DATE '2024-01-01' END",
        "SELECT 1 UNION SELECT DATE '2024-01-01'",
        "SELECT sum(n_name) FROM nation",
        "SELECT n_name FROM nation WHERE n_nationkey",
        "SELECT * FROM nation JOIN region ON n_name = r_regionkey",
    ] {
        let e = error_of(&session(), sql);
        for arrow_name in [
            "Int64",
            "Int32",
            "Utf8",
            "Float64",
            "Decimal128",
            "Timestamp(",
            "Date32",
        ] {
            assert!(!e.contains(arrow_name), "{sql}: {e}");
        }
    }
    let e = error_of(&session(), "SELECT CAST('2024-01-01' AS TIMESTAMP) + 1");
    assert!(
        e.contains("cannot apply '+' to TIMESTAMP and BIGINT"),
        "{e}"
    );
}

#[test]
fn unsupported_clauses_are_rejected_not_ignored() {
    let e = error_of(
        &session(),
        "SELECT n_name FROM nation, LATERAL (SELECT 1 AS x) l",
    );
    assert!(e.contains("not supported") && e.contains("LATERAL"), "{e}");
}

#[test]
fn failing_cast_names_the_value() {
    let e = error_of(&session(), "SELECT CAST(n_name AS INTEGER) FROM nation");
    assert!(e.contains("ALGERIA") || e.contains("cast"), "{e}");
}

#[test]
fn deterministic_error_fails_at_once_leading_with_its_cause() {
    let ctx = session();
    let before = ctx.rdd_context().metrics();
    let e = error_of(&ctx, "SELECT 1 / 0");
    assert_eq!(e, "division by zero in 1 / 0");
    let used = ctx.rdd_context().metrics().since(&before);
    assert_eq!(
        (used.task_attempts, used.failed_attempts),
        (1, 1),
        "{used:?}"
    );

    // Over a column, in a stage of several tasks: each failing task runs once.
    ctx.set("ember.execution.target_partitions", "4").unwrap();
    let before = ctx.rdd_context().metrics();
    let e = error_of(
        &ctx,
        "SELECT n_nationkey % (n_regionkey - n_regionkey) FROM nation",
    );
    assert_eq!(
        e,
        "division by zero in n_nationkey % (n_regionkey - n_regionkey)"
    );
    let used = ctx.rdd_context().metrics().since(&before);
    assert_eq!(used.task_attempts, used.tasks, "{used:?}");

    let e = error_of(&ctx, "SELECT CAST('abc' AS INTEGER) FROM nation");
    assert!(e.starts_with("cannot cast 'abc'"), "{e}");
}

#[test]
fn transient_faults_are_still_retried() {
    let ctx = session();
    ctx.set("ember.faults.task_failure_rate", "0.5").unwrap();
    ctx.set("ember.faults.seed", "3").unwrap();
    let before = ctx.rdd_context().metrics();
    let df = ctx
        .sql("SELECT n_regionkey, count(*) FROM nation GROUP BY n_regionkey")
        .unwrap();
    assert_eq!(df.count().unwrap(), 5);
    let used = ctx.rdd_context().metrics().since(&before);
    assert!(used.failed_attempts > 0, "{used:?}");
    assert!(used.task_attempts > used.tasks, "{used:?}");
}

#[test]
fn set_names_the_allowed_values() {
    let ctx = session();
    let e = error_of(&ctx, "SET ember.execution.target_partitions = 100000000");
    assert_eq!(
        e,
        "invalid value '100000000' for ember.execution.target_partitions: \
         expected an integer from 1 to 1024"
    );
    let e = error_of(&ctx, "SET ember.execution.batch_size = 0");
    assert!(e.contains("expected an integer from 1 to 1048576"), "{e}");
    let e = error_of(&ctx, "SET ember.task.max_attemps = 2");
    assert!(e.contains("did you mean 'ember.task.max_attempts'"), "{e}");
    // The failed SETs changed nothing.
    let c = ctx.config();
    assert_eq!((c.batch_size, c.max_task_attempts), (8192, 4));
}
