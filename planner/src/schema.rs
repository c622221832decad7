//! Plan schemas: ordered fields, each with an optional qualifier (the table or alias
//! it came from), so `l.a` and `r.a` can live side by side in a join's output.

use std::fmt;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema};

use crate::error::{Location, PlanError, Result};

/// One column of a plan's output.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PlanField {
    /// The table or alias the column belongs to, if any.
    pub qualifier: Option<String>,
    /// The column's name.
    pub name: String,
    /// Its type.
    pub data_type: DataType,
    /// Whether it may hold NULL.
    pub nullable: bool,
}

impl PlanField {
    /// A field with a qualifier.
    pub fn new(qualifier: Option<&str>, name: &str, data_type: DataType, nullable: bool) -> Self {
        PlanField {
            qualifier: qualifier.map(str::to_string),
            name: name.to_string(),
            data_type,
            nullable,
        }
    }

    /// `qualifier.name`, or `name` alone.
    pub fn qualified_name(&self) -> String {
        match &self.qualifier {
            Some(q) => format!("{q}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// The output columns of a plan node.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct PlanSchema {
    /// The fields in output order.
    pub fields: Vec<PlanField>,
}

/// Shared schema.
pub type PlanSchemaRef = Arc<PlanSchema>;

impl PlanSchema {
    /// A schema from fields.
    pub fn new(fields: Vec<PlanField>) -> Self {
        PlanSchema { fields }
    }

    /// The fields of an Arrow schema, all with the same qualifier.
    pub fn from_arrow(qualifier: Option<&str>, schema: &Schema) -> Self {
        PlanSchema {
            fields: schema
                .fields()
                .iter()
                .map(|f| {
                    PlanField::new(qualifier, f.name(), f.data_type().clone(), f.is_nullable())
                })
                .collect(),
        }
    }

    /// The Arrow schema with the same names (unqualified), types and nullability.
    pub fn to_arrow(&self) -> Schema {
        Schema::new(
            self.fields
                .iter()
                .map(|f| Field::new(&f.name, f.data_type.clone(), f.nullable))
                .collect::<Vec<_>>(),
        )
    }

    /// Number of columns.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// True when there are no columns.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Field `i`.
    pub fn field(&self, i: usize) -> &PlanField {
        &self.fields[i]
    }

    /// The same fields, all given `qualifier` (for `FROM t AS x`).
    pub fn with_qualifier(&self, qualifier: &str) -> PlanSchema {
        PlanSchema {
            fields: self
                .fields
                .iter()
                .map(|f| PlanField {
                    qualifier: Some(qualifier.to_string()),
                    ..f.clone()
                })
                .collect(),
        }
    }

    /// This schema's fields followed by `other`'s (a join's output).
    pub fn join(&self, other: &PlanSchema) -> PlanSchema {
        let mut fields = self.fields.clone();
        fields.extend(other.fields.iter().cloned());
        PlanSchema { fields }
    }

    /// The index of the column `qualifier.name` (or `name` alone); names compare
    /// case-insensitively. Errors name the column and suggest the nearest one.
    pub fn index_of(&self, qualifier: Option<&str>, name: &str) -> Result<usize> {
        self.index_of_at(qualifier, name, Location::default())
    }

    /// As [`PlanSchema::index_of`], with a location for the error.
    pub fn index_of_at(&self, qualifier: Option<&str>, name: &str, at: Location) -> Result<usize> {
        let matches: Vec<usize> = self
            .fields
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                f.name.eq_ignore_ascii_case(name)
                    && match qualifier {
                        None => true,
                        Some(q) => f
                            .qualifier
                            .as_deref()
                            .is_some_and(|fq| fq.eq_ignore_ascii_case(q)),
                    }
            })
            .map(|(i, _)| i)
            .collect();
        match matches.as_slice() {
            [i] => Ok(*i),
            [] => {
                let written = match qualifier {
                    Some(q) => format!("{q}.{name}"),
                    None => name.to_string(),
                };
                let names: Vec<String> = self
                    .fields
                    .iter()
                    .map(|f| {
                        if qualifier.is_some() {
                            f.qualified_name()
                        } else {
                            f.name.clone()
                        }
                    })
                    .collect();
                Err(PlanError::not_found(
                    "column",
                    &written,
                    names.iter().map(String::as_str),
                    at,
                ))
            }
            many => {
                // The same column reached twice through USING or a self-projection is not ambiguous.
                let first = &self.fields[many[0]];
                if many.iter().all(|&i| self.fields[i] == *first) {
                    return Ok(many[0]);
                }
                Err(PlanError::Ambiguous {
                    name: name.to_string(),
                    candidates: many
                        .iter()
                        .map(|&i| self.fields[i].qualified_name())
                        .collect::<Vec<_>>()
                        .join(", "),
                    location: at,
                })
            }
        }
    }
}

impl fmt::Display for PlanSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .fields
            .iter()
            .map(|x| {
                format!(
                    "{}:{}",
                    x.qualified_name(),
                    crate::types::SqlType(&x.data_type)
                )
            })
            .collect();
        write!(f, "[{}]", parts.join(", "))
    }
}
