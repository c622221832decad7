//! Telling whether REPL input ends a statement (its last token outside strings and
//! comments is `;`), and cutting a script into SQL and the shell commands between its
//! statements. The SQL is split into statements by `ember_planner::sql::split_statements`.

use sqlparser::dialect::GenericDialect;
use sqlparser::tokenizer::{Token, Tokenizer};

/// A part of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// SQL, preceded by as many empty lines as come before it in the script, so that
    /// positions in it are positions in the script.
    Sql(String),
    /// A line that is a shell command (`.mode csv`, `\timing`), and its number (1-based).
    Command { line: u64, text: String },
}

/// Cuts `text` into SQL and shell commands. A line starting with `.` or `\\` is a
/// command when it comes between statements (not inside one), as in DuckDB's and
/// psql's scripts.
pub fn script_pieces(text: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    // The SQL since the last command, and the line it starts on.
    let mut sql = String::new();
    let mut sql_line = 1;
    let flush = |pieces: &mut Vec<Piece>, sql: &str, sql_line: u64| {
        if !sql.trim().is_empty() {
            pieces.push(Piece::Sql("\n".repeat(sql_line as usize - 1) + sql));
        }
    };
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let number = i as u64 + 1;
        if line.trim_start().starts_with(['.', '\\']) && between_statements(&sql) {
            flush(&mut pieces, &sql, sql_line);
            pieces.push(Piece::Command {
                line: number,
                text: line.trim().to_string(),
            });
            sql.clear();
            sql_line = number + 1;
        } else {
            sql.push_str(line);
        }
    }
    flush(&mut pieces, &sql, sql_line);
    pieces
}

/// True when `sql` holds only whole statements, comments and white space.
fn between_statements(sql: &str) -> bool {
    let Ok(tokens) = Tokenizer::new(&GenericDialect {}, sql).tokenize() else {
        return false;
    };
    tokens
        .iter()
        .rev()
        .find(|t| !matches!(t, Token::Whitespace(_)))
        .is_none_or(|t| *t == Token::SemiColon)
}

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

    #[test]
    fn commands_come_between_statements() {
        let script = ".mode csv\nSELECT 1;\n-- note\n\\timing\nSELECT\n.5;\n  .maxrows 3\nSELECT 2";
        let sql = |s: &str| Piece::Sql(s.to_string());
        let command = |line, text: &str| Piece::Command {
            line,
            text: text.to_string(),
        };
        assert_eq!(
            script_pieces(script),
            [
                command(1, ".mode csv"),
                sql("\nSELECT 1;\n-- note\n"),
                command(4, "\\timing"),
                // `.5` continues a statement: it is SQL.
                sql("\n\n\n\nSELECT\n.5;\n"),
                command(7, ".maxrows 3"),
                sql("\n\n\n\n\n\n\nSELECT 2"),
            ]
        );
        assert_eq!(script_pieces("SELECT 1;"), [sql("SELECT 1;")]);
        assert_eq!(script_pieces(" \n"), []);
    }
}
