//! Limit: skips the first `skip` rows of a stream of batches and keeps at most
//! `fetch` after them.
//!
//! In: batches, one at a time. Out: the kept part of each (zero-copy slices).

use arrow::array::RecordBatch;

/// The running state of a LIMIT over one partition.
#[derive(Debug, Clone)]
pub struct LimitState {
    /// Rows still to skip.
    pub skip: usize,
    /// Rows still to keep (`None`: all).
    pub fetch: Option<usize>,
}

impl LimitState {
    /// A limit skipping `skip` rows then keeping `fetch`.
    pub fn new(skip: usize, fetch: Option<usize>) -> Self {
        LimitState { skip, fetch }
    }

    /// The part of `batch` that passes, or `None` when nothing does.
    pub fn apply(&mut self, batch: RecordBatch) -> Option<RecordBatch> {
        if self.is_done() {
            return None;
        }
        let rows = batch.num_rows();
        if self.skip >= rows {
            self.skip -= rows;
            return None;
        }
        let start = self.skip;
        self.skip = 0;
        let available = rows - start;
        let take = match self.fetch {
            Some(f) => f.min(available),
            None => available,
        };
        if let Some(f) = self.fetch.as_mut() {
            *f -= take;
        }
        if take == 0 {
            return None;
        }
        if start == 0 && take == rows {
            Some(batch)
        } else {
            Some(batch.slice(start, take))
        }
    }

    /// True once `fetch` rows were kept: later batches need not be computed.
    pub fn is_done(&self) -> bool {
        self.fetch == Some(0)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{AsArray, Int64Array};
    use arrow::datatypes::{DataType, Field, Int64Type, Schema};

    use super::*;

    fn batch(values: Vec<i64>) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::Int64, false)]));
        RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(values))]).unwrap()
    }

    #[test]
    fn skips_across_batches_then_fetches() {
        let mut limit = LimitState::new(3, Some(3));
        assert!(limit.apply(batch(vec![1, 2])).is_none());
        let out = limit.apply(batch(vec![3, 4, 5])).unwrap();
        assert_eq!(
            out.column(0).as_primitive::<Int64Type>().values().to_vec(),
            vec![4, 5]
        );
        assert!(!limit.is_done());
        let out = limit.apply(batch(vec![6, 7])).unwrap();
        assert_eq!(
            out.column(0).as_primitive::<Int64Type>().values().to_vec(),
            vec![6]
        );
        assert!(limit.is_done());
        assert!(limit.apply(batch(vec![8])).is_none());
    }

    #[test]
    fn no_fetch_keeps_everything_after_skip() {
        let mut limit = LimitState::new(1, None);
        let out = limit.apply(batch(vec![1, 2, 3])).unwrap();
        assert_eq!(out.num_rows(), 2);
        assert!(!limit.is_done());
    }
}
