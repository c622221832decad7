//! Aggregates over frames: count, sum and avg from prefix sums kept per partition
//! (a frame's value is one subtraction, and a frame starting at the partition's
//! first row is the plain running total), min and max with a monotonic queue of
//! candidate rows (frame bounds only move forward).
//!
//! In: the argument column (`None` for `count(*)`), the layout and each row's frame.
//! Out: one value per row; NULL over a frame without values (0 for count).

use std::collections::VecDeque;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int64Array, PrimitiveArray, UInt32Array,
};
use arrow::compute::{SortOptions, take};
use arrow::datatypes::{DataType, Decimal128Type, Float64Type, Int64Type};
use ember_planner::expr::AggFunc;

use crate::error::{EmberError, Result};
use crate::expr::arithmetic::{div_round, pow10};
use crate::expr::cast::cast_array;
use crate::ops::window::Layout;

/// `func` over each row's frame `starts[i]..ends[i]`.
pub fn frame_aggregate(
    func: AggFunc,
    arg: Option<&ArrayRef>,
    layout: &Layout,
    starts: &[usize],
    ends: &[usize],
    input_type: Option<&DataType>,
    return_type: &DataType,
) -> Result<ArrayRef> {
    let Some(arg) = arg else {
        let counts: Int64Array = starts
            .iter()
            .zip(ends)
            .map(|(s, e)| (e - s) as i64)
            .collect();
        return Ok(Arc::new(counts));
    };
    match func {
        AggFunc::Count => {
            let mut out = Vec::with_capacity(starts.len());
            prefix_fold(
                layout,
                starts,
                ends,
                |_| Some(0i64),
                0,
                |a, _| Ok(a),
                |a, _| Ok(a),
                |r| {
                    out.push(r.map(|(_, n)| n).unwrap_or(0));
                },
                arg,
            )?;
            Ok(Arc::new(Int64Array::from(out)))
        }
        AggFunc::Sum | AggFunc::Avg => {
            let is_avg = func == AggFunc::Avg;
            match input_type.unwrap_or(&DataType::Null) {
                DataType::Decimal128(_, scale) => {
                    let v = arg.as_primitive::<Decimal128Type>();
                    let raw = v.values();
                    let mut out: Vec<Option<i128>> = Vec::with_capacity(starts.len());
                    let overflow =
                        || EmberError::execution(format!("numeric overflow in {}()", func.name()));
                    let factor = match return_type {
                        DataType::Decimal128(_, rs) if is_avg => {
                            pow10((*rs as i32 - *scale as i32).max(0) as u32)
                                .ok_or_else(overflow)?
                        }
                        _ => 1,
                    };
                    let mut err = None;
                    prefix_fold(
                        layout,
                        starts,
                        ends,
                        |i| Some(raw[i]),
                        0i128,
                        |a, b| a.checked_add(b).ok_or_else(overflow),
                        |a, b| a.checked_sub(b).ok_or_else(overflow),
                        |r| {
                            out.push(match r {
                                None => None,
                                Some((s, _)) if !is_avg => Some(s),
                                Some((s, n)) => match s.checked_mul(factor) {
                                    Some(x) => Some(div_round(x, n as i128)),
                                    None => {
                                        err = Some(overflow());
                                        None
                                    }
                                },
                            })
                        },
                        arg,
                    )?;
                    if let Some(e) = err {
                        return Err(e);
                    }
                    let array = PrimitiveArray::<Decimal128Type>::from(out)
                        .with_data_type(return_type.clone());
                    Ok(Arc::new(array))
                }
                t if ember_planner::types::is_float(t) => {
                    let v = cast_array(arg, &DataType::Float64)?;
                    let raw = v.as_primitive::<Float64Type>().values().clone();
                    let mut out: Vec<Option<f64>> = Vec::with_capacity(starts.len());
                    prefix_fold(
                        layout,
                        starts,
                        ends,
                        |i| Some(raw[i]),
                        0.0,
                        |a, b| Ok(a + b),
                        |a, b| Ok(a - b),
                        |r| {
                            out.push(r.map(|(s, n)| if is_avg { s / n as f64 } else { s }));
                        },
                        &v,
                    )?;
                    Ok(Arc::new(Float64Array::from(out)))
                }
                _ => {
                    let v = cast_array(arg, &DataType::Int64)?;
                    let raw = v.as_primitive::<Int64Type>().values().clone();
                    let mut ints: Vec<Option<i64>> = Vec::new();
                    let mut floats: Vec<Option<f64>> = Vec::new();
                    let mut overflow = false;
                    prefix_fold(
                        layout,
                        starts,
                        ends,
                        |i| Some(raw[i] as i128),
                        0i128,
                        |a, b| Ok(a + b),
                        |a, b| Ok(a - b),
                        |r| {
                            if is_avg {
                                floats.push(r.map(|(s, n)| s as f64 / n as f64));
                            } else {
                                ints.push(r.and_then(|(s, _)| {
                                    let x = i64::try_from(s).ok();
                                    overflow |= x.is_none();
                                    x
                                }));
                            }
                        },
                        &v,
                    )?;
                    if overflow {
                        return Err(EmberError::execution("numeric overflow in sum()"));
                    }
                    Ok(if is_avg {
                        Arc::new(Float64Array::from(floats))
                    } else {
                        Arc::new(Int64Array::from(ints))
                    })
                }
            }
        }
        AggFunc::Min | AggFunc::Max => min_max(func == AggFunc::Max, arg, layout, starts, ends),
        other => Err(EmberError::Unsupported(format!(
            "{}() as a window function",
            other.name()
        ))),
    }
}

/// Folds each partition's non-NULL values of `valid_of` into running totals, then
/// emits, for each row, `(sum, count)` of its frame, or `None` when the frame holds
/// no non-NULL value.
#[allow(clippy::too_many_arguments)]
fn prefix_fold<T: Copy>(
    layout: &Layout,
    starts: &[usize],
    ends: &[usize],
    item: impl Fn(usize) -> Option<T>,
    zero: T,
    add: impl Fn(T, T) -> Result<T>,
    sub: impl Fn(T, T) -> Result<T>,
    mut emit: impl FnMut(Option<(T, i64)>),
    valid_of: &ArrayRef,
) -> Result<()> {
    let nulls = valid_of.logical_nulls();
    let mut sums: Vec<T> = Vec::new();
    let mut counts: Vec<i64> = Vec::new();
    for p in &layout.partitions {
        sums.clear();
        counts.clear();
        let (mut acc, mut n) = (zero, 0i64);
        sums.push(acc);
        counts.push(n);
        for i in p.clone() {
            if !nulls.as_ref().is_some_and(|b| b.is_null(i))
                && let Some(v) = item(i)
            {
                acc = add(acc, v)?;
                n += 1;
            }
            sums.push(acc);
            counts.push(n);
        }
        for i in p.clone() {
            let (fs, fe) = (starts[i] - p.start, ends[i] - p.start);
            let count = counts[fe] - counts[fs];
            if count == 0 {
                emit(None);
            } else if fs == 0 {
                emit(Some((sums[fe], count)));
            } else {
                emit(Some((sub(sums[fe], sums[fs])?, count)));
            }
        }
    }
    Ok(())
}

/// min or max of each frame: a queue of rows whose values decrease (max) or increase
/// (min) from front to back; the front is the answer once rows before the frame
/// leave it.
fn min_max(
    max: bool,
    arg: &ArrayRef,
    layout: &Layout,
    starts: &[usize],
    ends: &[usize],
) -> Result<ArrayRef> {
    let cmp = arrow::array::make_comparator(arg.as_ref(), arg.as_ref(), SortOptions::default())?;
    // True when row `a` can never be the answer while `b` (later) is in the frame.
    let dominated = |a: usize, b: usize| {
        let o = cmp(a, b);
        if max { o.is_le() } else { o.is_ge() }
    };
    let nulls = arg.logical_nulls();
    let mut picks: Vec<Option<u32>> = Vec::with_capacity(starts.len());
    let mut queue: VecDeque<usize> = VecDeque::new();
    for p in &layout.partitions {
        queue.clear();
        let mut next = p.start;
        let (mut last_s, mut last_e) = (p.start, p.start);
        for i in p.clone() {
            let (s, e) = (starts[i], ends[i]);
            if s < last_s || e < last_e {
                // Not moving forward: start over (never happens for valid frames).
                queue.clear();
                next = s;
            }
            (last_s, last_e) = (s, e);
            if next < s {
                next = s;
            }
            while next < e {
                if !nulls.as_ref().is_some_and(|b| b.is_null(next)) {
                    while queue.back().is_some_and(|&b| dominated(b, next)) {
                        queue.pop_back();
                    }
                    queue.push_back(next);
                }
                next += 1;
            }
            while queue.front().is_some_and(|&f| f < s) {
                queue.pop_front();
            }
            picks.push(queue.front().filter(|&&f| f < e).map(|&f| f as u32));
        }
    }
    Ok(take(arg.as_ref(), &UInt32Array::from(picks), None)?)
}

#[cfg(test)]
mod tests {
    use std::ops::Range;

    use arrow::array::Int64Array;

    use super::*;

    /// Random values with NULLs, random partitions, random ROWS frames: every result
    /// equals a plain scan of the frame.
    #[test]
    fn frames_match_a_direct_scan() {
        let mut seed = 11u64;
        let mut next = |m: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        for _ in 0..50 {
            let rows = next(40) as usize + 1;
            let values: Vec<Option<i64>> = (0..rows)
                .map(|_| (next(5) != 0).then(|| next(100) as i64 - 50))
                .collect();
            let mut partitions: Vec<Range<usize>> = Vec::new();
            let mut at = 0;
            while at < rows {
                let len = (next(10) as usize + 1).min(rows - at);
                partitions.push(at..at + len);
                at += len;
            }
            let (before, after) = (next(4) as usize, next(4) as usize);
            let mut starts = Vec::new();
            let mut ends = Vec::new();
            for p in &partitions {
                for i in p.clone() {
                    let s = i.saturating_sub(before).max(p.start);
                    starts.push(s);
                    ends.push((i + after + 1).min(p.end).max(s));
                }
            }
            let layout = Layout {
                partitions: partitions.clone(),
                peer_start: (0..rows).collect(),
                peer_end: (1..=rows).collect(),
            };
            let arg: ArrayRef = Arc::new(Int64Array::from(values.clone()));
            let t = DataType::Int64;
            let sum = frame_aggregate(
                AggFunc::Sum,
                Some(&arg),
                &layout,
                &starts,
                &ends,
                Some(&t),
                &t,
            )
            .unwrap();
            let max = frame_aggregate(
                AggFunc::Max,
                Some(&arg),
                &layout,
                &starts,
                &ends,
                Some(&t),
                &t,
            )
            .unwrap();
            let min = frame_aggregate(
                AggFunc::Min,
                Some(&arg),
                &layout,
                &starts,
                &ends,
                Some(&t),
                &t,
            )
            .unwrap();
            let count = frame_aggregate(
                AggFunc::Count,
                Some(&arg),
                &layout,
                &starts,
                &ends,
                Some(&t),
                &t,
            )
            .unwrap();
            let (sum, max, min, count) = (
                sum.as_primitive::<Int64Type>(),
                max.as_primitive::<Int64Type>(),
                min.as_primitive::<Int64Type>(),
                count.as_primitive::<Int64Type>(),
            );
            for i in 0..rows {
                let frame: Vec<i64> = values[starts[i]..ends[i]]
                    .iter()
                    .flatten()
                    .copied()
                    .collect();
                let get = |a: &PrimitiveArray<Int64Type>| a.is_valid(i).then(|| a.value(i));
                assert_eq!(
                    get(sum),
                    (!frame.is_empty()).then(|| frame.iter().sum()),
                    "sum row {i}"
                );
                assert_eq!(get(max), frame.iter().max().copied(), "max row {i}");
                assert_eq!(get(min), frame.iter().min().copied(), "min row {i}");
                assert_eq!(count.value(i), frame.len() as i64, "count row {i}");
            }
        }
    }
}
