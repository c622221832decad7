//! `spark.range(start, end, step, numPartitions)`: one BIGINT column `id`, generated
//! as it is scanned, so a range of a billion rows takes no memory.
//!
//! In: start, end, step and the partition count. Out: a [`DataSource`]. May import
//! `arrow`, `ember_planner::catalog` and `crate::{error, sources}`.

use std::sync::Arc;

use arrow::array::{Int64Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use ember_planner::catalog::Statistics;
use ember_planner::optimizer::cost::EstimateSource;

use crate::error::{EmberError, Result};
use crate::sources::{BatchIter, DataSource};

/// The numbers `start, start + step, ...` before `end`, in `partitions` slices.
#[derive(Debug)]
pub struct RangeSource {
    start: i64,
    step: i64,
    count: u64,
    partitions: usize,
    schema: SchemaRef,
}

impl RangeSource {
    /// A range; `step` must not be 0.
    pub fn try_new(start: i64, end: i64, step: i64, partitions: usize) -> Result<Self> {
        if step == 0 {
            return Err(EmberError::execution(
                "range: the step must not be 0".to_string(),
            ));
        }
        let span = i128::from(end) - i128::from(start);
        let step_i = i128::from(step);
        let count = if (span > 0 && step > 0) || (span < 0 && step < 0) {
            ((span.abs() + step_i.abs() - 1) / step_i.abs()) as u64
        } else {
            0
        };
        let partitions = partitions.clamp(1, count.clamp(1, 1024) as usize);
        Ok(RangeSource {
            start,
            step,
            count,
            partitions,
            schema: Arc::new(Schema::new(vec![Field::new("id", DataType::Int64, false)])),
        })
    }

    fn bounds(&self, partition: usize) -> (u64, u64) {
        let p = self.partitions as u128;
        let lo = (u128::from(self.count) * partition as u128 / p) as u64;
        let hi = (u128::from(self.count) * (partition as u128 + 1) / p) as u64;
        (lo, hi)
    }
}

impl DataSource for RangeSource {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn statistics(&self) -> Statistics {
        Statistics {
            row_count: usize::try_from(self.count).ok(),
            source: EstimateSource::Exact,
            ..Statistics::default()
        }
    }

    fn describe(&self) -> String {
        format!(
            "range: {} rows from {} step {}",
            self.count, self.start, self.step
        )
    }

    fn num_partitions(&self) -> usize {
        self.partitions
    }

    fn scan(&self, partition: usize, projection: &[usize], batch_size: usize) -> Result<BatchIter> {
        if partition >= self.partitions || projection.iter().any(|&c| c != 0) {
            return Err(EmberError::internal(format!(
                "range: no partition {partition} or columns {projection:?}"
            )));
        }
        let (lo, hi) = self.bounds(partition);
        let (start, step) = (self.start, self.step);
        let batch_size = batch_size.max(1) as u64;
        let schema = Arc::new(self.schema.project(projection)?);
        let iter = (lo..hi).step_by(batch_size as usize).map(move |from| {
            let to = (from + batch_size).min(hi);
            let values = (from..to).map(|i| start.wrapping_add((i as i64).wrapping_mul(step)));
            let columns: Vec<arrow::array::ArrayRef> = if schema.fields().is_empty() {
                vec![]
            } else {
                vec![Arc::new(Int64Array::from_iter_values(values))]
            };
            let options =
                arrow::array::RecordBatchOptions::new().with_row_count(Some((to - from) as usize));
            Ok(RecordBatch::try_new_with_options(
                schema.clone(),
                columns,
                &options,
            )?)
        });
        Ok(Box::new(iter))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(r: &RangeSource) -> Vec<i64> {
        let mut out = Vec::new();
        for p in 0..r.num_partitions() {
            for b in r.scan(p, &[0], 3).unwrap() {
                let b = b.unwrap();
                let a = b.column(0).as_any().downcast_ref::<Int64Array>().unwrap();
                out.extend(a.values().iter().copied());
            }
        }
        out
    }

    #[test]
    fn ranges_hold_every_step_before_the_end() {
        assert_eq!(
            all(&RangeSource::try_new(0, 10, 3, 2).unwrap()),
            vec![0, 3, 6, 9]
        );
        assert_eq!(
            all(&RangeSource::try_new(5, 0, -2, 4).unwrap()),
            vec![5, 3, 1]
        );
        assert!(all(&RangeSource::try_new(5, 0, 1, 4).unwrap()).is_empty());
        assert!(RangeSource::try_new(0, 1, 0, 1).is_err());
    }
}
