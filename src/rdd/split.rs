//! Splittable tasks: narrow transformations whose closure may run over parts of its
//! input, one part after another, when the whole does not fit in memory.
//!
//! In: a split point ([`Rdd::split_point`]) — an RDD that passes its parent's items
//! through, or, while a part of a split is computed, keeps only that part's share of
//! each item (a `splitter` decides) — and above it, in the same stage, a splittable
//! RDD ([`Rdd::map_partitions_split`]) with its closure `f`.
//! Out: partition i is `f` over partition i, computed whole; or, when the scheduler
//! runs the task with the input split into `n` parts, `f` over part 0, then over part
//! 1, ... each computed afresh from lineage (shuffle blocks read again, narrow parents
//! recomputed) through the split point, their outputs chained. The RDDs between the
//! split point and the splittable RDD run once per part; whoever builds the lineage
//! makes sure that computing them over a part gives that part of their output (a sort,
//! say), and that `f` over the parts, chained, is `f` over the whole (the parts keep
//! rows that belong together together).
//!
//! When an attempt fails short of memory ([`Failure::ResourcesExhausted`]), the
//! innermost splittable RDD whose part of the task the failure came from (its closure,
//! or the RDDs between it and its split point — not the lineage below the split point,
//! which a split does not shrink) notes itself in the attempt's [`SplitTracker`]; the
//! scheduler then runs the task again with that RDD's input split twice as finely.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use crate::rdd::cancel::checked;
use crate::rdd::dependency::{Dependency, NarrowDependency};
use crate::rdd::error::{RddError, Result};
use crate::rdd::rdd::{Data, PartitionFn, PartitionIter, Rdd, RddBase, RddNode};
use crate::rdd::task::TaskContext;

#[cfg(doc)]
use crate::rdd::error::Failure;

/// One part of a split input: part `part` (from 0) of `parts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputPart {
    /// Which part, from 0.
    pub part: usize,
    /// How many parts the input is split into.
    pub parts: usize,
}

/// Keeps the share of an item that belongs to a part of the split (`None`: nothing of it).
pub type Splitter<T> = Arc<dyn Fn(T, InputPart) -> Result<Option<T>> + Send + Sync>;

/// Which splittable RDD a failure short of memory in one task attempt belongs to.
#[derive(Debug, Default)]
pub struct SplitTracker {
    state: Mutex<TrackerState>,
}

#[derive(Debug, Default)]
struct TrackerState {
    /// Split points such a failure went through (it came from below them).
    passed: HashSet<usize>,
    /// The splittable RDD (id, `name [id]`) whose part of the task failed.
    owner: Option<(usize, String)>,
}

impl SplitTracker {
    fn lock(&self) -> std::sync::MutexGuard<'_, TrackerState> {
        // Each update is one insert or assignment: a poisoned state is still valid.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `error`, if it is one of running short of memory, went through split point `point`.
    fn passed(&self, point: usize, error: &RddError) {
        if error.is_resources_exhausted() {
            self.lock().passed.insert(point);
        }
    }

    /// `error` reached the splittable RDD `rdd` (split at `point`): it is that RDD's if
    /// it is one of running short of memory, no RDD nearer the failure took it, and it
    /// did not come from below the split point.
    fn reached(&self, rdd: usize, name: &str, point: usize, error: &RddError) {
        if !error.is_resources_exhausted() {
            return;
        }
        let mut state = self.lock();
        if state.owner.is_none() && !state.passed.contains(&point) {
            state.owner = Some((rdd, format!("{name} [{rdd}]")));
        }
    }

    /// The splittable RDD (id, `name [id]`) whose part of the attempt ran short of
    /// memory, if one did.
    pub fn owner(&self) -> Option<(usize, String)> {
        self.lock().owner.clone()
    }
}

/// Passes its parent's items through; while a part of a split is computed, keeps
/// only that part's share of each.
pub struct SplitPointRdd<T: Data> {
    id: usize,
    parent: Arc<dyn RddNode<T>>,
    splitter: Splitter<T>,
}

impl<T: Data> RddBase for SplitPointRdd<T> {
    fn id(&self) -> usize {
        self.id
    }
    fn name(&self) -> &str {
        "SplitPoint"
    }
    fn num_partitions(&self) -> usize {
        self.parent.num_partitions()
    }
    fn dependencies(&self) -> Vec<Dependency> {
        let parent = Arc::clone(&self.parent) as Arc<dyn RddBase>;
        vec![Dependency::Narrow(NarrowDependency::OneToOne(parent))]
    }
    fn transparent(&self) -> bool {
        true
    }
    fn is_split_point(&self) -> bool {
        true
    }
}

impl<T: Data> RddNode<T> for SplitPointRdd<T> {
    fn compute(&self, partition: usize, task: &TaskContext) -> Result<PartitionIter<T>> {
        let tracker = Arc::clone(task.split_tracker());
        let point = self.id;
        let part = task.part_at(point);
        // Below this point every part after the first computes the same items again.
        let below = task.repeating(part.is_some_and(|p| p.part > 0));
        let input = self
            .parent
            .compute(partition, &below)
            .inspect_err(|e| tracker.passed(point, e))?;
        let splitter = Arc::clone(&self.splitter);
        Ok(Box::new(input.filter_map(move |item| match item {
            Ok(item) => match part {
                None => Some(Ok(item)),
                Some(part) => splitter(item, part).transpose(),
            },
            Err(error) => {
                tracker.passed(point, &error);
                Some(Err(error))
            }
        })))
    }
}

/// What a [`SplittableRdd`] computes, shared with the iterator over its parts.
struct Splittable<T: Data, U: Data> {
    id: usize,
    name: String,
    parent: Arc<dyn RddNode<T>>,
    point: usize,
    f: PartitionFn<T, U>,
}

impl<T: Data, U: Data> Splittable<T, U> {
    /// `f` over `part` of the input (`None`: all of it), noting a failure short of
    /// memory in it as this RDD's.
    fn run(
        self: &Arc<Self>,
        partition: usize,
        task: &TaskContext,
        part: Option<InputPart>,
    ) -> Result<PartitionIter<U>> {
        let task = task.in_part(self.point, part);
        let note = |e: &RddError| {
            task.split_tracker()
                .reached(self.id, &self.name, self.point, e)
        };
        let input = self.parent.compute(partition, &task).inspect_err(note)?;
        let output = (self.f)(&task, input).inspect_err(note)?;
        let this = Arc::clone(self);
        let tracker = Arc::clone(task.split_tracker());
        let output = output.inspect(move |item| {
            if let Err(e) = item {
                tracker.reached(this.id, &this.name, this.point, e);
            }
        });
        Ok(checked(Box::new(output), &task.cancel))
    }
}

/// Partition i is `f` over partition i of its parent, or over each part of it in turn.
pub struct SplittableRdd<T: Data, U: Data> {
    inner: Arc<Splittable<T, U>>,
}

impl<T: Data, U: Data> RddBase for SplittableRdd<T, U> {
    fn id(&self) -> usize {
        self.inner.id
    }
    fn name(&self) -> &str {
        &self.inner.name
    }
    fn num_partitions(&self) -> usize {
        self.inner.parent.num_partitions()
    }
    fn dependencies(&self) -> Vec<Dependency> {
        let parent = Arc::clone(&self.inner.parent) as Arc<dyn RddBase>;
        vec![Dependency::Narrow(NarrowDependency::OneToOne(parent))]
    }
}

impl<T: Data, U: Data> RddNode<U> for SplittableRdd<T, U> {
    fn compute(&self, partition: usize, task: &TaskContext) -> Result<PartitionIter<U>> {
        let parts = task.split_parts(self.inner.id);
        if parts <= 1 {
            return self.inner.run(partition, task, None);
        }
        Ok(Box::new(PartsIter {
            inner: Arc::clone(&self.inner),
            partition,
            task: task.clone(),
            parts,
            next_part: 0,
            current: None,
        }))
    }
}

/// The outputs of `f` over each part in turn; a part is computed only once the one
/// before it is used up, and nothing follows an error.
struct PartsIter<T: Data, U: Data> {
    inner: Arc<Splittable<T, U>>,
    partition: usize,
    task: TaskContext,
    parts: usize,
    next_part: usize,
    current: Option<PartitionIter<U>>,
}

impl<T: Data, U: Data> Iterator for PartsIter<T, U> {
    type Item = Result<U>;

    fn next(&mut self) -> Option<Result<U>> {
        loop {
            if let Some(current) = &mut self.current {
                match current.next() {
                    Some(Ok(item)) => return Some(Ok(item)),
                    Some(Err(error)) => {
                        self.stop();
                        return Some(Err(error));
                    }
                    None => self.current = None,
                }
            }
            if self.next_part >= self.parts {
                return None;
            }
            let part = InputPart {
                part: self.next_part,
                parts: self.parts,
            };
            self.next_part += 1;
            match self.inner.run(self.partition, &self.task, Some(part)) {
                Ok(iter) => self.current = Some(iter),
                Err(error) => {
                    self.stop();
                    return Some(Err(error));
                }
            }
        }
    }
}

impl<T: Data, U: Data> PartsIter<T, U> {
    fn stop(&mut self) {
        self.current = None;
        self.next_part = self.parts;
    }
}

impl<T: Data> Rdd<T> {
    /// The same partitions, marked as a place where a splittable RDD above (see
    /// [`Rdd::map_partitions_split`]) may cut its input: while part `p` of `n` is
    /// computed, each item becomes `splitter(item, p of n)` (`None` drops it). The
    /// parts must not overlap and together hold every item.
    pub fn split_point(
        &self,
        splitter: impl Fn(T, InputPart) -> Result<Option<T>> + Send + Sync + 'static,
    ) -> Rdd<T> {
        let node = SplitPointRdd {
            id: self.context().new_rdd_id(),
            parent: Arc::clone(self.node()),
            splitter: Arc::new(splitter),
        };
        Rdd::from_node(Arc::clone(self.context()), Arc::new(node))
    }

    /// A narrow transformation like [`Rdd::map_partitions`] that can run over parts of
    /// its input, cut at `point` (a [`Rdd::split_point`] this RDD computes in its own
    /// stage): when its task runs short of memory the scheduler runs it again with the
    /// input split in 2, 4, ... parts, `f` once per part (see [`crate::rdd::split`]).
    /// `f` sees the part in [`TaskContext::input_part`].
    pub fn map_partitions_split<P: Data, U: Data>(
        &self,
        name: &str,
        point: &Rdd<P>,
        f: impl Fn(&TaskContext, PartitionIter<T>) -> Result<PartitionIter<U>> + Send + Sync + 'static,
    ) -> Result<Rdd<U>> {
        if !point.node().is_split_point() || !computes_in_stage(&self.base(), point.id()) {
            return Err(RddError::invalid(format!(
                "map_partitions_split '{name}': {} [{}] is not a split point of the stage of {} [{}]",
                point.name(),
                point.id(),
                self.name(),
                self.id()
            )));
        }
        Ok(self.splittable(name, Arc::clone(self.node()), point.id(), f))
    }

    /// [`Rdd::map_partitions_split`] with the split point right below: a part of the
    /// input is `splitter`'s share of each of this RDD's items.
    pub fn map_partitions_splittable<U: Data>(
        &self,
        name: &str,
        splitter: impl Fn(T, InputPart) -> Result<Option<T>> + Send + Sync + 'static,
        f: impl Fn(&TaskContext, PartitionIter<T>) -> Result<PartitionIter<U>> + Send + Sync + 'static,
    ) -> Rdd<U> {
        let point = self.split_point(splitter);
        self.splittable(name, Arc::clone(point.node()), point.id(), f)
    }

    /// The splittable RDD running `f` over `parent`, split at the split point `point`.
    fn splittable<U: Data>(
        &self,
        name: &str,
        parent: Arc<dyn RddNode<T>>,
        point: usize,
        f: impl Fn(&TaskContext, PartitionIter<T>) -> Result<PartitionIter<U>> + Send + Sync + 'static,
    ) -> Rdd<U> {
        let inner = Splittable {
            id: self.context().new_rdd_id(),
            name: name.to_string(),
            parent,
            point,
            f: Arc::new(f),
        };
        let node = SplittableRdd {
            inner: Arc::new(inner),
        };
        Rdd::from_node(Arc::clone(self.context()), Arc::new(node))
    }
}

/// Whether a task of the stage ending in `rdd` computes the RDD `target` (reached
/// through narrow dependencies only).
fn computes_in_stage(rdd: &Arc<dyn RddBase>, target: usize) -> bool {
    let mut seen = HashSet::new();
    let mut stack = vec![Arc::clone(rdd)];
    while let Some(node) = stack.pop() {
        if node.id() == target {
            return true;
        }
        if !seen.insert(node.id()) {
            continue;
        }
        for dep in node.dependencies() {
            if let Dependency::Narrow(narrow) = dep {
                stack.push(Arc::clone(narrow.rdd()));
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use crate::rdd::error::{RddError, Result};
    use crate::rdd::{InputPart, PartitionIter, Rdd, RddConfig, RddContext, TaskContext};

    fn ctx(threads: usize, max_split: usize) -> Arc<RddContext> {
        RddContext::new(RddConfig {
            threads,
            max_task_attempts: 4,
            max_split,
            ..RddConfig::default()
        })
    }

    type Pairs = PartitionIter<(u32, i64)>;

    /// A partition function over pairs, for the tests below.
    trait SumsFn: Fn(&TaskContext, Pairs) -> Result<Pairs> + Send + Sync + 'static {}

    impl<F: Fn(&TaskContext, Pairs) -> Result<Pairs> + Send + Sync + 'static> SumsFn for F {}

    /// Keeps a `(key, value)` pair in the part its key falls in.
    fn by_key(pair: (u32, i64), part: InputPart) -> Result<Option<(u32, i64)>> {
        Ok((pair.0 as usize % part.parts == part.part).then_some(pair))
    }

    /// Sums per key over a partition, failing short of memory past `fits` pairs (an
    /// operator that holds its whole input and cannot spill); records the finest split
    /// it ran over in `finest`.
    fn sums_within(fits: usize, finest: Arc<AtomicUsize>) -> impl SumsFn {
        move |task, items| {
            let parts = task.input_part.map_or(1, |p| p.parts);
            finest.fetch_max(parts, Ordering::SeqCst);
            let held = items.collect::<Result<Vec<_>>>()?;
            if held.len() > fits {
                return Err(RddError::resources_exhausted(format!(
                    "sums (partition {}) wanted {} pairs; {fits} fit",
                    task.partition,
                    held.len()
                )));
            }
            let mut sums = BTreeMap::new();
            for (k, v) in held {
                *sums.entry(k).or_insert(0) += v;
            }
            Ok(Box::new(sums.into_iter().map(Ok)))
        }
    }

    fn pairs(ctx: &Arc<RddContext>) -> Rdd<(u32, i64)> {
        let data: Vec<(u32, i64)> = (0..1200).map(|i| (i % 40, i64::from(i))).collect();
        // Two reduce partitions of 600 pairs each.
        ctx.parallelize(data, 3).shuffle("by key", 2, |(k, v), n| {
            Ok(vec![(k as usize / 20 % n, (k, v))])
        })
    }

    fn sorted(mut v: Vec<(u32, i64)>) -> Vec<(u32, i64)> {
        v.sort_unstable();
        v
    }

    #[test]
    fn a_task_short_of_memory_succeeds_over_a_finer_split() {
        let ctx = ctx(2, 16);
        let input = pairs(&ctx);
        let finest = Arc::new(AtomicUsize::new(0));
        let whole = input
            .map_partitions_splittable("sums", by_key, sums_within(usize::MAX, finest.clone()))
            .collect()
            .unwrap_or_default();
        assert_eq!(whole.len(), 40);
        assert_eq!(finest.load(Ordering::SeqCst), 1);
        let before = ctx.metrics();

        // 600 pairs per partition, 200 fit: a quarter of each partition does.
        let finest = Arc::new(AtomicUsize::new(0));
        let split = input
            .map_partitions_splittable("sums", by_key, sums_within(200, finest.clone()))
            .collect();
        let split = split.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sorted(split), sorted(whole));
        assert_eq!(finest.load(Ordering::SeqCst), 4);
        let used = ctx.metrics().since(&before);
        // Each partition: whole, halves, then quarters.
        assert_eq!(used.oom_retries, 2 * 2, "{used:?}");
        assert_eq!(used.failed_attempts, 0, "{used:?}");
        assert_eq!(used.tasks, 2, "{used:?}");
        assert_eq!(used.task_attempts, 2 * 3, "{used:?}");
        let stage = ctx.stage_log().pop().map(|s| s.totals);
        assert_eq!(
            stage.map(|t| (t.oom_retries, t.failed_attempts)),
            Some((4, 0))
        );
        // The attempts short of memory are logged with their error, as attempt 0.
        let log = ctx.task_log();
        let short: Vec<_> = log.iter().filter(|t| !t.succeeded).collect();
        assert_eq!(short.len(), 4);
        assert!(short.iter().all(|t| t.attempt == 0));
        let error = short
            .first()
            .and_then(|t| t.error.clone())
            .unwrap_or_default();
        assert!(error.contains("pairs; 200 fit"), "{error}");
    }

    #[test]
    fn results_in_order_come_back_after_a_split() {
        let ctx = ctx(2, 16);
        let finest = Arc::new(AtomicUsize::new(0));
        let rdd =
            pairs(&ctx).map_partitions_splittable("sums", by_key, sums_within(400, finest.clone()));
        let mut seen = Vec::new();
        let ran = ctx.run_job_ordered(
            &rdd,
            1,
            |task, items| Ok((task.partition, items.collect::<Result<Vec<_>>>()?)),
            |(p, items)| {
                seen.push((p, items.len()));
                Ok(true)
            },
        );
        assert!(ran.is_ok(), "{ran:?}");
        assert_eq!(seen, vec![(0, 20), (1, 20)]);
        assert_eq!(finest.load(Ordering::SeqCst), 2);
        assert_eq!(ctx.metrics().oom_retries, 2);
    }

    #[test]
    fn a_split_below_a_step_runs_that_step_per_part() {
        let ctx = ctx(2, 16);
        let point = pairs(&ctx).split_point(by_key);
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&calls);
        // A step between the split point and the splittable RDD sees only the part.
        let sorted_parts = point.map_partitions("sort", move |_, items| {
            seen.fetch_add(1, Ordering::SeqCst);
            let mut held = items.collect::<Result<Vec<_>>>()?;
            held.sort_unstable();
            Ok(Box::new(held.into_iter().map(Ok)) as PartitionIter<(u32, i64)>)
        });
        let finest = Arc::new(AtomicUsize::new(0));
        let sums = sorted_parts
            .map_partitions_split("sums", &point, sums_within(300, finest.clone()))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sums.collect().map(|v| v.len()).ok(), Some(40));
        // Each partition: the whole (fails), then two halves.
        assert_eq!(calls.load(Ordering::SeqCst), 2 * (1 + 2));
        assert_eq!(ctx.metrics().oom_retries, 2);

        // A split point outside the stage cannot serve.
        let other = ctx.parallelize(vec![(1u32, 1i64)], 1).split_point(by_key);
        let refused = sorted_parts.map_partitions_split("sums", &other, |_, items| Ok(items));
        assert!(matches!(refused, Err(RddError::Invalid(_))), "{refused:?}");
        let not_a_point = sorted_parts.map_partitions_split("sums", &sorted_parts, |_, i| Ok(i));
        assert!(matches!(not_a_point, Err(RddError::Invalid(_))));
    }

    #[test]
    fn a_task_that_never_fits_fails_after_the_finest_split() {
        let ctx = ctx(2, 8);
        let rdd =
            pairs(&ctx).map_partitions_splittable("sums", by_key, sums_within(10, Arc::default()));
        match rdd.collect() {
            Err(RddError::SplitLimit { rdd, parts, cause }) => {
                assert_eq!(parts, 8);
                assert!(rdd.starts_with("sums ["), "{rdd}");
                assert!(cause.is_resources_exhausted());
                assert!(cause.to_string().contains("; 10 fit"), "{cause}");
            }
            other => panic!("expected SplitLimit, got {other:?}"),
        }
        let error = rdd
            .collect()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            error.contains("pairs; 10 fit; splitting the input of sums ["),
            "{error}"
        );
        assert!(error.ends_with("] 8 ways did not make it fit"), "{error}");
        let m = ctx.metrics();
        assert!(m.oom_retries >= 3, "{m:?}");
        assert!(m.failed_attempts >= 1, "{m:?}");

        // With splitting off the first failure is the job's, as it is.
        ctx.set_max_split(1);
        let before = ctx.metrics();
        let error = rdd.collect().err();
        assert!(
            matches!(&error, Some(e @ RddError::User { .. }) if e.is_resources_exhausted()),
            "{error:?}"
        );
        assert_eq!(ctx.metrics().since(&before).oom_retries, 0);
    }

    #[test]
    fn a_failure_below_the_split_point_is_not_split() {
        let ctx = ctx(2, 16);
        let attempts = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&attempts);
        let rdd = ctx
            .parallelize((0..100u32).map(|i| (i, 1i64)).collect(), 2)
            .map_partitions("holds everything", move |_, _| {
                counted.fetch_add(1, Ordering::SeqCst);
                Err(RddError::resources_exhausted("below the split point"))
            })
            .map_partitions_splittable("sums", by_key, sums_within(usize::MAX, Arc::default()));
        let error = rdd.collect().err();
        assert!(
            matches!(&error, Some(e @ RddError::User { .. }) if e.to_string() == "below the split point"),
            "{error:?}"
        );
        assert_eq!(ctx.metrics().oom_retries, 0);
        assert!(attempts.load(Ordering::SeqCst) <= 2);
    }

    #[test]
    fn ordinary_failures_keep_their_retries_within_a_split() {
        let ctx = ctx(1, 16);
        let failed_once = Arc::new(AtomicUsize::new(0));
        let flag = Arc::clone(&failed_once);
        let sums = sums_within(300, Arc::default());
        let rdd = pairs(&ctx).map_partitions_splittable("sums", by_key, move |task, items| {
            // A transient fault in the second part of the first split.
            if task.input_part == Some(InputPart { part: 1, parts: 2 })
                && flag.fetch_add(1, Ordering::SeqCst) == 0
            {
                return Err(RddError::transient("disk hiccup"));
            }
            sums(task, items)
        });
        assert_eq!(rdd.collect().map(|v| v.len()).ok(), Some(40));
        let m = ctx.metrics();
        assert_eq!((m.oom_retries, m.failed_attempts), (2, 1), "{m:?}");
        // The transient retry kept the split: no third split was needed.
        let retried = ctx
            .task_log()
            .into_iter()
            .filter(|t| t.attempt == 1)
            .count();
        assert_eq!(retried, 1);
    }
}
