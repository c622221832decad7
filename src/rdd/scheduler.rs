//! The DAG scheduler: cuts a job's lineage into stages at shuffle
//! dependencies, runs each stage as one task per partition on the thread pool,
//! retries failed tasks and recomputes lost shuffle output from lineage.
//! Only transient failures are retried (a lost block, a panic, an injected fault,
//! I/O); a deterministic error (the closure says so) fails the job at once, as
//! itself.
//!
//! In: the final RDD of a job, the partitions wanted and a function over each
//! partition's items. Out: one result per partition, in the order asked, and
//! a record of every job, stage and task attempt in the metrics.
//!
//! A shuffle map stage runs only for the map partitions whose blocks are
//! missing, so a shuffle computed by an earlier job is reused while its blocks
//! exist, and a lost block costs exactly its map partition. No lock is held
//! while tasks run: jobs from several threads share the pool freely (two jobs
//! racing to compute the same shuffle may both compute it; the blocks agree).
//! Fault injection may fail an attempt before it runs (never the last one).
//! A task may run further stages inside its own job ([`DagScheduler::run_within`]),
//! for work whose shape depends on data seen only while the job runs (the rounds of
//! a recursive query): those stages count, and are logged, as the job's.
//!
//! A task that fails short of memory ([`Failure::ResourcesExhausted`]) inside a
//! splittable RDD ([`crate::rdd::split`]) runs again with that RDD's input split in
//! 2, then 4, 8, ... parts, up to the scheduler's split limit; these retries are
//! counted as `oom_retries`, not as failed attempts, and use none of the task's
//! attempts. The first such retry waits until the stage's other tasks are done (the
//! memory they held is then free), and the retries of a stage run one at a time.
//! Only when the finest split allowed still fails does the job fail
//! ([`RddError::SplitLimit`]).
//!
//! Every job has a [`CancelToken`]: the calling thread's current one (so all the jobs
//! of one statement share it), else its own. No task attempt starts once it is
//! cancelled, running tasks stop at their next item, and a cancelled job returns
//! [`RddError::Cancelled`] only after none of its tasks runs any more. Tasks run in
//! their job's cancel scope, so jobs they start are cancelled with it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rayon::prelude::*;

use crate::rdd::block_manager::BlockManager;
use crate::rdd::cancel::CancelToken;
use crate::rdd::dependency::{Dependency, ShuffleDependencyBase};
#[cfg(doc)]
use crate::rdd::error::Failure;
use crate::rdd::error::{RddError, Result};
use crate::rdd::faults::FaultInjector;
use crate::rdd::metrics::{
    JobRecord, Metrics, StageKind, StageRecord, TaskRecord, WorkTotals, add_totals,
};
use crate::rdd::progress::{JobProgress, ProgressCounters};
use crate::rdd::rdd::{Data, PartitionIter, RddBase, RddNode};
use crate::rdd::task::TaskContext;

/// A function run once per partition of a job's final RDD.
pub type JobFn<'a, T, U> = dyn Fn(&TaskContext, PartitionIter<T>) -> Result<U> + Send + Sync + 'a;

/// A task body: its output and the number of items it produced.
type TaskBody<'a, R> = dyn Fn(&TaskContext) -> Result<(R, usize)> + Sync + 'a;

/// Takes a job's per-partition results in partition order, on the calling thread;
/// `Ok(false)` stops the job (its reader wants no more).
pub type ResultSink<'a, U> = dyn FnMut(U) -> Result<bool> + 'a;

/// The job a stage runs for, and its running totals.
struct JobRun {
    job_id: usize,
    totals: Mutex<WorkTotals>,
    cancel: CancelToken,
    progress: Arc<ProgressCounters>,
    started: Instant,
}

/// Retries of a task after lost shuffle output that do not count as attempts.
const MAX_FETCH_RETRIES: usize = 16;

/// Default for the most parts a splittable task's input is split into.
pub const DEFAULT_MAX_SPLIT: usize = 16;

/// What a task has been through so far: carried from its run on the pool, among the
/// stage's other tasks, to a run of its own once they are done.
#[derive(Debug, Default)]
struct TaskState {
    /// Attempts used (transient failures).
    attempt: usize,
    /// Attempts run, retries of every kind included.
    tries: usize,
    /// Retries after lost shuffle output.
    fetch_retries: usize,
    /// Parts the input of each splittable RDD is split into, by RDD id.
    splits: BTreeMap<usize, usize>,
    /// The last failure.
    cause: Option<RddError>,
}

/// How a task's run ended when it did not fail.
enum TaskOutcome<R> {
    /// Its output.
    Done(R),
    /// It ran short of memory and should run again over a finer split of its input,
    /// after the stage's other tasks.
    Split(TaskState),
}

/// Turns jobs into stages and stages into tasks.
pub struct DagScheduler {
    /// `None` if the pool could not be built: tasks then run on the caller.
    pool: Option<rayon::ThreadPool>,
    /// Attempts per task; changeable between jobs.
    max_task_attempts: AtomicUsize,
    /// Most parts a splittable task's input is split into; changeable between jobs.
    max_split: AtomicUsize,
    block_manager: Arc<BlockManager>,
    metrics: Arc<Metrics>,
    faults: Arc<FaultInjector>,
    next_stage_id: AtomicUsize,
    /// Shuffles whose map stage completed once (so missing blocks are losses).
    computed_shuffles: Mutex<HashSet<usize>>,
    /// The jobs running now, for tasks that run stages inside their job.
    running_jobs: Mutex<HashMap<usize, Arc<JobRun>>>,
    /// Task attempts running now, on any thread.
    running_tasks: AtomicUsize,
}

impl DagScheduler {
    /// Attempts each task gets before its job fails.
    pub fn max_task_attempts(&self) -> usize {
        self.max_task_attempts.load(Ordering::Relaxed)
    }

    /// Changes the attempts each task gets (at least 1), for jobs started from now on.
    pub fn set_max_task_attempts(&self, attempts: usize) {
        self.max_task_attempts
            .store(attempts.max(1), Ordering::Relaxed);
    }

    /// Most parts a splittable task's input is split into when it runs short of
    /// memory (1: never split).
    pub fn max_split(&self) -> usize {
        self.max_split.load(Ordering::Relaxed)
    }

    /// Changes the most parts a splittable task's input is split into (at least 1).
    pub fn set_max_split(&self, parts: usize) {
        self.max_split.store(parts.max(1), Ordering::Relaxed);
    }

    /// A scheduler with its own pool of `threads` threads (at least 1),
    /// counting into `metrics` and failing attempts as `faults` says.
    pub fn new(
        threads: usize,
        max_task_attempts: usize,
        block_manager: Arc<BlockManager>,
        metrics: Arc<Metrics>,
        faults: Arc<FaultInjector>,
    ) -> Self {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .thread_name(|i| format!("ember-rdd-{i}"))
            // Deep lineages compute recursively, and tasks may run nested jobs.
            .stack_size(16 << 20)
            .build()
            .ok();
        DagScheduler {
            pool,
            max_task_attempts: AtomicUsize::new(max_task_attempts.max(1)),
            max_split: AtomicUsize::new(DEFAULT_MAX_SPLIT),
            block_manager,
            metrics,
            faults,
            next_stage_id: AtomicUsize::new(0),
            computed_shuffles: Mutex::new(HashSet::new()),
            running_jobs: Mutex::new(HashMap::new()),
            running_tasks: AtomicUsize::new(0),
        }
    }

    /// Cancels every running job (and so every job sharing a token with one).
    pub fn cancel_all(&self) {
        for job in self.running_jobs().values() {
            job.cancel.cancel();
        }
    }

    /// Task attempts running now.
    pub fn running_tasks(&self) -> usize {
        self.running_tasks.load(Ordering::Acquire)
    }

    /// The progress of each running job, oldest first.
    pub fn progress(&self) -> Vec<JobProgress> {
        let mut jobs: Vec<JobProgress> = self
            .running_jobs()
            .values()
            .map(|j| j.progress.snapshot(j.job_id, j.started.elapsed()))
            .collect();
        jobs.sort_by_key(|j| j.job_id);
        jobs
    }

    /// The counters and logs.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Runs `func` over the given partitions of `rdd`, after every shuffle it
    /// depends on has its map output; results come back in `partitions` order.
    pub fn run_job<T: Data, U: Send>(
        &self,
        rdd: &Arc<dyn RddNode<T>>,
        partitions: &[usize],
        func: &JobFn<'_, T, U>,
    ) -> Result<Vec<U>> {
        self.job(rdd, partitions, func, None)
    }

    /// As [`DagScheduler::run_job`], but each partition's result goes to `sink` in
    /// partition order as soon as it and those before it are done, and at most
    /// `window` result tasks are ahead of the sink at any time (so at most `window`
    /// results wait in memory). A sink returning `Ok(false)` cancels the rest.
    pub fn run_job_ordered<T: Data, U: Send>(
        &self,
        rdd: &Arc<dyn RddNode<T>>,
        partitions: &[usize],
        func: &JobFn<'_, T, U>,
        window: usize,
        sink: &mut ResultSink<'_, U>,
    ) -> Result<()> {
        self.job(rdd, partitions, func, Some((window.max(1), sink)))?;
        Ok(())
    }

    fn job<T: Data, U: Send>(
        &self,
        rdd: &Arc<dyn RddNode<T>>,
        partitions: &[usize],
        func: &JobFn<'_, T, U>,
        sink: Option<(usize, &mut ResultSink<'_, U>)>,
    ) -> Result<Vec<U>> {
        let job = Arc::new(JobRun {
            job_id: self.metrics.new_job(),
            totals: Mutex::new(WorkTotals::default()),
            cancel: CancelToken::under_current(None),
            progress: Arc::default(),
            started: Instant::now(),
        });
        let base = Arc::clone(rdd) as Arc<dyn RddBase>;
        let (stages, tasks) = self.stages_needed(&base);
        job.progress.plan(stages + 1, tasks + partitions.len());
        let start = self.metrics.elapsed();
        self.running_jobs().insert(job.job_id, Arc::clone(&job));
        let result = self.run_job_stages(&job, rdd, partitions, func, sink);
        self.running_jobs().remove(&job.job_id);
        self.metrics.log_job(JobRecord {
            job_id: job.job_id,
            totals: *job.totals.lock().unwrap_or_else(|e| e.into_inner()),
            start,
            end: self.metrics.elapsed(),
            succeeded: result.is_ok(),
        });
        result
    }

    /// Runs `func` over the given partitions of `rdd` as stages of the job `task`
    /// belongs to (called from inside that task): as [`DagScheduler::run_job`], but the
    /// stages count toward that job and no job of their own is started.
    pub fn run_within<T: Data, U: Send>(
        &self,
        task: &TaskContext,
        rdd: &Arc<dyn RddNode<T>>,
        partitions: &[usize],
        func: &JobFn<'_, T, U>,
    ) -> Result<Vec<U>> {
        let job = self.running_jobs().get(&task.job_id).cloned();
        let job = job.ok_or_else(|| {
            RddError::internal(format!(
                "stages asked for inside job {}, which is not running",
                task.job_id
            ))
        })?;
        self.run_job_stages(&job, rdd, partitions, func, None)
    }

    /// The shuffle map stages a job ending in `rdd` will run, and their tasks: each
    /// shuffle behind it whose map output is missing, once.
    fn stages_needed(&self, rdd: &Arc<dyn RddBase>) -> (usize, usize) {
        let mut seen = HashSet::new();
        let mut pending = stage_parents(rdd);
        let (mut stages, mut tasks) = (0, 0);
        while let Some(dep) = pending.pop() {
            if !seen.insert(dep.shuffle_id()) {
                continue;
            }
            let missing = self.block_manager.missing_map_outputs(
                dep.shuffle_id(),
                dep.num_map_partitions(),
                dep.num_reduce_partitions(),
            );
            if !missing.is_empty() {
                stages += 1;
                tasks += missing.len();
                pending.extend(stage_parents(&dep.parent()));
            }
        }
        (stages, tasks)
    }

    fn running_jobs(&self) -> std::sync::MutexGuard<'_, HashMap<usize, Arc<JobRun>>> {
        // Only inserts and removes happen under this lock, so a poisoned map is valid.
        self.running_jobs.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn run_job_stages<T: Data, U: Send>(
        &self,
        job: &JobRun,
        rdd: &Arc<dyn RddNode<T>>,
        partitions: &[usize],
        func: &JobFn<'_, T, U>,
        sink: Option<(usize, &mut ResultSink<'_, U>)>,
    ) -> Result<Vec<U>> {
        let n = rdd.num_partitions();
        if let Some(bad) = partitions.iter().find(|&&p| p >= n) {
            return Err(RddError::invalid(format!(
                "job asks for partition {bad} of {} [{}], which has {n}",
                rdd.name(),
                rdd.id()
            )));
        }
        let base = Arc::clone(rdd) as Arc<dyn RddBase>;
        let parents = stage_parents(&base);
        self.ensure_shuffles(job, &parents)?;
        let stage_id = self.new_stage();
        self.run_stage(
            job,
            stage_id,
            StageKind::Result,
            partitions,
            &base,
            &|task| {
                let trap = Arc::new(Trap::default());
                let items = Box::new(ErrorTrap {
                    inner: rdd.compute(task.partition, task)?,
                    trap: Arc::clone(&trap),
                });
                let out = func(task, items)?;
                // The function may have dropped an Err item instead of returning it.
                match trap.take_error() {
                    Some(error) => Err(error),
                    None => Ok((out, trap.rows.load(Ordering::Relaxed))),
                }
            },
            sink,
        )
    }

    /// Makes sure every shuffle in `deps` has its map output. Independent
    /// parent stages run concurrently, sharing the pool.
    fn ensure_shuffles(&self, job: &JobRun, deps: &[Arc<dyn ShuffleDependencyBase>]) -> Result<()> {
        match (deps, &self.pool) {
            ([], _) => Ok(()),
            ([dep], _) => self.ensure_shuffle(job, dep),
            (_, Some(pool)) => pool.install(|| {
                deps.par_iter()
                    .try_for_each(|dep| self.ensure_shuffle(job, dep))
            }),
            (_, None) => deps
                .iter()
                .try_for_each(|dep| self.ensure_shuffle(job, dep)),
        }
    }

    /// Makes sure every map output of `dep` is in the block manager, running
    /// (or re-running, for lost blocks) exactly the missing map partitions,
    /// after the shuffles they depend on.
    fn ensure_shuffle(&self, job: &JobRun, dep: &Arc<dyn ShuffleDependencyBase>) -> Result<()> {
        let shuffle = dep.shuffle_id();
        let missing = self.block_manager.missing_map_outputs(
            shuffle,
            dep.num_map_partitions(),
            dep.num_reduce_partitions(),
        );
        if missing.is_empty() {
            return Ok(());
        }
        let parent = dep.parent();
        let parents = stage_parents(&parent);
        self.ensure_shuffles(job, &parents)?;
        if self.computed_shuffles().contains(&shuffle) {
            self.metrics.recomputed(missing.len());
        }
        let stage_id = self.new_stage();
        self.run_stage(
            job,
            stage_id,
            StageKind::ShuffleMap { shuffle },
            &missing,
            &parent,
            &|task| Ok(((), dep.run_map_task(task.partition, task)?)),
            None,
        )?;
        self.computed_shuffles().insert(shuffle);
        Ok(())
    }

    fn computed_shuffles(&self) -> std::sync::MutexGuard<'_, HashSet<usize>> {
        // Only inserts happen under this lock, so a poisoned set is still valid.
        self.computed_shuffles
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn new_stage(&self) -> usize {
        self.metrics.stages(1);
        self.next_stage_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Runs one task per partition on the pool, and logs the stage. With a sink the
    /// results go to it in order (and none come back).
    #[allow(clippy::too_many_arguments)]
    fn run_stage<R: Send>(
        &self,
        job: &JobRun,
        stage_id: usize,
        kind: StageKind,
        partitions: &[usize],
        root: &Arc<dyn RddBase>,
        task: &TaskBody<'_, R>,
        sink: Option<(usize, &mut ResultSink<'_, R>)>,
    ) -> Result<Vec<R>> {
        job.cancel.check()?;
        let start = self.metrics.elapsed();
        job.progress.stage_started(partitions.len());
        let reads = stage_parents(root).iter().map(|d| d.shuffle_id()).collect();
        let totals = Mutex::new(WorkTotals {
            stages: 1,
            ..WorkTotals::default()
        });
        let run = |p: usize| {
            self.run_task(
                job,
                stage_id,
                p,
                root,
                task,
                &totals,
                TaskState::default(),
                false,
            )
        };
        let finish = |p: usize, state: TaskState| match self
            .run_task(job, stage_id, p, root, task, &totals, state, true)?
        {
            TaskOutcome::Done(out) => Ok(out),
            TaskOutcome::Split(_) => Err(RddError::internal("a task run alone was put off")),
        };
        let result: Result<Vec<R>> = match (&self.pool, sink) {
            (_, Some((window, sink))) => self
                .run_ordered(partitions, window, &run, &finish, &job.cancel, sink)
                .map(|()| Vec::new()),
            (Some(pool), None) => pool
                .install(|| {
                    partitions
                        .par_iter()
                        .map(|&p| run(p))
                        .collect::<Result<Vec<_>>>()
                })
                .and_then(|outcomes| {
                    // Tasks put off after running short of memory run now, one at a
                    // time, with the rest of the stage done.
                    outcomes
                        .into_iter()
                        .zip(partitions)
                        .map(|(outcome, &p)| match outcome {
                            TaskOutcome::Done(out) => Ok(out),
                            TaskOutcome::Split(state) => pool.install(|| finish(p, state)),
                        })
                        .collect()
                }),
            (None, None) => partitions
                .iter()
                .map(|&p| finish(p, TaskState::default()))
                .collect(),
        };
        if result.is_ok() {
            job.progress.stage_done();
        }
        let totals = *totals.lock().unwrap_or_else(|e| e.into_inner());
        add_totals(&job.totals, &totals);
        self.metrics.log_stage(StageRecord {
            job_id: job.job_id,
            stage_id,
            kind,
            totals,
            start,
            end: self.metrics.elapsed(),
            succeeded: result.is_ok(),
            reads,
        });
        result
    }

    /// Runs `run` for each of `partitions` on the pool, at most `window` ahead of the
    /// partition `sink` waits for, and gives `sink` the results in order on the
    /// calling thread. A task `run` puts off (short of memory) runs again through
    /// `finish` once no other task of the stage is running, and no new task starts
    /// until it is done. When the sink stops or a task fails, `cancel` stops the tasks
    /// still running; this returns after they have.
    fn run_ordered<R: Send>(
        &self,
        partitions: &[usize],
        window: usize,
        run: &(dyn Fn(usize) -> Result<TaskOutcome<R>> + Sync),
        finish: &(dyn Fn(usize, TaskState) -> Result<R> + Sync),
        cancel: &CancelToken,
        sink: &mut ResultSink<'_, R>,
    ) -> Result<()> {
        let Some(pool) = &self.pool else {
            for &p in partitions {
                if !sink(finish(p, TaskState::default())?)? {
                    break;
                }
            }
            return Ok(());
        };
        let (tx, rx) = std::sync::mpsc::channel::<(usize, Result<TaskOutcome<R>>)>();
        pool.in_place_scope(|scope| {
            let mut ready = BTreeMap::new();
            let mut put_off: BTreeMap<usize, TaskState> = BTreeMap::new();
            let (mut spawned, mut delivered, mut running) = (0, 0, 0);
            let mut deliver = || loop {
                if put_off.is_empty() {
                    while spawned < partitions.len() && spawned < delivered + window {
                        let (tx, at, p) = (tx.clone(), spawned, partitions[spawned]);
                        scope.spawn(move |_| {
                            // The receiver outlives the scope: a send cannot fail.
                            let _ = tx.send((at, run(p)));
                        });
                        spawned += 1;
                        running += 1;
                    }
                } else if running == 0
                    && let Some((at, state)) = put_off.pop_first()
                {
                    let (tx, p) = (tx.clone(), partitions[at]);
                    scope.spawn(move |_| {
                        let _ = tx.send((at, finish(p, state).map(TaskOutcome::Done)));
                    });
                    running += 1;
                }
                if delivered == partitions.len() {
                    return Ok(());
                }
                let (at, result) = rx
                    .recv()
                    .map_err(|_| RddError::internal("a result task vanished"))?;
                running -= 1;
                match result? {
                    TaskOutcome::Done(out) => {
                        ready.insert(at, out);
                    }
                    TaskOutcome::Split(state) => {
                        put_off.insert(at, state);
                    }
                }
                while let Some(result) = ready.remove(&delivered) {
                    delivered += 1;
                    if !sink(result)? {
                        cancel.cancel_because("its results were no longer read");
                        return Ok(());
                    }
                }
            };
            let outcome = deliver();
            if outcome.is_err() {
                // Stop the tasks still running before the scope waits for them.
                cancel.cancel_because("the job failed");
            }
            outcome
        })
    }

    /// Runs one task of the stage ending in `root`, retrying transient failures up
    /// to the attempt limit. Before each retry the stage's shuffle inputs are
    /// checked, so a task that failed on a lost block finds it recomputed. A
    /// deterministic error is returned as it is, after one attempt. A task short of
    /// memory in a splittable RDD runs again with that RDD's input split twice as
    /// finely: at once when `alone`, else it is put off (returned as
    /// [`TaskOutcome::Split`]) to run after the stage's other tasks.
    #[allow(clippy::too_many_arguments)]
    fn run_task<R>(
        &self,
        job: &JobRun,
        stage_id: usize,
        partition: usize,
        root: &Arc<dyn RddBase>,
        task: &TaskBody<'_, R>,
        stage_totals: &Mutex<WorkTotals>,
        mut state: TaskState,
        alone: bool,
    ) -> Result<TaskOutcome<R>> {
        if state.tries == 0 {
            self.metrics.tasks(1);
            add_totals(
                stage_totals,
                &WorkTotals {
                    tasks: 1,
                    ..WorkTotals::default()
                },
            );
        }
        let max_attempts = self.max_task_attempts();
        while state.attempt < max_attempts {
            state.tries += 1;
            if state.tries > 1 {
                // Walk the whole lineage again, through cached RDDs too: a cached
                // partition may vanish while the attempt runs, and then the shuffle
                // output it hid must be there to recompute it from.
                self.ensure_shuffles(job, &walk_shuffles(root, false))?;
            }
            job.cancel.check()?;
            self.metrics.attempts(1);
            let attempt = state.attempt;
            let context = TaskContext::new(job.job_id, stage_id, partition, attempt, max_attempts)
                .with_cancel(job.cancel.clone())
                .with_progress(Arc::clone(&job.progress))
                .with_splits(state.splits.clone())
                .with_run(state.tries);
            let start = self.metrics.elapsed();
            let _running = RunningTask::new(&self.running_tasks);
            let outcome = if self.faults.should_fail_task(&context) {
                self.metrics.injected_failures(1);
                Err(RddError::InjectedFailure {
                    stage: stage_id,
                    partition,
                    attempt,
                })
            } else {
                match catch_unwind(AssertUnwindSafe(|| job.cancel.scope(|| task(&context)))) {
                    Ok(result) => result,
                    Err(panic) => Err(RddError::Panicked(panic_message(&*panic))),
                }
            };
            let rows = outcome.as_ref().map_or(0, |(_, rows)| *rows);
            self.metrics.log_task(TaskRecord {
                job_id: job.job_id,
                stage_id,
                partition,
                attempt,
                start,
                end: self.metrics.elapsed(),
                rows,
                succeeded: outcome.is_ok(),
                error: outcome.as_ref().err().map(|e| e.to_string()),
                worker: rayon::current_thread_index(),
            });
            let error = match outcome {
                Ok((out, rows)) => {
                    job.progress.task_done();
                    let work = WorkTotals {
                        attempts: 1,
                        rows,
                        ..WorkTotals::default()
                    };
                    add_totals(stage_totals, &work);
                    return Ok(TaskOutcome::Done(out));
                }
                Err(error) => error,
            };
            let error = match self.split_further(&context, error, &mut state) {
                Ok(()) => {
                    self.metrics.oom_retries(1);
                    let work = WorkTotals {
                        attempts: 1,
                        oom_retries: 1,
                        ..WorkTotals::default()
                    };
                    add_totals(stage_totals, &work);
                    if alone {
                        continue;
                    }
                    return Ok(TaskOutcome::Split(state));
                }
                Err(error) => error,
            };
            let work = WorkTotals {
                attempts: 1,
                failed_attempts: 1,
                ..WorkTotals::default()
            };
            add_totals(stage_totals, &work);
            self.metrics.failed_attempts(1);
            match &error {
                // As in Spark, a read of lost shuffle output is not the task's fault: the
                // retry recomputes the missing map outputs first, and does not use up one
                // of the task's attempts (up to a bound, so a block that keeps vanishing
                // still fails the job).
                RddError::FetchFailed { .. } if state.fetch_retries < MAX_FETCH_RETRIES => {
                    state.fetch_retries += 1;
                }
                e if e.is_transient() => state.attempt += 1,
                // Running the task again would fail the same way.
                _ => return Err(error),
            }
            state.cause = Some(error);
        }
        Err(RddError::TaskFailed {
            stage: stage_id,
            task: partition,
            attempts: max_attempts,
            cause: Box::new(
                state
                    .cause
                    .unwrap_or_else(|| RddError::internal("a task ran no attempt")),
            ),
        })
    }

    /// When `error` is one of running short of memory inside a splittable RDD of the
    /// attempt (`context`), splits that RDD's input twice as finely for the next
    /// attempt, or fails with [`RddError::SplitLimit`] when it is already split as
    /// finely as allowed. Any other error comes back as it is.
    fn split_further(
        &self,
        context: &TaskContext,
        error: RddError,
        state: &mut TaskState,
    ) -> Result<(), RddError> {
        if !error.is_resources_exhausted() {
            return Err(error);
        }
        let Some((rdd, name)) = context.split_tracker().owner() else {
            return Err(error);
        };
        let parts = state.splits.get(&rdd).copied().unwrap_or(1);
        let next = parts.saturating_mul(2).min(self.max_split());
        if next > parts {
            state.splits.insert(rdd, next);
            state.cause = Some(error);
            return Ok(());
        }
        if parts == 1 {
            // Splitting is off.
            return Err(error);
        }
        Err(RddError::SplitLimit {
            rdd: name,
            parts,
            cause: Box::new(error),
        })
    }
}

/// Counts a task attempt as running while it lives.
struct RunningTask<'a>(&'a AtomicUsize);

impl<'a> RunningTask<'a> {
    fn new(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::AcqRel);
        RunningTask(count)
    }
}

impl Drop for RunningTask<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The shuffle dependencies reachable from `rdd` through narrow dependencies
/// only: the parent stages of the stage `rdd` ends. Each shuffle appears once.
pub fn shuffle_dependencies(rdd: &Arc<dyn RddBase>) -> Vec<Arc<dyn ShuffleDependencyBase>> {
    walk_shuffles(rdd, false)
}

/// The shuffles a stage ending in `rdd` must have before its tasks run: as
/// [`shuffle_dependencies`], but the walk stops at a persisted RDD whose
/// partitions are all stored, since tasks read those instead of computing
/// the lineage behind them.
fn stage_parents(rdd: &Arc<dyn RddBase>) -> Vec<Arc<dyn ShuffleDependencyBase>> {
    walk_shuffles(rdd, true)
}

fn walk_shuffles(
    rdd: &Arc<dyn RddBase>,
    stop_at_cached: bool,
) -> Vec<Arc<dyn ShuffleDependencyBase>> {
    let mut visited = HashSet::new();
    let mut seen_shuffles = HashSet::new();
    let mut found = Vec::new();
    let mut stack = vec![Arc::clone(rdd)];
    while let Some(node) = stack.pop() {
        if !visited.insert(node.id()) || (stop_at_cached && node.is_fully_cached()) {
            continue;
        }
        for dep in node.dependencies() {
            match dep {
                Dependency::Narrow(narrow) => stack.push(Arc::clone(narrow.rdd())),
                Dependency::Shuffle(shuffle) => {
                    if seen_shuffles.insert(shuffle.shuffle_id()) {
                        found.push(shuffle);
                    }
                }
            }
        }
    }
    found
}

/// The text of a panic payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_string()
    }
}

/// What an [`ErrorTrap`] saw: a copy of the first error, and the items passed.
#[derive(Default)]
struct Trap {
    first_error: Mutex<Option<RddError>>,
    rows: AtomicUsize,
}

impl Trap {
    fn take_error(&self) -> Option<RddError> {
        // Only whole values are stored under this lock, so a poisoned one is valid.
        self.first_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }
}

/// Passes items through, counting them and keeping a copy of the first error
/// so the task fails even if the job function skipped over it.
struct ErrorTrap<T> {
    inner: PartitionIter<T>,
    trap: Arc<Trap>,
}

impl<T> Iterator for ErrorTrap<T> {
    type Item = Result<T>;
    fn next(&mut self) -> Option<Result<T>> {
        let item = self.inner.next()?;
        match &item {
            Ok(_) => {
                self.trap.rows.fetch_add(1, Ordering::Relaxed);
            }
            Err(error) => {
                let mut first = self
                    .trap
                    .first_error
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                if first.is_none() {
                    *first = Some(error.duplicate());
                }
            }
        }
        Some(item)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use crate::rdd::error::{RddError, Result};
    use crate::rdd::{BlockId, PartitionIter, RddConfig, RddContext, TaskContext};

    fn ctx(threads: usize) -> Arc<RddContext> {
        RddContext::new(RddConfig {
            threads,
            max_task_attempts: 4,
            ..RddConfig::default()
        })
    }

    fn sums(pairs: Vec<(u32, i64)>) -> BTreeMap<u32, i64> {
        let mut out = BTreeMap::new();
        for (k, v) in pairs {
            *out.entry(k).or_insert(0) += v;
        }
        out
    }

    #[test]
    fn two_shuffles_make_three_stages_and_map_outputs_are_reused() {
        let ctx = ctx(4);
        let data: Vec<(u32, i64)> = (0..1000).map(|i| (i % 13, i as i64)).collect();
        let expected = sums(data.iter().map(|(k, v)| (k % 5, *v)).collect());
        let result = ctx
            .parallelize(data, 6)
            .reduce_by_key(|a, b| a + b, 4) // shuffle 1
            .map(|(k, v)| (k % 5, v))
            .reduce_by_key(|a, b| a + b, 3); // shuffle 2
        let before = ctx.metrics();
        let got = sums(result.collect().unwrap_or_default());
        assert_eq!(got, expected);
        let used = ctx.metrics().since(&before);
        assert_eq!(used.jobs, 1);
        assert_eq!(used.stages, 3);
        assert_eq!(used.tasks, 6 + 4 + 3);
        assert_eq!(used.task_attempts, used.tasks);
        assert_eq!(used.failed_attempts, 0);

        // A second job over the same lineage reuses both shuffles' blocks.
        let before = ctx.metrics();
        assert_eq!(result.count().ok(), Some(5));
        let used = ctx.metrics().since(&before);
        assert_eq!((used.stages, used.tasks), (1, 3));
    }

    #[test]
    fn independent_parent_stages_both_run_before_the_zip() {
        let ctx = ctx(4);
        let partitioner = |x: u64, n: usize| Ok(vec![((x % n as u64) as usize, x)]);
        let left = ctx
            .parallelize((0..500u64).collect(), 5)
            .shuffle("left", 3, partitioner);
        let right = ctx
            .parallelize((0..500u64).map(|x| x * 10).collect(), 2)
            .shuffle("right", 3, partitioner);
        let zipped = left
            .zip_partitions(&right, "sum sides", |_, l, r| {
                let total = l.chain(r).try_fold(0u64, |acc, x| x.map(|x| acc + x))?;
                Ok(Box::new(std::iter::once(Ok(total))) as PartitionIter<u64>)
            })
            .and_then(|rdd| rdd.collect())
            .unwrap_or_default();
        let expected: Vec<u64> = (0..3u64)
            .map(|p| (0..500u64).filter(|x| x % 3 == p).map(|x| x * 11).sum())
            .collect();
        assert_eq!(zipped, expected);
        let m = ctx.metrics();
        assert_eq!((m.stages, m.tasks), (3, 5 + 2 + 3));
    }

    #[test]
    fn failed_attempt_is_retried() {
        let ctx = ctx(2);
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&calls);
        let rdd = ctx.source("flaky", 3, move |p, task| {
            if p == 1 && seen.fetch_add(1, Ordering::SeqCst) == 0 {
                assert_eq!(task.attempt, 0);
                return Err(RddError::transient("transient read error"));
            }
            Ok(Box::new((0..3).map(move |i| Ok(p * 10 + i))) as PartitionIter<usize>)
        });
        assert_eq!(
            rdd.collect().unwrap_or_default(),
            vec![0, 1, 2, 10, 11, 12, 20, 21, 22]
        );
        let m = ctx.metrics();
        assert_eq!((m.tasks, m.task_attempts, m.failed_attempts), (3, 4, 1));
    }

    #[test]
    fn job_fails_after_max_attempts_naming_the_cause() {
        let ctx = ctx(2);
        let rdd = ctx
            .parallelize(vec![1, 2, 3, 4], 2)
            .map_partitions("broken", |task, items| {
                if task.partition == 1 {
                    return Err(RddError::transient("disk on fire"));
                }
                Ok(items)
            });
        match rdd.collect() {
            Err(RddError::TaskFailed {
                task,
                attempts,
                cause,
                ..
            }) => {
                assert_eq!(task, 1);
                assert_eq!(attempts, 4);
                assert!(cause.to_string().contains("disk on fire"), "{cause}");
            }
            other => panic!("expected TaskFailed, got {other:?}"),
        }
        assert_eq!(ctx.metrics().failed_attempts, 4);
    }

    #[test]
    fn deterministic_error_fails_the_job_at_once_as_itself() {
        let ctx = ctx(2);
        let rdd = ctx.parallelize(vec![1, 2, 3, 4], 2).map_partitions(
            "divides by zero",
            |task, items| {
                if task.partition == 1 {
                    return Err(RddError::deterministic(std::fmt::Error));
                }
                Ok(items)
            },
        );
        let before = ctx.metrics();
        match rdd.collect() {
            Err(RddError::User { error, failure }) => {
                assert_eq!(failure, crate::rdd::Failure::Deterministic);
                // The closure's own error comes back, not a copy or a wrapper.
                assert!(error.downcast::<std::fmt::Error>().is_ok());
            }
            other => panic!("expected the closure's error, got {other:?}"),
        }
        let used = ctx.metrics().since(&before);
        // Partition 1 ran once; partition 0 ran at most once.
        assert!(used.task_attempts <= 2, "{used:?}");
        assert_eq!(used.failed_attempts, 1, "{used:?}");
        let failed: Vec<_> = ctx
            .task_log()
            .into_iter()
            .filter(|t| t.partition == 1)
            .collect();
        assert_eq!(failed.len(), 1, "{failed:?}");
    }

    #[test]
    fn skipped_error_item_keeps_its_classification() {
        let ctx = ctx(1);
        let rdd = ctx.source("bad row", 1, |_, _| {
            let items: Vec<Result<i32>> = vec![Ok(1), Err(RddError::deterministic("bad row 2"))];
            Ok(Box::new(items.into_iter()) as PartitionIter<i32>)
        });
        let out = ctx.run_job(&rdd, |_, items| Ok(items.filter_map(|r| r.ok()).count()));
        match out {
            Err(error @ RddError::User { .. }) => {
                assert!(!error.is_transient());
                assert_eq!(error.to_string(), "bad row 2");
            }
            other => panic!("expected the row's error, got {other:?}"),
        }
        assert_eq!(ctx.metrics().task_attempts, 1);
    }

    #[test]
    fn panic_in_task_is_caught_and_retried() {
        let ctx = ctx(2);
        let rdd = ctx
            .parallelize((0..8).collect::<Vec<i32>>(), 4)
            .map_partitions("panics once", |task, items| {
                if task.partition == 2 && task.attempt == 0 {
                    panic!("boom in partition 2");
                }
                Ok(items)
            });
        assert_eq!(
            rdd.collect().unwrap_or_default(),
            (0..8).collect::<Vec<_>>()
        );
        assert_eq!(ctx.metrics().failed_attempts, 1);

        let always = ctx
            .parallelize(vec![1], 1)
            .map(|_: i32| -> i32 { panic!("always boom") });
        let error = always
            .count()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("always boom"), "{error}");
    }

    #[test]
    fn error_items_fail_the_task_even_if_skipped() {
        let ctx = ctx(2);
        let rdd = ctx.source("bad rows", 2, |p, _| {
            let items: Vec<Result<i32>> = if p == 1 {
                vec![Ok(1), Err(RddError::transient("row 2 is malformed")), Ok(3)]
            } else {
                vec![Ok(0)]
            };
            Ok(Box::new(items.into_iter()) as PartitionIter<i32>)
        });
        // This job function ignores errors; the scheduler must not.
        let out = ctx.run_job(&rdd, |_, items| Ok(items.filter_map(|r| r.ok()).count()));
        match out {
            Err(RddError::TaskFailed { task, cause, .. }) => {
                assert_eq!(task, 1);
                assert!(cause.to_string().contains("row 2 is malformed"), "{cause}");
            }
            other => panic!("expected TaskFailed, got {other:?}"),
        }
    }

    #[test]
    fn missing_shuffle_block_fails_the_read() {
        let ctx = ctx(1);
        let shuffled = ctx
            .parallelize(vec![1, 2, 3], 2)
            .shuffle("s", 2, |x, n| Ok(vec![(x % n, x)]));
        let task = TaskContext::new(0, 0, 0, 0, 1);
        let error = shuffled
            .node()
            .compute(0, &task)
            .err()
            .map(|e| e.to_string());
        assert!(
            error
                .as_deref()
                .unwrap_or_default()
                .contains("shuffle block missing"),
            "{error:?}"
        );
    }

    #[test]
    fn lost_shuffle_block_is_recomputed_from_lineage() {
        let ctx = ctx(3);
        let data: Vec<(u32, i64)> = (0..300).map(|i| (i % 7, 1)).collect();
        let expected = sums(data.clone());
        let counts = ctx.parallelize(data, 4).reduce_by_key(|a, b| a + b, 3);
        assert_eq!(sums(counts.collect().unwrap_or_default()), expected);
        let blocks = ctx.block_manager().len();
        assert_eq!(blocks, 4 * 3);

        // Lose one block of map partition 1.
        let shuffles = counts.shuffle_dependencies();
        let shuffle = shuffles
            .first()
            .map(|s| s.shuffle_id())
            .unwrap_or(usize::MAX);
        assert_eq!(shuffles.len(), 1);
        assert!(ctx.lose_shuffle_block(shuffle, 1, 2));
        assert!(!ctx.lose_shuffle_block(shuffle, 1, 2));
        let before = ctx.metrics();
        assert_eq!(sums(counts.collect().unwrap_or_default()), expected);
        let used = ctx.metrics().since(&before);
        assert_eq!(used.recomputed_partitions, 1);
        assert_eq!(used.stages, 2);
        assert_eq!(used.tasks, 1 + 3);
        assert_eq!(ctx.block_manager().len(), blocks);
    }

    #[test]
    fn block_lost_during_a_job_is_recomputed_before_the_retry() {
        let ctx = ctx(2);
        let bm = Arc::clone(ctx.block_manager());
        let data: Vec<(u32, i64)> = (0..100).map(|i| (i % 5, i as i64)).collect();
        let expected = sums(data.clone());
        let lost = Arc::new(AtomicUsize::new(0));
        let sums_rdd = ctx
            .parallelize(data, 3)
            .reduce_by_key(|a, b| a + b, 2)
            .map_partitions("loses a block", move |task, items| {
                // A fetch failure does not use up an attempt, so the retry is attempt 0 too.
                if task.partition == 0 && lost.fetch_add(1, Ordering::SeqCst) == 0 {
                    bm.remove_block(BlockId::Shuffle {
                        shuffle: 0,
                        map: 2,
                        reduce: 0,
                    });
                    return Err(RddError::FetchFailed {
                        shuffle: 0,
                        map: 2,
                        reduce: 0,
                    });
                }
                Ok(items)
            });
        assert_eq!(sums(sums_rdd.collect().unwrap_or_default()), expected);
        let m = ctx.metrics();
        assert_eq!(m.recomputed_partitions, 1);
        assert_eq!(m.failed_attempts, 1);
        let retried: Vec<_> = ctx
            .task_log()
            .into_iter()
            .filter(|t| t.partition == 0 && t.error.is_none() && t.stage_id == 1)
            .map(|t| t.attempt)
            .collect();
        assert_eq!(
            retried,
            vec![0],
            "the retry after a lost block is still attempt 0"
        );
    }

    #[test]
    fn jobs_from_two_threads_share_one_context() {
        let ctx = ctx(3);
        let shared = ctx
            .parallelize((0..2000u32).map(|i| (i % 11, 1i64)).collect(), 5)
            .reduce_by_key(|a, b| a + b, 4);
        let expected_shared = sums((0..2000u32).map(|i| (i % 11, 1i64)).collect());
        let handles: Vec<_> = (0..2u32)
            .map(|t| {
                let ctx = Arc::clone(&ctx);
                let shared = shared.clone();
                let expected_shared = expected_shared.clone();
                std::thread::spawn(move || {
                    let data: Vec<(u32, i64)> = (0..3000)
                        .map(|i| ((i + t) % 17, (i * (t + 1)) as i64))
                        .collect();
                    let expected = sums(data.clone());
                    let own = ctx.parallelize(data, 6).reduce_by_key(|a, b| a + b, 3);
                    let mut ok = true;
                    for _ in 0..5 {
                        ok &= sums(own.collect().unwrap_or_default()) == expected;
                        ok &= sums(shared.collect().unwrap_or_default()) == expected_shared;
                    }
                    ok
                })
            })
            .collect();
        for handle in handles {
            assert_eq!(handle.join().ok(), Some(true));
        }
        assert_eq!(ctx.metrics().jobs, 20);
    }

    #[test]
    fn a_task_may_run_a_nested_job() {
        let ctx = ctx(2);
        let inner_ctx = Arc::clone(&ctx);
        let rdd = ctx.parallelize(vec![1usize, 2, 3], 3).map(move |x| {
            let inner = inner_ctx.parallelize((0..x).collect::<Vec<_>>(), 2);
            inner.count().unwrap_or(usize::MAX)
        });
        assert_eq!(rdd.collect().unwrap_or_default(), vec![1, 2, 3]);
    }

    #[test]
    fn stages_run_within_a_task_belong_to_its_job() {
        let ctx = ctx(2);
        let inner_ctx = Arc::clone(&ctx);
        let rdd = ctx.source("rounds", 1, move |_, task| {
            // Two rounds, each a shuffle and a result stage, inside this task's job.
            let mut total = 0;
            for round in 1..=2u32 {
                let data: Vec<(u32, i64)> = (0..10).map(|i| (i % 3, i64::from(round))).collect();
                let sums = inner_ctx
                    .parallelize(data, 2)
                    .reduce_by_key(|a, b| a + b, 2);
                let parts = inner_ctx.run_within_task(task, &sums, |_, mut items| {
                    items.try_fold(0i64, |acc, kv| kv.map(|(_, v)| acc + v))
                })?;
                total += parts.into_iter().sum::<i64>();
            }
            Ok(Box::new(std::iter::once(Ok(total))) as PartitionIter<i64>)
        });
        assert_eq!(rdd.collect().ok(), Some(vec![10 + 20]));
        let m = ctx.metrics();
        assert_eq!((m.jobs, m.stages), (1, 1 + 2 * 2));
        let stages = ctx.stage_log();
        assert_eq!(stages.len(), 5);
        assert!(stages.iter().all(|s| s.job_id == 0), "{stages:?}");
        let job = ctx.job_log();
        assert_eq!(job.first().map(|j| j.totals.stages), Some(5));

        // Outside a running job there is no job to run stages in.
        let orphan = TaskContext::new(99, 0, 0, 0, 1);
        let out = ctx.run_within_task(&orphan, &ctx.parallelize(vec![1], 1), |_, items| {
            Ok(items.count())
        });
        assert!(matches!(out, Err(RddError::Internal(_))), "{out:?}");
    }

    #[test]
    fn out_of_range_partition_is_an_error() {
        let ctx = ctx(1);
        let rdd = ctx.parallelize(vec![1], 2);
        let out = ctx.run_job_on_partitions(&rdd, &[1, 2], |_, items| Ok(items.count()));
        assert!(matches!(out, Err(RddError::Invalid(_))));
    }
}
