//! [`MemoryPool`]: the memory limit of one executor and what its consumers hold.
//!
//! In: a limit in bytes (`ember.memory.limit`), then requests to grow and shrink
//! from [`MemoryReservation`]s. Out: each request granted or refused with a
//! [`ResourcesExhausted`] naming the consumer, the bytes it wanted and the limit it hit.
//!
//! Consumers that can spill (a sort, an aggregation, a hash join's build side in a
//! task) share fairly: while `n` of them are registered, each may hold at most
//! `(limit - held by the others) / n`, so one early sort does not starve the tasks
//! that start after it — it spills instead. Consumers that cannot spill (a broadcast
//! join's shared table, a window partition) take what is left under the limit.
//!
//! Evictable consumers (the cache of persisted blocks) hold only what is free and
//! give it back when asked: a query's consumer that finds the pool full has the
//! pool's [`Reclaim`]ers evict or spill cached blocks before it is refused, and
//! cached bytes never shrink a fair share. Queries come first; the cache keeps what
//! they leave. The pool also keeps process totals (peak, spilled bytes and files) for
//! `--metrics`.
//!
//! Imports only std and thiserror: the RDD layer holds the pool.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use crate::memory::reservation::MemoryReservation;

/// A reservation refused: the consumer would pass the limit or its fair share (of
/// memory, or of spill space on disk).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "resources exhausted: {consumer} could not reserve {} more of {resource} \
     (it holds {}; {limit_kind} is {}; {setting} is {}){}",
    human(*.wanted), human(*.held), human(*.cap), human(*.limit),
    .note.as_ref().map(|n| format!("; {n}")).unwrap_or_default()
)]
pub struct ResourcesExhausted {
    /// The operator that asked, e.g. `Sort (partition 3)`.
    pub consumer: String,
    /// `memory` or `spill space`.
    pub resource: &'static str,
    /// The setting that sets the limit.
    pub setting: &'static str,
    /// Bytes it asked for on top of what it held.
    pub wanted: u64,
    /// Bytes it held already.
    pub held: u64,
    /// The cap it hit: its fair share or what was left of the limit.
    pub cap: u64,
    /// Which cap that was.
    pub limit_kind: &'static str,
    /// The pool's limit.
    pub limit: u64,
    /// What was tried before giving up, if anything (ends the message).
    pub note: Option<Box<str>>,
}

/// Bytes as `512B`, `1.5KiB`, `2.0MiB`, `1.1GiB`.
pub(crate) fn human(b: u64) -> String {
    match b {
        b if b >= 1 << 30 => format!("{:.1}GiB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1}MiB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1}KiB", b as f64 / 1024.0),
        b => format!("{b}B"),
    }
}

/// What a consumer can do when memory runs short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumerKind {
    /// Holds what it reserved until it is done (a broadcast table, a window partition).
    Fixed,
    /// Writes its state to disk when refused, under a fair share.
    Spilling,
    /// Takes only free memory and gives it back when the pool asks its [`Reclaim`]er.
    Evictable,
}

/// A holder of evictable memory the pool can ask to give bytes back.
pub trait Reclaim: Send + Sync {
    /// Frees at least `bytes` of its reservation if it holds that much (evicting or
    /// spilling what it keeps); returns the bytes it gave back. Called without any
    /// lock of the pool held.
    fn reclaim(&self, bytes: u64) -> u64;
}

/// Times a refused consumer has the cache give memory back before it gives up (other
/// consumers may take what was freed in between).
const RECLAIM_ROUNDS: usize = 4;

#[derive(Debug, Default)]
struct Held {
    limit: u64,
    /// Bytes held by every consumer.
    reserved: u64,
    /// Bytes held by consumers that can spill.
    spillable_reserved: u64,
    /// Bytes held by evictable consumers.
    evictable_reserved: u64,
    /// Consumers that can spill, registered now.
    spillable_consumers: u64,
    /// Most bytes held at once.
    peak: u64,
}

/// The memory of one executor, shared by every query it runs.
pub struct MemoryPool {
    held: Mutex<Held>,
    reclaimers: Mutex<Vec<Weak<dyn Reclaim>>>,
    spilled_bytes: AtomicU64,
    spill_files: AtomicU64,
}

impl std::fmt::Debug for MemoryPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryPool")
            .field("held", &*self.lock())
            .finish_non_exhaustive()
    }
}

/// What a pool holds now and has done, for `--metrics` and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSnapshot {
    /// The limit.
    pub limit: u64,
    /// Bytes reserved now.
    pub reserved: u64,
    /// Of those, bytes held by evictable consumers (cached blocks).
    pub evictable: u64,
    /// Most bytes reserved at once since the pool was made.
    pub peak: u64,
    /// Bytes written to spill files.
    pub spilled_bytes: u64,
    /// Spill files written.
    pub spill_files: u64,
}

impl MemoryPool {
    /// A pool of `limit` bytes.
    pub fn new(limit: u64) -> Arc<Self> {
        Arc::new(MemoryPool {
            held: Mutex::new(Held {
                limit,
                ..Held::default()
            }),
            reclaimers: Mutex::new(Vec::new()),
            spilled_bytes: AtomicU64::new(0),
            spill_files: AtomicU64::new(0),
        })
    }

    /// A pool with no practical limit (for operators run outside a query).
    pub fn unbounded() -> Arc<Self> {
        Self::new(u64::MAX)
    }

    fn lock(&self) -> MutexGuard<'_, Held> {
        // The counts stay consistent even if a holder panicked: every update is one
        // assignment under the lock.
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Changes the limit; reservations already made keep their bytes.
    pub fn set_limit(&self, limit: u64) {
        self.lock().limit = limit;
    }

    /// The limit in bytes.
    pub fn limit(&self) -> u64 {
        self.lock().limit
    }

    /// Its figures now.
    pub fn snapshot(&self) -> PoolSnapshot {
        let held = self.lock();
        PoolSnapshot {
            limit: held.limit,
            reserved: held.reserved,
            evictable: held.evictable_reserved,
            peak: held.peak,
            spilled_bytes: self.spilled_bytes.load(Ordering::Relaxed),
            spill_files: self.spill_files.load(Ordering::Relaxed),
        }
    }

    /// A reservation of nothing yet for `consumer`; `can_spill` puts it under the
    /// fair share of spilling consumers.
    pub fn reserve(
        self: &Arc<Self>,
        consumer: impl Into<String>,
        can_spill: bool,
    ) -> MemoryReservation {
        let kind = if can_spill {
            ConsumerKind::Spilling
        } else {
            ConsumerKind::Fixed
        };
        self.reserve_as(consumer, kind)
    }

    /// A reservation of nothing yet for a consumer of `kind`.
    pub fn reserve_as(
        self: &Arc<Self>,
        consumer: impl Into<String>,
        kind: ConsumerKind,
    ) -> MemoryReservation {
        if kind == ConsumerKind::Spilling {
            self.lock().spillable_consumers += 1;
        }
        MemoryReservation::new(Arc::clone(self), consumer.into(), kind)
    }

    /// Asks `reclaimer` for memory whenever a consumer finds the pool full; the pool
    /// keeps it only as long as its owner does.
    pub fn add_reclaimer(&self, reclaimer: Weak<dyn Reclaim>) {
        let mut all = self.reclaimers.lock().unwrap_or_else(|p| p.into_inner());
        all.retain(|r| r.strong_count() > 0);
        all.push(reclaimer);
    }

    /// Has the reclaimers give back `bytes`; returns what they gave.
    fn reclaim(&self, bytes: u64) -> u64 {
        let reclaimers: Vec<Arc<dyn Reclaim>> = self
            .reclaimers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter_map(Weak::upgrade)
            .collect();
        let mut freed = 0;
        for r in reclaimers {
            if freed >= bytes {
                break;
            }
            freed += r.reclaim(bytes - freed);
        }
        freed
    }

    /// Grants `bytes` more to a consumer holding `held`, or says why not. A consumer
    /// that is not evictable has evictable memory given back first when that is what
    /// it lacks.
    pub(crate) fn try_grow(
        &self,
        consumer: &str,
        kind: ConsumerKind,
        held: u64,
        bytes: u64,
    ) -> Result<(), ResourcesExhausted> {
        let mut rounds = 0;
        loop {
            let lacking = match self.try_grow_now(consumer, kind, held, bytes) {
                Ok(()) => return Ok(()),
                Err(refusal) => {
                    let (refused, lacking) = *refusal;
                    if lacking == 0 || rounds == RECLAIM_ROUNDS {
                        return Err(refused);
                    }
                    lacking
                }
            };
            rounds += 1;
            // The pool's lock is not held here: reclaimers shrink their reservations.
            if self.reclaim(lacking) == 0 {
                return self
                    .try_grow_now(consumer, kind, held, bytes)
                    .map_err(|refusal| refusal.0);
            }
        }
    }

    /// One try under the lock; refused, also the bytes evictable consumers could give
    /// back to make it fit (0 when that would not help).
    fn try_grow_now(
        &self,
        consumer: &str,
        kind: ConsumerKind,
        held: u64,
        bytes: u64,
    ) -> Result<(), Box<(ResourcesExhausted, u64)>> {
        let mut pool = self.lock();
        let free = pool.limit.saturating_sub(pool.reserved);
        let refuse = |cap: u64, limit_kind: &'static str| ResourcesExhausted {
            consumer: consumer.to_string(),
            resource: "memory",
            setting: "ember.memory.limit",
            wanted: bytes,
            held,
            cap,
            limit_kind,
            limit: pool.limit,
            note: None,
        };
        if kind == ConsumerKind::Spilling {
            // Cached bytes do not count against the shares: they are given back.
            let unspillable = pool.reserved - pool.spillable_reserved - pool.evictable_reserved;
            let share = pool.limit.saturating_sub(unspillable) / pool.spillable_consumers.max(1);
            if held + bytes > share {
                return Err(Box::new((refuse(share, "its fair share"), 0)));
            }
        }
        if bytes > free {
            let evictable = if kind == ConsumerKind::Evictable {
                0
            } else {
                pool.evictable_reserved
            };
            let lacking = if bytes - free <= evictable {
                bytes - free
            } else {
                0
            };
            return Err(Box::new((
                refuse(held + free, "what is left of the limit"),
                lacking,
            )));
        }
        match kind {
            ConsumerKind::Spilling => pool.spillable_reserved += bytes,
            ConsumerKind::Evictable => pool.evictable_reserved += bytes,
            ConsumerKind::Fixed => {}
        }
        pool.reserved += bytes;
        pool.peak = pool.peak.max(pool.reserved);
        Ok(())
    }

    /// Takes back `bytes` from a consumer.
    pub(crate) fn shrink(&self, kind: ConsumerKind, bytes: u64) {
        let mut pool = self.lock();
        pool.reserved = pool.reserved.saturating_sub(bytes);
        match kind {
            ConsumerKind::Spilling => {
                pool.spillable_reserved = pool.spillable_reserved.saturating_sub(bytes)
            }
            ConsumerKind::Evictable => {
                pool.evictable_reserved = pool.evictable_reserved.saturating_sub(bytes)
            }
            ConsumerKind::Fixed => {}
        }
    }

    /// A consumer is gone, its bytes already given back.
    pub(crate) fn unregister(&self, kind: ConsumerKind) {
        if kind == ConsumerKind::Spilling {
            let mut pool = self.lock();
            pool.spillable_consumers = pool.spillable_consumers.saturating_sub(1);
        }
    }

    /// Counts a spill file of `bytes` in the process totals.
    pub fn record_spill(&self, bytes: u64) {
        self.spilled_bytes.fetch_add(bytes, Ordering::Relaxed);
        self.spill_files.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_grow_shrink_and_give_back_on_drop() {
        let pool = MemoryPool::new(1000);
        let mut a = pool.reserve("A", false);
        a.try_grow(600).unwrap();
        assert_eq!(a.size(), 600);
        let mut b = pool.reserve("B", false);
        let refused = b.try_grow(500).unwrap_err();
        assert_eq!(refused.consumer, "B");
        assert_eq!(refused.wanted, 500);
        assert_eq!(refused.limit, 1000);
        assert!(
            refused.to_string().contains("B could not reserve 500B"),
            "{refused}"
        );
        a.shrink(200);
        b.try_grow(500).unwrap();
        assert_eq!(pool.snapshot().reserved, 900);
        drop(a);
        assert_eq!(pool.snapshot().reserved, 500);
        b.try_resize(100).unwrap();
        assert_eq!(pool.snapshot().reserved, 100);
        drop(b);
        let snapshot = pool.snapshot();
        assert_eq!(snapshot.reserved, 0);
        assert_eq!(snapshot.peak, 900);
    }

    #[test]
    fn spilling_consumers_get_fair_shares() {
        let pool = MemoryPool::new(1000);
        let mut first = pool.reserve("Sort 0", true);
        // Alone, a spilling consumer may take everything.
        first.try_grow(900).unwrap();
        first.shrink(900);
        first.try_grow(400).unwrap();
        let mut second = pool.reserve("Sort 1", true);
        // Two of them: 500 each.
        assert!(first.try_grow(200).is_err());
        first.try_grow(100).unwrap();
        let refused = second.try_grow(600).unwrap_err();
        assert_eq!(refused.limit_kind, "its fair share");
        assert_eq!(refused.cap, 500);
        second.try_grow(500).unwrap();
        // A consumer that cannot spill takes what is left, and shrinks the shares.
        let mut build = pool.reserve("HashJoin build", false);
        assert!(build.try_grow(1).is_err());
        drop(second);
        build.try_grow(300).unwrap();
        // first alone again: its share is 1000 - 300.
        assert!(first.try_grow(201).is_err());
        first.try_grow(200).unwrap();
    }

    /// Gives back a reservation's bytes when asked, as the cache does.
    struct Cache(Mutex<MemoryReservation>);

    impl Reclaim for Cache {
        fn reclaim(&self, bytes: u64) -> u64 {
            let mut held = self.0.lock().unwrap();
            let freed = bytes.min(held.size());
            held.shrink(freed);
            freed
        }
    }

    #[test]
    fn evictable_memory_is_given_back_before_a_consumer_is_refused() {
        let pool = MemoryPool::new(1000);
        let cache = Arc::new(Cache(Mutex::new(
            pool.reserve_as("cache", ConsumerKind::Evictable),
        )));
        pool.add_reclaimer(Arc::downgrade(&cache) as Weak<dyn Reclaim>);
        cache.0.lock().unwrap().try_grow(800).unwrap();
        // The cache takes only what is free: it never has anything given back to it.
        assert!(cache.0.lock().unwrap().try_grow(300).is_err());
        assert_eq!(pool.snapshot().evictable, 800);
        // Cached bytes do not shrink a spilling consumer's share; it takes 600 of them.
        let mut sort = pool.reserve("Sort 0", true);
        sort.try_grow(700).unwrap();
        assert_eq!(cache.0.lock().unwrap().size(), 300);
        // A consumer that cannot spill takes the rest of the cache.
        let mut build = pool.reserve("HashJoin build", false);
        build.try_grow(300).unwrap();
        assert_eq!(cache.0.lock().unwrap().size(), 0);
        // Nothing left to give back: refused as before.
        let refused = build.try_grow(1).unwrap_err();
        assert_eq!(refused.limit_kind, "what is left of the limit");
        let snapshot = pool.snapshot();
        assert_eq!((snapshot.reserved, snapshot.evictable), (1000, 0));
        // A reclaimer dropped by its owner is not asked again.
        drop(sort);
        cache.0.lock().unwrap().try_grow(500).unwrap();
        drop(cache);
        assert_eq!(pool.snapshot().evictable, 0);
        assert!(build.try_grow(800).is_err());
        build.try_grow(700).unwrap();
    }

    #[test]
    fn the_limit_can_change_under_reservations() {
        let pool = MemoryPool::new(100);
        let mut a = pool.reserve("A", false);
        a.try_grow(80).unwrap();
        pool.set_limit(50);
        assert!(a.try_grow(1).is_err());
        a.shrink(40);
        a.try_grow(10).unwrap();
        assert_eq!(pool.limit(), 50);
    }
}
