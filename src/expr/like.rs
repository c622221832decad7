//! `[NOT] LIKE` and `[NOT] ILIKE` with `%`, `_` and an escape character (backslash
//! unless the query names another with `ESCAPE`), by Arrow's like kernels.
//!
//! In: a string operand, a pattern operand and the escape character. Out: a BOOLEAN
//! operand (NULL in, NULL out). Arrow's kernels read backslash escapes, so a pattern
//! with another escape character (or none) is first rewritten into that form.

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, StringArray};
use arrow::compute::{ilike, like, nilike, nlike};
use arrow::datatypes::DataType;

use crate::error::{EmberError, Result};
use crate::expr::operand::{Operand, datum_kernel};

/// `value [NOT] [I]LIKE pattern [ESCAPE escape]`.
pub fn evaluate_like(
    value: &Operand,
    pattern: &Operand,
    negated: bool,
    case_insensitive: bool,
    escape: Option<char>,
) -> Result<Operand> {
    let value = to_utf8(value)?;
    let pattern = to_utf8(pattern)?;
    let pattern = if escape == Some('\\') {
        pattern
    } else {
        pattern.map(|a| {
            let rewritten: StringArray = a
                .as_string::<i32>()
                .iter()
                .map(|p| p.map(|p| backslash_pattern(p, escape)).transpose())
                .collect::<Result<_>>()?;
            Ok(Arc::new(rewritten) as ArrayRef)
        })?
    };
    datum_kernel(&value, &pattern, |v, p| {
        let out = match (negated, case_insensitive) {
            (false, false) => like(v, p)?,
            (true, false) => nlike(v, p)?,
            (false, true) => ilike(v, p)?,
            (true, true) => nilike(v, p)?,
        };
        Ok(Arc::new(out) as ArrayRef)
    })
}

/// `pattern` with escape character `escape` (or none) as a pattern with backslash
/// escapes: `a!%b` with `!` becomes `a\%b`, and a backslash that escapes nothing
/// becomes `\\`. A pattern that ends in its escape character is an error, as in
/// PostgreSQL.
fn backslash_pattern(pattern: &str, escape: Option<char>) -> Result<String> {
    let mut out = String::with_capacity(pattern.len() + 2);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if Some(c) == escape {
            let next = chars.next().ok_or_else(|| {
                EmberError::execution(format!(
                    "LIKE pattern '{pattern}' must not end with its escape character '{c}'"
                ))
            })?;
            out.push('\\');
            out.push(next);
        } else if c == '\\' {
            out.push_str("\\\\");
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

fn to_utf8(o: &Operand) -> Result<Operand> {
    if *o.data_type() == DataType::Utf8 {
        return Ok(o.clone());
    }
    o.clone()
        .map(|a| Ok(arrow::compute::cast(a, &DataType::Utf8)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_with_other_escapes_become_backslash_patterns() {
        assert_eq!(backslash_pattern("a!%b", Some('!')).unwrap(), "a\\%b");
        assert_eq!(backslash_pattern("a!!b", Some('!')).unwrap(), "a\\!b");
        assert_eq!(backslash_pattern("a\\b%", Some('!')).unwrap(), "a\\\\b%");
        assert_eq!(backslash_pattern("a\\%", None).unwrap(), "a\\\\%");
        let err = backslash_pattern("ab!", Some('!')).unwrap_err().to_string();
        assert!(
            err.contains("must not end with its escape character"),
            "{err}"
        );
    }
}
