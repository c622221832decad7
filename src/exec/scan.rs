//! Leaf lowering: table scans and literal rows.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use ember_planner::ScalarValue;
use ember_planner::TableSource;
use ember_planner::physical::PhysExpr;

use crate::error::{EmberError, Result};
use crate::exec::ExecContext;
use crate::exec::cache::CachedTable;
use crate::ops::values::values_batch;
use crate::rdd::{Rdd, RddError};
use crate::sources::Table;
use crate::sources::prune::may_match;

/// A scan: one RDD partition per source partition.
/// Partitions whose statistics show that no row passes `filters` are skipped.
pub fn lower_scan(
    table: &str,
    source: &Arc<dyn TableSource>,
    projection: &[usize],
    filters: &[PhysExpr],
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
    let kept: Vec<usize> = (0..data.num_partitions())
        .filter(|&p| {
            filters.is_empty()
                || data
                    .partition_statistics(p)
                    .is_none_or(|stats| may_match(filters, projection, &stats))
        })
        .collect();
    let projection = projection.to_vec();
    let batch_size = cx.batch_size;
    if kept.is_empty() {
        // Every partition was pruned: one empty partition keeps the plan's shape.
        let schema = Arc::new(data.schema().project(&projection)?);
        return Ok(cx.rdd.parallelize(vec![RecordBatch::new_empty(schema)], 1));
    }
    Ok(cx
        .rdd
        .source(&format!("Scan {table}"), kept.len(), move |partition, _| {
            let batches = data.scan(kept[partition], &projection, batch_size)?;
            let out: crate::rdd::PartitionIter<RecordBatch> =
                Box::new(batches.map(|b| b.map_err(RddError::from)));
            Ok(out)
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
