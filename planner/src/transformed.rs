//! [`Transformed`]: what every rewrite of a tree returns — plans
//! ([`crate::logical::LogicalPlan::transform_up`], `map_expressions`) and expressions
//! ([`crate::expr::Expr::transform_up`]) alike: the value, whether it changed, and for
//! top-down walks whether to go on into the value's children.

use crate::error::Result;

/// Whether a top-down walk goes on into the children of the node just rewritten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recursion {
    /// Visit the children.
    Continue,
    /// Leave the children as they are (bottom-up walks have visited them already and
    /// ignore this).
    Jump,
}

/// A value and whether a rewrite changed it.
#[derive(Debug, Clone)]
pub struct Transformed<T> {
    /// The (possibly rewritten) value.
    pub data: T,
    /// True when something changed.
    pub transformed: bool,
    /// For top-down walks: whether to visit the value's children next.
    pub recursion: Recursion,
}

impl<T> Transformed<T> {
    /// A changed value.
    pub fn yes(data: T) -> Self {
        Transformed {
            data,
            transformed: true,
            recursion: Recursion::Continue,
        }
    }

    /// An unchanged value.
    pub fn no(data: T) -> Self {
        Transformed {
            data,
            transformed: false,
            recursion: Recursion::Continue,
        }
    }

    /// `data`, changed or not as `transformed` says.
    pub fn new(data: T, transformed: bool) -> Self {
        Transformed {
            data,
            transformed,
            recursion: Recursion::Continue,
        }
    }

    /// The same, telling a top-down walk to leave the children alone.
    pub fn jump(self) -> Self {
        Transformed {
            recursion: Recursion::Jump,
            ..self
        }
    }

    /// The same value and flag, with the walk going on (a finished subtree's answer
    /// does not stop its parent's walk).
    pub fn continued(self) -> Self {
        Transformed {
            recursion: Recursion::Continue,
            ..self
        }
    }

    /// The same flags around `f(data)`.
    pub fn map_data<U>(self, f: impl FnOnce(T) -> U) -> Transformed<U> {
        Transformed {
            data: f(self.data),
            transformed: self.transformed,
            recursion: self.recursion,
        }
    }

    /// Rewrites the value further with `f`: changed if either step changed it.
    pub fn and_then(self, f: impl FnOnce(T) -> Result<Transformed<T>>) -> Result<Transformed<T>> {
        let next = f(self.data)?;
        Ok(Transformed {
            transformed: self.transformed || next.transformed,
            ..next
        })
    }
}
