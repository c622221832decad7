//! Plan schemas: ordered fields, each with an optional qualifier (the table or alias
//! it came from), so `l.a` and `r.a` can live side by side in a join's output.
//!
//! Column identity: inside one schema no two fields share a `(qualifier, name)` key
//! (compared without case), so every [`crate::expr::Column`] names exactly one field
//! and every rule that matches columns by name is sound. Where SQL legitimately
//! produces two columns of one name (`SELECT 1 AS a, 2 AS a`, a derived table over
//! `l.k, r.k`), the plan builder gives each of them an internal name: the user's name,
//! [`DEDUP_MARK`] and a number. Users still see and write the name they gave; a
//! reference that fits several fields is an error naming them, as in PostgreSQL.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema};

use crate::error::{Location, PlanError, Result};

/// Starts the suffix that makes a repeated column name unique inside a plan
/// (`a` and `a` become `a\u{1F}1` and `a\u{1F}2`). A control character, so no name
/// a user writes or a file holds is mistaken for one; EXPLAIN shows it as `#`.
pub const DEDUP_MARK: char = '\u{1F}';

/// The name a user sees and writes for the internal column name `name`.
pub fn user_name(name: &str) -> &str {
    match name.find(DEDUP_MARK) {
        Some(i) => &name[..i],
        None => name,
    }
}

/// `name` for EXPLAIN and messages: a deduplicated name shows as `a#2`.
pub fn display_name(name: &str) -> Cow<'_, str> {
    if name.contains(DEDUP_MARK) {
        Cow::Owned(name.replace(DEDUP_MARK, "#"))
    } else {
        Cow::Borrowed(name)
    }
}

/// True when `name` carries a deduplication suffix.
pub fn is_deduplicated(name: &str) -> bool {
    name.contains(DEDUP_MARK)
}

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

    /// `qualifier.name`, or `name` alone, as EXPLAIN and messages show it.
    pub fn qualified_name(&self) -> String {
        match &self.qualifier {
            Some(q) => format!("{q}.{}", display_name(&self.name)),
            None => display_name(&self.name).into_owned(),
        }
    }

    /// The name the user gave this column (without any deduplication suffix).
    pub fn user_name(&self) -> &str {
        user_name(&self.name)
    }
}

/// For each field, `Some(new name)` where a reference to it could also reach another
/// field, `None` where its name is already its own. That is the case for fields sharing
/// a `(qualifier, name)` key — all of them are renamed (`a`, `a` → `a#1`, `a#2`), so no
/// reference written before can silently pick one — and for an unqualified field
/// whose name another field has (an unqualified reference matches any qualifier), which
/// alone is renamed. New names are used by no other field.
pub fn unique_names(fields: &[PlanField]) -> Vec<Option<String>> {
    let names: Vec<String> = fields.iter().map(|f| f.name.to_ascii_lowercase()).collect();
    let qualifiers: Vec<Option<String>> = fields
        .iter()
        .map(|f| f.qualifier.as_ref().map(|q| q.to_ascii_lowercase()))
        .collect();
    let clashes = |i: usize| {
        (0..fields.len()).any(|j| {
            j != i
                && names[j] == names[i]
                && (qualifiers[i].is_none() || qualifiers[j] == qualifiers[i])
        })
    };
    let renamed: Vec<bool> = if fields.len() > 64 {
        // Group by name first so wide schemas stay linear.
        let mut by_name: std::collections::HashMap<&str, Vec<usize>> = Default::default();
        for (i, n) in names.iter().enumerate() {
            by_name.entry(n.as_str()).or_default().push(i);
        }
        (0..fields.len())
            .map(|i| {
                let group = &by_name[names[i].as_str()];
                group.len() > 1
                    && group.iter().any(|&j| {
                        j != i && (qualifiers[i].is_none() || qualifiers[j] == qualifiers[i])
                    })
            })
            .collect()
    } else {
        (0..fields.len()).map(clashes).collect()
    };
    if !renamed.contains(&true) {
        return vec![None; fields.len()];
    }
    let mut taken: HashSet<String> = names.iter().cloned().collect();
    let mut next = 1usize;
    fields
        .iter()
        .zip(renamed)
        .map(|(f, rename)| {
            if !rename {
                return None;
            }
            loop {
                let name = format!("{}{DEDUP_MARK}{next}", f.user_name());
                next += 1;
                if taken.insert(name.to_ascii_lowercase()) {
                    return Some(name);
                }
            }
        })
        .collect()
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

    /// The Arrow schema with the names users see (unqualified, without deduplication
    /// suffixes, so they may repeat), types and nullability.
    pub fn to_arrow(&self) -> Schema {
        Schema::new(
            self.fields
                .iter()
                .map(|f| Field::new(f.user_name(), f.data_type.clone(), f.nullable))
                .collect::<Vec<_>>(),
        )
    }

    /// The same fields with every shared `(qualifier, name)` key made unique (see
    /// [`unique_names`]), for nodes whose columns are positional (aliases, unions).
    pub fn deduplicated(mut self) -> PlanSchema {
        let names = unique_names(&self.fields);
        for (f, n) in self.fields.iter_mut().zip(names) {
            if let Some(n) = n {
                f.name = n;
            }
        }
        self
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

    /// [`PlanSchema::index_of`] without building the error: `None` when no field or
    /// more than one fits (for rules that only ask whether a column is there).
    pub fn find(&self, qualifier: Option<&str>, name: &str) -> Option<usize> {
        // The one match, without collecting the matches (rules ask this very often).
        let mut found = None;
        for (i, f) in self.fields.iter().enumerate() {
            if field_matches(f, qualifier, |f| f.name.eq_ignore_ascii_case(name)) {
                if found.is_some() {
                    return None;
                }
                found = Some(i);
            }
        }
        found
    }

    /// The index of the field a plan's own column reference names: `qualifier.name`
    /// by the field's internal name, or `name` alone under any qualifier. Names compare
    /// case-insensitively; plans keep them unique (see [`unique_names`]), so more than
    /// one match is an error, never a silent pick.
    pub fn index_of(&self, qualifier: Option<&str>, name: &str) -> Result<usize> {
        let matches = self.matching(qualifier, |f| f.name.eq_ignore_ascii_case(name));
        self.one_of(matches, qualifier, name, Location::default())
    }

    /// The index of the field a user's `qualifier.name` (or `name`) refers to, matched
    /// by the names users see: a name that fits several fields is ambiguous, as in
    /// PostgreSQL, and a missing one suggests the nearest.
    pub fn resolve(&self, qualifier: Option<&str>, name: &str, at: Location) -> Result<usize> {
        let matches = self.matching(qualifier, |f| f.user_name().eq_ignore_ascii_case(name));
        self.one_of(matches, qualifier, name, at)
    }

    fn matching(
        &self,
        qualifier: Option<&str>,
        name_fits: impl Fn(&PlanField) -> bool,
    ) -> Vec<usize> {
        self.fields
            .iter()
            .enumerate()
            .filter(|(_, f)| field_matches(f, qualifier, &name_fits))
            .map(|(i, _)| i)
            .collect()
    }

    fn one_of(
        &self,
        matches: Vec<usize>,
        qualifier: Option<&str>,
        name: &str,
        at: Location,
    ) -> Result<usize> {
        let written = match qualifier {
            Some(q) => format!("{q}.{}", display_name(name)),
            None => display_name(name).into_owned(),
        };
        match matches.as_slice() {
            [i] => Ok(*i),
            [] => {
                let mut names: Vec<String> = Vec::new();
                for f in &self.fields {
                    let n = match (&f.qualifier, qualifier) {
                        (Some(q), Some(_)) => format!("{q}.{}", f.user_name()),
                        _ => f.user_name().to_string(),
                    };
                    if !names.contains(&n) {
                        names.push(n);
                    }
                }
                Err(PlanError::not_found(
                    "column",
                    &written,
                    names.iter().map(String::as_str),
                    at,
                ))
            }
            many => Err(PlanError::Ambiguous {
                name: written,
                candidates: many
                    .iter()
                    .map(|&i| {
                        let f = &self.fields[i];
                        let n = match &f.qualifier {
                            Some(q) => format!("{q}.{}", f.user_name()),
                            None => f.user_name().to_string(),
                        };
                        if is_deduplicated(&f.name) {
                            format!("{n} (column {})", i + 1)
                        } else {
                            n
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                location: at,
            }),
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

/// Whether `f` fits `name_fits` and, when a qualifier is given, carries it (any case).
fn field_matches(
    f: &PlanField,
    qualifier: Option<&str>,
    name_fits: impl Fn(&PlanField) -> bool,
) -> bool {
    name_fits(f)
        && match qualifier {
            None => true,
            Some(q) => f
                .qualifier
                .as_deref()
                .is_some_and(|fq| fq.eq_ignore_ascii_case(q)),
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(q: Option<&str>, n: &str) -> PlanField {
        PlanField::new(q, n, DataType::Int64, true)
    }

    #[test]
    fn repeated_keys_are_all_renamed_and_keep_the_user_name() {
        let s = PlanSchema::new(vec![
            f(Some("s"), "a"),
            f(Some("s"), "b"),
            f(Some("s"), "A"),
        ])
        .deduplicated();
        assert_eq!(s.fields[1].name, "b");
        assert!(is_deduplicated(&s.fields[0].name) && is_deduplicated(&s.fields[2].name));
        assert_ne!(s.fields[0].name, s.fields[2].name);
        assert_eq!(
            (s.fields[0].user_name(), s.fields[2].user_name()),
            ("a", "A")
        );
        let arrow = s.to_arrow();
        assert_eq!(arrow.field(0).name(), "a");
        assert_eq!(arrow.field(2).name(), "A");
    }

    #[test]
    fn an_unqualified_field_clashing_with_a_qualified_one_is_renamed_alone() {
        let s = PlanSchema::new(vec![f(Some("l"), "k"), f(Some("r"), "k"), f(None, "k")])
            .deduplicated();
        assert_eq!(
            (s.fields[0].name.as_str(), s.fields[1].name.as_str()),
            ("k", "k")
        );
        assert!(is_deduplicated(&s.fields[2].name));
        // Every field is reachable by its own reference.
        for (i, fld) in s.fields.iter().enumerate() {
            assert_eq!(s.index_of(fld.qualifier.as_deref(), &fld.name).unwrap(), i);
        }
    }

    #[test]
    fn user_references_fitting_several_fields_are_ambiguous() {
        let s = PlanSchema::new(vec![f(Some("s"), "a"), f(Some("s"), "a")]).deduplicated();
        let e = s.resolve(Some("s"), "a", Location::default()).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("ambiguous") && text.contains("column 1") && text.contains("column 2"),
            "{text}"
        );
        assert!(s.find(Some("s"), "a").is_none());
        let one = PlanSchema::new(vec![f(Some("s"), "a"), f(Some("t"), "a")]);
        assert_eq!(one.resolve(Some("t"), "A", Location::default()).unwrap(), 1);
        assert!(one.resolve(None, "a", Location::default()).is_err());
    }
}
