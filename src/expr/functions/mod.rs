//! The scalar functions of `ember_planner::functions::FUNCTIONS`, grouped by family;
//! [`evaluate_function`] dispatches by name.
//!
//! In: evaluated argument operands, the result type and the row count. Out: an
//! operand (a scalar when every argument is one). Functions walk the values of whole
//! arrays (no per-row `ScalarValue`); a NULL argument gives a NULL result unless the
//! function says otherwise (concat, concat_ws, coalesce, greatest, least).
//!
//! - [`string`]: text functions and regular expressions.
//! - [`math`]: numeric functions.
//! - [`conditional`]: coalesce, ifnull, nullif.
//! - [`datetime`]: date_part, date_trunc, make_date, current_date, ...
//! - [`template`]: the `to_char` / `to_date` templates (`YYYY-MM-DD`).
//! - [`type_of`]: `typeof`, the SQL name of an argument's type.

mod conditional;
mod datetime;
mod math;
mod string;
mod template;
mod type_of;

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanBuilder, Float64Array, Int64Array, Int64Builder, StringBuilder,
};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{DataType, Float64Type, Int64Type};

use crate::error::{EmberError, Result};
use crate::expr::cast::cast_array;
use crate::expr::operand::Operand;

/// Evaluates the scalar function `name` over its evaluated arguments.
pub fn evaluate_function(
    name: &str,
    args: &[Operand],
    data_type: &DataType,
    len: usize,
) -> Result<Operand> {
    let all_scalar = args.iter().all(Operand::is_scalar);
    let rows = if all_scalar { 1 } else { len };
    let arrays = args
        .iter()
        .map(|a| a.clone().into_array(rows))
        .collect::<Result<Vec<_>>>()?;
    let nulls = arrays.iter().fold(None, |acc: Option<NullBuffer>, a| {
        NullBuffer::union(acc.as_ref(), a.logical_nulls().as_ref())
    });
    let call = Call {
        name,
        args: &arrays,
        rows,
        data_type,
        nulls,
    };
    let out = match name {
        "substring" | "upper" | "lower" | "trim" | "ltrim" | "rtrim" | "length" | "char_length"
        | "replace" | "concat" | "concat_ws" | "strpos" | "left" | "right" | "lpad" | "rpad"
        | "split_part" | "starts_with" | "ends_with" | "regexp_like" | "regexp_replace"
        | "reverse" | "chr" => string::evaluate(&call)?,
        "abs" | "round" | "ceil" | "ceiling" | "floor" | "sqrt" | "power" | "pow" | "ln"
        | "log" | "log10" | "exp" | "mod" | "sign" | "greatest" | "least" => math::evaluate(&call)?,
        "coalesce" | "ifnull" | "nullif" => conditional::evaluate(&call)?,
        "typeof" => type_of::evaluate(&call)?,
        "date_part" | "date_trunc" | "current_date" | "current_timestamp" | "now" | "make_date"
        | "to_date" | "to_timestamp" | "to_char" | "strftime" => datetime::evaluate(&call)?,
        other => {
            return Err(EmberError::Unsupported(format!(
                "unknown scalar function {other}()"
            )));
        }
    };
    let out = cast_array(&out, data_type)?;
    Ok(if all_scalar {
        Operand::Scalar(out)
    } else {
        Operand::Array(out)
    })
}

/// One call: the function's name, its arguments as arrays of `rows` rows each.
pub(crate) struct Call<'a> {
    pub name: &'a str,
    pub args: &'a [ArrayRef],
    pub rows: usize,
    pub data_type: &'a DataType,
    /// Rows where some argument is NULL.
    pub nulls: Option<NullBuffer>,
}

impl Call<'_> {
    /// An error naming the function.
    pub fn error(&self, message: impl std::fmt::Display) -> EmberError {
        EmberError::execution(format!("{}(): {message}", self.name))
    }

    /// Checks the argument count (the planner already did; this guards direct calls).
    pub fn arity(&self, lo: usize, hi: usize) -> Result<()> {
        let n = self.args.len();
        if n < lo || n > hi {
            return Err(self.error(format!("takes {lo} to {hi} arguments, got {n}")));
        }
        Ok(())
    }

    /// Argument `i` as strings.
    pub fn strings(&self, i: usize) -> Result<ArrayRef> {
        self.arg(i, &DataType::Utf8)
    }

    /// Argument `i` as BIGINTs.
    pub fn ints(&self, i: usize) -> Result<Int64Array> {
        Ok(self
            .arg(i, &DataType::Int64)?
            .as_primitive::<Int64Type>()
            .clone())
    }

    /// Argument `i` as DOUBLEs.
    pub fn floats(&self, i: usize) -> Result<Float64Array> {
        Ok(self
            .arg(i, &DataType::Float64)?
            .as_primitive::<Float64Type>()
            .clone())
    }

    /// Argument `i` cast to `t`.
    pub fn arg(&self, i: usize, t: &DataType) -> Result<ArrayRef> {
        let a = self
            .args
            .get(i)
            .ok_or_else(|| self.error(format!("missing argument {}", i + 1)))?;
        cast_array(a, t)
    }

    /// True when row `i` of every argument is non-NULL.
    pub fn all_valid(&self, i: usize) -> bool {
        self.nulls.as_ref().is_none_or(|n| n.is_valid(i))
    }
}

/// A string column built row by row; `f` returns `None` for NULL.
pub(crate) fn build_strings(
    rows: usize,
    mut f: impl FnMut(usize, &mut String) -> Result<bool>,
) -> Result<ArrayRef> {
    let mut out = StringBuilder::with_capacity(rows, rows * 8);
    let mut buf = String::new();
    for i in 0..rows {
        buf.clear();
        if f(i, &mut buf)? {
            out.append_value(&buf);
        } else {
            out.append_null();
        }
    }
    Ok(Arc::new(out.finish()))
}

/// A BIGINT column built row by row.
pub(crate) fn build_ints(
    rows: usize,
    mut f: impl FnMut(usize) -> Result<Option<i64>>,
) -> Result<ArrayRef> {
    let mut out = Int64Builder::with_capacity(rows);
    for i in 0..rows {
        out.append_option(f(i)?);
    }
    Ok(Arc::new(out.finish()))
}

/// A BOOLEAN column built row by row.
pub(crate) fn build_bools(
    rows: usize,
    mut f: impl FnMut(usize) -> Result<Option<bool>>,
) -> Result<ArrayRef> {
    let mut out = BooleanBuilder::with_capacity(rows);
    for i in 0..rows {
        out.append_option(f(i)?);
    }
    Ok(Arc::new(out.finish()))
}

/// A DOUBLE column built row by row.
pub(crate) fn build_floats(
    rows: usize,
    mut f: impl FnMut(usize) -> Result<Option<f64>>,
) -> Result<ArrayRef> {
    let out = (0..rows).map(&mut f).collect::<Result<Float64Array>>()?;
    Ok(Arc::new(out))
}
