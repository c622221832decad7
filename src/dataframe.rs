//! A lazy DataFrame: a logical plan plus the session that runs it.

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;

use crate::error::{EmberError, Result};

/// A lazily evaluated relation.
#[derive(Clone)]
pub struct DataFrame {
    schema: SchemaRef,
}

impl DataFrame {
    /// The output columns.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
    /// Runs the query and returns every batch.
    pub fn collect(&self) -> Result<Vec<RecordBatch>> {
        Err(EmberError::Unsupported("collect".into()))
    }
}
