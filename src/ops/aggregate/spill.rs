//! Spilled aggregate state: the groups an aggregation could not keep in memory,
//! written as partial states to spill files split by a hash of their keys, so that
//! each part can be merged on its own at the end.
//!
//! In: the group columns then every aggregate's state columns (what a Partial
//! aggregate outputs) of the groups held when memory ran out; this may happen many
//! times. Out: one spill file per part that received rows; the same group always lands
//! in the same part, so merging one part's states gives its groups' final states.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, RecordBatchOptions, UInt32Array};
use arrow::compute::take_record_batch;
use arrow::datatypes::{Field, Schema, SchemaRef};

use crate::error::Result;
use crate::memory::{OperatorMemory, SpillFile, SpillWriter};
use crate::ops::hash::{hash_columns, part_of_hash};
use crate::ops::split_batch;

/// Parts the spilled groups are split into: each part is merged alone, so the
/// merge needs about this share of the state that did not fit.
pub const SPILL_PARTS: usize = 16;

/// The spill files of one aggregation's state, one being written per part.
pub struct SpilledState {
    group_columns: usize,
    schema: Option<SchemaRef>,
    writers: Vec<Option<SpillWriter>>,
}

/// Mixed into the key hash before it picks a part: an exchange, and a task's split
/// when short of memory, already grouped the rows by other mixes of the same hash.
const SPILL_SALT: u64 = 0x9E37_79B9_7F4A_7C15;

/// The part of a key hash.
fn part_of(hash: u64) -> usize {
    part_of_hash(hash, SPILL_SALT, SPILL_PARTS)
}

impl SpilledState {
    /// Spilled state whose first `group_columns` columns are the group keys.
    pub fn new(group_columns: usize) -> Self {
        SpilledState {
            group_columns,
            schema: None,
            writers: (0..SPILL_PARTS).map(|_| None).collect(),
        }
    }

    /// Writes the state of `rows` groups, split into parts by key.
    pub fn write(
        &mut self,
        columns: Vec<ArrayRef>,
        rows: usize,
        memory: &OperatorMemory,
    ) -> Result<()> {
        if rows == 0 {
            return Ok(());
        }
        let schema = self
            .schema
            .get_or_insert_with(|| state_schema(&columns, self.group_columns))
            .clone();
        let mut hashes = Vec::with_capacity(rows);
        hash_columns(&columns[..self.group_columns], rows, &mut hashes)?;
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        let batch = RecordBatch::try_new_with_options(schema.clone(), columns, &options)?;
        let mut parts: Vec<Vec<u32>> = vec![Vec::new(); SPILL_PARTS];
        for (row, h) in hashes.iter().enumerate() {
            parts[part_of(*h)].push(row as u32);
        }
        for (part, rows) in parts.into_iter().enumerate() {
            if rows.is_empty() {
                continue;
            }
            let piece = take_record_batch(&batch, &UInt32Array::from(rows))?;
            let writer = match &mut self.writers[part] {
                Some(w) => w,
                slot => slot.insert(memory.spill_file(&schema)?),
            };
            for chunk in split_batch(piece) {
                writer.write(&chunk)?;
            }
        }
        Ok(())
    }

    /// Closes the files: one per part that received groups.
    pub fn finish(self, memory: &OperatorMemory) -> Result<Vec<SpillFile>> {
        let mut files = Vec::new();
        for writer in self.writers.into_iter().flatten() {
            let file = writer.finish()?;
            memory.record_spill(&file);
            files.push(file);
        }
        Ok(files)
    }
}

/// Names for state columns: `g<i>` for keys, `s<i>` for states, every one nullable
/// (the merge reads columns by position).
fn state_schema(columns: &[ArrayRef], group_columns: usize) -> SchemaRef {
    let fields: Vec<Field> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let name = if i < group_columns {
                format!("g{i}")
            } else {
                format!("s{}", i - group_columns)
            };
            Field::new(name, c.data_type().clone(), true)
        })
        .collect();
    Arc::new(Schema::new(fields))
}
