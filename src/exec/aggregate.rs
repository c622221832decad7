//! Hash aggregation: each task folds its partition into a [`HashAggregator`] whose
//! state is reserved in the memory pool (and spilled when it cannot grow).
//!
//! In: the input RDD, the grouping keys and aggregate calls. Out: an RDD of the
//! groups of each partition. A grouped aggregation whose task still runs short of
//! memory (one with DISTINCT, which cannot spill, or the merge of spilled groups) may
//! run again over parts of its partition, split by a hash of the group keys so that
//! each group is whole in one part, one part after another.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use ember_planner::physical::{AggregateExpr, AggregateMode, PhysExpr};

use crate::error::{EmberError, Result};
use crate::exec::ExecContext;
use crate::exec::metrics::NodeMetrics;
use crate::expr::evaluate;
use crate::ops::aggregate::HashAggregator;
use crate::ops::partition::rows_of_part;
use crate::rdd::{InputPart, PartitionIter, Rdd, TaskContext};

/// One aggregation step per partition; `node` holds its counters under EXPLAIN
/// ANALYZE.
pub fn lower_aggregate(
    input: Rdd<RecordBatch>,
    mode: AggregateMode,
    group_by: &[PhysExpr],
    aggregates: &[AggregateExpr],
    schema: &SchemaRef,
    cx: &ExecContext,
    node: Option<Arc<NodeMetrics>>,
) -> Result<Rdd<RecordBatch>> {
    let group_by = group_by.to_vec();
    let aggregates = aggregates.to_vec();
    let schema = schema.clone();
    let memory = cx.memory.clone();
    let can_spill = HashAggregator::can_spill(&group_by, &aggregates);
    let name = format!("HashAggregate({mode:?})");
    let keys = group_by.clone();
    let aggregate = move |task: &TaskContext,
                          iter: PartitionIter<RecordBatch>|
          -> crate::rdd::error::Result<PartitionIter<RecordBatch>> {
        let handle = ExecContext::task_memory(&memory, &name, task, can_spill, node.as_ref());
        let mut agg =
            HashAggregator::new(mode, group_by.clone(), aggregates.clone(), schema.clone())?
                .with_memory(handle);
        for batch in iter {
            agg.update(&batch?)?;
        }
        let out = agg.into_stream()?;
        Ok(Box::new(out.map(|b| Ok(b?))) as PartitionIter<RecordBatch>)
    };
    let label = format!("HashAggregate({mode:?})");
    if keys.is_empty() {
        // One group for the whole input: nothing to split it by.
        return Ok(input.map_partitions(&label, aggregate));
    }
    let splitter = move |batch: RecordBatch, part: InputPart| {
        let columns = match mode {
            // A final step's input holds the keys first, as the partial step made them.
            AggregateMode::Final => batch
                .columns()
                .get(..keys.len())
                .ok_or_else(|| EmberError::internal("final aggregate input lacks group columns"))?
                .to_vec(),
            _ => keys
                .iter()
                .map(|k| evaluate(k, &batch))
                .collect::<Result<Vec<_>>>()?,
        };
        Ok(rows_of_part(&batch, &columns, part.part, part.parts)?)
    };
    Ok(input.map_partitions_splittable(&label, splitter, aggregate))
}
