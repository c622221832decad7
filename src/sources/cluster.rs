//! A table that exists only in a Spark cluster's own catalog (remote mode): Ember
//! knows its name and schema, asked of the cluster, and nothing of its rows. A
//! remote query reads it by name (`Read.named_table`); Ember itself cannot scan it,
//! and says so if a local run ever reaches it (a view kept after `RESET
//! ember.execution.remote`, `CREATE TABLE ... AS` in remote mode).
//!
//! In: the cluster's name for the table, the server's URL and the schema. Out: a
//! [`TableSource`]. Imports only `arrow`, `ember_planner::catalog` and `crate::error`.

use std::any::Any;

use arrow::datatypes::SchemaRef;
use ember_planner::catalog::TableSource;

use crate::error::EmberError;

/// A table of the cluster's catalog.
#[derive(Debug)]
pub struct ClusterTable {
    identifier: String,
    server: String,
    schema: SchemaRef,
}

impl ClusterTable {
    /// The table the cluster at `server` (`sc://host:port`, no token) calls
    /// `identifier` (Spark's multi-part name, backquoted where needed), with `schema`.
    pub fn new(identifier: String, server: String, schema: SchemaRef) -> Self {
        ClusterTable {
            identifier,
            server,
            schema,
        }
    }

    /// The name the cluster knows the table by, as sent in `Read.named_table`.
    pub fn identifier(&self) -> &str {
        &self.identifier
    }

    /// The error for a local scan of the table Ember calls `table`.
    pub fn not_readable_here(&self, table: &str) -> EmberError {
        EmberError::Unsupported(format!(
            "reading table '{table}' in Ember: it is {}, and only a query run there \
             (SET ember.execution.remote = '{}') can read it",
            self.describe(),
            self.server
        ))
    }
}

impl TableSource for ClusterTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
    fn describe(&self) -> String {
        format!(
            "the table {} on the cluster at {}",
            self.identifier, self.server
        )
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
