//! The per-group state of an aggregate that is not a plain fold of one primitive
//! value: [`GroupState`], and its statistical implementations.
//!
//! - [`Variance`]: count, mean and sum of squared deviations (M2) per group, updated
//!   with Welford's method and merged with Chan's formula; gives var/stddev samp/pop.
//! - [`Percentile`]: every value of a group, sorted at the end (median, percentile_cont).
//! - [`StringAgg`]: the strings of a group, joined at the end.
//!
//! In: group ids and argument values (or state columns to merge). Out: state columns
//! or final values, one row per group.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array, StringArray};
use arrow::datatypes::{DataType, Float64Type};

use crate::error::{EmberError, Result};
use crate::expr::cast::cast_array;

/// A per-group aggregate state kept outside the primitive slots.
pub trait GroupState: Send {
    /// Makes room for `groups` groups.
    fn resize(&mut self, groups: usize);
    /// Folds raw values into their groups (NULLs are skipped).
    fn update(&mut self, groups: &[u32], values: &ArrayRef) -> Result<()>;
    /// Folds partial state columns into groups.
    fn merge(&mut self, groups: &[u32], states: &[ArrayRef]) -> Result<()>;
    /// The state columns of a Partial aggregate.
    fn state(&self) -> Result<Vec<ArrayRef>>;
    /// The final value per group.
    fn evaluate(&self) -> Result<ArrayRef>;
    /// How many state columns [`GroupState::state`] returns.
    fn num_state_columns(&self) -> usize {
        1
    }
}

fn slot<T>(v: &mut [T], g: u32) -> Result<&mut T> {
    v.get_mut(g as usize)
        .ok_or_else(|| EmberError::internal("group id out of range"))
}

fn floats(values: &ArrayRef) -> Result<Float64Array> {
    Ok(cast_array(values, &DataType::Float64)?
        .as_primitive::<Float64Type>()
        .clone())
}

/// Which of the four variance-family results to give.
#[derive(Debug, Clone, Copy)]
pub struct VarianceKind {
    /// Divide by n - 1 (sample) rather than n (population).
    pub sample: bool,
    /// Give the square root (standard deviation).
    pub sqrt: bool,
}

/// Count, mean and M2 per group.
pub struct Variance {
    kind: VarianceKind,
    count: Vec<f64>,
    mean: Vec<f64>,
    m2: Vec<f64>,
}

impl Variance {
    /// An empty state.
    pub fn new(kind: VarianceKind) -> Self {
        Variance {
            kind,
            count: Vec::new(),
            mean: Vec::new(),
            m2: Vec::new(),
        }
    }

    /// Merges (n, mean, m2) of another part into group g.
    fn combine(&mut self, g: u32, n: f64, mean: f64, m2: f64) -> Result<()> {
        if n == 0.0 {
            return Ok(());
        }
        let count = slot(&mut self.count, g)?;
        let n0 = *count;
        let total = n0 + n;
        *count = total;
        let m = slot(&mut self.mean, g)?;
        let delta = mean - *m;
        *m += delta * n / total;
        let acc = slot(&mut self.m2, g)?;
        *acc += m2 + delta * delta * n0 * n / total;
        Ok(())
    }
}

impl GroupState for Variance {
    fn resize(&mut self, groups: usize) {
        self.count.resize(groups, 0.0);
        self.mean.resize(groups, 0.0);
        self.m2.resize(groups, 0.0);
    }

    fn update(&mut self, groups: &[u32], values: &ArrayRef) -> Result<()> {
        let v = floats(values)?;
        for (i, g) in groups.iter().enumerate() {
            if v.is_valid(i) {
                self.combine(*g, 1.0, v.value(i), 0.0)?;
            }
        }
        Ok(())
    }

    fn merge(&mut self, groups: &[u32], states: &[ArrayRef]) -> Result<()> {
        let [n, mean, m2] = states else {
            return Err(EmberError::internal("variance state needs three columns"));
        };
        let (n, mean, m2) = (floats(n)?, floats(mean)?, floats(m2)?);
        for (i, g) in groups.iter().enumerate() {
            self.combine(*g, n.value(i), mean.value(i), m2.value(i))?;
        }
        Ok(())
    }

    fn state(&self) -> Result<Vec<ArrayRef>> {
        Ok(vec![
            Arc::new(Float64Array::from(self.count.clone())),
            Arc::new(Float64Array::from(self.mean.clone())),
            Arc::new(Float64Array::from(self.m2.clone())),
        ])
    }

    fn evaluate(&self) -> Result<ArrayRef> {
        let min = if self.kind.sample { 2.0 } else { 1.0 };
        let out: Float64Array = self
            .count
            .iter()
            .zip(&self.m2)
            .map(|(n, m2)| {
                (*n >= min).then(|| {
                    let var = (m2 / if self.kind.sample { n - 1.0 } else { *n }).max(0.0);
                    if self.kind.sqrt { var.sqrt() } else { var }
                })
            })
            .collect();
        Ok(Arc::new(out))
    }

    fn num_state_columns(&self) -> usize {
        3
    }
}

/// Every value of each group; the result interpolates at `fraction` of the sorted
/// values (`percentile_cont`).
pub struct Percentile {
    fraction: f64,
    values: Vec<Vec<f64>>,
}

impl Percentile {
    /// An empty state for the given fraction in [0, 1].
    pub fn new(fraction: f64) -> Result<Self> {
        if !(0.0..=1.0).contains(&fraction) {
            return Err(EmberError::execution(format!(
                "percentile_cont() fraction {fraction} is not between 0 and 1"
            )));
        }
        Ok(Percentile {
            fraction,
            values: Vec::new(),
        })
    }
}

impl GroupState for Percentile {
    fn resize(&mut self, groups: usize) {
        self.values.resize_with(groups, Vec::new);
    }

    fn update(&mut self, groups: &[u32], values: &ArrayRef) -> Result<()> {
        let v = floats(values)?;
        for (i, g) in groups.iter().enumerate() {
            if v.is_valid(i) {
                slot(&mut self.values, *g)?.push(v.value(i));
            }
        }
        Ok(())
    }

    fn merge(&mut self, groups: &[u32], states: &[ArrayRef]) -> Result<()> {
        Err(EmberError::internal(format!(
            "percentile state cannot merge {} rows of {} columns",
            groups.len(),
            states.len()
        )))
    }

    fn state(&self) -> Result<Vec<ArrayRef>> {
        Ok(vec![self.evaluate()?])
    }

    fn evaluate(&self) -> Result<ArrayRef> {
        let out: Float64Array = self
            .values
            .iter()
            .map(|vals| {
                if vals.is_empty() {
                    return None;
                }
                let mut sorted = vals.clone();
                sorted.sort_by(f64::total_cmp);
                let pos = self.fraction * (sorted.len() - 1) as f64;
                let lo = pos.floor() as usize;
                let hi = pos.ceil() as usize;
                let (a, b) = (sorted[lo], sorted[hi.min(sorted.len() - 1)]);
                Some(if lo == hi {
                    a
                } else {
                    a + (b - a) * (pos - lo as f64)
                })
            })
            .collect();
        Ok(Arc::new(out))
    }
}

/// The strings of each group, joined with a separator (sorted first when asked).
pub struct StringAgg {
    separator: Option<String>,
    order: Option<bool>,
    values: Vec<Vec<String>>,
}

impl StringAgg {
    /// An empty state; `order` is `Some(true)` for ascending, `Some(false)` descending.
    pub fn new(separator: Option<String>, order: Option<bool>) -> Self {
        StringAgg {
            separator,
            order,
            values: Vec::new(),
        }
    }
}

impl GroupState for StringAgg {
    fn resize(&mut self, groups: usize) {
        self.values.resize_with(groups, Vec::new);
    }

    fn update(&mut self, groups: &[u32], values: &ArrayRef) -> Result<()> {
        let v = cast_array(values, &DataType::Utf8)?;
        let v = v.as_string::<i32>();
        for (i, g) in groups.iter().enumerate() {
            if v.is_valid(i) {
                slot(&mut self.values, *g)?.push(v.value(i).to_string());
            }
        }
        Ok(())
    }

    fn merge(&mut self, groups: &[u32], states: &[ArrayRef]) -> Result<()> {
        Err(EmberError::internal(format!(
            "string_agg state cannot merge {} rows of {} columns",
            groups.len(),
            states.len()
        )))
    }

    fn state(&self) -> Result<Vec<ArrayRef>> {
        Ok(vec![self.evaluate()?])
    }

    fn evaluate(&self) -> Result<ArrayRef> {
        let sep = self.separator.as_deref().unwrap_or("");
        let out: StringArray = self
            .values
            .iter()
            .map(|vals| {
                if vals.is_empty() {
                    return None;
                }
                match self.order {
                    Some(asc) => {
                        let mut sorted: Vec<&str> = vals.iter().map(String::as_str).collect();
                        sorted.sort_unstable();
                        if !asc {
                            sorted.reverse();
                        }
                        Some(sorted.join(sep))
                    }
                    None => Some(vals.join(sep)),
                }
            })
            .collect();
        Ok(Arc::new(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variance_merges_parts_like_one_pass() {
        let kind = VarianceKind {
            sample: true,
            sqrt: false,
        };
        let all: ArrayRef = Arc::new(Float64Array::from(vec![1.0, 2.0, 4.0, 7.0, 11.0]));
        let mut one = Variance::new(kind);
        one.resize(1);
        one.update(&[0; 5], &all).unwrap();
        let (a, b) = (all.slice(0, 2), all.slice(2, 3));
        let mut pa = Variance::new(kind);
        let mut pb = Variance::new(kind);
        for (p, v) in [(&mut pa, &a), (&mut pb, &b)] {
            p.resize(1);
            p.update(&vec![0; v.len()], v).unwrap();
        }
        let mut merged = Variance::new(kind);
        merged.resize(1);
        merged.merge(&[0], &pa.state().unwrap()).unwrap();
        merged.merge(&[0], &pb.state().unwrap()).unwrap();
        let x = one.evaluate().unwrap();
        let y = merged.evaluate().unwrap();
        let (x, y) = (
            x.as_primitive::<Float64Type>().value(0),
            y.as_primitive::<Float64Type>().value(0),
        );
        assert!((x - 16.5).abs() < 1e-9, "{x}");
        assert!((x - y).abs() < 1e-9, "{x} {y}");
    }

    #[test]
    fn percentile_interpolates() {
        let mut p = Percentile::new(0.25).unwrap();
        p.resize(2);
        let v: ArrayRef = Arc::new(Float64Array::from(vec![
            Some(4.0),
            None,
            Some(1.0),
            Some(2.0),
            Some(3.0),
        ]));
        p.update(&[0, 0, 0, 0, 0], &v).unwrap();
        let out = p.evaluate().unwrap();
        let out = out.as_primitive::<Float64Type>();
        assert_eq!(out.value(0), 1.75);
        assert!(out.is_null(1));
        assert!(Percentile::new(1.5).is_err());
    }
}
