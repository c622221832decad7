//! A shuffle: the [`ShuffleDependency`] (map side) and the [`ShuffledRdd`]
//! (reduce side) that reads it.
//!
//! In: a parent RDD and a partitioner splitting each item into pieces tagged
//! with a reduce partition. Map task m computes parent partition m and stores
//! one block (shuffle, m, r) per reduce partition r. Out: reduce partition r
//! reads block (shuffle, m, r) of every map task, in map order. A missing block
//! fails the reading task; the scheduler then recomputes the lost map output.
//! (Fault injection may remove a block just before it is read, to the same effect.)

use std::sync::Arc;

use crate::rdd::block_manager::{BlockManager, ShuffleData};
use crate::rdd::cancel::checked;
use crate::rdd::dependency::{Dependency, ShuffleDependencyBase};
use crate::rdd::error::{RddError, Result};
use crate::rdd::metrics::Metrics;
use crate::rdd::rdd::{Data, PartitionIter, RddBase, RddNode};
use crate::rdd::shuffle_spill::{ShuffleSpill, SpilledBlock, SpillingBuckets};
use crate::rdd::task::TaskContext;

/// Splits an item into (reduce partition, piece) pairs, given the reduce
/// partition count.
pub type Partitioner<T> = Arc<dyn Fn(T, usize) -> Result<Vec<(usize, T)>> + Send + Sync>;

/// The map side of a shuffle. Its blocks are dropped with it, that is when no
/// RDD in any lineage refers to the shuffle any more.
pub struct ShuffleDependency<T: Data> {
    shuffle_id: usize,
    parent: Arc<dyn RddNode<T>>,
    num_reduces: usize,
    partitioner: Partitioner<T>,
    block_manager: Arc<BlockManager>,
    /// When set, the output is held in the memory pool and spills past a quarter of it.
    spill: Option<ShuffleSpill<T>>,
}

impl<T: Data> ShuffleDependency<T> {
    /// A shuffle of `parent` into `num_reduces` partitions.
    pub fn new(
        shuffle_id: usize,
        parent: Arc<dyn RddNode<T>>,
        num_reduces: usize,
        partitioner: Partitioner<T>,
        block_manager: Arc<BlockManager>,
    ) -> Self {
        ShuffleDependency {
            shuffle_id,
            parent,
            num_reduces,
            partitioner,
            block_manager,
            spill: None,
        }
    }

    /// Holds the map output in the memory pool, writing it to disk once the pool is
    /// a quarter full.
    pub fn spilling(mut self, spill: ShuffleSpill<T>) -> Self {
        self.spill = Some(spill);
        self
    }

    fn run_spilling_map_task(
        &self,
        map: usize,
        task: &TaskContext,
        spill: &ShuffleSpill<T>,
    ) -> Result<usize> {
        let n = self.num_reduces;
        let mut buckets = SpillingBuckets::new(
            n,
            spill,
            format!(
                "{} (shuffle {}, output of map task {map})",
                spill.name, self.shuffle_id
            ),
            Arc::clone(self.block_manager.metrics()),
        );
        let mut rows = 0;
        for item in self.parent.compute(map, task)? {
            for (reduce, piece) in (self.partitioner)(item?, n)? {
                buckets.push(reduce, piece)?;
                rows += 1;
            }
        }
        let (blocks, reservation) = buckets.finish()?;
        self.block_manager
            .put_spilled_shuffle_output(self.shuffle_id, map, blocks, reservation);
        Ok(rows)
    }
}

impl<T: Data> Drop for ShuffleDependency<T> {
    fn drop(&mut self) {
        self.block_manager.remove_shuffle(self.shuffle_id);
    }
}

impl<T: Data> ShuffleDependencyBase for ShuffleDependency<T> {
    fn shuffle_id(&self) -> usize {
        self.shuffle_id
    }
    fn parent(&self) -> Arc<dyn RddBase> {
        Arc::clone(&self.parent) as Arc<dyn RddBase>
    }
    fn num_map_partitions(&self) -> usize {
        self.parent.num_partitions()
    }
    fn num_reduce_partitions(&self) -> usize {
        self.num_reduces
    }
    fn run_map_task(&self, map: usize, task: &TaskContext) -> Result<usize> {
        if let Some(spill) = &self.spill {
            return self.run_spilling_map_task(map, task, spill);
        }
        let n = self.num_reduces;
        let mut buckets: Vec<Vec<T>> = (0..n).map(|_| Vec::new()).collect();
        let mut rows = 0;
        for item in self.parent.compute(map, task)? {
            for (reduce, piece) in (self.partitioner)(item?, n)? {
                let bucket = buckets.get_mut(reduce).ok_or_else(|| {
                    RddError::internal(format!(
                        "shuffle {}: partitioner sent a piece to partition {reduce} of {n}",
                        self.shuffle_id
                    ))
                })?;
                bucket.push(piece);
                rows += 1;
            }
        }
        self.block_manager
            .put_shuffle_output(self.shuffle_id, map, buckets);
        Ok(rows)
    }
}

/// The reduce side of a shuffle.
pub struct ShuffledRdd<T: Data> {
    id: usize,
    name: String,
    dep: Arc<ShuffleDependency<T>>,
    block_manager: Arc<BlockManager>,
}

impl<T: Data> ShuffledRdd<T> {
    /// Reads the blocks of `dep`.
    pub fn new(
        id: usize,
        name: &str,
        dep: Arc<ShuffleDependency<T>>,
        block_manager: Arc<BlockManager>,
    ) -> Self {
        ShuffledRdd {
            id,
            name: name.to_string(),
            dep,
            block_manager,
        }
    }

    /// The shuffle this RDD reads.
    pub fn shuffle_id(&self) -> usize {
        self.dep.shuffle_id
    }
}

impl<T: Data> RddBase for ShuffledRdd<T> {
    fn id(&self) -> usize {
        self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn num_partitions(&self) -> usize {
        self.dep.num_reduces
    }
    fn dependencies(&self) -> Vec<Dependency> {
        vec![Dependency::Shuffle(
            Arc::clone(&self.dep) as Arc<dyn ShuffleDependencyBase>
        )]
    }
}

impl<T: Data> RddNode<T> for ShuffledRdd<T> {
    fn compute(&self, partition: usize, task: &TaskContext) -> Result<PartitionIter<T>> {
        if partition >= self.dep.num_reduces {
            return Err(RddError::internal(format!(
                "{} [{}] has no partition {partition}",
                self.name, self.id
            )));
        }
        let shuffle = self.dep.shuffle_id;
        // Fetch every block up front so a lost one fails the task before any
        // item is produced.
        let blocks = (0..self.dep.num_map_partitions())
            .map(|map| {
                self.block_manager
                    .read_shuffle_data::<T>(shuffle, map, partition, task)
                    .ok_or(RddError::FetchFailed {
                        shuffle,
                        map,
                        reduce: partition,
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        let items = Box::new(BlocksIter {
            blocks: blocks.into_iter(),
            current: None,
            pos: 0,
            runs: None,
            metrics: Arc::clone(self.block_manager.metrics()),
        });
        Ok(checked(items, &task.cancel))
    }
}

/// Clones the items of several shared blocks, block after block; a spilled block's
/// runs are read from disk one at a time, before its items in memory.
struct BlocksIter<T> {
    blocks: std::vec::IntoIter<ShuffleData<T>>,
    current: Option<Arc<Vec<T>>>,
    pos: usize,
    /// A spilled block being read and its next run.
    runs: Option<(Arc<SpilledBlock<T>>, usize)>,
    metrics: Arc<Metrics>,
}

impl<T: Data> Iterator for BlocksIter<T> {
    type Item = Result<T>;
    fn next(&mut self) -> Option<Result<T>> {
        loop {
            if let Some(block) = &self.current
                && let Some(item) = block.get(self.pos)
            {
                self.pos += 1;
                return Some(Ok(item.clone()));
            }
            self.pos = 0;
            self.current = None;
            if let Some((block, next)) = &mut self.runs {
                if *next < block.runs() {
                    let run = block.read_run(*next, &self.metrics);
                    *next += 1;
                    match run {
                        Ok(items) => self.current = Some(Arc::new(items)),
                        Err(e) => {
                            self.runs = None;
                            return Some(Err(e));
                        }
                    }
                } else {
                    // The items that stayed in memory come after the runs.
                    self.current = Some(block.memory_items());
                    self.runs = None;
                }
                continue;
            }
            match self.blocks.next()? {
                ShuffleData::Memory(items) => self.current = Some(items),
                ShuffleData::Spilled(block) => self.runs = Some((block, 0)),
            }
        }
    }
}
