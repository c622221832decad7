//! A narrow RDD with fewer partitions than its parent: each partition reads a run of
//! consecutive parent partitions, one after another, in one task (Spark's
//! `coalesce(n)` without a shuffle).
//!
//! In: a parent RDD and the number of partitions wanted. Out: partition i holds the
//! items of parent partitions `groups[i]`, in order, so the order of the whole is the
//! parent's. Runs are as even as the counts allow (sizes differ by at most one).

use std::ops::Range;
use std::sync::Arc;

use crate::rdd::dependency::{Dependency, NarrowDependency};
use crate::rdd::error::{RddError, Result};
use crate::rdd::rdd::{Data, PartitionIter, RddBase, RddNode};
use crate::rdd::task::TaskContext;

/// Partition i is parent partitions `groups[i]`, concatenated.
pub struct CoalescedRdd<T: Data> {
    id: usize,
    parent: Arc<dyn RddNode<T>>,
    groups: Arc<Vec<Range<usize>>>,
}

impl<T: Data> CoalescedRdd<T> {
    /// `parent`'s partitions in at most `partitions` runs (at least one partition).
    pub(crate) fn new(id: usize, parent: Arc<dyn RddNode<T>>, partitions: usize) -> Self {
        let groups = Arc::new(even_runs(parent.num_partitions(), partitions));
        CoalescedRdd { id, parent, groups }
    }
}

/// `n` items split into `parts` consecutive runs whose sizes differ by at most one
/// (fewer runs when there are fewer items; one empty run when there are none).
pub(crate) fn even_runs(n: usize, parts: usize) -> Vec<Range<usize>> {
    let parts = parts.clamp(1, n.max(1));
    let (size, extra) = (n / parts, n % parts);
    let mut start = 0;
    (0..parts)
        .map(|i| {
            let len = size + usize::from(i < extra);
            let run = start..start + len;
            start += len;
            run
        })
        .collect()
}

impl<T: Data> RddBase for CoalescedRdd<T> {
    fn id(&self) -> usize {
        self.id
    }
    fn name(&self) -> &str {
        "coalesce"
    }
    fn num_partitions(&self) -> usize {
        self.groups.len()
    }
    fn dependencies(&self) -> Vec<Dependency> {
        vec![Dependency::Narrow(NarrowDependency::Runs {
            rdd: Arc::clone(&self.parent) as Arc<dyn RddBase>,
            runs: Arc::clone(&self.groups),
        })]
    }
}

impl<T: Data> RddNode<T> for CoalescedRdd<T> {
    fn compute(&self, partition: usize, task: &TaskContext) -> Result<PartitionIter<T>> {
        let run = self.groups.get(partition).cloned().ok_or_else(|| {
            RddError::internal(format!(
                "coalesce [{}] has no partition {partition}",
                self.id
            ))
        })?;
        // Each parent partition is computed when the previous one is used up.
        let parent = Arc::clone(&self.parent);
        let task = task.clone();
        let mut parents = run;
        let mut current: Option<PartitionIter<T>> = None;
        Ok(Box::new(std::iter::from_fn(move || {
            loop {
                if let Some(items) = current.as_mut()
                    && let Some(item) = items.next()
                {
                    return Some(item);
                }
                let next = parents.next()?;
                match parent.compute(next, &task) {
                    Ok(items) => current = Some(items),
                    Err(e) => {
                        parents = 0..0;
                        return Some(Err(e));
                    }
                }
            }
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::even_runs;
    use crate::rdd::{RddConfig, RddContext};

    #[test]
    fn runs_are_even_and_cover_everything() {
        assert_eq!(even_runs(53, 4), [0..14, 14..27, 27..40, 40..53]);
        assert_eq!(even_runs(3, 8), [0..1, 1..2, 2..3]);
        assert_eq!(even_runs(0, 4), vec![std::ops::Range { start: 0, end: 0 }]);
        assert_eq!(even_runs(5, 0), vec![std::ops::Range { start: 0, end: 5 }]);
    }

    #[test]
    fn coalesce_keeps_order_and_items() {
        let ctx = RddContext::new(RddConfig {
            threads: 2,
            ..RddConfig::default()
        });
        let rdd = ctx.parallelize((0..100).collect::<Vec<i64>>(), 10);
        let fewer = rdd.coalesce(3);
        assert_eq!(fewer.num_partitions(), 3);
        assert_eq!(fewer.collect().unwrap(), (0..100).collect::<Vec<i64>>());
    }
}
