//! Searched CASE: the first WHEN that is true picks its THEN; a NULL condition counts
//! as false; rows no WHEN picks get the ELSE (or NULL).
//!
//! In: the WHEN/THEN pairs, the ELSE and a batch. Out: one array of the result type.
//! Each condition and each branch is evaluated only on the rows still undecided, so
//! `CASE WHEN x = 0 THEN 0 ELSE 1 / x END` never divides by zero.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch, new_null_array};
use arrow::compute::kernels::boolean::not;
use arrow::compute::{filter_record_batch, interleave};
use arrow::datatypes::{DataType, Field, Schema};
use ember_planner::physical::PhysExpr;

use crate::error::Result;
use crate::expr::cast::cast_array;
use crate::expr::eval::{evaluate, evaluate_predicate};

/// Evaluates a searched CASE over `batch`.
pub fn evaluate_case(
    when_then: &[(PhysExpr, PhysExpr)],
    else_expr: Option<&PhysExpr>,
    data_type: &DataType,
    batch: &RecordBatch,
) -> Result<ArrayRef> {
    let n = batch.num_rows();
    let mut current = narrow_batch(when_then, else_expr, batch)?;
    // Original row ids of `current`'s rows.
    let mut row_ids: Vec<u32> = (0..n as u32).collect();
    let mut sources: Vec<ArrayRef> = Vec::new();
    let mut picks: Vec<(usize, usize)> = vec![(0, 0); n];
    for (when, then) in when_then {
        if current.num_rows() == 0 {
            break;
        }
        let mask = evaluate_predicate(when, &current)?;
        let selected = mask.true_count();
        if selected == 0 {
            continue;
        }
        let chosen = if selected == current.num_rows() {
            current.clone()
        } else {
            filter_record_batch(&current, &mask)?
        };
        let values = cast_array(&evaluate(then, &chosen)?, data_type)?;
        record_picks(&mut sources, &mut picks, &row_ids, &mask, values);
        let rest = not(&mask)?;
        current = filter_record_batch(&current, &rest)?;
        row_ids = keep(&row_ids, &rest);
    }
    if current.num_rows() > 0 {
        let values = match else_expr {
            Some(e) => cast_array(&evaluate(e, &current)?, data_type)?,
            None => new_null_array(data_type, current.num_rows()),
        };
        let all = BooleanArray::from(vec![true; current.num_rows()]);
        record_picks(&mut sources, &mut picks, &row_ids, &all, values);
    }
    match sources.len() {
        0 => Ok(new_null_array(data_type, n)),
        // One source covering every row, in order.
        1 if sources[0].len() == n => Ok(sources[0].clone()),
        _ => {
            let refs: Vec<&dyn Array> = sources.iter().map(|a| a.as_ref()).collect();
            Ok(interleave(&refs, &picks)?)
        }
    }
}

/// Notes that the rows of `row_ids` selected by `mask` take their values, in order,
/// from `values`.
fn record_picks(
    sources: &mut Vec<ArrayRef>,
    picks: &mut [(usize, usize)],
    row_ids: &[u32],
    mask: &BooleanArray,
    values: ArrayRef,
) {
    let source = sources.len();
    sources.push(values);
    let mut next = 0;
    for (i, &row) in row_ids.iter().enumerate() {
        if mask.value(i) {
            if let Some(slot) = picks.get_mut(row as usize) {
                *slot = (source, next);
            }
            next += 1;
        }
    }
}

fn keep(row_ids: &[u32], mask: &BooleanArray) -> Vec<u32> {
    row_ids
        .iter()
        .enumerate()
        .filter(|(i, _)| mask.value(*i))
        .map(|(_, r)| *r)
        .collect()
}

/// The batch with every column the CASE does not read replaced by a NULL column, so
/// filtering it between branches copies only what is needed.
fn narrow_batch(
    when_then: &[(PhysExpr, PhysExpr)],
    else_expr: Option<&PhysExpr>,
    batch: &RecordBatch,
) -> Result<RecordBatch> {
    let mut used = vec![false; batch.num_columns()];
    let mut mark = |e: &PhysExpr| {
        if let PhysExpr::Column { index, .. } = e
            && let Some(u) = used.get_mut(*index)
        {
            *u = true;
        }
    };
    for (w, t) in when_then {
        w.visit(&mut mark);
        t.visit(&mut mark);
    }
    if let Some(e) = else_expr {
        e.visit(&mut mark);
    }
    if used.iter().all(|u| *u) {
        return Ok(batch.clone());
    }
    let schema = batch.schema();
    let mut fields = Vec::with_capacity(used.len());
    let mut columns = Vec::with_capacity(used.len());
    for (i, u) in used.iter().enumerate() {
        if *u {
            fields.push(schema.field(i).clone());
            columns.push(batch.column(i).clone());
        } else {
            fields.push(Field::new(schema.field(i).name(), DataType::Null, true));
            columns.push(new_null_array(&DataType::Null, batch.num_rows()));
        }
    }
    let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    Ok(RecordBatch::try_new_with_options(
        Arc::new(Schema::new(fields)),
        columns,
        &options,
    )?)
}
