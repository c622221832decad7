//! Hash aggregation: each task folds its partition into a [`HashAggregator`].

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use ember_planner::physical::{AggregateExpr, AggregateMode, PhysExpr};

use crate::error::Result;
use crate::exec::into_iter;
use crate::ops::aggregate::HashAggregator;
use crate::rdd::Rdd;

/// One aggregation step per partition.
pub fn lower_aggregate(
    input: Rdd<RecordBatch>,
    mode: AggregateMode,
    group_by: &[PhysExpr],
    aggregates: &[AggregateExpr],
    schema: &SchemaRef,
) -> Result<Rdd<RecordBatch>> {
    let group_by = group_by.to_vec();
    let aggregates = aggregates.to_vec();
    let schema = schema.clone();
    Ok(
        input.map_partitions(&format!("HashAggregate({mode:?})"), move |_, iter| {
            let mut agg =
                HashAggregator::new(mode, group_by.clone(), aggregates.clone(), schema.clone())?;
            for batch in iter {
                agg.update(&batch?)?;
            }
            Ok(into_iter(agg.finish()?))
        }),
    )
}
