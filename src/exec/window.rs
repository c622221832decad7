//! Window: computes window calls over each partition (already exchanged on the
//! PARTITION BY keys and sorted).

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use ember_planner::physical::{PhysExpr, PhysSortKey, WindowExpr};

use crate::error::Result;
use crate::exec::{drain, into_iter};
use crate::ops::window::window_batches;
use crate::rdd::Rdd;

/// The Window node over `input`, whose output schema is `input_schema`.
pub fn lower_window(
    input: Rdd<RecordBatch>,
    input_schema: SchemaRef,
    partition_by: &[PhysExpr],
    order_by: &[PhysSortKey],
    exprs: &[WindowExpr],
    schema: &SchemaRef,
) -> Result<Rdd<RecordBatch>> {
    let spec = Arc::new((partition_by.to_vec(), order_by.to_vec(), exprs.to_vec()));
    let schema = schema.clone();
    Ok(input.map_partitions("Window", move |_, iter| {
        let batches = drain(iter)?;
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
