//! Frame bounds: for every row, the first row of its frame and one past the last
//! (equal when the frame is empty). Frames never leave the row's partition, and both
//! bounds move forward (or stay) from one row to the next within a partition.
//!
//! ROWS counts rows from the current one. RANGE without an offset goes to the edges of
//! the current row's peer group; RANGE with an offset compares the single ORDER BY
//! key (numbers as exact scaled integers, floats as f64) and finds the edge by binary
//! search; a row whose key is NULL has its NULL peers as its offset frame.

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Decimal128Type, Float64Type, Int64Type};
use ember_planner::ScalarValue;
use ember_planner::expr::{FrameBound, FrameUnits, WindowFrame};

use crate::error::{EmberError, Result};
use crate::expr::cast::cast_array;
use crate::ops::window::{Layout, OrderKey};

/// `(starts, ends)` of every row's frame.
pub fn frame_bounds(
    frame: &WindowFrame,
    layout: &Layout,
    order_key: Option<&OrderKey>,
) -> Result<(Vec<usize>, Vec<usize>)> {
    let rows = layout.peer_start.len();
    let mut starts = Vec::with_capacity(rows);
    let mut ends = Vec::with_capacity(rows);
    let has_offset = frame.start.offset().is_some() || frame.end.offset().is_some();
    let keys = if frame.units == FrameUnits::Range && has_offset {
        let key = order_key.ok_or_else(|| {
            EmberError::execution("RANGE with an offset needs an ORDER BY column")
        })?;
        Some(RangeKeys::new(key, frame)?)
    } else {
        None
    };
    for p in &layout.partitions {
        let (s, e) = (p.start, p.end);
        let nn = match &keys {
            Some(k) if k.nulls.is_some() => k.non_null(s, e),
            _ => (s, e),
        };
        for i in p.clone() {
            let (lo, hi) = match (&keys, frame.units) {
                (_, FrameUnits::Rows) => (
                    rows_bound(&frame.start, i, s, e, false)?,
                    rows_bound(&frame.end, i, s, e, true)?,
                ),
                (Some(k), FrameUnits::Range) => (
                    k.bound(&frame.start, 0, i, (s, e), nn, layout, false),
                    k.bound(&frame.end, 1, i, (s, e), nn, layout, true),
                ),
                (None, FrameUnits::Range) => (
                    peer_bound(&frame.start, i, s, e, layout, false),
                    peer_bound(&frame.end, i, s, e, layout, true),
                ),
            };
            starts.push(lo);
            ends.push(hi.max(lo));
        }
    }
    Ok((starts, ends))
}

fn rows_offset(v: &ScalarValue) -> Result<usize> {
    match v {
        ScalarValue::Int64(Some(n)) if *n >= 0 => Ok(usize::try_from(*n).unwrap_or(usize::MAX)),
        other => Err(EmberError::execution(format!(
            "ROWS frame offset must be a non-negative integer, got {other}"
        ))),
    }
}

/// A ROWS bound of row `i` in partition `s..e`; `end` asks for one past the last row.
fn rows_bound(b: &FrameBound, i: usize, s: usize, e: usize, end: bool) -> Result<usize> {
    let after = usize::from(end);
    Ok(match b {
        FrameBound::UnboundedPreceding => s,
        FrameBound::UnboundedFollowing => e,
        FrameBound::CurrentRow => i + after,
        FrameBound::Preceding(v) => (i + after).saturating_sub(rows_offset(v)?).max(s),
        FrameBound::Following(v) => (i + after).saturating_add(rows_offset(v)?).min(e),
    })
}

/// A RANGE bound without offsets: the partition's or the peer group's edge.
fn peer_bound(b: &FrameBound, i: usize, s: usize, e: usize, layout: &Layout, end: bool) -> usize {
    match b {
        FrameBound::UnboundedPreceding => s,
        FrameBound::UnboundedFollowing => e,
        _ if end => layout.peer_end[i],
        _ => layout.peer_start[i],
    }
}

/// ORDER BY values made ascending (negated when descending) and comparable with the
/// frame's offsets.
enum KeyValues {
    Exact(Vec<i128>, [i128; 2]),
    Float(Vec<f64>, [f64; 2]),
}

struct RangeKeys {
    values: KeyValues,
    nulls: Option<arrow::buffer::NullBuffer>,
    nulls_first: bool,
}

impl RangeKeys {
    fn new(key: &OrderKey, frame: &WindowFrame) -> Result<Self> {
        let offsets = [frame.start.offset(), frame.end.offset()];
        let t = key.values.data_type().clone();
        let float = matches!(t, DataType::Float16 | DataType::Float32 | DataType::Float64)
            || offsets
                .iter()
                .any(|o| matches!(o, Some(ScalarValue::Float64(_))));
        let sign = if key.asc { 1 } else { -1 };
        let values = if float {
            let v = cast_array(&key.values, &DataType::Float64)?;
            let v = v.as_primitive::<Float64Type>();
            let off = offsets.map(|o| match o {
                Some(ScalarValue::Int64(Some(n))) => *n as f64,
                Some(ScalarValue::Float64(Some(x))) => *x,
                Some(ScalarValue::Decimal128(Some(x), _, s)) => *x as f64 / 10f64.powi(*s as i32),
                _ => 0.0,
            });
            KeyValues::Float(v.values().iter().map(|x| x * sign as f64).collect(), off)
        } else {
            let key_scale = match t {
                DataType::Decimal128(_, s) => s.max(0) as u32,
                _ => 0,
            };
            let off_scale = |o: Option<&ScalarValue>| match o {
                Some(ScalarValue::Decimal128(_, _, s)) => (*s).max(0) as u32,
                _ => 0,
            };
            let scale = key_scale
                .max(off_scale(offsets[0]))
                .max(off_scale(offsets[1]));
            let up = |x: i128, from: u32| -> Result<i128> {
                10i128
                    .checked_pow(scale - from)
                    .and_then(|f| x.checked_mul(f))
                    .ok_or_else(|| EmberError::execution("RANGE offset overflows"))
            };
            let raw: Vec<i128> = match t {
                DataType::Decimal128(_, _) => {
                    let d = key.values.as_primitive::<Decimal128Type>();
                    d.values()
                        .iter()
                        .map(|x| up(*x, key_scale))
                        .collect::<Result<_>>()?
                }
                DataType::Date32 => {
                    let d = cast_array(&key.values, &DataType::Int32)?;
                    let d = cast_array(&d, &DataType::Int64)?;
                    d.as_primitive::<Int64Type>()
                        .values()
                        .iter()
                        .map(|x| *x as i128)
                        .collect()
                }
                _ => {
                    let d = cast_array(&key.values, &DataType::Int64)?;
                    let d = d.as_primitive::<Int64Type>();
                    d.values()
                        .iter()
                        .map(|x| up(*x as i128, 0))
                        .collect::<Result<_>>()?
                }
            };
            let mut off = [0i128; 2];
            for (slot, o) in off.iter_mut().zip(offsets) {
                *slot = match o {
                    Some(ScalarValue::Int64(Some(n))) => up(*n as i128, 0)?,
                    Some(ScalarValue::Decimal128(Some(x), _, s)) => up(*x, (*s).max(0) as u32)?,
                    _ => 0,
                };
            }
            KeyValues::Exact(raw.into_iter().map(|x| x * sign).collect(), off)
        };
        Ok(RangeKeys {
            values,
            nulls: key.values.logical_nulls(),
            nulls_first: key.nulls_first,
        })
    }

    fn is_null(&self, i: usize) -> bool {
        self.nulls.as_ref().is_some_and(|n| n.is_null(i))
    }

    /// The non-NULL rows of partition `s..e` (NULLs sit at one end).
    fn non_null(&self, s: usize, e: usize) -> (usize, usize) {
        let count = (s..e).filter(|&i| self.is_null(i)).count();
        if self.nulls_first {
            (s + count, e)
        } else {
            (s, e - count)
        }
    }

    /// A RANGE bound (`which` 0 = start offset, 1 = end offset) of row `i`.
    #[allow(clippy::too_many_arguments)]
    fn bound(
        &self,
        b: &FrameBound,
        which: usize,
        i: usize,
        (s, e): (usize, usize),
        (ns, ne): (usize, usize),
        layout: &Layout,
        end: bool,
    ) -> usize {
        let dir = match b {
            FrameBound::UnboundedPreceding => return s,
            FrameBound::UnboundedFollowing => return e,
            FrameBound::CurrentRow => {
                return if end {
                    layout.peer_end[i]
                } else {
                    layout.peer_start[i]
                };
            }
            FrameBound::Preceding(_) => -1,
            FrameBound::Following(_) => 1,
        };
        if self.is_null(i) {
            return if end {
                layout.peer_end[i]
            } else {
                layout.peer_start[i]
            };
        }
        match &self.values {
            KeyValues::Exact(v, off) => {
                let target = v[i].saturating_add(dir * off[which]);
                let slice = &v[ns..ne];
                ns + if end {
                    slice.partition_point(|k| *k <= target)
                } else {
                    slice.partition_point(|k| *k < target)
                }
            }
            KeyValues::Float(v, off) => {
                let target = v[i] + dir as f64 * off[which];
                let slice = &v[ns..ne];
                ns + if end {
                    slice.partition_point(|k| *k <= target)
                } else {
                    slice.partition_point(|k| *k < target)
                }
            }
        }
    }
}
