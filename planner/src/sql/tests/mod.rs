//! Tests of SQL planning against a small in-memory catalog of TPC-H tables (schemas only).

mod elsewhere;
mod errors;
mod queries;
mod subqueries;
mod tpch;
mod windows;

use std::any::Any;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::catalog::{Catalog, CatalogEntry, TableSource};
use crate::error::{PlanError, Result};
use crate::logical::LogicalPlan;
use crate::sql::{SqlPlanner, Statement};

#[derive(Debug)]
struct TestTable {
    name: String,
    schema: SchemaRef,
}

impl TableSource for TestTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
    fn describe(&self) -> String {
        format!("test: {}", self.name)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The eight TPC-H tables, plus a view `big_orders` over `orders`.
pub(crate) struct TestCatalog {
    tables: Vec<Arc<TestTable>>,
    views: Vec<(String, LogicalPlan)>,
}

fn table(name: &str, cols: &[(&str, DataType)]) -> Arc<TestTable> {
    let fields: Vec<Field> = cols
        .iter()
        .map(|(n, t)| Field::new(*n, t.clone(), false))
        .collect();
    Arc::new(TestTable {
        name: name.to_string(),
        schema: Arc::new(Schema::new(fields)),
    })
}

impl TestCatalog {
    pub(crate) fn new() -> Self {
        use DataType::*;
        let money = Decimal128(15, 2);
        let tables = vec![
            table(
                "lineitem",
                &[
                    ("l_orderkey", Int64),
                    ("l_partkey", Int64),
                    ("l_suppkey", Int64),
                    ("l_linenumber", Int32),
                    ("l_quantity", money.clone()),
                    ("l_extendedprice", money.clone()),
                    ("l_discount", money.clone()),
                    ("l_tax", money.clone()),
                    ("l_returnflag", Utf8),
                    ("l_linestatus", Utf8),
                    ("l_shipdate", Date32),
                    ("l_commitdate", Date32),
                    ("l_receiptdate", Date32),
                    ("l_shipinstruct", Utf8),
                    ("l_shipmode", Utf8),
                    ("l_comment", Utf8),
                ],
            ),
            table(
                "orders",
                &[
                    ("o_orderkey", Int64),
                    ("o_custkey", Int64),
                    ("o_orderstatus", Utf8),
                    ("o_totalprice", money.clone()),
                    ("o_orderdate", Date32),
                    ("o_orderpriority", Utf8),
                    ("o_clerk", Utf8),
                    ("o_shippriority", Int32),
                    ("o_comment", Utf8),
                ],
            ),
            table(
                "customer",
                &[
                    ("c_custkey", Int64),
                    ("c_name", Utf8),
                    ("c_address", Utf8),
                    ("c_nationkey", Int64),
                    ("c_phone", Utf8),
                    ("c_acctbal", money.clone()),
                    ("c_mktsegment", Utf8),
                    ("c_comment", Utf8),
                ],
            ),
            table(
                "part",
                &[
                    ("p_partkey", Int64),
                    ("p_name", Utf8),
                    ("p_mfgr", Utf8),
                    ("p_brand", Utf8),
                    ("p_type", Utf8),
                    ("p_size", Int32),
                    ("p_container", Utf8),
                    ("p_retailprice", money.clone()),
                    ("p_comment", Utf8),
                ],
            ),
            table(
                "supplier",
                &[
                    ("s_suppkey", Int64),
                    ("s_name", Utf8),
                    ("s_address", Utf8),
                    ("s_nationkey", Int64),
                    ("s_phone", Utf8),
                    ("s_acctbal", money.clone()),
                    ("s_comment", Utf8),
                ],
            ),
            table(
                "partsupp",
                &[
                    ("ps_partkey", Int64),
                    ("ps_suppkey", Int64),
                    ("ps_availqty", Int32),
                    ("ps_supplycost", money.clone()),
                    ("ps_comment", Utf8),
                ],
            ),
            table(
                "nation",
                &[
                    ("n_nationkey", Int64),
                    ("n_name", Utf8),
                    ("n_regionkey", Int64),
                    ("n_comment", Utf8),
                ],
            ),
            table(
                "region",
                &[
                    ("r_regionkey", Int64),
                    ("r_name", Utf8),
                    ("r_comment", Utf8),
                ],
            ),
        ];
        let mut catalog = TestCatalog {
            tables,
            views: vec![],
        };
        let view = catalog
            .plan("select o_orderkey, o_totalprice from orders where o_totalprice > 1000")
            .expect("view plans");
        catalog.views.push(("big_orders".to_string(), view));
        catalog
    }

    /// Plans a query, panicking with the error's text if it fails.
    pub(crate) fn plan(&self, sql: &str) -> Result<LogicalPlan> {
        SqlPlanner::new(self).plan_query_text(sql)
    }

    /// Plans any statement.
    pub(crate) fn statement(&self, sql: &str) -> Result<Statement> {
        SqlPlanner::new(self).plan_statement(sql)
    }
}

impl Catalog for TestCatalog {
    fn table(&self, name: &str) -> Option<CatalogEntry> {
        if let Some(t) = self
            .tables
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
        {
            return Some(CatalogEntry::Table(t.clone()));
        }
        self.views
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, p)| CatalogEntry::View(Box::new(p.clone())))
    }

    fn table_names(&self) -> Vec<String> {
        self.tables
            .iter()
            .map(|t| t.name.clone())
            .chain(self.views.iter().map(|(n, _)| n.clone()))
            .collect()
    }

    fn file_table(&self, path: &str, format: Option<&str>) -> Result<Arc<dyn TableSource>> {
        let is_parquet = format == Some("parquet") || path.ends_with(".parquet");
        if is_parquet && path.contains("nation") {
            Ok(table(
                "nation_file",
                &[("n_nationkey", DataType::Int64), ("n_name", DataType::Utf8)],
            ))
        } else {
            Err(PlanError::plan(format!("no such file: {path}")))
        }
    }
}
