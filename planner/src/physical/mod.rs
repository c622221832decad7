//! Physical plans: how to compute, as data only — operators, partitioning and
//! exchanges, with every column resolved to an index. The runtime lowers them.
//!
//! - [`expr`]: [`PhysExpr`], expressions over column indices with their types.
//! - [`plan`]: the [`PhysicalPlan`] enum and its EXPLAIN text.
//! - [`planner`]: logical plan to physical plan, one function per node kind; joins in
//!   `join`, aggregates in `aggregate`, windows in `window`.
//! - [`expr_planner`]: logical expressions to physical ones.
//! - `join_selection`: a hash join's build side and distribution.

mod aggregate;
pub mod expr;
pub mod expr_planner;
mod join;
mod join_selection;
pub mod plan;
pub mod planner;
mod window;

pub use expr::{AggregateExpr, PhysExpr, PhysSortKey, WindowExpr};
pub use plan::{AggregateMode, JoinDistribution, Partitioning, PhysicalPlan};
