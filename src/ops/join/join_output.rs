//! Join output: from the candidate pairs of one probe batch to output batches.
//!
//! In: the probe batch, the build batch, candidate pairs as two index vectors (pairs
//! of the same probe row adjacent), the optional extra filter over left columns then
//! right columns, and the join kind. Out: output batches gathered with `take` on
//! whole index arrays; the build rows that matched are marked for outer joins. A mark
//! join's output is the probe rows with a BOOLEAN column telling which had a pair.

use std::ops::Range;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, RecordBatch, RecordBatchOptions, UInt32Array, new_null_array,
};
use arrow::compute::{filter_record_batch, take};
use arrow::datatypes::{Schema, SchemaRef};
use ember_planner::logical::JoinKind;
use ember_planner::physical::PhysExpr;

use crate::error::{EmberError, Result};
use crate::expr::evaluate_predicate;
use crate::ops::{batch_with_schema, split_batch};

/// The build side and what the join needs to know to assemble output.
pub struct JoinSides<'a> {
    /// Join kind.
    pub kind: JoinKind,
    /// The build (right) rows.
    pub build: &'a RecordBatch,
    /// Extra condition over left columns then right columns.
    pub filter: Option<&'a PhysExpr>,
    /// Output schema.
    pub schema: &'a SchemaRef,
}

/// Assembles the output for the probe rows in `probe_rows` of `probe`, given their
/// candidate pairs; sets `visited[b]` for every build row that matched.
pub fn assemble(
    sides: &JoinSides<'_>,
    probe: &RecordBatch,
    probe_rows: Range<u32>,
    mut probe_idx: Vec<u32>,
    mut build_idx: Vec<u32>,
    visited: Option<&mut [bool]>,
) -> Result<Vec<RecordBatch>> {
    let mut filtered_pairs: Option<RecordBatch> = None;
    if let Some(filter) = sides.filter
        && !probe_idx.is_empty()
    {
        let pairs = gather_pairs(probe, sides.build, &probe_idx, &build_idx)?;
        let mask = evaluate_predicate(filter, &pairs)?;
        if mask.true_count() < probe_idx.len() {
            probe_idx = keep(&probe_idx, &mask);
            build_idx = keep(&build_idx, &mask);
            if sides.kind == JoinKind::Inner {
                filtered_pairs = Some(filter_record_batch(&pairs, &mask)?);
            }
        } else if sides.kind == JoinKind::Inner {
            filtered_pairs = Some(pairs);
        }
    }
    if let Some(visited) = visited {
        for b in &build_idx {
            if let Some(v) = visited.get_mut(*b as usize) {
                *v = true;
            }
        }
    }
    let batch = match sides.kind {
        JoinKind::Inner | JoinKind::Cross | JoinKind::Right => match filtered_pairs {
            Some(pairs) => {
                let rows = pairs.num_rows();
                batch_with_schema(sides.schema, pairs.columns().to_vec(), rows)?
            }
            None => {
                let left = UInt32Array::from(probe_idx);
                let right = UInt32Array::from(build_idx);
                gather_output(sides, probe, &left, &right)?
            }
        },
        JoinKind::Left | JoinKind::Full => {
            let matched = matched_rows(&probe_idx, &probe_rows);
            let mut left: Vec<u32> = probe_idx;
            let mut right: Vec<Option<u32>> = build_idx.into_iter().map(Some).collect();
            for (row, m) in probe_rows.clone().zip(matched.iter()) {
                if !m {
                    left.push(row);
                    right.push(None);
                }
            }
            gather_output(
                sides,
                probe,
                &UInt32Array::from(left),
                &UInt32Array::from(right),
            )?
        }
        JoinKind::LeftMark | JoinKind::LeftMarkNullAware => {
            let matched = matched_rows(&probe_idx, &probe_rows);
            let mark: BooleanArray = matched.into_iter().map(Some).collect();
            mark_output(sides.schema, probe, probe_rows, mark)?
        }
        JoinKind::LeftSemi | JoinKind::LeftAnti | JoinKind::LeftAntiNullAware => {
            let matched = matched_rows(&probe_idx, &probe_rows);
            let want = sides.kind == JoinKind::LeftSemi;
            let rows: Vec<u32> = probe_rows
                .clone()
                .zip(matched.iter())
                .filter(|(_, m)| **m == want)
                .map(|(r, _)| r)
                .collect();
            let indices = UInt32Array::from(rows);
            let columns = probe
                .columns()
                .iter()
                .map(|c| Ok(take(c.as_ref(), &indices, None)?))
                .collect::<Result<Vec<_>>>()?;
            batch_with_schema(sides.schema, columns, indices.len())?
        }
    };
    Ok(split_batch(batch))
}

/// The probe rows in `probe_rows` followed by their `mark` (a mark join's output).
pub fn mark_output(
    schema: &SchemaRef,
    probe: &RecordBatch,
    probe_rows: Range<u32>,
    mark: BooleanArray,
) -> Result<RecordBatch> {
    let start = probe_rows.start as usize;
    let len = probe_rows.len();
    let mut columns: Vec<ArrayRef> = probe
        .columns()
        .iter()
        .map(|c| c.slice(start, len))
        .collect();
    columns.push(Arc::new(mark));
    batch_with_schema(schema, columns, len)
}

/// The candidate pairs that pass `filter` (all of them without one).
pub fn passing_pairs(
    filter: Option<&PhysExpr>,
    probe: &RecordBatch,
    build: &RecordBatch,
    probe_idx: Vec<u32>,
    build_idx: Vec<u32>,
) -> Result<(Vec<u32>, Vec<u32>)> {
    let Some(filter) = filter else {
        return Ok((probe_idx, build_idx));
    };
    if probe_idx.is_empty() {
        return Ok((probe_idx, build_idx));
    }
    let pairs = gather_pairs(probe, build, &probe_idx, &build_idx)?;
    let mask = evaluate_predicate(filter, &pairs)?;
    if mask.true_count() == probe_idx.len() {
        return Ok((probe_idx, build_idx));
    }
    Ok((keep(&probe_idx, &mask), keep(&build_idx, &mask)))
}

/// The build rows never matched (`visited` false), with NULL left columns.
pub fn unmatched_build_rows(sides: &JoinSides<'_>, visited: &[bool]) -> Result<Vec<RecordBatch>> {
    let rows: Vec<u32> = visited
        .iter()
        .enumerate()
        .filter(|(_, v)| !**v)
        .map(|(i, _)| i as u32)
        .collect();
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let n = rows.len();
    let indices = UInt32Array::from(rows);
    let left_width = sides
        .schema
        .fields()
        .len()
        .checked_sub(sides.build.num_columns())
        .ok_or_else(|| EmberError::internal("join schema narrower than its build side"))?;
    let mut columns: Vec<ArrayRef> = sides
        .schema
        .fields()
        .iter()
        .take(left_width)
        .map(|f| new_null_array(f.data_type(), n))
        .collect();
    for c in sides.build.columns() {
        columns.push(take(c.as_ref(), &indices, None)?);
    }
    Ok(split_batch(batch_with_schema(sides.schema, columns, n)?))
}

/// For each row of `probe_rows`, whether some pair holds it.
pub fn matched_rows(probe_idx: &[u32], probe_rows: &Range<u32>) -> Vec<bool> {
    let mut matched = vec![false; probe_rows.len()];
    for p in probe_idx {
        if let Some(m) = p
            .checked_sub(probe_rows.start)
            .and_then(|i| matched.get_mut(i as usize))
        {
            *m = true;
        }
    }
    matched
}

fn keep(values: &[u32], mask: &BooleanArray) -> Vec<u32> {
    values
        .iter()
        .enumerate()
        .filter(|(i, _)| mask.value(*i))
        .map(|(_, v)| *v)
        .collect()
}

/// Left columns gathered by `left`, right columns by `right` (a NULL index gives NULLs).
fn gather_output(
    sides: &JoinSides<'_>,
    probe: &RecordBatch,
    left: &UInt32Array,
    right: &UInt32Array,
) -> Result<RecordBatch> {
    let mut columns = Vec::with_capacity(probe.num_columns() + sides.build.num_columns());
    for c in probe.columns() {
        columns.push(take(c.as_ref(), left, None)?);
    }
    for c in sides.build.columns() {
        columns.push(take(c.as_ref(), right, None)?);
    }
    batch_with_schema(sides.schema, columns, left.len())
}

/// The candidate pairs as one batch: left columns then right columns.
fn gather_pairs(
    probe: &RecordBatch,
    build: &RecordBatch,
    probe_idx: &[u32],
    build_idx: &[u32],
) -> Result<RecordBatch> {
    let left = UInt32Array::from(probe_idx.to_vec());
    let right = UInt32Array::from(build_idx.to_vec());
    let mut fields = Vec::with_capacity(probe.num_columns() + build.num_columns());
    let mut columns = Vec::with_capacity(fields.capacity());
    for (f, c) in probe.schema().fields().iter().zip(probe.columns()) {
        fields.push(f.as_ref().clone().with_nullable(true));
        columns.push(take(c.as_ref(), &left, None)?);
    }
    for (f, c) in build.schema().fields().iter().zip(build.columns()) {
        fields.push(f.as_ref().clone().with_nullable(true));
        columns.push(take(c.as_ref(), &right, None)?);
    }
    let options = RecordBatchOptions::new().with_row_count(Some(left.len()));
    Ok(RecordBatch::try_new_with_options(
        Arc::new(Schema::new(fields)),
        columns,
        &options,
    )?)
}
