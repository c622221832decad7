//! Optimizer rules, one rewrite per file.

mod count_cross_join;
pub(crate) mod decorrelate_predicate_subquery;
pub(crate) mod decorrelate_scalar_subquery;
pub(crate) mod decorrelate_tree;
mod derive_or_filters;
mod eliminate_outer_join;
mod eliminate_redundant_sort;
mod factor_or_conjuncts;
mod prune_projections;
mod push_down_filter;
mod push_down_limit;
mod push_down_semi_join;
mod remove_redundant_projection;
mod reorder_joins;
mod simplify_expressions;
pub(crate) mod subquery_domain;
pub(crate) mod subquery_join;
pub(crate) mod subquery_lift;
pub(crate) mod subquery_util;
#[cfg(test)]
pub(crate) mod test_util;
pub(crate) mod util;

pub use count_cross_join::CountCrossJoin;
pub use decorrelate_predicate_subquery::DecorrelatePredicateSubquery;
pub use decorrelate_scalar_subquery::DecorrelateScalarSubquery;
pub use derive_or_filters::DeriveOrFilters;
pub use eliminate_outer_join::EliminateOuterJoin;
pub use eliminate_redundant_sort::EliminateRedundantSort;
pub use factor_or_conjuncts::FactorOrConjuncts;
pub use prune_projections::PruneProjections;
pub use push_down_filter::PushDownFilter;
pub use push_down_limit::PushDownLimit;
pub use push_down_semi_join::PushDownSemiJoin;
pub use remove_redundant_projection::RemoveRedundantProjection;
pub use reorder_joins::ReorderJoins;
pub use simplify_expressions::SimplifyExpressions;
