//! SQL type names (as in `CAST(x AS DECIMAL(15,2))`) to Arrow types.
//!
//! In: a sqlparser `DataType`. Out: the Arrow `DataType` Ember uses, or `Unsupported`.

use arrow::datatypes::DataType;
use sqlparser::ast::{self, ExactNumberInfo};

use crate::error::{Location, PlanError, Result};
use crate::types::MAX_DECIMAL_PRECISION;

/// The Arrow type for a SQL type name.
pub(crate) fn sql_to_arrow_type(t: &ast::DataType, at: Location) -> Result<DataType> {
    use ast::DataType as S;
    Ok(match t {
        S::Int(_) | S::Integer(_) | S::Int4(_) | S::Int32 => DataType::Int32,
        S::BigInt(_) | S::Int8(_) | S::Int64 => DataType::Int64,
        S::Double(_) | S::DoublePrecision | S::Float(_) | S::Float64 | S::Float8 | S::Real => {
            DataType::Float64
        }
        S::Decimal(info) | S::Numeric(info) | S::Dec(info) => decimal_type(info, t, at)?,
        S::Varchar(_)
        | S::Text
        | S::Char(_)
        | S::Character(_)
        | S::CharacterVarying(_)
        | S::String(_) => DataType::Utf8,
        S::Date => DataType::Date32,
        S::Timestamp(
            None | Some(6),
            ast::TimezoneInfo::None | ast::TimezoneInfo::WithoutTimeZone,
        )
        | S::Datetime(None) => crate::functions::TIMESTAMP,
        S::Boolean | S::Bool => DataType::Boolean,
        other => return Err(PlanError::unsupported_at(format!("type {other}"), at)),
    })
}

fn decimal_type(info: &ExactNumberInfo, t: &ast::DataType, at: Location) -> Result<DataType> {
    let (p, s) = match info {
        ExactNumberInfo::None => (MAX_DECIMAL_PRECISION as u64, 0),
        ExactNumberInfo::Precision(p) => (*p, 0),
        ExactNumberInfo::PrecisionAndScale(p, s) => (*p, *s),
    };
    if p == 0 || p > MAX_DECIMAL_PRECISION as u64 || s < 0 || s as u64 > p {
        return Err(PlanError::unsupported_at(format!("type {t}"), at));
    }
    Ok(DataType::Decimal128(p as u8, s as i8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_common_names() {
        let at = Location::default();
        let dec = ast::DataType::Decimal(ExactNumberInfo::PrecisionAndScale(15, 2));
        assert_eq!(
            sql_to_arrow_type(&dec, at).unwrap(),
            DataType::Decimal128(15, 2)
        );
        assert_eq!(
            sql_to_arrow_type(&ast::DataType::Text, at).unwrap(),
            DataType::Utf8
        );
        let err =
            sql_to_arrow_type(&ast::DataType::Time(None, ast::TimezoneInfo::None), at).unwrap_err();
        assert!(err.to_string().contains("TIME"), "{err}");
    }
}
