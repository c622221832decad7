//! The rule trait: a name and a rewrite that reports whether it changed anything.

use std::sync::Arc;

use crate::error::Result;
use crate::logical::{LogicalPlan, Transformed};

/// A logical rewrite.
pub trait OptimizerRule: Send + Sync {
    /// verb_noun name, shown by EXPLAIN VERBOSE.
    fn name(&self) -> &'static str;
    /// Rewrites the whole plan (rules usually walk it with `transform_up`/`transform_down`).
    fn rewrite(&self, plan: Arc<LogicalPlan>) -> Result<Transformed<Arc<LogicalPlan>>>;
}
