//! SQL text to logical plans and statements.
//!
//! In: SQL text and a [`crate::Catalog`]. Out: a [`Statement`] whose queries are
//! [`crate::LogicalPlan`]s (not yet coerced: run [`crate::analyzer::coerce_plan`]).
//! Uses `sqlparser` for the AST; knows nothing of execution.
//!
//! - [`split`]: a script cut into statements at `;`.
//! - [`statement`]: [`Statement`], [`SqlPlanner`], and the statements Ember parses itself
//!   (`CREATE EXTERNAL TABLE`, `CACHE TABLE`).
//! - `own_statement`: the token-level parser for the statements sqlparser lacks.
//! - [`ddl`]: CREATE TABLE (columns or AS query), ALTER TABLE, TRUNCATE, CREATE INDEX.
//! - `dml`: INSERT, UPDATE and DELETE, typed against the target table.
//! - [`copy`]: COPY ... TO / FROM with its options.
//! - [`explain`]: EXPLAIN's options (ANALYZE, VERBOSE, FORMAT TEXT | HTML).
//! - `query`: WITH, set operations, ORDER BY, LIMIT.
//! - `order_by`: one ORDER BY key's direction and null placement.
//! - `recursive`: WITH RECURSIVE.
//! - `select`: one SELECT block: projection, aggregation, HAVING, DISTINCT.
//! - `grouping`: ROLLUP, CUBE, GROUPING SETS and GROUPING().
//! - `from`: FROM items and joins, names resolved through the catalog.
//! - `expr`: SQL expressions to [`crate::Expr`].
//! - `quantified`: `x op ANY / ALL (subquery)` as IN or an aggregate subquery.
//! - `window`: window calls (OVER) and the Window nodes of a SELECT block.
//! - `literal`: numbers, dates and intervals.
//! - `types`: SQL type names to Arrow types.
//! - `errors`: sqlparser's errors and the unsupported-feature helper.

mod aggregate_call;
pub mod copy;
pub mod ddl;
mod dml;
mod errors;
pub mod explain;
mod expr;
mod from;
mod grouping;
mod literal;
mod order_by;
mod own_statement;
mod quantified;
mod query;
mod recursive;
mod select;
pub mod split;
pub mod statement;
mod types;
mod window;

#[cfg(test)]
pub(crate) mod tests;

pub use copy::OptionValue;
pub use ddl::{AlterTableOp, MAX_LENGTH_KEY, SMALLINT_KEY, TableDefinition};
pub use dml::UPDATED_COLUMN;
pub use explain::{ExplainFormat, ExplainOptions};
pub use split::{SqlStatementText, split_statements};
pub use statement::{DEFAULT_MAX_EXPRESSION_DEPTH, FileFormat, SqlPlanner, Statement};
