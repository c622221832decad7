//! Inner join of two pair RDDs by key (Spark's `join`), in one shuffle.
//!
//! In: `Rdd<(K, V)>` and `Rdd<(K, W)>` and a reduce partition count. Both
//! sides are tagged, unioned (narrow) and shuffled together by hash of the
//! key. Out: `Rdd<(K, (V, W))>`, one item per matching (left, right) pair, in
//! the partition `hash(key) % partitions`; keys in first-seen order, left
//! values in map order, right values in map order within each left value.

use std::hash::Hash;

use hashbrown::HashMap;

use crate::rdd::pair::hash_partition;
use crate::rdd::rdd::{Data, PartitionIter, Rdd};

/// Which side of the join an item came from.
#[derive(Clone)]
enum Side<V, W> {
    Left(V),
    Right(W),
}

/// One key's values on both sides.
type Group<K, V, W> = (K, Vec<V>, Vec<W>);

impl<K: Data + Hash + Eq, V: Data> Rdd<(K, V)> {
    /// The pairs `(k, (v, w))` for every `(k, v)` here and `(k, w)` in `other`
    /// with equal keys, after shuffling both into `partitions` (at least 1).
    pub fn join<W: Data>(&self, other: &Rdd<(K, W)>, partitions: usize) -> Rdd<(K, (V, W))> {
        let left = self.map(|(k, v)| (k, Side::<V, W>::Left(v)));
        let right = other.map(|(k, w)| (k, Side::<V, W>::Right(w)));
        left.union(&[right])
            .shuffle("shuffle", partitions.max(1), |pair, n| {
                Ok(vec![(hash_partition(&pair.0, n), pair)])
            })
            .map_partitions("join", |_, items| {
                let mut index: HashMap<K, usize> = HashMap::new();
                let mut groups: Vec<Group<K, V, W>> = Vec::new();
                for item in items {
                    let (key, side) = item?;
                    let i = match index.get(&key) {
                        Some(&i) => i,
                        None => {
                            index.insert(key.clone(), groups.len());
                            groups.push((key, Vec::new(), Vec::new()));
                            groups.len() - 1
                        }
                    };
                    if let Some(group) = groups.get_mut(i) {
                        match side {
                            Side::Left(v) => group.1.push(v),
                            Side::Right(w) => group.2.push(w),
                        }
                    }
                }
                let joined = groups.into_iter().flat_map(|(key, lefts, rights)| {
                    lefts.into_iter().flat_map(move |v| {
                        let key = key.clone();
                        rights
                            .clone()
                            .into_iter()
                            .map(move |w| Ok((key.clone(), (v.clone(), w))))
                    })
                });
                Ok(Box::new(joined) as PartitionIter<(K, (V, W))>)
            })
    }
}

#[cfg(test)]
mod tests {
    use crate::rdd::{RddConfig, RddContext};

    #[test]
    fn join_matches_every_pair_of_equal_keys() {
        let ctx = RddContext::new(RddConfig::default());
        let left = ctx.parallelize(vec![(1, "a"), (2, "b"), (1, "c"), (4, "d")], 2);
        let right = ctx.parallelize(vec![(1, 10.0), (3, 30.0), (1, 11.0), (2, 20.0)], 3);
        let joined = left.join(&right, 4);
        assert_eq!(joined.num_partitions(), 4);
        let mut got = joined.collect().unwrap_or_default();
        got.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
        assert_eq!(
            got,
            vec![
                (1, ("a", 10.0)),
                (1, ("a", 11.0)),
                (1, ("c", 10.0)),
                (1, ("c", 11.0)),
                (2, ("b", 20.0)),
            ]
        );
        // One shuffle: both sides' map tasks in one stage, then the result stage.
        let m = ctx.metrics();
        assert_eq!((m.stages, m.tasks), (2, 2 + 3 + 4));
        let empty = left.join(&ctx.parallelize(Vec::<(i32, u8)>::new(), 1), 2);
        assert_eq!(empty.count().ok(), Some(0));
    }
}
