//! One ORDER BY key's direction and null placement, read the same way by a query's
//! ORDER BY, a SELECT block's ORDER BY and a window's ORDER BY.
//!
//! In: a sqlparser `OrderByExpr`. Out: [`SortOrder`]. Imports only `sql::errors`.

use sqlparser::ast::{OrderByExpr, OrderBySort};

use crate::error::Result;
use crate::sql::errors::unsupported;

/// How one key sorts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SortOrder {
    pub asc: bool,
    pub nulls_first: bool,
}

/// Ascending unless DESC; NULLs last when ascending and first when descending (as
/// PostgreSQL) unless NULLS FIRST / NULLS LAST says otherwise. `USING op` is unsupported.
pub(crate) fn sort_order(o: &OrderByExpr) -> Result<SortOrder> {
    let asc = match &o.options.sort {
        None | Some(OrderBySort::Asc) => true,
        Some(OrderBySort::Desc) => false,
        Some(OrderBySort::Using(op)) => {
            return Err(unsupported(format!("ORDER BY ... USING {op}"), &o.expr));
        }
    };
    Ok(SortOrder {
        asc,
        nulls_first: o.options.nulls_first.unwrap_or(!asc),
    })
}
