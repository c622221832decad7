//! The cost model, apart from the rules: cardinality estimates from table statistics
//! ([`cardinality`]), each with where it came from ([`estimate`]), and the join order
//! search that uses them ([`join_enumerator`]).

pub mod cardinality;
pub mod estimate;
pub mod join_enumerator;

pub use cardinality::{
    Estimates, conjunction_selectivity, conjunction_selectivity_with_source, estimate_from_inputs,
    estimate_plan, estimate_rows, join_estimate, join_rows_with, rows_from_inputs, selectivity,
    selectivity_with_source,
};
pub use estimate::{Estimate, EstimateSource, q_error};
