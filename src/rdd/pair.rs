//! Key-value operations on `Rdd<(K, V)>` in Spark's vocabulary:
//! `reduce_by_key` and `group_by_key`, each one shuffle by hash of the key.
//!
//! In: pairs and a reduce partition count. Out: one item per distinct key, in
//! the partition `hash(key) % partitions`, keys in first-seen order.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use hashbrown::HashMap;

use crate::rdd::error::Result;
use crate::rdd::rdd::{Data, PartitionIter, Rdd};

/// The reduce partition of a key: a fixed hash, so every map task agrees.
pub fn hash_partition<K: Hash>(key: &K, partitions: usize) -> usize {
    let mut hasher = DefaultHasher::new();
    key.hash(&mut hasher);
    (hasher.finish() % partitions.max(1) as u64) as usize
}

/// Folds pairs into one value per key, keeping keys in first-seen order.
fn combine<K: Data + Hash + Eq, V: Data>(
    items: PartitionIter<(K, V)>,
    f: &(impl Fn(V, V) -> V + ?Sized),
) -> Result<Vec<(K, V)>> {
    let mut index: HashMap<K, usize> = HashMap::new();
    let mut out: Vec<(K, Option<V>)> = Vec::new();
    for item in items {
        let (key, value) = item?;
        match index.get(&key) {
            Some(&i) => {
                if let Some(slot) = out.get_mut(i) {
                    slot.1 = Some(match slot.1.take() {
                        Some(acc) => f(acc, value),
                        None => value,
                    });
                }
            }
            None => {
                index.insert(key.clone(), out.len());
                out.push((key, Some(value)));
            }
        }
    }
    Ok(out
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect())
}

impl<K: Data + Hash + Eq, V: Data> Rdd<(K, V)> {
    /// Merges the values of each key with `f` (associative and commutative),
    /// first within each map partition, then after shuffling into `partitions`.
    pub fn reduce_by_key(
        &self,
        f: impl Fn(V, V) -> V + Send + Sync + 'static,
        partitions: usize,
    ) -> Rdd<(K, V)> {
        let f = std::sync::Arc::new(f);
        let map_f = std::sync::Arc::clone(&f);
        let partitions = partitions.max(1);
        self.map_partitions("reduce_by_key (map side)", move |_, items| {
            let combined = combine(items, &*map_f)?;
            Ok(Box::new(combined.into_iter().map(Ok)) as PartitionIter<(K, V)>)
        })
        .shuffle("shuffle", partitions, |pair, n| {
            Ok(vec![(hash_partition(&pair.0, n), pair)])
        })
        .map_partitions("reduce_by_key", move |_, items| {
            let combined = combine(items, &*f)?;
            Ok(Box::new(combined.into_iter().map(Ok)) as PartitionIter<(K, V)>)
        })
    }

    /// All values of each key, after shuffling into `partitions`; values keep
    /// map-partition order.
    pub fn group_by_key(&self, partitions: usize) -> Rdd<(K, Vec<V>)> {
        self.shuffle("shuffle", partitions.max(1), |pair, n| {
            Ok(vec![(hash_partition(&pair.0, n), pair)])
        })
        .map_partitions("group_by_key", |_, items| {
            let mut index: HashMap<K, usize> = HashMap::new();
            let mut groups: Vec<(K, Vec<V>)> = Vec::new();
            for item in items {
                let (key, value) = item?;
                match index.get(&key).and_then(|&i| groups.get_mut(i)) {
                    Some(group) => group.1.push(value),
                    None => {
                        index.insert(key.clone(), groups.len());
                        groups.push((key, vec![value]));
                    }
                }
            }
            Ok(Box::new(groups.into_iter().map(Ok)) as PartitionIter<(K, Vec<V>)>)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use crate::rdd::{RddConfig, RddContext};

    #[test]
    fn word_count() {
        let ctx = RddContext::new(RddConfig {
            threads: 4,
            max_task_attempts: 4,
            ..RddConfig::default()
        });
        let lines = vec![
            "the quick brown fox",
            "jumps over the lazy dog",
            "the dog sleeps",
            "",
            "quick quick",
        ];
        let counts = ctx
            .parallelize(lines.clone(), 3)
            .flat_map(|line| {
                line.split_whitespace()
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .map(|word| (word, 1usize))
            .reduce_by_key(|a, b| a + b, 4);
        let got: BTreeMap<String, usize> =
            counts.collect().unwrap_or_default().into_iter().collect();
        let mut expected = BTreeMap::new();
        for word in lines.iter().flat_map(|l| l.split_whitespace()) {
            *expected.entry(word.to_string()).or_insert(0) += 1;
        }
        assert_eq!(got, expected);
        assert_eq!(got.get("the"), Some(&3));
        assert_eq!(got.get("quick"), Some(&3));
        assert_eq!(got.get("fox"), Some(&1));
        // Each key appears once, in the partition its hash names.
        assert_eq!(counts.count().ok(), Some(expected.len()));
    }

    #[test]
    fn sum_per_key_matches_sequential() {
        let ctx = RddContext::new(RddConfig::default());
        let data: Vec<(u32, i64)> = (0..5000)
            .map(|i| (i * 7919 % 97, i as i64 - 2500))
            .collect();
        let mut expected: BTreeMap<u32, i64> = BTreeMap::new();
        for (k, v) in &data {
            *expected.entry(*k).or_insert(0) += v;
        }
        let got: BTreeMap<u32, i64> = ctx
            .parallelize(data, 8)
            .reduce_by_key(|a, b| a + b, 5)
            .collect()
            .unwrap_or_default()
            .into_iter()
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn group_by_key_keeps_all_values() {
        let ctx = RddContext::new(RddConfig::default());
        let pairs = vec![("a", 1), ("b", 2), ("a", 3), ("c", 4), ("a", 5)];
        let mut got = ctx
            .parallelize(pairs, 3)
            .group_by_key(2)
            .collect()
            .unwrap_or_default();
        got.sort();
        assert_eq!(
            got,
            vec![("a", vec![1, 3, 5]), ("b", vec![2]), ("c", vec![4])]
        );
    }
}
