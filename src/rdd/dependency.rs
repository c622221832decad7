//! Dependencies between RDDs: narrow (a child partition reads a fixed set of
//! parent partitions, so both run in one stage) or shuffle (every child
//! partition reads from every parent partition, so a stage boundary).
//!
//! In: parent RDDs as [`RddBase`]. Out: what the scheduler walks to cut stages.

use std::sync::Arc;

use crate::rdd::error::Result;
use crate::rdd::rdd::RddBase;
use crate::rdd::task::TaskContext;

/// How a child's partitions map onto a narrow parent's.
#[derive(Clone)]
pub enum NarrowDependency {
    /// Child partition i reads parent partition i.
    OneToOne(Arc<dyn RddBase>),
    /// Child partitions `out_start..out_start + length` read parent partitions
    /// `in_start..in_start + length` (a union's parents).
    Range {
        /// The parent.
        rdd: Arc<dyn RddBase>,
        /// First parent partition.
        in_start: usize,
        /// First child partition.
        out_start: usize,
        /// Number of partitions.
        length: usize,
    },
    /// Child partition i reads the consecutive parent partitions `runs[i]` (a
    /// coalesce).
    Runs {
        /// The parent.
        rdd: Arc<dyn RddBase>,
        /// The parent partitions of each child partition.
        runs: Arc<Vec<std::ops::Range<usize>>>,
    },
}

impl NarrowDependency {
    /// The parent RDD.
    pub fn rdd(&self) -> &Arc<dyn RddBase> {
        match self {
            NarrowDependency::OneToOne(rdd)
            | NarrowDependency::Range { rdd, .. }
            | NarrowDependency::Runs { rdd, .. } => rdd,
        }
    }

    /// The parent partitions child partition `partition` reads.
    pub fn parents_of(&self, partition: usize) -> Vec<usize> {
        match self {
            NarrowDependency::OneToOne(_) => vec![partition],
            NarrowDependency::Range {
                in_start,
                out_start,
                length,
                ..
            } => {
                if partition >= *out_start && partition < out_start + length {
                    vec![partition - out_start + in_start]
                } else {
                    Vec::new()
                }
            }
            NarrowDependency::Runs { runs, .. } => {
                runs.get(partition).cloned().into_iter().flatten().collect()
            }
        }
    }
}

/// A shuffle as the scheduler sees it, whatever its item type: the map side
/// of a stage boundary.
pub trait ShuffleDependencyBase: Send + Sync {
    /// Unique shuffle id within the context.
    fn shuffle_id(&self) -> usize;
    /// The RDD whose partitions the map tasks compute.
    fn parent(&self) -> Arc<dyn RddBase>;
    /// Number of map tasks (the parent's partitions).
    fn num_map_partitions(&self) -> usize;
    /// Number of reduce partitions.
    fn num_reduce_partitions(&self) -> usize;
    /// Runs map task `map`: computes that parent partition, splits its items
    /// by reduce partition and stores one block per reduce partition.
    /// Returns the number of items written.
    fn run_map_task(&self, map: usize, task: &TaskContext) -> Result<usize>;
}

/// An edge of the lineage graph.
#[derive(Clone)]
pub enum Dependency {
    /// Same stage as the child.
    Narrow(NarrowDependency),
    /// A stage boundary.
    Shuffle(Arc<dyn ShuffleDependencyBase>),
}

impl Dependency {
    /// The parent RDD.
    pub fn rdd(&self) -> Arc<dyn RddBase> {
        match self {
            Dependency::Narrow(narrow) => Arc::clone(narrow.rdd()),
            Dependency::Shuffle(shuffle) => shuffle.parent(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rdd::{RddConfig, RddContext};

    #[test]
    fn range_dependency_maps_child_partitions_into_parent() {
        let ctx = RddContext::new(RddConfig::default());
        let rdd = ctx.parallelize(vec![1, 2, 3], 3).base();
        let dep = NarrowDependency::Range {
            rdd,
            in_start: 0,
            out_start: 2,
            length: 3,
        };
        assert_eq!(dep.parents_of(1), Vec::<usize>::new());
        assert_eq!(dep.parents_of(2), vec![0]);
        assert_eq!(dep.parents_of(4), vec![2]);
        assert_eq!(dep.parents_of(5), Vec::<usize>::new());
        assert_eq!(
            NarrowDependency::OneToOne(Arc::clone(dep.rdd())).parents_of(7),
            vec![7]
        );
    }
}
