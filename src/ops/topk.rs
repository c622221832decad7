//! Top-k: the first k rows of a sort order over a stream of batches, keeping O(k)
//! rows (plus one buffer of incoming rows) in memory.
//!
//! In: batches via [`TopK::push`]. Out: the k best rows, sorted, from [`TopK::finish`].

use arrow::array::RecordBatch;
use arrow::compute::concat_batches;
use arrow::datatypes::SchemaRef;
use ember_planner::physical::PhysSortKey;

use crate::error::Result;
use crate::ops::sort::sort_batch;
use crate::ops::{BATCH_SIZE, split_batch};

/// The running top k rows of a sort.
pub struct TopK {
    keys: Vec<PhysSortKey>,
    k: usize,
    schema: SchemaRef,
    /// The best rows so far (sorted) and the batches not yet compared with them.
    pending: Vec<RecordBatch>,
    pending_rows: usize,
}

impl TopK {
    /// Keeps the first `k` rows by `keys` of batches of `schema`.
    pub fn new(keys: Vec<PhysSortKey>, k: usize, schema: SchemaRef) -> Self {
        TopK {
            keys,
            k,
            schema,
            pending: Vec::new(),
            pending_rows: 0,
        }
    }

    /// Takes in one batch.
    pub fn push(&mut self, batch: &RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 || self.k == 0 {
            return Ok(());
        }
        self.pending.push(batch.clone());
        self.pending_rows += batch.num_rows();
        if self.pending_rows >= (2 * self.k).max(BATCH_SIZE) {
            self.compact()?;
        }
        Ok(())
    }

    /// Sorts what is held and keeps the best k rows.
    fn compact(&mut self) -> Result<()> {
        let all = concat_batches(&self.schema, &self.pending)?;
        let best = sort_batch(&all, &self.keys, Some(self.k))?;
        self.pending_rows = best.num_rows();
        self.pending = vec![best];
        Ok(())
    }

    /// The best k rows in order.
    pub fn finish(mut self) -> Result<Vec<RecordBatch>> {
        if self.pending.is_empty() {
            return Ok(vec![]);
        }
        self.compact()?;
        Ok(self.pending.into_iter().flat_map(split_batch).collect())
    }
}
