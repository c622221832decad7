//! Logical plan to physical plan.
