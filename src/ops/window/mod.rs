//! Window: computes window calls over a partition whose rows arrive sorted by the
//! PARTITION BY keys then the ORDER BY keys (every PARTITION BY group whole in it).
//!
//! In: the partition's batches, the keys and the calls. Out: the input columns
//! followed by one column per call, in batches of at most [`crate::ops::BATCH_SIZE`].
//! Each call is computed for all rows at once from the partition and peer-group
//! boundaries: ranks by walking the groups, frame aggregates from per-partition prefix
//! sums or a monotonic queue (min/max), values with `take` — O(n log n) at worst.
//!
//! - [`frame`]: the first and one-past-last row of each row's frame.
//! - [`rank`]: row_number, rank, dense_rank, percent_rank, cume_dist, ntile.
//! - [`value`]: lag, lead, first_value, last_value, nth_value.
//! - [`aggregate`]: count, sum, avg, min, max over frames.

pub mod aggregate;
pub mod frame;
pub mod rank;
pub mod value;

use std::ops::Range;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::compute::{concat_batches, partition};
use arrow::datatypes::SchemaRef;
use ember_planner::expr::WindowFunc;
use ember_planner::physical::{PhysExpr, PhysSortKey, WindowExpr};

use crate::error::Result;
use crate::expr::evaluate;
use crate::ops::{batch_with_schema, split_batch};

/// Where each row's partition and peer group (rows equal on every ORDER BY key)
/// begin and end, over the concatenated input.
pub struct Layout {
    /// PARTITION BY groups, in order.
    pub partitions: Vec<Range<usize>>,
    /// First row of each row's peer group.
    pub peer_start: Vec<usize>,
    /// One past the last row of each row's peer group.
    pub peer_end: Vec<usize>,
}

/// The first ORDER BY key, for RANGE frames with an offset.
pub struct OrderKey {
    /// Its values.
    pub values: ArrayRef,
    /// Ascending.
    pub asc: bool,
    /// NULLs sort first.
    pub nulls_first: bool,
}

/// Computes `exprs` over one partition's sorted batches.
pub fn window_batches(
    batches: Vec<RecordBatch>,
    partition_by: &[PhysExpr],
    order_by: &[PhysSortKey],
    exprs: &[WindowExpr],
    input_schema: &SchemaRef,
    schema: &SchemaRef,
) -> Result<Vec<RecordBatch>> {
    let batch = concat_batches(input_schema, &batches)?;
    drop(batches);
    let rows = batch.num_rows();
    if rows == 0 {
        return Ok(vec![]);
    }
    let part_cols = partition_by
        .iter()
        .map(|e| evaluate(e, &batch))
        .collect::<Result<Vec<_>>>()?;
    let order_cols = order_by
        .iter()
        .map(|k| evaluate(&k.expr, &batch))
        .collect::<Result<Vec<_>>>()?;
    let partitions = if part_cols.is_empty() {
        std::iter::once(0..rows).collect()
    } else {
        partition(&part_cols)?.ranges()
    };
    let peers = if order_cols.is_empty() {
        partitions.clone()
    } else {
        let all: Vec<ArrayRef> = part_cols.iter().chain(&order_cols).cloned().collect();
        partition(&all)?.ranges()
    };
    let mut peer_start = vec![0; rows];
    let mut peer_end = vec![0; rows];
    for r in &peers {
        for i in r.clone() {
            peer_start[i] = r.start;
            peer_end[i] = r.end;
        }
    }
    let layout = Layout {
        partitions,
        peer_start,
        peer_end,
    };
    let order_key = match (order_by.first(), order_cols.first()) {
        (Some(k), Some(values)) => Some(OrderKey {
            values: values.clone(),
            asc: k.asc,
            nulls_first: k.nulls_first,
        }),
        _ => None,
    };
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    for e in exprs {
        columns.push(evaluate_call(e, &batch, &layout, order_key.as_ref())?);
    }
    let out = batch_with_schema(schema, columns, rows)?;
    Ok(split_batch(out))
}

/// One window call's column.
fn evaluate_call(
    e: &WindowExpr,
    batch: &RecordBatch,
    layout: &Layout,
    order_key: Option<&OrderKey>,
) -> Result<ArrayRef> {
    let args = e
        .args
        .iter()
        .map(|a| evaluate(a, batch))
        .collect::<Result<Vec<_>>>()?;
    match e.func {
        WindowFunc::RowNumber
        | WindowFunc::Rank
        | WindowFunc::DenseRank
        | WindowFunc::PercentRank
        | WindowFunc::CumeDist
        | WindowFunc::Ntile => rank::ranking(e.func, layout, e.param),
        WindowFunc::Lag | WindowFunc::Lead => {
            let offset = if e.func == WindowFunc::Lag {
                -e.param
            } else {
                e.param
            };
            value::shift(&args, layout, offset, &e.return_type)
        }
        WindowFunc::FirstValue | WindowFunc::LastValue | WindowFunc::NthValue => {
            let (starts, ends) = frame::frame_bounds(&e.frame, layout, order_key)?;
            value::frame_value(e.func, &args, &starts, &ends, e.param)
        }
        WindowFunc::Aggregate(func) => {
            let (starts, ends) = frame::frame_bounds(&e.frame, layout, order_key)?;
            aggregate::frame_aggregate(
                func,
                args.first(),
                layout,
                &starts,
                &ends,
                e.input_type.as_ref(),
                &e.return_type,
            )
        }
    }
}
