//! Ember's planner: everything between SQL text (or a DataFrame) and a physical plan,
//! with no execution.
//!
//! - [`error`]: [`PlanError`], the one error type.
//! - [`scalar`], [`types`], [`schema`]: values, type rules and plan schemas.
//! - [`cast`]: casting constants at plan time (exact and in range, or left to execution).
//! - [`expr`], [`functions`]: logical expressions and the scalar function registry.
//! - [`catalog`]: what the planner knows of tables ([`TableSource`], [`Catalog`]).
//! - [`logical`]: [`LogicalPlan`] and its builder.
//! - [`sql`]: SQL text to logical plans and statements.
//! - [`analyzer`]: type coercion and checks after building.
//! - [`optimizer`]: rewrite rules (subquery decorrelation first) and the cost model.
//! - [`physical`]: the data-only physical plan and the planner that makes it.
//! - [`pipeline`]: all of the above in one call, each stage's plan kept once.
#![warn(missing_docs)]

pub mod analyzer;
pub mod cast;
pub mod catalog;
pub mod error;
pub mod expr;
pub mod functions;
pub mod logical;
pub mod optimizer;
pub mod physical;
pub mod pipeline;
pub mod scalar;
pub mod schema;
pub mod sql;
pub mod transformed;
pub mod types;

pub use catalog::{Catalog, CatalogEntry, Elsewhere, TableSource};
pub use error::{PlanError, Result};
pub use expr::{Expr, col, lit};
pub use logical::{LogicalPlan, LogicalPlanBuilder};
pub use scalar::ScalarValue;
pub use schema::{PlanField, PlanSchema};
