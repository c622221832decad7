//! Hash aggregation: group rows by key columns and fold aggregate functions per group.
//!
//! - [`hash_aggregate`]: [`HashAggregator`], the operator (Partial, Final, Single).
//! - [`group_keys`]: key columns to dense group ids (one-integer fast path, arrow-row
//!   for anything else).
//! - [`accumulators`]: column-wise per-group states of count, sum, avg, min, max.
//! - [`group_state`]: states that are not one primitive per group (variance family,
//!   percentiles, string_agg).
//! - [`hyperloglog`]: sketches for `approx_count_distinct`.
//! - [`distinct`]: per-group sets of seen values for `agg(DISTINCT x)`.
//! - [`spill`]: partial states written to disk by key hash when memory runs out.

pub mod accumulators;
pub mod distinct;
pub mod group_keys;
pub mod group_state;
pub mod hash_aggregate;
pub mod hyperloglog;
pub mod spill;

pub use hash_aggregate::HashAggregator;
