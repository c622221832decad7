//! Value window functions: lag and lead (rows before or after within the partition),
//! and first_value, last_value and nth_value (rows of the frame).
//!
//! In: the evaluated arguments (already of the result type) and the layout or the
//! frames. Out: the picked values, gathered with one `take`.

use arrow::array::{Array, ArrayRef, BooleanArray, UInt32Array, new_null_array};
use arrow::compute::kernels::zip::zip;
use arrow::compute::take;
use arrow::datatypes::DataType;
use ember_planner::expr::WindowFunc;

use crate::error::{EmberError, Result};
use crate::expr::cast::cast_array;
use crate::ops::window::Layout;

/// lag (negative `offset`) or lead: the value `offset` rows away in the partition,
/// else the default (the second argument, NULL when absent).
pub fn shift(
    args: &[ArrayRef],
    layout: &Layout,
    offset: i64,
    return_type: &DataType,
) -> Result<ArrayRef> {
    let values = args
        .first()
        .ok_or_else(|| EmberError::internal("lag/lead without a value"))?;
    let rows = values.len();
    let mut indices: Vec<Option<u32>> = Vec::with_capacity(rows);
    for p in &layout.partitions {
        for i in p.clone() {
            let j = (i as i64).saturating_add(offset);
            indices.push((j >= p.start as i64 && j < p.end as i64).then_some(j as u32));
        }
    }
    let in_range = BooleanArray::from(
        indices
            .iter()
            .map(|i| Some(i.is_some()))
            .collect::<Vec<_>>(),
    );
    let taken = take(values.as_ref(), &UInt32Array::from(indices), None)?;
    let taken = cast_array(&taken, return_type)?;
    match args.get(1) {
        Some(default) => {
            let default = cast_array(default, return_type)?;
            Ok(zip(&in_range, &taken, &default)?)
        }
        None => Ok(taken),
    }
}

/// first_value, last_value or nth_value(`n`) of each row's frame `starts[i]..ends[i]`.
pub fn frame_value(
    func: WindowFunc,
    args: &[ArrayRef],
    starts: &[usize],
    ends: &[usize],
    n: i64,
) -> Result<ArrayRef> {
    let values = args
        .first()
        .ok_or_else(|| EmberError::internal("value function without a value"))?;
    if values.is_empty() {
        return Ok(new_null_array(values.data_type(), 0));
    }
    let indices: UInt32Array = starts
        .iter()
        .zip(ends)
        .map(|(&s, &e)| {
            let pick = match func {
                WindowFunc::FirstValue => s,
                WindowFunc::LastValue => e.wrapping_sub(1),
                _ => s + (n.max(1) as usize - 1),
            };
            (s < e && pick >= s && pick < e).then_some(pick as u32)
        })
        .collect();
    Ok(take(values.as_ref(), &indices, None)?)
}
