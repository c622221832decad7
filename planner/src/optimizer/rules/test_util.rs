//! Test helpers for the rules: scans of schema-only tables with nullable columns.

use std::any::Any;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::catalog::TableSource;
use crate::logical::LogicalPlanBuilder;

#[derive(Debug)]
struct SchemaOnly(SchemaRef);

impl TableSource for SchemaOnly {
    fn schema(&self) -> SchemaRef {
        self.0.clone()
    }
    fn describe(&self) -> String {
        "schema only".to_string()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A scan of table `name`; each column is `(name, type, nullable)`.
pub(crate) fn scan(name: &str, cols: &[(&str, DataType, bool)]) -> LogicalPlanBuilder {
    let fields: Vec<Field> = cols
        .iter()
        .map(|(n, t, null)| Field::new(*n, t.clone(), *null))
        .collect();
    LogicalPlanBuilder::scan(name, Arc::new(SchemaOnly(Arc::new(Schema::new(fields)))))
        .expect("a scan always builds")
}

/// `t(a BIGINT NULL, b BIGINT NOT NULL, c VARCHAR NULL)`.
pub(crate) fn t() -> LogicalPlanBuilder {
    scan(
        "t",
        &[
            ("a", DataType::Int64, true),
            ("b", DataType::Int64, false),
            ("c", DataType::Utf8, true),
        ],
    )
}

/// `u(x BIGINT NULL, y BIGINT NULL)`.
pub(crate) fn u() -> LogicalPlanBuilder {
    scan(
        "u",
        &[("x", DataType::Int64, true), ("y", DataType::Int64, true)],
    )
}
