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
    let e = error_of(&session(), "SELECT n_name FROM nation NATURAL JOIN region");
    assert!(e.contains("not supported"), "{e}");
}

#[test]
fn failing_cast_names_the_value() {
    let e = error_of(&session(), "SELECT CAST(n_name AS INTEGER) FROM nation");
    assert!(e.contains("ALGERIA") || e.contains("cast"), "{e}");
}
