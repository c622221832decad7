//! The session: catalog, configuration, and SQL in, DataFrames out.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;

use crate::dataframe::DataFrame;
use crate::error::{EmberError, Result};

/// Session settings.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Worker threads for tasks.
    pub threads: usize,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            threads: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
        }
    }
}

/// Entry point: registers tables and runs SQL.
#[derive(Clone, Default)]
pub struct SessionContext {
    config: Arc<SessionConfig>,
}

impl SessionContext {
    /// A session with default settings.
    pub fn new() -> Self {
        Self::default()
    }
    /// A session with the given settings.
    pub fn with_config(config: SessionConfig) -> Self {
        SessionContext {
            config: Arc::new(config),
        }
    }
    /// The settings.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }
    /// Plans one SQL statement. Statements with effects (CREATE, SET, ...) run now and
    /// return an empty DataFrame; queries run when the DataFrame is collected.
    pub fn sql(&self, sql: &str) -> Result<DataFrame> {
        Err(EmberError::Unsupported(format!("sql: {sql}")))
    }
    /// Registers the eight TPC-H tables, generated in memory at scale factor `sf`.
    pub fn register_tpch(&self, sf: f64) -> Result<()> {
        Err(EmberError::Unsupported(format!("tpch {sf}")))
    }
    /// Registers a Parquet file or directory as table `name`.
    pub fn register_parquet(&self, name: &str, path: &str) -> Result<()> {
        Err(EmberError::Unsupported(format!("{name} {path}")))
    }
    /// The schema of a registered table.
    pub fn table_schema(&self, name: &str) -> Result<SchemaRef> {
        Err(EmberError::Unsupported(name.to_string()))
    }
}
