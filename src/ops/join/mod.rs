//! Joins: output = left (probe) columns then right (build) columns; left only for
//! semi and anti joins; left then a BOOLEAN mark for mark joins.
//!
//! - [`hash_join`]: [`JoinHashTable`] over the right side, [`HashJoinProbe`] per task,
//!   [`ProbeStream`] to run a probe lazily over a stream.
//! - [`grace`]: [`GraceJoin`], a hash join whose build side does not fit its memory,
//!   run part by part from spill files.
//! - [`nested_loop_join`]: [`NestedLoopJoin`] for joins without equality keys.
//! - [`join_output`]: candidate (left row, right row) pairs to output batches, shared
//!   by both (the extra filter, outer rows, semi/anti selection, marks).
//! - [`null_aware_mark`]: [`MarkGroups`], the NULL marks of `x IN (subquery)`.

pub mod grace;
pub mod hash_join;
pub mod join_output;
pub mod nested_loop_join;
pub mod null_aware_mark;

pub use ember_planner::logical::JoinKind;
pub use grace::{BuildPart, BuildSide, GraceJoin, JoinSpec};
pub use hash_join::{HashJoinProbe, JoinHashTable, ProbeStream};
pub use nested_loop_join::NestedLoopJoin;
pub use null_aware_mark::MarkGroups;

#[cfg(test)]
mod tests;
