//! Accumulators: the per-group state of one aggregate call, held column-wise (one
//! `Vec` slot per group, indexed by group id; no object per group).
//!
//! In: group ids and the argument column (raw values, or partial states when
//! merging). Out: state columns (see `ember_planner::physical::state_fields`) or the
//! final values.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, ArrowPrimitiveType, AsArray, Float64Array, Int64Array, PrimitiveArray,
    StringArray,
};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{
    ArrowNativeTypeOp, DataType, Date32Type, Decimal128Type, Float64Type, Int32Type, Int64Type,
};
use ember_planner::expr::AggFunc;
use ember_planner::physical::AggregateExpr;
use ember_planner::scalar::ScalarValue;
use ember_planner::types::sql_type_name;

use crate::error::{EmberError, Result};
use crate::expr::arithmetic::{div_round, pow10};
use crate::expr::cast::cast_array;
use crate::ops::aggregate::group_state::{
    GroupState, Percentile, StringAgg, Variance, VarianceKind,
};
use crate::ops::aggregate::hyperloglog::HyperLogLog;

/// Per-group values of one primitive type, with a flag for "has a value".
struct Slots<T: ArrowPrimitiveType> {
    values: Vec<T::Native>,
    set: Vec<bool>,
    data_type: DataType,
}

impl<T: ArrowPrimitiveType> Slots<T> {
    fn new(data_type: DataType) -> Self {
        Slots {
            values: Vec::new(),
            set: Vec::new(),
            data_type,
        }
    }

    fn resize(&mut self, groups: usize) {
        self.values.resize(groups, T::Native::default());
        self.set.resize(groups, false);
    }

    /// Folds `values` into the groups with `fold(old, new)`; NULLs are skipped.
    fn fold(
        &mut self,
        groups: &[u32],
        values: &ArrayRef,
        mut fold: impl FnMut(T::Native, T::Native) -> Result<T::Native>,
    ) -> Result<()> {
        let array = values.as_primitive::<T>();
        let raw = array.values();
        for (i, g) in groups.iter().enumerate() {
            if array.is_null(i) {
                continue;
            }
            let g = *g as usize;
            let (Some(slot), Some(set)) = (self.values.get_mut(g), self.set.get_mut(g)) else {
                return Err(EmberError::internal("group id out of range"));
            };
            let v = raw[i];
            *slot = if *set { fold(*slot, v)? } else { v };
            *set = true;
        }
        Ok(())
    }

    fn to_array(&self) -> ArrayRef {
        let nulls = NullBuffer::from(self.set.clone());
        let array = PrimitiveArray::<T>::new(self.values.clone().into(), Some(nulls))
            .with_data_type(self.data_type.clone());
        Arc::new(array)
    }
}

/// [`Slots`] of the primitive types aggregates run on.
enum AnySlots {
    I32(Slots<Int32Type>),
    I64(Slots<Int64Type>),
    F64(Slots<Float64Type>),
    Dec(Slots<Decimal128Type>),
    Date(Slots<Date32Type>),
}

macro_rules! each_slots {
    ($s:expr, $v:ident => $body:expr) => {
        match $s {
            AnySlots::I32($v) => $body,
            AnySlots::I64($v) => $body,
            AnySlots::F64($v) => $body,
            AnySlots::Dec($v) => $body,
            AnySlots::Date($v) => $body,
        }
    };
}

impl AnySlots {
    fn new(data_type: &DataType) -> Option<Self> {
        let t = data_type.clone();
        Some(match data_type {
            DataType::Int32 => AnySlots::I32(Slots::new(t)),
            DataType::Int64 => AnySlots::I64(Slots::new(t)),
            DataType::Float64 => AnySlots::F64(Slots::new(t)),
            DataType::Decimal128(_, _) => AnySlots::Dec(Slots::new(t)),
            DataType::Date32 => AnySlots::Date(Slots::new(t)),
            _ => return None,
        })
    }

    fn data_type(&self) -> &DataType {
        each_slots!(self, s => &s.data_type)
    }

    fn resize(&mut self, groups: usize) {
        each_slots!(self, s => s.resize(groups))
    }

    fn to_array(&self) -> ArrayRef {
        each_slots!(self, s => s.to_array())
    }

    fn sum(&mut self, groups: &[u32], values: &ArrayRef) -> Result<()> {
        let values = conform(values, self.data_type())?;
        each_slots!(self, s => s.fold(groups, &values, |a, b| {
            a.add_checked(b).map_err(|_| EmberError::execution("numeric overflow in sum()"))
        }))
    }

    fn min_max(&mut self, groups: &[u32], values: &ArrayRef, max: bool) -> Result<()> {
        let values = conform(values, self.data_type())?;
        each_slots!(self, s => s.fold(groups, &values, |a, b| {
            Ok(if (max && b.is_gt(a)) || (!max && b.is_lt(a)) { b } else { a })
        }))
    }
}

/// `values` readable as `target`: decimals of the same scale are used as they are
/// (only the precision label differs); anything else is cast.
fn conform(values: &ArrayRef, target: &DataType) -> Result<ArrayRef> {
    match (values.data_type(), target) {
        (a, b) if a == b => Ok(values.clone()),
        (DataType::Decimal128(_, s1), DataType::Decimal128(_, s2)) if s1 == s2 => {
            Ok(values.clone())
        }
        _ => cast_array(values, target),
    }
}

/// The state of one aggregate call over all groups.
pub struct Accumulator {
    state: State,
    return_type: DataType,
}

enum State {
    Count(Vec<i64>),
    Sum(AnySlots),
    Avg {
        sum: AnySlots,
        counts: Vec<i64>,
    },
    MinMax {
        slots: AnySlots,
        max: bool,
    },
    StringMinMax {
        values: Vec<Option<String>>,
        max: bool,
    },
    /// Any state kept outside primitive slots (variance, percentiles, sketches, ...).
    Other(Box<dyn GroupState>),
    /// The one row of each group: (input array, row) of the first row seen, and the
    /// input arrays those point into.
    SingleValue {
        first: Vec<Option<(u32, u32)>>,
        arrays: Vec<ArrayRef>,
    },
}

impl Accumulator {
    /// The accumulator for `agg`.
    pub fn new(agg: &AggregateExpr) -> Result<Self> {
        let unsupported = || {
            EmberError::Unsupported(format!(
                "{}() over {}",
                agg.func.name(),
                agg.input_type
                    .as_ref()
                    .map(sql_type_name)
                    .unwrap_or_default()
            ))
        };
        let state = match agg.func {
            AggFunc::SingleValue => State::SingleValue {
                first: Vec::new(),
                arrays: Vec::new(),
            },
            AggFunc::Count => State::Count(Vec::new()),
            AggFunc::StddevSamp | AggFunc::StddevPop | AggFunc::VarSamp | AggFunc::VarPop => {
                State::Other(Box::new(Variance::new(VarianceKind {
                    sample: matches!(agg.func, AggFunc::StddevSamp | AggFunc::VarSamp),
                    sqrt: matches!(agg.func, AggFunc::StddevSamp | AggFunc::StddevPop),
                })))
            }
            AggFunc::BoolAnd | AggFunc::BoolOr => State::MinMax {
                slots: AnySlots::new(&DataType::Int32).ok_or_else(unsupported)?,
                max: agg.func == AggFunc::BoolOr,
            },
            AggFunc::ApproxCountDistinct => State::Other(Box::new(HyperLogLog::new())),
            AggFunc::Median => State::Other(Box::new(Percentile::new(0.5)?)),
            AggFunc::PercentileCont => {
                let fraction = match agg.params.first() {
                    Some(ScalarValue::Float64(Some(f))) => *f,
                    other => {
                        return Err(EmberError::internal(format!(
                            "percentile_cont() fraction {other:?}"
                        )));
                    }
                };
                State::Other(Box::new(Percentile::new(fraction)?))
            }
            AggFunc::StringAgg => {
                let separator = match agg.params.first() {
                    Some(ScalarValue::Utf8(s)) => s.clone(),
                    _ => None,
                };
                let order = match agg.params.get(1) {
                    Some(ScalarValue::Utf8(Some(d))) => Some(d != "DESC"),
                    _ => None,
                };
                State::Other(Box::new(StringAgg::new(separator, order)))
            }
            AggFunc::Sum => State::Sum(AnySlots::new(&agg.return_type).ok_or_else(unsupported)?),
            AggFunc::Avg => {
                let sum_type = match &agg.input_type {
                    Some(DataType::Decimal128(_, s)) => DataType::Decimal128(38, *s),
                    _ => DataType::Float64,
                };
                State::Avg {
                    sum: AnySlots::new(&sum_type).ok_or_else(unsupported)?,
                    counts: Vec::new(),
                }
            }
            AggFunc::Min | AggFunc::Max => {
                let max = agg.func == AggFunc::Max;
                let input = agg.input_type.clone().unwrap_or(DataType::Null);
                match input {
                    DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => {
                        State::StringMinMax {
                            values: Vec::new(),
                            max,
                        }
                    }
                    t => {
                        // Narrow or unsigned integers compare as BIGINT, booleans as
                        // INT (false < true), other floats as DOUBLE; the output is
                        // cast back to the argument's type.
                        let t = match t {
                            DataType::Int32 | DataType::Boolean => DataType::Int32,
                            DataType::Null | DataType::Timestamp(_, _) => DataType::Int64,
                            t if ember_planner::types::is_integer(&t) => DataType::Int64,
                            t if ember_planner::types::is_float(&t) => DataType::Float64,
                            t => t,
                        };
                        State::MinMax {
                            slots: AnySlots::new(&t).ok_or_else(unsupported)?,
                            max,
                        }
                    }
                }
            }
        };
        Ok(Accumulator {
            state,
            return_type: agg.return_type.clone(),
        })
    }

    /// How many state columns this aggregate has in a Partial output.
    pub fn num_state_columns(&self) -> usize {
        match &self.state {
            State::Avg { .. } => 2,
            State::Other(s) => s.num_state_columns(),
            _ => 1,
        }
    }

    /// Makes room for `groups` groups.
    pub fn resize(&mut self, groups: usize) {
        match &mut self.state {
            State::Count(c) => c.resize(groups, 0),
            State::Sum(s) | State::MinMax { slots: s, .. } => s.resize(groups),
            State::Avg { sum, counts } => {
                sum.resize(groups);
                counts.resize(groups, 0);
            }
            State::StringMinMax { values, .. } => values.resize(groups, None),
            State::SingleValue { first, .. } => first.resize(groups, None),
            State::Other(s) => s.resize(groups),
        }
    }

    /// Folds raw argument values (`None` for `count(*)`) into their groups.
    pub fn update(&mut self, groups: &[u32], arg: Option<&ArrayRef>) -> Result<()> {
        match (&mut self.state, arg) {
            (State::Count(counts), None) => add_counts(counts, groups, None),
            (State::Count(counts), Some(a)) => add_counts(counts, groups, Some(a.as_ref())),
            (_, None) => Err(EmberError::internal("aggregate without an argument")),
            (State::Sum(s), Some(a)) => s.sum(groups, a),
            (State::Other(s), Some(a)) => s.update(groups, a),
            (State::Avg { sum, counts }, Some(a)) => {
                sum.sum(groups, a)?;
                add_counts(counts, groups, Some(a.as_ref()))
            }
            (State::MinMax { slots, max }, Some(a)) => slots.min_max(groups, a, *max),
            (State::StringMinMax { values, max }, Some(a)) => {
                string_min_max(values, groups, a, *max)
            }
            (State::SingleValue { first, arrays }, Some(a)) => {
                let array_index = arrays.len() as u32;
                let mut used = false;
                for (row, g) in groups.iter().enumerate() {
                    let slot = first
                        .get_mut(*g as usize)
                        .ok_or_else(|| EmberError::internal("group id out of range"))?;
                    if slot.is_some() {
                        return Err(EmberError::execution(
                            "scalar subquery returned more than one row",
                        ));
                    }
                    *slot = Some((array_index, row as u32));
                    used = true;
                }
                if used {
                    arrays.push(a.clone());
                }
                Ok(())
            }
        }
    }

    /// Folds partial states (the columns [`Accumulator::state`] produced) into groups.
    pub fn merge(&mut self, groups: &[u32], states: &[ArrayRef]) -> Result<()> {
        let first = states
            .first()
            .ok_or_else(|| EmberError::internal("missing aggregate state column"))?;
        match &mut self.state {
            State::Count(counts) => merge_counts(counts, groups, first),
            State::Avg { sum, counts } => {
                sum.sum(groups, first)?;
                let partial_counts = states
                    .get(1)
                    .ok_or_else(|| EmberError::internal("missing avg count column"))?;
                merge_counts(counts, groups, partial_counts)
            }
            State::Other(s) => s.merge(groups, states),
            _ => self.update(groups, Some(first)),
        }
    }

    /// The state columns, for a Partial aggregate's output.
    pub fn state(&self) -> Result<Vec<ArrayRef>> {
        Ok(match &self.state {
            State::Count(c) => vec![Arc::new(Int64Array::from(c.clone()))],
            State::Avg { sum, counts } => {
                vec![sum.to_array(), Arc::new(Int64Array::from(counts.clone()))]
            }
            State::Other(s) => s.state()?,
            _ => vec![self.evaluate()?],
        })
    }

    /// The final values, one per group.
    pub fn evaluate(&self) -> Result<ArrayRef> {
        Ok(match &self.state {
            State::Count(c) => Arc::new(Int64Array::from(c.clone())),
            State::Sum(s) | State::MinMax { slots: s, .. } => s.to_array(),
            State::StringMinMax { values, .. } => Arc::new(StringArray::from(values.clone())),
            State::Avg { sum, counts } => average(sum, counts, &self.return_type)?,
            State::SingleValue { first, arrays } => {
                single_values(first, arrays, &self.return_type)?
            }
            State::Other(s) => s.evaluate()?,
        })
    }
}

/// The value of each group's one row, NULL for groups that saw none.
fn single_values(
    first: &[Option<(u32, u32)>],
    arrays: &[ArrayRef],
    data_type: &DataType,
) -> Result<ArrayRef> {
    let null = arrow::array::new_null_array(data_type, 1);
    let mut sources: Vec<&dyn Array> = arrays.iter().map(|a| a.as_ref()).collect();
    sources.push(null.as_ref());
    let null_index = arrays.len();
    let indices: Vec<(usize, usize)> = first
        .iter()
        .map(|f| match f {
            Some((a, r)) => (*a as usize, *r as usize),
            None => (null_index, 0),
        })
        .collect();
    let out = arrow::compute::interleave(&sources, &indices)?;
    cast_array(&out, data_type)
}

fn add_counts(counts: &mut [i64], groups: &[u32], values: Option<&dyn Array>) -> Result<()> {
    let nulls = values.and_then(|v| v.logical_nulls());
    for (i, g) in groups.iter().enumerate() {
        if nulls.as_ref().is_some_and(|n| n.is_null(i)) {
            continue;
        }
        let slot = counts
            .get_mut(*g as usize)
            .ok_or_else(|| EmberError::internal("group id out of range"))?;
        *slot += 1;
    }
    Ok(())
}

fn merge_counts(counts: &mut [i64], groups: &[u32], partial: &ArrayRef) -> Result<()> {
    let partial = cast_array(partial, &DataType::Int64)?;
    let partial = partial.as_primitive::<Int64Type>();
    for (i, g) in groups.iter().enumerate() {
        if partial.is_null(i) {
            continue;
        }
        let slot = counts
            .get_mut(*g as usize)
            .ok_or_else(|| EmberError::internal("group id out of range"))?;
        *slot += partial.value(i);
    }
    Ok(())
}

fn string_min_max(
    values: &mut [Option<String>],
    groups: &[u32],
    input: &ArrayRef,
    max: bool,
) -> Result<()> {
    let input = cast_array(input, &DataType::Utf8)?;
    let input = input.as_string::<i32>();
    for (i, g) in groups.iter().enumerate() {
        if input.is_null(i) {
            continue;
        }
        let v = input.value(i);
        let slot = values
            .get_mut(*g as usize)
            .ok_or_else(|| EmberError::internal("group id out of range"))?;
        let better = match slot {
            None => true,
            Some(cur) => (max && v > cur.as_str()) || (!max && v < cur.as_str()),
        };
        if better {
            match slot {
                Some(cur) => {
                    cur.clear();
                    cur.push_str(v);
                }
                None => *slot = Some(v.to_string()),
            }
        }
    }
    Ok(())
}

/// sum / count per group: FLOAT64, or a decimal at the result scale rounded half up.
fn average(sum: &AnySlots, counts: &[i64], return_type: &DataType) -> Result<ArrayRef> {
    match (sum, return_type) {
        (AnySlots::Dec(s), DataType::Decimal128(_, rs)) => {
            let from = match &s.data_type {
                DataType::Decimal128(_, scale) => *scale,
                _ => 0,
            };
            let factor = pow10((*rs as i32 - from as i32).max(0) as u32)
                .ok_or_else(|| EmberError::execution("decimal overflow in avg()"))?;
            let mut out = Vec::with_capacity(counts.len());
            let mut valid = Vec::with_capacity(counts.len());
            for (v, c) in s.values.iter().zip(counts) {
                if *c == 0 {
                    out.push(0);
                    valid.push(false);
                    continue;
                }
                let n = v
                    .checked_mul(factor)
                    .ok_or_else(|| EmberError::execution("decimal overflow in avg()"))?;
                out.push(div_round(n, *c as i128));
                valid.push(true);
            }
            let array = PrimitiveArray::<Decimal128Type>::new(out.into(), Some(valid.into()))
                .with_data_type(return_type.clone());
            Ok(Arc::new(array))
        }
        (AnySlots::F64(s), _) => {
            let out: Float64Array = s
                .values
                .iter()
                .zip(counts)
                .map(|(v, c)| (*c > 0).then(|| v / *c as f64))
                .collect();
            Ok(Arc::new(out))
        }
        _ => Err(EmberError::internal(format!(
            "avg() with result type {}",
            sql_type_name(return_type)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{Date32Array, Decimal128Array};

    use super::*;

    fn agg(func: AggFunc, input: DataType) -> AggregateExpr {
        AggregateExpr {
            func,
            arg: None,
            distinct: false,
            params: vec![],
            return_type: func.return_type(Some(&input)).unwrap(),
            input_type: Some(input),
            name: "a".into(),
        }
    }

    #[test]
    fn decimal_sum_overflow_is_an_error() {
        let t = DataType::Decimal128(38, 0);
        let mut acc = Accumulator::new(&agg(AggFunc::Sum, t.clone())).unwrap();
        acc.resize(1);
        let big = i128::MAX / 2 + 1;
        let values: ArrayRef = Arc::new(Decimal128Array::from(vec![big, big]).with_data_type(t));
        let err = acc.update(&[0, 0], Some(&values)).unwrap_err();
        assert!(err.to_string().contains("overflow in sum()"), "{err}");
    }

    #[test]
    fn date_min_max_by_group() {
        let mut min = Accumulator::new(&agg(AggFunc::Min, DataType::Date32)).unwrap();
        let mut max = Accumulator::new(&agg(AggFunc::Max, DataType::Date32)).unwrap();
        let values: ArrayRef = Arc::new(Date32Array::from(vec![Some(10), None, Some(3), Some(7)]));
        for acc in [&mut min, &mut max] {
            acc.resize(3);
            acc.update(&[0, 1, 0, 0], Some(&values)).unwrap();
        }
        let lo = min.evaluate().unwrap();
        let hi = max.evaluate().unwrap();
        let lo = lo.as_primitive::<Date32Type>();
        let hi = hi.as_primitive::<Date32Type>();
        assert_eq!((lo.value(0), hi.value(0)), (3, 10));
        assert!(lo.is_null(1) && hi.is_null(2));
    }

    #[test]
    fn boolean_min_max() {
        let mut min = Accumulator::new(&agg(AggFunc::Min, DataType::Boolean)).unwrap();
        let mut max = Accumulator::new(&agg(AggFunc::Max, DataType::Boolean)).unwrap();
        let values: ArrayRef = Arc::new(arrow::array::BooleanArray::from(vec![
            Some(true),
            None,
            Some(false),
        ]));
        for acc in [&mut min, &mut max] {
            acc.resize(1);
            acc.update(&[0, 0, 0], Some(&values)).unwrap();
        }
        let lo = cast_array(&min.evaluate().unwrap(), &DataType::Boolean).unwrap();
        let hi = cast_array(&max.evaluate().unwrap(), &DataType::Boolean).unwrap();
        assert!(!lo.as_boolean().value(0));
        assert!(hi.as_boolean().value(0));
    }

    #[test]
    fn decimal_avg_rounds_half_up_at_result_scale() {
        let t = DataType::Decimal128(15, 2);
        let mut acc = Accumulator::new(&agg(AggFunc::Avg, t.clone())).unwrap();
        acc.resize(1);
        // (0.01 + 0.02 + 0.02) / 3 = 0.016666.. -> 0.016667 at scale 6
        let values: ArrayRef = Arc::new(Decimal128Array::from(vec![1, 2, 2]).with_data_type(t));
        acc.update(&[0, 0, 0], Some(&values)).unwrap();
        let out = acc.evaluate().unwrap();
        assert_eq!(out.data_type(), &DataType::Decimal128(19, 6));
        assert_eq!(out.as_primitive::<Decimal128Type>().value(0), 16667);
    }
}
