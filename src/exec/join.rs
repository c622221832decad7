//! Joins: a hash join probes each left partition against a hash table of the right
//! side — broadcast (built once from the whole right side) or partitioned (built per
//! task from the matching right partition); nested-loop joins broadcast the right side.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use ember_planner::logical::JoinKind;
use ember_planner::physical::{JoinDistribution, PhysExpr, PhysicalPlan};

use crate::error::Result;
use crate::exec::{ExecContext, drain, into_iter, lower};
use crate::ops::join::{HashJoinProbe, JoinHashTable, NestedLoopJoin};
use crate::rdd::{PartitionIter, Rdd};

fn probe_all(
    mut probe: HashJoinProbe,
    iter: PartitionIter<RecordBatch>,
) -> Result<PartitionIter<RecordBatch>> {
    let mut out = Vec::new();
    for batch in iter {
        out.extend(probe.probe(&batch?)?);
    }
    out.extend(probe.finish()?);
    Ok(into_iter(out))
}

/// A hash join.
#[allow(clippy::too_many_arguments)]
pub fn lower_hash_join(
    left: &Arc<PhysicalPlan>,
    right: &Arc<PhysicalPlan>,
    kind: JoinKind,
    on: &[(PhysExpr, PhysExpr)],
    filter: &Option<PhysExpr>,
    distribution: JoinDistribution,
    schema: &SchemaRef,
    cx: &ExecContext,
) -> Result<Rdd<RecordBatch>> {
    let left_keys: Vec<PhysExpr> = on.iter().map(|(l, _)| l.clone()).collect();
    let right_keys: Vec<PhysExpr> = on.iter().map(|(_, r)| r.clone()).collect();
    let filter = filter.clone();
    let schema = schema.clone();
    let right_schema = right.schema();
    let left_rdd = lower(left, cx)?;
    let right_rdd = lower(right, cx)?;
    match distribution {
        JoinDistribution::Broadcast => {
            let build = right_rdd.collect()?;
            let table = Arc::new(JoinHashTable::build(build, &right_keys, right_schema)?);
            Ok(
                left_rdd.map_partitions(&format!("HashJoin({kind}, broadcast)"), move |_, iter| {
                    let probe = HashJoinProbe::new(
                        table.clone(),
                        kind,
                        left_keys.clone(),
                        filter.clone(),
                        schema.clone(),
                    );
                    probe_all(probe, iter)
                }),
            )
        }
        JoinDistribution::Partitioned => left_rdd.zip_partitions(
            &right_rdd,
            &format!("HashJoin({kind}, partitioned)"),
            move |_, l, r| {
                let build = drain(r)?;
                let table = Arc::new(JoinHashTable::build(
                    build,
                    &right_keys,
                    right_schema.clone(),
                )?);
                let probe = HashJoinProbe::new(
                    table,
                    kind,
                    left_keys.clone(),
                    filter.clone(),
                    schema.clone(),
                );
                probe_all(probe, l)
            },
        ),
    }
}

/// A join without equality keys; the right side is broadcast.
pub fn lower_nested_loop_join(
    left: &Arc<PhysicalPlan>,
    right: &Arc<PhysicalPlan>,
    kind: JoinKind,
    filter: &Option<PhysExpr>,
    schema: &SchemaRef,
    cx: &ExecContext,
) -> Result<Rdd<RecordBatch>> {
    let build = Arc::new(lower(right, cx)?.collect()?);
    let right_schema = right.schema();
    let filter = filter.clone();
    let schema = schema.clone();
    Ok(
        lower(left, cx)?.map_partitions(&format!("NestedLoopJoin({kind})"), move |_, iter| {
            let join = NestedLoopJoin::new(
                build.as_ref().clone(),
                right_schema.clone(),
                kind,
                filter.clone(),
                schema.clone(),
            )?;
            let mut out = Vec::new();
            for batch in iter {
                out.extend(join.probe(&batch?)?);
            }
            Ok(into_iter(out))
        }),
    )
}
