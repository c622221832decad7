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
//! join's shared table, a window partition) take what is left under the limit. The pool also keeps process totals (peak, spilled bytes
//! and files) for `--metrics`.
//!
//! Imports only std and thiserror: the RDD layer holds the pool.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

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

#[derive(Debug, Default)]
struct Held {
    limit: u64,
    /// Bytes held by every consumer.
    reserved: u64,
    /// Bytes held by consumers that can spill.
    spillable_reserved: u64,
    /// Consumers that can spill, registered now.
    spillable_consumers: u64,
    /// Most bytes held at once.
    peak: u64,
}

/// The memory of one executor, shared by every query it runs.
#[derive(Debug)]
pub struct MemoryPool {
    held: Mutex<Held>,
    spilled_bytes: AtomicU64,
    spill_files: AtomicU64,
}

/// What a pool holds now and has done, for `--metrics` and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSnapshot {
    /// The limit.
    pub limit: u64,
    /// Bytes reserved now.
    pub reserved: u64,
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
        if can_spill {
            self.lock().spillable_consumers += 1;
        }
        MemoryReservation::new(Arc::clone(self), consumer.into(), can_spill)
    }

    /// Grants `bytes` more to a consumer holding `held`, or says why not.
    pub(crate) fn try_grow(
        &self,
        consumer: &str,
        can_spill: bool,
        held: u64,
        bytes: u64,
    ) -> Result<(), ResourcesExhausted> {
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
        if can_spill {
            let unspillable = pool.reserved - pool.spillable_reserved;
            let share = pool.limit.saturating_sub(unspillable) / pool.spillable_consumers.max(1);
            if held + bytes > share {
                return Err(refuse(share, "its fair share"));
            }
        }
        if bytes > free {
            return Err(refuse(held + free, "what is left of the limit"));
        }
        if can_spill {
            pool.spillable_reserved += bytes;
        }
        pool.reserved += bytes;
        pool.peak = pool.peak.max(pool.reserved);
        Ok(())
    }

    /// Takes back `bytes` from a consumer.
    pub(crate) fn shrink(&self, can_spill: bool, bytes: u64) {
        let mut pool = self.lock();
        pool.reserved = pool.reserved.saturating_sub(bytes);
        if can_spill {
            pool.spillable_reserved = pool.spillable_reserved.saturating_sub(bytes);
        }
    }

    /// A consumer is gone, its bytes already given back.
    pub(crate) fn unregister(&self, can_spill: bool) {
        if can_spill {
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
