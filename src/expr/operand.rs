//! [`Operand`], the value kernels take and return: a whole column, or one constant that
//! they broadcast; and the helpers to pass operands to Arrow's datum kernels.
//!
//! In: arrays. Out: arrays. Imports only `arrow` and `crate::error`, so that every
//! kernel file and the dispatcher (`eval`) can share it without importing each other.

use arrow::array::{Array, ArrayRef, Scalar, UInt32Array};
use arrow::compute::take;
use arrow::datatypes::DataType;

use crate::error::{EmberError, Result};

/// The value of an expression over a batch: a whole column, or one constant held as
/// a one-row array that kernels broadcast without copying.
#[derive(Debug, Clone)]
pub enum Operand {
    /// One value per row.
    Array(ArrayRef),
    /// The same value for every row (a one-row array).
    Scalar(ArrayRef),
}

impl Operand {
    /// The data type.
    pub fn data_type(&self) -> &DataType {
        match self {
            Operand::Array(a) | Operand::Scalar(a) => a.data_type(),
        }
    }

    /// The underlying array (one row for a scalar).
    pub fn array(&self) -> &ArrayRef {
        match self {
            Operand::Array(a) | Operand::Scalar(a) => a,
        }
    }

    /// True for a constant.
    pub fn is_scalar(&self) -> bool {
        matches!(self, Operand::Scalar(_))
    }

    /// A column of `len` rows (a scalar is repeated).
    pub fn into_array(self, len: usize) -> Result<ArrayRef> {
        match self {
            Operand::Array(a) => Ok(a),
            Operand::Scalar(a) => broadcast(&a, len),
        }
    }

    /// Applies `f` to the underlying array, keeping the scalar/array shape.
    pub fn map(self, f: impl FnOnce(&ArrayRef) -> Result<ArrayRef>) -> Result<Operand> {
        Ok(match self {
            Operand::Array(a) => Operand::Array(f(&a)?),
            Operand::Scalar(a) => Operand::Scalar(f(&a)?),
        })
    }
}

/// Repeats row 0 of `array` `len` times.
pub(crate) fn broadcast(array: &ArrayRef, len: usize) -> Result<ArrayRef> {
    if array.len() == len {
        return Ok(array.clone());
    }
    if array.is_empty() {
        return Err(EmberError::internal("cannot broadcast an empty constant"));
    }
    let indices = UInt32Array::from(vec![0u32; len]);
    Ok(take(array.as_ref(), &indices, None)?)
}

/// Calls an Arrow kernel taking two datums, passing scalars as [`Scalar`]s; the result
/// is a scalar when both inputs are.
pub(crate) fn datum_kernel<F>(l: &Operand, r: &Operand, f: F) -> Result<Operand>
where
    F: FnOnce(&dyn arrow::array::Datum, &dyn arrow::array::Datum) -> Result<ArrayRef>,
{
    let out = match (l, r) {
        (Operand::Array(a), Operand::Array(b)) => Operand::Array(f(a, b)?),
        (Operand::Array(a), Operand::Scalar(b)) => Operand::Array(f(a, &Scalar::new(b.clone()))?),
        (Operand::Scalar(a), Operand::Array(b)) => Operand::Array(f(&Scalar::new(a.clone()), b)?),
        (Operand::Scalar(a), Operand::Scalar(b)) => Operand::Scalar(f(a, b)?),
    };
    Ok(out)
}
