//! Item-wise narrow transformations in Spark's vocabulary: `map`, `filter`,
//! `flat_map`, and `cache`.
//!
//! In: an [`Rdd<T>`] and a plain closure over items. Out: a new RDD built with
//! `map_partitions` (or a cached view); errors of parent items pass through.

use std::sync::Arc;

use crate::error::Result;
use crate::rdd::cached::CachedRdd;
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

    /// The same items, with each partition kept in the block manager after it
    /// is first computed, so later jobs reuse it. The blocks are dropped with
    /// the last handle on the returned RDD.
    pub fn cache(&self) -> Rdd<T> {
        let ctx = Arc::clone(self.context());
        let node = CachedRdd::new(
            ctx.new_rdd_id(),
            Arc::clone(self.node()),
            Arc::clone(ctx.block_manager()),
        );
        Rdd::from_node(ctx, Arc::new(node))
    }
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
    use std::sync::atomic::{AtomicUsize, Ordering};

    use crate::error::EmberError;
    use crate::rdd::{RddConfig, RddContext};

    #[test]
    fn map_filter_collect_over_partitions() {
        let ctx = RddContext::new(RddConfig {
            threads: 3,
            max_task_attempts: 4,
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
                    Box::new(vec![Ok(1), Err(EmberError::execution("bad row 2"))].into_iter())
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
    fn cache_computes_each_partition_once() {
        let ctx = RddContext::new(RddConfig::default());
        let computed = std::sync::Arc::new(AtomicUsize::new(0));
        let seen = std::sync::Arc::clone(&computed);
        let cached = ctx
            .parallelize((0..10).collect::<Vec<i32>>(), 4)
            .map(move |x| {
                seen.fetch_add(1, Ordering::SeqCst);
                x * 2
            })
            .cache();
        assert_eq!(cached.count().ok(), Some(10));
        assert_eq!(cached.collect().unwrap_or_default().iter().sum::<i32>(), 90);
        assert_eq!(computed.load(Ordering::SeqCst), 10);
        let blocks = ctx.block_manager().len();
        assert_eq!(blocks, 4);
        drop(cached);
        assert!(ctx.block_manager().is_empty());
    }
}
