//! Broadcasts: every partition of a source RDD gathered through a stage boundary and
//! built into one value that all tasks reading it share — Spark's broadcast exchange,
//! as a dependency of the RDDs that read it.
//!
//! In: a source RDD and `build(items of every partition, in partition order)`. The
//! source is shuffled into one reduce partition, so the scheduler runs its partitions
//! as a map stage before any stage that reads the broadcast, within the same job, and
//! recomputes lost blocks from lineage like any shuffle's. Out: a [`Broadcast<B>`]
//! whose [`Broadcast::value`] a task calls: the first task of a job to ask reads the
//! gathered partition and builds the value; the job's other tasks share it. A failed
//! build (a lost block) is not kept, so the retried task builds again. An RDD that
//! reads broadcasts declares them ([`Rdd::map_partitions_with_broadcasts`]), which
//! makes each a stage boundary of its stage.

use std::sync::{Arc, Mutex};

use crate::rdd::cancel::checked;
use crate::rdd::dependency::{Dependency, NarrowDependency, ShuffleDependencyBase};
use crate::rdd::error::Result;
use crate::rdd::rdd::{Data, PartitionFn, PartitionIter, Rdd, RddBase, RddNode};
use crate::rdd::shuffled::{ShuffleDependency, ShuffledRdd};
use crate::rdd::task::TaskContext;

/// Reads the gathered partition and builds the value, inside a task.
type BuildFn<B> = Box<dyn Fn(&TaskContext) -> Result<B> + Send + Sync>;

/// A value built from every partition of a source RDD, shared by the tasks of a job.
pub struct Broadcast<B> {
    inner: Arc<BroadcastState<B>>,
}

impl<B> Clone for Broadcast<B> {
    fn clone(&self) -> Self {
        Broadcast {
            inner: Arc::clone(&self.inner),
        }
    }
}

struct BroadcastState<B> {
    /// The shuffle into one partition that gathers the source.
    dependency: Arc<dyn ShuffleDependencyBase>,
    build: BuildFn<B>,
    /// The value and the job it was built for.
    built: Mutex<Option<(usize, Arc<B>)>>,
}

/// A broadcast whatever its value type: the stage boundary a reader declares.
pub trait AnyBroadcast: Send + Sync {
    /// The shuffle that gathers the source into one partition.
    fn dependency(&self) -> Arc<dyn ShuffleDependencyBase>;
}

impl<B: Send + Sync + 'static> AnyBroadcast for Broadcast<B> {
    fn dependency(&self) -> Arc<dyn ShuffleDependencyBase> {
        Arc::clone(&self.inner.dependency)
    }
}

impl<B: Send + Sync + 'static> Broadcast<B> {
    /// The value for the job `task` belongs to, built by the first task that asks.
    /// Tasks asking while it is built wait for it rather than build it again.
    pub fn value(&self, task: &TaskContext) -> Result<Arc<B>> {
        // Only whole values are stored under this lock, so a poisoned one is valid.
        let mut built = self.inner.built.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((job, value)) = built.as_ref()
            && *job == task.job_id
        {
            return Ok(Arc::clone(value));
        }
        // A value of an earlier job goes before the new one is built.
        *built = None;
        let value = Arc::new((self.inner.build)(task)?);
        *built = Some((task.job_id, Arc::clone(&value)));
        Ok(value)
    }
}

impl<T: Data> Rdd<T> {
    /// A broadcast of this RDD: its items, partition after partition, built into one
    /// value by `build` once per job.
    pub fn broadcast<B: Send + Sync + 'static>(
        &self,
        name: &str,
        build: impl Fn(Vec<T>) -> Result<B> + Send + Sync + 'static,
    ) -> Broadcast<B> {
        let ctx = self.context();
        let dependency = Arc::new(ShuffleDependency::new(
            ctx.new_shuffle_id(),
            Arc::clone(self.node()),
            1,
            Arc::new(|item: T, _: usize| Ok(vec![(0, item)])),
            Arc::clone(ctx.block_manager()),
        ));
        let gathered = ShuffledRdd::new(
            ctx.new_rdd_id(),
            name,
            Arc::clone(&dependency),
            Arc::clone(ctx.block_manager()),
        );
        let read: BuildFn<B> = Box::new(move |task| {
            let items = gathered.compute(0, task)?.collect::<Result<Vec<T>>>()?;
            build(items)
        });
        Broadcast {
            inner: Arc::new(BroadcastState {
                dependency,
                build: read,
                built: Mutex::new(None),
            }),
        }
    }

    /// As [`Rdd::map_partitions`], for a function that reads `broadcasts` (through
    /// [`Broadcast::value`]): each is a stage boundary that runs before this RDD's
    /// stage, in the same job.
    pub fn map_partitions_with_broadcasts<U: Data>(
        &self,
        name: &str,
        broadcasts: &[&dyn AnyBroadcast],
        f: impl Fn(&TaskContext, PartitionIter<T>) -> Result<PartitionIter<U>> + Send + Sync + 'static,
    ) -> Rdd<U> {
        let node = BroadcastReaderRdd {
            id: self.context().new_rdd_id(),
            name: name.to_string(),
            parent: Arc::clone(self.node()),
            broadcasts: broadcasts.iter().map(|b| b.dependency()).collect(),
            f: Arc::new(f),
        };
        Rdd::from_node(Arc::clone(self.context()), Arc::new(node))
    }
}

/// Partition i is `f(parent partition i)`, where `f` reads broadcasts.
struct BroadcastReaderRdd<T: Data, U: Data> {
    id: usize,
    name: String,
    parent: Arc<dyn RddNode<T>>,
    broadcasts: Vec<Arc<dyn ShuffleDependencyBase>>,
    f: PartitionFn<T, U>,
}

impl<T: Data, U: Data> RddBase for BroadcastReaderRdd<T, U> {
    fn id(&self) -> usize {
        self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn num_partitions(&self) -> usize {
        self.parent.num_partitions()
    }
    fn dependencies(&self) -> Vec<Dependency> {
        let parent = Arc::clone(&self.parent) as Arc<dyn RddBase>;
        let mut deps = vec![Dependency::Narrow(NarrowDependency::OneToOne(parent))];
        deps.extend(
            self.broadcasts
                .iter()
                .map(|b| Dependency::Shuffle(Arc::clone(b))),
        );
        deps
    }
}

impl<T: Data, U: Data> RddNode<U> for BroadcastReaderRdd<T, U> {
    fn compute(&self, partition: usize, task: &TaskContext) -> Result<PartitionIter<U>> {
        let items = (self.f)(task, self.parent.compute(partition, task)?)?;
        Ok(checked(items, &task.cancel))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::rdd::{RddConfig, RddContext};

    fn ctx() -> Arc<RddContext> {
        RddContext::new(RddConfig {
            threads: 3,
            ..RddConfig::default()
        })
    }

    /// Each probe item paired with the sum of the broadcast side.
    fn add_total(probe: &Rdd<u64>, total: &Broadcast<u64>) -> Rdd<u64> {
        let b = total.clone();
        probe.map_partitions_with_broadcasts("add total", &[total], move |task, items| {
            let total = *b.value(task)?;
            Ok(Box::new(items.map(move |x| x.map(|x| x + total))) as PartitionIter<u64>)
        })
    }

    #[test]
    fn the_build_side_is_a_stage_of_the_same_job_and_built_once() {
        let ctx = ctx();
        let builds = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&builds);
        let total = ctx
            .parallelize((1..=100u64).collect(), 4)
            .broadcast("sum", move |items| {
                counted.fetch_add(1, Ordering::SeqCst);
                Ok(items.iter().sum::<u64>())
            });
        let out = add_total(&ctx.parallelize(vec![0, 1, 2, 3, 4, 5], 6), &total);
        assert_eq!(ctx.metrics().jobs, 0, "building the lineage runs nothing");
        assert_eq!(out.collect().ok(), Some((5050..5056).collect()));
        let m = ctx.metrics();
        assert_eq!((m.jobs, m.stages, m.tasks), (1, 2, 4 + 6));
        assert_eq!(builds.load(Ordering::SeqCst), 1, "one build for six tasks");
        // A second job reuses the gathered blocks and builds its own value.
        assert_eq!(out.count().ok(), Some(6));
        assert_eq!((ctx.metrics().jobs, ctx.metrics().stages), (2, 3));
        assert_eq!(builds.load(Ordering::SeqCst), 2);
        assert!(out.to_debug_string().contains(" +-(4) parallelize"));
    }

    #[test]
    fn lost_blocks_of_the_source_are_recomputed_from_lineage() {
        let ctx = ctx();
        let total = ctx
            .parallelize((1..=100u64).collect(), 4)
            .broadcast("sum", |items| Ok(items.iter().sum::<u64>()));
        let out = add_total(&ctx.parallelize(vec![0, 1], 2), &total);
        assert_eq!(out.collect().ok(), Some(vec![5050, 5051]));
        let shuffle = total.dependency().shuffle_id();
        assert!(ctx.lose_shuffle_block(shuffle, 1, 0));
        assert!(ctx.lose_shuffle_block(shuffle, 3, 0));
        let before = ctx.metrics();
        assert_eq!(out.collect().ok(), Some(vec![5050, 5051]));
        let used = ctx.metrics().since(&before);
        assert_eq!(used.recomputed_partitions, 2);
        assert_eq!((used.jobs, used.stages, used.tasks), (1, 2, 2 + 2));
    }

    #[test]
    fn a_build_that_fails_on_a_lost_block_is_retried_after_recomputing_it() {
        // One thread: the task that loses the block is the first to build.
        let ctx = RddContext::new(RddConfig {
            threads: 1,
            ..RddConfig::default()
        });
        let bm = Arc::clone(ctx.block_manager());
        let lost = Arc::new(AtomicUsize::new(0));
        let total = ctx
            .parallelize((1..=10u64).collect(), 2)
            .broadcast("sum", |items| Ok(items.iter().sum::<u64>()));
        let shuffle = total.dependency().shuffle_id();
        let b = total.clone();
        let out = ctx
            .parallelize(vec![0u64, 1, 2], 3)
            .map_partitions_with_broadcasts(
                "loses a block, then adds the total",
                &[&total],
                move |task, items| {
                    // The first task to run loses a block just before the build reads it.
                    if lost.fetch_add(1, Ordering::SeqCst) == 0 {
                        bm.remove_block(crate::rdd::BlockId::Shuffle {
                            shuffle,
                            map: 0,
                            reduce: 0,
                        });
                    }
                    let total = *b.value(task)?;
                    Ok(Box::new(items.map(move |x| x.map(|x| x + total))) as PartitionIter<u64>)
                },
            );
        assert_eq!(out.collect().ok(), Some(vec![55, 56, 57]));
        let m = ctx.metrics();
        assert_eq!((m.jobs, m.recomputed_partitions), (1, 1));
        assert!(m.failed_attempts >= 1, "{m:?}");
    }
}
