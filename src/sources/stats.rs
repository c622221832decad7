//! Column statistics from arrays: null counts and min/max as [`ScalarValue`]s, with
//! Arrow's aggregate kernels, merged across batches or row groups.
//!
//! In: arrays of one column (the column's values, or per-row-group minima and maxima).
//! Out: [`ColumnStatistics`]. Used by the memory and Parquet sources.

use std::cmp::Ordering;

use arrow::array::{Array, AsArray};
use arrow::compute::{max, max_boolean, max_string, min, min_boolean, min_string};
use arrow::datatypes::{DataType, Date32Type, Decimal128Type, Float64Type, Int32Type, Int64Type};
use ember_planner::catalog::ColumnStatistics;
use ember_planner::scalar::ScalarValue;

/// Smallest and largest non-null value of an array, for the types Ember keeps
/// statistics on; `(None, None)` for other types or an all-null array.
pub(crate) fn array_min_max(array: &dyn Array) -> (Option<ScalarValue>, Option<ScalarValue>) {
    match array.data_type() {
        DataType::Int32 => {
            let a = array.as_primitive::<Int32Type>();
            (
                min(a).map(|v| ScalarValue::Int32(Some(v))),
                max(a).map(|v| ScalarValue::Int32(Some(v))),
            )
        }
        DataType::Int64 => {
            let a = array.as_primitive::<Int64Type>();
            (
                min(a).map(|v| ScalarValue::Int64(Some(v))),
                max(a).map(|v| ScalarValue::Int64(Some(v))),
            )
        }
        DataType::Float64 => {
            let a = array.as_primitive::<Float64Type>();
            (
                min(a).map(|v| ScalarValue::Float64(Some(v))),
                max(a).map(|v| ScalarValue::Float64(Some(v))),
            )
        }
        DataType::Decimal128(p, s) => {
            let a = array.as_primitive::<Decimal128Type>();
            (
                min(a).map(|v| ScalarValue::Decimal128(Some(v), *p, *s)),
                max(a).map(|v| ScalarValue::Decimal128(Some(v), *p, *s)),
            )
        }
        DataType::Date32 => {
            let a = array.as_primitive::<Date32Type>();
            (
                min(a).map(|v| ScalarValue::Date32(Some(v))),
                max(a).map(|v| ScalarValue::Date32(Some(v))),
            )
        }
        DataType::Utf8 => {
            let a = array.as_string::<i32>();
            (
                min_string(a).map(|v| ScalarValue::Utf8(Some(v.to_string()))),
                max_string(a).map(|v| ScalarValue::Utf8(Some(v.to_string()))),
            )
        }
        DataType::Boolean => {
            let a = array.as_boolean();
            (
                min_boolean(a).map(|v| ScalarValue::Boolean(Some(v))),
                max_boolean(a).map(|v| ScalarValue::Boolean(Some(v))),
            )
        }
        _ => (None, None),
    }
}

/// Orders two non-null scalars of the same type; `None` when they cannot be compared.
fn compare(a: &ScalarValue, b: &ScalarValue) -> Option<Ordering> {
    use ScalarValue as S;
    match (a, b) {
        (S::Int32(Some(x)), S::Int32(Some(y))) => Some(x.cmp(y)),
        (S::Int64(Some(x)), S::Int64(Some(y))) => Some(x.cmp(y)),
        (S::Float64(Some(x)), S::Float64(Some(y))) => Some(x.total_cmp(y)),
        (S::Decimal128(Some(x), _, s1), S::Decimal128(Some(y), _, s2)) if s1 == s2 => {
            Some(x.cmp(y))
        }
        (S::Date32(Some(x)), S::Date32(Some(y))) => Some(x.cmp(y)),
        (S::Utf8(Some(x)), S::Utf8(Some(y))) => Some(x.cmp(y)),
        (S::Boolean(Some(x)), S::Boolean(Some(y))) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Accumulates one column's statistics over several arrays (batches or row groups).
#[derive(Debug, Default)]
pub(crate) struct ColumnStatsBuilder {
    null_count: Option<usize>,
    min: Option<ScalarValue>,
    max: Option<ScalarValue>,
    /// Set once a part is seen whose min or max is unknown, which makes the total unknown.
    bounds_unknown: bool,
}

impl ColumnStatsBuilder {
    /// A builder with a known null count of zero.
    pub(crate) fn new() -> Self {
        ColumnStatsBuilder {
            null_count: Some(0),
            ..Default::default()
        }
    }

    /// Adds the nulls of one part (`None`: unknown).
    pub(crate) fn add_nulls(&mut self, nulls: Option<usize>) {
        self.null_count = match (self.null_count, nulls) {
            (Some(a), Some(b)) => Some(a + b),
            _ => None,
        };
    }

    /// Adds the bounds of one part; a part whose bounds are unknown makes the total
    /// unknown. Pass `(None, None)` with `all_null = true` for a part of only NULLs.
    pub(crate) fn add_bounds(
        &mut self,
        lo: Option<ScalarValue>,
        hi: Option<ScalarValue>,
        all_null: bool,
    ) {
        if all_null && lo.is_none() && hi.is_none() {
            return;
        }
        match (lo, hi) {
            (Some(lo), Some(hi)) if !lo.is_null() && !hi.is_null() => {
                self.min = Some(match self.min.take() {
                    Some(m) if compare(&m, &lo) != Some(Ordering::Greater) => m,
                    _ => lo,
                });
                self.max = Some(match self.max.take() {
                    Some(m) if compare(&m, &hi) != Some(Ordering::Less) => m,
                    _ => hi,
                });
            }
            _ => self.bounds_unknown = true,
        }
    }

    /// Adds a whole array of values.
    pub(crate) fn add_array(&mut self, array: &dyn Array) {
        self.add_nulls(Some(array.null_count()));
        let (lo, hi) = array_min_max(array);
        let all_null = array.null_count() == array.len();
        if lo.is_none() && !all_null {
            // A type without statistics.
            self.bounds_unknown = true;
        }
        self.add_bounds(lo, hi, all_null);
    }

    /// The statistics.
    pub(crate) fn finish(self) -> ColumnStatistics {
        let (min, max) = if self.bounds_unknown {
            (None, None)
        } else {
            (self.min, self.max)
        };
        ColumnStatistics {
            null_count: self.null_count,
            min,
            max,
            distinct_count: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Decimal128Array, Int64Array, StringArray};

    #[test]
    fn merges_bounds_and_nulls_across_arrays() {
        let mut b = ColumnStatsBuilder::new();
        b.add_array(&Int64Array::from(vec![Some(5), None, Some(9)]));
        b.add_array(&Int64Array::from(vec![Some(-2), Some(7)]));
        b.add_array(&Int64Array::from(vec![None, None]));
        let s = b.finish();
        assert_eq!(s.null_count, Some(3));
        assert_eq!(s.min, Some(ScalarValue::Int64(Some(-2))));
        assert_eq!(s.max, Some(ScalarValue::Int64(Some(9))));
    }

    #[test]
    fn strings_and_decimals() {
        let mut b = ColumnStatsBuilder::new();
        b.add_array(&StringArray::from(vec!["pear", "apple", "zoo"]));
        let s = b.finish();
        assert_eq!(s.min, Some(ScalarValue::Utf8(Some("apple".into()))));
        assert_eq!(s.max, Some(ScalarValue::Utf8(Some("zoo".into()))));

        let d = Decimal128Array::from(vec![1234, -5])
            .with_precision_and_scale(15, 2)
            .unwrap();
        let (lo, hi) = array_min_max(&d);
        assert_eq!(lo, Some(ScalarValue::Decimal128(Some(-5), 15, 2)));
        assert_eq!(hi, Some(ScalarValue::Decimal128(Some(1234), 15, 2)));
    }

    #[test]
    fn unknown_part_makes_bounds_unknown() {
        let mut b = ColumnStatsBuilder::new();
        b.add_bounds(Some(ScalarValue::Int32(Some(1))), None, false);
        b.add_nulls(None);
        let s = b.finish();
        assert_eq!((s.min, s.max, s.null_count), (None, None, None));
    }
}
