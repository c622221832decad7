//! What the planner needs to know about tables, without reading them: their schema
//! and statistics. The runtime's sources implement [`TableSource`]; the session's
//! catalog implements [`Catalog`].

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;

use crate::error::Result;
use crate::optimizer::cost::EstimateSource;
use crate::scalar::ScalarValue;

/// Per-column statistics; every figure is optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ColumnStatistics {
    /// Number of NULLs.
    pub null_count: Option<usize>,
    /// Smallest value.
    pub min: Option<ScalarValue>,
    /// Largest value.
    pub max: Option<ScalarValue>,
    /// Estimated number of distinct values.
    pub distinct_count: Option<usize>,
}

/// Table statistics for the cost model.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Statistics {
    /// Number of rows, when known.
    pub row_count: Option<usize>,
    /// Total size in bytes, when known.
    pub total_bytes: Option<usize>,
    /// One entry per column of the table's schema (may be empty when unknown).
    pub columns: Vec<ColumnStatistics>,
    /// How far `row_count` can be trusted: `Exact` for rows counted in memory,
    /// `Statistics` (the default) for counts read from files' metadata, `Guess` for a
    /// count that is itself an estimate.
    pub source: EstimateSource,
}

/// A table the planner can plan over.
pub trait TableSource: Send + Sync + fmt::Debug {
    /// The table's columns.
    fn schema(&self) -> SchemaRef;
    /// Statistics, as far as they are cheap to know.
    fn statistics(&self) -> Statistics {
        Statistics::default()
    }
    /// A short description for EXPLAIN (`parquet: path`, `memory`, ...).
    fn describe(&self) -> String;
    /// For the runtime to recover its concrete type.
    fn as_any(&self) -> &dyn Any;
}

/// Resolves table names during planning.
pub trait Catalog {
    /// The table or view called `name` (case-insensitive), if any.
    fn table(&self, name: &str) -> Option<CatalogEntry>;
    /// Every table and view name, for suggestions.
    fn table_names(&self) -> Vec<String>;
    /// A table read straight from a file path (`FROM 'x.parquet'`, `read_parquet('x')`).
    /// `format` is `None` to infer it from the extension.
    fn file_table(&self, path: &str, format: Option<&str>) -> Result<Arc<dyn TableSource>>;
}

/// What a name in FROM refers to.
#[derive(Debug, Clone)]
pub enum CatalogEntry {
    /// A base table.
    Table(Arc<dyn TableSource>),
    /// A view, planned from its query (already with the session's catalog).
    View(Box<crate::logical::LogicalPlan>),
}
