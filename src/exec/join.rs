//! Joins: a hash join probes each left partition against a hash table of the right
//! side — broadcast (built once from the whole right side) or partitioned (built per
//! task from the matching right partition), or for semi and anti joins against a much
//! larger right side, built once from the left side and marked by every right partition
//! before the marked (or unmarked) left rows are emitted; nested-loop joins broadcast
//! the right side. A null-aware mark join is broadcast, with the [`MarkGroups`] of its
//! build rows.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use arrow::array::BooleanArray;
use arrow::compute::filter_record_batch;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use ember_planner::logical::JoinKind;
use ember_planner::physical::{JoinDistribution, PhysExpr, PhysicalPlan};

use crate::error::Result;
use crate::exec::{ExecContext, drain, into_iter, lower};
use crate::expr::evaluate;
use crate::ops::join::{HashJoinProbe, JoinHashTable, MarkGroups, NestedLoopJoin};
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
            let groups = if kind == JoinKind::LeftMarkNullAware {
                Some(Arc::new(MarkGroups::build(table.batch(), &right_keys)?))
            } else {
                None
            };
            Ok(
                left_rdd.map_partitions(&format!("HashJoin({kind}, broadcast)"), move |_, iter| {
                    let mut probe = HashJoinProbe::new(
                        table.clone(),
                        kind,
                        left_keys.clone(),
                        filter.clone(),
                        schema.clone(),
                    );
                    if let Some(g) = &groups {
                        probe = probe.with_mark_groups(g.clone());
                    }
                    Ok(probe_all(probe, iter)?)
                }),
            )
        }
        JoinDistribution::BroadcastLeft => {
            let partitions = left_rdd.num_partitions().max(1);
            let build = left_rdd.collect()?;
            let left_schema = left.schema();
            let table = Arc::new(JoinHashTable::build(build, &left_keys, left_schema)?);
            let marks: Arc<Vec<AtomicBool>> = Arc::new(
                (0..table.batch().num_rows())
                    .map(|_| AtomicBool::new(false))
                    .collect(),
            );
            let (t, m) = (table.clone(), marks.clone());
            // Marking is idempotent, so a retried or recomputed task changes nothing.
            right_rdd
                .map_partitions(&format!("HashJoin({kind}, mark left)"), move |_, iter| {
                    for batch in iter {
                        let batch = batch?;
                        let keys = right_keys
                            .iter()
                            .map(|k| evaluate(k, &batch))
                            .collect::<Result<Vec<_>>>()?;
                        t.mark_matches(&keys, batch.num_rows(), &m)?;
                    }
                    Ok(into_iter(vec![]))
                })
                .collect()?;
            let keep_marked = kind == JoinKind::LeftSemi;
            let keep: BooleanArray = marks
                .iter()
                .map(|m| Some(m.load(Ordering::Relaxed) == keep_marked))
                .collect();
            let rows = filter_record_batch(table.batch(), &keep)?;
            let rows = RecordBatch::try_new(schema.clone(), rows.columns().to_vec())?;
            let chunk = rows.num_rows().div_ceil(partitions).max(1);
            let batches: Vec<RecordBatch> = (0..rows.num_rows())
                .step_by(chunk)
                .map(|at| rows.slice(at, chunk.min(rows.num_rows() - at)))
                .collect();
            let n = batches.len().max(1);
            let batches = if batches.is_empty() {
                vec![RecordBatch::new_empty(schema.clone())]
            } else {
                batches
            };
            Ok(cx.rdd.parallelize(batches, n))
        }
        // A null-aware mark join needs the whole build side (the planner broadcasts it).
        JoinDistribution::Partitioned if kind == JoinKind::LeftMarkNullAware => Err(
            crate::error::EmberError::internal("a null-aware mark join must be broadcast"),
        ),
        JoinDistribution::Partitioned => Ok(left_rdd.zip_partitions(
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
                Ok(probe_all(probe, l)?)
            },
        )?),
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
