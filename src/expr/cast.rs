//! CAST: Arrow's cast kernel in strict mode, with an error that names the first value
//! that could not be converted.
//!
//! In: an array and a target type. Out: the array in that type, or
//! `cannot cast 'abc' to Int64`.

use arrow::array::{Array, ArrayRef};
use arrow::compute::{CastOptions, can_cast_types, cast_with_options};
use arrow::datatypes::DataType;
use arrow::util::display::{ArrayFormatter, FormatOptions};

use crate::error::{EmberError, Result};

/// Casts `array` to `to`; a value that does not convert is an execution error naming it.
pub fn cast_array(array: &ArrayRef, to: &DataType) -> Result<ArrayRef> {
    if array.data_type() == to {
        return Ok(array.clone());
    }
    if !can_cast_types(array.data_type(), to) {
        return Err(EmberError::execution(format!(
            "cannot cast {} to {to}",
            array.data_type()
        )));
    }
    let strict = CastOptions {
        safe: false,
        format_options: FormatOptions::default(),
    };
    match cast_with_options(array, to, &strict) {
        Ok(a) => Ok(a),
        Err(err) => Err(explain_failure(array, to)
            .unwrap_or_else(|| EmberError::execution(format!("cannot cast to {to}: {err}")))),
    }
}

/// Finds the first non-NULL value that became NULL in a lenient cast and names it.
fn explain_failure(array: &ArrayRef, to: &DataType) -> Option<EmberError> {
    let lenient = cast_with_options(array, to, &CastOptions::default()).ok()?;
    let row = (0..array.len()).find(|&i| array.is_valid(i) && lenient.is_null(i))?;
    let formatter = ArrayFormatter::try_new(array.as_ref(), &FormatOptions::default()).ok()?;
    let value = formatter.value(row).to_string();
    Some(EmberError::execution(format!(
        "cannot cast '{value}' to {to}"
    )))
}
