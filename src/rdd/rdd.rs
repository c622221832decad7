//! The typed handle [`Rdd<T>`] and the object-safe lineage traits behind it.
//!
//! In: an [`RddNode<T>`] (one RDD kind: partitions, dependencies, compute) and the
//! [`RddContext`] that owns it. Out: a cheap, clonable handle whose methods build
//! new RDDs (transformations) or run jobs (actions, see `actions.rs`).
//! The scheduler sees RDDs only through [`RddBase`]; tasks compute through
//! [`RddNode<T>`].

use std::sync::Arc;

use crate::rdd::coalesce::CoalescedRdd;
use crate::rdd::context::RddContext;
use crate::rdd::debug_string::debug_string;
use crate::rdd::dependency::{Dependency, ShuffleDependencyBase};
use crate::rdd::error::{RddError, Result};
use crate::rdd::map_partitions::MapPartitionsRdd;
use crate::rdd::scheduler::shuffle_dependencies;
use crate::rdd::shuffled::{ShuffleDependency, ShuffledRdd};
use crate::rdd::storage::StorageLevel;
use crate::rdd::task::TaskContext;
use crate::rdd::union::UnionRdd;
use crate::rdd::zip_partitions::ZipPartitionsRdd;

/// An item an RDD can hold: cheap to clone and shareable across threads.
pub trait Data: Clone + Send + Sync + 'static {}

impl<T: Clone + Send + Sync + 'static> Data for T {}

/// The items of one partition, produced lazily; an `Err` item fails the task.
pub type PartitionIter<T> = Box<dyn Iterator<Item = Result<T>> + Send>;

/// What the scheduler knows of an RDD, whatever its item type.
pub trait RddBase: Send + Sync {
    /// Unique id within its context.
    fn id(&self) -> usize;
    /// Human-readable name shown in lineage.
    fn name(&self) -> &str;
    /// Number of partitions.
    fn num_partitions(&self) -> usize;
    /// The RDDs this one is computed from.
    fn dependencies(&self) -> Vec<Dependency>;
    /// Where its partitions are persisted, if they are.
    fn storage_level(&self) -> Option<StorageLevel> {
        None
    }
    /// Stops persisting its partitions and drops those stored (no-op unless persisted).
    fn unpersist(&self) {}
    /// Whether it is persisted with every partition stored right now (the
    /// scheduler then need not run the stages behind it).
    fn is_fully_cached(&self) -> bool {
        false
    }
    /// Whether the lineage text leaves it out, showing its parent in its place (an
    /// RDD that passes its parent's partitions through unchanged).
    fn transparent(&self) -> bool {
        false
    }
    /// Whether it marks where a splittable RDD above may cut its input (see
    /// [`crate::rdd::split`]).
    fn is_split_point(&self) -> bool {
        false
    }
}

/// An RDD kind that can compute its partitions as items of type `T`.
pub trait RddNode<T: Data>: RddBase {
    /// Computes one partition. Called inside a task; parents are computed on
    /// demand through their own `compute` (narrow) or read from shuffle blocks.
    fn compute(&self, partition: usize, task: &TaskContext) -> Result<PartitionIter<T>>;
}

/// A resilient dataset of `T`: a handle on a lineage node and its context.
///
/// Transformations (`map`, `flat_map`, `reduce_by_key`, `sort_by`, ...) build
/// lineage; actions (`collect`, `count`, `fold`, ...) run jobs. A word count:
///
/// ```
/// use ember::rdd::{RddConfig, RddContext};
///
/// let ctx = RddContext::new(RddConfig::default());
/// let lines = vec!["to be or not to be", "to see or not to see"];
/// let counts = ctx
///     .parallelize(lines, 2)
///     .flat_map(|line| line.split(' ').map(str::to_string).collect::<Vec<_>>())
///     .map(|word| (word, 1))
///     .reduce_by_key(|a, b| a + b, 3)
///     .cache();
/// // Most frequent first, ties by word: a total order across partitions.
/// let top = counts.sort_by(|(w, n)| (-n, w.clone()), true, 2)?.take(3)?;
/// assert_eq!(top, vec![("to".to_string(), 4), ("be".to_string(), 2), ("not".to_string(), 2)]);
/// assert_eq!(counts.count()?, 5);
/// println!("{}", ctx.metrics_json());
/// # Ok::<(), ember::rdd::RddError>(())
/// ```
pub struct Rdd<T: Data> {
    node: Arc<dyn RddNode<T>>,
    ctx: Arc<RddContext>,
}

impl<T: Data> Clone for Rdd<T> {
    fn clone(&self) -> Self {
        Rdd {
            node: Arc::clone(&self.node),
            ctx: Arc::clone(&self.ctx),
        }
    }
}

impl<T: Data> std::fmt::Debug for Rdd<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Rdd({} [{}], {} partitions)",
            self.node.name(),
            self.node.id(),
            self.node.num_partitions()
        )
    }
}

/// A partition function shared by the tasks of an RDD.
pub(crate) type PartitionFn<T, U> =
    Arc<dyn Fn(&TaskContext, PartitionIter<T>) -> Result<PartitionIter<U>> + Send + Sync>;

impl<T: Data> Rdd<T> {
    /// Wraps a node built for `ctx` (its id must come from `ctx.new_rdd_id()`).
    pub fn from_node(ctx: Arc<RddContext>, node: Arc<dyn RddNode<T>>) -> Self {
        Rdd { node, ctx }
    }

    /// The lineage node.
    pub fn node(&self) -> &Arc<dyn RddNode<T>> {
        &self.node
    }

    /// The lineage node as the scheduler sees it.
    pub fn base(&self) -> Arc<dyn RddBase> {
        Arc::clone(&self.node) as Arc<dyn RddBase>
    }

    /// Unique id within the context.
    pub fn id(&self) -> usize {
        self.node.id()
    }

    /// Name shown in lineage.
    pub fn name(&self) -> String {
        self.node.name().to_string()
    }

    /// Number of partitions.
    pub fn num_partitions(&self) -> usize {
        self.node.num_partitions()
    }

    /// The context this RDD belongs to.
    pub fn context(&self) -> &Arc<RddContext> {
        &self.ctx
    }

    /// A narrow transformation: `f` turns each partition's items into new items.
    pub fn map_partitions<U: Data>(
        &self,
        name: &str,
        f: impl Fn(&TaskContext, PartitionIter<T>) -> Result<PartitionIter<U>> + Send + Sync + 'static,
    ) -> Rdd<U> {
        let node = MapPartitionsRdd::new(
            self.ctx.new_rdd_id(),
            name,
            Arc::clone(&self.node),
            Arc::new(f),
        );
        Rdd::from_node(Arc::clone(&self.ctx), Arc::new(node))
    }

    /// At most `partitions` partitions, each reading a run of consecutive partitions
    /// of `self` (narrow, no shuffle; the order of the items is kept).
    pub fn coalesce(&self, partitions: usize) -> Rdd<T> {
        let node = CoalescedRdd::new(self.ctx.new_rdd_id(), Arc::clone(&self.node), partitions);
        Rdd::from_node(Arc::clone(&self.ctx), Arc::new(node))
    }

    /// The partitions of `self` followed by those of each of `others` (narrow).
    pub fn union(&self, others: &[Rdd<T>]) -> Rdd<T> {
        let mut parents = Vec::with_capacity(others.len() + 1);
        parents.push(Arc::clone(&self.node));
        parents.extend(others.iter().map(|r| Arc::clone(&r.node)));
        let node = UnionRdd::new(self.ctx.new_rdd_id(), parents);
        Rdd::from_node(Arc::clone(&self.ctx), Arc::new(node))
    }

    /// Pairs partition i of `self` with partition i of `other` (narrow); both
    /// must have the same number of partitions.
    pub fn zip_partitions<U: Data, V: Data>(
        &self,
        other: &Rdd<U>,
        name: &str,
        f: impl Fn(&TaskContext, PartitionIter<T>, PartitionIter<U>) -> Result<PartitionIter<V>>
        + Send
        + Sync
        + 'static,
    ) -> Result<Rdd<V>> {
        if self.num_partitions() != other.num_partitions() {
            return Err(RddError::invalid(format!(
                "zip_partitions '{name}': {} [{}] has {} partitions but {} [{}] has {}",
                self.node.name(),
                self.id(),
                self.num_partitions(),
                other.node.name(),
                other.id(),
                other.num_partitions()
            )));
        }
        let node = ZipPartitionsRdd::new(
            self.ctx.new_rdd_id(),
            name,
            Arc::clone(&self.node),
            Arc::clone(&other.node),
            Arc::new(f),
        );
        Ok(Rdd::from_node(Arc::clone(&self.ctx), Arc::new(node)))
    }

    /// Redistributes items into `num_partitions` partitions: `partitioner` splits
    /// each item into pieces tagged with their reduce partition. This cuts a
    /// stage: map tasks write shuffle blocks, reduce tasks read them.
    pub fn shuffle(
        &self,
        name: &str,
        num_partitions: usize,
        partitioner: impl Fn(T, usize) -> Result<Vec<(usize, T)>> + Send + Sync + 'static,
    ) -> Rdd<T> {
        self.shuffle_into(name, num_partitions, Arc::new(partitioner), None)
    }

    /// [`Rdd::shuffle`] whose map output is held in the context's memory pool and
    /// written to disk with `codec` under `folder` once the pool is a quarter full.
    pub fn shuffle_spilling(
        &self,
        name: &str,
        num_partitions: usize,
        codec: Arc<dyn crate::rdd::storage::BlockCodec<T>>,
        folder: crate::rdd::shuffle_spill::SpillFolder,
        partitioner: impl Fn(T, usize) -> Result<Vec<(usize, T)>> + Send + Sync + 'static,
    ) -> Rdd<T> {
        let spill = crate::rdd::shuffle_spill::ShuffleSpill {
            codec,
            pool: Arc::clone(self.ctx.memory_pool()),
            folder,
            name: name.to_string(),
        };
        self.shuffle_into(name, num_partitions, Arc::new(partitioner), Some(spill))
    }

    fn shuffle_into(
        &self,
        name: &str,
        num_partitions: usize,
        partitioner: crate::rdd::shuffled::Partitioner<T>,
        spill: Option<crate::rdd::shuffle_spill::ShuffleSpill<T>>,
    ) -> Rdd<T> {
        let mut dep = ShuffleDependency::new(
            self.ctx.new_shuffle_id(),
            Arc::clone(&self.node),
            num_partitions,
            partitioner,
            Arc::clone(self.ctx.block_manager()),
        );
        if let Some(spill) = spill {
            dep = dep.spilling(spill);
        }
        let node = ShuffledRdd::new(
            self.ctx.new_rdd_id(),
            name,
            Arc::new(dep),
            Arc::clone(self.ctx.block_manager()),
        );
        Rdd::from_node(Arc::clone(&self.ctx), Arc::new(node))
    }

    /// The shuffles this RDD's stage reads (reachable through narrow
    /// dependencies only), e.g. to find the ids of its shuffle blocks.
    pub fn shuffle_dependencies(&self) -> Vec<Arc<dyn ShuffleDependencyBase>> {
        shuffle_dependencies(&self.base())
    }

    /// The lineage, one line per RDD, with `+-` where a shuffle cuts a stage.
    pub fn to_debug_string(&self) -> String {
        debug_string(&self.base())
    }
}
