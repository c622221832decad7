//! Logical plans: what to compute, as a tree of relational operators over named columns.
//!
//! - [`plan`]: the [`LogicalPlan`] enum, its schemas and its EXPLAIN text.
//! - [`builder`]: [`LogicalPlanBuilder`], shared by SQL and the DataFrame API.
//! - `rebuild`: [`LogicalPlan::with_new_inputs`], a node over new inputs.
//! - [`set_ops`]: INTERSECT and EXCEPT built from union, window and aggregate nodes.
//! - [`tree`]: the generic rewrite helpers the optimizer rules use.
//! - `same_plan`: [`LogicalPlan::same_as`], whether a rewrite changed a plan.

pub mod builder;
pub mod plan;
mod rebuild;
mod same_plan;
pub mod set_ops;
pub mod tree;

pub use builder::LogicalPlanBuilder;
pub use plan::{JoinKind, LogicalPlan, MARK_COLUMN};
pub use tree::Transformed;
