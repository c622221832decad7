//! Optimizer rules, one rewrite per file.

mod factor_or_conjuncts;
mod prune_projections;
mod push_down_filter;
mod reorder_joins;
pub(crate) mod util;

pub use factor_or_conjuncts::FactorOrConjuncts;
pub use prune_projections::PruneProjections;
pub use push_down_filter::PushDownFilter;
pub use reorder_joins::ReorderJoins;
