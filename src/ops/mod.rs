//! Columnar operators: record batches in, record batches out. Knows no RDDs.
//!
//! Imports `crate::expr` for expressions, `arrow`, `hashbrown` and `ember_planner`'s
//! physical plan types; nothing from `rdd` or `exec`.
//!
//! - [`filter`], [`project`], [`values`], [`limit`]: the row-wise operators.
//! - [`aggregate`]: hash aggregation in Partial, Final and Single modes.
//! - [`expand`]: each row once per grouping set.
//! - [`join`]: hash joins (build table and per-task probe) and nested loop joins.
//! - [`sort`], [`topk`]: full sorts and bounded top-k; [`external_sort`] sorts within
//!   a memory reservation, spilling sorted runs that [`merge`] merges back.
//! - [`window`]: window functions over sorted partitions.
//! - [`recursive_query`]: the rows a recursive query under UNION has produced.
//! - [`partition`]: hash partitioning for exchanges.
//! - [`hash`]: the fixed-seed hash shared by the above.

pub mod aggregate;
pub mod expand;
pub mod external_sort;
pub mod filter;
pub mod hash;
pub mod join;
pub mod limit;
pub mod merge;
pub mod partition;
pub mod project;
pub mod recursive_query;
pub mod sort;
pub mod topk;
pub mod values;
pub mod window;

use arrow::array::{ArrayRef, RecordBatch, RecordBatchOptions};
use arrow::datatypes::SchemaRef;

use crate::error::Result;
use crate::expr::cast::cast_array;

/// Largest number of rows an operator puts in one output batch.
pub const BATCH_SIZE: usize = 8192;

/// A batch of `schema` from `columns`, casting a column whose type differs from the
/// schema's (e.g. a decimal precision label) and keeping `rows` when there are no
/// columns.
pub fn batch_with_schema(
    schema: &SchemaRef,
    columns: Vec<ArrayRef>,
    rows: usize,
) -> Result<RecordBatch> {
    let columns = columns
        .into_iter()
        .zip(schema.fields().iter())
        .map(|(c, f)| {
            if c.data_type() == f.data_type() {
                Ok(c)
            } else {
                cast_array(&c, f.data_type())
            }
        })
        .collect::<Result<Vec<_>>>()?;
    let options = RecordBatchOptions::new().with_row_count(Some(rows));
    Ok(RecordBatch::try_new_with_options(
        schema.clone(),
        columns,
        &options,
    )?)
}

/// Bytes of the rows of `batch` — of its slice only, not of the whole buffers a
/// zero-copy slice points into — for reserving memory per batch.
pub fn batch_bytes(batch: &RecordBatch) -> u64 {
    batch
        .columns()
        .iter()
        .map(|c| {
            let data = c.to_data();
            data.get_slice_memory_size()
                .unwrap_or_else(|_| c.get_array_memory_size()) as u64
        })
        .sum()
}

/// Splits a batch into zero-copy slices of at most [`BATCH_SIZE`] rows (none when empty).
pub fn split_batch(batch: RecordBatch) -> Vec<RecordBatch> {
    let rows = batch.num_rows();
    if rows <= BATCH_SIZE {
        return if rows == 0 { vec![] } else { vec![batch] };
    }
    (0..rows)
        .step_by(BATCH_SIZE)
        .map(|start| batch.slice(start, BATCH_SIZE.min(rows - start)))
        .collect()
}

/// Rows of batches rendered as sorted strings, for comparing results in tests.
#[cfg(test)]
pub(crate) fn sorted_rows(batches: &[RecordBatch]) -> Vec<String> {
    use arrow::util::display::{ArrayFormatter, FormatOptions};
    let options = FormatOptions::default().with_null("NULL");
    let mut rows = Vec::new();
    for b in batches {
        let formatters: Vec<ArrayFormatter> = b
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).unwrap())
            .collect();
        for i in 0..b.num_rows() {
            let cells: Vec<String> = formatters.iter().map(|f| f.value(i).to_string()).collect();
            rows.push(cells.join("|"));
        }
    }
    rows.sort();
    rows
}
