//! Names the catalog does not hold, asked of its second place (remote mode's cluster
//! catalog): found tables plan as scans qualified by their last name part, qualified
//! names pass through as written, and an absent name says where it was looked up.

use std::cell::RefCell;
use std::sync::Arc;

use arrow::datatypes::DataType;

use super::{TestCatalog, table};
use crate::catalog::{Catalog, CatalogEntry, Elsewhere, TableSource};
use crate::error::{PlanError, Result};
use crate::logical::LogicalPlan;
use crate::sql::SqlPlanner;

/// The test catalog, with a second place holding `sales` (also as `db.sales`) that
/// records every name it is asked for and fails for `down`.
struct WithSecondPlace {
    base: TestCatalog,
    asked: RefCell<Vec<Vec<String>>>,
}

impl Catalog for WithSecondPlace {
    fn table(&self, name: &str) -> Option<CatalogEntry> {
        self.base.table(name)
    }
    fn table_names(&self) -> Vec<String> {
        self.base.table_names()
    }
    fn file_table(&self, path: &str, format: Option<&str>) -> Result<Arc<dyn TableSource>> {
        self.base.file_table(path, format)
    }
    fn table_elsewhere(&self, name: &[String]) -> Result<Elsewhere> {
        self.asked.borrow_mut().push(name.to_vec());
        let lower: Vec<String> = name.iter().map(|p| p.to_ascii_lowercase()).collect();
        match lower
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
        {
            ["sales"] | ["db", "sales"] => Ok(Elsewhere::Found(table(
                "sales",
                &[
                    ("s_nationkey", DataType::Int64),
                    ("amount", DataType::Float64),
                ],
            ))),
            ["down"] => Err(PlanError::plan("the second place cannot be reached")),
            _ => Ok(Elsewhere::Absent {
                searched: "on the test cluster".into(),
            }),
        }
    }
}

fn catalog() -> WithSecondPlace {
    WithSecondPlace {
        base: TestCatalog::new(),
        asked: RefCell::new(Vec::new()),
    }
}

fn plan(c: &WithSecondPlace, sql: &str) -> Result<LogicalPlan> {
    SqlPlanner::new(c).plan_query_text(sql)
}

#[test]
fn a_table_found_elsewhere_joins_local_tables() {
    let c = catalog();
    let p = plan(
        &c,
        "SELECT n_name, sales.amount FROM db.sales JOIN nation ON s_nationkey = n_nationkey",
    )
    .unwrap();
    let text = p.to_string();
    assert!(text.contains("Scan: sales"), "{text}");
    assert!(text.contains("Scan: nation"), "{text}");
    // Local names are never asked of the second place; the qualified name is asked
    // as written.
    assert_eq!(
        *c.asked.borrow(),
        vec![vec!["db".to_string(), "sales".into()]]
    );
}

#[test]
fn local_tables_views_and_ctes_come_first() {
    let c = catalog();
    plan(
        &c,
        "WITH sales AS (SELECT 1 AS x) SELECT x FROM sales, nation, big_orders LIMIT 1",
    )
    .unwrap();
    assert!(c.asked.borrow().is_empty());
}

#[test]
fn an_absent_table_says_where_it_was_looked_up() {
    let e = plan(&catalog(), "SELECT * FROM nosuch").unwrap_err();
    assert_eq!(
        e.to_string(),
        "table 'nosuch' not found at line 1, column 15: looked up in Ember's catalog and on the test cluster"
    );
    let e = plan(&catalog(), "SELECT * FROM db.natio").unwrap_err();
    assert_eq!(
        e.to_string(),
        "table 'db.natio' not found at line 1, column 15: looked up in Ember's catalog and on the test cluster"
    );
}

#[test]
fn a_failed_lookup_is_the_error_at_the_name() {
    let e = plan(&catalog(), "SELECT *\nFROM down").unwrap_err();
    assert_eq!(
        e.to_string(),
        "planning error at line 2, column 6: the second place cannot be reached"
    );
}

#[test]
fn without_a_second_place_qualified_names_are_unsupported() {
    let e = TestCatalog::new()
        .plan("SELECT * FROM db.nation")
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("not supported at line 1, column 15: qualified table name 'db.nation'"),
        "{e}"
    );
}

#[test]
fn copy_of_a_table_found_elsewhere_scans_it() {
    let c = catalog();
    let statement = SqlPlanner::new(&c)
        .plan_statement("COPY db.sales TO '/tmp/out' (FORMAT parquet)")
        .unwrap();
    let crate::sql::Statement::CopyTo { plan, .. } = statement else {
        panic!("not a COPY TO: {statement:?}");
    };
    assert!(plan.to_string().contains("Scan: sales"), "{plan}");
}
