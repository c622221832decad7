//! Tables Ember owns (`CREATE TABLE`): declared columns and keys, rows in memory.
//!
//! In: the declared schema (NOT NULL columns are non-nullable fields), unique keys, and
//! whole new contents from each write. Out: a [`DataSource`] that always scans the
//! latest contents, so views and plans made before a write see its rows. A write
//! swaps in a new [`MemTable`]; scans already running keep the one they started with
//! (see [`DataSource::current`]).
//!
//! Rows are kept in partitions like any other source: small tables in one batch,
//! larger ones cut into at most `target_partitions` slices of about equal rows.

use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use arrow::array::RecordBatch;
use arrow::compute::concat_batches;
use arrow::datatypes::SchemaRef;
use ember_planner::catalog::Statistics;

use super::{BatchIter, DataSource, MemTable};
use crate::error::{EmberError, Result};

/// Rows below which a table is kept as one batch in one partition.
const SMALL_TABLE_ROWS: usize = 1 << 16;

/// A table created by `CREATE TABLE`: its columns, keys and current rows.
#[derive(Debug)]
pub struct ManagedTable {
    schema: SchemaRef,
    unique_keys: RwLock<Vec<Vec<usize>>>,
    rows: RwLock<Arc<MemTable>>,
    writes: Mutex<()>,
}

impl ManagedTable {
    /// An empty table with these columns and keys.
    pub fn try_new(schema: SchemaRef, unique_keys: Vec<Vec<usize>>) -> Result<ManagedTable> {
        let empty = MemTable::try_new(schema.clone(), vec![vec![]])?;
        // Keep the declared nullability and metadata (the MemTable's schema is the
        // same columns, normalized).
        let _ = empty.schema();
        Ok(ManagedTable {
            schema,
            unique_keys: RwLock::new(unique_keys),
            rows: RwLock::new(Arc::new(empty)),
            writes: Mutex::new(()),
        })
    }

    /// The declared columns.
    pub fn schema_ref(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// The unique keys (PRIMARY KEY, UNIQUE, unique indexes), as column positions.
    pub fn unique_keys(&self) -> Vec<Vec<usize>> {
        self.unique_keys
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Adds a unique key (the caller checked the rows hold no duplicate).
    pub fn add_unique_key(&self, key: Vec<usize>) {
        self.unique_keys
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(key);
    }

    /// Removes one unique key equal to `key`.
    pub fn remove_unique_key(&self, key: &[usize]) {
        let mut keys = self.unique_keys.write().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = keys.iter().position(|k| k == key) {
            keys.remove(i);
        }
    }

    /// Held by a statement changing the table, so two writes do not interleave.
    pub fn lock_writes(&self) -> MutexGuard<'_, ()> {
        self.writes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current rows.
    pub fn batches(&self) -> Vec<RecordBatch> {
        self.current_rows()
            .partitions()
            .iter()
            .flatten()
            .filter(|b| b.num_rows() > 0)
            .cloned()
            .collect()
    }

    /// Number of rows now.
    pub fn num_rows(&self) -> usize {
        self.current_rows()
            .partitions()
            .iter()
            .flatten()
            .map(|b| b.num_rows())
            .sum()
    }

    fn current_rows(&self) -> Arc<MemTable> {
        // Writers replace the Arc whole, so a poisoned lock still holds a valid table.
        self.rows.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Makes `batches` (already in the table's column types) the table's rows, cut into
    /// at most `target_partitions` partitions.
    pub fn replace(&self, batches: Vec<RecordBatch>, target_partitions: usize) -> Result<()> {
        let partitions = layout(&self.schema, batches, target_partitions)?;
        let table = MemTable::try_new(self.schema.clone(), partitions)?;
        *self.rows.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(table);
        Ok(())
    }
}

/// Cuts rows into partitions: one batch when small, else about equal row slices.
fn layout(
    schema: &SchemaRef,
    batches: Vec<RecordBatch>,
    target_partitions: usize,
) -> Result<Vec<Vec<RecordBatch>>> {
    let batches: Vec<RecordBatch> = batches.into_iter().filter(|b| b.num_rows() > 0).collect();
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    if rows == 0 {
        return Ok(vec![vec![]]);
    }
    if rows < SMALL_TABLE_ROWS {
        let one = if batches.len() == 1 {
            batches
                .into_iter()
                .next()
                .unwrap_or_else(|| RecordBatch::new_empty(schema.clone()))
        } else {
            concat_batches(&batches[0].schema(), &batches).map_err(EmberError::from)?
        };
        return Ok(vec![vec![one]]);
    }
    let parts = target_partitions
        .max(1)
        .min(rows.div_ceil(SMALL_TABLE_ROWS));
    let per_part = rows.div_ceil(parts);
    let mut out: Vec<Vec<RecordBatch>> = vec![Vec::new()];
    let mut in_part = 0usize;
    for batch in batches {
        let mut offset = 0;
        while offset < batch.num_rows() {
            if in_part == per_part {
                out.push(Vec::new());
                in_part = 0;
            }
            let take = (per_part - in_part).min(batch.num_rows() - offset);
            if let Some(last) = out.last_mut() {
                last.push(batch.slice(offset, take));
            }
            in_part += take;
            offset += take;
        }
    }
    Ok(out)
}

impl DataSource for ManagedTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn statistics(&self) -> Statistics {
        self.current_rows().statistics()
    }

    fn describe(&self) -> String {
        let rows = self.current_rows();
        format!("table: {} partitions", rows.num_partitions())
    }

    fn num_partitions(&self) -> usize {
        self.current_rows().num_partitions()
    }

    fn scan(&self, partition: usize, projection: &[usize], batch_size: usize) -> Result<BatchIter> {
        self.current_rows().scan(partition, projection, batch_size)
    }

    fn current(&self) -> Option<Arc<dyn DataSource>> {
        Some(self.current_rows() as Arc<dyn DataSource>)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema};

    fn batch(schema: &SchemaRef, from: i64, n: i64) -> RecordBatch {
        RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(Int64Array::from_iter_values(from..from + n))],
        )
        .unwrap()
    }

    #[test]
    fn small_tables_are_one_batch_and_large_ones_are_split() {
        let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::Int64, false)]));
        let t = ManagedTable::try_new(schema.clone(), vec![]).unwrap();
        assert_eq!((t.num_rows(), t.num_partitions()), (0, 1));
        t.replace(vec![batch(&schema, 0, 3), batch(&schema, 3, 4)], 4)
            .unwrap();
        assert_eq!((t.num_rows(), t.num_partitions()), (7, 1));
        assert_eq!(t.batches().len(), 1);
        let big: Vec<RecordBatch> = (0..30)
            .map(|i| batch(&schema, i * 10_000, 10_000))
            .collect();
        t.replace(big, 4).unwrap();
        assert_eq!((t.num_rows(), t.num_partitions()), (300_000, 4));
        let counts: Vec<usize> = (0..4)
            .map(|p| {
                t.scan(p, &[0], 1 << 20)
                    .unwrap()
                    .map(|b| b.unwrap().num_rows())
                    .sum()
            })
            .collect();
        assert_eq!(counts, vec![75_000; 4]);
        // A scan started before a write keeps reading the rows it started with.
        let before = t.current().unwrap();
        t.replace(vec![], 4).unwrap();
        assert_eq!(before.num_partitions(), 4);
        assert_eq!(t.num_rows(), 0);
    }
}
