//! Item-wise narrow transformations in Spark's vocabulary: `map`, `filter`,
//! `flat_map`, and `distinct` (one shuffle).
//!
//! In: an [`Rdd<T>`] and a plain closure over items. Out: a new RDD built with
//! `map_partitions` (or a cached view); errors of parent items pass through.

use std::hash::Hash;
use std::sync::Arc;

use hashbrown::HashSet;

use crate::rdd::error::Result;
use crate::rdd::pair::hash_partition;
use crate::rdd::rdd::{Data, PartitionIter, Rdd};

impl<T: Data> Rdd<T> {
    /// Applies `f` to every item.
    pub fn map<U: Data>(&self, f: impl Fn(T) -> U + Send + Sync + 'static) -> Rdd<U> {
        let f = Arc::new(f);
        self.map_partitions("map", move |_, items| {
            let f = Arc::clone(&f);
            Ok(Box::new(items.map(move |item| item.map(|x| f(x)))) as PartitionIter<U>)
        })
    }

    /// Keeps the items for which `keep` is true.
    pub fn filter(&self, keep: impl Fn(&T) -> bool + Send + Sync + 'static) -> Rdd<T> {
        let keep = Arc::new(keep);
        self.map_partitions("filter", move |_, items| {
            let keep = Arc::clone(&keep);
            let kept = items.filter(move |item| item.as_ref().map_or(true, |x| keep(x)));
            Ok(Box::new(kept) as PartitionIter<T>)
        })
    }

    /// Replaces every item by the items `f` returns for it.
    pub fn flat_map<U: Data, I>(&self, f: impl Fn(T) -> I + Send + Sync + 'static) -> Rdd<U>
    where
        I: IntoIterator<Item = U>,
        I::IntoIter: Send + 'static,
    {
        let f = Arc::new(f);
        self.map_partitions("flat_map", move |_, items| {
            let f = Arc::clone(&f);
            Ok(Box::new(FlatMapIter {
                items,
                f,
                current: None,
            }) as PartitionIter<U>)
        })
    }
}

impl<T: Data + Hash + Eq> Rdd<T> {
    /// Each distinct item once, in the partition `hash(item) % partitions`:
    /// duplicates are dropped within each map partition, then after the shuffle.
    pub fn distinct(&self, partitions: usize) -> Rdd<T> {
        self.map_partitions("distinct (map side)", |_, items| dedupe(items))
            .shuffle("shuffle", partitions.max(1), |x, n| {
                Ok(vec![(hash_partition(&x, n), x)])
            })
            .map_partitions("distinct", |_, items| dedupe(items))
    }
}

/// The first occurrence of each item, in order.
fn dedupe<T: Data + Hash + Eq>(items: PartitionIter<T>) -> Result<PartitionIter<T>> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for item in items {
        let item = item?;
        if seen.insert(item.clone()) {
            out.push(item);
        }
    }
    Ok(Box::new(out.into_iter().map(Ok)))
}

struct FlatMapIter<T, F, J> {
    items: PartitionIter<T>,
    f: Arc<F>,
    current: Option<J>,
}

impl<T, U, F, I> Iterator for FlatMapIter<T, F, I::IntoIter>
where
    F: Fn(T) -> I,
    I: IntoIterator<Item = U>,
{
    type Item = Result<U>;
    fn next(&mut self) -> Option<Result<U>> {
        loop {
            if let Some(current) = &mut self.current
                && let Some(out) = current.next()
            {
                return Some(Ok(out));
            }
            match self.items.next()? {
                Ok(item) => self.current = Some((self.f)(item).into_iter()),
                Err(error) => return Some(Err(error)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rdd::error::RddError;
    use crate::rdd::{RddConfig, RddContext};

    #[test]
    fn map_filter_collect_over_partitions() {
        let ctx = RddContext::new(RddConfig {
            threads: 3,
            max_task_attempts: 4,
            ..RddConfig::default()
        });
        let rdd = ctx.parallelize((1..=100).collect::<Vec<i64>>(), 7);
        let out = rdd
            .map(|x| x * 3)
            .filter(|x| x % 2 == 0)
            .collect()
            .unwrap_or_default();
        let expected: Vec<i64> = (1..=100).map(|x| x * 3).filter(|x| x % 2 == 0).collect();
        assert_eq!(out, expected);
        assert_eq!(rdd.filter(|x| *x > 90).count().ok(), Some(10));
        assert_eq!(rdd.num_partitions(), 7);
    }

    #[test]
    fn flat_map_passes_errors_through() {
        let ctx = RddContext::new(RddConfig::default());
        let words = ctx
            .parallelize(vec!["a b", "", "c"], 2)
            .flat_map(|s| s.split_whitespace().map(str::to_string).collect::<Vec<_>>());
        assert_eq!(words.collect().unwrap_or_default(), vec!["a", "b", "c"]);

        let failing = ctx
            .source("bad", 1, |_, _| {
                Ok(
                    Box::new(vec![Ok(1), Err(RddError::deterministic("bad row 2"))].into_iter())
                        as crate::rdd::PartitionIter<i32>,
                )
            })
            .flat_map(|x| vec![x, x]);
        let error = failing
            .collect()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("bad row 2"), "{error}");
    }

    #[test]
    fn distinct_keeps_each_item_once_across_partitions() {
        let ctx = RddContext::new(RddConfig::default());
        let data: Vec<u32> = (0..1000).map(|i| i * 7 % 37).collect();
        let unique = ctx.parallelize(data, 6).distinct(4);
        assert_eq!(unique.num_partitions(), 4);
        let mut got = unique.collect().unwrap_or_default();
        got.sort_unstable();
        assert_eq!(got, (0..37).collect::<Vec<u32>>());
        // Each item lands in the partition its hash names.
        let per_partition = ctx
            .run_job(&unique, |task, mut items| {
                items.try_fold(true, |ok, x| {
                    x.map(|x| ok && crate::rdd::pair::hash_partition(&x, 4) == task.partition)
                })
            })
            .unwrap_or_default();
        assert_eq!(per_partition, vec![true; 4]);
    }
}
