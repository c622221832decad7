//! RecursiveQuery and WorkTable: a recursive CTE runs on the driver, round by round —
//! the static term once, then the recursive term with the work table holding the
//! previous round's new rows — until a round adds nothing. Each round is an ordinary
//! job; the result is one partition.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use ember_planner::physical::PhysicalPlan;

use crate::error::{EmberError, Result};
use crate::exec::{ExecContext, execute};
use crate::ops::batch_with_schema;
use crate::ops::recursive_query::SeenRows;
use crate::rdd::Rdd;

/// Runs the recursion and returns its rows.
pub fn lower_recursive_query(
    name: &str,
    static_term: &Arc<PhysicalPlan>,
    recursive_term: &Arc<PhysicalPlan>,
    distinct: bool,
    schema: &SchemaRef,
    cx: &ExecContext,
) -> Result<Rdd<RecordBatch>> {
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
    let mut all = conform(execute(static_term, cx)?)?;
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
        last = conform(execute(recursive_term, &round_cx)?)?;
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
    Ok(cx.rdd.parallelize(all, 1))
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
