//! EXPLAIN, EXPLAIN VERBOSE and EXPLAIN ANALYZE text for a query.
//!
//! In: a query's plan as built and its planner run ([`PlannedQuery`]). Out: its
//! logical plan; with VERBOSE the plan after every optimizer rule that changed it;
//! the optimized logical plan and the physical plan, each node with its estimated
//! output rows; with ANALYZE the query is run ([`profile`]) and the physical plan
//! becomes a tree of what every operator did beside what the planner expected
//! ([`tree`]), followed by the stages and tasks that ran and the RDD lineage. The
//! same run renders as one HTML document with [`crate::report`].
//!
//! - [`profile`]: one observed run, as data.
//! - [`tree`]: the analyzed operator tree as text.

pub mod profile;
pub mod tree;

use ember_planner::LogicalPlan;
use ember_planner::optimizer::cost::{Estimate, EstimateSource, Estimates};
use ember_planner::physical::PhysicalPlan;
use ember_planner::pipeline::PlannedQuery;

use crate::error::Result;
use crate::exec::{self, ExecContext};
use crate::rdd::metrics::StageKind;

use self::profile::{QueryProfile, run_profiled};

/// One operator's estimated and actual output rows, from running a query.
#[derive(Debug, Clone, PartialEq)]
pub struct OperatorRows {
    /// The operator's EXPLAIN line.
    pub operator: String,
    /// Estimated rows, where the planner made an estimate.
    pub estimated: Option<f64>,
    /// Where the estimate came from.
    pub source: Option<EstimateSource>,
    /// Rows it produced.
    pub actual: u64,
}

impl OperatorRows {
    /// max(estimate / actual, actual / estimate), both counted as at least one row.
    pub fn q_error(&self) -> Option<f64> {
        Some(ember_planner::optimizer::cost::q_error(
            self.estimated?,
            self.actual,
        ))
    }
}

/// Runs the planned query in `cx` and returns each physical operator's estimated and
/// actual rows, in pre-order.
pub(crate) fn analyze_rows(planned: PlannedQuery, cx: ExecContext) -> Result<Vec<OperatorRows>> {
    let profile = profile(&planned, cx)?;
    Ok(profile
        .operators
        .iter()
        .map(|op| OperatorRows {
            operator: op.line(),
            estimated: op.estimate.map(|e| e.rows),
            source: op.estimate.map(|e| e.source),
            actual: op.rows(),
        })
        .collect())
}

/// Runs the planned query in `cx`, observing every operator.
pub(crate) fn profile(planned: &PlannedQuery, cx: ExecContext) -> Result<QueryProfile> {
    let notes = folder_notes(&planned.physical)?;
    run_profiled(&planned.physical, &planned.estimates, &notes, cx)
}

/// Runs the planned query in `cx` and returns the HTML report of the run; `sql` is
/// the query's text, when it came from SQL.
pub(crate) fn html_report(
    planned: PlannedQuery,
    cx: ExecContext,
    sql: Option<&str>,
) -> Result<String> {
    let profile = profile(&planned, cx)?;
    let logical_plan = planned.optimized.display_indent();
    Ok(crate::report::render(&crate::report::ReportInput {
        sql,
        logical_plan: &logical_plan,
        profile: &profile,
    }))
}

/// Per node in pre-order, `folders=read/all` for scans of partitioned folders.
fn folder_notes(physical: &PhysicalPlan) -> Result<Vec<Option<String>>> {
    physical.preorder().into_iter().map(folders_read).collect()
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
fn estimate(e: Estimate) -> String {
    format!("est_rows={}", e.rows.round() as u64)
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
            .display_indent_with(&|node| estimate(optimized_estimates.estimate(node))),
    );
    if !analyze {
        let folders = folder_notes(&planned.physical)?;
        let notes: Vec<String> = planned
            .estimates
            .iter()
            .zip(folders)
            .map(|(e, folders)| {
                let notes: Vec<String> = e.map(estimate).into_iter().chain(folders).collect();
                notes.join(" ")
            })
            .collect();
        out.push_str("== Physical Plan ==\n");
        out.push_str(&planned.physical.display_indent_annotated(&notes));
        return Ok(out);
    }
    let profile = profile(&planned, cx)?;
    out.push_str(&analyzed_text(&profile));
    Ok(out)
}

/// The analyzed sections of EXPLAIN ANALYZE: the operator tree, the run's totals,
/// its stages and the RDD lineage.
fn analyzed_text(profile: &QueryProfile) -> String {
    let mut out = String::new();
    out.push_str("== Physical Plan (analyzed) ==\n");
    out.push_str(tree::LEGEND);
    out.push('\n');
    out.push_str(&tree::render(&profile.operators));
    out.push_str("== Execution ==\n");
    out.push_str(&format!(
        "rows: {}\nelapsed: {:.3}s\n",
        profile.rows,
        profile.elapsed.as_secs_f64()
    ));
    out.push_str("== Stages ==\n");
    for s in &profile.stages {
        let kind = match s.kind {
            StageKind::ShuffleMap { shuffle } => format!("shuffle map (shuffle {shuffle})"),
            StageKind::Result => "result".to_string(),
        };
        let reads = match s.reads.as_slice() {
            [] => String::new(),
            ids => {
                let ids: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
                format!(" reads={}", ids.join(","))
            }
        };
        out.push_str(&format!(
            "job {} stage {}: {kind}, tasks={} attempts={} failed={} rows={} time={:.3}s{reads}\n",
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
    out.push_str(&profile.lineage);
    out.push('\n');
    out
}
