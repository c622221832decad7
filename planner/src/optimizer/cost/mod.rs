//! The cost model, apart from the rules: cardinality estimates from table statistics
//! ([`cardinality`]) and the join order search that uses them ([`join_enumerator`]).

pub mod cardinality;
pub mod join_enumerator;

pub use cardinality::{
    Estimates, conjunction_selectivity, estimate_rows, join_rows_with, rows_from_inputs,
    selectivity,
};
