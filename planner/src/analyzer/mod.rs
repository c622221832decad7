//! Analysis after building: type coercion (casts inserted so operands agree) and
//! checks that need the whole plan.
//!
//! - [`coercion`]: walks a plan and casts operands to the types [`crate::types`] asks for.
//! - `fold`: casts of literals and `DATE ± INTERVAL` of literals computed at plan time.

pub mod coercion;
pub(crate) mod fold;

pub use coercion::{coerce_expr, coerce_plan};
