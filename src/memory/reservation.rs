//! [`MemoryReservation`]: the bytes one consumer holds in a [`MemoryPool`].
//!
//! In: requests to grow, shrink or resize. Out: the bytes granted, or a
//! [`ResourcesExhausted`]. Dropping a reservation gives its bytes back and unregisters
//! the consumer, however its task ended (done, failed, cancelled).
//!
//! Imports only std: the RDD layer may hold reservations.

use std::sync::Arc;

use crate::memory::pool::{ConsumerKind, MemoryPool, ResourcesExhausted};

/// Bytes held by one consumer (an operator in one task).
#[derive(Debug)]
pub struct MemoryReservation {
    pool: Arc<MemoryPool>,
    consumer: String,
    kind: ConsumerKind,
    size: u64,
    peak: u64,
}

impl MemoryReservation {
    pub(crate) fn new(pool: Arc<MemoryPool>, consumer: String, kind: ConsumerKind) -> Self {
        MemoryReservation {
            pool,
            consumer,
            kind,
            size: 0,
            peak: 0,
        }
    }

    /// The pool it reserves from.
    pub fn pool(&self) -> &Arc<MemoryPool> {
        &self.pool
    }

    /// The consumer's name.
    pub fn consumer(&self) -> &str {
        &self.consumer
    }

    /// Bytes held now.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Most bytes held at once.
    pub fn peak(&self) -> u64 {
        self.peak
    }

    /// Holds `bytes` more, or nothing more if the pool refuses.
    pub fn try_grow(&mut self, bytes: u64) -> Result<(), ResourcesExhausted> {
        if bytes == 0 {
            return Ok(());
        }
        self.pool
            .try_grow(&self.consumer, self.kind, self.size, bytes)?;
        self.size += bytes;
        self.peak = self.peak.max(self.size);
        Ok(())
    }

    /// Gives back `bytes` (at most what it holds).
    pub fn shrink(&mut self, bytes: u64) {
        let bytes = bytes.min(self.size);
        self.pool.shrink(self.kind, bytes);
        self.size -= bytes;
    }

    /// Holds exactly `bytes`: grows or shrinks to it.
    pub fn try_resize(&mut self, bytes: u64) -> Result<(), ResourcesExhausted> {
        if bytes >= self.size {
            self.try_grow(bytes - self.size)
        } else {
            self.shrink(self.size - bytes);
            Ok(())
        }
    }

    /// Gives back everything; returns how much that was.
    pub fn free(&mut self) -> u64 {
        let size = self.size;
        self.shrink(size);
        size
    }
}

impl Drop for MemoryReservation {
    fn drop(&mut self) {
        self.free();
        self.pool.unregister(self.kind);
    }
}
