//! The cost model, apart from the rules: cardinality estimates from table statistics.

pub mod cardinality;

pub use cardinality::{estimate_rows, join_rows, selectivity};
