//! [`Column`]: a reference to an input column by name, optionally qualified.
//!
//! Imports nothing of the crate.

use std::fmt;

/// A column reference, optionally qualified by a table name or alias.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Column {
    /// Table or alias.
    pub relation: Option<String>,
    /// Column name.
    pub name: String,
}

impl Column {
    /// An unqualified column.
    pub fn new(name: impl Into<String>) -> Self {
        Column {
            relation: None,
            name: name.into(),
        }
    }
    /// A qualified column.
    pub fn qualified(relation: impl Into<String>, name: impl Into<String>) -> Self {
        Column {
            relation: Some(relation.into()),
            name: name.into(),
        }
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = crate::schema::display_name(&self.name);
        match &self.relation {
            Some(r) => write!(f, "{r}.{name}"),
            None => write!(f, "{name}"),
        }
    }
}
