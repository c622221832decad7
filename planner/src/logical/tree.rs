//! Generic rewrites over logical plans: a rule says what to change at one node, and
//! these helpers walk the tree.

use std::sync::Arc;

use crate::error::Result;
use crate::logical::plan::LogicalPlan;

/// A value and whether a rewrite changed it.
#[derive(Debug, Clone)]
pub struct Transformed<T> {
    /// The (possibly rewritten) value.
    pub data: T,
    /// True when something changed.
    pub transformed: bool,
}

impl<T> Transformed<T> {
    /// A changed value.
    pub fn yes(data: T) -> Self {
        Transformed {
            data,
            transformed: true,
        }
    }
    /// An unchanged value.
    pub fn no(data: T) -> Self {
        Transformed {
            data,
            transformed: false,
        }
    }
}

impl LogicalPlan {
    /// Applies `f` to every node bottom-up (children first).
    pub fn transform_up(
        self: Arc<Self>,
        f: &mut impl FnMut(Arc<LogicalPlan>) -> Result<Transformed<Arc<LogicalPlan>>>,
    ) -> Result<Transformed<Arc<LogicalPlan>>> {
        let mut changed = false;
        let mut new_inputs = Vec::new();
        for input in self.inputs() {
            let t = input.clone().transform_up(f)?;
            changed |= t.transformed;
            new_inputs.push(t.data);
        }
        let node = if changed {
            Arc::new(self.with_new_inputs(new_inputs)?)
        } else {
            self
        };
        let t = f(node)?;
        Ok(Transformed {
            data: t.data,
            transformed: changed || t.transformed,
        })
    }

    /// Applies `f` to every node top-down (a node before its children).
    pub fn transform_down(
        self: Arc<Self>,
        f: &mut impl FnMut(Arc<LogicalPlan>) -> Result<Transformed<Arc<LogicalPlan>>>,
    ) -> Result<Transformed<Arc<LogicalPlan>>> {
        let t = f(self)?;
        let node = t.data;
        let mut changed = t.transformed;
        let mut new_inputs = Vec::new();
        let mut child_changed = false;
        for input in node.inputs() {
            let c = input.clone().transform_down(f)?;
            child_changed |= c.transformed;
            new_inputs.push(c.data);
        }
        let node = if child_changed {
            Arc::new(node.with_new_inputs(new_inputs)?)
        } else {
            node
        };
        changed |= child_changed;
        Ok(Transformed {
            data: node,
            transformed: changed,
        })
    }
}
