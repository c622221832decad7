//! [`SortExpr`]: an expression with a direction and a NULL placement, as ORDER BY,
//! window ORDER BY and the Sort node use it.

use std::fmt;

use crate::expr::Expr;

/// A sort key.
#[derive(Debug, Clone, PartialEq)]
pub struct SortExpr {
    /// What to sort by.
    pub expr: Expr,
    /// Ascending when true.
    pub asc: bool,
    /// NULLs before other values when true.
    pub nulls_first: bool,
}

impl SortExpr {
    /// A sort key; NULLs sort as larger than any value (last ascending, first descending).
    pub fn new(expr: Expr, asc: bool) -> Self {
        SortExpr {
            expr,
            asc,
            nulls_first: !asc,
        }
    }
}

impl fmt::Display for SortExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}",
            self.expr,
            if self.asc { "ASC" } else { "DESC" },
            if self.nulls_first {
                "NULLS FIRST"
            } else {
                "NULLS LAST"
            }
        )
    }
}
