//! Splits a SQL script into statements at `;` outside strings and comments.
//!
//! In: script text. Out: each statement's text (sliced from the script, so quoting and
//! spacing stay as written) and the line and column it starts at, so that positions in
//! a statement's errors can be given in the script. Uses sqlparser's tokenizer only.

use sqlparser::dialect::GenericDialect;
use sqlparser::tokenizer::{Location as TokenLocation, Token, Tokenizer};

use crate::error::{Location, PlanError, Result};

/// One statement of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlStatementText {
    /// The statement's text, without the closing `;`.
    pub text: String,
    /// The 1-based line its first token is on.
    pub line: u64,
    /// The 1-based column (in characters) its first token starts at.
    pub column: u64,
}

impl SqlStatementText {
    /// Where the statement starts in its script.
    pub fn start(&self) -> Location {
        Location {
            line: self.line,
            column: self.column,
        }
    }
}

/// Cuts `text` at every `;` outside strings and comments; empty statements are dropped.
pub fn split_statements(text: &str) -> Result<Vec<SqlStatementText>> {
    let tokens = Tokenizer::new(&GenericDialect {}, text)
        .tokenize_with_location()
        .map_err(|e| PlanError::Parse {
            message: e.message.clone(),
            location: e.location.into(),
        })?;
    let mut offsets = Offsets::new(text);
    let mut out = Vec::new();
    // Position and byte offset of the current statement's first token, and the end of
    // its last.
    let mut start: Option<(Location, usize)> = None;
    let mut end = 0;
    for t in &tokens {
        match &t.token {
            Token::SemiColon => {
                if let Some((at, from)) = start.take() {
                    push(&mut out, text, at, from, end);
                }
            }
            Token::Whitespace(_) | Token::EOF => {}
            _ => {
                let from = offsets.byte(t.span.start);
                if start.is_none() {
                    start = Some((t.span.start.into(), from));
                }
                end = offsets.byte(t.span.end).max(from);
            }
        }
    }
    if let Some((at, from)) = start {
        push(&mut out, text, at, from, end);
    }
    Ok(out)
}

fn push(out: &mut Vec<SqlStatementText>, text: &str, at: Location, from: usize, to: usize) {
    if let Some(s) = text.get(from..to) {
        // `from` is the first token's start, so trimming only drops trailing space.
        let s = s.trim_end();
        if !s.is_empty() {
            out.push(SqlStatementText {
                text: s.to_string(),
                line: at.line,
                column: at.column,
            });
        }
    }
}

/// Turns tokenizer locations (1-based line and character column) into byte offsets.
/// Tokens come in text order, so a cursor moves forward from the last location asked
/// for instead of counting characters from the start of the line each time (which was
/// quadratic on a long line, such as an IN list of 100,000 items).
struct Offsets<'t> {
    text: &'t str,
    line_starts: Vec<usize>,
    /// The last location resolved: (line, column, byte offset).
    cursor: (u64, u64, usize),
}

impl<'t> Offsets<'t> {
    fn new(text: &'t str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Offsets {
            text,
            line_starts,
            cursor: (1, 1, 0),
        }
    }

    fn byte(&mut self, at: TokenLocation) -> usize {
        let (line, column, byte) = self.cursor;
        let (from_column, from_byte) = if at.line == line && at.column >= column {
            (column, byte)
        } else {
            let Some(&line_start) = self.line_starts.get((at.line as usize).saturating_sub(1))
            else {
                return self.text.len();
            };
            (1, line_start)
        };
        let ahead = (at.column.saturating_sub(from_column)) as usize;
        let rest = self.text.get(from_byte..).unwrap_or("");
        let offset = from_byte
            + rest
                .char_indices()
                .nth(ahead)
                .map(|(i, _)| i)
                .unwrap_or(rest.len());
        self.cursor = (at.line, at.column.max(1), offset);
        offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_outside_strings_and_comments() {
        let script =
            "select 1;\n-- a; comment\nselect 'a;b''c', \"é\"\n  from t;\n\n;  /* x; */ select 2";
        let parts = split_statements(script).unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].text, "select 1");
        assert_eq!(parts[0].line, 1);
        assert_eq!(parts[1].text, "select 'a;b''c', \"é\"\n  from t");
        assert_eq!(parts[1].line, 3);
        assert_eq!(parts[1].column, 1);
        assert_eq!(parts[2].text, "select 2");
        assert_eq!(parts[2].line, 6);
        assert_eq!(parts[2].column, 13);
    }

    #[test]
    fn comments_alone_are_no_statement() {
        assert!(
            split_statements("-- nothing\n; /* x */")
                .unwrap()
                .is_empty()
        );
    }
}
