//! Window: computes window calls over each partition (already exchanged on the
//! PARTITION BY keys and sorted). The partition's rows and the computed columns are
//! reserved in the memory pool; a window does not spill, so past the limit its task
//! fails short of memory.
//!
//! In: the Window node's input plan, keys and calls. Out: an RDD whose partition i is
//! the window over partition i. With PARTITION BY keys the task may run again over
//! parts of its partition (rows split by a hash of those keys, so every window
//! partition stays whole in one part), one part after another: the split is made below
//! the sort, which then sorts each part on its own. Without PARTITION BY the whole
//! input is one window partition, which cannot be split.

use std::sync::Arc;

use arrow::array::RecordBatch;
use ember_planner::physical::{PhysExpr, PhysSortKey, PhysicalPlan, WindowExpr};

use crate::error::Result;
use crate::exec::metrics::NodeMetrics;
use crate::exec::{ExecContext, drain, into_iter, lower, node_metrics, observed, sort};
use crate::expr::evaluate;
use crate::ops::batch_bytes;
use crate::ops::partition::rows_of_part;
use crate::ops::window::window_batches;
use crate::rdd::{InputPart, PartitionIter, Rdd, TaskContext};

/// The Window node over `input`, whose output schema is `schema`.
pub fn lower_window(
    input: &Arc<PhysicalPlan>,
    partition_by: &[PhysExpr],
    order_by: &[PhysSortKey],
    exprs: &[WindowExpr],
    schema: &arrow::datatypes::SchemaRef,
    cx: &ExecContext,
    node: Option<Arc<NodeMetrics>>,
) -> Result<Rdd<RecordBatch>> {
    let memory = cx.memory.clone();
    let spec = Arc::new((partition_by.to_vec(), order_by.to_vec(), exprs.to_vec()));
    let schema = schema.clone();
    let input_schema = input.schema();
    let window = move |task: &TaskContext,
                       iter: PartitionIter<RecordBatch>|
          -> crate::rdd::error::Result<PartitionIter<RecordBatch>> {
        let batches = drain(iter)?;
        let mut reserved = ExecContext::task_memory(&memory, "Window", task, false, node.as_ref());
        let bytes: u64 = batches.iter().map(batch_bytes).sum();
        // The rows, and about as much again for the sorted copy and new columns.
        reserved.try_grow(2 * bytes)?;
        let (partition_by, order_by, exprs) = spec.as_ref();
        Ok(into_iter(window_batches(
            batches,
            partition_by,
            order_by,
            exprs,
            &input_schema,
            &schema,
        )?))
    };
    if partition_by.is_empty() {
        return Ok(lower(input, cx)?.map_partitions("Window", window));
    }
    let keys = partition_by.to_vec();
    let splitter = move |batch: RecordBatch, part: InputPart| {
        let columns = keys
            .iter()
            .map(|k| evaluate(k, &batch))
            .collect::<Result<Vec<_>>>()?;
        Ok(rows_of_part(&batch, &columns, part.part, part.parts)?)
    };
    match input.as_ref() {
        // Split below the sort: each part is read and sorted on its own.
        PhysicalPlan::Sort {
            input: unsorted,
            keys,
            fetch: None,
        } => {
            let point = lower(unsorted, cx)?.split_point(splitter);
            let sorted = sort::lower_sort(
                point.clone(),
                keys,
                None,
                input.schema(),
                cx,
                node_metrics(input, cx),
            )?;
            let sorted = observed(input, cx, sorted);
            Ok(sorted.map_partitions_split("Window", &point, window)?)
        }
        _ => Ok(lower(input, cx)?.map_partitions_splittable("Window", splitter, window)),
    }
}
