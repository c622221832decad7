//! `typeof(x)`: the SQL name of the type of `x` (`BIGINT`, `DECIMAL(3,2)`, `VARCHAR`,
//! `NULL` for an untyped NULL), on every row, NULL or not.

use std::sync::Arc;

use arrow::array::{ArrayRef, StringArray};

use super::Call;
use crate::error::Result;
use ember_planner::types::sql_type_name;

/// Evaluates `typeof`.
pub(super) fn evaluate(c: &Call) -> Result<ArrayRef> {
    c.arity(1, 1)?;
    let name = sql_type_name(c.args[0].data_type());
    Ok(Arc::new(StringArray::from_iter_values(
        std::iter::repeat_n(name, c.rows),
    )))
}
