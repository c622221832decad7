//! Leaf lowering: table scans and literal rows.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use ember_planner::ScalarValue;
use ember_planner::TableSource;

use crate::error::{EmberError, Result};
use crate::exec::ExecContext;
use crate::exec::cache::CachedTable;
use crate::ops::values::values_batch;
use crate::rdd::Rdd;
use crate::sources::Table;

/// A scan: one RDD partition per source partition.
pub fn lower_scan(
    table: &str,
    source: &Arc<dyn TableSource>,
    projection: &[usize],
    cx: &ExecContext,
) -> Result<Rdd<RecordBatch>> {
    if let Some(cached) = source.as_any().downcast_ref::<CachedTable>() {
        let projection = projection.to_vec();
        let all = projection
            .iter()
            .copied()
            .eq(0..cached.schema().fields().len());
        if all {
            return Ok(cached.rdd().clone());
        }
        return Ok(cached
            .rdd()
            .map_partitions(&format!("Scan cached {table}"), move |_, iter| {
                let projection = projection.clone();
                let out: crate::rdd::PartitionIter<RecordBatch> =
                    Box::new(iter.map(move |b| b.and_then(|b| Ok(b.project(&projection)?))));
                Ok(out)
            }));
    }
    let data = source
        .as_any()
        .downcast_ref::<Table>()
        .ok_or_else(|| EmberError::internal(format!("table '{table}' has no runtime source")))?
        .0
        .clone();
    let projection = projection.to_vec();
    let batch_size = cx.batch_size;
    let n = data.num_partitions();
    Ok(cx
        .rdd
        .source(&format!("Scan {table}"), n, move |partition, _| {
            data.scan(partition, &projection, batch_size)
        }))
}

/// Literal rows as a one-partition RDD.
pub fn lower_values(
    rows: &[Vec<ScalarValue>],
    schema: &SchemaRef,
    cx: &ExecContext,
) -> Result<Rdd<RecordBatch>> {
    let batch = values_batch(rows, schema)?;
    Ok(cx.rdd.parallelize(vec![batch], 1))
}
