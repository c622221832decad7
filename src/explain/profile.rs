//! One analyzed run of a query, as data: what every physical operator did beside
//! what the planner expected of it, and the jobs, stages and task attempts the
//! scheduler ran for it.
//!
//! In: a physical plan, its estimates ([`PlannedQuery::estimates`]) and an
//! [`ExecContext`]. Out: a [`QueryProfile`], which EXPLAIN ANALYZE's text
//! ([`super::tree`]) and the HTML report ([`crate::report`]) both render.
//!
//! [`PlannedQuery::estimates`]: ember_planner::pipeline::PlannedQuery::estimates

use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::RecordBatch;
use ember_planner::optimizer::cost::Estimate;
use ember_planner::physical::PhysicalPlan;

use crate::error::Result;
use crate::exec::metrics::{NodeStats, OperatorMetrics};
use crate::exec::{self, ExecContext};
use crate::rdd::Rdd;
use crate::rdd::metrics::{JobRecord, MetricsSnapshot, StageKind, StageRecord, TaskRecord};

/// One physical operator of an analyzed run.
#[derive(Debug, Clone, PartialEq)]
pub struct OperatorProfile {
    /// The operator's kind and mode, e.g. `HashJoin(Inner, Broadcast)`.
    pub name: String,
    /// The rest of its EXPLAIN line: keys, predicates, columns.
    pub detail: String,
    /// Extra facts about the run, e.g. `folders=2/5` for a pruned scan.
    pub note: Option<String>,
    /// Its depth in the tree (0 for the root).
    pub depth: usize,
    /// Its inputs, as indices into [`QueryProfile::operators`].
    pub children: Vec<usize>,
    /// What the planner expected, where it made an estimate.
    pub estimate: Option<Estimate>,
    /// What it did.
    pub stats: NodeStats,
    /// Its own time and that of every operator below it.
    pub total_time: Duration,
}

impl OperatorProfile {
    /// Rows it produced.
    pub fn rows(&self) -> u64 {
        self.stats.rows
    }

    /// The q-error of its estimate against its actual rows, where it had an estimate.
    pub fn q_error(&self) -> Option<f64> {
        Some(self.estimate?.q_error(self.stats.rows))
    }

    /// Its whole EXPLAIN line: name, then detail.
    pub fn line(&self) -> String {
        if self.detail.is_empty() {
            self.name.clone()
        } else {
            format!("{}: {}", self.name, self.detail)
        }
    }
}

/// A query run with every operator observed.
#[derive(Debug, Clone)]
pub struct QueryProfile {
    /// The physical operators, in pre-order (parents first, inputs left to right).
    pub operators: Vec<OperatorProfile>,
    /// Rows the query returned.
    pub rows: usize,
    /// Wall time from lowering to the last batch.
    pub elapsed: Duration,
    /// The jobs run for the query, oldest first.
    pub jobs: Vec<JobRecord>,
    /// Their stages, by job then start.
    pub stages: Vec<StageRecord>,
    /// Every task attempt of those stages, by start.
    pub tasks: Vec<TaskRecord>,
    /// Threads in the scheduler's pool.
    pub threads: usize,
    /// The scheduler's and block manager's counters over the run.
    pub counters: MetricsSnapshot,
    /// The RDD lineage of the query.
    pub lineage: String,
}

impl QueryProfile {
    /// Whether the stage re-ran a shuffle's map side that an earlier stage of the
    /// run had written (its blocks were lost and recomputed from lineage).
    pub fn recomputes(&self, stage: &StageRecord) -> bool {
        matches!(stage.kind, StageKind::ShuffleMap { .. })
            && self.stages.iter().any(|s| {
                s.kind == stage.kind && (s.start, s.stage_id) < (stage.start, stage.stage_id)
            })
    }
}

/// Lowers `physical` in `cx` with per-operator counters attached (nothing runs until
/// the RDD's action).
pub(crate) fn lower_with_metrics(
    mut cx: ExecContext,
    physical: &Arc<PhysicalPlan>,
) -> Result<(Rdd<RecordBatch>, Arc<OperatorMetrics>)> {
    let metrics = Arc::new(OperatorMetrics::new(physical));
    cx.metrics = Some(metrics.clone());
    Ok((exec::lower(physical, &cx)?, metrics))
}

/// Runs `physical` in `cx` and profiles it. `estimates` and `notes` are per node in
/// pre-order, as [`PhysicalPlan::preorder`] lists them.
pub(crate) fn run_profiled(
    physical: &Arc<PhysicalPlan>,
    estimates: &[Option<Estimate>],
    notes: &[Option<String>],
    cx: ExecContext,
) -> Result<QueryProfile> {
    let rdd_context = cx.rdd.clone();
    let before = rdd_context.metrics();
    let start = Instant::now();
    let (rdd, metrics) = lower_with_metrics(cx, physical)?;
    let rows: usize = rdd.collect()?.iter().map(|b| b.num_rows()).sum();
    let elapsed = start.elapsed();
    let counters = rdd_context.metrics().since(&before);

    // Job ids count up from the number of jobs started before, in step with the
    // counter (jobs of other queries running at the same time land here too).
    let first_job = before.jobs;
    let jobs: Vec<JobRecord> = rdd_context
        .job_log()
        .into_iter()
        .filter(|j| j.job_id >= first_job)
        .collect();
    let mut stages: Vec<StageRecord> = rdd_context
        .stage_log()
        .into_iter()
        .filter(|s| s.job_id >= first_job)
        .collect();
    stages.sort_by_key(|s| (s.job_id, s.start, s.stage_id));
    let mut tasks: Vec<TaskRecord> = rdd_context
        .task_log()
        .into_iter()
        .filter(|t| t.job_id >= first_job)
        .collect();
    tasks.sort_by_key(|t| (t.start, t.stage_id, t.partition, t.attempt));

    let stats = metrics.stats(physical);
    let operators = operator_tree(physical, estimates, notes, &stats);
    Ok(QueryProfile {
        operators,
        rows,
        elapsed,
        jobs,
        stages,
        tasks,
        threads: rdd_context.config().threads,
        counters,
        lineage: rdd.to_debug_string(),
    })
}

/// The operators of `plan` in pre-order, with their estimates and stats (given in
/// the same order) and their total times.
fn operator_tree(
    plan: &PhysicalPlan,
    estimates: &[Option<Estimate>],
    notes: &[Option<String>],
    stats: &[NodeStats],
) -> Vec<OperatorProfile> {
    let mut out = Vec::new();
    add_operator(plan, 0, &mut out);
    for (i, op) in out.iter_mut().enumerate() {
        op.estimate = estimates.get(i).copied().flatten();
        op.note = notes.get(i).cloned().flatten();
        op.stats = stats.get(i).copied().unwrap_or_default();
    }
    // Children follow their parent in pre-order: walking backwards, every child's
    // total is known before its parent's.
    for i in (0..out.len()).rev() {
        let below: Duration = out[i].children.iter().map(|&c| out[c].total_time).sum();
        out[i].total_time = out[i].stats.self_time + below;
    }
    out
}

fn add_operator(node: &PhysicalPlan, depth: usize, out: &mut Vec<OperatorProfile>) -> usize {
    let at = out.len();
    let line = node.describe();
    let (name, detail) = match line.split_once(": ") {
        Some((name, detail)) => (name.to_string(), detail.to_string()),
        None => (line, String::new()),
    };
    out.push(OperatorProfile {
        name,
        detail,
        note: None,
        depth,
        children: Vec::new(),
        estimate: None,
        stats: NodeStats::default(),
        total_time: Duration::ZERO,
    });
    for input in node.inputs() {
        let child = add_operator(input, depth + 1, out);
        out[at].children.push(child);
    }
    at
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::datatypes::Schema;
    use ember_planner::physical::PhysicalPlan;

    use super::*;

    fn values() -> Arc<PhysicalPlan> {
        Arc::new(PhysicalPlan::Values {
            rows: vec![],
            schema: Arc::new(Schema::empty()),
        })
    }

    fn stats(rows: u64, micros: u64) -> NodeStats {
        NodeStats {
            rows,
            batches: 1,
            bytes: 0,
            self_time: Duration::from_micros(micros),
            ..NodeStats::default()
        }
    }

    #[test]
    fn total_time_adds_every_operator_below() {
        // Limit ← Union(Values, Limit ← Values)
        let plan = PhysicalPlan::Limit {
            input: Arc::new(PhysicalPlan::Union {
                inputs: vec![
                    values(),
                    Arc::new(PhysicalPlan::Limit {
                        input: values(),
                        skip: 0,
                        fetch: None,
                    }),
                ],
            }),
            skip: 0,
            fetch: Some(1),
        };
        let ops = operator_tree(
            &plan,
            &[Some(Estimate::exact(1.0))],
            &[],
            &[
                stats(1, 1),
                stats(2, 10),
                stats(1, 100),
                stats(1, 1000),
                stats(1, 10000),
            ],
        );
        let names: Vec<&str> = ops.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["Limit", "Union", "Values", "Limit", "Values"]);
        assert_eq!(ops[1].children, [2, 3]);
        assert_eq!(ops[3].depth, 2);
        let totals: Vec<u128> = ops.iter().map(|o| o.total_time.as_micros()).collect();
        assert_eq!(totals, [11111, 11110, 100, 11000, 10000]);
        assert_eq!(ops[0].q_error(), Some(1.0));
        assert_eq!(ops[1].q_error(), None);
        assert_eq!(ops[0].line(), "Limit: skip=0, fetch=1");
    }
}
