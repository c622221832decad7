//! sqlparser's errors as [`PlanError`]s, and the helper that names an unsupported AST part.
//!
//! In: `ParserError` messages ("... at Line: 3, Column: 7") and AST nodes with spans.
//! Out: `PlanError::Parse` / `PlanError::Unsupported` with line and column.

use sqlparser::ast::Spanned;
use sqlparser::parser::ParserError;

use crate::error::{Location, PlanError};

/// A parser error with its line and column pulled out of the message.
pub(crate) fn parse_error(e: ParserError) -> PlanError {
    let message = match e {
        ParserError::TokenizerError(m) | ParserError::ParserError(m) => m,
        ParserError::RecursionLimitExceeded => "query is nested too deeply".to_string(),
    };
    let (message, location) = split_location(&message);
    PlanError::Parse { message, location }
}

/// Splits "text at Line: X, Column: Y" into the text and the location.
fn split_location(message: &str) -> (String, Location) {
    let Some(at) = message.rfind("Line: ") else {
        return (message.to_string(), Location::default());
    };
    let tail = &message[at + "Line: ".len()..];
    let mut parts = tail.splitn(2, ", Column: ");
    let line = parts.next().and_then(|l| l.trim().parse::<u64>().ok());
    let column = parts.next().and_then(|c| {
        let digits: String = c.chars().take_while(|ch| ch.is_ascii_digit()).collect();
        digits.parse::<u64>().ok()
    });
    match (line, column) {
        (Some(line), Some(column)) => {
            let text = message[..at].trim_end();
            let text = text.strip_suffix(" at").unwrap_or(text).trim_end();
            (text.to_string(), Location { line, column })
        }
        _ => (message.to_string(), Location::default()),
    }
}

/// `Unsupported` naming `what`, at the start of `node`.
pub(crate) fn unsupported(what: impl Into<String>, node: &impl Spanned) -> PlanError {
    PlanError::unsupported_at(what, node.span())
}

/// The location where `node` starts.
pub(crate) fn loc(node: &impl Spanned) -> Location {
    node.span().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pulls_line_and_column_out_of_messages() {
        let (m, l) = split_location("Expected: an expression, found: FROM at Line: 2, Column: 8");
        assert_eq!(m, "Expected: an expression, found: FROM");
        assert_eq!(l, Location { line: 2, column: 8 });
    }
}
