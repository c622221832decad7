//! EXPLAIN's options: `EXPLAIN [ANALYZE] [VERBOSE] [FORMAT TEXT] query`, the
//! parenthesised list `EXPLAIN (ANALYZE, VERBOSE, FORMAT HTML) query`, and the two
//! mixed, `EXPLAIN ANALYZE (FORMAT HTML) query`, which sqlparser does not read: its
//! tokens are rewritten into the parenthesised list before parsing.
//!
//! In: a statement's tokens ([`options_into_parentheses`]), or the fields of
//! sqlparser's EXPLAIN ([`explain_options`]). Out: rewritten tokens, or the
//! [`ExplainOptions`]. FORMAT HTML is a report of a run, so it needs ANALYZE.

use sqlparser::ast::{self, AnalyzeFormat, AnalyzeFormatKind, UtilityOption};
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan};

use crate::error::Result;
use crate::sql::errors::unsupported;

/// What EXPLAIN writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExplainFormat {
    /// Plans as indented text, one row per line (the default).
    #[default]
    Text,
    /// One self-contained HTML document in one row: the stages, tasks and operators of
    /// the run (with ANALYZE only).
    Html,
}

/// EXPLAIN's options, however they were written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExplainOptions {
    /// `ANALYZE`: run the query and report.
    pub analyze: bool,
    /// `VERBOSE`: the plan after every optimizer rule.
    pub verbose: bool,
    /// `FORMAT TEXT | HTML`.
    pub format: ExplainFormat,
}

/// For `EXPLAIN [ANALYZE] [VERBOSE] (options) query`, the same tokens as
/// `EXPLAIN (ANALYZE, VERBOSE, options) query`, which sqlparser reads; `None` for
/// any other statement.
pub(crate) fn options_into_parentheses(tokens: &[TokenWithSpan]) -> Option<Vec<TokenWithSpan>> {
    let words: Vec<usize> = (0..tokens.len())
        .filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_)))
        .collect();
    let keyword = |i: usize| match &tokens[words[i]].token {
        Token::Word(w) => Some(w.keyword),
        _ => None,
    };
    if words.len() < 3 || keyword(0) != Some(Keyword::EXPLAIN) {
        return None;
    }
    let mut flags = Vec::new();
    let mut at = 1;
    while at < words.len() && flags.len() < 2 {
        match keyword(at) {
            Some(k @ (Keyword::ANALYZE | Keyword::VERBOSE)) if !flags.contains(&k) => flags.push(k),
            _ => break,
        }
        at += 1;
    }
    if flags.is_empty() || words.get(at).map(|&i| &tokens[i].token) != Some(&Token::LParen) {
        return None;
    }
    // EXPLAIN ( flag , flag , <the original options, their `)` and the query>
    let mut out = tokens[..=words[0]].to_vec();
    out.push(tokens[words[at]].clone());
    for &i in &words[1..at] {
        out.push(tokens[i].clone());
        out.push(TokenWithSpan::new(Token::Comma, tokens[i].span));
    }
    out.extend_from_slice(&tokens[words[at] + 1..]);
    Some(out)
}

/// The options of a parsed EXPLAIN: its keywords, its `FORMAT` and its parenthesised
/// list. `statement` is the EXPLAIN, for error locations.
pub(crate) fn explain_options(
    analyze: bool,
    verbose: bool,
    format: Option<&AnalyzeFormatKind>,
    options: Option<&[UtilityOption]>,
    statement: &ast::Statement,
) -> Result<ExplainOptions> {
    let mut out = ExplainOptions {
        analyze,
        verbose,
        format: ExplainFormat::Text,
    };
    match format {
        None
        | Some(AnalyzeFormatKind::Keyword(AnalyzeFormat::TEXT))
        | Some(AnalyzeFormatKind::Assignment(AnalyzeFormat::TEXT)) => {}
        Some(other) => {
            return Err(unsupported(
                format!("EXPLAIN {other} (only FORMAT TEXT and FORMAT HTML)"),
                statement,
            ));
        }
    }
    for option in options.unwrap_or_default() {
        let name = option.name.value.to_ascii_uppercase();
        let word = option.arg.as_ref().map(option_word);
        match (name.as_str(), word.as_deref()) {
            ("ANALYZE", None | Some("TRUE" | "ON" | "1")) => out.analyze = true,
            ("ANALYZE", Some("FALSE" | "OFF" | "0")) => out.analyze = false,
            ("VERBOSE", None | Some("TRUE" | "ON" | "1")) => out.verbose = true,
            ("VERBOSE", Some("FALSE" | "OFF" | "0")) => out.verbose = false,
            ("FORMAT", Some("TEXT")) => out.format = ExplainFormat::Text,
            ("FORMAT", Some("HTML")) => out.format = ExplainFormat::Html,
            ("FORMAT", _) => {
                return Err(unsupported(
                    format!("EXPLAIN option {option} (only FORMAT TEXT and FORMAT HTML)"),
                    statement,
                ));
            }
            _ => {
                return Err(unsupported(
                    format!("EXPLAIN option {option} (only ANALYZE, VERBOSE and FORMAT)"),
                    statement,
                ));
            }
        }
    }
    if out.format == ExplainFormat::Html && !out.analyze {
        return Err(unsupported(
            "EXPLAIN (FORMAT HTML) without ANALYZE (the report is of a run: EXPLAIN ANALYZE (FORMAT HTML) query)",
            statement,
        ));
    }
    Ok(out)
}

/// An option's argument as one upper-case word: `html`, `'html'` and `HTML` alike.
fn option_word(arg: &ast::Expr) -> String {
    match arg {
        ast::Expr::Identifier(id) => id.value.to_ascii_uppercase(),
        ast::Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) | ast::Value::DoubleQuotedString(s) => {
                s.to_ascii_uppercase()
            }
            ast::Value::Boolean(b) => b.to_string().to_ascii_uppercase(),
            other => other.to_string().to_ascii_uppercase(),
        },
        other => other.to_string().to_ascii_uppercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::Statement;
    use crate::sql::tests::TestCatalog;

    fn options(sql: &str) -> Result<ExplainOptions> {
        match TestCatalog::new().statement(sql)? {
            Statement::Explain {
                analyze,
                verbose,
                format,
                ..
            } => Ok(ExplainOptions {
                analyze,
                verbose,
                format,
            }),
            other => panic!("{sql}: not an EXPLAIN: {other:?}"),
        }
    }

    fn html(verbose: bool) -> ExplainOptions {
        ExplainOptions {
            analyze: true,
            verbose,
            format: ExplainFormat::Html,
        }
    }

    #[test]
    fn format_html_is_read_in_every_spelling() {
        for sql in [
            "EXPLAIN ANALYZE (FORMAT html) SELECT n_name FROM nation",
            "explain analyze (format 'HTML') select n_name from nation",
            "EXPLAIN (ANALYZE, FORMAT HTML) SELECT n_name FROM nation",
            "EXPLAIN (FORMAT html, ANALYZE true) SELECT n_name FROM nation",
        ] {
            assert_eq!(options(sql).unwrap(), html(false), "{sql}");
        }
        assert_eq!(
            options("EXPLAIN ANALYZE VERBOSE (FORMAT html) SELECT 1").unwrap(),
            html(true)
        );
    }

    #[test]
    fn format_text_is_the_default() {
        let text = ExplainOptions {
            analyze: true,
            ..ExplainOptions::default()
        };
        assert_eq!(options("EXPLAIN ANALYZE SELECT 1").unwrap(), text);
        assert_eq!(
            options("EXPLAIN ANALYZE FORMAT TEXT SELECT 1").unwrap(),
            text
        );
        assert_eq!(
            options("EXPLAIN ANALYZE (FORMAT text) SELECT 1").unwrap(),
            text
        );
        assert_eq!(
            options("EXPLAIN SELECT 1").unwrap(),
            ExplainOptions::default()
        );
    }

    #[test]
    fn other_formats_and_html_without_analyze_are_refused() {
        for (sql, says) in [
            (
                "EXPLAIN ANALYZE FORMAT JSON SELECT 1",
                "FORMAT TEXT and FORMAT HTML",
            ),
            (
                "EXPLAIN (FORMAT json) SELECT 1",
                "FORMAT TEXT and FORMAT HTML",
            ),
            ("EXPLAIN (FORMAT html) SELECT 1", "without ANALYZE"),
            (
                "EXPLAIN (COSTS) SELECT 1",
                "only ANALYZE, VERBOSE and FORMAT",
            ),
        ] {
            let err = options(sql).unwrap_err().to_string();
            assert!(err.contains(says), "{sql}: {err}");
        }
    }
}
