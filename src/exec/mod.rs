//! Lowering: turns a [`PhysicalPlan`] into an RDD of Arrow record batches — the only
//! module that knows both the operators ([`crate::ops`]) and the RDD layer
//! ([`crate::rdd`]). One small function per node kind, each in its own file.

mod aggregate;
pub mod cache;
mod exchange;
mod expand;
mod join;
mod limit;
pub mod metrics;
mod recursive;
pub(crate) mod scan;
mod sort;
mod unary;
mod window;

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::RecordBatch;
use ember_planner::physical::PhysicalPlan;

use crate::error::Result;
use crate::memory::{OperatorMemory, QueryMemory};
use crate::rdd::{PartitionIter, Rdd, RddContext, TaskContext};

/// What lowering needs from the session.
#[derive(Clone)]
pub struct ExecContext {
    /// The RDD context whose scheduler runs the jobs.
    pub rdd: Arc<RddContext>,
    /// Rows per batch read from sources.
    pub batch_size: usize,
    /// Per-operator counters, when the query runs under EXPLAIN ANALYZE.
    pub metrics: Option<Arc<metrics::OperatorMetrics>>,
    /// Rounds a recursive query may run before failing.
    pub max_recursion_iterations: usize,
    /// The rows of each recursive query's last round, by work table name.
    pub work_tables: Arc<HashMap<String, Vec<RecordBatch>>>,
    /// The memory pool operators reserve from and the query's spill folder.
    pub memory: QueryMemory,
}

impl ExecContext {
    /// The memory handle of `operator` in one task (`partition`), with the plan
    /// node's counters under EXPLAIN ANALYZE.
    pub(crate) fn operator_memory(
        memory: &QueryMemory,
        operator: &str,
        partition: usize,
        can_spill: bool,
        node: Option<&Arc<metrics::NodeMetrics>>,
    ) -> OperatorMemory {
        memory.operator(
            format!("{operator} (partition {partition})"),
            can_spill,
            node.map(|n| n.memory.clone()),
        )
    }

    /// As [`ExecContext::operator_memory`] for the task `task`, whose input may be one
    /// part of a split (named in errors as `Window (partition 3, part 2 of 4)`, and
    /// counted in the node's counters for EXPLAIN ANALYZE).
    pub(crate) fn task_memory(
        memory: &QueryMemory,
        operator: &str,
        task: &TaskContext,
        can_spill: bool,
        node: Option<&Arc<metrics::NodeMetrics>>,
    ) -> OperatorMemory {
        let Some(part) = task.input_part else {
            return Self::operator_memory(memory, operator, task.partition, can_spill, node);
        };
        if let Some(n) = node {
            n.memory.record_split(part.parts as u64);
        }
        memory.operator(
            format!(
                "{operator} (partition {}, part {} of {})",
                task.partition,
                part.part + 1,
                part.parts
            ),
            can_spill,
            node.map(|n| n.memory.clone()),
        )
    }
}

/// Lowers `plan` into an RDD whose partitions hold its output. Nothing runs: the
/// action on the RDD runs the whole plan as one job.
pub fn lower(plan: &Arc<PhysicalPlan>, cx: &ExecContext) -> Result<Rdd<RecordBatch>> {
    Ok(observed(plan, cx, lower_node(plan, cx)?))
}

/// `rdd`, the lowered `plan`, reporting to the node's counters under EXPLAIN ANALYZE.
fn observed(plan: &PhysicalPlan, cx: &ExecContext, rdd: Rdd<RecordBatch>) -> Rdd<RecordBatch> {
    match cx.metrics.as_ref().and_then(|m| m.node(plan)) {
        Some(node) => rdd.observe(node.clone()),
        None => rdd,
    }
}

fn lower_node(plan: &Arc<PhysicalPlan>, cx: &ExecContext) -> Result<Rdd<RecordBatch>> {
    match plan.as_ref() {
        PhysicalPlan::Scan {
            table,
            source,
            projection,
            filters,
            ..
        } => scan::lower_scan(table, source, projection, filters, cx),
        PhysicalPlan::Values { rows, schema } => scan::lower_values(rows, schema, cx),
        PhysicalPlan::Filter { input, predicate } => {
            unary::lower_filter(lower(input, cx)?, predicate)
        }
        PhysicalPlan::Projection {
            input,
            exprs,
            schema,
        } => unary::lower_projection(lower(input, cx)?, exprs, schema),
        PhysicalPlan::Expand {
            input,
            projections,
            schema,
        } => expand::lower_expand(lower(input, cx)?, projections, schema),
        PhysicalPlan::HashAggregate {
            input,
            mode,
            group_by,
            aggregates,
            schema,
        } => aggregate::lower_aggregate(
            lower(input, cx)?,
            *mode,
            group_by,
            aggregates,
            schema,
            cx,
            node_metrics(plan, cx),
        ),
        PhysicalPlan::HashJoin {
            left,
            right,
            kind,
            on,
            filter,
            distribution,
            schema,
        } => join::lower_hash_join(
            left,
            right,
            *kind,
            on,
            filter,
            *distribution,
            schema,
            cx,
            cx.metrics.as_ref().and_then(|m| m.node(plan)).cloned(),
        ),
        PhysicalPlan::NestedLoopJoin {
            left,
            right,
            kind,
            filter,
            schema,
        } => join::lower_nested_loop_join(left, right, *kind, filter, schema, cx),
        PhysicalPlan::Sort { input, keys, fetch } => sort::lower_sort(
            lower(input, cx)?,
            keys,
            *fetch,
            plan.schema(),
            cx,
            node_metrics(plan, cx),
        ),
        PhysicalPlan::Limit { input, skip, fetch } => {
            limit::lower_limit(lower(input, cx)?, *skip, *fetch)
        }
        PhysicalPlan::Union { inputs } => {
            let rdds = inputs
                .iter()
                .map(|i| lower(i, cx))
                .collect::<Result<Vec<_>>>()?;
            match rdds.split_first() {
                Some((first, rest)) => Ok(first.union(rest)),
                None => scan::lower_values(&[], &plan.schema(), cx),
            }
        }
        PhysicalPlan::Exchange {
            input,
            partitioning,
        } => exchange::lower_exchange(
            lower(input, cx)?,
            input.schema(),
            partitioning,
            cx.memory.spill_dir(),
        ),
        PhysicalPlan::Window {
            input,
            partition_by,
            order_by,
            exprs,
            schema,
        } => window::lower_window(
            input,
            partition_by,
            order_by,
            exprs,
            schema,
            cx,
            node_metrics(plan, cx),
        ),
        PhysicalPlan::RecursiveQuery {
            name,
            static_term,
            recursive_term,
            distinct,
            schema,
        } => recursive::lower_recursive_query(
            name,
            static_term,
            recursive_term,
            *distinct,
            schema,
            cx,
        ),
        PhysicalPlan::WorkTable { name, schema } => recursive::lower_work_table(name, schema, cx),
    }
}

/// The counters of `plan` under EXPLAIN ANALYZE.
fn node_metrics(plan: &PhysicalPlan, cx: &ExecContext) -> Option<Arc<metrics::NodeMetrics>> {
    cx.metrics.as_ref().and_then(|m| m.node(plan)).cloned()
}

/// Runs `plan` and returns its output batches in partition order.
pub fn execute(plan: &Arc<PhysicalPlan>, cx: &ExecContext) -> Result<Vec<RecordBatch>> {
    let rdd = lower(plan, cx)?;
    Ok(rdd
        .collect()?
        .into_iter()
        .filter(|b| b.num_rows() > 0)
        .collect())
}

/// Drains a partition into a vector, stopping at the first error.
pub(crate) fn drain(iter: PartitionIter<RecordBatch>) -> Result<Vec<RecordBatch>> {
    Ok(iter.collect::<crate::rdd::error::Result<Vec<_>>>()?)
}

/// A finished partition as an iterator.
pub(crate) fn into_iter(batches: Vec<RecordBatch>) -> PartitionIter<RecordBatch> {
    Box::new(batches.into_iter().map(Ok))
}
