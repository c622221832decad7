//! Sorting and top-k within each partition.

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use ember_planner::physical::PhysSortKey;

use crate::error::Result;
use crate::exec::{drain, into_iter};
use crate::ops::sort::sort_batches;
use crate::rdd::Rdd;

/// Sorts each partition (keeping `fetch` rows when given).
pub fn lower_sort(
    input: Rdd<RecordBatch>,
    keys: &[PhysSortKey],
    fetch: Option<usize>,
    schema: SchemaRef,
) -> Result<Rdd<RecordBatch>> {
    let keys = keys.to_vec();
    let name = if fetch.is_some() { "TopK" } else { "Sort" };
    Ok(input.map_partitions(name, move |_, iter| {
        let batches = drain(iter)?;
        Ok(into_iter(sort_batches(batches, &keys, fetch, &schema)?))
    }))
}
