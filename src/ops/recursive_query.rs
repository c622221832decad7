//! The row memory of a recursive query under UNION: which rows came out already, so
//! a round adds only rows never seen (NULLs equal, as in every set operation).
//!
//! In: batches of one schema. Out: each batch reduced to its rows not seen before
//! (also dropping repeats within the batch).

use std::collections::HashSet;

use arrow::array::{RecordBatch, UInt32Array};
use arrow::compute::take_record_batch;
use arrow::datatypes::SchemaRef;
use arrow::row::{RowConverter, SortField};

use crate::error::Result;

/// Rows seen so far, as encoded row keys.
pub struct SeenRows {
    converter: RowConverter,
    seen: HashSet<Box<[u8]>>,
}

impl SeenRows {
    /// An empty memory for rows of `schema`.
    pub fn new(schema: &SchemaRef) -> Result<Self> {
        let fields = schema
            .fields()
            .iter()
            .map(|f| SortField::new(f.data_type().clone()))
            .collect();
        Ok(SeenRows {
            converter: RowConverter::new(fields)?,
            seen: HashSet::new(),
        })
    }

    /// The rows of `batch` not seen before, remembering them.
    pub fn keep_new(&mut self, batch: &RecordBatch) -> Result<RecordBatch> {
        if batch.num_columns() == 0 {
            return Ok(batch.clone());
        }
        let rows = self.converter.convert_columns(batch.columns())?;
        let mut keep = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            if self.seen.insert(row.as_ref().into()) {
                keep.push(i as u32);
            }
        }
        if keep.len() == batch.num_rows() {
            return Ok(batch.clone());
        }
        Ok(take_record_batch(batch, &UInt32Array::from(keep))?)
    }
}
