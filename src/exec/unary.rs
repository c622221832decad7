//! Streaming one-in-one-out operators: filter and projection, batch by batch.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use ember_planner::physical::PhysExpr;

use crate::error::Result;
use crate::ops::filter::filter_batch;
use crate::ops::project::project_batch;
use crate::rdd::{PartitionIter, Rdd};

/// Keeps the rows where `predicate` holds.
pub fn lower_filter(input: Rdd<RecordBatch>, predicate: &PhysExpr) -> Result<Rdd<RecordBatch>> {
    let predicate = Arc::new(predicate.clone());
    Ok(input.map_partitions("Filter", move |_, iter| {
        let predicate = predicate.clone();
        let out: PartitionIter<RecordBatch> = Box::new(
            iter.map(move |b| Ok(filter_batch(&b?, &predicate)?))
                .filter(|b| !matches!(b, Ok(b) if b.num_rows() == 0)),
        );
        Ok(out)
    }))
}

/// Computes the projected columns.
pub fn lower_projection(
    input: Rdd<RecordBatch>,
    exprs: &[PhysExpr],
    schema: &SchemaRef,
) -> Result<Rdd<RecordBatch>> {
    let exprs = Arc::new(exprs.to_vec());
    let schema = schema.clone();
    Ok(input.map_partitions("Projection", move |_, iter| {
        let exprs = exprs.clone();
        let schema = schema.clone();
        let out: PartitionIter<RecordBatch> =
            Box::new(iter.map(move |b| Ok(project_batch(&b?, &exprs, &schema)?)));
        Ok(out)
    }))
}
