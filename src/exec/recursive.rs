//! RecursiveQuery and WorkTable: a recursive CTE runs round by round — the static
//! term once, then the recursive term with the work table holding the previous
//! round's new rows — until a round adds nothing. How many rounds is known only while
//! it runs, so the query is one task that lowers each round and runs it as further
//! stages of its own job; the result is that task's one partition.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use ember_planner::physical::PhysicalPlan;

use crate::error::{EmberError, Result};
use crate::exec::{ExecContext, into_iter, lower};
use crate::ops::batch_with_schema;
use crate::ops::recursive_query::SeenRows;
use crate::rdd::{Rdd, TaskContext};

/// The recursion as a one-partition RDD; nothing runs until its job does.
pub fn lower_recursive_query(
    name: &str,
    static_term: &Arc<PhysicalPlan>,
    recursive_term: &Arc<PhysicalPlan>,
    distinct: bool,
    schema: &SchemaRef,
    cx: &ExecContext,
) -> Result<Rdd<RecordBatch>> {
    let name = name.to_string();
    let (static_term, recursive_term) = (static_term.clone(), recursive_term.clone());
    let schema = schema.clone();
    let query_cx = cx.clone();
    Ok(cx
        .rdd
        .source(&format!("RecursiveQuery {name}"), 1, move |_, task| {
            let rows = recurse(
                &name,
                &static_term,
                &recursive_term,
                distinct,
                &schema,
                &query_cx,
                task,
            )?;
            Ok(into_iter(rows))
        }))
}

/// Runs `plan` as stages of `task`'s job and returns its batches in partition order.
fn run_in_task(
    plan: &Arc<PhysicalPlan>,
    cx: &ExecContext,
    task: &TaskContext,
) -> Result<Vec<RecordBatch>> {
    let rdd = lower(plan, cx)?;
    let parts = cx.rdd.run_within_task(task, &rdd, |_, items| {
        items.collect::<crate::rdd::error::Result<Vec<_>>>()
    })?;
    Ok(parts.into_iter().flatten().collect())
}

/// The rows of the recursion, computed inside `task`.
fn recurse(
    name: &str,
    static_term: &Arc<PhysicalPlan>,
    recursive_term: &Arc<PhysicalPlan>,
    distinct: bool,
    schema: &SchemaRef,
    cx: &ExecContext,
    task: &TaskContext,
) -> Result<Vec<RecordBatch>> {
    let mut seen = if distinct {
        Some(SeenRows::new(schema)?)
    } else {
        None
    };
    let mut conform = |batches: Vec<RecordBatch>| -> Result<Vec<RecordBatch>> {
        let mut out = Vec::new();
        for b in batches {
            let b = batch_with_schema(schema, b.columns().to_vec(), b.num_rows())?;
            let b = match seen.as_mut() {
                Some(s) => s.keep_new(&b)?,
                None => b,
            };
            if b.num_rows() > 0 {
                out.push(b);
            }
        }
        Ok(out)
    };
    let mut all = conform(run_in_task(static_term, cx, task)?)?;
    let mut last = all.clone();
    // Rounds that added rows; the limit bounds these (the last, empty round is free).
    let mut rounds = 0usize;
    while !last.is_empty() {
        let mut tables: HashMap<String, Vec<RecordBatch>> = cx.work_tables.as_ref().clone();
        tables.insert(name.to_string(), std::mem::take(&mut last));
        let round_cx = ExecContext {
            work_tables: Arc::new(tables),
            ..cx.clone()
        };
        last = conform(run_in_task(recursive_term, &round_cx, task)?)?;
        if !last.is_empty() {
            rounds += 1;
            if rounds > cx.max_recursion_iterations {
                return Err(EmberError::execution(format!(
                    "recursive query '{name}' did not finish within {} iterations \
                     (ember.execution.max_recursion_iterations)",
                    cx.max_recursion_iterations
                )));
            }
        }
        all.extend(last.iter().cloned());
    }
    Ok(all)
}

/// The previous round's rows of the enclosing recursive query.
pub fn lower_work_table(
    name: &str,
    schema: &SchemaRef,
    cx: &ExecContext,
) -> Result<Rdd<RecordBatch>> {
    let batches = cx
        .work_tables
        .get(name)
        .ok_or_else(|| EmberError::internal(format!("work table '{name}' read outside its query")))?
        .iter()
        .map(|b| batch_with_schema(schema, b.columns().to_vec(), b.num_rows()))
        .collect::<Result<Vec<_>>>()?;
    Ok(cx.rdd.parallelize(batches, 1))
}
