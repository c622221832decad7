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
use crate::expr::evaluate_predicate;
use crate::ops::values::values_batch;
use crate::rdd::{Rdd, RddError};
use crate::sources::cluster::ClusterTable;
use crate::sources::prune::may_match;
use crate::sources::{DataSource, Table};
use std::collections::HashMap;

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
    if let Some(cluster) = source.as_any().downcast_ref::<ClusterTable>() {
        return Err(cluster.not_readable_here(table));
    }
    let data = source
        .as_any()
        .downcast_ref::<Table>()
        .ok_or_else(|| EmberError::internal(format!("table '{table}' has no runtime source")))?
        .0
        .clone();
    let data = data.current().unwrap_or(data);
    let kept = partitions_to_scan(&data, projection, filters)?;
    let projection = projection.to_vec();
    let batch_size = cx.batch_size;
    if kept.is_empty() {
        // Every partition was pruned: one empty partition keeps the plan's shape.
        let schema = Arc::new(data.schema().project(&projection)?);
        return Ok(cx.rdd.parallelize(vec![RecordBatch::new_empty(schema)], 1));
    }
    Ok(cx.rdd.source(
        &format!("Scan {table}"),
        kept.len(),
        move |partition, task| {
            let batches = data.scan(kept[partition], &projection, batch_size)?;
            let task = task.clone();
            let out: crate::rdd::PartitionIter<RecordBatch> = Box::new(batches.map(move |b| {
                let b = b.map_err(RddError::from)?;
                task.add_rows_read(b.num_rows() as u64);
                Ok(b)
            }));
            Ok(out)
        },
    ))
}

/// The partitions of `data` a scan with `filters` (over the projected columns)
/// reads: those whose statistics do not rule out every row and, for partitions in
/// `name=value` folders, whose folder values pass each filter that reads only
/// partition columns (evaluated exactly, on a one-row batch of those values).
pub(crate) fn partitions_to_scan(
    data: &Arc<dyn DataSource>,
    projection: &[usize],
    filters: &[PhysExpr],
) -> Result<Vec<usize>> {
    let all = 0..data.num_partitions();
    if filters.is_empty() {
        return Ok(all.collect());
    }
    let schema = Arc::new(data.schema().project(projection)?);
    // Verdicts per distinct set of folder values (many row groups share a folder).
    let mut verdicts: HashMap<String, bool> = HashMap::new();
    let mut kept = Vec::new();
    for p in all {
        if data
            .partition_statistics(p)
            .is_some_and(|stats| !may_match(filters, projection, &stats))
        {
            continue;
        }
        if let Some(values) = data.partition_values(p) {
            let key = format!("{values:?}");
            let pass = match verdicts.get(&key) {
                Some(v) => *v,
                None => {
                    let v = folder_values_pass(&values, projection, &schema, filters)?;
                    verdicts.insert(key, v);
                    v
                }
            };
            if !pass {
                continue;
            }
        }
        kept.push(p);
    }
    Ok(kept)
}

/// Whether every filter that reads only partition columns is true for these values.
fn folder_values_pass(
    values: &[(usize, ScalarValue)],
    projection: &[usize],
    schema: &SchemaRef,
    filters: &[PhysExpr],
) -> Result<bool> {
    // The value of each projected column, where it is a partition column.
    let known: Vec<Option<&ScalarValue>> = projection
        .iter()
        .map(|c| values.iter().find(|(i, _)| i == c).map(|(_, v)| v))
        .collect();
    let columns = schema
        .fields()
        .iter()
        .zip(&known)
        .map(|(f, v)| match v {
            Some(v) => {
                arrow::compute::cast(&v.to_array(1), f.data_type()).map_err(EmberError::from)
            }
            None => Ok(arrow::array::new_null_array(f.data_type(), 1)),
        })
        .collect::<Result<Vec<_>>>()?;
    let batch = RecordBatch::try_new(
        Arc::new(arrow::datatypes::Schema::new(
            schema
                .fields()
                .iter()
                .map(|f| f.as_ref().clone().with_nullable(true))
                .collect::<Vec<_>>(),
        )),
        columns,
    )?;
    for filter in filters {
        let mut only_folders = true;
        filter.visit(&mut |e| {
            if let PhysExpr::Column { index, .. } = e
                && known.get(*index).is_none_or(|v| v.is_none())
            {
                only_folders = false;
            }
        });
        if !only_folders {
            continue;
        }
        // A filter that fails to evaluate here decides nothing: the scan keeps the rows.
        if let Ok(mask) = evaluate_predicate(filter, &batch)
            && !mask.value(0)
        {
            return Ok(false);
        }
    }
    Ok(true)
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
