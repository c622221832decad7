//! Telling whether REPL input ends a statement: its last token outside strings and
//! comments is `;`. Scripts are split by `ember_planner::sql::split_statements`.

use sqlparser::dialect::GenericDialect;
use sqlparser::tokenizer::{Token, Tokenizer};

/// True when `text` ends with a `;` that is not inside a string or comment.
pub fn ends_statement(text: &str) -> bool {
    let Ok(tokens) = Tokenizer::new(&GenericDialect {}, text).tokenize() else {
        // An unterminated string or comment: the statement goes on.
        return false;
    };
    tokens
        .iter()
        .rev()
        .find(|t| !matches!(t, Token::Whitespace(_)))
        .is_some_and(|t| *t == Token::SemiColon)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_only_on_a_real_semicolon() {
        assert!(ends_statement("SELECT 1;"));
        assert!(ends_statement("SELECT 1; -- done"));
        assert!(!ends_statement("SELECT ';"));
        assert!(!ends_statement("SELECT 1 -- ;"));
        assert!(!ends_statement("SELECT 1"));
    }
}
