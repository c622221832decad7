//! Joins: output = left (probe) columns then right (build) columns; left only for
//! semi and anti joins.
//!
//! - [`hash_join`]: [`JoinHashTable`] over the right side, [`HashJoinProbe`] per task.
//! - [`nested_loop_join`]: [`NestedLoopJoin`] for joins without equality keys.
//! - [`join_output`]: candidate (left row, right row) pairs to output batches, shared
//!   by both (the extra filter, outer rows, semi/anti selection).

pub mod hash_join;
pub mod join_output;
pub mod nested_loop_join;

pub use ember_planner::logical::JoinKind;
pub use hash_join::{HashJoinProbe, JoinHashTable};
pub use nested_loop_join::NestedLoopJoin;

#[cfg(test)]
mod tests;
