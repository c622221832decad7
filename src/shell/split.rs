//! Splitting a script into statements on `;`, outside quotes and comments, keeping each
//! statement's starting line; and telling whether REPL input ends a statement.
//!
//! This is the shell's fallback until `ember_planner::sql::split_statements` lands; it
//! returns the same shape (text and 1-based start line).

/// One statement of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementText {
    /// The statement, without its `;` and without leading comments or blanks.
    pub text: String,
    /// The 1-based line where it starts.
    pub line: u64,
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    Code,
    Single,
    Double,
    LineComment,
    BlockComment,
}

/// The statements of `text`: non-empty pieces between `;`s that are outside string
/// literals, quoted identifiers and comments. A final piece without `;` is a statement.
pub fn split_statements(text: &str) -> Vec<StatementText> {
    let mut out = Vec::new();
    let mut state = State::Code;
    let mut line: u64 = 1;
    // Byte offset and line of the current statement's first significant character.
    let mut start: Option<(usize, u64)> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        match state {
            State::Code => match c {
                ';' => {
                    if let Some((s, l)) = start.take() {
                        push(&mut out, &text[s..i], l);
                    }
                }
                '-' if next == Some('-') => {
                    chars.next();
                    state = State::LineComment;
                }
                '/' if next == Some('*') => {
                    chars.next();
                    state = State::BlockComment;
                }
                c if c.is_whitespace() => {}
                c => {
                    if start.is_none() {
                        start = Some((i, line));
                    }
                    if c == '\'' {
                        state = State::Single;
                    } else if c == '"' {
                        state = State::Double;
                    }
                }
            },
            // A doubled quote inside a literal reads as leaving and re-entering it.
            State::Single if c == '\'' => state = State::Code,
            State::Double if c == '"' => state = State::Code,
            State::LineComment if c == '\n' => state = State::Code,
            State::BlockComment if c == '*' && next == Some('/') => {
                chars.next();
                state = State::Code;
            }
            _ => {}
        }
        if c == '\n' {
            line += 1;
        }
    }
    if let Some((s, l)) = start {
        push(&mut out, &text[s..], l);
    }
    out
}

fn push(out: &mut Vec<StatementText>, text: &str, line: u64) {
    let text = text.trim_end();
    if !text.is_empty() {
        out.push(StatementText {
            text: text.to_string(),
            line,
        });
    }
}

/// True when `text` ends a statement: its last character outside comments and blanks
/// is a `;` that is itself outside quotes (the REPL then runs what it has).
pub fn ends_statement(text: &str) -> bool {
    let mut state = State::Code;
    let mut last_code: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        match state {
            State::Code => match c {
                '-' if next == Some('-') => {
                    chars.next();
                    state = State::LineComment;
                }
                '/' if next == Some('*') => {
                    chars.next();
                    state = State::BlockComment;
                }
                c if c.is_whitespace() => {}
                c => {
                    last_code = Some(c);
                    if c == '\'' {
                        state = State::Single;
                    } else if c == '"' {
                        state = State::Double;
                    }
                }
            },
            State::Single if c == '\'' => {
                state = State::Code;
                last_code = Some(c);
            }
            State::Double if c == '"' => {
                state = State::Code;
                last_code = Some(c);
            }
            State::LineComment if c == '\n' => state = State::Code,
            State::BlockComment if c == '*' && next == Some('/') => {
                chars.next();
                state = State::Code;
            }
            _ => {}
        }
    }
    state != State::Single && state != State::Double && last_code == Some(';')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_outside_quotes_and_comments_with_lines() {
        let script = "-- header; not a statement\nSELECT 1;\n\nSELECT 'a;b', \"x;\" /* ; */\nFROM t; ;\n  select 'it''s';\nSELECT 3";
        let got = split_statements(script);
        assert_eq!(
            got,
            vec![
                StatementText {
                    text: "SELECT 1".into(),
                    line: 2
                },
                StatementText {
                    text: "SELECT 'a;b', \"x;\" /* ; */\nFROM t".into(),
                    line: 4
                },
                StatementText {
                    text: "select 'it''s'".into(),
                    line: 6
                },
                StatementText {
                    text: "SELECT 3".into(),
                    line: 7
                },
            ]
        );
        assert!(split_statements("  -- only a comment\n").is_empty());
    }

    #[test]
    fn statement_ends() {
        assert!(ends_statement("SELECT 1;"));
        assert!(ends_statement("SELECT 1; -- done\n"));
        assert!(!ends_statement("SELECT 1"));
        assert!(!ends_statement("SELECT ';"));
        assert!(!ends_statement("SELECT 1 /* ; */"));
        assert!(ends_statement("SELECT 'a;';"));
    }
}
