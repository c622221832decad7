//! The function registry: every scalar function's and aggregate's name and
//! signature ([`catalog`]), and the return-type rules of the scalar functions
//! ([`return_type`]).
//!
//! The runtime (`src/expr/functions/`) implements each scalar name listed here; a test
//! there checks that the two lists agree, and `tests/function_reference.rs` checks
//! `docs/functions.md` against both lists.

mod catalog;
mod return_type;

pub use catalog::{AGGREGATES, FUNCTIONS};
pub use return_type::{TIMESTAMP, call_return_type, return_type};

/// One registered function.
#[derive(Debug, Clone, Copy)]
pub struct FunctionSpec {
    /// Lower-case SQL name.
    pub name: &'static str,
    /// Human-readable signature.
    pub signature: &'static str,
    /// A short description.
    pub description: &'static str,
}

/// True when `name` is a registered scalar function.
pub fn is_scalar_function(name: &str) -> bool {
    FUNCTIONS.iter().any(|f| f.name == name)
}

/// The spec of a scalar function or aggregate by name.
pub fn spec_of(name: &str) -> Option<&'static FunctionSpec> {
    FUNCTIONS.iter().chain(AGGREGATES).find(|f| f.name == name)
}

/// Every function and aggregate name, for "did you mean" suggestions.
pub fn all_names() -> impl Iterator<Item = &'static str> {
    FUNCTIONS.iter().chain(AGGREGATES).map(|f| f.name)
}
