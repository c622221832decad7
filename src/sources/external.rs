//! Tables of files (`CREATE EXTERNAL TABLE ... LOCATION 'folder'`) that writes can add
//! files to.
//!
//! In: a location, a format and its reading options. Out: a [`DataSource`] over the
//! files found when it was opened or last refreshed; [`ExternalTable::refresh`] lists
//! the location again after a write added files. The columns stay those found first.

use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use arrow::datatypes::SchemaRef;
use ember_planner::catalog::Statistics;

use super::{BatchIter, DataSource};
use crate::error::{EmberError, Result};

/// Opens the files of a location as a source.
pub type Opener = Arc<dyn Fn() -> Result<Arc<dyn DataSource>> + Send + Sync>;

/// A table over the files at a location.
pub struct ExternalTable {
    location: String,
    format: String,
    options: Vec<(String, String)>,
    open: Opener,
    schema: SchemaRef,
    files: RwLock<Arc<dyn DataSource>>,
    writes: Mutex<()>,
}

impl std::fmt::Debug for ExternalTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExternalTable")
            .field("location", &self.location)
            .field("format", &self.format)
            .finish()
    }
}

impl ExternalTable {
    /// Opens the table at `location` in `format` (`parquet` or `csv`, read with
    /// `options`) with `open`.
    pub fn try_new(
        location: &str,
        format: &str,
        options: Vec<(String, String)>,
        open: Opener,
    ) -> Result<ExternalTable> {
        let files = open()?;
        Ok(ExternalTable {
            location: location.to_string(),
            format: format.to_string(),
            options,
            schema: files.schema(),
            open,
            files: RwLock::new(files),
            writes: Mutex::new(()),
        })
    }

    /// The folder or file the table reads.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// `parquet` or `csv`.
    pub fn format(&self) -> &str {
        &self.format
    }

    /// The options the table was created with (`header`, `delimiter`, ...).
    pub fn options(&self) -> &[(String, String)] {
        &self.options
    }

    /// Columns that come from `name=value` folders, in order.
    pub fn partition_columns(&self) -> Vec<String> {
        self.current_files().partition_columns()
    }

    /// Held by a statement writing to the table, so writes do not interleave.
    pub fn lock_writes(&self) -> MutexGuard<'_, ()> {
        self.writes.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn current_files(&self) -> Arc<dyn DataSource> {
        self.files.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Lists the location again (after files were added). The columns must be the
    /// ones the table had.
    pub fn refresh(&self) -> Result<()> {
        let files = (self.open)()?;
        let same = files.schema().fields().len() == self.schema.fields().len()
            && files
                .schema()
                .fields()
                .iter()
                .zip(self.schema.fields())
                .all(|(a, b)| a.name() == b.name() && a.data_type() == b.data_type());
        if !same {
            return Err(EmberError::data(
                &self.location,
                "the files' columns changed from those the table was created with",
            ));
        }
        *self.files.write().unwrap_or_else(|e| e.into_inner()) = files;
        Ok(())
    }
}

impl DataSource for ExternalTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn statistics(&self) -> Statistics {
        self.current_files().statistics()
    }

    fn describe(&self) -> String {
        self.current_files().describe()
    }

    fn file_location(&self) -> Option<super::FileLocation> {
        self.current_files().file_location()
    }

    fn num_partitions(&self) -> usize {
        self.current_files().num_partitions()
    }

    fn partition_statistics(&self, partition: usize) -> Option<Statistics> {
        self.current_files().partition_statistics(partition)
    }

    fn scan(&self, partition: usize, projection: &[usize], batch_size: usize) -> Result<BatchIter> {
        self.current_files().scan(partition, projection, batch_size)
    }

    fn current(&self) -> Option<Arc<dyn DataSource>> {
        let files = self.current_files();
        Some(files.current().unwrap_or(files))
    }

    fn partition_columns(&self) -> Vec<String> {
        self.current_files().partition_columns()
    }
}
