//! Hash aggregation: each task folds its partition into a [`HashAggregator`] whose
//! state is reserved in the memory pool (and spilled when it cannot grow).

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use ember_planner::physical::{AggregateExpr, AggregateMode, PhysExpr};

use crate::error::Result;
use crate::exec::ExecContext;
use crate::exec::metrics::NodeMetrics;
use crate::ops::aggregate::HashAggregator;
use crate::rdd::{PartitionIter, Rdd};

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
    Ok(input.map_partitions(&name.clone(), move |task, iter| {
        let handle =
            ExecContext::operator_memory(&memory, &name, task.partition, can_spill, node.as_ref());
        let mut agg =
            HashAggregator::new(mode, group_by.clone(), aggregates.clone(), schema.clone())?
                .with_memory(handle);
        for batch in iter {
            agg.update(&batch?)?;
        }
        let out = agg.into_stream()?;
        Ok(Box::new(out.map(|b| Ok(b?))) as PartitionIter<RecordBatch>)
    }))
}
