//! Fault injection, to exercise retries and recovery from lineage.
//!
//! In: a [`FaultConfig`] (rates and a seed), settable while jobs run.
//! Out: decisions "fail this task attempt" and "lose this block now", drawn
//! from a small deterministic PRNG keyed by the seed and the attempt (stage,
//! partition, attempt number) or the block (id, how often it was read), so a
//! run with the same seed makes the same decisions as long as stage ids are
//! handed out in the same order (one job at a time; concurrent jobs, and
//! independent parent stages that run side by side, may swap stage ids). Two guards keep injected faults from failing a job for good:
//! the last attempt of a task is never failed or robbed of a block, and a
//! block is lost by injection at most [`MAX_INJECTED_LOSSES_PER_BLOCK`] times.

use std::sync::{Mutex, RwLock};

use hashbrown::HashMap;

use crate::rdd::block_manager::BlockId;
use crate::rdd::task::TaskContext;

/// How many times injection may lose the same block; later reads keep it.
pub const MAX_INJECTED_LOSSES_PER_BLOCK: u32 = 2;

/// What faults to inject; the default injects none.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FaultConfig {
    /// Share (0..=1) of task attempts that fail with "injected task failure"
    /// before running (never the last attempt of a task).
    pub task_failure_rate: f64,
    /// Share (0..=1) of cached and shuffle block reads that find the block
    /// gone (it is removed just before the read).
    pub block_loss_rate: f64,
    /// Seed of the decisions.
    pub seed: u64,
}

impl FaultConfig {
    /// Whether any fault can be injected.
    pub fn is_active(&self) -> bool {
        self.task_failure_rate > 0.0 || self.block_loss_rate > 0.0
    }
}

/// The live fault settings and per-block loss counts of one context.
#[derive(Debug, Default)]
pub struct FaultInjector {
    config: RwLock<FaultConfig>,
    /// Per block: reads seen while loss injection was on, and losses injected.
    block_reads: Mutex<HashMap<BlockId, (u64, u32)>>,
}

impl FaultInjector {
    /// An injector with the given settings.
    pub fn new(config: FaultConfig) -> Self {
        FaultInjector {
            config: RwLock::new(config),
            block_reads: Mutex::new(HashMap::new()),
        }
    }

    /// The current settings.
    pub fn config(&self) -> FaultConfig {
        // A FaultConfig is Copy and written whole, so a poisoned lock holds a valid one.
        *self.config.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Replaces the settings (running jobs see them from their next decision).
    pub fn set(&self, config: FaultConfig) {
        *self.config.write().unwrap_or_else(|e| e.into_inner()) = config;
    }

    /// Whether this task attempt should fail before it runs.
    pub fn should_fail_task(&self, task: &TaskContext) -> bool {
        self.task_draw(task, 1, None)
    }

    /// Whether a running task attempt should fail at `point`, a place in its work it
    /// names itself (say, after writing its output but before publishing it), so
    /// that failures in the middle of a task are exercised too. A draw independent of
    /// [`FaultInjector::should_fail_task`] at the same rate; never the last attempt.
    pub fn should_fail_at(&self, task: &TaskContext, point: u64) -> bool {
        self.task_draw(task, 4, Some(point))
    }

    /// A draw at the task failure rate for this attempt, keyed by `kind` (and `point`,
    /// when given); never true for the last attempt.
    fn task_draw(&self, task: &TaskContext, kind: u64, point: Option<u64>) -> bool {
        let config = self.config();
        if config.task_failure_rate <= 0.0 || task.is_last_attempt() {
            return false;
        }
        let key = [
            kind,
            task.stage_id as u64,
            task.partition as u64,
            task.attempt as u64,
            point.unwrap_or(0),
        ];
        // Task draws keep their four-part key; a point is a fifth part.
        let len = if point.is_some() { 5 } else { 4 };
        unit(config.seed, &key[..len]) < config.task_failure_rate
    }

    /// Whether block `id`, about to be read by `task`, should be lost now.
    pub fn should_lose_block(&self, id: BlockId, task: &TaskContext) -> bool {
        let config = self.config();
        if config.block_loss_rate <= 0.0 || task.is_last_attempt() {
            return false;
        }
        let mut reads = self.block_reads.lock().unwrap_or_else(|e| e.into_inner());
        let entry = reads.entry(id).or_insert((0, 0));
        entry.0 += 1;
        if entry.1 >= MAX_INJECTED_LOSSES_PER_BLOCK {
            return false;
        }
        let key = match id {
            BlockId::Shuffle {
                shuffle,
                map,
                reduce,
            } => [2, shuffle as u64, map as u64, reduce as u64, entry.0],
            BlockId::Rdd { rdd, partition } => [3, rdd as u64, partition as u64, 0, entry.0],
        };
        let lose = unit(config.seed, &key) < config.block_loss_rate;
        if lose {
            entry.1 += 1;
        }
        lose
    }
}

impl FaultInjector {
    /// Forgets the read counts of a shuffle's blocks (the shuffle is gone).
    pub fn forget_shuffle(&self, shuffle: usize) {
        self.forget(|id| matches!(id, BlockId::Shuffle { shuffle: s, .. } if *s == shuffle));
    }

    /// Forgets the read counts of an RDD's cached blocks (it is unpersisted).
    pub fn forget_rdd(&self, rdd: usize) {
        self.forget(|id| matches!(id, BlockId::Rdd { rdd: r, .. } if *r == rdd));
    }

    fn forget(&self, matches: impl Fn(&BlockId) -> bool) {
        let mut reads = self.block_reads.lock().unwrap_or_else(|e| e.into_inner());
        if !reads.is_empty() {
            reads.retain(|id, _| !matches(id));
        }
    }
}

/// SplitMix64's finalizer: a well-mixed 64-bit hash of `x`.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A number in [0, 1) determined by the seed and the key.
fn unit(seed: u64, key: &[u64]) -> f64 {
    let h = key.iter().fold(mix(seed), |h, &k| mix(h ^ k));
    (h >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(stage: usize, partition: usize, attempt: usize) -> TaskContext {
        TaskContext::new(0, stage, partition, attempt, 4)
    }

    #[test]
    fn decisions_are_reproducible_and_near_the_rate() {
        let config = FaultConfig {
            task_failure_rate: 0.3,
            block_loss_rate: 0.0,
            seed: 42,
        };
        let a = FaultInjector::new(config);
        let b = FaultInjector::new(config);
        let mut failed = 0;
        for p in 0..1000 {
            let t = task(p % 7, p, p % 3);
            assert_eq!(a.should_fail_task(&t), b.should_fail_task(&t));
            failed += usize::from(a.should_fail_task(&t));
        }
        assert!((200..400).contains(&failed), "{failed}");
        // The last attempt never fails by injection.
        a.set(FaultConfig {
            task_failure_rate: 1.0,
            ..config
        });
        assert!(a.should_fail_task(&task(0, 0, 2)));
        assert!(!a.should_fail_task(&task(0, 0, 3)));
        assert!(a.should_fail_at(&task(0, 0, 2), 1));
        assert!(!a.should_fail_at(&task(0, 0, 3), 1));
    }

    #[test]
    fn a_block_is_lost_a_bounded_number_of_times() {
        let injector = FaultInjector::new(FaultConfig {
            task_failure_rate: 0.0,
            block_loss_rate: 1.0,
            seed: 7,
        });
        let id = BlockId::Rdd {
            rdd: 1,
            partition: 2,
        };
        let losses = (0..10)
            .filter(|_| injector.should_lose_block(id, &task(0, 0, 0)))
            .count();
        assert_eq!(losses, MAX_INJECTED_LOSSES_PER_BLOCK as usize);
        let other = BlockId::Rdd {
            rdd: 1,
            partition: 3,
        };
        assert!(!injector.should_lose_block(other, &task(0, 0, 3)));
        assert!(!FaultConfig::default().is_active());
    }

    use std::collections::BTreeMap;
    use std::sync::Arc;

    use crate::rdd::{RddConfig, RddContext};

    /// Word count, cached, then sorted by count: three shuffles and a cache.
    fn word_count_sorted(ctx: &Arc<RddContext>) -> Vec<(String, usize)> {
        let lines: Vec<String> = (0..400)
            .map(|i| format!("w{} w{} w{} common", i % 13, i % 29, (i * 7) % 41))
            .collect();
        let counts = ctx
            .parallelize(lines, 6)
            .flat_map(|l| l.split(' ').map(str::to_string).collect::<Vec<_>>())
            .map(|w| (w, 1usize))
            .reduce_by_key(|a, b| a + b, 5)
            .cache();
        let sorted = counts
            .sort_by(|(w, n)| (usize::MAX - n, w.clone()), true, 4)
            .and_then(|r| r.collect());
        let total = counts.map(|(_, n)| n).fold(0, |a, b| a + b);
        assert_eq!(total.ok(), Some(1600));
        sorted.unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn jobs_survive_injected_task_failures_and_block_losses() {
        let clean = RddContext::new(RddConfig::default());
        let expected = word_count_sorted(&clean);
        assert_eq!(
            expected.first().map(|(w, n)| (w.as_str(), *n)),
            Some(("common", 400))
        );
        let mut check: BTreeMap<String, usize> = BTreeMap::new();
        for (w, n) in &expected {
            *check.entry(w.clone()).or_insert(0) += n;
        }
        assert_eq!(check.len(), expected.len());

        for seed in 0..4 {
            let ctx = RddContext::new(RddConfig {
                threads: 3,
                faults: FaultConfig {
                    task_failure_rate: 0.3,
                    block_loss_rate: 0.2,
                    seed,
                },
                ..RddConfig::default()
            });
            assert_eq!(word_count_sorted(&ctx), expected, "seed {seed}");
            let m = ctx.metrics();
            assert!(m.failed_attempts > 0, "seed {seed}: {m:?}");
            assert!(m.injected_task_failures > 0, "seed {seed}: {m:?}");
            assert!(m.injected_block_losses > 0, "seed {seed}: {m:?}");
            assert!(m.recomputed_partitions > 0, "seed {seed}: {m:?}");
            assert!(m.task_attempts > m.tasks, "seed {seed}: {m:?}");
        }
    }

    #[test]
    fn faults_set_at_run_time_never_fail_the_last_attempt() {
        let ctx = RddContext::new(RddConfig {
            threads: 2,
            ..RddConfig::default()
        });
        let rdd = ctx
            .parallelize((0..100u32).collect(), 5)
            .map(|x| (x % 3, x));
        let sums = rdd.reduce_by_key(|a, b| a + b, 2);
        ctx.set_faults(FaultConfig {
            task_failure_rate: 1.0,
            block_loss_rate: 0.0,
            seed: 1,
        });
        assert_eq!(ctx.faults().task_failure_rate, 1.0);
        let mut got = sums.collect().unwrap_or_default();
        got.sort_unstable();
        let expected: Vec<(u32, u32)> = (0..3)
            .map(|k| (k, (0..100).filter(|x| x % 3 == k).sum()))
            .collect();
        assert_eq!(got, expected);
        let m = ctx.metrics();
        // Every task failed all but its last (fourth) attempt.
        assert_eq!(m.tasks, 5 + 2);
        assert_eq!(m.failed_attempts, 3 * 7);
        assert_eq!(m.injected_task_failures, 3 * 7);
        let log = ctx.task_log();
        assert_eq!(log.len(), 4 * 7);
        assert!(log.iter().all(|t| t.succeeded == (t.attempt == 3)));
        assert!(log.iter().filter(|t| !t.succeeded).all(|t| {
            t.error
                .as_deref()
                .is_some_and(|e| e.starts_with("injected task failure"))
        }));

        ctx.set_faults(FaultConfig::default());
        let before = ctx.metrics();
        assert_eq!(sums.count().ok(), Some(3));
        assert_eq!(ctx.metrics().since(&before).failed_attempts, 0);
    }

    #[test]
    fn lost_cached_blocks_are_recomputed_until_the_loss_cap() {
        let ctx = RddContext::new(RddConfig {
            threads: 2,
            faults: FaultConfig {
                task_failure_rate: 0.0,
                block_loss_rate: 1.0,
                seed: 3,
            },
            ..RddConfig::default()
        });
        let cached = ctx
            .parallelize((0..400u64).collect(), 4)
            .map(|x| x + 1)
            .cache();
        let sum = || cached.fold(0, |a, b| a + b).ok();
        assert_eq!(sum(), Some(80_200));
        assert_eq!(ctx.metrics().recomputed_partitions, 0);
        // Every read loses its block (twice per block at most): recomputed.
        assert_eq!(sum(), Some(80_200));
        assert_eq!(sum(), Some(80_200));
        let m = ctx.metrics();
        assert_eq!((m.injected_block_losses, m.recomputed_partitions), (8, 8));
        assert_eq!(m.failed_attempts, 0);
        // Past the cap, the cache is read again.
        assert_eq!(sum(), Some(80_200));
        let used = ctx.metrics().since(&m);
        assert_eq!(
            (used.cached_blocks_read, used.recomputed_partitions),
            (4, 0)
        );
    }
}
