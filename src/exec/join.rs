//! Joins: a hash join probes each left partition against a hash table of the right
//! side — broadcast (built once per job from the whole right side, gathered through a
//! stage boundary) or partitioned (built per task from the matching right partition),
//! or for semi and anti joins against a much larger right side, built once per job
//! from the left side and marked by every right partition in one stage before the
//! marked (or unmarked) left rows are emitted in the next; nested-loop joins broadcast
//! the right side. A null-aware mark join is broadcast, with the [`MarkGroups`] of its
//! build rows. Lowering runs nothing: every side is a stage of the action's job.
//!
//! A build side that does not fit its memory is joined part by part from spill files
//! ([`GraceJoin`]): a partitioned task splits its own build and probe rows; a
//! broadcast build is split once per job, and every probe task splits its rows and
//! joins them with the shared parts. Null-aware joins need their whole build side and
//! fail instead. Every task's output streams lazily.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use arrow::array::{BooleanArray, RecordBatch};
use arrow::compute::{filter_record_batch, not, or};
use arrow::datatypes::SchemaRef;
use ember_planner::logical::JoinKind;
use ember_planner::physical::{JoinDistribution, PhysExpr, PhysicalPlan};

use crate::error::{EmberError, Result};
use crate::exec::metrics::NodeMetrics;
use crate::exec::{ExecContext, into_iter, lower};
use crate::expr::evaluate;
use crate::memory::{OperatorMemory, QueryMemory};
use crate::ops::batch_bytes;
use crate::ops::join::grace::{build_reservation, collect_build, spill_build};
use crate::ops::join::{
    BuildPart, BuildSide, GraceJoin, JoinHashTable, JoinSpec, MarkGroups, NestedLoopJoin,
    ProbeStream,
};
use crate::rdd::{PartitionIter, Rdd};

/// A join's output stream as a partition: the task's errors into the RDD layer's.
fn output(
    stream: impl Iterator<Item = Result<RecordBatch>> + Send + 'static,
) -> PartitionIter<RecordBatch> {
    Box::new(stream.map(|b| b.map_err(Into::into)))
}

/// A partition's batches with the task's errors as the runtime's.
fn input(iter: PartitionIter<RecordBatch>) -> impl Iterator<Item = Result<RecordBatch>> + Send {
    iter.map(|b| b.map_err(EmberError::from))
}

/// A broadcast build side: one table shared by every task, or, when it did not fit,
/// its rows split into parts on disk that each task joins part by part.
enum BroadcastBuild {
    InMemory {
        table: Arc<JoinHashTable>,
        groups: Option<Arc<MarkGroups>>,
        /// The table's reservation, held as long as the table.
        _reserved: OperatorMemory,
    },
    Spilled(Vec<BuildPart>),
}

/// Builds a broadcast join's table over `batches`, reserving it first; when it does
/// not fit and the join can run part by part, splits the rows into parts on disk.
fn build_broadcast(
    memory: &QueryMemory,
    consumer: &str,
    spec: &JoinSpec,
    right_keys: &[PhysExpr],
    batches: Vec<RecordBatch>,
    node: Option<&Arc<NodeMetrics>>,
) -> Result<BroadcastBuild> {
    let mut reserved = ExecContext::operator_memory(memory, consumer, 0, false, node);
    let bytes: u64 = batches.iter().map(batch_bytes).sum();
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    if let Err(refused) = reserved.try_grow(build_reservation(bytes, rows)) {
        if !spec.runs_in_parts() {
            return Err(refused);
        }
        drop(reserved);
        let spilling = ExecContext::operator_memory(memory, consumer, 0, true, node);
        return Ok(BroadcastBuild::Spilled(spill_build(
            spec, batches, &spilling,
        )?));
    }
    let table = Arc::new(spec.build_table(batches)?);
    let groups = match spec.kind() {
        JoinKind::LeftMarkNullAware => {
            Some(Arc::new(MarkGroups::build(table.batch(), right_keys)?))
        }
        _ => None,
    };
    reserved.shrink(bytes);
    Ok(BroadcastBuild::InMemory {
        table,
        groups,
        _reserved: reserved,
    })
}

/// A hash join; `metrics` are the join's own counters under EXPLAIN ANALYZE.
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
    metrics: Option<Arc<NodeMetrics>>,
) -> Result<Rdd<RecordBatch>> {
    let left_keys: Vec<PhysExpr> = on.iter().map(|(l, _)| l.clone()).collect();
    let right_keys: Vec<PhysExpr> = on.iter().map(|(_, r)| r.clone()).collect();
    let left_schema = left.schema();
    let spec = JoinSpec::new(
        kind,
        right_keys.clone(),
        left_keys.clone(),
        filter.clone(),
        right.schema(),
        schema.clone(),
    )?;
    let left_rdd = lower(left, cx)?;
    let right_rdd = lower(right, cx)?;
    let memory = cx.memory.clone();
    let build_name = format!("HashJoin({kind}) build side");
    match distribution {
        // Every task would emit the build rows it did not match itself.
        JoinDistribution::Broadcast if matches!(kind, JoinKind::Right | JoinKind::Full) => Err(
            EmberError::internal(format!("a {kind} join cannot be broadcast")),
        ),
        JoinDistribution::Broadcast => {
            let node = metrics.clone();
            let (build_memory, build_spec, build_consumer) =
                (memory.clone(), spec.clone(), build_name.clone());
            let build = right_rdd.broadcast(&build_name, move |batches| {
                Ok(build_broadcast(
                    &build_memory,
                    &build_consumer,
                    &build_spec,
                    &right_keys,
                    batches,
                    node.as_ref(),
                )?)
            });
            let side = build.clone();
            Ok(left_rdd.map_partitions_with_broadcasts(
                &format!("HashJoin({kind}, broadcast)"),
                &[&build],
                move |task, iter| {
                    let built = side.value(task)?;
                    match built.as_ref() {
                        BroadcastBuild::InMemory { table, groups, .. } => {
                            let mut probe = spec.probe(table.clone());
                            if let Some(g) = groups {
                                probe = probe.with_mark_groups(g.clone());
                            }
                            Ok(output(ProbeStream::new(probe, input(iter), None)))
                        }
                        BroadcastBuild::Spilled(parts) => {
                            let handle = ExecContext::operator_memory(
                                &memory,
                                &build_name,
                                task.partition,
                                true,
                                metrics.as_ref(),
                            );
                            let join = GraceJoin::new(
                                spec.clone(),
                                handle,
                                parts.clone(),
                                left_schema.clone(),
                                input(iter),
                            )?;
                            Ok(output(join))
                        }
                    }
                },
            ))
        }
        JoinDistribution::BroadcastLeft => {
            let table =
                left_rdd.broadcast(&format!("HashJoin({kind}) left side"), move |batches| {
                    Ok(JoinHashTable::build(
                        batches,
                        &left_keys,
                        left_schema.clone(),
                    )?)
                });
            let partitions = left_rdd.num_partitions().max(1);
            mark_left(
                table,
                right_rdd,
                right_keys,
                kind,
                partitions,
                schema.clone(),
                cx,
                metrics,
            )
        }
        // A null-aware mark join needs the whole build side (the planner broadcasts it).
        JoinDistribution::Partitioned if kind == JoinKind::LeftMarkNullAware => Err(
            EmberError::internal("a null-aware mark join must be broadcast"),
        ),
        JoinDistribution::Partitioned => Ok(left_rdd.zip_partitions(
            &right_rdd,
            &format!("HashJoin({kind}, partitioned)"),
            move |task, l, r| {
                let mut handle = ExecContext::operator_memory(
                    &memory,
                    &build_name,
                    task.partition,
                    true,
                    metrics.as_ref(),
                );
                match collect_build(&spec, &mut handle, input(r))? {
                    BuildSide::InMemory { batches, bytes } => {
                        let table = Arc::new(spec.build_table(batches)?);
                        handle.shrink(bytes);
                        let probe = spec.probe(table);
                        Ok(output(ProbeStream::new(probe, input(l), Some(handle))))
                    }
                    BuildSide::Spilled(parts) => {
                        let join = GraceJoin::new(
                            spec.clone(),
                            handle,
                            parts,
                            left_schema.clone(),
                            input(l),
                        )?;
                        Ok(output(join))
                    }
                }
            },
        )?),
    }
}

/// A semi or anti join built on its (small) left side: one stage marks, per right
/// partition, the left rows its keys match (a bitmap each — marking is a pure
/// function of the partition, so a retried or recomputed task changes nothing); the
/// next stage ORs the bitmaps and emits the marked (semi) or unmarked (anti) left
/// rows, in build order, split evenly over `partitions`.
#[allow(clippy::too_many_arguments)]
fn mark_left(
    table: crate::rdd::Broadcast<JoinHashTable>,
    right_rdd: Rdd<RecordBatch>,
    right_keys: Vec<PhysExpr>,
    kind: JoinKind,
    partitions: usize,
    schema: SchemaRef,
    cx: &ExecContext,
    metrics: Option<Arc<NodeMetrics>>,
) -> Result<Rdd<RecordBatch>> {
    let t = table.clone();
    let marks = right_rdd.map_partitions_with_broadcasts(
        &format!("HashJoin({kind}, mark left)"),
        &[&table],
        move |task, iter| {
            // The pass's own time goes to the join: the right side's is its own.
            let mut spent = std::time::Duration::ZERO;
            let start = Instant::now();
            let table = t.value(task)?;
            let marks: Vec<AtomicBool> = (0..table.batch().num_rows())
                .map(|_| AtomicBool::new(false))
                .collect();
            spent += start.elapsed();
            for batch in iter {
                let batch = batch?;
                let start = Instant::now();
                let keys = right_keys
                    .iter()
                    .map(|k| evaluate(k, &batch))
                    .collect::<Result<Vec<_>>>()?;
                table.mark_matches(&keys, batch.num_rows(), &marks)?;
                spent += start.elapsed();
            }
            if let Some(m) = &metrics {
                m.add_side_time(spent);
            }
            let bitmap: BooleanArray = marks
                .iter()
                .map(|m| Some(m.load(Ordering::Relaxed)))
                .collect();
            Ok(Box::new(std::iter::once(Ok(bitmap))) as PartitionIter<BooleanArray>)
        },
    );
    // No bitmap at all (a right side without partitions) marks nothing.
    let matched = marks.broadcast(&format!("HashJoin({kind}) marks"), |bitmaps| {
        let mut bitmaps = bitmaps.into_iter();
        let first = bitmaps.next();
        Ok(match first {
            Some(first) => Some(bitmaps.try_fold(first, |all, b| or(&all, &b))?),
            None => None,
        })
    });
    let (t, m) = (table.clone(), matched.clone());
    let keep_marked = kind == JoinKind::LeftSemi;
    Ok(cx
        .rdd
        .parallelize((0..partitions).collect::<Vec<usize>>(), partitions)
        .map_partitions_with_broadcasts(
            &format!("HashJoin({kind}, emit left)"),
            &[&table, &matched],
            move |task, _| {
                let (table, matched) = (t.value(task)?, m.value(task)?);
                let build = table.batch();
                let chunk = build.num_rows().div_ceil(partitions).max(1);
                let at = (task.partition * chunk).min(build.num_rows());
                let len = chunk.min(build.num_rows() - at);
                let marked = match matched.as_ref() {
                    Some(m) => m.slice(at, len),
                    None => BooleanArray::from(vec![false; len]),
                };
                let keep = if keep_marked { marked } else { not(&marked)? };
                let rows = filter_record_batch(&build.slice(at, len), &keep)?;
                let rows = RecordBatch::try_new(schema.clone(), rows.columns().to_vec())?;
                Ok(into_iter(vec![rows]))
            },
        ))
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
    let right_schema = right.schema();
    let filter = filter.clone();
    let schema = schema.clone();
    let build = lower(right, cx)?.broadcast(
        &format!("NestedLoopJoin({kind}) build side"),
        move |batches| {
            Ok(NestedLoopJoin::new(
                batches,
                right_schema.clone(),
                kind,
                filter.clone(),
                schema.clone(),
            )?)
        },
    );
    let join = build.clone();
    Ok(lower(left, cx)?.map_partitions_with_broadcasts(
        &format!("NestedLoopJoin({kind})"),
        &[&build],
        move |task, iter| {
            let join = join.value(task)?;
            // Lazily, chunk by chunk: a large product streams to the operator above.
            let out = iter.flat_map(move |batch| -> PartitionIter<RecordBatch> {
                match batch {
                    Err(e) => Box::new(std::iter::once(Err(e))),
                    Ok(batch) => Box::new(Arc::clone(&join).probe_chunks(batch).flat_map(
                        |chunk| -> Vec<crate::rdd::error::Result<RecordBatch>> {
                            match chunk {
                                Ok(batches) => batches.into_iter().map(Ok).collect(),
                                Err(e) => vec![Err(e.into())],
                            }
                        },
                    )),
                }
            });
            Ok(Box::new(out) as PartitionIter<RecordBatch>)
        },
    ))
}
