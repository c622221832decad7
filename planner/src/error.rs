//! The planner's error type: one enum, variants by kind, with short constructors.
//!
//! Every variant renders as one line that says what went wrong and, where the
//! input has one, where (line and column in the SQL text).

use std::fmt;

/// A position in SQL text, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Location {
    /// Line number, starting at 1 (0 when unknown).
    pub line: u64,
    /// Column number, starting at 1 (0 when unknown).
    pub column: u64,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            Ok(())
        } else {
            write!(f, " at line {}, column {}", self.line, self.column)
        }
    }
}

impl Location {
    /// This position, given within a statement that starts at `start` of a script, as a
    /// position in the script: lines add up, and columns too on the statement's first line.
    pub fn within(self, start: Location) -> Location {
        if self.line == 0 || start.line == 0 {
            return self;
        }
        if self.line == 1 {
            Location {
                line: start.line,
                column: start.column + self.column.saturating_sub(1),
            }
        } else {
            Location {
                line: start.line + self.line - 1,
                column: self.column,
            }
        }
    }
}

impl From<sqlparser::tokenizer::Location> for Location {
    fn from(l: sqlparser::tokenizer::Location) -> Self {
        Location {
            line: l.line,
            column: l.column,
        }
    }
}

impl From<sqlparser::tokenizer::Span> for Location {
    fn from(s: sqlparser::tokenizer::Span) -> Self {
        s.start.into()
    }
}

/// Errors raised while parsing, resolving, optimizing or planning a query.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum PlanError {
    /// The SQL text does not parse.
    #[error("syntax error{location}: {message}")]
    Parse {
        /// What the parser expected and found.
        message: String,
        /// Where.
        location: Location,
    },
    /// A table, column, function or view that does not exist.
    #[error(
        "{kind} '{name}' not found{location}{}{}",
        searched_text(.searched),
        suggestion_text(.suggestion)
    )]
    NotFound {
        /// "table", "column", "function", ...
        kind: &'static str,
        /// The name as written.
        name: String,
        /// The closest existing name, if any is close.
        suggestion: Option<String>,
        /// Where the name was also looked up, besides Ember's catalog (remote mode:
        /// `on the cluster at sc://host:port`).
        searched: Option<String>,
        /// Where the name appears.
        location: Location,
    },
    /// A name that matches more than one column.
    #[error("column reference '{name}' is ambiguous{location}: it could be {candidates}")]
    Ambiguous {
        /// The name as written.
        name: String,
        /// The qualified candidates, comma separated.
        candidates: String,
        /// Where.
        location: Location,
    },
    /// Operand types that do not fit an operator or function.
    #[error("type mismatch{location}: {message}")]
    TypeMismatch {
        /// What the types were and what was expected.
        message: String,
        /// Where.
        location: Location,
    },
    /// A valid SQL feature that Ember does not implement yet.
    #[error("not supported{location}: {what}")]
    Unsupported {
        /// The feature, named as the user wrote it.
        what: String,
        /// Where.
        location: Location,
    },
    /// A query that is well formed but meaningless (e.g. a non-grouped column).
    #[error("planning error{location}: {message}")]
    Plan {
        /// What is wrong.
        message: String,
        /// Where, when known.
        location: Location,
    },
    /// A broken invariant inside the planner (a bug, not a user error).
    #[error("internal planner error: {0}")]
    Internal(String),
}

fn searched_text(s: &Option<String>) -> String {
    match s {
        Some(s) => format!(": looked up in Ember's catalog and {s}"),
        None => String::new(),
    }
}

fn suggestion_text(s: &Option<String>) -> String {
    match s {
        Some(s) => format!(" (did you mean '{s}'?)"),
        None => String::new(),
    }
}

/// Result alias for the planner.
pub type Result<T, E = PlanError> = std::result::Result<T, E>;

impl PlanError {
    /// A planning error with no location.
    pub fn plan(message: impl Into<String>) -> Self {
        PlanError::Plan {
            message: message.into(),
            location: Location::default(),
        }
    }
    /// A planning error at a location.
    pub fn plan_at(message: impl Into<String>, location: impl Into<Location>) -> Self {
        PlanError::Plan {
            message: message.into(),
            location: location.into(),
        }
    }
    /// An unsupported feature with no location.
    pub fn unsupported(what: impl Into<String>) -> Self {
        PlanError::Unsupported {
            what: what.into(),
            location: Location::default(),
        }
    }
    /// An unsupported feature at a location.
    pub fn unsupported_at(what: impl Into<String>, location: impl Into<Location>) -> Self {
        PlanError::Unsupported {
            what: what.into(),
            location: location.into(),
        }
    }
    /// A type mismatch with no location.
    pub fn type_mismatch(message: impl Into<String>) -> Self {
        PlanError::TypeMismatch {
            message: message.into(),
            location: Location::default(),
        }
    }
    /// An internal error.
    pub fn internal(message: impl Into<String>) -> Self {
        PlanError::Internal(message.into())
    }
    /// A missing object, with the closest of `candidates` as a suggestion.
    pub fn not_found<'a>(
        kind: &'static str,
        name: &str,
        candidates: impl IntoIterator<Item = &'a str>,
        location: Location,
    ) -> Self {
        PlanError::NotFound {
            kind,
            name: name.to_string(),
            suggestion: closest_name(name, candidates),
            searched: None,
            location,
        }
    }
    /// A "not found" error that also says where else the name was looked up.
    pub fn searched_also(mut self, place: impl Into<String>) -> Self {
        if let PlanError::NotFound { searched, .. } = &mut self {
            *searched = Some(place.into());
        }
        self
    }
    /// Where in the SQL text the error is, when known.
    pub fn location(&self) -> Option<Location> {
        match self {
            PlanError::Parse { location, .. }
            | PlanError::NotFound { location, .. }
            | PlanError::Ambiguous { location, .. }
            | PlanError::TypeMismatch { location, .. }
            | PlanError::Unsupported { location, .. }
            | PlanError::Plan { location, .. } => (location.line != 0).then_some(*location),
            PlanError::Internal(_) => None,
        }
    }

    /// The error's location slot (unknown is line 0); `None` for errors that have none.
    fn location_mut(&mut self) -> Option<&mut Location> {
        match self {
            PlanError::Parse { location, .. }
            | PlanError::NotFound { location, .. }
            | PlanError::Ambiguous { location, .. }
            | PlanError::TypeMismatch { location, .. }
            | PlanError::Unsupported { location, .. }
            | PlanError::Plan { location, .. } => Some(location),
            PlanError::Internal(_) => None,
        }
    }

    /// Moves the error's location from a statement's text into the script that holds
    /// the statement, which starts at `start` (see [`Location::within`]).
    pub fn within(mut self, start: Location) -> Self {
        if let Some(location) = self.location_mut() {
            *location = location.within(start);
        }
        self
    }

    /// Attaches a location to an error that has none.
    pub fn with_location(mut self, at: Location) -> Self {
        if let Some(location) = self.location_mut()
            && location.line == 0
        {
            *location = at;
        }
        self
    }
}

/// The candidate nearest to `name` by edit distance, if it is close enough to be a likely typo.
pub fn closest_name<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let lower = name.to_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(&lower, &c.to_lowercase());
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    let (d, c) = best?;
    let limit = (name.chars().count() / 3).max(2);
    (d <= limit).then(|| c.to_string())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_locations_move_into_the_script() {
        let at = |line, column| Location { line, column };
        // A statement starting at line 2, column 3 of its script.
        assert_eq!(at(1, 8).within(at(2, 3)), at(2, 10));
        assert_eq!(at(2, 4).within(at(2, 3)), at(3, 4));
        assert_eq!(Location::default().within(at(2, 3)), Location::default());
        let e = PlanError::plan_at("x", at(1, 1)).within(at(5, 11));
        assert_eq!(e.location(), Some(at(5, 11)));
        assert_eq!(PlanError::plan("x").within(at(5, 1)).location(), None);
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(
            closest_name("lineitm", ["lineitem", "orders"]),
            Some("lineitem".into())
        );
        assert_eq!(closest_name("zzz", ["lineitem", "orders"]), None);
    }
}
