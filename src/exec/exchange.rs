//! Exchanges: a shuffle dependency, where the scheduler cuts a stage.

use std::sync::Arc;

use arrow::array::RecordBatch;
use ember_planner::physical::Partitioning;

use crate::error::Result;
use crate::ops::partition::hash_partition;
use crate::rdd::Rdd;

/// Repartitions by key hash, or into one partition.
pub fn lower_exchange(
    input: Rdd<RecordBatch>,
    partitioning: &Partitioning,
) -> Result<Rdd<RecordBatch>> {
    match partitioning {
        Partitioning::Single if input.num_partitions() == 1 => Ok(input),
        Partitioning::Single => Ok(
            input.shuffle("Exchange single", 1, |batch: RecordBatch, _| {
                Ok(if batch.num_rows() == 0 {
                    vec![]
                } else {
                    vec![(0, batch)]
                })
            }),
        ),
        Partitioning::Hash(keys, n) => {
            let keys = Arc::new(keys.clone());
            Ok(
                input.shuffle("Exchange hash", *n, move |batch: RecordBatch, n| {
                    Ok(hash_partition(&batch, &keys, n)?)
                }),
            )
        }
    }
}
