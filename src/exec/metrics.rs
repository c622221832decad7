//! Operator metrics for EXPLAIN ANALYZE: rows, batches, bytes and time per
//! physical plan node, gathered while the query runs.
//!
//! In: a physical plan. Lowering wraps each node's RDD in an observed RDD
//! ([`crate::rdd::observed`]) that counts what the node produced and the time its
//! tasks spent producing it. Out: one [`NodeStats`] per node in pre-order, for
//! EXPLAIN ANALYZE's operator tree.
//!
//! Times are inclusive in the RDD layer (a task pulling a filter also runs the scan
//! below it), so a node's own time is its time minus that of the inputs computed in
//! the same task: every input, except the map side of an exchange and the build side
//! of a broadcast join (earlier stages of the job). A join built on its left side
//! marks in a stage of its own; that pass's time is added to the join's.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arrow::array::RecordBatch;
use ember_planner::physical::{JoinDistribution, PhysicalPlan};

use crate::memory::MemoryCounters;
use crate::rdd::observed::Observer;
use crate::rdd::task::TaskContext;

/// What one task's latest run of a node produced.
#[derive(Debug, Default, Clone, Copy)]
struct Produced {
    /// The run these counts are of ([`TaskContext::run`]).
    run: usize,
    rows: u64,
    batches: u64,
    bytes: u64,
}

/// Counters of one plan node; updated from task threads. Rows, batches and bytes are
/// kept per task and counted from its latest run only, so a task that failed (short
/// of memory, say) and ran again is counted once; below a split point only the first
/// part's pass counts (every part reads the same input again). Time counts all of it.
#[derive(Debug, Default)]
pub struct NodeMetrics {
    /// By (job, stage, partition).
    produced: Mutex<HashMap<(usize, usize, usize), Produced>>,
    task_nanos: AtomicU64,
    side_nanos: AtomicU64,
    /// What the node's operators held and spilled.
    pub memory: Arc<MemoryCounters>,
}

impl NodeMetrics {
    /// Rows the node produced.
    pub fn rows(&self) -> u64 {
        self.total().rows
    }

    /// Rows, batches and bytes over every task's latest run.
    fn total(&self) -> Produced {
        let produced = self.produced.lock().unwrap_or_else(|p| p.into_inner());
        produced
            .values()
            .fold(Produced::default(), |a, p| Produced {
                run: 0,
                rows: a.rows + p.rows,
                batches: a.batches + p.batches,
                bytes: a.bytes + p.bytes,
            })
    }

    /// Adds time the node spent in tasks other than those of its own RDD (the
    /// marking pass of a join built on its left side).
    pub fn add_side_time(&self, spent: Duration) {
        self.side_nanos
            .fetch_add(spent.as_nanos() as u64, Ordering::Relaxed);
    }

    fn task_nanos(&self) -> u64 {
        self.task_nanos.load(Ordering::Relaxed)
    }

    fn side_nanos(&self) -> u64 {
        self.side_nanos.load(Ordering::Relaxed)
    }
}

impl Observer<RecordBatch> for NodeMetrics {
    fn item(&self, task: &TaskContext, batch: &RecordBatch) {
        if task.repeat {
            return;
        }
        let mut produced = self.produced.lock().unwrap_or_else(|p| p.into_inner());
        let counts = produced
            .entry((task.job_id, task.stage_id, task.partition))
            .or_default();
        if task.run < counts.run {
            // A batch of an earlier run still draining: its task has run again.
            return;
        }
        if task.run > counts.run {
            *counts = Produced {
                run: task.run,
                ..Produced::default()
            };
        }
        counts.rows += batch.num_rows() as u64;
        counts.batches += 1;
        counts.bytes += batch.get_array_memory_size() as u64;
    }

    fn time(&self, spent: Duration) {
        self.task_nanos
            .fetch_add(spent.as_nanos() as u64, Ordering::Relaxed);
    }
}

/// The counters of every node of one physical plan, in pre-order.
pub struct OperatorMetrics {
    /// Node addresses in pre-order; the plan outlives the metrics' use.
    nodes: Vec<usize>,
    metrics: Vec<Arc<NodeMetrics>>,
}

fn address(plan: &PhysicalPlan) -> usize {
    plan as *const PhysicalPlan as usize
}

impl OperatorMetrics {
    /// Fresh counters for each node of `plan`.
    pub fn new(plan: &PhysicalPlan) -> Self {
        let nodes: Vec<usize> = plan.preorder().into_iter().map(address).collect();
        let metrics = nodes.iter().map(|_| Arc::default()).collect();
        OperatorMetrics { nodes, metrics }
    }

    /// The counters of `node`, if it belongs to the plan.
    pub fn node(&self, node: &PhysicalPlan) -> Option<&Arc<NodeMetrics>> {
        let at = self.nodes.iter().position(|&a| a == address(node))?;
        self.metrics.get(at)
    }

    /// Actual rows per node, in pre-order.
    pub fn rows(&self) -> Vec<u64> {
        self.metrics.iter().map(|m| m.rows()).collect()
    }

    /// What each node of `plan` (the plan these metrics were made for) did, in
    /// pre-order: rows, batches, output bytes and the node's own time.
    pub fn stats(&self, plan: &PhysicalPlan) -> Vec<NodeStats> {
        let index = |n: &PhysicalPlan| self.nodes.iter().position(|&a| a == address(n));
        let child = |n: &PhysicalPlan| index(n).and_then(|i| self.metrics.get(i));
        plan.preorder()
            .into_iter()
            .map(|node| {
                let Some(m) = child(node) else {
                    return NodeStats::default();
                };
                let inner_task: u64 = same_task_inputs(node)
                    .into_iter()
                    .filter_map(child)
                    .map(|c| c.task_nanos())
                    .sum();
                let own = m.task_nanos().saturating_sub(inner_task) + m.side_nanos();
                let produced = m.total();
                NodeStats {
                    rows: produced.rows,
                    batches: produced.batches,
                    bytes: produced.bytes,
                    self_time: Duration::from_nanos(own),
                    peak_memory: m.memory.peak(),
                    spilled_bytes: m.memory.spilled_bytes(),
                    spill_files: m.memory.spill_files(),
                    split_parts: m.memory.split_parts(),
                }
            })
            .collect()
    }
}

/// The inputs of `node` that its tasks compute themselves, whose time is inside
/// the node's: every input except the map side of an exchange and the build side of
/// a broadcast join (earlier stages of the job).
fn same_task_inputs(node: &PhysicalPlan) -> Vec<&PhysicalPlan> {
    match node {
        PhysicalPlan::Exchange { .. }
        | PhysicalPlan::HashJoin {
            distribution: JoinDistribution::BroadcastLeft,
            ..
        } => vec![],
        PhysicalPlan::HashJoin {
            left,
            distribution: JoinDistribution::Broadcast,
            ..
        }
        | PhysicalPlan::NestedLoopJoin { left, .. } => vec![left.as_ref()],
        other => other.inputs().into_iter().map(|i| i.as_ref()).collect(),
    }
}

/// What one plan node did in a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeStats {
    /// Rows it produced.
    pub rows: u64,
    /// Batches it produced.
    pub batches: u64,
    /// Memory of the batches it produced.
    pub bytes: u64,
    /// Time spent in the node itself, its inputs' time taken out.
    pub self_time: Duration,
    /// The most memory one of its tasks reserved at once.
    pub peak_memory: u64,
    /// Bytes it wrote to spill files.
    pub spilled_bytes: u64,
    /// Spill files it wrote.
    pub spill_files: u64,
    /// The most parts one of its tasks' input was split into after running short of
    /// memory (0: never split).
    pub split_parts: u64,
}

/// Bytes as `512B`, `1.5KiB`, `2.0MiB` or `1.1GiB`.
pub fn human_bytes(b: u64) -> String {
    match b {
        b if b >= 1 << 30 => format!("{:.1}GiB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1}MiB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1}KiB", b as f64 / 1024.0),
        b => format!("{b}B"),
    }
}

/// A duration as `12µs`, `3.4ms` or `1.25s`.
pub fn human_time(spent: Duration) -> String {
    match spent.as_nanos() as u64 {
        n if n >= 1_000_000_000 => format!("{:.2}s", n as f64 / 1e9),
        n if n >= 1_000_000 => format!("{:.1}ms", n as f64 / 1e6),
        n => format!("{:.0}µs", n as f64 / 1e3),
    }
}
