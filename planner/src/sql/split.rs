//! Splits a SQL script into statements at `;` outside strings and comments.
//!
//! In: script text. Out: each statement's text and the line it starts on. Uses
//! sqlparser's tokenizer only.

use sqlparser::dialect::GenericDialect;
use sqlparser::tokenizer::{Token, Tokenizer};

use crate::error::{PlanError, Result};

/// One statement of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlStatementText {
    /// The statement's text, without the closing `;`.
    pub text: String,
    /// The 1-based line its first token is on.
    pub line: u64,
}

/// Cuts `text` at every `;` outside strings and comments; empty statements are dropped.
pub fn split_statements(text: &str) -> Result<Vec<SqlStatementText>> {
    let tokens = Tokenizer::new(&GenericDialect {}, text)
        .tokenize_with_location()
        .map_err(|e| PlanError::Parse {
            message: e.message.clone(),
            location: e.location.into(),
        })?;
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start: Option<u64> = None;
    for t in tokens {
        match &t.token {
            Token::SemiColon => {
                push(&mut out, &mut current, start.take());
            }
            tok => {
                let is_blank = matches!(tok, Token::Whitespace(_));
                if !is_blank && start.is_none() {
                    start = Some(t.span.start.line);
                }
                // Comments and blanks before a statement are not part of it.
                if start.is_some() {
                    current.push_str(&tok.to_string());
                }
            }
        }
    }
    push(&mut out, &mut current, start);
    Ok(out)
}

fn push(out: &mut Vec<SqlStatementText>, current: &mut String, start: Option<u64>) {
    let text = std::mem::take(current);
    let trimmed = text.trim();
    if let Some(line) = start
        && !trimmed.is_empty()
    {
        out.push(SqlStatementText {
            text: trimmed.to_string(),
            line,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_outside_strings_and_comments() {
        let script = "select 1;\n-- a; comment\nselect 'a;b'\n  from t;\n\n;  /* x; */ ";
        let parts = split_statements(script).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].text, "select 1");
        assert_eq!(parts[0].line, 1);
        assert_eq!(parts[1].text, "select 'a;b'\n  from t");
        assert_eq!(parts[1].line, 3);
    }
}
