//! Optimizer rules, one rewrite per file.

pub(crate) mod decorrelate_predicate_subquery;
pub(crate) mod decorrelate_scalar_subquery;
mod derive_or_filters;
mod factor_or_conjuncts;
mod prune_projections;
mod push_down_filter;
mod reorder_joins;
pub(crate) mod subquery_util;
pub(crate) mod util;

pub use decorrelate_predicate_subquery::DecorrelatePredicateSubquery;
pub use decorrelate_scalar_subquery::DecorrelateScalarSubquery;
pub use derive_or_filters::DeriveOrFilters;
pub use factor_or_conjuncts::FactorOrConjuncts;
pub use prune_projections::PruneProjections;
pub use push_down_filter::PushDownFilter;
pub use reorder_joins::ReorderJoins;
