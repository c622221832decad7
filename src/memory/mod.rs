//! Memory as a budget: one [`MemoryPool`] per executor from which operators reserve
//! what they hold, and spill files for the operators that can give memory back by
//! writing state to disk.
//!
//! Imports only std, arrow (for spill files) and thiserror; [`pool`] and
//! [`reservation`] import nothing of the crate, so the RDD layer may hold the pool.
//!
//! - [`size`]: byte sizes as settings write them (`'4GB'`, `'512MiB'`, `'80%'`).
//! - [`pool`]: [`MemoryPool`], the limit, what is reserved, fair shares between
//!   consumers that can spill, and process totals for `--metrics`.
//! - [`reservation`]: [`MemoryReservation`], one consumer's bytes; grows, shrinks and
//!   gives everything back when dropped.
//! - [`spill`]: [`SpillDir`], a query's folder of spill files (removed with it), and
//!   [`SpillFile`]s of Arrow IPC that delete themselves.
//! - [`operator`]: [`OperatorMemory`], what an operator is handed by `exec`: its
//!   reservation, where it may spill, and the counters EXPLAIN ANALYZE shows.

pub mod operator;
pub mod pool;
pub mod reservation;
pub mod size;
pub mod spill;

pub use operator::{MemoryCounters, OperatorMemory, QueryMemory};
pub use pool::{ConsumerKind, MemoryPool, Reclaim, ResourcesExhausted};
pub use reservation::MemoryReservation;
pub use size::ByteSize;
pub use spill::{SpillDir, SpillFile, SpillWriter};
