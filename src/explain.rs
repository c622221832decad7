//! EXPLAIN, EXPLAIN VERBOSE and EXPLAIN ANALYZE text for a query.
//!
//! In: a query's plan as built and its planner run ([`PlannedQuery`]). Out: its
//! logical plan; with VERBOSE the plan after every
//! optimizer rule that changed it; the optimized logical plan and the physical plan,
//! each node with its estimated output rows; with ANALYZE the query is run and
//! every physical node also shows its actual rows, batches, output bytes and own
//! time, followed by the stages and tasks that ran and the RDD lineage.

use std::sync::Arc;
use std::time::Instant;

use arrow::array::RecordBatch;
use ember_planner::LogicalPlan;
use ember_planner::optimizer::cost::Estimates;
use ember_planner::physical::PhysicalPlan;
use ember_planner::pipeline::PlannedQuery;

use crate::error::Result;
use crate::exec::{self, ExecContext, metrics::OperatorMetrics};
use crate::rdd::Rdd;
use crate::rdd::metrics::StageKind;

/// One operator's estimated and actual output rows, from running a query.
#[derive(Debug, Clone, PartialEq)]
pub struct OperatorRows {
    /// The operator's EXPLAIN line.
    pub operator: String,
    /// Estimated rows, where the planner made an estimate.
    pub estimated: Option<f64>,
    /// Rows it produced.
    pub actual: u64,
}

impl OperatorRows {
    /// max(estimate / actual, actual / estimate), both counted as at least one row.
    pub fn q_error(&self) -> Option<f64> {
        let e = self.estimated?.max(1.0);
        let a = (self.actual as f64).max(1.0);
        Some((e / a).max(a / e))
    }
}

/// Runs the planned query in `cx` and returns each physical operator's estimated and
/// actual rows, in pre-order.
pub(crate) fn analyze_rows(planned: PlannedQuery, cx: ExecContext) -> Result<Vec<OperatorRows>> {
    let (physical, estimates) = (planned.physical, planned.estimates);
    let (rdd, metrics) = lower_with_metrics(cx, &physical)?;
    rdd.collect()?;
    Ok(physical
        .preorder()
        .into_iter()
        .zip(estimates)
        .zip(metrics.rows())
        .map(|((node, estimated), actual)| OperatorRows {
            operator: node.describe(),
            estimated,
            actual,
        })
        .collect())
}

/// Lowers `physical` in `cx` with per-operator counters attached (nothing runs until
/// the RDD's action).
fn lower_with_metrics(
    mut cx: ExecContext,
    physical: &Arc<PhysicalPlan>,
) -> Result<(Rdd<RecordBatch>, Arc<OperatorMetrics>)> {
    let metrics = Arc::new(OperatorMetrics::new(physical));
    cx.metrics = Some(metrics.clone());
    Ok((exec::lower(physical, &cx)?, metrics))
}

/// For a scan of a source in `name=value` folders: `folders=read/all`, the folders
/// left after partition pruning.
fn folders_read(node: &PhysicalPlan) -> Result<Option<String>> {
    let PhysicalPlan::Scan {
        source,
        projection,
        filters,
        ..
    } = node
    else {
        return Ok(None);
    };
    let Some(table) = source.as_any().downcast_ref::<crate::sources::Table>() else {
        return Ok(None);
    };
    let data = table.0.current().unwrap_or_else(|| table.0.clone());
    if data.partition_columns().is_empty() {
        return Ok(None);
    }
    let folders = |partitions: &mut dyn Iterator<Item = usize>| {
        let mut seen = std::collections::HashSet::new();
        for p in partitions {
            seen.insert(format!("{:?}", data.partition_values(p)));
        }
        seen.len()
    };
    let all = folders(&mut (0..data.num_partitions()));
    let kept = exec::scan::partitions_to_scan(&data, projection, filters)?;
    let read = folders(&mut kept.into_iter());
    Ok(Some(format!("folders={read}/{all}")))
}

/// Renders an estimate as a whole number of rows.
fn estimate(rows: f64) -> String {
    format!("est_rows={}", rows.round() as u64)
}

/// The EXPLAIN text of the query whose plan as built is `logical` and whose planner
/// run is `planned`; with `analyze` it runs in `cx`.
pub(crate) fn explain(
    logical: &LogicalPlan,
    planned: PlannedQuery,
    cx: ExecContext,
    verbose: bool,
    analyze: bool,
) -> Result<String> {
    let mut out = String::new();
    out.push_str("== Logical Plan ==\n");
    out.push_str(&logical.display_indent());
    if verbose {
        for s in &planned.rule_trace {
            out.push_str(&format!("== After {} ({}) ==\n", s.rule, s.batch));
            out.push_str(&s.plan.display_indent());
        }
    }
    out.push_str("== Optimized Logical Plan ==\n");
    let optimized_estimates = Estimates::of(&planned.optimized);
    out.push_str(
        &planned
            .optimized
            .display_indent_with(&|node| estimate(optimized_estimates.rows(node))),
    );
    let (physical, estimates) = (planned.physical, planned.estimates);
    let mut notes: Vec<String> = estimates
        .iter()
        .map(|e| e.map(estimate).unwrap_or_default())
        .collect();
    for (note, node) in notes.iter_mut().zip(physical.preorder()) {
        if let Some(folders) = folders_read(node)? {
            if !note.is_empty() {
                note.push(' ');
            }
            note.push_str(&folders);
        }
    }
    if !analyze {
        out.push_str("== Physical Plan ==\n");
        out.push_str(&physical.display_indent_annotated(&notes));
        return Ok(out);
    }

    let rdd_context = cx.rdd.clone();
    let jobs_before = rdd_context
        .job_log()
        .iter()
        .map(|j| j.job_id + 1)
        .max()
        .unwrap_or(0);
    let start = Instant::now();
    let (rdd, metrics) = lower_with_metrics(cx, &physical)?;
    let rows: usize = rdd.collect()?.iter().map(|b| b.num_rows()).sum();
    let elapsed = start.elapsed();

    for (note, actual) in notes.iter_mut().zip(metrics.notes(&physical)) {
        if !actual.is_empty() {
            if !note.is_empty() {
                note.push(' ');
            }
            note.push_str(&actual);
        }
    }
    out.push_str("== Physical Plan (analyzed) ==\n");
    out.push_str(&physical.display_indent_annotated(&notes));
    out.push_str("== Execution ==\n");
    out.push_str(&format!(
        "rows: {rows}\nelapsed: {:.3}s\n",
        elapsed.as_secs_f64()
    ));
    out.push_str("== Stages ==\n");
    let mut stages: Vec<_> = rdd_context
        .stage_log()
        .into_iter()
        .filter(|s| s.job_id >= jobs_before)
        .collect();
    stages.sort_by_key(|s| (s.job_id, s.start));
    for s in &stages {
        let kind = match s.kind {
            StageKind::ShuffleMap { shuffle } => format!("shuffle map (shuffle {shuffle})"),
            StageKind::Result => "result".to_string(),
        };
        out.push_str(&format!(
            "job {} stage {}: {kind}, tasks={} attempts={} failed={} rows={} time={:.3}s\n",
            s.job_id,
            s.stage_id,
            s.totals.tasks,
            s.totals.attempts,
            s.totals.failed_attempts,
            s.totals.rows,
            (s.end.saturating_sub(s.start)).as_secs_f64()
        ));
    }
    out.push_str("== Lineage ==\n");
    out.push_str(&rdd.to_debug_string());
    out.push('\n');
    Ok(out)
}
