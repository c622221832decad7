//! Error messages: what went wrong, where, and what was probably meant.

use super::TestCatalog;
use crate::error::{Location, PlanError};

fn error(sql: &str) -> PlanError {
    match TestCatalog::new().statement(sql) {
        Ok(s) => panic!("{sql}: expected an error, got {s:?}"),
        Err(e) => e,
    }
}

#[test]
fn unknown_column_suggests_and_locates() {
    let e = error("select n_name\nfrom nation\nwhere n_nationky = 1");
    assert_eq!(
        e.to_string(),
        "column 'n_nationky' not found at line 3, column 7 (did you mean 'n_nationkey'?)"
    );
}

#[test]
fn unknown_qualified_column_points_at_the_qualifier() {
    let e = error("select n.n_nam from nation n");
    assert_eq!(
        e.to_string(),
        "column 'n.n_nam' not found at line 1, column 8 (did you mean 'n.n_name'?)"
    );
}

#[test]
fn unknown_table_suggests() {
    let e = error("select * from lineitm");
    assert_eq!(
        e.to_string(),
        "table 'lineitm' not found at line 1, column 15 (did you mean 'lineitem'?)"
    );
}

#[test]
fn syntax_error_has_line_and_column() {
    let e = error("select n_name\nfrom nation where");
    match e {
        PlanError::Parse { location, .. } => assert_eq!(location.line, 2),
        other => panic!("{other:?}"),
    }
    let e = error("select * frm nation");
    match &e {
        PlanError::Parse { location, message } => {
            assert_eq!(
                *location,
                Location {
                    line: 1,
                    column: 10
                },
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn function_errors_name_function_position_and_signature() {
    let e = error("select lpad(n_name, 'x') from nation");
    let text = e.to_string();
    assert!(text.contains("line 1, column 8"), "{text}");
    assert!(
        text.contains("lpad() argument 2 must be an integer, got VARCHAR"),
        "{text}"
    );
    assert!(
        text.contains("expected lpad(s VARCHAR, n BIGINT [, fill VARCHAR])"),
        "{text}"
    );
    let e = error("select n_name from nation where starts_with(n_name)");
    assert!(
        e.to_string()
            .contains("starts_with() takes 2 arguments, got 1"),
        "{e}"
    );
    let e = error("select percentile_cont(2) within group (order by n_nationkey) from nation");
    assert!(
        e.to_string().contains("fraction 2 is not between 0 and 1"),
        "{e}"
    );
    let e = error("select string_agg(n_name, ',' order by n_comment) from nation");
    assert!(
        e.to_string()
            .contains("string_agg() ordered by anything but its value"),
        "{e}"
    );
}

#[test]
fn unsupported_features_are_named() {
    let e = error(
        "select n_name, rank() over (order by n_name groups between 1 preceding and current row) from nation",
    );
    assert_eq!(
        e.to_string(),
        "not supported at line 1, column 16: GROUPS frames"
    );
    assert!(
        error("select n_name from nation fetch first 3 rows only")
            .to_string()
            .contains("FETCH")
    );
    assert!(
        error("select distinct on (n_name) n_name from nation")
            .to_string()
            .contains("DISTINCT ON")
    );
    assert!(
        error("select foo(n_name) from nation")
            .to_string()
            .contains("function 'foo'")
    );
    assert!(
        error("select cast(n_name as time) from nation")
            .to_string()
            .contains("type TIME")
    );
    assert!(
        error("select n_name from nation group by all")
            .to_string()
            .contains("GROUP BY ALL")
    );
    assert!(
        error("select n_name from nation tablesample (10 rows)")
            .to_string()
            .contains("TABLESAMPLE")
    );
}

#[test]
fn ungrouped_column_is_named() {
    let e = error("select n_name, count(*)\nfrom nation group by n_regionkey");
    assert_eq!(
        e.to_string(),
        "planning error at line 1, column 8: column 'nation.n_name' must appear in the GROUP BY clause or be used in an aggregate function"
    );
}

#[test]
fn type_mismatch_has_location() {
    let e = error("select n_name\nfrom nation where n_name + 1 > 2");
    match &e {
        PlanError::TypeMismatch { location, .. } => {
            assert_eq!(
                *location,
                Location {
                    line: 2,
                    column: 19
                },
                "{e}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn own_statements_report_syntax_errors_with_location() {
    let e = error("create external table t\nstored as csv locaton '/x'");
    assert_eq!(
        e.to_string(),
        "syntax error at line 2, column 15: Expected: LOCATION, found: locaton"
    );
    let e = error("create external table t stored as orc location '/x'");
    assert!(e.to_string().contains("file format 'orc'"), "{e}");
}

#[test]
fn unterminated_string_in_a_script() {
    let e = crate::sql::split_statements("select 1;\nselect 'abc").unwrap_err();
    match e {
        PlanError::Parse { location, .. } => assert_eq!(location.line, 2),
        other => panic!("{other:?}"),
    }
}
