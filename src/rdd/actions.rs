//! Actions: the methods of [`Rdd<T>`] that run a job and bring results back to
//! the caller — `collect`, `count`, `reduce`, `fold`, `foreach`, `take`, `first`.
//!
//! In: an RDD. Out: plain values; a failed job returns its error.

use crate::rdd::error::Result;
use crate::rdd::rdd::{Data, Rdd};

impl<T: Data> Rdd<T> {
    /// All items: partition 0's, then partition 1's, and so on.
    pub fn collect(&self) -> Result<Vec<T>> {
        let parts = self
            .context()
            .run_job(self, |_, items| items.collect::<Result<Vec<T>>>())?;
        Ok(parts.into_iter().flatten().collect())
    }

    /// The number of items.
    pub fn count(&self) -> Result<usize> {
        let counts = self.context().run_job(self, |_, mut items| {
            items.try_fold(0usize, |n, item| item.map(|_| n + 1))
        })?;
        Ok(counts.into_iter().sum())
    }

    /// Folds all items with `f` (associative and commutative); `None` if empty.
    pub fn reduce(&self, f: impl Fn(T, T) -> T + Send + Sync) -> Result<Option<T>> {
        let fold = |acc: Option<T>, x: T| {
            Some(match acc {
                Some(acc) => f(acc, x),
                None => x,
            })
        };
        let parts = self.context().run_job(self, |_, mut items| {
            items.try_fold(None, |acc, item| item.map(|x| fold(acc, x)))
        })?;
        Ok(parts.into_iter().flatten().fold(None, fold))
    }

    /// Folds each partition's items into a copy of `zero` with `f`, then folds
    /// the partition results into `zero` in partition order (Spark's `fold`:
    /// `zero` must be neutral for `f`, e.g. 0 for `+`).
    pub fn fold(&self, zero: T, f: impl Fn(T, T) -> T + Send + Sync) -> Result<T> {
        let parts = self.context().run_job(self, |_, mut items| {
            items.try_fold(zero.clone(), |acc, item| item.map(|x| f(acc, x)))
        })?;
        Ok(parts.into_iter().fold(zero, &f))
    }

    /// Calls `f` on every item, inside the tasks (so on the pool's threads,
    /// in no particular order across partitions).
    pub fn foreach(&self, f: impl Fn(T) + Send + Sync) -> Result<()> {
        self.context()
            .run_job(self, |_, mut items| items.try_for_each(|item| item.map(&f)))?;
        Ok(())
    }

    /// The first `n` items in partition order. Scans one partition, then ever
    /// more at a time, until enough items are found.
    pub fn take(&self, n: usize) -> Result<Vec<T>> {
        let total = self.num_partitions();
        let mut out = Vec::new();
        let mut next = 0;
        let mut batch = 1;
        while out.len() < n && next < total {
            let end = (next + batch).min(total);
            let partitions: Vec<usize> = (next..end).collect();
            let want = n - out.len();
            let parts = self
                .context()
                .run_job_on_partitions(self, &partitions, |_, items| {
                    items.take(want).collect::<Result<Vec<T>>>()
                })?;
            out.extend(parts.into_iter().flatten().take(want));
            next = end;
            batch *= 4;
        }
        Ok(out)
    }

    /// The first item, if any.
    pub fn first(&self) -> Result<Option<T>> {
        Ok(self.take(1)?.into_iter().next())
    }
}

#[cfg(test)]
mod tests {
    use crate::rdd::{RddConfig, RddContext};

    #[test]
    fn reduce_take_first() {
        let ctx = RddContext::new(RddConfig::default());
        let rdd = ctx.parallelize((1..=20).collect::<Vec<u64>>(), 6);
        assert_eq!(rdd.reduce(|a, b| a + b).ok().flatten(), Some(210));
        assert_eq!(rdd.take(5).unwrap_or_default(), vec![1, 2, 3, 4, 5]);
        assert_eq!(rdd.take(100).unwrap_or_default().len(), 20);
        assert_eq!(rdd.first().ok().flatten(), Some(1));
        let empty = rdd.filter(|_| false);
        assert_eq!(empty.reduce(|a, b| a + b).ok(), Some(None));
        assert_eq!(empty.first().ok(), Some(None));
        assert_eq!(empty.count().ok(), Some(0));
    }

    #[test]
    fn take_scans_only_needed_partitions() {
        let ctx = RddContext::new(RddConfig::default());
        let rdd = ctx.parallelize((0..100).collect::<Vec<i32>>(), 10);
        let before = ctx.metrics();
        assert_eq!(rdd.take(3).unwrap_or_default(), vec![0, 1, 2]);
        let used = ctx.metrics().since(&before);
        assert_eq!(used.jobs, 1);
        assert_eq!(used.tasks, 1);
    }

    #[test]
    fn fold_and_foreach_see_every_item() {
        let ctx = RddContext::new(RddConfig::default());
        let rdd = ctx.parallelize((1..=100).collect::<Vec<u64>>(), 7);
        assert_eq!(rdd.fold(0, |a, b| a + b).ok(), Some(5050));
        assert_eq!(rdd.filter(|_| false).fold(1, |a, b| a * b).ok(), Some(1));
        let max = rdd.map(|x| (x * 37) % 101).fold(0, u64::max);
        assert_eq!(max.ok(), Some(100));

        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = std::sync::Arc::clone(&seen);
        let done = rdd.foreach(move |x| {
            if let Ok(mut v) = sink.lock() {
                v.push(x);
            }
        });
        assert!(done.is_ok());
        let mut got = seen.lock().map(|v| v.clone()).unwrap_or_default();
        got.sort_unstable();
        assert_eq!(got, (1..=100).collect::<Vec<u64>>());
    }
}
