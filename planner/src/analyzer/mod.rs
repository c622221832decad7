//! Analysis after building: type coercion (casts inserted so operands agree) and
//! checks that need the whole plan.

pub mod coercion;

pub use coercion::coerce_plan;
