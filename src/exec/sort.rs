//! Sorting and top-k within each partition. A small fetch keeps its top-k heap; a full
//! sort runs as an [`ExternalSort`] under a reservation of the memory pool, spilling
//! sorted runs when the reservation cannot grow.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use ember_planner::physical::PhysSortKey;

use crate::error::Result;
use crate::exec::metrics::NodeMetrics;
use crate::exec::{ExecContext, drain, into_iter};
use crate::ops::external_sort::ExternalSort;
use crate::ops::sort::{TOPK_LIMIT, sort_batches};
use crate::rdd::{PartitionIter, Rdd};

/// Sorts each partition (keeping `fetch` rows when given); `node` holds the sort's
/// counters under EXPLAIN ANALYZE.
pub fn lower_sort(
    input: Rdd<RecordBatch>,
    keys: &[PhysSortKey],
    fetch: Option<usize>,
    schema: SchemaRef,
    cx: &ExecContext,
    node: Option<Arc<NodeMetrics>>,
) -> Result<Rdd<RecordBatch>> {
    let keys = keys.to_vec();
    if let Some(k) = fetch
        && k <= TOPK_LIMIT
    {
        return Ok(input.map_partitions("TopK", move |_, iter| {
            let batches = drain(iter)?;
            Ok(into_iter(sort_batches(batches, &keys, fetch, &schema)?))
        }));
    }
    let memory = cx.memory.clone();
    Ok(input.map_partitions("Sort", move |task, iter| {
        let handle = ExecContext::task_memory(&memory, "Sort", task, true, node.as_ref());
        let mut sort = ExternalSort::new(keys.clone(), schema.clone(), handle);
        for batch in iter {
            sort.push(batch?)?;
        }
        let sorted = sort.finish(fetch)?;
        Ok(Box::new(sorted.map(|b| Ok(b?))) as PartitionIter<RecordBatch>)
    }))
}
