//! Total ordering of an RDD (Spark's `sortBy`): range partitioning by sampled
//! key bounds, then a sort within each partition.
//!
//! In: an RDD, a key function, a direction and a partition count. A sampling
//! job first reads every partition to pick `partitions - 1` key bounds
//! (weighted by each partition's size); items then shuffle to the range their
//! key falls in. Out: an RDD whose partition i holds keys all ≤ (ascending)
//! or ≥ (descending) those of partition i + 1, each partition sorted (stable,
//! so equal keys keep their map order).

use std::sync::Arc;

use crate::rdd::error::Result;
use crate::rdd::rdd::{Data, PartitionIter, Rdd};

/// Keys sampled per input partition, per output partition.
const SAMPLES_PER_OUTPUT_PARTITION: usize = 20;

impl<T: Data> Rdd<T> {
    /// The items sorted by `key_fn` across `partitions` (at least 1) range
    /// partitions. Runs a sampling job now to choose the ranges.
    pub fn sort_by<K: Data + Ord>(
        &self,
        key_fn: impl Fn(&T) -> K + Send + Sync + 'static,
        ascending: bool,
        partitions: usize,
    ) -> Result<Rdd<T>> {
        let partitions = partitions.max(1);
        let key_fn = Arc::new(key_fn);
        let bounds = Arc::new(if partitions > 1 {
            self.range_bounds(&key_fn, partitions)?
        } else {
            Vec::new()
        });
        let route_key = Arc::clone(&key_fn);
        let shuffled = self.shuffle("sort_by (range shuffle)", partitions, move |x, n| {
            let k = route_key(&x);
            let i = bounds.partition_point(|b| b < &k);
            let p = if ascending {
                i
            } else {
                n.saturating_sub(1).saturating_sub(i)
            };
            Ok(vec![(p.min(n.saturating_sub(1)), x)])
        });
        Ok(shuffled.map_partitions("sort_by", move |_, items| {
            let mut keyed = items
                .map(|item| item.map(|x| (key_fn(&x), x)))
                .collect::<Result<Vec<(K, T)>>>()?;
            if ascending {
                keyed.sort_by(|a, b| a.0.cmp(&b.0));
            } else {
                keyed.sort_by(|a, b| b.0.cmp(&a.0));
            }
            Ok(Box::new(keyed.into_iter().map(|(_, x)| Ok(x))) as PartitionIter<T>)
        }))
    }

    /// Up to `partitions - 1` increasing keys splitting the sampled keys into
    /// ranges of about equal weight.
    fn range_bounds<K: Data + Ord>(
        &self,
        key_fn: &Arc<impl Fn(&T) -> K + Send + Sync + 'static>,
        partitions: usize,
    ) -> Result<Vec<K>> {
        let cap = SAMPLES_PER_OUTPUT_PARTITION * partitions;
        let samples = self.context().run_job(self, |_, items| {
            let mut sample: Vec<K> = Vec::new();
            let mut stride = 1usize;
            let mut count = 0usize;
            for item in items {
                let item = item?;
                if count.is_multiple_of(stride) {
                    sample.push(key_fn(&item));
                    if sample.len() >= 2 * cap {
                        // Keep every other key: evenly spaced at twice the stride.
                        sample = sample.into_iter().step_by(2).collect();
                        stride *= 2;
                    }
                }
                count += 1;
            }
            Ok((count, sample))
        })?;
        let mut weighted: Vec<(K, f64)> = Vec::new();
        for (count, sample) in samples {
            if sample.is_empty() {
                continue;
            }
            let weight = count as f64 / sample.len() as f64;
            weighted.extend(sample.into_iter().map(|k| (k, weight)));
        }
        weighted.sort_by(|a, b| a.0.cmp(&b.0));
        let total: f64 = weighted.iter().map(|(_, w)| w).sum();
        let step = total / partitions as f64;
        let mut bounds: Vec<K> = Vec::with_capacity(partitions - 1);
        let mut cumulative = 0.0;
        for (key, weight) in weighted {
            cumulative += weight;
            if bounds.len() + 1 >= partitions {
                break;
            }
            if cumulative >= step * (bounds.len() + 1) as f64
                && bounds.last().is_none_or(|last| *last < key)
            {
                bounds.push(key);
            }
        }
        Ok(bounds)
    }
}

#[cfg(test)]
mod tests {
    use crate::rdd::{RddConfig, RddContext};

    fn partitions_of<T: crate::rdd::Data>(rdd: &crate::rdd::Rdd<T>) -> Vec<Vec<T>> {
        rdd.context()
            .run_job(rdd, |_, items| {
                items.collect::<crate::rdd::error::Result<Vec<T>>>()
            })
            .unwrap_or_default()
    }

    #[test]
    fn sort_by_gives_a_total_order_across_partitions() {
        let ctx = RddContext::new(RddConfig::default());
        let data: Vec<i64> = (0..2000).map(|i| (i * 7919) % 1009 - 500).collect();
        let mut expected = data.clone();
        expected.sort_unstable();
        let sorted = ctx.parallelize(data.clone(), 5).sort_by(|x| *x, true, 4);
        let sorted = match sorted {
            Ok(rdd) => rdd,
            Err(e) => panic!("sort_by failed: {e}"),
        };
        let parts = partitions_of(&sorted);
        assert_eq!(parts.len(), 4);
        // Ranges are balanced enough that every partition gets items.
        assert!(
            parts.iter().all(|p| p.len() > 200),
            "{:?}",
            parts.iter().map(Vec::len).collect::<Vec<_>>()
        );
        assert_eq!(parts.concat(), expected);

        let desc = ctx
            .parallelize(data, 3)
            .sort_by(|x| *x, false, 3)
            .and_then(|r| r.collect())
            .unwrap_or_default();
        expected.reverse();
        assert_eq!(desc, expected);
    }

    #[test]
    fn sort_by_key_of_pairs_and_degenerate_inputs() {
        let ctx = RddContext::new(RddConfig::default());
        let words = ctx.parallelize(vec![("b", 2), ("a", 9), ("c", 1), ("a", 3)], 2);
        let by_count = words
            .sort_by(|(_, n)| *n, false, 2)
            .and_then(|r| r.collect())
            .unwrap_or_default();
        assert_eq!(by_count, vec![("a", 9), ("a", 3), ("b", 2), ("c", 1)]);
        let same = ctx
            .parallelize(vec![5; 50], 4)
            .sort_by(|x| *x, true, 3)
            .and_then(|r| r.collect())
            .unwrap_or_default();
        assert_eq!(same, vec![5; 50]);
        let empty = ctx
            .parallelize(Vec::<u8>::new(), 2)
            .sort_by(|x| *x, true, 3)
            .and_then(|r| r.count());
        assert_eq!(empty.ok(), Some(0));
    }
}
