//! Lowering of Expand: a narrow map over each partition, every input batch turned
//! into one batch per projection ([`crate::ops::expand`]).

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use ember_planner::physical::PhysExpr;

use crate::error::Result;
use crate::ops::expand::expand_batch;
use crate::rdd::{PartitionIter, Rdd};

/// Emits each input row once per projection, in the input's partitions.
pub fn lower_expand(
    input: Rdd<RecordBatch>,
    projections: &[Vec<PhysExpr>],
    schema: &SchemaRef,
) -> Result<Rdd<RecordBatch>> {
    let projections = Arc::new(projections.to_vec());
    let schema = schema.clone();
    Ok(input.map_partitions("Expand", move |_, iter| {
        let projections = projections.clone();
        let schema = schema.clone();
        let out: PartitionIter<RecordBatch> = Box::new(iter.flat_map(move |b| {
            let batches = b
                .map_err(Into::into)
                .and_then(|b| expand_batch(&b, &projections, &schema));
            let items: Vec<crate::rdd::error::Result<RecordBatch>> = match batches {
                Ok(v) => v.into_iter().map(Ok).collect(),
                Err(e) => vec![Err(e.into())],
            };
            items
        }));
        Ok(out)
    }))
}
