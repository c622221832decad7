//! Window: computes window calls over each partition (already exchanged on the
//! PARTITION BY keys and sorted). The partition's rows and the computed columns are
//! reserved in the memory pool; a window does not spill, so past the limit it fails
//! with a resources-exhausted error.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use ember_planner::physical::{PhysExpr, PhysSortKey, WindowExpr};

use crate::error::Result;
use crate::exec::metrics::NodeMetrics;
use crate::exec::{ExecContext, drain, into_iter};
use crate::ops::batch_bytes;
use crate::ops::window::window_batches;
use crate::rdd::Rdd;

/// The Window node over `input`, whose output schema is `input_schema`.
#[allow(clippy::too_many_arguments)]
pub fn lower_window(
    input: Rdd<RecordBatch>,
    input_schema: SchemaRef,
    partition_by: &[PhysExpr],
    order_by: &[PhysSortKey],
    exprs: &[WindowExpr],
    schema: &SchemaRef,
    cx: &ExecContext,
    node: Option<Arc<NodeMetrics>>,
) -> Result<Rdd<RecordBatch>> {
    let memory = cx.memory.clone();
    let spec = Arc::new((partition_by.to_vec(), order_by.to_vec(), exprs.to_vec()));
    let schema = schema.clone();
    Ok(input.map_partitions("Window", move |task, iter| {
        let batches = drain(iter)?;
        let mut reserved =
            ExecContext::operator_memory(&memory, "Window", task.partition, false, node.as_ref());
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
    }))
}
