//! Evaluation of physical expressions ([`ember_planner::physical::PhysExpr`]) over Arrow
//! record batches, with Arrow kernels on whole arrays.
//!
//! In: a `PhysExpr` and a `RecordBatch`. Out: an `ArrayRef` (or a filter mask).
//! Imports only `arrow`, `chrono`, `ember_planner` and `crate::error`; knows no RDDs
//! and no operators.
//!
//! - [`operand`]: [`Operand`], a column or a broadcast constant, what the kernels take.
//! - [`eval`]: the dispatcher, [`evaluate`] and [`evaluate_predicate`].
//! - [`arithmetic`]: `+ - * / %` on integers, floats, decimals and dates; negation.
//! - [`compare`]: comparisons, AND/OR/NOT with SQL three-valued logic, `||`.
//! - [`cast`]: CAST with errors naming the offending value.
//! - [`case`]: searched CASE.
//! - [`in_list`]: `[NOT] IN (...)`.
//! - [`like`]: `[NOT] LIKE` / `ILIKE`.
//! - [`functions`]: the scalar functions of [`ember_planner::functions::FUNCTIONS`].

pub mod arithmetic;
pub mod case;
pub mod cast;
pub mod compare;
pub mod eval;
pub mod functions;
pub mod in_list;
pub mod like;
pub mod operand;

pub use eval::{evaluate, evaluate_operand, evaluate_predicate};
pub use operand::Operand;

#[cfg(test)]
mod tests;
