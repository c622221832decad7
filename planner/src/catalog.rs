//! What the planner needs to know about tables, without reading them: their schema
//! and statistics. The runtime's sources implement [`TableSource`]; the session's
//! catalog implements [`Catalog`]. A catalog may know a second place to look for a
//! name it does not hold ([`Catalog::table_elsewhere`]: in remote mode, the cluster's
//! own catalog); the planner only sees the answer.

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
    /// A table this catalog does not hold, looked up in a second place (remote mode
    /// asks the Spark cluster's own catalog). `name` is the name's parts as written
    /// (`["db", "t"]` for `db.t`). Asked only after CTEs, views, tables and file
    /// names; an error is the lookup itself failing (the place unreachable, a column
    /// of a type Ember has not). The default has no second place.
    fn table_elsewhere(&self, name: &[String]) -> Result<Elsewhere> {
        let _ = name;
        Ok(Elsewhere::NotLooked)
    }
}

/// What [`Catalog::table_elsewhere`] found.
#[derive(Debug, Clone)]
pub enum Elsewhere {
    /// The catalog has no second place to look.
    NotLooked,
    /// The table, found there.
    Found(Arc<dyn TableSource>),
    /// Looked up there and not found; `searched` says where, for the error
    /// (`on the cluster at sc://host:15002`).
    Absent {
        /// Where the name was looked up besides the catalog.
        searched: String,
    },
}

/// What a name in FROM refers to.
#[derive(Debug, Clone)]
pub enum CatalogEntry {
    /// A base table.
    Table(Arc<dyn TableSource>),
    /// A view, planned from its query (already with the session's catalog).
    View(Box<crate::logical::LogicalPlan>),
}
