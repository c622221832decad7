//! `typeof(x)`: the SQL name of the type of `x` (`BIGINT`, `DECIMAL(3,2)`, `VARCHAR`,
//! `NULL` for an untyped NULL), on every row, NULL or not.

use std::sync::Arc;

use arrow::array::{ArrayRef, StringArray};
use arrow::datatypes::DataType;

use super::Call;
use crate::error::Result;
use crate::expr::cast::sql_type_name;

/// Evaluates `typeof`.
pub(super) fn evaluate(c: &Call) -> Result<ArrayRef> {
    c.arity(1, 1)?;
    let name = match c.args[0].data_type() {
        DataType::Null => "NULL".to_string(),
        t => sql_type_name(t),
    };
    Ok(Arc::new(StringArray::from_iter_values(
        std::iter::repeat_n(name, c.rows),
    )))
}
